"""The scale test's checks and judgements: requests to the API, the
overlap lock race (lock_check, judge_race), the watchdog's overdue runs
(seed_overdue, watchdog_check, judge_watchdog), the error_log counts
(log_counts), the 503 bound with the database fine (no_503,
NO_503_RATE), and the self-test that shows these checks can fail. Used
by harness.scale and harness.scale_faults."""

import http.client
import json
import threading
import time

from . import faults, ledger, proc
from .proc import Failure

LOCK_STARTS = 8     # concurrent starts on a forbid cron, half to each server
LOCK_ROUNDS = 3
OVERDUE = 12        # overdue runs the watchdogs must mark lost, once each

say = proc.say_as("scale")


# ----------------------------------------------------------------- checks ---

def api(port, method, path, key, headers=None, body=None, timeout=30):
    """(status, headers (lower-case names), body bytes, seconds) of one
    request to 127.0.0.1:port; status None on a connection error."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"X-API-KEY": key}
    h.update(headers or {})
    data = json.dumps(body).encode() if body is not None else (
        b"" if method == "POST" else None)
    t0 = proc.now()
    try:
        c.request(method, "/api/" + path, body=data, headers=h)
        r = c.getresponse()
        return (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read(),
                proc.now() - t0)
    except (OSError, http.client.HTTPException) as e:
        return None, {}, str(e).encode(), proc.now() - t0
    finally:
        c.close()


def _json(payload):
    try:
        return json.loads(payload)
    except (ValueError, TypeError):
        return None


def race(topo, cron, key, n=LOCK_STARTS):
    """n starts of cron at the same moment, alternately to each server
    (connections opened first, requests released by a barrier). Returns
    [(server, status, body dict)]."""
    out = [None] * n
    barrier = threading.Barrier(n)

    def one(i):
        h = topo.httpds[i % 2]
        c = http.client.HTTPConnection("127.0.0.1", h.port, timeout=30)
        try:
            c.connect()
            barrier.wait(10)
            c.request("POST" if i % 4 < 2 else "GET", "/api/%d/start" % cron,
                      body=b"" if i % 4 < 2 else None,
                      headers={"X-API-KEY": key})
            r = c.getresponse()
            out[i] = (i % 2 + 1, r.status, _json(r.read()))
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as e:
            out[i] = (i % 2 + 1, None, {"error": str(e)})
        finally:
            c.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def judge_race(answers, running_ids):
    """What is wrong with one round of the race: answers from race(), and
    the ids of the cron's running executions in the database. [] when
    exactly one start got 200, every other 409 naming it as the running
    execution, and the winner is the one running execution."""
    bad = []
    won = [b for _, st, b in answers if st == 200]
    codes = sorted(str(st) for _, st, _ in answers)
    if len(won) != 1 or codes.count("409") != len(answers) - 1:
        bad.append("statuses %s (expected one 200, %d 409)"
                   % (",".join(codes), len(answers) - 1))
    winner = won[0].get("id") if len(won) == 1 and isinstance(won[0], dict) else None
    for _, st, b in answers:
        if st == 409 and winner is not None and (
                not isinstance(b, dict) or b.get("refusal") != "locked"
                or b.get("runningExecutionId") != winner):
            bad.append("a 409 that does not name %s: %r" % (winner, b))
            break
    if len(running_ids) != 1 or (winner is not None and running_ids != [winner]):
        bad.append("running executions in the database: %s (winner %s)"
                   % (running_ids or "none", winner))
    return bad


def lock_check(topo, key):
    """LOCK_ROUNDS races on a fresh forbid cron, the winner ended between
    rounds; then no forbid cron of the database holds two running
    executions. Returns (summary text, failures)."""
    cron = topo.new_cron("lock", concurrency="forbid")
    fails = []
    ok = 0
    for rnd in range(1, LOCK_ROUNDS + 1):
        answers = race(topo, cron, key)
        running = sorted(int(r[0]) for r in topo.store().query(
            "SELECT id FROM charon_execution WHERE cron_id = %d AND ended_at "
            "IS NULL AND lost_at IS NULL" % cron))
        bad = judge_race(answers, running)
        if bad:
            fails.append("lock round %d: %s" % (rnd, "; ".join(bad)))
        else:
            ok += 1
        for eid in running:
            st = api(topo.httpds[rnd % 2].port, "POST", "%d/end" % eid, key,
                      body={"success": True, "type": "info"})[0]
            if st != 200:
                fails.append("lock round %d: ending %d answered %s" % (rnd, eid, st))
    doubles = topo.store().query(
        "SELECT e.cron_id, COUNT(*) FROM charon_execution e JOIN charon_cron c "
        "ON c.id = e.cron_id WHERE c.concurrency = 'forbid' AND e.forbid_overlap "
        "AND e.ended_at IS NULL AND e.lost_at IS NULL GROUP BY e.cron_id "
        "HAVING COUNT(*) > 1")
    if doubles:
        fails.append("forbid crons with more than one running execution: %s"
                     % doubles)
    return "%d/%d" % (ok, LOCK_ROUNDS), fails


CROSS_ROUNDS = 200


def cross_check(topo, key):
    """A job behind a load balancer: each run started through one Apache
    server and, at once, given a message and ended through the other
    (each on its own database node with Galera). CROSS_ROUNDS runs, half
    each way: every answer must be 200 (a node that has not yet applied
    the start would answer 404). Returns (summary text, failures)."""
    cron = topo.new_cron("cross")
    bad = []
    for i in range(CROSS_ROUNDS):
        a, b = topo.httpds[i % 2].port, topo.httpds[(i + 1) % 2].port
        st, _, payload, _ = api(a, "POST", "%d/start" % cron, key)
        eid = (_json(payload) or {}).get("id") if st == 200 else None
        if eid is None:
            bad.append("start answered %s" % st)
            continue
        st2 = api(b, "POST", "%d/message" % eid, key,
                  body={"type": "info", "message": "cross"})[0]
        st3 = api(b, "POST", "%d/end" % eid, key,
                  body={"success": True, "type": "success"})[0]
        if st2 != 200 or st3 != 200:
            bad.append("run %d: message %s, end %s through the other server"
                       % (eid, st2, st3))
    fails = ["%d of %d runs ended through the other server failed: %s"
             % (len(bad), CROSS_ROUNDS, "; ".join(bad[:5]))] if bad else []
    return "%d/%d" % (CROSS_ROUNDS - len(bad), CROSS_ROUNDS), fails


def seed_overdue(topo):
    """A cron with max_runtime 1 and OVERDUE runs started 2 h ago, written
    directly: both servers' watchdogs find them on their next tick."""
    cron = topo.new_cron("wd", max_runtime=1)
    if topo.driver == "pgsql":
        ago = "now() - interval '2 hours'"
    else:
        ago = "UTC_TIMESTAMP(6) - INTERVAL 2 HOUR"
    topo.write("INSERT INTO charon_execution (cron_id, started_at, api_key, "
               "remote_addr) VALUES " + ", ".join(
                   "(%d, %s, 'scale-watchdog', '127.0.0.1')" % (cron, ago)
                   for _ in range(OVERDUE)))
    return cron


