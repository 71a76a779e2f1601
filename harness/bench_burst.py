"""The minute-0 burst: every job of a fleet calls start at the same moment
(issue 18).  10,000 POST start from 200 clients at once against one
httpd, on each database, beside the database's own client doing the same
inserts from as many connections.

    python3 -m harness.bench_burst [--quick | --smoke] [--requests N]
                                   [--clients C] [--ab P]
                                   [pgsql] [mysql] [sqlite]

  (default)  ab -n 10000 -c 200 on each of the three databases (those
             named, else all; always in the order PostgreSQL, MariaDB,
             SQLite: PostgreSQL's wall time is SQLite's yardstick):
             about 30 s for the three on 2 cores
  --quick    (or QUICK=1) -n 2000 -c 200
  --smoke    -n 500 -c 50: that it runs (about 16 s for the three)
  --requests N, --clients C  the burst's size (N a multiple of C: pgbench
             gives each client as many)
  --ab P     P ab processes instead of one, each on a cron of its own
             (crons 1..P), sharing the clients and the requests: see
             below why one is the default

For each database, a fresh one on 127.0.0.1 (harness/db.py, set up as make
bench sets it up: 100 crons bench-1 .. bench-100, concurrency 'allow', so
that no start is refused for a lock; SQLite's synchronous NORMAL,
PostgreSQL's synchronous_commit off), and an httpd with the module, set
up as make bench's: event MPM, CHARON_BENCH_PROCS (2) processes x
CHARON_BENCH_THREADS (192) threads, DBDMax CHARON_BENCH_DBDMAX (16) per
process, no access log, LogLevel warn charon:debug (the module then logs
each connection it opens, CHARON113, and each statement it runs again,
CHARON109; nothing per request).  Before the burst, wrk on can-start at
128 keep-alive connections opens every child's connections, as a server
that has been up for a while has them, and one POST start per cron the
burst uses checks that it answers 200 with an id.

The burst: ab, no keep-alive (a job is a process of its own, with a
connection of its own), POST {id}/start with an empty body (no schedule)
and the key's header.  The ab processes open one FIFO as their -p file
and block there until this program opens it for writing: they start
together, however long starting them took.  The wall time runs from that
moment to the last ab's exit; p50 and p99 are over every request of every
ab (ab -g: each request's time, connect to last byte, in whole ms);
non-2xx is what the abs report ("Non-2xx responses").  The database must
then hold one new execution per 2xx answer.  The spread of the latencies
is given in steps of 100 ms: apr_dbd_sqlite3 sleeps 100 ms each time it
finds the database locked.

One ab by default: ab takes one URL, so starts spread over crons need
several abs, and each then has its own share of the requests to do: the
wall time becomes the unluckiest ab's.  On SQLite, whose waiters are
overtaken by whoever comes next, 10 abs of c20 finished between 1.3 and
4.5 s, and the burst's wall time doubled; the same 10 abs all on one
cron did the same (4.2 and 4.9 s against 4.5 and 5.2), so it is the
shares, not the crons: SQLite locks the database, PostgreSQL and MariaDB
take no lock a start of another cron would not take.  The reference then
inserts into the crons the burst uses (cron 1).

The reference, right after the burst, httpd stopped: the database's own
client running the module's START statement (build/sql_dump) from C
connections: PostgreSQL pgbench -n -M prepared -c C -j 2 -t N/C (its wall
time without its connection time, latency from --log); MariaDB C
`mariadb` processes, SQLite C `sqlite3` processes (.timeout 5000), each
running its share in one session, all connected (blocked reading their
scripts) before the clock starts; latency from the client's own timing
(mariadb -vvv, sqlite3 .timer: to the millisecond).  The reference's
errors (a locked database, a deadlock) are counted, not fatal.
PostgreSQL's max_connections is raised to 300 (a restart before httpd
starts) and MariaDB's to 500 for it.

Issue 18's targets, for SQLite: p99 < 250 ms, no answer other than 2xx,
a wall time at most 1.5 times PostgreSQL's in the same run.  Its row says
which are met (verdict ok or below); the other databases' rows report.

Prints one `row|...` line per figure and a markdown table at the end
(docs/PERFORMANCE.md, "The minute-0 burst"), after a summary in the
issue's shape; the table, ab's and the clients' output, httpd's error_log
and the servers' logs are kept in build/bench-burst (CHARON_BENCH_LOGDIR).
Figures are reported, not asserted: the exit status is non-zero only when
the benchmark itself failed (a setup that did not work, an ab that failed
or saw socket errors, a database that does not hold one execution per
2xx answer, a reference that did not do its work, a crash in the
error_log).
"""

