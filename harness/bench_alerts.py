"""What delivering alerts costs the API: its latency at 32 connections
while 1,000 alerts are being delivered, beside the same with none.

    python3 -m harness.bench_alerts [--quick | --smoke] [--alerts N]
                                    [--seconds S] [--delay-ms MS]
                                    [sqlite] [pgsql] [mysql]

  (default)  SQLite (name the databases to measure others), 1,000 alerts
             a round, wrk runs of 10 s: about 90 s a database
  --quick    (or QUICK=1) runs of 5 s: about a minute a database
  --smoke    100 alerts, runs of 2 s: that it runs (25 s; make test)

For each database, a fresh one on 127.0.0.1 (harness/db.py, set up as
make bench sets it up: bench-1 .. bench-64 for the load, SQLite's
synchronous NORMAL, PostgreSQL's synchronous_commit off) and an httpd
with the module (event MPM, 2 processes x 64 threads, DBDMax 16,
CharonWatchdogInterval 2s) and one alert channel:

    CharonAlert bench http://127.0.0.1:PORT/hook crons=alert-*

to a webhook sink of this process (harness/sinks.py) that answers 200
after --delay-ms (20 ms), so that each delivery takes time, as a real
receiver's does.  The crons alert-R-1 .. alert-R-N each have a run open.

For each load, can-start (wrk, report.lua: the read a job makes before
it runs) and cycle (cycle.lua: start, message, end, as a job does; the
writes that share the database with the deliveries' records), all at
c32:

  A  none     wrk with no alert queued
  B  alerts   the N open runs of a round ended as failed, in one UPDATE
              (the database's triggers write their outcomes, as the
              module's end does); the watchdog's next tick moves the N
              crons down and queues N events, the channel's delivery
              threads (one in each child) send them; wrk runs from the
              first delivery on (the watchdog goes on moving crons down
              meanwhile, for as many ticks as it takes)
  A' after    wrk again once every event of the round has arrived: how
              far the machine drifted while B ran

and what the deliveries did: how many arrived during B and at what rate,
the time from the UPDATE to the first and to the last, duplicates (the
same X-Charon-Event-Id twice; at least once allows them), and over how
long the watchdog made the events.

Prints one `row|...` line per figure and a markdown table at the end
(for docs/PERFORMANCE.md, "Alerts"), kept with wrk's output and httpd's
error_log in build/bench-alerts (CHARON_BENCH_LOGDIR).  Figures are
reported, not asserted: the exit status is non-zero only when the
benchmark itself failed (a wrk run with errors or non-2xx answers, an
alert that did not arrive, a crash in the error_log).
"""

import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field

from . import bench_report, httpd, proc, stats, wrk
from .bench_db import NOW, BenchDb
from .db import PG_BIN
from .proc import Failure
from .sinks import WebhookSink

say = proc.say_as("bench-alerts")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DBS = ("sqlite", "pgsql", "mysql")
KEY = "bench-alerts-key-0123456789abcdef"
NCRONS = 64                 # bench-1 .. bench-64: the load's crons
ALERT_ID0 = 100000          # alert-R-I is cron ALERT_ID0 + (R - 1) * N + I
CONC = 32
ENDPOINTS = ("can-start", "cycle")
SLUG_RE = re.compile(r"^alert-(\d+)-\d+$")


@dataclass
class Options:
    mode: str = "full"
    dbs: list = field(default_factory=list)
    alerts: int = 1000
    secs: int = 10
    delay_ms: int = 20
    procs: int = 2
    threads: int = 64
    dbdmax: int = 16
    interval: int = 2       # CharonWatchdogInterval, seconds
    logdir: str = ""
    user: str = "www-data"


