#!/usr/bin/python3
"""Load client and loss checker for mod_charon (Python 3 standard library only).

  python3 -m harness.load run  --base URL --key KEY --key-name NAME --crons ID:SLUG,...
                               --out FILE [--connections N] [--duration S]
                               [--max-requests N] [--marks FILE] [--recover-mark NAME]
                               [--run-past-mark SECONDS]
                               [--max-latency S [--max-slow N]] [--late-grace S]
                               [--expect-503] [--allow-conn-errors]
                               [--sample-db-conns [--max-db-conns N] DB options]
  python3 -m harness.load verify    --out FILE  DB options
  python3 -m harness.load midbody   --base URL --key KEY --key-name NAME --cron ID --out FILE  DB options
  python3 -m harness.load selfcheck --source FILE --out FILE  DB options
  python3 -m harness.load annotate  --out FILE [--fail TEXT] [--note TEXT] [--set K=V]
  python3 -m harness.load table     FILE...

DB options (a database as harness.db makes them):
            --db pgsql --db-port P [--psql PATH]      (user postgres)
            --db mysql --db-port P --db-pass PW       (user charon)
            --db sqlite3 --db-file F [--db-owner USER]

harness.reliability drives it: `run` as a process of its own (its client
threads do not share an interpreter with the fault injection), the rest
through the functions of harness.ledger.

`run` drives keep-alive connections (one thread each, harness.load_client)
through cycles of can-start -> start -> 1..4 messages -> end (and sometimes
a second end, which must be refused) on a set of crons, against 127.0.0.1
only, bounded by a number of requests and a duration.  A 503 (or a
connection error) is retried after a short pause, with fresh text for
messages so that every attempt can be told apart in the database.  It
records every request (endpoint, status, send and receive times) and, for
every 200, exactly what it acknowledged: the execution started (cron, key
name), each message (id, type, text), each end (success, type, message).
Every response is checked against the contract: status allowed for the
endpoint, 200 bodies, 503 with Retry-After and a problem document,
Cache-Control: no-store.  The result goes to --out as JSON.

`verify` checks that result against the database (harness.ledger): every
acknowledged item there with exactly the acknowledged content, nothing
ended twice or half, nothing stored twice, nothing unknown written.

`run` fails on: a status the contract does not allow (anything but 200 and
503; 409 only for a second end, or for an end retried after a 503 or a lost
connection), any 5xx but 503, a 503 without Retry-After or problem document,
a request slower than --max-latency, a connection error (except the
keep-alive race: a kept-alive connection closed by httpd just as a request
went out, with no byte of answer; counted as "keepalive-close"), no 200 on
some endpoint after --recover-mark, or a 503 to a request sent more than
--late-grace seconds after it.  `midbody` sends bodies cut short (closed or
reset) and checks that no row changed.  `selfcheck` damages four rows of a
verified run and expects `verify` to report exactly those.  `table` prints
the summary table of result files and fails if any of them failed.

Exit status: 0 when every check passed, 1 when one failed, 2 on usage errors.
The executions of one run are found in the database by the key *name*
(charon_execution.api_key), so each run must use its own key.
"""

import argparse
import http.client
import json
import os
import random
import socket
import struct
import sys
import threading
import time

from . import ledger
from .ledger import ENDPOINTS, read_json, write_json
from .load_client import Client, now


# ------------------------------------------------------------------ run ---

def split_base(url):
    """(host, port, mount) of the API's URL, which must be on loopback."""
    if not url.startswith("http://127.0.0.1:"):
        raise SystemExit("--base must be http://127.0.0.1:PORT/mount/ (loopback only)")
    hostport, _, path = url[len("http://"):].partition("/")
    host, port = hostport.split(":")
    return host, int(port), "/" + path if path.endswith("/") else "/" + path + "/"