import errno
import glob
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

from . import bench_report, httpd, proc, sqldump, stats, wrk
from .bench_db import DIALECT, BenchDb, pgbench_figures, pgbench_script
from .burst_figures import (REF_TAG, client_errors, client_latencies,
                            client_scripts, log_codes, ms, parse_ab,
                            parse_gnuplot, parse_pgbench_log, plan, shares,
                            spread, sqlite_targets)
from .clients_together import (children_cpu, feed, launch, wait_all,
                               wait_ready)
from .db import PG_BIN
from .proc import Failure

say = proc.say_as("bench-burst")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DBS = ("pgsql", "mysql", "sqlite")      # the order they run in
NAMES = {"pgsql": "PostgreSQL", "mysql": "MariaDB", "sqlite": "SQLite"}
KEY = "bench-burst-key-0123456789abcdef"
KEY_NAME = "burst"              # the executions' api_key: the module's
WARM_CONNS = 128                # the warm-up's can-start, as make bench's
NCRONS = 100                    # the fleet's crons: bench-1 .. bench-100
PG_MAX_CONNECTIONS = 300
MY_MAX_CONNECTIONS = 500


@dataclass
class Options:
    mode: str = "full"
    dbs: list = field(default_factory=list)
    requests: int = 10000
    clients: int = 200
    ab: int = 1                 # ab processes, each on a cron of its own
    warm: int = 2               # seconds of the warm-up
    procs: int = 2
    threads: int = 192
    dbdmax: int = 16
    pg_sync: str = "off"
    sqlite_sync: str = "NORMAL"
    logdir: str = ""
    user: str = "www-data"


def parse_args(argv, env):
    """Options from the command line and the environment; None for
    --help; Usage when something is wrong."""
    p = bench_report.mode_parser("bench_burst")
    p.add_argument("--requests", type=int)
    p.add_argument("--clients", type=int)
    p.add_argument("--ab", type=int)
    p.add_argument("dbs", nargs="*")
    a = p.parse_args(argv)
    if a.help:
        return None
    mode = bench_report.mode_of(a, env)
    requests, clients, warm = {"full": (10000, 200, 2),
                               "quick": (2000, 200, 1),
                               "smoke": (500, 50, 1)}[mode]
    o = Options(mode=mode, warm=warm)
    o.requests = a.requests if a.requests is not None else requests
    o.clients = a.clients if a.clients is not None else clients
    o.ab = a.ab if a.ab is not None else 1
    for d in a.dbs:
        if d not in DBS:
            raise proc.Usage("unknown database %r (pgsql, mysql, sqlite)" % d)
    o.dbs = [d for d in DBS if d in a.dbs] if a.dbs else list(DBS)
    if o.clients < 1 or o.requests < o.clients or not 1 <= o.ab <= NCRONS:
        raise proc.Usage("--clients must be at least 1, --requests at least "
                         "--clients, --ab within 1..%d" % NCRONS)
    if o.requests % o.clients:
        raise proc.Usage("--requests (%d) must be a multiple of --clients "
                         "(%d): pgbench gives each client the same number"
                         % (o.requests, o.clients))
    for name in ("procs", "threads", "dbdmax"):
        var = "CHARON_BENCH_" + name.upper()
        v = env.get(var, str(getattr(o, name)))
        if not re.fullmatch(r"[1-9][0-9]*", v):
            raise proc.Usage("%s must be a whole number above 0, not '%s'"
                             % (var, v))
        setattr(o, name, int(v))
    if o.threads < 2:
        raise proc.Usage("CHARON_BENCH_THREADS must be at least 2")
    o.pg_sync = env.get("CHARON_BENCH_PG_SYNC", "off")
    o.sqlite_sync = env.get("CHARON_BENCH_SQLITE_SYNC", "NORMAL")
    o.logdir = env.get("CHARON_BENCH_LOGDIR",
                       os.path.join(TOP, "build", "bench-burst"))
    o.user = env.get("CHARON_BENCH_USER", "www-data")
    return o


# ------------------------------------------------------------ results ---

