"""proc and db: the parts that need no server."""

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import tempfile
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

    def test_spawn_finish(self):
        stack, proc.cleanup = proc.cleanup, proc.CleanupStack()
        try:
            p = proc.spawn(["sh", "-c", "exit 3"])
            self.assertEqual(proc.finish(p), 3)
            # one that outlives its wait is ended, its group with it
            q = proc.spawn(["sh", "-c", "sleep 60 & wait"])
            proc.time.sleep(0.2)
            kids = proc.children(q.pid)
            self.assertIsNotNone(proc.finish(q, 0.1))
            for k in kids:
                self.assertTrue(proc.wait_pid(k, 2), "child %d left over" % k)
            # one never waited for is ended by the cleanup stack
            r = proc.spawn(["sleep", "60"])
            proc.cleanup.run()
            self.assertIsNotNone(r.returncode)
        finally:
            proc.cleanup = stack


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

    def test_client_argv_and_attach(self):
        pg = db.attach("pgsql", port="5433", bin_dir="/pg/bin")
        self.assertEqual(pg.client_argv(["-At"])[:1], ["/pg/bin/psql"])
        self.assertIn("5433", pg.client_argv())
        self.assertEqual(pg.client_argv(database="postgres")[-1], "postgres")
        my = db.make("mysql", "/tmp/m")
        self.assertEqual(my.client_argv(["-N"], "charon")[-2:], ["-N", "charon"])
        pg.stop()                          # attached: nothing to stop

    def test_attached_sqlite(self):
        d = tempfile.mkdtemp()
        try:
            path = os.path.join(d, "a.sqlite")
            lite = db.attach("sqlite", file=path)
            lite.query("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a\tb\nc')")
            self.assertEqual(lite.query("SELECT x FROM t", timeout=10),
                             [("a\tb\nc",)])
            lite.stop()
            self.assertTrue(os.path.exists(path), "an attached file is kept")
        finally:
            shutil.rmtree(d)


if __name__ == "__main__":
    unittest.main()