def watchdog_counts(topo, cron):
    """(runs marked lost, runs_lost counted). runs_lost is kept by a
    trigger on each marking (lost_at going from NULL to a time): a run
    marked twice, or a marking lost, shows there. (The 'lost' alert
    outcomes cannot be counted: the watchdog consumes them.)"""
    q = topo.store().query(
        "SELECT (SELECT COUNT(*) FROM charon_execution WHERE cron_id = %d AND "
        "lost_at IS NOT NULL), (SELECT COALESCE(MAX(runs_lost), 0) FROM "
        "charon_cron_stats WHERE cron_id = %d)" % (cron, cron))
    return tuple(int(x) for x in q[0])


def judge_watchdog(counts, n=OVERDUE):
    marked, counted = counts
    bad = []
    if marked != n:
        bad.append("%d of %d overdue runs marked lost" % (marked, n))
    if counted != n:
        bad.append("runs_lost is %d for %d lost runs (each must be counted "
                   "once)" % (counted, n))
    return bad


def watchdog_check(topo, cron, wait=20):
    """Wait (up to wait s) until the overdue runs are marked, a few ticks
    more for a second marking to show, then judge."""
    end = proc.now() + wait
    counts = (0, 0)
    while proc.now() < end:
        try:
            counts = watchdog_counts(topo, cron)
        except Failure:
            pass
        if counts[0] >= OVERDUE:
            break
        time.sleep(0.5)
    time.sleep(2.5)
    try:
        counts = watchdog_counts(topo, cron)
    except Failure as e:
        return "-", ["watchdog counts could not be read: %s" % e]
    bad = judge_watchdog(counts)
    return "%d/%d" % counts, bad


