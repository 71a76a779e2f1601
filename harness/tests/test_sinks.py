"""sinks and sendmail_standin: the receivers the alert tests talk to."""

import http.client
import importlib.util
import json
import os
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
import unittest

from harness import sendmail_standin, sinks

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
HAVE_AIOSMTPD = importlib.util.find_spec("aiosmtpd") is not None


class WebhookCase(unittest.TestCase):

    def setUp(self):
        self.sink = sinks.WebhookSink(hang_seconds=5).start()
        self.addCleanup(self.sink.stop)

    def request(self, path, body=b"{}", method="POST", timeout=5,
                headers=None):
        """(status, body) of one request on a connection of its own."""
        c = http.client.HTTPConnection("127.0.0.1", self.sink.port,
                                       timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def control(self, what, doc=None):
        status, body = self.request(
            "/_sink/" + what, method="GET" if doc is None else "POST",
            body=None if doc is None else json.dumps(doc).encode())
        return status, json.loads(body)


class TestPlans(WebhookCase):

    def test_no_plan_is_200(self):
        self.assertEqual(self.request("/x"), (200, b"ok\n"))

    def test_sequence_then_the_last_again(self):
        self.assertEqual(self.control("plan", {
            "path": "/a", "answers": ["500", 500, "200"]})[0], 200)
        got = [self.request("/a")[0] for _ in range(4)]
        self.assertEqual(got, [500, 500, 200, 200])
        self.assertEqual(self.request("/b")[0], 200)   # its own plan

    def test_default_plan_and_a_path_of_its_own(self):
        self.control("plan", {"answers": [503]})
        self.control("plan", {"path": "/own", "answers": [201]})
        self.assertEqual(self.request("/any")[0], 503)
        self.assertEqual(self.request("/own")[0], 201)

    def test_answer_object(self):
        self.control("plan", {"path": "/h", "answers": [{
            "status": 404, "body": "no {path} ({target})",
            "headers": {"X-Why": "test"}, "delay": 0.2}]})
        t0 = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", self.sink.port, timeout=5)
        c.request("POST", "/h?k=v", body=b"{}")
        r = c.getresponse()
        self.assertEqual((r.status, r.read(), r.getheader("X-Why")),
                         (404, b"no /h (/h?k=v)", "test"))
        c.close()
        self.assertGreaterEqual(time.monotonic() - t0, 0.2)

    def test_bad_plans(self):
        for doc in ({"answers": ["bogus"]}, {"answers": []},
                    {"answers": [True]}, {"answers": [{"status": "hang"}]},
                    {"answers": [{"nope": 1}]}, {"answers": [42]}):
            self.assertEqual(self.control("plan", doc)[0], 400, doc)
        status, _ = self.request("/_sink/plan", body=b"[")
        self.assertEqual(status, 400)

    def test_control_errors(self):
        self.assertEqual(self.request("/_sink/nothing", method="GET")[0], 404)
        self.assertEqual(self.request("/_sink/plan", method="GET")[0], 405)
        self.assertEqual(self.control("count")[1]["count"], 0)  # unrecorded


class TestFailures(WebhookCase):

    def test_reset(self):
        self.control("plan", {"path": "/r", "answers": ["reset"]})
        with self.assertRaises(ConnectionResetError):
            self.request("/r")
        self.assertEqual(self.control("count?path=/r")[1]["count"], 1)

    def test_close(self):
        self.control("plan", {"path": "/c", "answers": ["close"]})
        with self.assertRaises(http.client.RemoteDisconnected):
            self.request("/c")

    def test_hang_past_the_client_and_a_prompt_stop(self):
        self.control("plan", {"path": "/h", "answers": ["hang"]})
        t0 = time.monotonic()
        with self.assertRaises(TimeoutError):
            self.request("/h", timeout=0.3)
        self.assertLess(time.monotonic() - t0, 2)
        self.assertEqual(self.control("count?path=/h")[1]["count"], 1)
        t0 = time.monotonic()
        self.sink.stop()                 # the hung answer ends with it
        self.assertLess(time.monotonic() - t0, 3)


class TestRecords(WebhookCase):

    def test_received_and_counted(self):
        self.request("/one?q=1", body=b'{"a": 1}',
                     headers={"X-Charon-Event-Id": "e-1",
                              "Content-Type": "application/json"})
        self.request("/two", method="PUT", body=b"x")
        self.request("/two")
        status, got = self.control("received?path=/one")
        self.assertEqual(status, 200)
        self.assertEqual(len(got), 1)
        r = got[0]
        self.assertEqual((r["method"], r["path"], r["query"], r["body"],
                          r["answer"], r["n"]),
                         ("POST", "/one", "q=1", '{"a": 1}', 200, 1))
        self.assertEqual(r["headers"]["x-charon-event-id"], "e-1")
        self.assertEqual(r["headers"]["content-type"], "application/json")
        self.assertEqual(self.control("count")[1],
                         {"count": 3, "paths": {"/one": 1, "/two": 2}})
        self.assertEqual(self.control("count?path=/two")[1]["count"], 2)
        self.assertEqual(len(self.control("received")[1]), 3)

    def test_reset_forgets(self):
        self.control("plan", {"path": "/a", "answers": [500]})
        self.request("/a")
        self.assertEqual(self.control("reset", {})[0], 200)
        self.assertEqual(self.control("count")[1]["count"], 0)
        self.assertEqual(self.request("/a")[0], 200)


class TestCommand(unittest.TestCase):

    def test_webhook_start_and_sigterm(self):
        with tempfile.TemporaryDirectory() as d:
            portfile, pidfile = (os.path.join(d, "port"),
                                 os.path.join(d, "pid"))
            p = subprocess.Popen(
                [sys.executable, "-m", "harness.sinks", "webhook",
                 "--portfile", portfile, "--pidfile", pidfile],
                cwd=TOP, stdout=subprocess.PIPE, text=True)
            try:
                line = p.stdout.readline()
                with open(portfile) as f:
                    port = int(f.read())
                with open(pidfile) as f:
                    self.assertEqual(int(f.read()), p.pid)
                self.assertEqual(line, "webhook sink on 127.0.0.1:%d\n"
                                 % port)
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                c.request("GET", "/_sink/count")
                self.assertEqual(c.getresponse().status, 200)
                c.close()
                p.send_signal(signal.SIGTERM)
                self.assertEqual(p.wait(10), 0)
                self.assertFalse(os.path.exists(portfile))
                self.assertFalse(os.path.exists(pidfile))
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                p.stdout.close()


@unittest.skipUnless(HAVE_AIOSMTPD, "no aiosmtpd (python3-aiosmtpd)")
class TestSmtp(unittest.TestCase):

    def test_saved_and_refused(self):
        with tempfile.TemporaryDirectory() as d:
            sink = sinks.SmtpSink(d).start()
            try:
                s = smtplib.SMTP("127.0.0.1", sink.port, timeout=5)
                s.sendmail("a@example.org", ["ops@example.com"],
                           b"Subject: hi\r\n\r\nbody\r\n")
                with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
                    s.sendmail("a@example.org", ["reject-x@example.com"],
                               b"Subject: no\r\n\r\n")
                self.assertEqual(
                    e.exception.recipients["reject-x@example.com"][0], 550)
                with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
                    s.sendmail("a@example.org", ["defer@example.com"],
                               b"Subject: later\r\n\r\n")
                self.assertEqual(
                    e.exception.recipients["defer@example.com"][0], 451)
                s.quit()
            finally:
                sink.stop()
            self.assertEqual(sorted(os.listdir(d)), ["1.eml", "1.json"])
            with open(os.path.join(d, "1.eml"), "rb") as f:
                self.assertEqual(f.read(), b"Subject: hi\r\n\r\nbody\r\n")
            with open(os.path.join(d, "1.json")) as f:
                meta = json.load(f)
            self.assertEqual((meta["mail_from"], meta["rcpt_tos"]),
                             ("a@example.org", ["ops@example.com"]))


class TestSendmailStandin(unittest.TestCase):

    def test_saves_with_its_arguments(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            wrapper = sendmail_standin.make_wrapper(
                os.path.join(d, "sendmail"), out)
            for _ in range(2):
                p = subprocess.run([wrapper, "-t", "-i"], input=b"Subject: x"
                                   b"\n\nhello\n", env={"PATH": "/usr/bin:/bin"})
                self.assertEqual(p.returncode, 0)
            self.assertEqual(sorted(os.listdir(out)),
                             ["1.eml", "1.json", "2.eml", "2.json"])
            with open(os.path.join(out, "2.eml"), "rb") as f:
                self.assertEqual(f.read(), b"Subject: x\n\nhello\n")
            with open(os.path.join(out, "2.json")) as f:
                self.assertEqual(json.load(f), {"argv": ["-t", "-i"]})

    def test_fails_as_told(self):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out")
            wrapper = sendmail_standin.make_wrapper(
                os.path.join(d, "sendmail"), out, 75)
            p = subprocess.run([wrapper, "-t", "-i"], input=b"x",
                               stderr=subprocess.PIPE)
            self.assertEqual(p.returncode, 75)
            self.assertIn(b"failing with 75", p.stderr)
            self.assertFalse(os.path.exists(out))

    def test_needs_a_directory(self):
        env = {k: v for k, v in os.environ.items()
               if k != "CHARON_SENDMAIL_DIR"}
        p = subprocess.run([sys.executable, sendmail_standin.__file__, "-t"],
                           input=b"x", env=env, stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 64)


if __name__ == "__main__":
    unittest.main()
