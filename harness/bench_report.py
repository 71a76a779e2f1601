"""The benchmark's report: its rows, the checks on them, the one table.

Each measurement is a row

    (measurement, database, figure, reference, ratio, target, verdict)

printed as it is taken as ``row|m|d|figure|reference|ratio|target|verdict``
(the big-table benchmark prints the same lines, which are collected), and
at the end sorted into one markdown table (build/bench/table.md), preceded
by the machine and the settings and followed by the time each section
took.
"""

import argparse
import os
import re
import subprocess
import time

from . import proc, stats
from .db import PG_BIN
from .httpd import HTTPD

HEADER = ("measurement", "database", "figure", "reference", "ratio",
          "target", "verdict")
ENDPOINTS = ("can-start", "start", "message", "end")
# Lines of httpd's error_log at level error and above (LogLevel warn: the
# warnings are left out), and the lines that say a child crashed.
ERROR_LINE = re.compile(r"\[[a-z_0-9]+:(error|crit|alert|emerg)\]")
CRASH_LINE = re.compile(r"exit signal|[Ss]egmentation fault|AH00060|AH00052")


def row_line(row):
    return "row|" + "|".join(str(c) for c in row)


def parse_row(line):
    """The row of a 'row|...' line, or None when it is not one."""
    f = line.rstrip("\n").split("|")
    if f[0] != "row" or len(f) != 8:
        return None
    return tuple(f[1:])


def verdict(failed, ok):
    """ERROR when the figure's run failed, else ok or below its target."""
    return "ERROR" if failed else "ok" if ok else "below"


def at_least(ratio_text, floor):
    """Whether a ratio as printed (stats.ratio: "-" for none) is >= floor."""
    return ratio_text != "-" and float(ratio_text) >= floor


def sort_key(row, index, dbs):
    """Ratios first, then latencies, the soak, the error_log, the rest; by
    database in the order they ran, by endpoint, by concurrency; then in
    the order taken."""
    m, d = row[0], row[1]
    cats = (r"can-start req", r"start req", r"start\+message", r"latency",
            r"soak", r"httpd error_log")
    cat = next((i for i, c in enumerate(cats) if re.match(c, m)), len(cats))
    ep = next((i for i, e in enumerate(ENDPOINTS)
               if m.startswith("latency %s," % e)), 0)
    c = re.search(r"\bc(\d+)\b", m)
    return (cat, dbs.index(d) if d in dbs else 99, ep,
            int(c.group(1)) if c else 0, index)


def ordered(rows, dbs):
    return [r for _, r in sorted(enumerate(rows),
                                 key=lambda x: sort_key(x[1], x[0], dbs))]


def expected_rows(dbs, concs):
    """(measurement prefix, database) of every row a run must have."""
    out = []
    for d in dbs:
        out.append(("can-start req/s, c32, keep-alive", d))
        if d == "pgsql":
            out += [("start req/s, c8", d), ("start req/s, c32", d)]
        else:
            out.append(("start+message+end cycles/s, c1", d))
        out += [("latency %s, c%d" % (ep, c), d)
                for ep in ENDPOINTS for c in concs]
        out += [("soak: open fds per child", d),
                ("soak: database connections", d),
                ("soak: RSS per child", d), ("httpd error_log", d)]
    return out


def problems(rows, expected):
    """What is wrong with the rows: a missing row, a figure without a
    number, an ERROR verdict, a figure of zero."""
    out = []
    for m, d in expected:
        if not any(r[1] == d and r[0].startswith(m) for r in rows):
            out.append("the table has no row '%s' for %s" % (m, d))
    for m, d, fig, _, _, _, v in rows:
        if fig.startswith("n/a") or fig.startswith("not measured"):
            continue
        if not re.search(r"[0-9]", fig):
            out.append("row '%s' (%s) has no number: '%s'" % (m, d, fig))
        elif v == "ERROR":
            out.append("row '%s' (%s) is marked ERROR" % (m, d))
        elif (re.match(r"0(\.0+)? ", fig)
              and not m.startswith("httpd error_log")):
            out.append("row '%s' (%s): zero ('%s')" % (m, d, fig))
    return out


def error_log_summary(text):
    """(lines at error level or above, the first of them without its time
    and pid, up to 3 lines that say a child crashed)."""
    lines = text.splitlines()
    errors = [l for l in lines if ERROR_LINE.search(l)]
    first = ""
    if errors:
        first = re.sub(r"^\[[^]]*\] ", "", errors[0])
        first = re.sub(r" \[pid [^]]*\]", "", first, count=1)[:200]
    return len(errors), first, [l for l in lines if CRASH_LINE.search(l)][:3]