class Run:
    """What the client threads of one run share: the budget, the events,
    the ledger of acknowledged executions, the contract violations."""

    def __init__(self, a):
        self.host, self.port, self.prefix = split_base(a.base)
        self.key = a.key
        self.timeout = a.timeout
        self.crons = []
        for item in a.crons.split(","):
            cid, _, slug = item.partition(":")
            self.crons.append((int(cid), slug))
        self.seed = a.seed if a.seed is not None else random.randrange(1 << 30)
        self.tag = a.key_name
        self.deadline = now() + a.duration
        self.budget = a.max_requests
        self.lock = threading.Lock()
        self.events = []
        self.violations = []
        self.nviolations = 0
        self.executions = []
        self.conn_samples = []
        self.conn_error_examples = []

    def take_budget(self):
        with self.lock:
            if self.budget <= 0 or now() >= self.deadline:
                return False
            self.budget -= 1
            return True

    def stopped(self):
        return self.budget <= 0 or now() >= self.deadline

    def record(self, ep, status, t0, t1, fresh, err):
        with self.lock:
            self.events.append((ep, status, t0, t1, fresh))
            if err and len(self.conn_error_examples) < 20:
                # Kept as examples; whether they fail the run is decided later.
                self.conn_error_examples.append(err)

    def violation(self, text):
        with self.lock:
            self.nviolations += 1
            if len(self.violations) < 50:
                self.violations.append(text)

    def unexpected(self, ep, st, what):
        self.violation("%s %s: status %s, which the contract does not allow here" % (ep, what, st))

    def add_execution(self, ex):
        with self.lock:
            self.executions.append(ex)


def read_marks(path):
    marks = {}
    if path and os.path.exists(path):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    marks[parts[0]] = float(parts[1])
    return marks


def summarise(run, a, t_begin, t_end):
    by_status = {}
    conn_errors = {}
    conn_errors_reused = 0
    max_lat = {}
    per_ep = {ep: {} for ep in ENDPOINTS + ("end-again",)}
    for ep, st, t0, t1, fresh in run.events:
        key = str(st)
        by_status[key] = by_status.get(key, 0) + 1
        per_ep[ep][key] = per_ep[ep].get(key, 0) + 1
        max_lat[key] = max(max_lat.get(key, 0.0), t1 - t0)
        if key.startswith("conn:"):
            conn_errors[key[5:]] = conn_errors.get(key[5:], 0) + 1
            if not fresh:
                conn_errors_reused += 1
    out = {
        "requests": len(run.events),
        "by_status": by_status,
        "per_endpoint": per_ep,
        "conn_errors": conn_errors,
        "conn_errors_on_reused_connections": conn_errors_reused,
        "conn_error_examples": run.conn_error_examples[:10],
        "conn_error_times": sorted(round(t0 - t_begin, 3) for _, st, t0, _, _ in run.events
                                   if str(st).startswith("conn:"))[:100],
        "max_latency": max([t1 - t0 for _, _, t0, t1, _ in run.events], default=0.0),
        "max_latency_by_status": max_lat,
        "duration": t_end - t_begin,
        "connections": a.connections,
        "seed": run.seed,
    }
    marks = read_marks(a.marks)
    out["marks"] = {k: v - t_begin for k, v in marks.items()}
    fails = []
    if a.recover_mark:
        if a.recover_mark not in marks:
            fails.append("mark %s was never set" % a.recover_mark)
        else:
            m = marks[a.recover_mark]
            rec = {}
            for ep in ENDPOINTS:
                firsts = [t1 for e, st, t0, t1, _ in run.events if e == ep and st == 200 and t1 >= m]
                rec[ep] = (min(firsts) - m) if firsts else None
                if not firsts:
                    fails.append("%s: no 200 after %s" % (ep, a.recover_mark))
            out["recovery"] = rec
            late = [t0 - m for _, st, t0, t1, _ in run.events
                    if st == 503 and t0 >= m + a.late_grace]
            out["late_503s"] = len(late)
            out["last_503_after_mark"] = max([t1 - m for _, st, t0, t1, _ in run.events
                                              if st == 503 and t1 >= m], default=None)
            after = sum(1 for _, st, t0, t1, _ in run.events
                        if t0 >= m + a.late_grace)
            if len(late) > a.late_503_rate * after:
                fails.append("%d requests sent more than %.1f s after %s still got 503"
                             % (len(late), a.late_grace, a.recover_mark))
    # Contract: nothing but 200 and 503 (409 only for the ends of the
    # protocol above; those are checked where they happen).
    for key, n in by_status.items():
        if key.startswith("conn:"):
            continue
        if key not in ("200", "503", "409"):
            fails.append("%d responses with status %s" % (n, key))
    # A kept-alive connection closed by httpd just as a request went out is
    # not a failure of the server (each such request is retried on a new
    # connection, and the database check shows whether it had been done);
    # any other connection error is.
    hard = {k: n for k, n in conn_errors.items() if k != "keepalive-close"}
    if hard and not a.allow_conn_errors:
        fails.append("connection errors: %s" % ", ".join(
            "%s=%d" % kv for kv in sorted(hard.items())))
    if a.max_latency:
        slow = sum(1 for _, _, t0, t1, _ in run.events if t1 - t0 > a.max_latency)
        out["slower_than_bound"] = slow
        if slow > a.max_slow:
            fails.append("%d requests took longer than %.1f s (max %.2f s%s)"
                         % (slow, a.max_latency, out["max_latency"],
                            "; %d allowed" % a.max_slow if a.max_slow else ""))
    if a.expect_503 and by_status.get("503", 0) == 0:
        fails.append("no 503 seen although the fault should cause some")
    if run.nviolations:
        fails.append("%d contract violations" % run.nviolations)
    if run.conn_samples:
        out["max_db_connections"] = max(run.conn_samples)
        if a.max_db_conns and out["max_db_connections"] > a.max_db_conns:
            fails.append("the module held %d database connections (bound %d)"
                         % (out["max_db_connections"], a.max_db_conns))
    out["violations"] = run.violations
    out["violation_count"] = run.nviolations
    return out, fails


