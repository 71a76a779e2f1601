"""One connection of the load client (harness.load): keep-alive HTTP
through cycles of can-start -> start -> 1..4 messages -> end (and now and
then a second end, which must be refused), checking each answer against
the contract and recording, for every 200, exactly what it acknowledged.

A 503 (or a connection error) is retried after a short pause, with fresh
text for messages, so that every attempt can be told apart in the
database. Contract checks on every answer: status allowed for the endpoint,
200 bodies, 503 with Retry-After and a problem document, Cache-Control:
no-store. A connection error is classified; a kept-alive connection closed
by httpd just as a request went out, with no byte of answer, is the
keep-alive race ("keepalive-close"), which harness.load does not count as
a failure.
"""

import http.client
import json
import random
import socket
import time

from .ledger import TYPES

# Text that must come back byte for byte: quotes, backslash, tab, newline,
# two-, three- and four-byte UTF-8.
SPICE = ' "q" \\ \t\n é ✓ 日本 🚀'


def now():
    return time.time()


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
