"""Big tables: the latency of `start`, `message` and `end` when the tables
hold 10 million executions and 50 million messages, against the same
measurement on empty tables (row 6 of the benchmark: within 1.2x); the
plans of the module's statements on the big tables; the time of the
watchdog's statements on them.

  python3 -m harness.bigtables [--quick] [--explain] [--mysql] [pgsql] [sqlite] [mysql]

  (default)  PostgreSQL and SQLite: 10,000,000 executions and 50,000,000
             messages each, loaded side by side within a time budget, then
             4 s per figure: 4 to 5 minutes in all (when the machine is too
             slow for the budget, what was loaded is measured and the load
             row says so)
  --quick    (or QUICK=1) 50,000 executions and 250,000 messages, 1 s per
             figure: about a minute
  --explain  also print the plans and the watchdog statements' output on
             stderr; they are always written to the log directory and
             summarised in rows
  --mysql    also MariaDB (or CHARON_BIGT_MYSQL=1). `mysql` among the
             databases is measured only with this flag, or when it is the
             only database named: loading tens of millions of rows into
             InnoDB takes far longer than the others. Without it, `mysql`
             gets a "not measured" row.

`make bench-bigtables` runs it (QUICK=1, MYSQL=1). For each database it
starts a throwaway server (harness/db.py) holding two databases, "empty" and
"big", both created from sql/*.sql with the same 1000 crons
(harness/bigt_data.py), and two httpds, one per database, with the module
built at .libs/mod_charon.so (copied at start: run `make` first). The
statements are the module's own, from build/sql_dump (harness/sqldump.py);
the rows are made by build/bigtables_gen (tests/bench/bigtables_gen.c);
both are built here with make when missing. Everything listens on
127.0.0.1 and is stopped and deleted when it ends, also on failure, Ctrl-C
or SIGTERM. Runs as root (httpd's children and SQLite's files as www-data,
PostgreSQL as postgres) or as a plain user. Needs wrk, cc, sqlite3, apxs,
PostgreSQL 15 (and mariadb-server for --mysql).

Output: on stdout only the lines
  row|<measurement>|<database>|<figure>|<reference>|<ratio>|<target>|<verdict>
(the benchmark's table collects them; from Python, run() returns them);
progress, per-phase figures and the plan summaries go to stderr. Per
database: the load (ok when all of it within the budget), the plans
(harness/bigt_plans.py: request path, manager/metrics/health, watchdog),
the watchdog's statements' times and a tick's estimate
(harness/bigt_watchdog.py), then p50, p99 and mean of each endpoint, big
against empty (harness/bigt_wrk.py: ok when <= 1.2). The exit status is
non-zero only when the benchmark itself failed (2: a server did not start
or a load failed; 1: an answer other than 2xx, a phase that created
nothing, a statement that failed); figures are reported, not asserted.

Environment (defaults; --quick's in brackets):
  CHARON_BIGT_EXECUTIONS   10000000 [50000]
  CHARON_BIGT_MESSAGES     50000000 [250000] (a multiple of the above)
  CHARON_BIGT_CRONS        1000
  CHARON_BIGT_SECONDS      4 [1]    seconds per figure
  CHARON_BIGT_WARMUP       2 [1]    seconds of `start` before measuring
  CHARON_BIGT_CONCURRENCY  8        wrk connections
  CHARON_BIGT_ROUNDS       1        rounds of (empty, big) per endpoint, big
                                    first in even rounds; figures are the
                                    medians of the rounds
  CHARON_BIGT_LOAD_BUDGET  190 [60] seconds for the loads (side by side; the
                                    benchmark gives 300 when the load runs
                                    beside its soak)
  CHARON_BIGT_WAIT_FOR     ""       a file: once loaded, wait for it to exist
                                    before measuring (run(wait_for=) also
                                    takes a threading.Event)
  CHARON_BIGT_MY_BUDGET    900 [120] seconds for MariaDB's load
  CHARON_BIGT_TARGET       1.2      big/empty ratio that is ok
  CHARON_BIGT_KEEP, CHARON_BIGT_MAX_AGE, CHARON_BIGT_KEEP_FAILURES
                           1000, 7776000 (90 d), 10: the retention the
                           watchdog statements are timed with
  CHARON_BIGT_SQLITE_SYNC  NORMAL   SQLite's synchronous, by DBDInitSQL
  CHARON_BIGT_SQLITE_PROCS 1        httpd processes for SQLite (2 for the
                                    others): with two, writers of both take
                                    turns through apr_dbd_sqlite3's busy
                                    retries (100 ms sleeps), a noise that
                                    hides the tables' size
  CHARON_BIGT_PG_CONF      ""       PostgreSQL settings for the measurement,
                                    "name=value ...", e.g.
                                    "log_min_duration_statement=20"
  CHARON_BIGT_USER         www-data httpd's user when run as root
  CHARON_BIGT_LOGDIR       build/bigtables: wrk's output per phase, the
                           plans and their summaries, the watchdog
                           statements' output, the load logs, httpd's
                           error_logs, the database's log, sql_dump.txt,
                           rows.txt

What it found is in docs/PERFORMANCE.md ("Big tables").
"""

