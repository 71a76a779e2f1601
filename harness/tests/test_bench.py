"""The benchmark's pure parts: the clients' scripts, pgbench's output,
the soak's arithmetic, the table's rows, the options."""

import unittest

from harness import bench, bench_report, bench_soak, sqldump
from harness.bench_db import cycle_script, pgbench_figures, pgbench_script
from harness.proc import Failure
from harness.tests.test_sqldump_wrk import DUMP

class TestBaselines(unittest.TestCase):

    def test_cycle_script_returning(self):
        d = sqldump.parse(DUMP).dialect("mariadb")
        text = cycle_script(d, "mysql", 2, 100, 64, "NORMAL")
        lines = text.splitlines()
        self.assertEqual(lines[0], "SET NAMES utf8mb4;")
        # per cycle: START, MESSAGE (RETURNING: one statement each), END,
        # END_LOST (END returns nothing)
        self.assertEqual(len(lines), 1 + 2 * 4)
        self.assertIn("'bench-cli', '127.0.0.1', id FROM c WHERE id = "
                      "CAST('1' AS SIGNED)", lines[1])
        self.assertIn("'info', 'bench: a line of log, as a job writes it', "
                      "id FROM e WHERE id = CAST('100' AS SIGNED)", lines[2])
        self.assertEqual(lines[3], "UPDATE e SET ok = 1, t = 'success' WHERE "
                         "id = CAST('100' AS SIGNED);")
        self.assertEqual(lines[4], "SELECT DATE_FORMAT(lost_at, '%Y') FROM e "
                         "WHERE id = CAST('100' AS SIGNED);")
        self.assertIn("CAST('2' AS SIGNED)", lines[5])
        self.assertIn("CAST('101' AS SIGNED)", lines[6])

    def test_cycle_script_last_insert_id(self):
        d = sqldump.parse(DUMP).dialect("mysql")
        lines = cycle_script(d, "mysql", 1, 7, 64, "NORMAL").splitlines()
        self.assertEqual(lines[:4], [
            "START TRANSACTION;", lines[1], "SELECT LAST_INSERT_ID();",
            "COMMIT;"])
        self.assertEqual(len(lines), 4 + 4 + 2)

    def test_cycle_script_sqlite_settings(self):
        d = sqldump.Dialect(0, "sqlite3", "sqlite3", "BEGIN IMMEDIATE",
                            ["PRAGMA foreign_keys = ON"], {
                                "ST_START": "INSERT %s %s %lld RETURNING id",
                                "ST_MESSAGE": "INSERT %s %s %lld RETURNING id",
                                "ST_END": "UPDATE %d %s %lld RETURNING x"})
        lines = cycle_script(d, "sqlite", 1, 5, 64, "FULL").splitlines()
        self.assertEqual(lines, [
            "PRAGMA foreign_keys = ON;", "PRAGMA synchronous = FULL;",
            "INSERT 'bench-cli' '127.0.0.1' 1 RETURNING id;",
            "INSERT 'info' 'bench: a line of log, as a job writes it' 5 "
            "RETURNING id;", "UPDATE 1 'success' 5 RETURNING x;"])

    def test_pgbench(self):
        d = sqldump.parse(DUMP).dialect("pgsql")
        self.assertEqual(pgbench_script(d, 64),
                         "\\set cid random(1, 64)\nINSERT INTO e (k, a, c) "
                         "SELECT :key, :addr, id FROM c WHERE id = :cid "
                         "RETURNING id;\n")
        out = ("number of transactions actually processed: 29007\n"
               "number of failed transactions: 0 (0.000%)\n"
               "tps = 14501.3 (without initial connection time)\n")
        self.assertEqual(pgbench_figures(out), (14501.3, 29007, 0))
        self.assertEqual(pgbench_figures("connection refused"),
                         (None, None, None))


class TestSoak(unittest.TestCase):

    def test_growth(self):
        s0 = [(10, 1000, 40), (11, 2000, 42), (12, 500, 30)]
        s1 = [(10, 1100, 41), (11, 2050, 40)]
        s2 = [(10, 1500, 40), (11, 2100, 44), (13, 100, 9)]
        self.assertEqual(bench_soak.growth([s0, s1, s2]),
                         (2, 2, (1000, 1100, 1500), (42, 41, 44)))
        self.assertEqual(bench_soak.growth([[], [], []]),
                         (0, 0, (0, 0, 0), (0, 0, 0)))

    def test_time(self):
        self.assertEqual(bench_soak.soak_seconds(1000000 / 2, 4000), 125)
        self.assertEqual(bench_soak.soak_seconds(-300, 4000), 1)
        self.assertEqual(bench_soak.soak_seconds(10, 0), 10)
        self.assertEqual(bench_soak.first_rate(1, 1, 1, 1, 7), 1)
        self.assertAlmostEqual(bench_soak.first_rate(2, 2, 1, 1, 7), 4 / 3)
        self.assertEqual(bench_soak.first_rate(2, 0, 1, 1, 7), 7)


def row(m, d, fig="1 req/s", v="report"):
    return (m, d, fig, "-", "-", "-", v)