def cmd_run(a):
    run = Run(a)
    db = ledger.store_of(a) if a.sample_db_conns else None
    t_begin = now()
    threads = [threading.Thread(target=Client(run, i).loop, daemon=True)
               for i in range(a.connections)]
    for t in threads:
        t.start()
    past = a.run_past_mark if a.marks and a.recover_mark else None
    if past is not None:
        # The fault's end is not known in advance (a node's restart takes
        # what it takes): run on until the recovery mark is past by that
        # much, within four times the duration.
        run.deadline = t_begin + 4 * a.duration
    while any(t.is_alive() for t in threads):
        if past is not None:
            m = read_marks(a.marks).get(a.recover_mark)
            if m is not None:
                run.deadline = min(run.deadline, max(
                    t_begin + a.duration, now() + m + past - time.time()))
                past = None
        if db is not None:
            try:
                n = db.connections()
                if n is not None:
                    run.conn_samples.append(n)
            except Exception:           # noqa: BLE001 -- the database may be down
                pass
        time.sleep(0.5)
        if now() > run.deadline + a.timeout + 30:
            run.violation("client threads still busy long after the deadline")
            break
    t_end = now()
    out, fails = summarise(run, a, t_begin, t_end)
    doc = {"scenario": a.scenario, "database": a.db_label or a.db or "", "key_name": a.key_name,
           "run": out, "run_failures": fails, "executions": run.executions,
           "failures": list(fails), "notes": []}
    write_json(a.out, doc)
    print_run(doc)
    return 1 if fails else 0


def print_run(doc):
    r = doc["run"]
    codes = ", ".join("%s=%d" % kv for kv in sorted(r["by_status"].items()))
    print("load: %s/%s: %d requests in %.1f s (%s); max latency %.2f s"
          % (doc["scenario"], doc["database"], r["requests"], r["duration"], codes,
             r["max_latency"]))
    if "recovery" in r:
        print("load: recovery after the database was back: %s" % ", ".join(
            "%s %s" % (ep, "never" if v is None else "%.2f s" % v)
            for ep, v in r["recovery"].items()))
    for f in doc["run_failures"]:
        print("load: FAIL: %s" % f)
    for v in r["violations"][:10]:
        print("load:   %s" % v)


# -------------------------------------------------------------- midbody ---

