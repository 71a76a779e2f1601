"""Receivers for alerts, on 127.0.0.1, that record what they get.

    python3 -m harness.sinks webhook [--port N] [--pidfile F] [--portfile F]
                                     [--hang-seconds S]
    python3 -m harness.sinks smtp --dir D [--port N] [--pidfile F]
                                  [--portfile F]

Either prints "<kind> sink on 127.0.0.1:PORT" once it listens, writes
its port to --portfile (--port 0, the default, picks a free one) and its
pid to --pidfile, and stops on SIGTERM or SIGINT (exit 0, both files
removed).

The webhook sink records every request that is not for /_sink/ and
answers it by its path's plan; a small control API, plain HTTP and JSON,
lets a test (Python here, Perl's LWP in t/) drive it:

    GET  /_sink/received[?path=P]  the requests, oldest first: method,
                                   path, query, headers (names in lower
                                   case), body, time, answer
    GET  /_sink/count[?path=P]     {"count": N, "paths": {path: N}}
    POST /_sink/plan               {"path": P, "answers": [A, ...]}: P's
                                   next requests get A, one each, and the
                                   last one after that; without "path", the
                                   plan of every path that has none
    POST /_sink/reset              requests and plans forgotten

An answer A is a status ("500", or 500), "hang" (read the request, answer
nothing for --hang-seconds, then close; the sink's end cuts it short),
"reset" (read the request, then a TCP reset: SO_LINGER 0 and close),
"close" (read the request, close without a word), or an object
{"status": 404, "body": "...", "headers": {...}, "delay": 0.5}, whose
body may name the request's {path} and {target} (the path and query).
Without a plan: 200, "ok".

The SMTP sink (aiosmtpd: Debian's python3-aiosmtpd) saves each message
to D as N.eml, as it came after DATA, and N.json ({"mail_from",
"rcpt_tos", "peer"}), both complete when the server answers 250.  A
recipient whose local part begins with "reject" gets 550, with "defer"
451: how a test makes a server refuse.  No STARTTLS, no AUTH.
"""

import argparse
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOST = "127.0.0.1"
CONTROL = "/_sink/"
WORDS = ("hang", "reset", "close")


class PlanError(ValueError):
    """An answer the sink does not know."""


def check_answer(a):
    """The answer as the sink keeps it: an int, one of WORDS or a dict
    with an int status; PlanError otherwise."""
    if isinstance(a, bool):
        raise PlanError("not an answer: %r" % (a,))
    if isinstance(a, int) or (isinstance(a, str) and a.isdigit()):
        status = int(a)
        if not 100 <= status <= 999:
            raise PlanError("not a status: %r" % (a,))
        return status
    if a in WORDS:
        return a
    if isinstance(a, dict):
        known = {"status", "body", "headers", "delay"}
        if set(a) - known:
            raise PlanError("unknown keys: %s" % sorted(set(a) - known))
        out = dict(a)
        out["status"] = check_answer(a.get("status", 200))
        if not isinstance(out["status"], int):
            raise PlanError("status must be a number: %r" % (a,))
        if not isinstance(out.get("headers", {}), dict):
            raise PlanError("headers must be an object")
        return out
    raise PlanError("not an answer: %r" % (a,))


# ------------------------------------------------------------- webhook ---

class WebhookSink:
    """The webhook sink, in this process: start() serves from a thread,
    stop() ends it (and any request it holds)."""

    def __init__(self, port=0, hang_seconds=30.0, host=HOST):
        self.hang_seconds = hang_seconds
        self.lock = threading.Lock()
        self.received = []
        self.plans = {}                  # path or None: [answers, used]
        self.stopping = threading.Event()
        self.server = _Server((host, port), _Handler)
        self.server.sink = self
        self.port = self.server.server_address[1]
        self.thread = None

    def start(self):
        # A short poll: stop() waits for it.
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       args=(0.05,), name="webhook-sink",
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def plan(self, path, answers):
        answers = [check_answer(a) for a in answers]
        if not answers:
            raise PlanError("a plan needs at least one answer")
        with self.lock:
            self.plans[path] = [answers, 0]

    def reset(self):
        with self.lock:
            self.received = []
            self.plans = {}

    def next_answer(self, path):
        with self.lock:
            plan = self.plans.get(path) or self.plans.get(None)
            if not plan:
                return 200
            answers, used = plan
            plan[1] = used + 1
            return answers[min(used, len(answers) - 1)]

    def record(self, request):
        with self.lock:
            request["n"] = len(self.received) + 1
            self.received.append(request)

    def requests(self, path=None):
        with self.lock:
            return [r for r in self.received if path in (None, r["path"])]

    def count(self, path=None):
        with self.lock:
            paths = {}
            for r in self.received:
                paths[r["path"]] = paths.get(r["path"], 0) + 1
        return {"count": sum(paths.values()) if path is None
                else paths.get(path, 0), "paths": paths}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False               # a hung answer must not hold stop()
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "charon-sink"

    def log_message(self, fmt, *args):   # quiet: the records say it all
        pass

    def do_GET(self):
        self._handle()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def _handle(self):
        sink = self.server.sink
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if url.path.startswith(CONTROL):
            self._control(sink, url, body)
            return
        answer = sink.next_answer(url.path)
        sink.record({
            "method": self.command, "path": url.path, "query": url.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"), "time": time.time(),
            "answer": answer if not isinstance(answer, dict)
            else answer["status"]})
        self._answer(sink, answer, url)

    def _answer(self, sink, answer, url):
        if answer == "hang":
            sink.stopping.wait(sink.hang_seconds)
            self.close_connection = True
        elif answer == "reset":
            # SO_LINGER with a zero time: close() sends RST, not FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
        elif answer == "close":
            self.close_connection = True
        elif isinstance(answer, dict):
            if answer.get("delay"):
                sink.stopping.wait(float(answer["delay"]))
            target = url.path + ("?" + url.query if url.query else "")
            text = str(answer.get("body", "status %d\n" % answer["status"]))
            text = text.replace("{path}", url.path).replace("{target}",
                                                            target)
            self._send(answer["status"], text.encode(),
                       answer.get("headers", {}))
        else:
            self._send(answer, b"ok\n" if answer < 300
                       else b"status %d\n" % answer, {})

    def _send(self, status, body, headers, ctype="text/plain"):
        self.send_response(status)
        names = {k.lower() for k in headers}
        if "content-type" not in names:
            self.send_header("Content-Type", ctype)
        for k, v in headers.items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status, doc):
        self._send(status, json.dumps(doc).encode() + b"\n", {},
                   "application/json")

    def _control(self, sink, url, body):
        what = url.path[len(CONTROL):]
        path = parse_qs(url.query).get("path", [None])[0]
        if what == "received" and self.command in ("GET", "HEAD"):
            self._json(200, sink.requests(path))
        elif what == "count" and self.command in ("GET", "HEAD"):
            self._json(200, sink.count(path))
        elif what == "reset" and self.command == "POST":
            sink.reset()
            self._json(200, {"ok": True})
        elif what == "plan" and self.command == "POST":
            try:
                doc = json.loads(body or b"null")
                if not isinstance(doc, dict):
                    raise PlanError("a plan is an object")
                sink.plan(doc.get("path"), doc.get("answers") or [])
            except (ValueError, PlanError) as e:
                self._json(400, {"error": str(e)})
                return
            self._json(200, {"ok": True})
        elif what in ("received", "count", "reset", "plan"):
            self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "method"})
        else:
            self._json(404, {"error": "no such control: %s" % url.path})


