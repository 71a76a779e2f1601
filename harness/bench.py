"""The benchmark of mod_charon: starts its own httpd and databases on
127.0.0.1, loads them with wrk (and pgbench, the mariadb and sqlite3
clients for the database baselines), prints one table, stops everything.

  python3 -m harness.bench [--quick | --smoke] [--seconds N] [--soak N]
                           [pgsql] [mysql] [sqlite]

  (default)  every figure on PostgreSQL, MariaDB and SQLite, 2 s each
             (a figure with a reference: 2 rounds of 2 s each, alternating),
             a 1,000,000-request soak on PostgreSQL (50,000 on the others,
             which are slower); big tables on PostgreSQL, loaded beside its
             soak (neither is a speed figure) and measured after it (the
             others: make bench-bigtables, or CHARON_BENCH_BIGTABLES=all,
             after everything else): under 10 minutes on 2 cores
  --quick    (or QUICK=1) 1 s per figure (2 s for pgbench's), latency at
             concurrency 1 and 32 only, soaks of 10,000 and 5,000
             requests, big tables in their quick mode: under 2 minutes
  --smoke    what `make test` runs: 1 s per figure, references too, a
             5,000-request soak, SQLite unless databases are named, big
             tables not measured: about 30 s
  CHARON_BENCH_BIGTABLES=0 leaves big tables out (a "not measured" row),
             =all measures them on every database named

Every figure is taken in this one run, side by side with its reference,
and reported as a ratio to it: on a small machine wrk, httpd and the
database share the cores, so only ratios of one run compare.

  measurement                     reference                       target
  can-start req/s, c32            the same httpd serving a static   >= 0.6
                                  file of the answer's size          (SQLite, PostgreSQL)
  start req/s, c8 and c32         pgbench -M prepared running the   >= 0.7
  (PostgreSQL)                    module's INSERT, same clients,
                                  same synchronous_commit
  start+message+end cycles/s, c1  the database's own client running report
  (MariaDB, SQLite)               the module's statements in a loop
  p50/p99 latency, c1/c32/c128,   -                                 p99 <= 10 ms
  each endpoint                                                     at c32, PostgreSQL
  soak: RSS per child, open fds,  the start of the soak             < 1 MiB, no growth
  database connections
  httpd error_log: lines at       -                                 none
  error level or above
  big tables (python3 -m harness.bigtables: its rows)

Each measurement prints
  row|<measurement>|<database>|<figure>|<reference>|<ratio>|<target>|<verdict>
(verdict ok, below or report); the rows are collected into a markdown
table (for docs/PERFORMANCE.md), preceded by the machine and the settings,
followed by the time each section took.

Figures are reported, not asserted: the exit status is non-zero only when
the benchmark itself failed: a run that got an answer other than 2xx (an
error page is fast, and its figure worthless), a socket error, a reference
that did not do its work, a missing row or a row without a number.  That
is what `make test` checks (--smoke).

The httpd: event MPM, CHARON_BENCH_PROCS (2) processes of
CHARON_BENCH_THREADS (192) threads, DBDMax CHARON_BENCH_DBDMAX (16) per
process, KeepAlive with no request limit, LogLevel warn and no access log
(a line per request would be what is measured).  The threads must be more
than the most connections any run opens (128): the event MPM does not
share connections evenly between its children, and a child whose workers
are all busy closes a keep-alive connection that sends its next request
instead of serving it (listener_thread() in server/mpm/event/event.c: a
readable keep-alive socket gets get_worker() without blocking, then
shutdown_connection() when no worker is idle; process_keepalive_queue(0),
"All workers are busy or dying"); wrk counts a read error.  With more
threads in each child than connections, no child runs out, and a socket
error stays a defect (measured: 4 smoke runs with errors in 300 with 128
threads, 0 in 150 with 192, same load; wrk -c128 on can-start alone, 1 s
runs: read errors in 3 of 100 with 128 threads, in 0 of 300 with 192).

The databases are harness/db.py's: PostgreSQL with fsync off and
synchronous_commit CHARON_BENCH_PG_SYNC (off, set on the database, so that
pgbench and the module run with the same), MariaDB with
innodb_flush_log_at_trx_commit=2, SQLite in WAL mode with synchronous
CHARON_BENCH_SQLITE_SYNC (NORMAL, set by DBDInitSQL and in the sqlite3
client alike; FULL measures the disk's fsync, a few hundred commits per
second here).  Other settings: CHARON_BENCH_SECONDS (seconds per figure),
CHARON_BENCH_SOAK (requests of the main soak: PostgreSQL's, else the first
database's), CHARON_BENCH_SOAK_OTHER (the other databases'),
CHARON_BENCH_SOAK_CONNS (16), CHARON_BENCH_USER (httpd's user as root:
www-data), CHARON_BENCH_LOGDIR (build/bench: each run's output, the
error_log, table.md).

Run as root (httpd's children then run as www-data, PostgreSQL as
postgres; everything they read is copied to a private /tmp directory) or
as a plain user.  Everything started here is stopped when the program
ends, also on failure or Ctrl-C.

The parts: bench_figures.py (each section's figures), bench_db.py
(databases and their baselines), bench_soak.py, bench_report.py (rows,
checks, the table), bench_big.py (the big tables, python3 -m
harness.bigtables), and the harness's wrk.py, sqldump.py, db.py, httpd.py.
"""

