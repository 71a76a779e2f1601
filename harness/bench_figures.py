"""The benchmark's figures on one database, each beside its reference.

Each function takes the run (harness.bench.Bench: its wrk runs, rows,
failures, the current httpd and database) and adds its rows:

  can_start    can-start at c32 beside the same bytes as a static file of
               the same httpd, then its latency at the other concurrencies
  start        PostgreSQL: at c8 and c32 beside pgbench running the
               module's INSERT; then latency at each concurrency
  message      latency at each concurrency, on open executions made by SQL
  end          the same, each execution ended once
  cycle        MariaDB, SQLite: start+message+end cycles at c1 beside the
               database's own client running the module's statements
  error_log_row  httpd's error_log at level error and above

A figure and its reference are taken in alternating rounds (module,
reference, module, reference), so that a machine whose speed drifts (a
VM's neighbours) moves both alike (wrk.Rounds adds them up).
"""

import os
import re

from . import bench_report, stats, wrk
from .bench_db import CLIENT, DIALECT, cycle_script, pgbench_script
from .bench_report import at_least, verdict
from .proc import Failure

PG_CONCS = (8, 32)      # start beside pgbench


def can_start(b):
    """can-start beside the same bytes served as a static file."""
    url = b.base("can-start")
    status, body = b.httpd.request("GET", url, b.headers)
    if not re.search(rb'"canStart":.*true', body or b""):
        raise Failure("can-start answered %s '%s'" % (status, body))
    with open(os.path.join(b.work, "htdocs", "can-start.json"), "wb") as f:
        f.write(body)
    static = "http://127.0.0.1:%d/can-start.json" % b.httpd.port
    if b.httpd.request("GET", static)[1] != body:
        raise Failure("the static file is not served")
    m, ref = wrk.Rounds(), wrk.Rounds()
    n, secs = b.o.rounds
    for i in range(1, n + 1):
        m.add_run(b.wrk("can-start-c32-%d" % i, 32, secs, url))
        ref.add_run(b.wrk("static-c32-%d" % i, 32, secs, static))
    b.latency("can-start", 32, m)
    r = stats.ratio(m.rps, ref.rps)
    failed = m.failed or ref.failed
    target, v = "-", "ERROR" if failed else "report"
    if b.kind != "mysql":
        target, v = ">= 0.6", verdict(failed, at_least(r, 0.6))
    b.row("can-start req/s, c32, keep-alive", "%.0f req/s" % m.rps,
          "static file of %d bytes: %.0f req/s" % (len(body), ref.rps), r,
          target, v)
    b.others("can-start", "report.lua")


def start(b):
    """start: on PostgreSQL beside pgbench, then every concurrency."""
    args = [1, b.o.ncrons]
    if b.kind != "pgsql":
        b.latency("start", 32, b.wrk("start-c32", 32, b.o.secs, b.httpd.base,
                                     "start.lua", args))
        b.others("start", "start.lua", args)
        return
    # pgbench runs the module's INSERT with -M prepared, as the module
    # does (prepared statements on pooled connections), same clients,
    # same duration, same database settings.
    script = os.path.join(b.work, "start.pgbench")
    text = pgbench_script(b.dump.dialect("pgsql"), b.o.ncrons)
    with open(script, "w") as f:
        f.write(text)
    b.say("pgbench script (src/db/dialect_pgsql.c ST_START, pgsql):")
    print("".join("    %s\n" % l for l in text.splitlines()), end="",
          flush=True)
    sync = b.bdb.value("SHOW synchronous_commit")
    n, secs = b.o.rounds
    secs = max(secs, 2)             # pgbench's rounds, and the module's
    for c in PG_CONCS:
        m, ref = wrk.Rounds(), wrk.Rounds()
        for i in range(1, n + 1):
            m.add_run(b.wrk("start-c%d-%d" % (c, i), c, secs, b.httpd.base,
                            "start.lua", args))
            tps, failures = b.bdb.pgbench(script, c, secs, os.path.join(
                b.o.logdir, "pgsql-pgbench-c%d-%d.txt" % (c, i)))
            for f in failures:
                b.fail(f)
            ref.add(tps, 1, failed=bool(failures))
        if c in b.o.concs:
            b.latency("start", c, m)
        b.rates["start"][c] = m.rps
        r = stats.ratio(m.rps, ref.rps)
        b.row("start req/s, c%d" % c, "%.0f req/s" % m.rps,
              "pgbench -M prepared, same INSERT: %.0f tps "
              "(synchronous_commit=%s)" % (ref.rps, sync), r, ">= 0.7",
              verdict(m.failed or ref.failed, at_least(r, 0.7)))
    b.others("start", "start.lua", args)


