#!/usr/bin/python3
"""Load client and loss checker for mod_charon (Python 3 standard library only).

  charon_load.py run      --base URL --key KEY --key-name NAME --crons ID:SLUG,...
                          --out FILE [--connections N] [--duration S]
                          [--max-requests N] [--marks FILE] [--recover-mark NAME]
                          [--max-latency S [--max-slow N]] [--late-grace S]
                          [--expect-503] [--allow-conn-errors]
                          [--sample-db-conns [--max-db-conns N] DB options]
  charon_load.py verify   --out FILE  DB options
  charon_load.py midbody  --base URL --key KEY --key-name NAME --cron ID --out FILE  DB options
  charon_load.py selfcheck --source FILE --out FILE  DB options
  charon_load.py annotate --out FILE [--fail TEXT] [--note TEXT] [--set K=V]
  charon_load.py table    FILE...

DB options: --db pgsql --db-port P [--db-user postgres] [--psql PATH]
            --db mysql --db-port P --db-user U --db-pass PW
            --db sqlite3 --db-file F [--db-owner USER]

`run` drives keep-alive connections (one thread each) through cycles of
can-start -> start -> 1..4 messages -> end (and sometimes a second end, which
must be refused) on a set of crons, against 127.0.0.1 only, bounded by a
number of requests and a duration.  A 503 (or a connection error) is retried
after a short pause, with fresh text for messages so that every attempt can
be told apart in the database.  It records every request (endpoint, status,
send and receive times) and, for every 200, exactly what it acknowledged:
the execution started (cron, key name), each message (id, type, text), each
end (success, type, message).  Every response is checked against the
contract: status allowed for the endpoint, 200 bodies, 503 with Retry-After
and a problem document, Cache-Control: no-store.  The result goes to --out
as JSON.

`verify` reads that file, queries the database with its command-line client
(psql, mariadb or sqlite3) and checks that every acknowledged item is there
with exactly the acknowledged content, that no execution was ended twice or
half (an end's message without its end, or the reverse), that no message
was stored twice and that nothing unknown was written.  It adds the counts
to the same file.  Writes that happened although the client got a 503 or
lost the connection are counted ("unacked writes"): they are not losses.

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
import subprocess
import sys
import threading
import time

TYPES = ("warning", "info", "success", "error")
ENDPOINTS = ("can-start", "start", "message", "end")
# Text that must come back byte for byte: quotes, backslash, tab, newline,
# two-, three- and four-byte UTF-8.
SPICE = ' "q" \\ \t\n é ✓ 日本 🚀'


def now():
    return time.time()


# --------------------------------------------------------------- database ---

class Db:
    """Runs SQL through the database's command-line client; rows come back
    as lists of strings (tab-separated output; text columns are read as hex
    so that nothing in them can break the parsing)."""

    def __init__(self, a):
        self.kind = a.db
        self.a = a
        if self.kind not in ("pgsql", "mysql", "sqlite3"):
            raise SystemExit("--db must be pgsql, mysql or sqlite3")

    def hexof(self, col):
        if self.kind == "pgsql":
            return "encode(convert_to(%s, 'UTF8'), 'hex')" % col
        return "hex(%s)" % col

    def cmd(self, sql, database="charon"):
        a = self.a
        if self.kind == "pgsql":
            return [a.psql, "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                    "-h", "127.0.0.1", "-p", str(a.db_port), "-U", a.db_user or "postgres",
                    "-d", database, "-c", sql]
        if self.kind == "mysql":
            return ["mariadb", "--no-defaults", "-h", "127.0.0.1", "-P", str(a.db_port),
                    "-u", a.db_user, "-p" + a.db_pass, "-N", "-B", "-e", sql, "charon"]
        c = ["sqlite3", "-batch", "-bail", "-separator", "\t", "-cmd", ".timeout 10000",
             a.db_file, sql]
        if a.db_owner:
            c = ["runuser", "-u", a.db_owner, "--"] + c
        return c

    def query(self, sql, database="charon", timeout=60):
        p = subprocess.run(self.cmd(sql, database), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("%s: %s" % (self.kind, p.stderr.decode("utf-8", "replace").strip()))
        out = p.stdout.decode("utf-8", "replace")
        return [line.split("\t") for line in out.split("\n") if line != ""]

    def connections(self):
        """Connections the module holds (not this tool's, not the
        fault-injecting sessions')."""
        if self.kind == "pgsql":
            rows = self.query("SELECT count(*) FROM pg_stat_activity WHERE datname = 'charon' "
                              "AND backend_type = 'client backend' AND application_name = ''",
                              database="postgres", timeout=5)
        elif self.kind == "mysql":
            rows = self.query("SELECT COUNT(*) FROM information_schema.processlist "
                              "WHERE user = '%s' AND id <> CONNECTION_ID()" % self.a.db_user, timeout=5)
        else:
            return None
        return int(rows[0][0])


def add_db_args(p):
    p.add_argument("--db", choices=("pgsql", "mysql", "sqlite3"))
    p.add_argument("--db-port")
    p.add_argument("--db-user")
    p.add_argument("--db-pass", default="")
    p.add_argument("--db-file")
    p.add_argument("--db-owner", help="run sqlite3 as this user (the httpd children's)")
    p.add_argument("--psql", default="/usr/lib/postgresql/15/bin/psql")


# ------------------------------------------------------------------- HTTP ---

class Client:
    """One keep-alive connection and the bookkeeping of its requests."""

    def __init__(self, run, tid):
        self.run = run
        self.tid = tid
        self.conn = None
        self.rng = random.Random(run.seed * 1000 + tid)

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.run.host, self.run.port,
                                                   timeout=self.run.timeout)
        return self.conn

    def request(self, ep, method, path, body=None):
        """Returns (status or None, headers dict, body bytes).  None means
        a connection error, recorded with its kind."""
        run = self.run
        if not run.take_budget():
            return "stop", {}, b""
        conn = self._conn()
        fresh = conn.sock is None
        lport = None if fresh else conn.sock.getsockname()[1]
        headers = {"X-API-KEY": run.key}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        elif method == "POST":
            data = b""
        t0 = now()
        answered = False
        try:
            conn.request(method, run.prefix + path, body=data, headers=headers)
            resp = conn.getresponse()
            answered = True
            payload = resp.read()
            status = resp.status
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            if resp.will_close:
                conn.close()
        except Exception as e:          # noqa: BLE001 -- every failure is data
            t1 = now()
            conn.close()
            self.conn = None
            kind = classify(e)
            if not answered and not fresh and kind in ("closed", "reset"):
                # The server closed a kept-alive connection as this request
                # went out (the keep-alive race every HTTP/1.1 client
                # meets): no byte of an answer came back.
                kind = "keepalive-close"
            run.record(ep, "conn:" + kind, t0, t1, fresh, "%s %s at %s from port %s: %r" % (
                method, path, time.strftime("%H:%M:%S", time.localtime(t0)) + ("%.3f" % (t0 % 1))[1:],
                lport, e))
            return None, {}, b""
        t1 = now()
        run.record(ep, status, t0, t1, fresh, None)
        self.check_common(ep, status, hdrs, payload, method, path)
        return status, hdrs, payload

    def check_common(self, ep, status, hdrs, payload, method, path):
        run = self.run
        where = "%s %s -> %s" % (method, path, status)
        if hdrs.get("cache-control") != "no-store":
            run.violation("no Cache-Control: no-store: " + where)
        if status == 503:
            if not hdrs.get("retry-after"):
                run.violation("503 without Retry-After: " + where)
            if not hdrs.get("content-type", "").startswith("application/problem+json"):
                run.violation("503 not a problem document: " + where)
            try:
                doc = json.loads(payload)
                if doc.get("status") != 503:
                    run.violation("503 problem with status %r: %s" % (doc.get("status"), where))
            except ValueError:
                run.violation("503 body is not JSON: " + where)
        elif status >= 500:
            run.violation("%d (a 5xx other than 503): %s %s" % (status, where, payload[:200]))

    def pause(self):
        time.sleep(self.rng.uniform(0.05, 0.15))

    def json200(self, payload, where):
        try:
            doc = json.loads(payload)
        except ValueError:
            self.run.violation("200 body is not JSON: %s: %r" % (where, payload[:200]))
            return None
        return doc

    # -- the four endpoints --------------------------------------------------

    def can_start(self, cron_id, slug):
        st, _, payload = self.request("can-start", "GET", "%s/can-start" % slug)
        if st == 200:
            doc = self.json200(payload, slug + "/can-start")
            if doc != {"slug": slug, "canStart": True, "cronId": cron_id}:
                self.run.violation("can-start %s answered %r" % (slug, doc))
        elif st not in (None, 503, "stop"):
            self.run.unexpected("can-start", st, slug)

    def start(self, cron_id):
        """Starts an execution; returns its id, or None when stopped."""
        while not self.run.stopped():
            method = "POST" if self.rng.random() < 0.5 else "GET"
            st, _, payload = self.request("start", method, "%d/start" % cron_id)
            if st == "stop":
                return None
            if st == 200:
                doc = self.json200(payload, "start")
                if not isinstance(doc, dict) or not isinstance(doc.get("id"), int) \
                        or isinstance(doc.get("id"), bool) or doc["id"] < 1:
                    self.run.violation("start answered %r" % (doc,))
                    return None
                return doc["id"]
            if st not in (None, 503):
                self.run.unexpected("start", st, cron_id)
                return None
            self.pause()
        return None

    def message(self, ex, n):
        attempt = 0
        while not self.run.stopped():
            attempt += 1
            mtype = self.rng.choice(TYPES)
            text = "m %s e%d n%d a%d%s" % (self.run.tag, ex["id"], n, attempt, SPICE)
            if self.rng.random() < 0.05:
                text += " " + "x" * self.rng.randint(1000, 20000)
            ex["msg_attempts"].append([mtype, text])
            st, _, payload = self.request("message", "POST", "%d/message" % ex["id"],
                                          {"message": text, "type": mtype})
            if st == "stop":
                return False
            if st == 200:
                doc = self.json200(payload, "message")
                mid = doc.get("id") if isinstance(doc, dict) else None
                if not isinstance(mid, int) or isinstance(mid, bool) or mid < 1:
                    self.run.violation("message answered %r" % (doc,))
                    return False
                ex["messages"].append([mid, mtype, text])
                return True
            if st not in (None, 503):
                self.run.unexpected("message", st, ex["id"])
                return False
            self.pause()
        return False

    def end(self, ex):
        success = self.rng.random() < 0.7
        etype = self.rng.choice(TYPES)
        with_message = self.rng.random() < 0.7
        # The forms the contract accepts for success, now and then.
        def success_value():
            r = self.rng.random()
            if r < 0.8:
                return success
            return self.rng.choice([[0, 1], ["false", "true"], ["0", "1"]])[int(success)]
        ambiguous = False
        attempt = 0
        while not self.run.stopped():
            attempt += 1
            body = {"success": success_value(), "type": etype}
            text = None
            if with_message:
                text = "end %s e%d a%d%s" % (self.run.tag, ex["id"], attempt, SPICE)
                body["message"] = text
            ex["end_attempts"].append([success, etype, text])
            st, _, payload = self.request("end", "POST", "%d/end" % ex["id"], body)
            if st == "stop":
                return
            if st == 200:
                doc = self.json200(payload, "end")
                if doc != {"id": ex["id"]}:
                    self.run.violation("end of %d answered %r" % (ex["id"], doc))
                ex["end_ack"] = len(ex["end_attempts"]) - 1
                break
            if st == 409 and ambiguous:
                # An earlier attempt that got a 503 or no answer did end it.
                ex["end_409_after_ambiguous"] = True
                return
            if st not in (None, 503):
                self.run.unexpected("end", st, ex["id"])
                return
            ambiguous = True
            self.pause()
        else:
            return
        # Now and then a second end, which must not change anything.
        if self.rng.random() < 0.15:
            while not self.run.stopped():
                text = "reend %s e%d" % (self.run.tag, ex["id"])
                ex["reend_texts"].append(text)
                st, _, payload = self.request("end-again", "POST", "%d/end" % ex["id"],
                                              {"success": not success, "type": "error",
                                               "message": text})
                if st == "stop" or st == 409:
                    return
                if st == 200:
                    self.run.violation("execution %d ended twice (second end got 200)" % ex["id"])
                    ex["double_end"] = True
                    return
                if st not in (None, 503):
                    self.run.unexpected("end", st, ex["id"])
                    return
                self.pause()

    def cycle(self, cron_id, slug):
        self.can_start(cron_id, slug)
        eid = self.start(cron_id)
        if eid is None:
            return
        ex = {"id": eid, "cron": cron_id, "messages": [], "msg_attempts": [],
              "end_attempts": [], "end_ack": None, "reend_texts": []}
        self.run.add_execution(ex)
        for n in range(self.rng.randint(1, 4)):
            if not self.message(ex, n):
                return
        self.end(ex)

    def loop(self):
        crons = self.run.crons
        k = self.tid
        try:
            while not self.run.stopped():
                cron_id, slug = crons[k % len(crons)]
                k += 1
                self.cycle(cron_id, slug)
        except Exception as e:          # noqa: BLE001
            self.run.violation("client thread %d crashed: %r" % (self.tid, e))
        finally:
            if self.conn is not None:
                self.conn.close()


