"""What 100,000 scheduled crons cost: one watchdog pass over all of them,
and the API's latency while it runs.

    python3 -m harness.bench_slots [--quick] [--crons N] [--seconds S]
                                   [sqlite] [pgsql] [mysql]

  (default)  100,000 crons on each database named (all three when none),
             latency runs of 10 s
  --quick    (or QUICK=1) 10,000 crons, latency runs of 5 s

For each database, a fresh one on 127.0.0.1 (harness/db.py) and an httpd
with the module (event MPM, 2 x 64 threads, DBDMax 16,
CharonWatchdogInterval 10s so that the run takes minutes, not hours;
LogLevel charon:debug for the watchdog's own figures):

  N crons with schedules, a mix of what people write: */5 * * * * (UTC),
  @hourly in Europe/Paris, 0 3 * * * in America/New_York, @every 1m, and
  a tenth with no schedule.  The watchdog watches them (ten batches of
  1000 a tick: this takes N / 10,000 ticks).

  idle tick    the watchdog's work per tick with every cron watched and
               none due: milliseconds and statements (CHARON309, the
               median of the ticks seen)
  pass         every watched cron made due at once (what it has judged
               moved back 5 minutes: each has one to five slots to judge,
               none with a start, so each slot is missed) until every one
               is judged: the wall time, the ticks it took and the time
               they worked (a tick works at most half the interval), the
               statements, crons judged per second of work, missed rows
  API latency  wrk running cycle.lua (start, message, end, as a job does)
               with 8 connections: once with the watchdog idle, once
               during a pass; p50 and p99 and their ratios

Prints one `row|...` line per figure and a markdown table at the end
(for docs/PERFORMANCE.md).  Figures are reported, not asserted; the exit
status is non-zero when the benchmark itself failed (a pass that did not
end, a wrk run with errors, a missing figure).
"""

import argparse
import os
import re
import statistics
import sys
import time

from . import db, httpd, proc, wrk
from .proc import Failure

say = proc.say_as("bench-slots")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY = "bench-slots-key-0123456789abcdef"
INTERVAL = 10
TICK_RE = re.compile(r"CHARON309: watchdog: tick of (\d+) ms, (\d+) statements")
JUDGED_RE = re.compile(r"CHARON308: watchdog: slots of (\d+) crons judged")

# The schedules, by id modulo 10.
MIX = """CASE {g} % 10
    WHEN 0 THEN NULL WHEN 1 THEN '@hourly' WHEN 2 THEN '0 3 * * *'
    WHEN 3 THEN '@every 1m' ELSE '*/5 * * * *' END"""
ZONES = """CASE {g} % 10
    WHEN 1 THEN 'Europe/Paris' WHEN 2 THEN 'America/New_York' ELSE NULL END"""


def seed_sql(kind, n):
    cols = ("'b-' || g, 'Bench cron ' || g, %s, %s"
            % (MIX.format(g="g"), ZONES.format(g="g")))
    head = "INSERT INTO charon_cron (slug, name, schedule, timezone) "
    if kind == "pgsql":
        return head + "SELECT %s FROM generate_series(1, %d) g;" % (cols, n)
    if kind == "sqlite":
        return ("WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 "
                "FROM s WHERE g < %d) " % n + head + "SELECT %s FROM s;"
                % cols)
    cols = cols.replace("'b-' || g", "CONCAT('b-', g)").replace(
        "'Bench cron ' || g", "CONCAT('Bench cron ', g)")
    return head + "SELECT %s FROM (SELECT seq AS g FROM seq_1_to_%d) s;" % (
        cols, n)


def now_minus(kind, secs):
    if kind == "pgsql":
        return "now() - interval '%d seconds'" % secs
    if kind == "mysql":
        return "UTC_TIMESTAMP(6) - INTERVAL %d SECOND" % secs
    return ("strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '-%d seconds')"
            % secs)


def ticks(h, offset):
    """[(ms, statements)] of the ticks logged after offset."""
    return [(int(a), int(b)) for a, b in TICK_RE.findall(h.log_since(offset))]


def wait(what, fn, timeout, step=1.0):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > end:
            raise Failure("%s: not within %d s" % (what, timeout))
        time.sleep(step)


