"""proc and db: the parts that need no server."""

import contextlib
import io
import signal
import socket
import subprocess
import unittest

from harness import db, proc


class TestProc(unittest.TestCase):

    def test_cleanup_stack_order_and_errors(self):
        stack = proc.CleanupStack()
        seen = []
        stack.push(seen.append, 1)
        h = stack.push(seen.append, 2)
        stack.push(lambda: 1 / 0)          # reported, does not stop the rest
        stack.push(seen.append, 3)
        stack.done(h, run=False)
        with contextlib.redirect_stderr(io.StringIO()) as err:
            stack.run()
            stack.run()                    # once only
        self.assertIn("division by zero", err.getvalue())
        self.assertEqual(seen, [3, 1])

    def test_free_port(self):
        p = proc.free_port()
        self.assertTrue(20000 <= p < 32000)
        s = socket.socket()
        s.bind(("127.0.0.1", p))           # it was free indeed
        s.listen(1)
        self.assertFalse(proc.port_is_free(p))
        s.close()

    def test_random_password(self):
        a, b = proc.random_password(), proc.random_password()
        self.assertEqual(len(a), 24)
        self.assertNotEqual(a, b)
        int(a, 16)

    def test_wait_pid_reaps_our_child(self):
        p = subprocess.Popen(["true"])
        self.assertTrue(proc.wait_pid(p.pid, 5))
        self.assertFalse(proc.alive(p.pid))
        p.wait()

    def test_stop_group(self):
        # a leader deaf to INT and TERM, and a child in the background
        p = subprocess.Popen(["sh", "-c", "trap '' INT TERM; sleep 60 & wait"],
                             start_new_session=True)
        steps = ((signal.SIGINT, 0.3), (signal.SIGTERM, 0.3))
        proc.time.sleep(0.2)
        kids = proc.children(p.pid)
        self.assertTrue(proc.stop_group(p.pid, steps))
        p.wait()
        for k in kids:
            self.assertTrue(proc.wait_pid(k, 2), "child %d left over" % k)

    def test_children_and_tail(self):
        p = subprocess.Popen(["sh", "-c", "sleep 5 & wait"])
        try:
            for _ in range(50):
                if proc.children(p.pid):
                    break
                proc.time.sleep(0.05)
            self.assertEqual(len(proc.children(p.pid)), 1)
        finally:
            proc.signal_pids(proc.children(p.pid) + [p.pid], 9)
            p.wait()
        self.assertEqual(proc.tail("a\nb\nc\n", 2), "b\nc")

    def test_as_user(self):
        argv = proc.as_user(["id"], "nobody")
        if proc.is_root():
            self.assertEqual(argv, ["runuser", "-u", "nobody", "--", "id"])
        else:
            self.assertEqual(argv, ["id"])
        self.assertEqual(proc.as_user(["id"], None), ["id"])


class TestClientOutput(unittest.TestCase):

    def test_rows(self):
        self.assertEqual(db._rows("1\x1fa\x1e\x1e2\x1f\x1dNULL\x1d\x1e",
                                  "\x1f", "\x1e", "\x1dNULL\x1d"),
                         [("1", "a"), ("2", None)])

    def test_unescape(self):
        self.assertEqual(db._unescape(r"a\nb\tc\\n\0"), "a\nb\tc\\n\0")

    def test_make(self):
        d = db.make("sqlite", "/tmp/x")
        self.assertEqual((d.file, d.driver, d.dbd_params),
                         ("/tmp/x/charon.sqlite", "sqlite3", "/tmp/x/charon.sqlite"))
        self.assertEqual(db.make("pgsql", "/tmp/p").schema("/top"),
                         "/top/sql/postgresql.sql")
        with self.assertRaises(proc.Failure):
            db.make("oracle", "/tmp/o")


if __name__ == "__main__":
    unittest.main()