class TestReport(unittest.TestCase):

    def test_order(self):
        rows = [row("latency end, c1", "sqlite"),
                row("soak: RSS per child, 5 requests", "pgsql"),
                row("big tables: start p50 latency, c8", "pgsql"),
                row("latency can-start, c128", "pgsql"),
                row("latency can-start, c32", "pgsql"),
                row("start req/s, c32", "pgsql"),
                row("start req/s, c8", "pgsql"),
                row("can-start req/s, c32, keep-alive", "sqlite"),
                row("httpd error_log: lines", "sqlite"),
                row("latency start, c1", "pgsql")]
        got = [(r[0], r[1]) for r in bench_report.ordered(rows,
                                                          ["sqlite", "pgsql"])]
        self.assertEqual(got, [
            ("can-start req/s, c32, keep-alive", "sqlite"),
            ("start req/s, c8", "pgsql"), ("start req/s, c32", "pgsql"),
            ("latency end, c1", "sqlite"),
            ("latency can-start, c32", "pgsql"),
            ("latency can-start, c128", "pgsql"),
            ("latency start, c1", "pgsql"),
            ("soak: RSS per child, 5 requests", "pgsql"),
            ("httpd error_log: lines", "sqlite"),
            ("big tables: start p50 latency, c8", "pgsql")])

    def test_problems(self):
        expected = bench_report.expected_rows(["sqlite"], (1, 32))
        self.assertEqual(len(expected), 1 + 1 + 8 + 4)
        rows = [row(m, d) for m, d in expected]
        self.assertEqual(bench_report.problems(rows, expected), [])
        rows[0] = row(rows[0][0], "sqlite", "0 req/s")
        rows[1] = row(rows[1][0], "sqlite", "no figure")
        rows[2] = row(rows[2][0], "sqlite", "3 ms", "ERROR")
        rows[-1] = row("httpd error_log: lines", "sqlite", "0", "ok")
        rows.append(row("big tables", "all", "not measured (--smoke)"))
        del rows[3]
        self.assertEqual(bench_report.problems(rows, expected), [
            "the table has no row 'latency can-start, c32' for sqlite",
            "row 'can-start req/s, c32, keep-alive' (sqlite): zero "
            "('0 req/s')",
            "row 'start+message+end cycles/s, c1' (sqlite) has no number: "
            "'no figure'",
            "row 'latency can-start, c1' (sqlite) is marked ERROR"])

    def test_rows_and_log(self):
        r = ("m", "pgsql", "1 ms", "-", "0.50", ">= 0.6", "below")
        self.assertEqual(bench_report.parse_row(bench_report.row_line(r)), r)
        self.assertIsNone(bench_report.parse_row("bench: row|x"))
        self.assertTrue(bench_report.at_least("0.60", 0.6))
        self.assertFalse(bench_report.at_least("-", 0.6))
        log = ("[Sun Dec 07 03:10:00.1 2026] [mpm_event:notice] [pid 1] x\n"
               "[Sun Dec 07 03:10:01.2 2026] [charon:error] [pid 2:tid 3] "
               "CHARON105: statement ST_END failed: boom\n"
               "[Sun Dec 07 03:10:02.3 2026] [core:notice] [pid 1] AH00052: "
               "child pid 2 exit signal Segmentation fault (11)\n")
        n, first, crash = bench_report.error_log_summary(log)
        self.assertEqual((n, first), (1, "[charon:error] CHARON105: statement "
                                         "ST_END failed: boom"))
        self.assertEqual(len(crash), 1)


class TestOptions(unittest.TestCase):

    def test_modes(self):
        o = bench.parse_args([], {})
        self.assertEqual((o.mode, o.dbs, o.secs, o.soak, o.soak_other,
                          o.concs, o.threads, o.rounds),
                         ("full", ["pgsql", "mysql", "sqlite"], 2, 1000000,
                          50000, (1, 32, 128), 192, (2, 2)))
        o = bench.parse_args(["mysql"], {"QUICK": "1"})
        self.assertEqual((o.mode, o.dbs, o.secs, o.concs, o.rounds,
                          o.soak_main), ("quick", ["mysql"], 1, (1, 32),
                                         (1, 1), "mysql"))
        o = bench.parse_args(["--smoke", "--seconds", "3", "--soak", "100"],
                             {"CHARON_BENCH_SOAK_OTHER": "500"})
        self.assertEqual((o.dbs, o.secs, o.soak, o.soak_other, o.rounds),
                         (["sqlite"], 3, 100, 100, (2, 3)))
        self.assertIsNone(bench.parse_args(["--help"], {}))
        for bad in (["--seconds"], ["--seconds", "x"], ["oracle"],
                    ["--seconds", "0"]):
            with self.assertRaises(Failure, msg=bad):
                bench.parse_args(bad, {})

    def test_threads_above_every_run(self):
        # the event MPM closes keep-alive connections of a child without
        # an idle worker: a run's connections must fit in one child
        for threads in ("128", "100"):
            with self.assertRaises(Failure) as e:
                bench.parse_args(["--smoke"], {"CHARON_BENCH_THREADS":
                                               threads})
            self.assertIn("(128)", str(e.exception))
        self.assertEqual(bench.parse_args([], {"CHARON_BENCH_THREADS": "129"}
                                          ).threads, 129)
        with self.assertRaises(Failure):
            bench.parse_args([], {"CHARON_BENCH_THREADS": "160",
                                  "CHARON_BENCH_SOAK_CONNS": "200"})


if __name__ == "__main__":
    unittest.main()