class Run:
    def __init__(self, kind, n, secs, work):
        self.kind, self.n, self.secs, self.work = kind, n, secs, work
        self.rows = []

    def row(self, what, figure, unit, note=""):
        line = "row|%s|%s|%s|%s|%s" % (what, self.kind, figure, unit, note)
        print(line, flush=True)
        self.rows.append((what, self.kind, figure, unit, note))

    def count(self, sql):
        return int(self.d.value(sql) or 0)

    def start(self):
        d = db.make(self.kind, os.path.join(self.work, self.kind),
                    owner="www-data" if proc.is_root() else None)
        d.start()
        d.load(d.schema(TOP))
        if self.kind == "sqlite":
            d.query("PRAGMA journal_mode = WAL;")
        t = time.monotonic()
        d.query(seed_sql(self.kind, self.n))
        self.row("seed %d crons" % self.n, "%.1f" % (time.monotonic() - t),
                 "s")
        self.d = d
        module = httpd.copy_module(TOP, self.work)
        body = (httpd.event_mpm(2, 64)
                + httpd.dbd(d.driver, d.dbd_params, keep=16, max=16,
                            exptime=300)
                + "CharonWatchdogInterval %ds\n" % INTERVAL
                + httpd.api_location([("bench", KEY)]))
        self.h = httpd.Httpd(os.path.join(self.work, "httpd-" + self.kind),
                             module, body, log_level="warn charon:debug",
                             writer="harness/bench_slots.py")
        self.h.start()

    def watched(self):
        scheduled = self.count("SELECT COUNT(*) FROM charon_cron WHERE "
                               "schedule IS NOT NULL")
        t = time.monotonic()
        off = 0
        wait("every cron watched", lambda: self.count(
            "SELECT COUNT(*) FROM charon_cron_watch") == scheduled,
            timeout=INTERVAL * (self.n // 10000 + 6))
        self.row("watch %d scheduled crons" % scheduled,
                 "%.0f" % (time.monotonic() - t), "s",
                 "10,000 a tick at most")
        # Until the first slots are judged and the ticks are idle again.
        time.sleep(2 * INTERVAL + 12)
        off = self.h.log_size()
        time.sleep(3 * INTERVAL + 1)
        idle = ticks(self.h, off)
        if not idle:
            raise Failure("no watchdog tick logged in %d s" % (3 * INTERVAL))
        ms = statistics.median(t[0] for t in idle)
        st = statistics.median(t[1] for t in idle)
        self.row("idle tick, %d watched" % scheduled, "%.0f" % ms, "ms",
                 "%d statements" % st)
        return scheduled

    def latency(self, label):
        out = os.path.join(self.work, "wrk-%s-%s.txt" % (self.kind, label))
        r = wrk.run(out, self.h.base, 8, self.secs, "cycle.lua",
                    [1, self.n, "b-", 0], threads=8,
                    headers={"X-API-KEY": KEY})
        if r.failed:
            raise Failure("wrk (%s): %s" % (label, "; ".join(r.failures)))
        return r

    def pass_(self, scheduled):
        idle = self.latency("idle")
        rewound = now_minus(self.kind, 300)
        off = self.h.log_size()
        missed0 = self.count("SELECT COUNT(*) FROM charon_execution WHERE "
                             "missed IS NOT NULL")
        self.d.query("UPDATE charon_cron_watch SET checked_until = %s, "
                     "starts_until = %s, next_deadline = %s;"
                     % (rewound, rewound, rewound))
        mark = self.d.value("SELECT MAX(next_deadline) FROM charon_cron_watch")
        t = time.monotonic()
        busy = self.latency("pass")
        busy_secs = time.monotonic() - t
        left = "SELECT COUNT(*) FROM charon_cron_watch WHERE next_deadline " \
               "<= '%s'" % mark
        wait("the pass", lambda: self.count(left) == 0,
             timeout=max(600, self.n // 20), step=0.5)
        wall = time.monotonic() - t
        time.sleep(INTERVAL + 1)       # the last tick's line
        tk = ticks(self.h, off)
        judged = sum(int(x) for x in JUDGED_RE.findall(self.h.log_since(off)))
        work_ms = sum(x[0] for x in tk)
        stmts = sum(x[1] for x in tk)
        missed = self.count("SELECT COUNT(*) FROM charon_execution WHERE "
                            "missed IS NOT NULL") - missed0
        self.row("pass over %d crons: wall time" % scheduled, "%.0f" % wall,
                 "s", "%d ticks of %d s" % (len(tk), INTERVAL))
        self.row("pass: the ticks' work", "%.1f" % (work_ms / 1000.0), "s",
                 "%.0f crons/s of work" % (judged / (work_ms / 1000.0))
                 if work_ms else "")
        self.row("pass: statements", "%d" % stmts, "",
                 "%.1f a cron" % (stmts / float(judged or 1)))
        self.row("pass: missed rows", "%d" % missed, "",
                 "%d crons judged" % judged)
        if busy_secs > wall:
            note = "the pass ended %.0f s into the %d s run" % (wall, self.secs)
        else:
            note = "the whole run during the pass"
        for q in ("p50", "p99"):
            a = getattr(idle, q + "_ms")
            b = getattr(busy, q + "_ms")
            self.row("API %s (start+message+end, c8)" % q,
                     "%.2f / %.2f" % (a, b), "ms idle / in a pass",
                     "x%.2f; %s" % (b / a if a else 0, note))
        self.row("API cycles/s", "%.0f / %.0f" % (idle.get("cycles") / idle.duration,
                 busy.get("cycles") / busy.duration), "idle / in a pass", "")

    def run(self):
        self.start()
        scheduled = self.watched()
        self.pass_(scheduled)
        self.h.stop()
        self.d.stop()


def table(rows):
    out = ["| figure | database | value | unit | note |",
           "|---|---|---|---|---|"]
    out += ["| %s | %s | %s | %s | %s |" % r for r in rows]
    return "\n".join(out)


def main(argv):
    p = argparse.ArgumentParser(prog="python3 -m harness.bench_slots")
    p.add_argument("--quick", action="store_true",
                   default=os.environ.get("QUICK") == "1")
    p.add_argument("--crons", type=int)
    p.add_argument("--seconds", type=int)
    p.add_argument("dbs", nargs="*")
    a = p.parse_args(argv)
    dbs = a.dbs or ["sqlite", "pgsql", "mysql"]
    for k in dbs:
        if k not in ("sqlite", "pgsql", "mysql"):
            raise proc.Usage("unknown database %r" % k)
    n = a.crons or (10000 if a.quick else 100000)
    secs = a.seconds or (5 if a.quick else 10)
    work = proc.temp_dir("bench-slots", mode=0o755)
    rows = []
    for k in dbs:
        say("%s: %d crons" % (k, n))
        r = Run(k, n, secs, work)
        try:
            r.run()
        finally:
            rows += r.rows
    print()
    print("%d crons, CharonWatchdogInterval %ds, %d CPUs, %s" % (
        n, INTERVAL, os.cpu_count(), time.strftime("%Y-%m-%d")))
    print(table(rows))
    return 0


if __name__ == "__main__":
    proc.main("bench-slots", lambda: main(sys.argv[1:]))