import collections
import os
import shutil
import sys
import threading
import time

from . import bigt_data, bigt_plans, bigt_watchdog, bigt_wrk
from . import httpd, proc, sqldump, stats
from .proc import Failure, Usage

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DBS = ("pgsql", "sqlite", "mysql")

Outcome = collections.namedtuple("Outcome", "rows ok error")
Outcome.__doc__ = """rows: (measurement, database, figure, reference, ratio,
target, verdict) tuples; ok: False when the benchmark itself failed; error:
why it stopped early, or None."""


def _int(environ, name, default):
    v = environ.get(name, "")
    if v == "":
        return default
    if not v.isdigit():
        raise Usage("%s must be a whole number, not %r" % (name, v))
    return int(v)


class Options:
    """Everything a run is told, from its flags and the environment."""

    def __init__(self, quick=False, explain=False, environ=None,
                 stream=None):
        env = os.environ if environ is None else environ
        self.quick, self.explain = quick, explain
        self.stream = stream or sys.stderr
        self.top = TOP
        q = quick
        self.executions = _int(env, "CHARON_BIGT_EXECUTIONS",
                               50000 if q else 10000000)
        self.messages = _int(env, "CHARON_BIGT_MESSAGES",
                             250000 if q else 50000000)
        self.crons = _int(env, "CHARON_BIGT_CRONS", 1000)
        self.seconds = _int(env, "CHARON_BIGT_SECONDS", 1 if q else 4)
        self.warmup = _int(env, "CHARON_BIGT_WARMUP", 1 if q else 2)
        self.concurrency = _int(env, "CHARON_BIGT_CONCURRENCY", 8)
        self.rounds = _int(env, "CHARON_BIGT_ROUNDS", 1)
        self.budget = _int(env, "CHARON_BIGT_LOAD_BUDGET", 60 if q else 190)
        self.my_budget = _int(env, "CHARON_BIGT_MY_BUDGET", 120 if q else 900)
        self.keep = _int(env, "CHARON_BIGT_KEEP", 1000)
        self.max_age = _int(env, "CHARON_BIGT_MAX_AGE", 7776000)
        self.keep_failures = _int(env, "CHARON_BIGT_KEEP_FAILURES", 10)
        self.sqlite_procs = _int(env, "CHARON_BIGT_SQLITE_PROCS", 1)
        self.target_text = env.get("CHARON_BIGT_TARGET") or "1.2"
        try:
            self.target = float(self.target_text)
        except ValueError:
            raise Usage("CHARON_BIGT_TARGET must be a number, not %r"
                          % self.target_text) from None
        self.sqlite_sync = env.get("CHARON_BIGT_SQLITE_SYNC") or "NORMAL"
        self.pg_conf = env.get("CHARON_BIGT_PG_CONF", "")
        self.wait_for = env.get("CHARON_BIGT_WAIT_FOR", "")
        self.logdir = os.path.abspath(env.get("CHARON_BIGT_LOGDIR")
                                      or os.path.join(TOP, "build",
                                                      "bigtables"))
        self.run_user = ((env.get("CHARON_BIGT_USER") or "www-data")
                         if proc.is_root() else None)
        if (self.executions < 1 or self.crons < 50 or self.concurrency < 1
                or self.seconds < 1 or self.rounds < 1):
            raise Usage("need at least 1 execution, 50 crons, 1 connection, "
                          "1 second, 1 round")
        if self.messages % self.executions:
            raise Usage("CHARON_BIGT_MESSAGES (%d) must be a multiple of "
                          "CHARON_BIGT_EXECUTIONS (%d)"
                          % (self.messages, self.executions))
        self.per_exec = self.messages // self.executions
        self.tail = max(self.executions // 10000, 10)
        self.now = int(time.time())
        self.work = self.module = self.gen = None
        self.lua = os.path.join(TOP, "tests", "bench", "bigtables.lua")


def choose(named, mysql):
    """(databases to measure, in groups loaded together; whether mysql was
    left out): PostgreSQL and SQLite side by side, MariaDB alone after."""
    named = list(named) or ["pgsql", "sqlite"]
    if mysql and "mysql" not in named:
        named.append("mysql")
    mysql = mysql or named == ["mysql"]
    dbs = [d for i, d in enumerate(named) if d not in named[:i]
           and (d != "mysql" or mysql)]
    groups = [g for g in ([d for d in dbs if d != "mysql"],
                          [d for d in dbs if d == "mysql"]) if g]
    return groups, "mysql" in named and not mysql


class Run:
    """One run: its rows, the databases it started, its verdict."""

    def __init__(self, opts, on_row):
        self.o, self.on_row = opts, on_row
        self.rows, self.started = [], []
        self.failed = False
        self.say = proc.say_as("bigtables", opts.stream)

    def row(self, *cells):
        self.rows.append(tuple(str(c) for c in cells))
        with open(os.path.join(self.o.logdir, "rows.txt"), "a") as f:
            f.write("row|%s\n" % "|".join(self.rows[-1]))
        if self.on_row:
            self.on_row(self.rows[-1])

    def add(self, result):
        rows, failed = result
        for r in rows:
            self.row(*r)
        self.failed = self.failed or failed

    def prepare(self):
        o = self.o
        os.makedirs(o.logdir, exist_ok=True)
        for name in os.listdir(o.logdir):
            if name.endswith((".txt", ".log", "error_log", ".err")):
                os.unlink(os.path.join(o.logdir, name))
        for tool in ("wrk", "sqlite3", "cc"):
            if not shutil.which(tool):
                raise Failure("%s not found" % tool)
        self.dump = sqldump.load(o.top)
        with open(os.path.join(o.logdir, "sql_dump.txt"), "w") as f:
            f.write(proc.run([os.path.join(o.top, "build",
                                           "sql_dump")]).stdout)
        p = proc.run(["make", "-s", "--no-print-directory", "-C", o.top,
                      "build/bigtables_gen"], check=False, merge=True)
        if p.returncode != 0:
            raise Failure("make build/bigtables_gen failed:\n" + p.stdout)
        o.work = proc.temp_dir("bigt", 0o755)   # postgres, www-data go below
        o.module = httpd.copy_module(o.top, o.work)
        o.gen = os.path.join(o.work, "bigtables_gen")
        shutil.copy(os.path.join(o.top, "build", "bigtables_gen"), o.gen)
        os.chmod(o.gen, 0o755)
        self.key = proc.random_password(16)
        self.say("work directory %s, logs in %s; load average %s, %d CPUs"
                 % (o.work, o.logdir, loadavg(), os.cpu_count()))
        self.say("data: %d executions, %d messages (%d each), %d crons; "
                 "chunks of %d executions" % (
                     o.executions, o.messages, o.per_exec, o.crons,
                     next(bigt_data.chunks(o.executions))[2]))

    def load(self, group):
        """Set up and load the databases of a group side by side."""
        o = self.o
        budget = o.my_budget if group == ["mysql"] else o.budget
        bigs = []
        for kind in group:
            self.say("%s: setting up (server, schema, %d crons)"
                     % (kind, o.crons))
            b = bigt_data.make(kind, o)
            self.started.append(b)
            b.setup()
            bigs.append(b)
        self.say("loading %s (budget %d s, load average %s)"
                 % (" ".join(group), budget, loadavg()))
        deadline = time.time() + budget
        errors = {}

        def load(b):
            try:
                b.load(deadline)
            except BaseException as e:      # reported by the main thread
                errors[b.kind] = e
        threads = [threading.Thread(target=load, args=(b,), daemon=True)
                   for b in bigs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for kind, e in errors.items():
            raise Failure("%s: load failed (see %s): %s" % (kind, o.logdir, e))
        for b in bigs:
            b.post_load()
            self.say("%s: loaded %d executions and %d messages in %.0f s "
                     "(+ %.0f s after)" % (b.kind, b.loaded_e, b.loaded_m,
                                           b.load_s, b.post_s))
            self.row(*self.load_row(b, budget))
        return bigs

    def load_row(self, b, budget):
        o = self.o
        n = b.loaded_e + b.loaded_m
        per = b.load_s / (n / 1e6) if n else 0.0
        after = ("; then %.0f s to %s" % (b.post_s, b.after_load)
                 if b.after_load else "")
        fig = ("%d executions + %d messages in %.0f s (%.2f s per million "
               "rows%s)" % (b.loaded_e, b.loaded_m, b.load_s, per, after))
        verdict = "ok"
        if b.loaded_e != o.executions or b.loaded_m != o.messages:
            verdict = "below"
            fig = "SHORT: %s; the whole would take about %.0f s" % (
                fig, per * (o.executions + o.messages) / 1e6)
            self.say("%s: loaded %d of %d executions and %d of %d messages "
                     "within the budget of %d s" % (
                         b.kind, b.loaded_e, o.executions, b.loaded_m,
                         o.messages, budget))
        return ("big tables: load %s executions + %s messages" % (
                    stats.human(o.executions), stats.human(o.messages)),
                b.kind, fig, "%d + %d rows within %d s" % (
                    o.executions, o.messages, budget),
                "%.2f" % ((b.loaded_e + b.loaded_m)
                          / (o.executions + o.messages)),
                "all rows within the budget", verdict)

    def measure(self, b):
        """Plans and watchdog statements first, on the data as loaded
        (their writes are rolled back); then the requests."""
        o = self.o
        dialect = self.dump.dialect(b.dialect)
        self.add((bigt_plans.plans(b, dialect, o), False))
        args = bigt_plans.Args(b.loaded_e, o)
        self.add(bigt_watchdog.watchdog(b, dialect, o, self.dump, args))
        if b.kind == "sqlite" and o.run_user:
            # files our own connections left behind go to httpd's user
            proc.chown_tree(os.path.dirname(b.params("big")), o.run_user)
        self.say("%s: measuring (load average %s)" % (b.kind, loadavg()))
        try:
            self.add(bigt_wrk.measure(b, o, self.key))
        except Failure as e:
            self.failed = True
            self.say("%s: measurement failed: %s" % (b.kind, e))
        b.stop()

    def close(self):
        """Stop and delete everything this run started."""
        for b in self.started:
            b.close()
        if self.o.work:
            shutil.rmtree(self.o.work, ignore_errors=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def wait(wait_for, say):
    """Wait for a file to exist, or an Event to be set (at most an hour)."""
    if not wait_for:
        return
    if isinstance(wait_for, str):
        if os.path.exists(wait_for):
            return
        say("loaded; waiting for %s before measuring" % wait_for)
        end = time.monotonic() + 3600
        while not os.path.exists(wait_for) and time.monotonic() < end:
            time.sleep(1)
    elif not wait_for.is_set():
        say("loaded; waiting to be told to measure")
        wait_for.wait(3600)


def run(dbs=(), quick=False, explain=False, mysql=False, environ=None,
        wait_for=None, on_row=None, stream=None):
    """The big tables of dbs (pgsql, sqlite, mysql; none: pgsql and
    sqlite), as the command line does: returns an Outcome (the rows, in
    the benchmark table's columns). environ stands for os.environ
    (CHARON_BIGT_*); wait_for (a path or a threading.Event) holds the
    measurement back until then, the load going ahead; on_row(row) is
    called as each row comes. Every server is stopped and every file
    deleted before it returns. Safe to run in a thread beside other work
    (the loads run in other processes)."""
    env = os.environ if environ is None else environ
    opts = Options(quick, explain, env, stream)
    if mysql is False and env.get("CHARON_BIGT_MYSQL", "0") not in ("", "0"):
        mysql = True
    r = Run(opts, on_row)
    groups, left_out = choose(dbs, mysql)
    t0 = proc.now()
    error = None
    try:
        r.prepare()
        if left_out:
            r.row("big tables: %s executions + %s messages" % (
                      stats.human(opts.executions),
                      stats.human(opts.messages)), "mysql",
                  "not measured (MariaDB only with --mysql: its load is "
                  "slow)", "-", "-", "<= %s" % opts.target_text, "report")
        for group in groups:
            bigs = r.load(group)
            wait(wait_for or opts.wait_for, r.say)
            for b in bigs:
                r.measure(b)
    except Failure as e:
        error = str(e)
        r.say(error)
    finally:
        r.close()
    r.say("done in %.0f s; rows in %s" % (proc.now() - t0, os.path.join(
        opts.logdir, "rows.txt")))
    if r.failed and not error:
        r.say("the benchmark itself failed (see above)")
    return Outcome(r.rows, not (r.failed or error), error)


def parse_args(argv):
    """(quick, explain, mysql, databases); None for --help."""
    quick = os.environ.get("QUICK", "0") not in ("", "0")
    explain = mysql = False
    named = []
    for a in argv:
        if a == "--quick":
            quick = True
        elif a == "--explain":
            explain = True
        elif a == "--mysql":
            mysql = True
        elif a in DBS:
            named.append(a)
        elif a in ("-h", "--help"):
            return None
        else:
            raise Usage("unknown argument %r (see --help)" % a)
    return quick, explain, mysql, named


def main():
    args = parse_args(sys.argv[1:])
    if args is None:
        print(__doc__)
        return 0
    quick, explain, mysql, named = args
    out = run(named, quick, explain, mysql,
              on_row=lambda row: print("row|" + "|".join(row), flush=True))
    return 2 if out.error else 0 if out.ok else 1


if __name__ == "__main__":
    proc.main("bigtables", main)