def parse_args(argv, env):
    """Options from the command line and the environment; None for
    --help; Usage when something is wrong."""
    p = bench_report.mode_parser("bench_alerts")
    p.add_argument("--alerts", type=int)
    p.add_argument("--seconds", type=int)
    p.add_argument("--delay-ms", type=int)
    p.add_argument("dbs", nargs="*")
    a = p.parse_args(argv)
    if a.help:
        return None
    mode = bench_report.mode_of(a, env)
    alerts, secs = {"full": (1000, 10), "quick": (1000, 5),
                    "smoke": (100, 2)}[mode]
    o = Options(mode=mode)
    o.alerts = a.alerts if a.alerts is not None else alerts
    o.secs = a.seconds if a.seconds is not None else secs
    o.delay_ms = a.delay_ms if a.delay_ms is not None else 20
    for d in a.dbs:
        if d not in DBS:
            raise proc.Usage("unknown database %r (sqlite, pgsql, mysql)" % d)
        if d not in o.dbs:
            o.dbs.append(d)
    o.dbs = o.dbs or ["sqlite"]
    if o.alerts < 1 or o.secs < 1 or o.delay_ms < 0:
        raise proc.Usage("--alerts and --seconds must be at least 1, "
                         "--delay-ms at least 0")
    o.logdir = env.get("CHARON_BENCH_LOGDIR",
                       os.path.join(TOP, "build", "bench-alerts"))
    o.user = env.get("CHARON_BENCH_USER", "www-data")
    return o


# ----------------------------------------------------------------- SQL ---

def series(kind, n):
    """The numbers 1..n as a table g(n), in the database's own way."""
    if kind == "pgsql":
        return "generate_series(1, %d) AS g(n)" % n
    if kind == "mysql":
        return "(SELECT seq AS n FROM seq_1_to_%d) AS g" % n
    return ("(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
            "WHERE n < %d) SELECT n FROM s) AS g" % n)


def concat(kind, *parts):
    if kind == "mysql":
        return "CONCAT(%s)" % ", ".join(parts)
    return " || ".join(parts)


def seed_sql(kind, rnd, n):
    """Round rnd's crons alert-<rnd>-1 .. alert-<rnd>-n, each with a run
    open (api_key bench-alerts-<rnd>): explicit ids, as bench-1 .. 64
    have (PostgreSQL's identity is not moved by them)."""
    first = ALERT_ID0 + (rnd - 1) * n
    slug = concat(kind, "'alert-%d-'" % rnd, "g.n")
    name = concat(kind, "'Alert bench cron %d-'" % rnd, "g.n")
    return [
        "INSERT INTO charon_cron (id, slug, name) SELECT %d + g.n, %s, %s "
        "FROM %s;" % (first, slug, name, series(kind, n)),
        "INSERT INTO charon_execution (cron_id, started_at, api_key, "
        "remote_addr) SELECT id, %s, 'bench-alerts-%d', '127.0.0.1' FROM "
        "charon_cron WHERE id > %d AND id <= %d;"
        % (NOW[kind], rnd, first, first + n)]


def queue_sql(kind, rnd):
    """Round rnd's open runs ended as failed in one statement: the
    triggers write one outcome each, as the module's end does."""
    false = "0" if kind == "sqlite" else "FALSE"
    return ("UPDATE charon_execution SET ended_at = %s, success = %s, "
            "type = 'error' WHERE api_key = 'bench-alerts-%d' AND ended_at "
            "IS NULL;" % (NOW[kind], false, rnd))


def events_sql(kind, rnd):
    """Round rnd's events: how many, and the seconds from the first one
    made to the last."""
    if kind == "pgsql":
        span = "EXTRACT(EPOCH FROM MAX(e.created_at) - MIN(e.created_at))"
    elif kind == "mysql":
        span = ("TIMESTAMPDIFF(MICROSECOND, MIN(e.created_at), "
                "MAX(e.created_at)) / 1000000")
    else:
        span = ("(julianday(MAX(e.created_at)) - julianday(MIN(e.created_at)))"
                " * 86400")
    return ("SELECT COUNT(*), %s FROM charon_alert_event e JOIN charon_cron c "
            "ON c.id = e.cron_id WHERE c.slug LIKE 'alert-%d-%%';"
            % (span, rnd))


# ------------------------------------------------------------- figures ---