class Sections:
    """The time each section of the run took: start() ends the one before."""

    def __init__(self, say):
        self.say = say
        self.done = []          # (database or "", name, seconds)
        self._open = None

    def start(self, db, name):
        self.end()
        self._open = (db, name, proc.now())
        self.say("---- %s%s" % (db + ": " if db else "", name))

    def end(self):
        if not self._open:
            return
        db, name, t0 = self._open
        self._open = None
        s = stats.fmt(proc.now() - t0, 1)
        self.done.append((db, name, s))
        self.say("     %s%s took %s s" % (db + ": " if db else "", name, s))

    def line(self, total):
        return "Time per section (s): %s; total %s s" % (", ".join(
            "%s%s %s" % (d + ": " if d else "", n, s)
            for d, n, s in self.done), total)


def machine_line(ncpu):
    """'N CPUs (model), M MiB, Linux release', as free and uname say."""
    model = mem = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f
                          if l.startswith("model name")), "")
        with open("/proc/meminfo") as f:
            mem = next((str(int(l.split()[1]) // 1024) for l in f
                        if l.startswith("MemTotal:")), "")
    except OSError:
        pass
    return "%d CPUs (%s), %s MiB, Linux %s" % (ncpu, model, mem,
                                              os.uname().release)


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def table_md(mode, settings, rows, dbs, sections_line):
    """The report: a title, the settings (lines of "- ..."), the table,
    the time per section."""
    title = "## mod_charon benchmark (%s, mode %s)" % (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), mode)
    return "%s\n\n%s\n\n%s\n%s\n" % (
        title, "\n".join("- " + s for s in settings),
        stats.markdown_table(HEADER, ordered(rows, dbs)), sections_line)


def settings(o, db_settings, ncpu, load_before, busy):
    """The lines above the table: the load, the machine, httpd, the pool,
    each database's settings, the load generator (o: bench.Options)."""
    lines = [
        "load average before the run: %s, after: %s%s" % (
            load_before, load_average(), busy),
        "machine: " + machine_line(ncpu),
        "httpd: %s; event MPM, %d processes x %d threads (ThreadsPerChild "
        "%d, MaxRequestWorkers %d), KeepAlive On with no request limit, "
        "LogLevel warn, no access log (it would be the bottleneck)" % (
            version([HTTPD, "-v"], r"Server version: *(.*)"), o.procs,
            o.threads, o.threads, o.procs * o.threads),
        "mod_dbd pool: DBDMin 1, DBDKeep %d, DBDMax %d per process" % (
            o.dbdmax, o.dbdmax)]
    for d in o.dbs:
        s = db_settings.get(d, "not set up")
        if d == "pgsql":
            lines.append("PostgreSQL %s: %s; pgbench and the module alike" % (
                version([os.path.join(PG_BIN, "postgres"), "-V"],
                        r"\) (\S+)"), s))
        elif d == "mysql":
            lines.append("MariaDB %s: %s" % (
                version(["mariadbd", "--version"], r"Ver (\S+)"), s))
        else:
            lines.append("SQLite %s: %s" % (
                version(["sqlite3", "--version"], r"^(\S+)"), s))
    lines.append(
        "load: %s, keep-alive, %d s per figure, one thread per core (one per "
        "connection for the cycles and the soak, %d connections); %d crons; "
        "all on 127.0.0.1" % (version(["wrk", "-v"], r"^(\S+ \S+)"), o.secs,
                              o.soak_conns, o.ncrons))
    return lines


def version(argv, pattern):
    """What pattern's group finds in a program's output, or '?'."""
    try:
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    except OSError:
        return "?"
    m = re.search(pattern, p.stdout, re.M)
    return m.group(1).strip() if m else "?"


# ------------------------------------------- what the benchmarks share ---

class _Parser(argparse.ArgumentParser):
    """Its errors are Usage, naming the program's --help."""

    def error(self, message):
        raise proc.Usage("%s (%s --help)" % (message, self.prog))


def mode_parser(module, smoke=True):
    """The parser of python3 -m harness.MODULE with -h and --quick (and
    --smoke, exclusive with it); add its own options, then mode_of()."""
    p = _Parser(prog="python3 -m harness." + module, add_help=False)
    p.add_argument("-h", "--help", action="store_true")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--quick", action="store_true")
    if smoke:
        g.add_argument("--smoke", action="store_true")
    return p


def mode_of(a, env):
    """smoke, quick (--quick or QUICK=1) or full."""
    if getattr(a, "smoke", False):
        return "smoke"
    return ("quick" if a.quick or env.get("QUICK", "0") not in ("", "0")
            else "full")


def finish(logdir, text, failures, say):
    """The table into logdir/table.md and onto stdout, the failures
    after it; the exit status."""
    with open(os.path.join(logdir, "table.md"), "w") as f:
        f.write(text)
    print("\n" + text, flush=True)
    if failures:
        say("%d failures (the figures above are not to be trusted):"
            % len(failures))
        for x in failures:
            print("  - " + x)
        return 1
    return 0
