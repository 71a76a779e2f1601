"""What mod_dbd's check of a pooled MySQL connection costs (issue 18).

    python3 -m harness.bench_ping [--quick] [--seconds S] [--rounds N]

mod_dbd checks each connection it hands out of its pool
(apr_dbd_check_conn); apr_dbd_mysql does it with mysql_ping(), one round
trip to the server before every request's first statement.  PostgreSQL's
check reads the connection's state in the client, SQLite's does nothing.

Two httpds on one fresh MariaDB (harness/db.py, set up as make bench sets
it up), configured alike (make bench's: event MPM, CHARON_BENCH_PROCS (2)
processes x 192 threads, DBDMax 16 per process, no access log): "ping",
as shipped, and "no ping", with build/noping.so preloaded, whose
mysql_ping() answers at once without asking the server.  wrk drives
can-start at 32 keep-alive connections on each in turn, with the same
bytes as a static file of the first httpd for the reference, for N rounds
(3, --quick 2) of S seconds (2, --quick 1), alternating, so that the
machine's drift falls on each alike.  MariaDB's Com_admin_commands (which
counts COM_PING) before and after each run gives the pings per request:
about 1 with the check, 0 without (else the preload did not work and the
run fails).

Prints one row| line per figure and a markdown table (docs/PERFORMANCE.md,
"mod_dbd's ping on MariaDB"), kept in build/bench-ping with wrk's output
and the error_logs.  Figures are reported, not asserted; the exit status
is non-zero when the benchmark itself failed (a non-2xx answer, a socket
error, a preload that did not take, a crash in an error_log).
"""

import os
import shutil
import sys
import time

from . import bench_report, httpd, proc, stats, wrk
from .bench_db import BenchDb
from .proc import Failure

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOPING = os.path.join(TOP, "build", "noping.so")
KEY = "bench-ping-key-0123456789"
CONC = 32

say = proc.say_as("bench-ping")


def parse_args(argv, env):
    p = bench_report.mode_parser("bench_ping", smoke=False)
    p.add_argument("--seconds", type=int)
    p.add_argument("--rounds", type=int)
    a = p.parse_args(argv)
    if a.help:
        return None
    a.mode = bench_report.mode_of(a, env)
    quick = a.mode == "quick"
    a.seconds = a.seconds or (1 if quick else 2)
    a.rounds = a.rounds or (2 if quick else 3)
    a.procs = int(env.get("CHARON_BENCH_PROCS", "2"))
    a.logdir = env.get("CHARON_BENCH_LOGDIR",
                       os.path.join(TOP, "build", "bench-ping"))
    a.user = None if not proc.is_root() else "www-data"
    return a


def pings_per_request(bdb, before, r):
    """COM_PING (Com_admin_commands) per request of the wrk run r."""
    after = admin_commands(bdb)
    return (after - before) / r.requests if r.requests else 0.0


def admin_commands(bdb):
    row = bdb.sql("SHOW GLOBAL STATUS LIKE 'Com_admin_commands'")
    return int(row[0][1])


def make_httpd(o, work, module, bdb, name, htdocs, env=None):
    body = (
        "# No access log: a line per request would be what is measured.\n"
        + httpd.event_mpm(o.procs, 192)
        + httpd.dbd(bdb.db.driver, bdb.db.dbd_params, keep=16, max=16,
                    exptime=300)
        + httpd.api_location([("bench", KEY)])
        + 'DocumentRoot "%s"\n<Directory "%s">\n    Require all granted\n'
          "</Directory>\nEnableMMAP Off\n" % (htdocs, htdocs))
    h = httpd.Httpd(os.path.join(work, "httpd-" + name), module, body,
                    user=o.user, writer="harness/bench_ping.py", env=env)
    h.start()
    return h