def midbody(base, key, key_name, cron, db, label, scenario="midbody",
            rounds=5, timeout=30.0):
    """Clients that go away in the middle of a body: nothing may be
    written, nothing may crash, and the server goes on answering. db: a
    ledger.Store. Returns the result (and prints what it saw)."""
    host, port, prefix = split_base(base)
    fails = []
    events = {}

    def api(method, p, body=None):
        c = http.client.HTTPConnection(host, port, timeout=timeout)
        hdr = {"X-API-KEY": key}
        data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
        c.request(method, prefix + p, body=data, headers=hdr)
        r = c.getresponse()
        payload = r.read()
        c.close()
        return r.status, payload

    def counts():
        rows = db.query("SELECT (SELECT COUNT(*) FROM charon_execution WHERE api_key = '%s'), "
                        "(SELECT COUNT(*) FROM charon_execution WHERE api_key = '%s' "
                        "AND ended_at IS NOT NULL), "
                        "(SELECT COUNT(*) FROM charon_message m JOIN charon_execution e "
                        "ON e.id = m.execution_id WHERE e.api_key = '%s')"
                        % (key_name, key_name, key_name))
        return [int(x) for x in rows[0]]

    def abort(eid, verb, style, rst):
        body = json.dumps({"message": "never stored", "type": "info", "success": True}).encode()
        head = ("POST %s%d/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-KEY: %s\r\n"
                "Content-Type: application/json\r\n" % (prefix, eid, verb, key))
        if style == "length":
            data = (head + "Content-Length: 1000\r\n\r\n").encode() + body[:10]
        else:
            data = (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + \
                   b"%x\r\n" % len(body) + body[:10]
        s = socket.create_connection((host, port), timeout=timeout)
        s.sendall(data)
        time.sleep(0.05)
        if rst:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        k = "%s/%s/%s" % (verb, style, "rst" if rst else "fin")
        events[k] = events.get(k, 0) + 1

    doc = ledger.empty_result(scenario, label)
    doc["key_name"] = key_name
    st, payload = api("POST", "%d/start" % cron)
    if st != 200:
        print("midbody: FAIL: start answered %d %r" % (st, payload[:200]))
        doc["failures"].append("start answered %d" % st)
        return doc
    eid = json.loads(payload)["id"]
    before = counts()
    n = 0
    for _ in range(rounds):
        for verb in ("message", "end"):
            for style in ("length", "chunked"):
                for rst in (False, True):
                    abort(eid, verb, style, rst)
                    n += 1
    time.sleep(1.0)
    after = counts()
    if after != before:
        fails.append("rows changed by aborted bodies: executions/ended/messages %s -> %s"
                     % (before, after))
    # Still answering, and the execution can still be used.
    st1, _ = api("POST", "%d/message" % eid, {"message": "after the aborts", "type": "info"})
    st2, _ = api("POST", "%d/end" % eid, {"success": True, "type": "success"})
    if (st1, st2) != (200, 200):
        fails.append("after the aborted bodies: message %d, end %d (expected 200, 200)" % (st1, st2))
    final = counts()
    if final != [before[0], before[1] + 1, before[2] + 1]:
        fails.append("rows after one message and one end: %s (before %s)" % (final, before))
    doc.update(run={"requests": n + 3, "by_status": {"aborted": n, "200": 3},
                    "max_latency": 0.0, "max_latency_by_status": {}, "conn_errors": {},
                    "aborts": events, "rows_before": before, "rows_after": after},
               failures=fails, run_failures=list(fails))
    print("midbody: %d aborted bodies (%s); rows executions/ended/messages %s -> %s; "
          "then message %d, end %d" % (n, ", ".join("%s=%d" % kv for kv in sorted(events.items())),
                                      before, after, st1, st2), flush=True)
    for f in fails:
        print("midbody: FAIL: %s" % f)
    return doc


# ------------------------------------------------------------------ main ---

def cmd_midbody(a):
    doc = midbody(a.base, a.key, a.key_name, a.cron, ledger.store_of(a),
                  a.db_label or a.db, a.scenario, a.rounds, a.timeout)
    write_json(a.out, doc)
    return 0 if ledger.passed(doc) else 1


def cmd_verify(a):
    doc = read_json(a.out)
    ok = ledger.verify_result(doc, ledger.store_of(a))
    write_json(a.out, doc)
    return 0 if ok else 1


def cmd_selfcheck(a):
    doc = ledger.selfcheck(read_json(a.source), ledger.store_of(a),
                           a.db_label or a.db)
    write_json(a.out, doc)
    return 0 if ledger.passed(doc) else 1


def cmd_annotate(a):
    doc = read_json(a.out)
    ledger.annotate(doc, a.fail or [], a.note or [],
                    dict(kv.partition("=")[::2] for kv in a.set or []))
    write_json(a.out, doc)
    return 0


def cmd_table(a):
    docs = []
    for path in a.files:
        try:
            docs.append(read_json(path))
        except (OSError, ValueError) as e:
            docs.append(None)
            print("table: %s: %s" % (path, e), file=sys.stderr)
    sys.stdout.write(ledger.table(docs))
    return 0 if all(d is not None and ledger.passed(d) for d in docs) else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    r = sub.add_parser("run")
    r.add_argument("--base", required=True)
    r.add_argument("--key", required=True)
    r.add_argument("--key-name", required=True)
    r.add_argument("--crons", required=True, help="ID:SLUG,ID:SLUG,...")
    r.add_argument("--out", required=True)
    r.add_argument("--scenario", default="load")
    r.add_argument("--db-label")
    r.add_argument("--connections", type=int, default=16)
    r.add_argument("--duration", type=float, default=10.0)
    r.add_argument("--max-requests", type=int, default=200000)
    r.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    r.add_argument("--seed", type=int)
    r.add_argument("--marks")
    r.add_argument("--recover-mark")
    r.add_argument("--run-past-mark", type=float,
                   help="run until SECONDS after the recovery mark was set "
                        "(--duration is then the least)")
    r.add_argument("--late-grace", type=float, default=5.0)
    r.add_argument("--late-503-rate", type=float, default=0.0,
                   help="late 503s allowed, as a share of the requests "
                        "sent after the grace (Galera: conflicts lost on "
                        "every try)")
    r.add_argument("--max-latency", type=float, default=0.0)
    r.add_argument("--max-slow", type=int, default=0,
                   help="requests allowed to exceed --max-latency")
    r.add_argument("--expect-503", action="store_true")
    r.add_argument("--allow-conn-errors", action="store_true")
    r.add_argument("--sample-db-conns", action="store_true")
    r.add_argument("--max-db-conns", type=int, default=0)
    ledger.add_db_args(r)

    v = sub.add_parser("verify")
    v.add_argument("--out", required=True)
    ledger.add_db_args(v)

    m = sub.add_parser("midbody")
    m.add_argument("--base", required=True)
    m.add_argument("--key", required=True)
    m.add_argument("--key-name", required=True)
    m.add_argument("--cron", type=int, required=True)
    m.add_argument("--out", required=True)
    m.add_argument("--scenario", default="midbody")
    m.add_argument("--db-label")
    m.add_argument("--rounds", type=int, default=5)
    m.add_argument("--timeout", type=float, default=30.0)
    ledger.add_db_args(m)

    c = sub.add_parser("selfcheck")
    c.add_argument("--source", required=True, help="a run's result, verified clean")
    c.add_argument("--out", required=True)
    c.add_argument("--db-label")
    ledger.add_db_args(c)

    n = sub.add_parser("annotate")
    n.add_argument("--out", required=True)
    n.add_argument("--fail", action="append")
    n.add_argument("--note", action="append")
    n.add_argument("--set", action="append")

    t = sub.add_parser("table")
    t.add_argument("files", nargs="+")

    a = p.parse_args()
    if a.cmd in ("verify", "midbody", "selfcheck") and not a.db:
        p.error("--db is required")
    if getattr(a, "sample_db_conns", False) and not a.db:
        p.error("--sample-db-conns needs --db")
    return {"run": cmd_run, "verify": cmd_verify, "midbody": cmd_midbody,
            "selfcheck": cmd_selfcheck,
            "annotate": cmd_annotate, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
