"""bench_burst's pure parts: its options, how the burst and the reference
are shared out, what it reads from ab, pgbench and the clients, the
reference's scripts (run on SQLite with the real schema), and the
targets."""

import os
import sqlite3
import unittest

from harness import bench_burst as bb
from harness import burst_figures as bf
from harness.proc import Usage
from harness.sqldump import Dialect

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

AB = """\
Server Software:        Apache/2.4.71
Server Hostname:        127.0.0.1
Server Port:            24123

Document Path:          /api/7/start
Document Length:        12 bytes (Variable)

Concurrency Level:      2
Time taken for tests:   2.613 seconds
Complete requests:      100
Failed requests:        3
   (Connect: 0, Receive: 3, Length: 0, Exceptions: 0)
Non-2xx responses:      2
Total transferred:      24100 bytes
"""

GNUPLOT = (
    "starttime\tseconds\tctime\tdtime\tttime\twait\n"
    "Mon Dec 07 16:30:01 2026\t1796660000\t0\t46\t46\t46\n"
    "Mon Dec 07 16:30:01 2026\t1796660000\t1\t246\t247\t246\n")


class TestOptions(unittest.TestCase):

    def test_defaults(self):
        o = bb.parse_args([], {})
        self.assertEqual((o.mode, o.dbs, o.requests, o.clients, o.ab,
                          o.procs, o.threads, o.dbdmax),
                         ("full", ["pgsql", "mysql", "sqlite"], 10000, 200,
                          1, 2, 192, 16))
        self.assertTrue(o.logdir.endswith(os.path.join("build",
                                                       "bench-burst")))

    def test_modes(self):
        o = bb.parse_args([], {"QUICK": "1"})
        self.assertEqual((o.mode, o.requests, o.clients), ("quick", 2000, 200))
        self.assertEqual(bb.parse_args([], {"QUICK": "0"}).mode, "full")
        o = bb.parse_args(["--smoke"], {})
        self.assertEqual((o.mode, o.requests, o.clients), ("smoke", 500, 50))

    def test_databases_run_in_one_order(self):
        o = bb.parse_args(["sqlite", "pgsql", "sqlite"], {})
        self.assertEqual(o.dbs, ["pgsql", "sqlite"])

    def test_overrides(self):
        o = bb.parse_args(["--requests", "300", "--clients", "30", "--ab",
                           "7"], {"CHARON_BENCH_PROCS": "1",
                                  "CHARON_BENCH_THREADS": "25",
                                  "CHARON_BENCH_LOGDIR": "/tmp/x"})
        self.assertEqual((o.requests, o.clients, o.ab, o.procs, o.threads,
                          o.logdir), (300, 30, 7, 1, 25, "/tmp/x"))

    def test_wrong(self):
        for argv in (["oracle"], ["--quick", "--smoke"], ["--clients", "0"],
                     ["--requests", "10", "--clients", "20"],
                     ["--requests", "301", "--clients", "30"],
                     ["--ab", "0"], ["--ab", "101"], ["--requests", "x"]):
            with self.assertRaises(Usage, msg=argv):
                bb.parse_args(argv, {})
        for env in ({"CHARON_BENCH_THREADS": "x"},
                    {"CHARON_BENCH_DBDMAX": "0"}):
            with self.assertRaises(Usage, msg=env):
                bb.parse_args([], env)
        self.assertIsNone(bb.parse_args(["--help"], {}))