def message(b):
    """message, round-robin over open executions made by SQL."""
    lo, hi = b.bdb.supply("bench-msg", b.o.nmsg_exec)
    b.others("message", "message.lua", [lo, hi])


def end(b):
    """end, each open execution (made by SQL) once."""
    # Open executions for each run, so that none runs out: an end is not
    # faster than the fastest request this database has served so far (a
    # can-start, a read); half as many again, and 2000 more. (Taking only
    # can-start's and start's rates at the same concurrency ran out once:
    # a busy machine slowed those two runs, then not the end's.)
    rate = max((r for by_conc in b.rates.values() for r in by_conc.values()),
               default=0)
    n = int(1.5 * rate * b.o.secs) + 2000
    for c in b.o.concs:
        try:
            lo, hi = b.bdb.supply("bench-end-c%d" % c, n)
        except Failure as e:
            b.fail(str(e))
            continue
        t = min(c, b.ncpu)
        b.latency("end", c, b.wrk("end-c%d" % c, c, b.o.secs, b.httpd.base,
                                  "end.lua", [lo, hi, t], threads=t))


def cycle(b):
    """The cycle, and the same statements from the database's own client:
    one client, one connection, one statement after the other.

    What the gap between the two includes, per cycle: three HTTP requests
    and answers over loopback TCP (the client's statements travel on one
    connection, and the sqlite3 client has no network at all); httpd's
    request processing and the event MPM handing connections to threads;
    the API key check (SHA-256 of the key); reading and parsing the JSON
    bodies and writing the JSON answers; mod_dbd's pool (a connection
    acquired and released per request; for MySQL apr_dbd_check_conn() is a
    mysql_ping(), one more round trip per request); apr_dbd's prepared
    statements (binary protocol) instead of the client's text; for SQLite,
    apr_dbd's process-wide mutex.  wrk runs on the same cores."""
    r = b.wrk("cycle-c1", 1, b.o.secs, b.httpd.base, "cycle.lua",
              [1, b.o.ncrons, "bench-", 0])
    failed = r.failed
    http_rate = r.get("cycles") / (r.duration or 1)
    n = max(r.get("cycles"), 50)
    first = b.bdb.next_execution_id()
    text = cycle_script(b.dump.dialect(DIALECT[b.kind]), b.kind, n, first,
                        b.o.ncrons, b.o.sqlite_sync)
    path = os.path.join(b.work, "cycles.sql")
    with open(path, "w") as f:
        f.write(text)
    client = CLIENT[b.kind]
    lines = text.splitlines()
    b.say("the %s client: %d cycles of %d statements, the first:"
          % (client, n, len(lines) // n))
    print("".join("    %s\n" % l[:156] for l in lines[:12]), end="",
          flush=True)
    secs, why = b.bdb.run_client(path)
    if why:
        b.fail(why)
        failed = True
    done = b.bdb.cycles_done(first, n)
    if done != (n, n, n):
        b.fail("the %s client's %d cycles left (executions, ended, messages)"
               " = %s, not all %d" % (b.kind, n, done, n))
        failed = True
    cli_rate = n / secs
    b.row("start+message+end cycles/s, c1", "%.0f cycles/s" % http_rate,
          "the %s client, same statements: %.0f cycles/s (%d in %.1f s)"
          % (client, cli_rate, n, secs), stats.ratio(http_rate, cli_rate),
          "report", "ERROR" if failed else "report")


def error_log_row(b):
    """What httpd's error_log says at level error and above: a crash is a
    failure of the run; the module's errors are a finding (a row)."""
    n, first, crash = bench_report.error_log_summary(b.httpd.log_since())
    if crash:
        b.fail("httpd crashed: " + " ".join(crash))
    b.row("httpd error_log: lines at error level or above",
          "%d%s" % (n, " (first: %s)" % first if first else ""), "-", "-",
          "none", "ERROR" if crash else verdict(False, n == 0))