def arrivals(requests, rnd):
    """[(time, event id)] of the sink's requests for round rnd's crons,
    oldest first."""
    out = []
    for r in requests:
        try:
            doc = json.loads(r["body"])
            slug = doc["cron"]["slug"]
        except (ValueError, KeyError, TypeError):
            continue
        m = SLUG_RE.match(slug or "")
        if m and int(m.group(1)) == rnd:
            out.append((r["time"], r["headers"].get("x-charon-event-id")
                        or doc.get("id")))
    out.sort(key=lambda x: x[0])
    return out


@dataclass
class Delivery:
    """What the deliveries of one round did."""
    n: int                  # alerts queued
    received: int           # requests that came
    distinct: int           # distinct event ids among them
    during_b: int           # requests that came while B's wrk ran
    b_start_s: float        # B's wrk ran from b_start_s to b_end_s
    b_end_s: float          # after the UPDATE
    first_s: float          # from the UPDATE to the first request
    last_s: float           # ... to the last (the N-th distinct id)

    @property
    def b_secs(self):
        return self.b_end_s - self.b_start_s

    @property
    def duplicates(self):
        return self.received - self.distinct

    @property
    def rate_b(self):
        return self.during_b / self.b_secs if self.b_secs > 0 else 0.0

    @property
    def rate_all(self):
        busy = self.last_s - self.first_s
        return (self.distinct - 1) / busy if busy > 0 else 0.0

    @property
    def covered(self):
        """Whether deliveries went on until B's end."""
        return self.last_s >= self.b_end_s


def delivery(arr, n, t_queue, b0, b1):
    """The Delivery of arrivals arr (arrivals()) of n alerts queued at
    t_queue, B's wrk running from b0 to b1 (times of time.time())."""
    ids = set()
    first = last = None
    for t, i in arr:
        if i not in ids:
            ids.add(i)
            last = t
        first = t if first is None else first
    return Delivery(
        n=n, received=len(arr), distinct=len(ids),
        during_b=sum(1 for t, _ in arr if b0 <= t <= b1),
        b_start_s=b0 - t_queue, b_end_s=b1 - t_queue,
        first_s=(first - t_queue) if first is not None else 0.0,
        last_s=(last - t_queue) if last is not None else 0.0)


def latency_text(r):
    return "p50 %.2f ms, p99 %.2f ms, %.0f req/s" % (r.p50_ms, r.p99_ms,
                                                      r.rps)


def ratio_text(b, a):
    return "p50 x%s, p99 x%s, req/s x%s" % (
        stats.ratio(b.p50_ms, a.p50_ms), stats.ratio(b.p99_ms, a.p99_ms),
        stats.ratio(b.rps, a.rps))


def delivery_text(d):
    return ("%d delivered during B (%.0f/s); first %.1f s after the "
            "UPDATE, all %d after %.1f s (%.0f/s); %d duplicates" % (
                d.during_b, d.rate_b, d.first_s, d.n, d.last_s, d.rate_all,
                d.duplicates))


def table(rows):
    return stats.markdown_table(["figure", "database", "value", "note"],
                                [list(r) for r in rows])


# ----------------------------------------------------------------- run ---