def log_counts(h, offset):
    """CHARON118 and CHARON119 lines, and crash lines, of h's error_log
    from offset."""
    text = h.log_since(offset)
    lines = text.splitlines()
    return (sum("CHARON118" in l for l in lines),
            sum("CHARON119" in l for l in lines),
            [l for l in lines if faults.CRASH.search(l)][:5])


# With the database fine, a 503 is a unit that lost its certification
# (or a deadlock) on every one of its twelve spaced tries: writers on two
# nodes meet on one cron's counters. Allowed: one in 1,000 answers, each
# counted in the row's notes.
NO_503_RATE = 0.001


def no_503(f):
    """The database was fine all along: hardly any 503."""
    n = sum(d.get("run", {}).get("by_status", {}).get("503", 0) for d in f.docs)
    reqs = sum(d.get("run", {}).get("requests", 0) for d in f.docs)
    if n > NO_503_RATE * reqs:
        f.failures.append("%d answers of %d were 503 although the database "
                          "was fine (more than %g)" % (n, reqs, NO_503_RATE))
    elif n:
        f.notes.append("%d answers of %d were 503 with the database fine "
                       "(conflicts lost on every try)" % (n, reqs))


# ------------------------------------------------------------- self-test ---

def self_test(run, topo, src_doc):
    """The checks must be able to fail: the ledger on damaged rows
    (ledger.selfcheck: exactly 3 lost and 1 unknown), the lock and
    watchdog judgements on wrong figures."""
    fails = []
    doc = ledger.selfcheck(src_doc, topo.store(), topo.kind)
    fails += doc["failures"]
    wrong = [
        ("two 200s", [(1, 200, {"id": 5}), (2, 200, {"id": 6})] +
         [(1, 409, {"refusal": "locked", "runningExecutionId": 5})] * 6, [5, 6]),
        ("a 503", [(1, 200, {"id": 5}), (2, 503, {})] +
         [(1, 409, {"refusal": "locked", "runningExecutionId": 5})] * 6, [5]),
        ("a 409 naming another", [(1, 200, {"id": 5})] +
         [(1, 409, {"refusal": "locked", "runningExecutionId": 4})] * 7, [5]),
        ("two running", [(1, 200, {"id": 5})] +
         [(1, 409, {"refusal": "locked", "runningExecutionId": 5})] * 7, [4, 5]),
    ]
    for what, answers, running in wrong:
        if not judge_race(answers, running):
            fails.append("the lock judgement passed %s" % what)
    if judge_race([(1, 200, {"id": 5})] +
                  [(2, 409, {"refusal": "locked", "runningExecutionId": 5})] * 7, [5]):
        fails.append("the lock judgement failed a good round")
    for counts in ((OVERDUE, OVERDUE + 1), (OVERDUE - 1, OVERDUE - 1),
                   (OVERDUE, OVERDUE - 1)):
        if not judge_watchdog(counts):
            fails.append("the watchdog judgement passed %s" % (counts,))
    if judge_watchdog((OVERDUE,) * 2):
        fails.append("the watchdog judgement failed a good count")
    row = {"fault": "checker-self-test", "topology": topo.kind, "requests": 0,
           "503": 0, "first_200": None, "max_latency": 0, "lost": 0, "dup": 0,
           "unacked": 0, "lock": "-", "watchdog": "-", "log118_119": [],
           "seconds": 0, "failures": fails,
           "notes": ["4 rows damaged on purpose; wrong race and watchdog "
                     "figures judged"]}
    run.results.append(row)
    say("%s checker-self-test: %s" % (topo.kind, "pass" if not fails else "FAIL"))
    return row