class TestSharing(unittest.TestCase):

    def test_split(self):
        self.assertEqual(bf.split(10, 3), [4, 3, 3])
        self.assertEqual(bf.split(6, 3), [2, 2, 2])

    def test_plan(self):
        self.assertEqual(bf.plan(10000, 200, 1), [(1, 10000, 200)])
        p = bf.plan(10000, 200, 100)
        self.assertEqual(len(p), 100)
        self.assertEqual(p[0], (1, 100, 2))
        self.assertEqual(p[-1], (100, 100, 2))
        # Fewer clients than crons: one ab a client.
        p = bf.plan(500, 50, 100)
        self.assertEqual((len(p), p[0]), (50, (1, 10, 1)))
        # Uneven: every ab has at least as many requests as clients.
        for req, cl, cr in ((210, 200, 7), (200, 200, 3), (1001, 1000, 9)):
            p = bf.plan(req, cl, cr)
            self.assertEqual(sum(n for _, n, _ in p), req)
            self.assertEqual(sum(c for _, _, c in p), cl)
            self.assertTrue(all(n >= c for _, n, c in p), p)

    def test_shares(self):
        self.assertEqual(bf.shares(10, 3), [(0, 4), (4, 3), (7, 3)])


class TestParsing(unittest.TestCase):

    def test_ab(self):
        r = bf.parse_ab(AB)
        self.assertEqual((r["complete"], r["failed"], r["non2xx"],
                          r["write_errors"], r["seconds"]),
                         (100, 3, 2, 0, 2.613))
        self.assertIn("Receive: 3", r["breakdown"])
        clean = AB.replace("Non-2xx responses:      2\n", "").replace(
            "Failed requests:        3\n   (Connect: 0, Receive: 3, Length:"
            " 0, Exceptions: 0)\n", "Failed requests:        0\n")
        r = bf.parse_ab(clean)
        self.assertEqual((r["failed"], r["non2xx"], r["breakdown"]),
                         (0, 0, ""))
        self.assertIsNone(bf.parse_ab("apr_socket_connect(): refused\n"))

    def test_gnuplot(self):
        self.assertEqual(bf.parse_gnuplot(GNUPLOT), [46, 247])

    def test_pgbench_log(self):
        text = "0 0 1530 0 1796660000 123456\n1 0 247000 0 1796660000 1\n"
        self.assertEqual(bf.parse_pgbench_log(text), [1.53, 247.0])

    def test_client_timing(self):
        sq = "1\nRun Time: real 0.002 user 0.000 sys 0.000\n2\n" \
             "Run Time: real 0.105 user 0.000 sys 0.000\n"
        self.assertEqual([round(x) for x in bf.client_latencies(
            "sqlite", sq, 2)], [2, 105])
        my = ("Query OK, 0 rows affected (0.000 sec)\n\n1 row in set "
              "(0.003 sec)\n\nEmpty set (0.010 sec)\n")
        self.assertEqual([round(x) for x in bf.client_latencies(
            "mysql", my, 2)], [3, 10])
        self.assertEqual(bf.client_latencies("mysql", my, 0), [])

    def test_client_errors(self):
        self.assertEqual(bf.client_errors(
            "sqlite", "Runtime error near line 5: database is locked (5)\n"
            "Error: near line 9: database is locked\n"), 2)
        self.assertEqual(bf.client_errors(
            "mysql", "ERROR 1213 (40001) at line 4: Deadlock found\n"), 1)
        self.assertEqual(bf.client_errors("sqlite", ""), 0)

    def test_log_codes(self):
        log = ("[charon:debug] CHARON113: new database connection: sqlite3\n"
               "[charon:info] CHARON109: statement start failed\n"
               "[charon:debug] CHARON113: new database connection: sqlite3\n")
        self.assertEqual(bf.log_codes(log), {"CHARON113": 2, "CHARON109": 1})