def classify(e):
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    if isinstance(e, http.client.RemoteDisconnected):
        return "closed"
    if isinstance(e, (ConnectionResetError, BrokenPipeError)):
        return "reset"
    if isinstance(e, http.client.IncompleteRead):
        return "incomplete"
    return type(e).__name__


class Run:
    def __init__(self, a):
        url = a.base
        if not url.startswith("http://127.0.0.1:"):
            raise SystemExit("--base must be http://127.0.0.1:PORT/mount/ (loopback only)")
        hostport, _, path = url[len("http://"):].partition("/")
        self.host, port = hostport.split(":")
        self.port = int(port)
        self.prefix = "/" + path if path.endswith("/") else "/" + path + "/"
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
            if late:
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
    db = Db(a) if a.sample_db_conns else None
    t_begin = now()
    threads = [threading.Thread(target=Client(run, i).loop, daemon=True)
               for i in range(a.connections)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
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


def write_json(path, doc):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


def read_json(path):
    with open(path) as f:
        return json.load(f)


# ----------------------------------------------------------------- verify ---

def fetch_state(db, key_name):
    if not key_name.replace("-", "").replace("_", "").isalnum():
        raise SystemExit("key name %r is not a plain identifier" % key_name)
    execs = {}
    for row in db.query(
            "SELECT id, cron_id, api_key, remote_addr, "
            "CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, "
            "CASE WHEN success IS NULL THEN -1 WHEN success THEN 1 ELSE 0 END, "
            "COALESCE(type, '-') FROM charon_execution WHERE api_key = '%s'" % key_name):
        execs[int(row[0])] = {"cron": int(row[1]), "api_key": row[2], "remote_addr": row[3],
                              "ended": row[4] == "1", "success": int(row[5]), "type": row[6]}
    msgs = {}
    for row in db.query(
            "SELECT m.id, m.execution_id, m.type, %s FROM charon_message m "
            "JOIN charon_execution e ON e.id = m.execution_id WHERE e.api_key = '%s'"
            % (db.hexof("m.message"), key_name)):
        msgs[int(row[0])] = {"exec": int(row[1]), "type": row[2],
                             "text": bytes.fromhex(row[3]).decode("utf-8", "replace")}
    return execs, msgs


def verify(doc, db):
    """Returns (counts, problems): problems are lost or wrong items."""
    execs, msgs = fetch_state(db, doc["key_name"])
    lost = []           # acknowledged and missing or different
    bad = []            # written twice, half-written, or unknown
    info = {"unacked_starts_written": 0, "unacked_messages_written": 0,
            "unacked_ends_written": 0}
    acked_ids = {}
    by_exec_text = {}
    for mid, m in msgs.items():
        by_exec_text.setdefault((m["exec"], m["text"]), []).append(mid)
    texts_seen = set()

    for ex in doc["executions"]:
        eid = ex["id"]
        if eid in acked_ids:
            bad.append("start acknowledged execution %d twice" % eid)
        acked_ids[eid] = ex
        row = execs.get(eid)
        if row is None:
            lost.append("execution %d (start acknowledged) is missing" % eid)
            continue
        if row["cron"] != ex["cron"] or row["remote_addr"] != "127.0.0.1":
            lost.append("execution %d: stored cron %d addr %s, acknowledged cron %d"
                        % (eid, row["cron"], row["remote_addr"], ex["cron"]))
        # Messages: each acknowledged one exactly as acknowledged.
        for mid, mtype, text in ex["messages"]:
            m = msgs.get(mid)
            if m is None:
                lost.append("message %d of execution %d is missing" % (mid, eid))
            elif m["exec"] != eid or m["type"] != mtype or m["text"] != text:
                lost.append("message %d differs: stored exec %d type %s text %r, acknowledged "
                            "exec %d type %s text %r" % (mid, m["exec"], m["type"],
                                                         m["text"][:80], eid, mtype, text[:80]))
        acked_mids = {mid for mid, _, _ in ex["messages"]}
        for mtype, text in ex["msg_attempts"]:
            found = by_exec_text.get((eid, text), [])
            texts_seen.add((eid, text))
            if len(found) > 1:
                bad.append("message %r of execution %d stored %d times" % (text[:40], eid, len(found)))
            for mid in found:
                if mid not in acked_mids:
                    info["unacked_messages_written"] += 1
        # The end: the acknowledged one, or one that got no answer.
        attempts = ex["end_attempts"]
        written = []    # attempts whose message is stored
        for i, (_, etype, text) in enumerate(attempts):
            if text is None:
                continue
            texts_seen.add((eid, text))
            found = by_exec_text.get((eid, text), [])
            if len(found) > 1:
                bad.append("end message of execution %d stored %d times" % (eid, len(found)))
            if found:
                written.append(i)
                if msgs[found[0]]["type"] != etype:
                    bad.append("end message of execution %d has type %s, sent %s"
                               % (eid, msgs[found[0]]["type"], etype))
        for text in ex["reend_texts"]:
            texts_seen.add((eid, text))
            if by_exec_text.get((eid, text)):
                bad.append("a refused second end of execution %d left its message" % eid)
        if len(written) > 1:
            bad.append("execution %d ended twice: %d end messages" % (eid, len(written)))
        ack = ex["end_ack"]
        if ack is not None:
            success, etype, text = attempts[ack]
            if not row["ended"] or row["success"] != int(success) or row["type"] != etype:
                lost.append("end of execution %d: stored ended=%s success=%d type=%s, "
                            "acknowledged success=%s type=%s"
                            % (eid, row["ended"], row["success"], row["type"], success, etype))
            if text is not None and ack not in written:
                lost.append("end message of execution %d is missing" % eid)
            if [i for i in written if i != ack]:
                bad.append("execution %d has the message of an end that was not the one "
                           "acknowledged" % eid)
        elif row["ended"]:
            # Ended by an attempt that got a 503 or no answer.
            info["unacked_ends_written"] += 1
            if not attempts:
                bad.append("execution %d is ended but no end was sent" % eid)
            else:
                success, etype, _ = attempts[0]
                if row["success"] != int(success) or row["type"] != etype:
                    bad.append("execution %d ended with success=%d type=%s, never sent"
                               % (eid, row["success"], row["type"]))
                if any(t is not None for _, _, t in attempts) and not written:
                    bad.append("execution %d ended without its end message (half-written)" % eid)
        elif written:
            bad.append("execution %d is not ended but has an end message (half-written)" % eid)
        if ex.get("end_409_after_ambiguous") and not row["ended"]:
            bad.append("end of execution %d got 409 but it is not ended" % eid)

    for eid, row in execs.items():
        if eid not in acked_ids:
            info["unacked_starts_written"] += 1
    all_acked_mids = {mid for ex in doc["executions"] for mid, _, _ in ex["messages"]}
    for mid, m in msgs.items():
        if mid in all_acked_mids:
            continue            # checked above, against what was acknowledged
        if m["exec"] in acked_ids and (m["exec"], m["text"]) not in texts_seen:
            bad.append("message %d of execution %d was never sent: %r" % (mid, m["exec"], m["text"][:60]))
        elif m["exec"] not in acked_ids:
            # Messages on executions whose start got no 200 cannot exist:
            # the client never learnt their ids.
            bad.append("message %d on unacknowledged execution %d" % (mid, m["exec"]))

    counts = {
        "acked_starts": len(doc["executions"]),
        "acked_messages": sum(len(ex["messages"]) for ex in doc["executions"]),
        "acked_ends": sum(1 for ex in doc["executions"] if ex["end_ack"] is not None),
        "db_executions": len(execs),
        "db_messages": len(msgs),
        "lost": len(lost),
        "bad": len(bad),
    }
    counts.update(info)
    return counts, lost, bad


def cmd_verify(a):
    doc = read_json(a.out)
    db = Db(a)
    try:
        counts, lost, bad = verify(doc, db)
    except Exception as e:              # noqa: BLE001
        doc["failures"].append("verification could not run: %s" % e)
        write_json(a.out, doc)
        print("verify: %s/%s: could not run: %s" % (doc["scenario"], doc["database"], e))
        return 1
    doc["verify"] = counts
    doc["verify_examples"] = (lost + bad)[:30]
    if lost:
        doc["failures"].append("%d acknowledged writes lost or changed" % len(lost))
    if bad:
        doc["failures"].append("%d double, half or unknown writes" % len(bad))
    write_json(a.out, doc)
    print("verify: %s/%s: %d starts, %d messages, %d ends acknowledged; lost %d; "
          "double/half/unknown %d; written though not acknowledged: %d starts, %d messages, "
          "%d ends" % (doc["scenario"], doc["database"], counts["acked_starts"],
                       counts["acked_messages"], counts["acked_ends"], counts["lost"],
                       counts["bad"], counts["unacked_starts_written"],
                       counts["unacked_messages_written"], counts["unacked_ends_written"]))
    for x in (lost + bad)[:10]:
        print("verify:   %s" % x)
    return 1 if (lost or bad) else 0


# ---------------------------------------------------------------- midbody ---

def cmd_midbody(a):
    """Clients that go away in the middle of a body: nothing may be
    written, nothing may crash, and the server goes on answering."""
    base = a.base[len("http://"):]
    hostport, _, path = base.partition("/")
    host, port = hostport.split(":")
    if host != "127.0.0.1":
        raise SystemExit("--base must be on 127.0.0.1")
    prefix = "/" + path
    db = Db(a)
    fails = []
    events = {}

    def api(method, p, body=None):
        c = http.client.HTTPConnection(host, int(port), timeout=a.timeout)
        hdr = {"X-API-KEY": a.key}
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
                        % (a.key_name, a.key_name, a.key_name))
        return [int(x) for x in rows[0]]

    st, payload = api("POST", "%d/start" % a.cron)
    if st != 200:
        raise SystemExit("midbody: start answered %d %r" % (st, payload))
    eid = json.loads(payload)["id"]
    before = counts()

    def abort(verb, style, rst):
        body = json.dumps({"message": "never stored", "type": "info", "success": True}).encode()
        head = ("POST %s%d/%s HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-KEY: %s\r\n"
                "Content-Type: application/json\r\n" % (prefix, eid, verb, a.key))
        if style == "length":
            data = (head + "Content-Length: 1000\r\n\r\n").encode() + body[:10]
        else:
            data = (head + "Transfer-Encoding: chunked\r\n\r\n").encode() + \
                   b"%x\r\n" % len(body) + body[:10]
        s = socket.create_connection((host, int(port)), timeout=a.timeout)
        s.sendall(data)
        time.sleep(0.05)
        if rst:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
        k = "%s/%s/%s" % (verb, style, "rst" if rst else "fin")
        events[k] = events.get(k, 0) + 1

    n = 0
    for i in range(a.rounds):
        for verb in ("message", "end"):
            for style in ("length", "chunked"):
                for rst in (False, True):
                    abort(verb, style, rst)
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
    doc = {"scenario": a.scenario, "database": a.db_label or a.db, "key_name": a.key_name,
           "run": {"requests": n + 3, "by_status": {"aborted": n, "200": 3},
                   "max_latency": 0.0, "max_latency_by_status": {}, "conn_errors": {},
                   "aborts": events, "rows_before": before, "rows_after": after},
           "executions": [], "failures": fails, "notes": [], "run_failures": list(fails)}
    write_json(a.out, doc)
    print("midbody: %d aborted bodies (%s); rows executions/ended/messages %s -> %s; "
          "then message %d, end %d" % (n, ", ".join("%s=%d" % kv for kv in sorted(events.items())),
                                      before, after, st1, st2))
    for f in fails:
        print("midbody: FAIL: %s" % f)
    return 1 if fails else 0