def main(argv):
    o = parse_args(argv, os.environ)
    if o is None:
        print(__doc__)
        return 0
    for f in (os.path.join(TOP, ".libs", "mod_charon.so"), NOPING):
        if not os.path.isfile(f):
            raise Failure("%s is missing: make bench-ping builds it" % f)
    if not shutil.which("wrk"):
        raise Failure("wrk not found (make deps)")
    began = time.gmtime()
    load_before = bench_report.load_average()
    shutil.rmtree(o.logdir, ignore_errors=True)
    os.makedirs(o.logdir)
    work = proc.temp_dir("bench-ping", 0o755)
    module = httpd.copy_module(TOP, work)
    noping = os.path.join(work, "noping.so")
    shutil.copy(NOPING, noping)
    os.chmod(noping, 0o755)
    htdocs = os.path.join(work, "htdocs")
    os.makedirs(htdocs)
    bdb = BenchDb("mysql", work, o.user, 8)
    bdb.setup(TOP, "off", "NORMAL")
    failures = []
    sides = {}
    try:
        sides["ping"] = make_httpd(o, work, module, bdb, "ping", htdocs)
        sides["no ping"] = make_httpd(o, work, module, bdb, "noping", htdocs,
                                      env={"LD_PRELOAD": noping})
        url = {k: h.base + "bench-1/can-start" for k, h in sides.items()}
        status, body = sides["ping"].request("GET", url["ping"],
                                             {"X-API-KEY": KEY})
        if status != 200 or b"canStart" not in (body or b""):
            raise Failure("can-start answered %s %r" % (status, body))
        with open(os.path.join(htdocs, "can-start.json"), "wb") as f:
            f.write(body)
        static = "http://127.0.0.1:%d/can-start.json" % sides["ping"].port
        rounds = {k: wrk.Rounds() for k in ("ping", "no ping", "static")}
        pings = {"ping": [], "no ping": []}
        # Every pooled connection opened first, on both.
        for k in sides:
            wrk.run(os.path.join(o.logdir, "warm-%s.txt" % k.replace(" ", "")),
                    url[k], CONC, 1, headers={"X-API-KEY": KEY})
        say("%d rounds of %d s at c%d: ping, no ping, static"
            % (o.rounds, o.seconds, CONC))
        for i in range(1, o.rounds + 1):
            for k in ("ping", "no ping"):
                before = admin_commands(bdb)
                r = wrk.run(os.path.join(o.logdir, "%s-%d.txt"
                                         % (k.replace(" ", ""), i)),
                            url[k], CONC, o.seconds,
                            headers={"X-API-KEY": KEY})
                pings[k].append(pings_per_request(bdb, before, r))
                rounds[k].add_run(r)
                failures += ["%s round %d: %s" % (k, i, f) for f in r.failures]
            r = wrk.run(os.path.join(o.logdir, "static-%d.txt" % i), static,
                        CONC, o.seconds)
            rounds["static"].add_run(r)
            failures += ["static round %d: %s" % (i, f) for f in r.failures]
        ping_rate = stats.mean(pings["ping"])
        noping_rate = stats.mean(pings["no ping"])
        if ping_rate < 0.9:
            failures.append("the shipped httpd pinged %.2f times per request:"
                            " mod_dbd's check is not what is measured"
                            % ping_rate)
        if noping_rate > 0.05:
            failures.append("the preloaded httpd still pinged (%.2f per "
                            "request): LD_PRELOAD did not take" % noping_rate)
        for k, h in sides.items():
            n, first, crash = bench_report.error_log_summary(
                h.log_since(0))
            if crash:
                failures.append("%s: httpd crashed: %s" % (k, " ".join(crash)))
    finally:
        for k, h in sides.items():
            h.stop()
            try:
                shutil.copy(h.error_log, os.path.join(
                    o.logdir, "error_log-" + k.replace(" ", "")))
            except OSError:
                pass
        bdb.teardown(o.logdir)
    p, n, s = rounds["ping"], rounds["no ping"], rounds["static"]
    per_req_us = (1e6 / p.rps - 1e6 / n.rps) if p.rps and n.rps else 0.0
    rows = [
        ["can-start req/s, c32, mod_dbd's check (as shipped)",
         "%.0f req/s, p50 %.2f ms, p99 %.2f ms; %.2f pings per request"
         % (p.rps, p.p50_ms, p.p99_ms, ping_rate),
         "static file: %.0f req/s" % s.rps, stats.ratio(p.rps, s.rps)],
        ["can-start req/s, c32, the check answered without the server",
         "%.0f req/s, p50 %.2f ms, p99 %.2f ms; %.2f pings per request"
         % (n.rps, n.p50_ms, n.p99_ms, noping_rate),
         "static file: %.0f req/s" % s.rps, stats.ratio(n.rps, s.rps)],
        ["what the ping costs",
         "%.0f us of the 2 cores per request; the rate x%s"
         % (per_req_us, stats.ratio(p.rps, n.rps)),
         "-", "-"]]
    for r in rows:
        print("row|" + "|".join(str(x) for x in r), flush=True)
    text = "\n".join([
        "### mod_dbd's ping on MariaDB (%s, mode %s)"
        % (time.strftime("%Y-%m-%d %H:%M UTC", began), o.mode), "",
        "- machine: " + bench_report.machine_line(
            len(os.sched_getaffinity(0))),
        "- load average before: %s, after: %s"
        % (load_before, bench_report.load_average()),
        "- MariaDB: %s; two httpds (event MPM, %d x 192 threads, DBDMax 16 "
        "per process), %d rounds of %d s each, alternating" % (
            bdb.settings, o.procs, o.rounds, o.seconds), "",
        stats.markdown_table(["measurement", "figure", "reference",
                              "ratio"], rows)])
    return bench_report.finish(o.logdir, text + "\n", failures, say)


if __name__ == "__main__":
    proc.main("bench-ping", lambda: main(sys.argv[1:]))