class TestFigures(unittest.TestCase):

    def test_spread(self):
        self.assertEqual(bf.spread([]), "-")
        self.assertEqual(bf.spread([10, 50, 150, 250, 1200, 99, 100, 3000]),
                         "<100 ms 37.5%, 100-199 25.0%, 200-299 12.5%, "
                         ">=1000 25.0%")
        self.assertEqual(bf.spread([10] * 999 + [400, 700]),
                         "<100 ms 99.8%, 300-499 0.10%, 500-999 0.10%")
        self.assertEqual(bf.spread([10] * 2000 + [400]),
                         "<100 ms 100.0%, 300-499 0.05%")

    def test_targets(self):
        # The figures: SQLite 5.3 s, p99 1157 ms; PostgreSQL 2.6 s.
        text, v = bf.sqlite_targets(5.3, 1157, 0, 2.6)
        self.assertEqual(v, "below")
        self.assertIn("p99 < 250 ms: no (1157 ms)", text)
        self.assertIn("0 non-2xx: yes", text)
        self.assertIn("no (2.04x)", text)
        self.assertEqual(bf.sqlite_targets(3.9, 249, 0, 2.6)[1], "ok")
        self.assertEqual(bf.sqlite_targets(3.0, 100, 2, 2.6)[1], "below")
        self.assertEqual(bf.sqlite_targets(3.0, 250, 0, 2.6)[1], "below")
        text, v = bf.sqlite_targets(30.0, 100, 0, None)
        self.assertEqual(v, "ok")
        self.assertIn("not judged", text)

    def test_load_text(self):
        load = bb.Load(wall=2.0, latencies=[1.0, 2.0, 300.0], done=3, bad=1)
        self.assertEqual(load.text("non-2xx"),
                         "wall 2.00 s (2/s), p50 2.0 ms, p99 294 ms, "
                         "1 non-2xx")
        self.assertEqual([bf.ms(x) for x in (0, 0.456, 5, 46.4)],
                         ["<0.5 ms", "0.46 ms", "5.0 ms", "46 ms"])


class TestClientScripts(unittest.TestCase):
    """The reference's scripts on SQLite, schema as shipped: every share
    inserts its rows, over every cron."""

    def test_sqlite(self):
        c = sqlite3.connect(":memory:")
        self.addCleanup(c.close)
        with open(os.path.join(TOP, "sql", "sqlite.sql")) as f:
            c.executescript(f.read())
        c.executescript(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g "
            "WHERE n < 7) INSERT INTO charon_cron (id, slug, name) SELECT n, "
            "'bench-' || n, 'Bench ' || n FROM g;")
        # The module's statement as sql_dump prints it (dialect_sqlite.c).
        d = Dialect(3, "sqlite3", "sqlite3", "BEGIN IMMEDIATE",
                    ["PRAGMA foreign_keys = ON"], {"ST_START": (
                        "INSERT INTO charon_execution (cron_id, started_at, "
                        "api_key, remote_addr) SELECT id, strftime('%%Y-%%m-"
                        "%%d %%H:%%M:%%f', 'now'), %s, %s FROM charon_cron "
                        "WHERE id = %lld RETURNING id")})
        scripts = bf.client_scripts("sqlite", d, 30, 4, 7, "NORMAL")
        self.assertEqual(len(scripts), 4)
        lines = scripts[0].decode().splitlines()
        self.assertEqual(lines[:3], ["PRAGMA foreign_keys = ON;",
                                     "PRAGMA synchronous = NORMAL;",
                                     ".timer on"])
        self.assertEqual(len(lines), 3 + 8)
        for s in scripts:
            c.executescript("\n".join(l for l in s.decode().splitlines()
                                      if not l.startswith(".")))
        got = c.execute("SELECT cron_id, COUNT(*) FROM charon_execution "
                        "WHERE api_key = ? GROUP BY cron_id ORDER BY cron_id",
                        (bf.REF_TAG,)).fetchall()
        self.assertEqual(got, [(1, 5), (2, 5), (3, 4), (4, 4), (5, 4), (6, 4),
                               (7, 4)])
        mysql = Dialect(1, "mariadb", "mysql", "START TRANSACTION",
                        ["SET NAMES utf8mb4"], {"ST_START": "SELECT %s, %s, "
                                                "CAST(%s AS SIGNED)"})
        s = bf.client_scripts("mysql", mysql, 4, 2, 7, "NORMAL")[1].decode()
        self.assertEqual(s, "SET NAMES utf8mb4;\nSELECT 'burst-ref', "
                         "'127.0.0.1', CAST('3' AS SIGNED);\nSELECT "
                         "'burst-ref', '127.0.0.1', CAST('4' AS SIGNED);\n")


if __name__ == "__main__":
    unittest.main()