# ------------------------------------------------------------ self-check ---

def cmd_selfcheck(a):
    """Proves that `verify` sees what it is meant to see: takes a run that
    verified clean, damages its rows in known ways (one acknowledged
    message deleted, one changed, one acknowledged end changed, one
    message that was never sent added) and expects exactly those four
    findings."""
    src = read_json(a.source)
    db = Db(a)
    execs = [ex for ex in src["executions"] if ex["end_ack"] is not None and len(ex["messages"]) >= 2]
    fails = []
    if len(execs) < 2:
        fails.append("the source run has too few complete executions to damage")
    else:
        e1, e2 = execs[0], execs[1]
        gone, changed = e1["messages"][0][0], e1["messages"][1][0]
        acked_type = e2["end_attempts"][e2["end_ack"]][1]
        other = [t for t in TYPES if t != acked_type][0]
        db.query("DELETE FROM charon_message WHERE id = %d" % gone)
        db.query("UPDATE charon_message SET message = 'damaged' WHERE id = %d" % changed)
        db.query("UPDATE charon_execution SET type = '%s' WHERE id = %d" % (other, e2["id"]))
        db.query("INSERT INTO charon_message (execution_id, type, message) "
                 "VALUES (%d, 'info', 'never sent')" % e2["id"])
        counts, lost, bad = verify(src, db)
        if (counts["lost"], counts["bad"]) != (3, 1):
            fails.append("after damaging 4 rows, verify found lost=%d bad=%d (expected 3 and 1): %s"
                         % (counts["lost"], counts["bad"], (lost + bad)[:6]))
        for x in lost + bad:
            print("self-check: found: %s" % x[:150])
    doc = {"scenario": "checker-self-test", "database": a.db_label or a.db,
           "key_name": src["key_name"], "run": {"requests": 0, "by_status": {}},
           "executions": [], "failures": fails, "run_failures": [],
           "notes": ["4 rows damaged on purpose after the graceful fault; the checker "
                     "must report exactly 3 lost and 1 unknown"]}
    write_json(a.out, doc)
    print("self-check: %s" % ("the checker found the 4 damaged rows" if not fails else fails[0]))
    return 1 if fails else 0