class Run:
    """One database: its httpd, the sink, the rounds."""

    def __init__(self, o, kind, work, module):
        self.o, self.kind, self.work, self.module = o, kind, work, module
        self.rows, self.failures = [], []
        self.bdb = self.h = self.sink = self.sink_handle = None
        self.rnd = 0

    def row(self, what, value, note=""):
        r = (what, self.kind, value, note)
        self.rows.append(r)
        print("row|%s|%s|%s|%s" % r, flush=True)

    def fail(self, msg):
        msg = "[%s] %s" % (self.kind, msg)
        self.failures.append(msg)
        print("bench-alerts: FAILED: %s" % msg, file=sys.stderr, flush=True)

    def start(self):
        o = self.o
        self.bdb = BenchDb(self.kind, self.work,
                           o.user if proc.is_root() else None, NCRONS)
        self.bdb.setup(TOP, "off", "NORMAL")
        for rnd in range(1, len(ENDPOINTS) + 1):
            for st in seed_sql(self.kind, rnd, o.alerts):
                self.bdb.sql(st)
        want = NCRONS + len(ENDPOINTS) * o.alerts
        if self.bdb.value("SELECT COUNT(*) FROM charon_cron") != str(want):
            raise Failure("seeding the alert crons failed")
        if self.kind == "pgsql":
            # Now, not by autovacuum in the middle of a figure.
            self.bdb.sql("ANALYZE;")
        self.sink = WebhookSink().start()
        self.sink_handle = proc.cleanup.push(self.sink.stop)
        self.plan()
        body = (
            "# No access log: a line per request would be what is "
            "measured.\n"
            + httpd.event_mpm(o.procs, o.threads, max_connections_per_child=0)
            + httpd.dbd(self.bdb.db.driver, self.bdb.db.dbd_params,
                        keep=o.dbdmax, max=o.dbdmax, exptime=300,
                        init_sql=self.bdb.init_sql)
            + "CharonWatchdogInterval %ds\n" % o.interval
            + "CharonAlert bench http://127.0.0.1:%d/hook crons=alert-*\n\n"
            % self.sink.port
            + httpd.api_location([("bench", KEY)]))
        self.h = httpd.Httpd(os.path.join(self.work, "httpd-" + self.kind),
                             self.module, body, user=o.user,
                             writer="harness/bench_alerts.py")
        self.h.start()

    def plan(self):
        self.sink.plan(None, [{"status": 200,
                               "delay": self.o.delay_ms / 1000.0}])

    def wrk(self, ep, label, secs):
        name = "%s-%s-%s" % (self.kind, ep, label)
        out = os.path.join(self.o.logdir, name + ".txt")
        if ep == "can-start":
            r = wrk.run(out, self.h.base + "bench-1/can-start", CONC, secs,
                        headers={"X-API-KEY": KEY})
        else:
            # cycle.lua wants a thread per connection.
            r = wrk.run(out, self.h.base, CONC, secs, "cycle.lua",
                        [1, NCRONS, "bench-", 0], threads=CONC,
                        headers={"X-API-KEY": KEY})
        for f in r.failures:
            self.fail("%s: %s" % (name, f))
        return r

    def warm(self):
        """Every child's connections opened, every statement run once."""
        for ep in ENDPOINTS:
            self.wrk(ep, "warm-up", 2)

    def first_arrival(self, rnd, timeout):
        end = time.monotonic() + timeout
        while not arrivals(self.sink.requests(), rnd):
            if time.monotonic() > end:
                raise Failure("round %d: no alert arrived within %d s of the "
                              "UPDATE" % (rnd, timeout))
            time.sleep(0.02)

    def drained(self, rnd, timeout):
        """Waits until every event of round rnd has come (distinct ids);
        its arrivals."""
        end = time.monotonic() + timeout
        while True:
            arr = arrivals(self.sink.requests(), rnd)
            if len({i for _, i in arr}) >= self.o.alerts:
                return arr
            if time.monotonic() > end:
                self.fail("round %d: %d of %d alerts arrived in %d s" % (
                    rnd, len({i for _, i in arr}), self.o.alerts, timeout))
                return arr
            time.sleep(0.2)

    def endpoint(self, ep):
        o = self.o
        self.rnd += 1
        rnd = self.rnd
        # The last round's requests forgotten: the polls below parse
        # what the sink holds, and must stay cheap.
        self.sink.reset()
        self.plan()
        a = self.wrk(ep, "none", o.secs)
        t_queue = time.time()
        self.bdb.sql(queue_sql(self.kind, rnd))
        # B begins with the first delivery: the watchdog's next tick
        # (CharonWatchdogInterval) moves the crons down first.
        self.first_arrival(rnd, 30 + 3 * o.interval)
        b0 = time.time()
        b = self.wrk(ep, "alerts", o.secs)
        b1 = time.time()
        arr = self.drained(rnd, 60 + o.alerts // 5)
        # A late repeat (at least once) would still count: give it a beat.
        time.sleep(1)
        arr = arrivals(self.sink.requests(), rnd)
        after = self.wrk(ep, "after", o.secs)
        d = delivery(arr, o.alerts, t_queue, b0, b1)
        got = self.bdb.sql(events_sql(self.kind, rnd))[0]
        events, made_s = int(got[0] or 0), float(got[1] or 0)
        if events != o.alerts:
            self.fail("round %d: %d events made for %d crons down"
                      % (rnd, events, o.alerts))
        what = "%s c%d" % (ep, CONC)
        self.row(what + ", A: no alert", latency_text(a))
        self.row(what + ", B: %d alerts being delivered" % o.alerts,
                 latency_text(b))
        self.row(what + ", B / A", ratio_text(b, a),
                 "" if d.covered else "the deliveries ended %.1f s into "
                 "B's %.0f s" % (d.last_s - d.b_start_s, d.b_secs))
        self.row(what + ", A': no alert, after", latency_text(after),
                 "drift: p50 x%s, req/s x%s against A" % (
                     stats.ratio(after.p50_ms, a.p50_ms),
                     stats.ratio(after.rps, a.rps)))
        self.row("alerts during %s's B" % ep, delivery_text(d),
                 "events made over %.1f s; the sink answers 200 after %d ms"
                 % (made_s, o.delay_ms))

    def error_log(self):
        n, first, crash = bench_report.error_log_summary(self.h.log_since())
        if crash:
            self.fail("httpd crashed: " + " ".join(crash))
        self.row("httpd error_log: lines at error level or above",
                 "%d" % n, first)

    def stop(self):
        if self.h:
            self.h.stop()
            try:
                shutil.copy(self.h.error_log, os.path.join(
                    self.o.logdir, "%s-error_log" % self.kind))
            except OSError:
                pass
        if self.sink:
            proc.cleanup.done(self.sink_handle)
        if self.bdb:
            self.bdb.teardown(self.o.logdir)

    def run(self):
        try:
            self.start()
            self.warm()
            for ep in ENDPOINTS:
                self.endpoint(ep)
            self.error_log()
        except Failure as e:
            self.fail(str(e))
        finally:
            self.stop()


def preflight(o):
    if not os.path.isfile(os.path.join(TOP, ".libs", "mod_charon.so")):
        raise Failure("%s/.libs/mod_charon.so is missing: run make first"
                      % TOP)
    if not shutil.which("wrk"):
        raise Failure("wrk not found (make deps)")
    need = {"pgsql": os.path.join(PG_BIN, "postgres"),
            "mysql": "mariadb", "sqlite": "sqlite3"}
    for d in o.dbs:
        if not shutil.which(need[d]):
            raise Failure("%s not found (make deps)" % need[d])


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
    say("mode %s: %d alerts a round, wrk runs of %d s at c%d, sink delay "
        "%d ms; databases %s; logs in %s" % (
            o.mode, o.alerts, o.secs, CONC, o.delay_ms, " ".join(o.dbs),
            o.logdir))
    work = proc.temp_dir("bench-alerts", 0o755)
    module = httpd.copy_module(TOP, work)
    t0 = time.monotonic()
    rows, failures = [], []
    for kind in o.dbs:
        say("%s" % kind)
        r = Run(o, kind, work, module)
        r.run()
        rows += r.rows
        failures += r.failures
    head = [
        "### Alerts (%s, mode %s)" % (time.strftime("%Y-%m-%d %H:%M UTC",
                                                    began), o.mode),
        "",
        "- machine: " + bench_report.machine_line(
            len(os.sched_getaffinity(0))),
        "- load average before: %s, after: %s" % (
            load_before, bench_report.load_average()),
        "- httpd: event MPM, %d processes x %d threads, DBDMax %d, "
        "CharonWatchdogInterval %ds; one channel, a webhook to a sink on "
        "127.0.0.1 answering 200 after %d ms" % (
            o.procs, o.threads, o.dbdmax, o.interval, o.delay_ms),
        "- load: wrk at c%d for %d s a run; %d alerts a round (%d crons "
        "down at once)" % (CONC, o.secs, o.alerts, o.alerts),
        ""]
    text = "\n".join(head) + table(rows) + "\n%s s in all\n" % stats.fmt(
        time.monotonic() - t0)
    return bench_report.finish(o.logdir, text, failures, say)


if __name__ == "__main__":
    proc.main("bench-alerts", lambda: main(sys.argv[1:]))