import os
import re
import shutil
import sys
import threading
from dataclasses import dataclass, field

from . import (bench_figures, bench_report, bench_soak, httpd, proc, sqldump,
               stats, wrk)
from .bench_big import BigTables
from .bench_db import BenchDb
from .bench_figures import PG_CONCS
from .bench_report import verdict
from .db import PG_BIN
from .proc import Failure

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DBS = ("pgsql", "mysql", "sqlite")
WARMUP_CONNS = 128      # the warm-up's burst of can-start

say = proc.say_as("bench")


@dataclass
class Options:
    mode: str = "full"
    dbs: list = field(default_factory=list)
    secs: int = 2
    soak: int = 1000000
    soak_other: int = 50000
    soak_conns: int = 16
    procs: int = 2
    threads: int = 192
    dbdmax: int = 16
    pg_sync: str = "off"
    sqlite_sync: str = "NORMAL"
    bigtables: str = "1"
    logdir: str = ""
    user: str = "www-data"
    concs: tuple = (1, 32, 128)
    ncrons: int = 64            # crons bench-1 .. bench-64, ids 1 .. 64
    nmsg_exec: int = 1000       # open executions that receive messages

    @property
    def soak_main(self):
        return "pgsql" if "pgsql" in self.dbs else self.dbs[0]

    @property
    def warm(self):
        return 2 if self.secs >= 2 else 1

    @property
    def rounds(self):
        """(rounds, seconds per round) of a figure beside its reference.
        Rounds of at least 2 s: pgbench needs about 0.5 s here to open 32
        connections, which it leaves out of its tps but not out of -T;
        quick and smoke: 1 s (wrk needs no ramp)."""
        n, secs = (2, max(self.secs // 2, 2)) if self.secs >= 2 else (1, 2)
        return n, secs if self.mode == "full" else self.secs

    @property
    def most_connections(self):
        return max(self.concs + PG_CONCS + (WARMUP_CONNS, self.soak_conns))


def parse_args(argv, env):
    """Options from the command line and CHARON_BENCH_*; None for --help;
    Failure on anything wrong."""
    mode = "quick" if env.get("QUICK", "0") not in ("", "0") else "full"
    dbs, secs, soak = [], None, None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in ("--quick", "--smoke"):
            mode = a[2:]
        elif a in ("--seconds", "--soak"):
            if not args:
                raise Failure("%s needs a number" % a)
            v = args.pop(0)
            secs, soak = (v, soak) if a == "--seconds" else (secs, v)
        elif a in DBS:
            if a not in dbs:
                dbs.append(a)
        elif a in ("-h", "--help"):
            return None
        else:
            raise Failure("unknown argument '%s'" % a)
    defaults = {"full": (2, 1000000, 50000), "quick": (1, 10000, 5000),
                "smoke": (1, 5000, 5000)}[mode]

    def number(value, name):
        if not re.fullmatch(r"[0-9]+", str(value)):
            raise Failure("%s must be a whole number, not '%s'" % (name, value))
        return int(value)

    o = Options(mode=mode)
    o.dbs = dbs or (["sqlite"] if mode == "smoke" else list(DBS))
    o.secs = number(secs or env.get("CHARON_BENCH_SECONDS", defaults[0]),
                    "--seconds")
    o.soak = number(soak or env.get("CHARON_BENCH_SOAK", defaults[1]),
                    "--soak")
    o.soak_other = min(o.soak, number(env.get("CHARON_BENCH_SOAK_OTHER",
                                              defaults[2]),
                                      "CHARON_BENCH_SOAK_OTHER"))
    for name, default in (("soak_conns", 16), ("procs", 2), ("threads", 192),
                          ("dbdmax", 16)):
        var = "CHARON_BENCH_" + name.upper()
        setattr(o, name, number(env.get(var, default), var))
    o.pg_sync = env.get("CHARON_BENCH_PG_SYNC", "off")
    o.sqlite_sync = env.get("CHARON_BENCH_SQLITE_SYNC", "NORMAL")
    o.bigtables = env.get("CHARON_BENCH_BIGTABLES", "1")
    o.logdir = env.get("CHARON_BENCH_LOGDIR", os.path.join(TOP, "build",
                                                           "bench"))
    o.user = env.get("CHARON_BENCH_USER", "www-data")
    if mode == "quick":     # c1 and c32 (the target's): within 2 minutes
        o.concs = (1, 32)
    if o.secs < 1:
        raise Failure("--seconds must be at least 1")
    if o.procs < 1 or o.dbdmax < 1:
        raise Failure("CHARON_BENCH_PROCS and CHARON_BENCH_DBDMAX must be at "
                      "least 1")
    if o.threads <= o.most_connections:
        raise Failure(
            "CHARON_BENCH_THREADS=%d must be above the most connections a run "
            "opens (%d): a child of the event MPM whose threads are all busy "
            "closes keep-alive connections instead of serving them, which wrk "
            "counts as socket errors (see python3 -m harness.bench --help)"
            % (o.threads, o.most_connections))
    return o


class Bench:
    """One run: the databases in turn, then the big tables, then the table."""

    def __init__(self, o):
        self.o = o
        self.say = say
        self.rows, self.failures = [], []
        self.sections = bench_report.Sections(say)
        self.kind = ""                  # the database being measured
        self.bdb = self.httpd = None
        self.key = proc.random_password(16)
        self.headers = {"X-API-KEY": self.key}
        self.ncpu = len(os.sched_getaffinity(0))
        self.rates = {}
        self.cycle_rps = 1000.0
        self.settings = {}
        self.bg = None                  # the last database, stopping
        self.work = self.module = self.user = self.dump = self.big = None

    # ------------------------------------------------------------ records

    def fail(self, msg):
        msg = ("[%s] " % self.kind if self.kind else "") + msg
        self.failures.append(msg)
        print("bench: FAILED: %s" % msg, file=sys.stderr, flush=True)

    def row(self, measurement, figure, reference, ratio, target, v, db=None):
        r = (measurement, db or self.kind, figure, reference, ratio, target, v)
        self.rows.append(r)
        print(bench_report.row_line(r), flush=True)

    def wrk(self, label, conc, secs, url, script="report.lua", args=(),
            threads=None):
        """One wrk run, its output kept in the log directory as
        <db>-<label>.txt; its failures are the benchmark's."""
        label = "%s-%s" % (self.kind, label)
        r = wrk.run(os.path.join(self.o.logdir, label + ".txt"), url, conc,
                    secs, script, args, threads, self.headers)
        for f in r.failures:
            self.fail("%s: %s" % (label, f))
        if r.non2xx:
            for line in proc.file_tail(self.httpd.error_log, 5).splitlines():
                print("    error_log: " + line, file=sys.stderr)
        return r

    def latency(self, ep, c, r):
        """The latency row of one wrk run (or of wrk.Rounds) of endpoint
        ep at concurrency c; its rate is kept for later sections."""
        self.rates[ep][c] = r.rps
        target, v = "-", "ERROR" if r.failed else "report"
        if self.kind == "pgsql" and c == 32:
            target, v = "p99 <= 10 ms", verdict(r.failed, r.p99_ms <= 10)
        self.row("latency %s, c%d" % (ep, c), "p50 %.2f ms, p99 %.2f ms "
                 "(%.0f req/s)" % (r.p50_ms, r.p99_ms, r.rps), "-", "-",
                 target, v)

    def others(self, ep, script, args=()):
        """ep at the concurrencies not taken beside a reference."""
        for c in self.o.concs:
            if c not in self.rates[ep]:
                self.latency(ep, c, self.wrk("%s-c%d" % (ep, c), c,
                                             self.o.secs, self.base(ep),
                                             script, args))

    def base(self, ep):
        return self.httpd.base + ("bench-1/can-start" if ep == "can-start"
                                  else "")

    def section(self, name, fn):
        """A section of the current database: its time is recorded, and a
        Failure in it is the benchmark's (the next section still runs)."""
        self.sections.start(self.kind, name)
        try:
            fn(self)
        except Failure as e:
            self.fail(str(e))

    # ------------------------------------------------------------ the run

    def run_db(self, kind):
        """Every figure of one database; its httpd and server are left
        stopping in the background while the next one starts."""
        o = self.o
        self.kind = kind
        self.rates = {ep: {} for ep in bench_report.ENDPOINTS}
        self.sections.start(kind, "setup")
        t = Target(kind, BenchDb(kind, self.work, self.user, o.ncrons),
                   o.logdir)
        self.bdb = t.bdb
        try:
            t.bdb.setup(TOP, o.pg_sync, o.sqlite_sync)
        except Failure as e:
            self.fail("database setup failed: %s" % e)
            t.stop()
            self.sections.end()
            return
        t.guard()
        self.settings[kind] = t.bdb.settings
        self.httpd = t.httpd = httpd.Httpd(
            os.path.join(self.work, "httpd-" + kind), self.module,
            self.httpd_body(t.bdb), user=self.user, writer="harness/bench.py")
        t.httpd.write()
        # The previous database stopped while this one started: gone now,
        # before anything is measured.
        self.wait_bg()
        try:
            t.httpd.start()
        except Failure as e:
            self.fail(str(e))
            t.stop()
            self.sections.end()
            return
        # Warm-up: every child opens its DBDMax connections (mod_dbd opens
        # them one at a time, under the pool's lock: the first burst after
        # a start waits for that, up to hundreds of ms at p99 here), and
        # runs every statement once on them.
        self.sections.start(kind, "warm-up")
        self.wrk("warmup-1", WARMUP_CONNS, o.warm, self.base("can-start"))
        self.cycle_rps = self.wrk("warmup-2", o.soak_conns, o.warm,
                                  t.httpd.base, "cycle.lua",
                                  [1, o.ncrons, "bench-", 1],
                                  threads=o.soak_conns).rps
        f = bench_figures
        self.section("can-start vs a static file", f.can_start)
        self.section("start", f.start)
        self.section("message", f.message)
        self.section("end", f.end)
        if kind != "pgsql":
            self.section("cycle: start+message+end vs the database's client",
                         f.cycle)
        if kind == "pgsql" and self.big.beside_soak:
            self.big.launch(["pgsql"], wait_for=True)
        # The full soak on one database (PostgreSQL when it is measured:
        # the fastest here), a shorter one on the others, so that the
        # default run stays within 10 minutes.
        n = o.soak if kind == o.soak_main else o.soak_other
        self.section("soak: %d requests" % n, lambda b: bench_soak.soak(b, n))
        self.sections.start(kind, "stop")
        f.error_log_row(self)
        self.bg = t.stop_in_background()
        self.sections.end()

    def httpd_body(self, bdb):
        """httpd's configuration after harness/httpd.py's head."""
        o = self.o
        htdocs = os.path.join(self.work, "htdocs")
        return (
            "# No access log: a line written per request would be the "
            "bottleneck.\n"
            "# A fixed set of processes: none is started or stopped during "
            "the run\n# (the soak follows each one's memory).\n"
            + httpd.event_mpm(o.procs, o.threads, max_connections_per_child=0)
            + "# The static reference is read(), not mmap()ed: on a VM, an "
            "mmap and\n# munmap per request of a threaded process (TLB "
            "shootdowns) halves the\n# static rate, which would flatter the "
            "module's ratio.\nEnableMMAP Off\n"
            'DocumentRoot "%s"\n<Directory "%s">\n    Require all granted\n'
            "</Directory>\n\n" % (htdocs, htdocs)
            + httpd.dbd(bdb.db.driver, bdb.db.dbd_params, keep=o.dbdmax,
                        max=o.dbdmax, exptime=300, init_sql=bdb.init_sql)
            + httpd.api_location([("bench", self.key)]))

    def wait_bg(self):
        if self.bg:
            self.bg.wait()
            self.bg = None

    # ------------------------------------------------------------- the run

    def run(self):
        o = self.o
        t_all = proc.now()
        load_before = bench_report.load_average()
        busy = ""
        if float(load_before.split()[0]) > 0.5:
            busy = (" (something else was using the CPU when the run began: "
                    "the figures are noisier, the ratios less so)")
            say("warning: load average %s: something else is using the CPU"
                % load_before)
        shutil.rmtree(o.logdir, ignore_errors=True)
        os.makedirs(o.logdir)
        say("mode %s: %d s per figure, soak %d requests; databases %s; logs "
            "in %s" % (o.mode, o.secs, o.soak, " ".join(o.dbs), o.logdir))
        self.work = proc.temp_dir("bench", 0o755)  # postgres, httpd go below
        os.makedirs(os.path.join(self.work, "htdocs"))
        self.module = httpd.copy_module(TOP, self.work)
        self.user = proc.is_root() and o.user or None
        if self.user:
            proc.user_ids(self.user)
        # The statements the module runs, as this checkout has them.
        self.dump = sqldump.load(TOP)
        # PostgreSQL's big tables load beside its soak: it comes last.
        self.big = BigTables(self, self.work)
        if self.big.beside_soak:
            o.dbs = [d for d in o.dbs if d != "pgsql"] + ["pgsql"]
        try:
            for kind in o.dbs:
                self.run_db(kind)
            self.wait_bg()
            self.kind = ""
            self.sections.start("", "big tables")
            self.big.finish()
            self.sections.end()
        except BaseException:
            print("bench: aborted; logs in %s" % o.logdir, flush=True)
            raise
        total = stats.fmt(proc.now() - t_all)
        for p in bench_report.problems(self.rows, bench_report.expected_rows(
                o.dbs, o.concs)):
            self.fail(p)
        text = bench_report.table_md(
            o.mode, bench_report.settings(o, self.settings, self.ncpu,
                                          load_before, busy),
            self.rows, o.dbs, self.sections.line(total))
        path = os.path.join(o.logdir, "table.md")
        with open(path, "w") as f:
            f.write(text)
        print("\n" + text, flush=True)
        if self.failures:
            say("%d failures (the figures above are not to be trusted):"
                % len(self.failures))
            for x in self.failures:
                print("  - " + x)
        say("total time %s s; table in %s" % (total, path))
        return 1 if self.failures else 0


class Target:
    """A database and the httpd on it: stop() stops both and keeps their
    logs, also from the cleanup stack on an abort."""

    def __init__(self, kind, bdb, logdir):
        self.kind, self.bdb, self.logdir = kind, bdb, logdir
        self.httpd = None
        self._thread = self._joiner = self._handle = None

    def guard(self):
        """From now on an abort stops both, keeping their logs, before the
        servers' own cleanups run (the database's deletes its log)."""
        self._handle = proc.cleanup.push(self._teardown)

    def _teardown(self):
        if self.httpd:
            self.httpd.stop()
            try:
                shutil.copy(self.httpd.error_log, os.path.join(
                    self.logdir, "%s-error_log" % self.kind))
            except OSError:
                pass
        self.bdb.teardown(self.logdir)

    def stop(self):
        if self._handle:
            proc.cleanup.done(self._handle)
        else:
            self._teardown()

    def stop_in_background(self):
        """stop() in a thread (the next database starts meanwhile); wait()
        for it. Until then an abort waits for it too: stopped half-way, a
        server would be left running."""
        proc.cleanup.done(self._handle, run=False)
        self._thread = threading.Thread(target=self._teardown, daemon=True)
        self._thread.start()
        self._joiner = proc.cleanup.push(self._thread.join)
        return self

    def wait(self):
        self._thread.join()
        proc.cleanup.done(self._joiner, run=False)


def preflight(o):
    """What the run needs, or a Failure that says what is missing."""
    if not os.access(httpd.HTTPD, os.X_OK):
        raise Failure("%s not found (apt-get install apache2)" % httpd.HTTPD)
    if not os.path.isfile(os.path.join(httpd.MODULES, "mod_mpm_event.so")):
        raise Failure("%s/mod_mpm_event.so not found" % httpd.MODULES)
    if not os.path.isfile(os.path.join(TOP, ".libs", "mod_charon.so")):
        raise Failure("%s/.libs/mod_charon.so is missing: run make first" % TOP)
    for c in ("wrk", "make", "cc"):
        if not shutil.which(c):
            raise Failure("%s not found (make deps)" % c)
    need = {"pgsql": os.path.join(PG_BIN, "pgbench"), "mysql": "mariadb",
            "sqlite": "sqlite3"}
    for d in o.dbs:
        if not shutil.which(need[d]):
            raise Failure("%s not found (make deps)" % need[d])


def main():
    try:
        o = parse_args(sys.argv[1:], os.environ)
        if o is None:
            print(__doc__)
            return 0
        preflight(o)
    except Failure as e:
        print("bench: %s" % e, file=sys.stderr)
        return 2
    return Bench(o).run()


if __name__ == "__main__":
    proc.main("bench", main)