@dataclass
class Load:
    """What one side of the comparison did."""
    wall: float = 0.0               # seconds
    latencies: list = field(default_factory=list)   # ms
    done: int = 0                   # requests answered / statements run
    bad: int = 0                    # non-2xx / statements that failed
    note: str = ""

    @property
    def p50(self):
        return stats.percentile(self.latencies, 50)

    @property
    def p99(self):
        return stats.percentile(self.latencies, 99)

    def text(self, bad_word):
        lat = ("p50 %s, p99 %s" % (ms(self.p50), ms(self.p99))
               if self.latencies else "no latency")
        return "wall %.2f s (%.0f/s), %s, %d %s" % (
            self.wall, self.done / self.wall if self.wall else 0, lat,
            self.bad, bad_word)


# ----------------------------------------------------------------- run ---

class Run:
    """One database: its httpd, the burst, the reference."""

    def __init__(self, o, kind, work, module, dump):
        self.o, self.kind, self.work = o, kind, work
        self.module, self.dump = module, dump
        self.rows, self.failures = [], []
        self.bdb = self.h = None
        self.burst = self.ref = None
        self.ref_what = ""
        self.codes = {}
        self.made = 0
        self.busy = None                # SQLite: SQLITE_BUSY in the burst
        self.log_errors = (0, "")
        self.handle = None
        # The crons the burst and the reference start: as many as ab
        # processes.
        self.ncrons = min(o.ab, o.clients)

    def row(self, measurement, figure, reference="-", ratio="-", target="-",
            verdict="report"):
        r = (measurement, self.kind, figure, reference, ratio, target,
             verdict)
        self.rows.append(r)
        print(bench_report.row_line(r), flush=True)

    def fail(self, msg):
        msg = "[%s] %s" % (self.kind, msg)
        self.failures.append(msg)
        print("bench-burst: FAILED: %s" % msg, file=sys.stderr, flush=True)

    def path(self, name):
        return os.path.join(self.o.logdir, "%s-%s" % (self.kind, name))

    def sqlite_busy(self):
        """SQLite: charon_sqlite_busy_total now; else None."""
        if self.kind != "sqlite":
            return None
        n = self.h.sqlite_busy()
        if n is None:
            raise Failure("no charon_sqlite_busy_total in /charon-metrics")
        return n

    def count(self, tag):
        return int(self.bdb.value("SELECT COUNT(*) FROM charon_execution "
                                  "WHERE api_key = '%s'" % tag))

    # ---------------------------------------------------------- setup

    def start(self):
        o, k = self.o, self.kind
        self.bdb = BenchDb(k, self.work, o.user if proc.is_root() else None,
                           NCRONS)
        self.bdb.setup(TOP, o.pg_sync, o.sqlite_sync)
        self.handle = proc.cleanup.push(self.teardown)
        # Room for the reference's connections beside the module's.
        if k == "pgsql":
            self.bdb.sql("ALTER SYSTEM SET max_connections = %d;"
                         % PG_MAX_CONNECTIONS)
            self.bdb.db.restart()
            self.bdb.sql("ANALYZE;")
            self.bdb.settings = ", ".join(
                "%s=%s" % (s, self.bdb.value("SHOW " + s))
                for s in ("synchronous_commit", "fsync", "max_connections"))
        elif k == "mysql":
            self.bdb.sql("SET GLOBAL max_connections = %d;"
                         % MY_MAX_CONNECTIONS)
            self.bdb.settings += ", max_connections=%s" % self.bdb.value(
                "SELECT @@max_connections")
        body = (
            "# No access log: a line per request would be what is "
            "measured.\n"
            + httpd.event_mpm(o.procs, o.threads, max_connections_per_child=0)
            + httpd.dbd(self.bdb.db.driver, self.bdb.db.dbd_params,
                        keep=o.dbdmax, max=o.dbdmax, exptime=300,
                        init_sql=self.bdb.init_sql)
            + httpd.api_location([(KEY_NAME, KEY)])
            + httpd.METRICS_LOCATION)
        self.h = httpd.Httpd(os.path.join(self.work, "httpd-" + k),
                             self.module, body, user=o.user,
                             log_level="warn charon:debug",
                             writer="harness/bench_burst.py")
        self.h.start()

    def warm(self):
        """Every child's connections opened (can-start at 128 keep-alive
        connections, as make bench warms up), then one start of each
        cron the burst uses, which must answer 200 with an id."""
        # Fewer connections than a child has threads (bench.py says why).
        r = wrk.run(self.path("warm-up.txt"), self.h.base + "bench-1/can-start",
                    min(WARM_CONNS, self.o.threads - 1), self.o.warm,
                    headers={"X-API-KEY": KEY})
        for f in r.failures:
            self.fail("warm-up: %s" % f)
        for cron in range(1, self.ncrons + 1):
            status, body = self.h.request("POST", self.h.base + "%d/start"
                                          % cron, {"X-API-KEY": KEY}, b"",
                                          timeout=10)
            if status != 200 or not re.search(rb'"id":\s*\d+', body or b""):
                raise Failure("POST %d/start answered %s %r" % (
                    cron, status, (body or b"")[:200]))
        time.sleep(1)       # the warm-up's connections closed, its load gone

    # ---------------------------------------------------------- burst

    def run_burst(self):
        o = self.o
        groups = plan(o.requests, o.clients, o.ab)
        fifo = os.path.join(self.work, "burst-%s.fifo" % self.kind)
        os.mkfifo(fifo, 0o644)
        before = self.count(KEY_NAME)
        busy0 = self.sqlite_busy()
        log_at = self.h.log_size()
        say("%s: ab -n %d -c %d%s" % (
            self.kind, o.requests, o.clients,
            " in %d processes, each on its own cron" % len(groups)
            if len(groups) > 1 else ", cron 1"))
        procs, outs = [], []
        cpu0 = children_cpu()
        for i, (cron, n, c) in enumerate(groups, 1):
            out = open(self.path("ab-%d.txt" % i), "w")
            outs.append(out)
            procs.append(launch(
                ["ab", "-q", "-l", "-r", "-s", "30", "-n", str(n), "-c",
                 str(c), "-p", fifo, "-T", "application/json", "-H",
                 "X-API-KEY: " + KEY, "-g", self.path("ab-%d.tsv" % i),
                 "%s%d/start" % (self.h.base, cron)],
                stdout=out, stderr=subprocess.STDOUT))
        try:
            if not wait_ready(procs, "wait_for_partner"):
                say("warning: not every ab was waiting after 30 s; started "
                    "anyway")
            t0 = proc.now()
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError as e:
                if e.errno != errno.ENXIO:
                    raise
                raise Failure("no ab was waiting on the FIFO") from None
            t1 = wait_all(procs, 120 + o.requests / 20)
        finally:
            for p in procs:
                proc.cleanup.done(p.cleanup)
            for out in outs:
                out.close()
        b = Load(wall=t1 - t0)
        cpu = children_cpu() - cpu0
        taken = []
        for i, p in enumerate(procs, 1):
            text = proc.read_text(self.path("ab-%d.txt" % i))
            r = parse_ab(text)
            if p.returncode != 0 or r is None:
                self.fail("ab %d exited %s: %s" % (i, p.returncode, " ".join(
                    proc.tail(text, 3).split("\n"))))
                continue
            b.done += r["complete"]
            b.bad += r["non2xx"]
            taken.append(r["seconds"])
            if r["failed"] or r["write_errors"]:
                self.fail("ab %d: %d failed requests (%s), %d write errors"
                          % (i, r["failed"], r["breakdown"],
                             r["write_errors"]))
            b.latencies += parse_gnuplot(proc.read_text(
                self.path("ab-%d.tsv" % i)))
        if b.done != o.requests:
            self.fail("ab answered %d requests of %d" % (b.done, o.requests))
        if len(b.latencies) != b.done:
            self.fail("ab -g recorded %d requests of %d answered"
                      % (len(b.latencies), b.done))
        made = self.count(KEY_NAME) - before
        if made != b.done - b.bad:
            self.fail("the database holds %d new executions for %d 2xx "
                      "answers" % (made, b.done - b.bad))
        b.note = ("%d executions for %d 2xx answers; ab's own times %.2f to "
                  "%.2f s, its CPU %.2f s" % (
                      made, b.done - b.bad, min(taken or [0]),
                      max(taken or [0]), cpu))
        self.burst = b
        self.made = made
        busy1 = self.sqlite_busy()
        if busy0 is not None and busy1 is not None:
            self.busy = busy1 - busy0
        log = self.h.log_since(log_at)
        self.codes = log_codes(log)
        n, first, crash = bench_report.error_log_summary(log)
        if crash:
            self.fail("httpd crashed: " + " ".join(crash))
        self.log_errors = (n, first)

    # ------------------------------------------------------ reference

    def run_reference(self):
        """The database's own client, httpd stopped."""
        self.stop_httpd()
        before = self.count(REF_TAG)
        if self.kind == "pgsql":
            r = self.pgbench()
        else:
            r = self.clients()
        made = self.count(REF_TAG) - before
        if made + r.bad != self.o.requests:
            self.fail("the reference inserted %d rows and reported %d "
                      "failures, for %d statements" % (made, r.bad,
                                                       self.o.requests))
        self.ref = r

    def pgbench(self):
        o = self.o
        script = os.path.join(self.work, "burst.pgbench")
        text = pgbench_script(self.dump.dialect("pgsql"), self.ncrons)
        with open(script, "w") as f:
            f.write(text)
        prefix = self.path("pgbench-log")
        jobs = min(2, o.clients)
        argv = [os.path.join(self.bdb.db.bin, "pgbench"), "-n", "-M",
                "prepared", "-c", str(o.clients), "-j", str(jobs), "-t",
                str(o.requests // o.clients), "-D", "key=" + REF_TAG, "-D",
                "addr=127.0.0.1", "-f", script, "--log",
                "--log-prefix=" + prefix, "-h", "127.0.0.1", "-p",
                str(self.bdb.db.port), "-U", "postgres", "charon"]
        self.ref_what = "pgbench -M prepared -c %d -j %d -t %d" % (
            o.clients, jobs, o.requests // o.clients)
        say("%s: %s, the module's INSERT:" % (self.kind, self.ref_what))
        print("".join("    %s\n" % l for l in text.splitlines()), end="",
              flush=True)
        t0 = proc.now()
        p = proc.run(argv, check=False)
        wall_all = proc.now() - t0
        out = p.stdout + p.stderr
        with open(self.path("pgbench.txt"), "w") as f:
            f.write(out)
        tps, done, failed = pgbench_figures(out)
        if p.returncode != 0 or not tps or done is None:
            raise Failure("pgbench failed (exit %d): %s" % (
                p.returncode, " ".join(proc.tail(out, 3).split("\n"))))
        m = re.search(r"^initial connection time = ([0-9]+)", out, re.M)
        lat = []
        for path in sorted(glob.glob(prefix + ".*")):
            lat += parse_pgbench_log(proc.read_text(path))
        if len(lat) != done:
            self.fail("pgbench logged %d transactions of %d" % (len(lat),
                                                                 done))
        return Load(wall=done / tps, latencies=lat, done=done,
                    bad=failed or 0,
                    note="without its %s ms of connecting (%.2f s with it)"
                    % (m.group(1) if m else "?", wall_all))

    def clients(self):
        """C clients, each its share of the statements in one session,
        all connected before the clock starts."""
        o, k = self.o, self.kind
        d = self.dump.dialect(DIALECT[k])
        scripts = client_scripts(k, d, o.requests, o.clients, self.ncrons,
                                 o.sqlite_sync)
        nhead = len(d.init) + (2 if k == "sqlite" else 0)
        if k == "mysql":
            db = self.bdb.db
            argv = ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P",
                    str(db.port), "-u", "charon", "-p" + db.password,
                    "--force", "-N", "-B", "-vvv", "charon"]
            user = None
            self.ref_what = "%d mariadb clients" % o.clients
        else:
            argv = ["sqlite3", "-batch", "-init", "/dev/null", "-cmd",
                    ".timeout 5000", self.bdb.db.file]
            user = self.bdb.db.client_user
            self.ref_what = "%d sqlite3 clients (.timeout 5000)" % o.clients
        say("%s: %s, each its share in one session; the first's script:"
            % (k, self.ref_what))
        print("".join("    %s\n" % l[:156] for l in
                      scripts[0].decode().splitlines()[:nhead + 3]),
              end="", flush=True)
        cdir = self.path("clients")     # their output: opened here
        os.makedirs(cdir, exist_ok=True)
        procs, files = [], []
        try:
            for i in range(o.clients):
                out = open(os.path.join(cdir, "%d.out" % i), "w")
                err = open(os.path.join(cdir, "%d.err" % i), "w")
                files += [out, err]
                procs.append(launch(argv, user, stdin=subprocess.PIPE,
                                    stdout=out, stderr=err))
            if not wait_ready(procs, "pipe"):
                say("warning: not every client was waiting after 30 s; "
                    "started anyway")
            t0 = proc.now()
            feed(procs, scripts)
            t1 = wait_all(procs, 120 + o.requests / 20)
        finally:
            for p in procs:
                proc.cleanup.done(p.cleanup)
            for f in files:
                f.close()
        r = Load(wall=t1 - t0)
        for i, (p, (_, n)) in enumerate(zip(procs, shares(o.requests,
                                                           o.clients))):
            out = proc.read_text(os.path.join(cdir, "%d.out" % i))
            err = proc.read_text(os.path.join(cdir, "%d.err" % i))
            bad = client_errors(k, err)
            if p.returncode not in (0, 1) or (p.returncode and not bad):
                self.fail("client %d exited %s: %s" % (
                    i, p.returncode, " ".join(proc.tail(err, 2).split("\n"))))
            r.bad += bad
            r.done += n
            r.latencies += client_latencies(k, out, n - bad)
        if r.bad:
            r.note = "%d statements failed (see %s)" % (r.bad, cdir)
        return r

    # ------------------------------------------------------------ rows

    def report(self, pg_wall):
        """The rows of this database (pg_wall: PostgreSQL's burst wall
        time in this run, for SQLite's target)."""
        o, b, r = self.o, self.burst, self.ref
        what = "burst: %d POST start, %d clients at once" % (o.requests,
                                                             o.clients)
        ref = "-"
        ratio = "-"
        if r:
            ref = "%s, same INSERT: %s%s" % (
                self.ref_what, r.text("failed"),
                " (%s)" % r.note if r.note else "")
            ratio = "wall x%s" % stats.ratio(b.wall, r.wall)
        target, v = "-", "report"
        if self.kind == "sqlite":
            target, v = sqlite_targets(b.wall, b.p99, b.bad, pg_wall)
        if self.failures:
            v = "ERROR"
        self.row(what, b.text("non-2xx"), ref, ratio, target, v)
        self.row("burst: where the latencies fall", "%s; max %s" % (
            spread(b.latencies), ms(max(b.latencies or [0]))),
            spread(r.latencies) if r else "-")
        n, first = self.log_errors
        codes = ", ".join("%s x%d" % kv for kv in sorted(self.codes.items()))
        self.row("burst: httpd error_log", "%d at error level%s; the "
                 "module's lines: %s" % (n, " (first: %s)" % first
                                         if first else "", codes or "none"),
                 "-", "-", "none at error level",
                 bench_report.verdict(False, n == 0))
        if self.busy is not None:
            # Each one was a 100 ms sleep in apr_dbd_sqlite3.
            self.row("burst: SQLITE_BUSY met (charon_sqlite_busy_total)",
                     "%d" % self.busy, "-", "-", "0",
                     bench_report.verdict(False, self.busy == 0))
        self.row("burst: executions written", b.note, "-", "-",
                 "one per 2xx answer",
                 bench_report.verdict(False, self.made == b.done - b.bad))

    # -------------------------------------------------------- the end

    def stop_httpd(self):
        if self.h:
            self.h.stop()
            try:
                shutil.copy(self.h.error_log, self.path("error_log"))
            except OSError:
                pass
            self.h = None

    def teardown(self):
        self.stop_httpd()
        if self.bdb:
            self.bdb.teardown(self.o.logdir)

    def run(self):
        try:
            self.start()
            self.warm()
            self.run_burst()
            self.run_reference()
        except Failure as e:
            self.fail(str(e))
        finally:
            if self.handle:
                proc.cleanup.done(self.handle)
            else:
                self.teardown()


# ------------------------------------------------------------- report ---

def summary(runs):
    """The issue's table: one line a database."""
    rows = []
    for r in runs:
        b, ref = r.burst, r.ref
        if not b:
            continue
        rows.append([
            NAMES[r.kind], "%.2f s" % b.wall, ms(b.p50), ms(b.p99),
            "%d" % b.bad,
            ("%.2f s, %s, %s%s" % (ref.wall, ms(ref.p50), ms(ref.p99),
                                   ", %d failed" % ref.bad if ref.bad else "")
             if ref else "-"),
            "x" + stats.ratio(b.wall, ref.wall) if ref else "-"])
    return stats.markdown_table(
        ["database", "wall time", "p50", "p99", "non-2xx",
         "its own client, same inserts: wall, p50, p99",
         "wall / client's"], rows)


def head_lines(o, runs, load_before, began):
    versions = {
        "pgsql": "PostgreSQL " + bench_report.version(
            [os.path.join(PG_BIN, "postgres"), "-V"], r"\) (\S+)"),
        "mysql": "MariaDB " + bench_report.version(
            ["mariadbd", "--version"], r"Ver (\S+)"),
        "sqlite": "SQLite " + bench_report.version(["sqlite3", "--version"],
                                                   r"^(\S+)")}
    groups = plan(o.requests, o.clients, o.ab)
    cs = " or ".join(sorted({str(c) for _, _, c in groups}, key=int))
    lines = [
        "### The minute-0 burst (%s, mode %s)" % (
            time.strftime("%Y-%m-%d %H:%M UTC", began), o.mode),
        "",
        "- machine: " + bench_report.machine_line(
            len(os.sched_getaffinity(0))),
        "- load average before: %s, after: %s" % (
            load_before, bench_report.load_average()),
        "- httpd: %s; event MPM, %d processes x %d threads, DBDMax %d per "
        "process (make bench's), no access log, LogLevel warn charon:debug"
        % (bench_report.version([httpd.HTTPD, "-v"],
                                r"Server version: *(.*)"),
           o.procs, o.threads, o.dbdmax),
        "- burst: ab %s -n %d -c %d, POST /api/{id}/start with an empty "
        "body, no keep-alive, %s; a warm pool (wrk can-start at c%d first)"
        % (bench_report.version(["ab", "-V"], r"Version (\S+)"),
           o.requests, o.clients,
           "one process, on cron 1" if len(groups) == 1 else
           "%d processes of %s client%s, each on its own cron, released at "
           "once" % (len(groups), cs, "" if cs == "1" else "s"),
           min(WARM_CONNS, o.threads - 1))]
    for r in runs:
        lines.append("- %s: %s" % (versions[r.kind], r.bdb.settings
                                   if r.bdb else "not set up"))
    lines.append("- references: the module's START statement "
                 "(build/sql_dump) from %d connections, httpd stopped"
                 % o.clients)
    return lines


def preflight(o):
    if not os.path.isfile(os.path.join(TOP, ".libs", "mod_charon.so")):
        raise Failure("%s/.libs/mod_charon.so is missing: run make first"
                      % TOP)
    need = ["ab", "wrk"] + [{"pgsql": os.path.join(PG_BIN, "pgbench"),
                             "mysql": "mariadb", "sqlite": "sqlite3"}[d]
                            for d in o.dbs]
    for c in need:
        if not shutil.which(c):
            raise Failure("%s not found (make deps)" % c)


def main(argv):
    o = parse_args(argv, os.environ)
    if o is None:
        print(__doc__)
        return 0
    preflight(o)
    began = time.gmtime()
    load_before = bench_report.load_average()
    shutil.rmtree(o.logdir, ignore_errors=True)
    os.makedirs(o.logdir)
    say("mode %s: %d starts from %d clients, %d ab process%s; databases %s;"
        " logs in %s" % (o.mode, o.requests, o.clients,
                         min(o.ab, o.clients), "" if o.ab == 1 else "es",
                         " ".join(o.dbs), o.logdir))
    work = proc.temp_dir("bench-burst", 0o755)
    module = httpd.copy_module(TOP, work)
    dump = sqldump.load(TOP)
    t0 = proc.now()
    runs, failures, rows = [], [], []
    pg_wall = None
    for kind in o.dbs:
        say("---- %s" % kind)
        r = Run(o, kind, work, module, dump)
        r.run()
        if kind == "pgsql" and r.burst and not r.failures:
            pg_wall = r.burst.wall
        if r.burst:
            r.report(pg_wall)
        runs.append(r)
        failures += r.failures
        rows += r.rows
    text = ("\n".join(head_lines(o, runs, load_before, began)) + "\n\n"
            + summary(runs) + "\n"
            + stats.markdown_table(list(bench_report.HEADER),
                                   [list(r) for r in rows])
            + "\n%s s in all\n" % stats.fmt(proc.now() - t0))
    return bench_report.finish(o.logdir, text, failures, say)


if __name__ == "__main__":
    proc.main("bench-burst", lambda: main(sys.argv[1:]))