# ---------------------------------------------------------------- smtp ---

def _aiosmtpd():
    try:
        from aiosmtpd.smtp import SMTP
    except ImportError:
        raise SystemExit("the SMTP sink needs aiosmtpd: Debian's "
                         "python3-aiosmtpd (scripts/deps.sh installs it)")
    return SMTP


class _SmtpHandler:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()
        self.n = len([f for f in os.listdir(directory)
                      if f.endswith(".eml")])

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        local = address.split("@")[0].lower().lstrip("<")
        if local.startswith("reject"):
            return "550 5.1.1 refused by the sink"
        if local.startswith("defer"):
            return "451 4.3.0 deferred by the sink"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        meta = {"mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "peer": list(session.peer)[:2] if session.peer else None}
        # The .json first: a reader that sees N.eml finds both.
        _write_atomic(os.path.join(self.directory, "%d.json" % n),
                      json.dumps(meta).encode() + b"\n")
        _write_atomic(os.path.join(self.directory, "%d.eml" % n), data)
        return "250 OK message %d" % n


def _write_atomic(path, data):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


class SmtpSink:
    """The SMTP sink, in this process: start() serves from a thread with
    its own event loop, stop() ends it."""

    def __init__(self, directory, port=0, host=HOST):
        import asyncio
        self.asyncio = asyncio
        smtp_class = _aiosmtpd()
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.handler = _SmtpHandler(directory)
        self.loop = asyncio.new_event_loop()
        # hostname given: aiosmtpd would look up the machine's FQDN.
        self.server = self.loop.run_until_complete(self.loop.create_server(
            lambda: smtp_class(self.handler, hostname="sink.invalid",
                               enable_SMTPUTF8=True),
            host, port))
        self.port = self.server.sockets[0].getsockname()[1]
        self.thread = None

    def start(self):
        self.thread = threading.Thread(target=self.loop.run_forever,
                                       name="smtp-sink", daemon=True)
        self.thread.start()
        return self

    def stop(self):
        """Once is enough; again does nothing."""
        if self.loop.is_closed():
            return
        if self.thread:
            def end():
                self.server.close()
                self.loop.stop()
            self.loop.call_soon_threadsafe(end)
            self.thread.join(10)
            if self.thread.is_alive():
                return                   # a daemon thread: ends with us
        else:
            self.server.close()
        self.loop.run_until_complete(self.server.wait_closed())
        self.loop.close()


# ------------------------------------------------------------- command ---

def parse_args(argv):
    ap = argparse.ArgumentParser(prog="python3 -m harness.sinks",
                                 description="Receivers for alerts.")
    sub = ap.add_subparsers(dest="kind", required=True)
    for kind in ("webhook", "smtp"):
        s = sub.add_parser(kind)
        s.add_argument("--port", type=int, default=0,
                       help="0 (the default): a free port")
        s.add_argument("--pidfile")
        s.add_argument("--portfile")
        if kind == "webhook":
            s.add_argument("--hang-seconds", type=float, default=30.0)
        else:
            s.add_argument("--dir", required=True,
                           help="where each message is saved")
    return ap.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.kind == "webhook":
        sink = WebhookSink(args.port, args.hang_seconds)
    else:
        sink = SmtpSink(args.dir, args.port)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    written = []
    try:
        sink.start()
        # Written once it serves: a file there means a sink to talk to.
        for path, value in ((args.pidfile, os.getpid()),
                            (args.portfile, sink.port)):
            if path:
                _write_atomic(path, b"%d\n" % value)
                written.append(path)
        print("%s sink on %s:%d" % (args.kind, HOST, sink.port), flush=True)
        while not done.wait(1):
            pass
    finally:
        sink.stop()
        for path in written:
            try:
                os.unlink(path)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