# --------------------------------------------------------- annotate/table ---

def cmd_annotate(a):
    doc = read_json(a.out)
    for f in a.fail or []:
        doc["failures"].append(f)
    for n in a.note or []:
        doc["notes"].append(n)
    for kv in a.set or []:
        k, _, v = kv.partition("=")
        doc.setdefault("extra", {})[k] = v
    write_json(a.out, doc)
    return 0


def fmt_s(v):
    return "-" if v is None else "%.2f" % v


def cmd_table(a):
    rows = []
    passed = failed = 0
    for path in a.files:
        try:
            doc = read_json(path)
        except (OSError, ValueError) as e:
            rows.append(("?", path, "-", "-", "-", "-", "-", "-", "-", "-", "-", "FAIL"))
            failed += 1
            print("table: %s: %s" % (path, e), file=sys.stderr)
            continue
        r = doc.get("run", {})
        bs = dict(r.get("by_status", {}))
        n200 = bs.pop("200", 0)
        n503 = bs.pop("503", 0)
        again = r.get("per_endpoint", {}).get("end-again", {}).get("409", 0)
        if again:
            # The deliberate second ends, refused as they must be.
            bs["409"] -= again
            if not bs["409"]:
                del bs["409"]
            bs["409 2nd end"] = again
        other = ", ".join("%s=%d" % kv for kv in sorted(bs.items())) or "-"
        rec = r.get("recovery")
        if rec:
            rec_s = "/".join(fmt_s(rec.get(ep)) for ep in ENDPOINTS)
        else:
            rec_s = "-"
        lat503 = r.get("max_latency_by_status", {}).get("503")
        ver = doc.get("verify")
        lost = "-" if ver is None else str(ver["lost"] + ver["bad"])
        unacked = "-" if ver is None else "%d/%d/%d" % (
            ver["unacked_starts_written"], ver["unacked_messages_written"],
            ver["unacked_ends_written"])
        ok = not doc.get("failures")
        passed += ok
        failed += not ok
        extra = doc.get("extra", {})
        rows.append((doc.get("scenario", "?"), doc.get("database", "?"), str(r.get("requests", 0)),
                     "%d/%d" % (n200, n503), other, fmt_s(lat503),
                     fmt_s(r.get("max_latency")) + (" (%d over)" % r["slower_than_bound"]
                                                    if r.get("slower_than_bound") else ""),
                     rec_s, lost, unacked,
                     extra.get("db_conns", str(r.get("max_db_connections", "-"))),
                     "pass" if ok else "FAIL"))
    head = ("fault", "database", "requests", "200/503", "other", "max 503 s", "max any s",
            "recovery s (can-start/start/message/end)", "lost", "unacked writes",
            "db conns", "result")
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) if rows else len(head[i])
              for i in range(len(head))]
    line = lambda cols: "| " + " | ".join(c.ljust(w) for c, w in zip(cols, widths)) + " |"
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))
    for path in a.files:
        try:
            doc = read_json(path)
        except (OSError, ValueError):
            continue
        for f in doc.get("failures", []):
            print("FAIL %s/%s: %s" % (doc.get("scenario"), doc.get("database"), f))
        for n in doc.get("notes", []):
            print("note %s/%s: %s" % (doc.get("scenario"), doc.get("database"), n))
    return 1 if failed else 0


# ------------------------------------------------------------------- main ---

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
    r.add_argument("--late-grace", type=float, default=5.0)
    r.add_argument("--max-latency", type=float, default=0.0)
    r.add_argument("--max-slow", type=int, default=0,
                   help="requests allowed to exceed --max-latency")
    r.add_argument("--expect-503", action="store_true")
    r.add_argument("--allow-conn-errors", action="store_true")
    r.add_argument("--sample-db-conns", action="store_true")
    r.add_argument("--max-db-conns", type=int, default=0)
    add_db_args(r)

    v = sub.add_parser("verify")
    v.add_argument("--out", required=True)
    add_db_args(v)

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
    add_db_args(m)

    c = sub.add_parser("selfcheck")
    c.add_argument("--source", required=True, help="a run's result, verified clean")
    c.add_argument("--out", required=True)
    c.add_argument("--db-label")
    add_db_args(c)

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
    return {"run": cmd_run, "verify": cmd_verify, "midbody": cmd_midbody,
            "selfcheck": cmd_selfcheck,
            "annotate": cmd_annotate, "table": cmd_table}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
