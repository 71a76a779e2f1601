"""The big-table benchmark's pure parts: options, the databases' order,
chunks, wrk's result, the plan parsers and their rows, psql's timings."""

import types
import unittest

from harness import bigt_data, bigt_plans, bigt_watchdog, bigt_wrk, bigtables
from harness.proc import Failure


class TestOptions(unittest.TestCase):

    def test_defaults(self):
        o = bigtables.Options(quick=True, environ={})
        self.assertEqual((o.executions, o.messages, o.per_exec), (50000,
                                                                  250000, 5))
        self.assertEqual((o.seconds, o.budget, o.tail), (1, 60, 10))
        o = bigtables.Options(environ={})
        self.assertEqual((o.executions, o.budget, o.tail), (10000000, 190,
                                                            1000))
        self.assertEqual(o.target, 1.2)

    def test_environment(self):
        o = bigtables.Options(environ={"CHARON_BIGT_EXECUTIONS": "1000",
                                       "CHARON_BIGT_MESSAGES": "3000",
                                       "CHARON_BIGT_TARGET": "1.5"})
        self.assertEqual(o.per_exec, 3)
        self.assertEqual(o.target_text, "1.5")
        for bad in ({"CHARON_BIGT_MESSAGES": "7"},
                    {"CHARON_BIGT_SECONDS": "x"},
                    {"CHARON_BIGT_CRONS": "10"},
                    {"CHARON_BIGT_TARGET": "a lot"}):
            with self.assertRaises(Failure):
                bigtables.Options(environ=bad)

    def test_choose(self):
        self.assertEqual(bigtables.choose([], False),
                         ([["pgsql", "sqlite"]], False))
        self.assertEqual(bigtables.choose(["pgsql", "sqlite", "mysql"], False),
                         ([["pgsql", "sqlite"]], True))
        self.assertEqual(bigtables.choose(["mysql"], False),
                         ([["mysql"]], False))
        self.assertEqual(bigtables.choose(["sqlite", "pgsql"], True),
                         ([["sqlite", "pgsql"], ["mysql"]], False))
        self.assertEqual(bigtables.choose(["pgsql", "pgsql"], False),
                         ([["pgsql"]], False))

    def test_args(self):
        self.assertEqual(bigtables.parse_args(["--quick", "mysql"])[3],
                         ["mysql"])
        self.assertIsNone(bigtables.parse_args(["--help"]))
        with self.assertRaises(Failure):
            bigtables.parse_args(["oracle"])


class TestData(unittest.TestCase):

    def test_chunks(self):
        self.assertEqual(list(bigt_data.chunks(5)), [(1, 1, 5)])
        parts = list(bigt_data.chunks(50000))
        self.assertEqual(len(parts), 20)
        self.assertEqual(parts[0], (1, 1, 2500))
        self.assertEqual(parts[-1], (20, 47501, 50000))
        parts = list(bigt_data.chunks(41))      # sizes of 3: 14 parts
        self.assertEqual(parts[-1], (14, 40, 41))


class TestWrk(unittest.TestCase):

    def test_result(self):
        out = ("Running 1s test\nRESULT requests=100 non2xx=2 sockerr=1 "
               "overrun=3 p50=512.0 p99=2048.5 mean=700.0 max=9000.0\n")
        r = bigt_wrk.parse_result(out)
        self.assertEqual((r["requests"], r["bad"], r["sockerr"]), (100, 5, 1))
        self.assertAlmostEqual(r["p99"], 2.0485)
        self.assertIsNone(bigt_wrk.parse_result("error\n"))

    def test_rows(self):
        big = types.SimpleNamespace(kind="pgsql", sizes_label="1M exec/5M msg")
        opts = types.SimpleNamespace(concurrency=8, rounds=3, target=1.2,
                                     target_text="1.2")
        r = lambda p50, bad=0: {"requests": 10, "bad": bad, "sockerr": 0,
                                "p50": p50, "p99": 2 * p50, "mean": p50}
        res = {}
        for ep in bigt_wrk.ENDPOINTS:
            res[(ep, "empty")] = [r(1.0), r(1.0), r(9.0)]
            res[(ep, "big")] = [r(1.1), r(5.0), r(1.0)]
        res[("end", "big")][0] = r(1.1, bad=1)
        rows, failed = bigt_wrk.rows(big, opts, res)
        self.assertTrue(failed)
        self.assertEqual(rows[0], (
            "big tables: start p50 latency, c8, 1M exec/5M msg vs empty",
            "pgsql", "1.100 ms (median of 3 rounds)", "1.000 ms", "1.10",
            "<= 1.2", "ok"))
        self.assertEqual(rows[1][6], "ok")
        self.assertEqual(rows[6][6], "ERROR")


PG_PLANS = """=== ST_START (hot)
--- custom
 Insert on charon_execution (actual time=0.1..0.1 rows=0 loops=1)
   ->  Index Scan using charon_cron_pkey on charon_cron
 Execution Time: 0.337 ms
--- generic
   ->  Seq Scan on charon_cron
=== ST_IDEM_GET (hot)
 Seq Scan on charon_idempotency
=== ST_MGR_HISTORY (admin)
 Index Scan Backward using charon_execution_cron on charon_execution e
=== ST_METRICS_CRONS (admin)
 Seq Scan on charon_cron c
   ->  Bitmap Index Scan on charon_execution_open
 Seq Scan on charon_execution e
=== ST_WD_REOPEN (watchdog)
 Seq Scan on charon_cron
=== ST_WD_LOSE (watchdog)
psql:<stdin>:9: ERROR:  syntax error
"""

SQLITE_PLANS = """=== ST_CRON_BY_ID (hot)
SEARCH c USING INTEGER PRIMARY KEY (rowid=?)
=== ST_MGR_LIST_ALL (admin)
MATERIALIZE p
  SCAN c USING COVERING INDEX sqlite_autoindex_charon_cron_1
SCAN p
=== ST_HEALTH_FAILING (admin)
SCAN s
=== ST_WD_LOSE (watchdog)
ERROR: no such table
"""

MYSQL_PLANS = ("=== ST_END (hot)\n"
               "id\tselect_type\ttable\ttype\tpossible_keys\tkey\tkey_len\t"
               "ref\trows\tExtra\n"
               "1\tSIMPLE\tcharon_execution\trange\tPRIMARY\tPRIMARY\t8\t"
               "NULL\t1\tUsing where\n"
               "=== ST_METRICS_CRONS (admin)\n"
               "1\tPRIMARY\tc\tALL\tNULL\tNULL\tNULL\tNULL\t1000\t\n"
               "1\tPRIMARY\t<derived2>\tref\tkey0\tkey0\t8\tc.id\t10\t\n"
               "2\tDERIVED\tcharon_execution\tindex\tNULL\tcharon_execution_open"
               "\t12\tNULL\t5\t\n")


class TestPlans(unittest.TestCase):

    def big(self, kind):
        return types.SimpleNamespace(kind=kind, sizes_label="1M exec/5M msg")

    def test_groups(self):
        self.assertEqual(bigt_plans.group("ST_END"), "hot")
        self.assertEqual(bigt_plans.group("ST_WD_LOSE"), "watchdog")
        self.assertEqual(bigt_plans.group("ST_HEALTH_ALIVE"), "admin")
        self.assertIsNone(bigt_plans.group("ST_LAST_ID"))

    def test_pgsql(self):
        s = bigt_plans.parse("pgsql", PG_PLANS)
        self.assertEqual([x.name for x in s][:2], ["ST_START", "ST_IDEM_GET"])
        self.assertEqual(s[0].scans, {"charon_cron"})   # the generic plan
        self.assertEqual(s[0].indexes, {"charon_cron_pkey"})
        self.assertEqual(s[0].ms, "0.337")
        self.assertTrue(s[5].error)
        rows = bigt_plans.rows(self.big("pgsql"), s, 1000)
        self.assertEqual(rows[0][2], "not index lookups: ST_START: "
                         "charon_cron (of 2 statements)")
        self.assertEqual(rows[0][6], "below")
        self.assertEqual(rows[1][2], "full scans of big tables: "
                         "ST_METRICS_CRONS: charon_execution (of 2 "
                         "statements); full scans of tables of a row per "
                         "cron: ST_METRICS_CRONS: charon_cron")
        self.assertEqual(rows[1][6], "below")
        self.assertEqual(rows[2][2], "full scans of tables: ST_WD_REOPEN: "
                         "charon_cron; ST_WD_LOSE: (error) (charon_cron "
                         "holds 1000 rows; charon_idempotency is empty here)")

    def test_sqlite(self):
        sqls = {"ST_HEALTH_FAILING":
                "SELECT 1 FROM charon_cron_stats s JOIN charon_cron c"}
        s = bigt_plans.parse("sqlite", SQLITE_PLANS, sqls)
        self.assertEqual(s[0].indexes, {"rowid"})
        self.assertEqual(s[1].scans, set())
        self.assertEqual(s[1].indexes,
                         {"sqlite_autoindex_charon_cron_1 (all of it)"})
        self.assertEqual(s[2].scans, {"charon_cron_stats"})
        self.assertTrue(s[3].error)
        rows = bigt_plans.rows(self.big("sqlite"), s, 1000)
        self.assertEqual(rows[0][2], "all 1 statements are index lookups")
        self.assertEqual(rows[1][6], "ok")

    def test_mysql(self):
        sqls = {"ST_METRICS_CRONS": "SELECT c.slug FROM charon_cron c"}
        s = bigt_plans.parse("mysql", MYSQL_PLANS, sqls)
        self.assertEqual(s[0].indexes, {"PRIMARY"})
        self.assertEqual(s[0].scans, set())
        self.assertEqual(s[1].scans, {"charon_cron(ALL)",
                                      "charon_execution(index)"})
        rows = bigt_plans.rows(self.big("mysql"), s, 1000)
        self.assertEqual(rows[1][6], "below")

    def test_writers(self):
        sql = "SELECT %s, %d, %lld, '100%%'"
        self.assertEqual(bigt_plans.pg_prepare("p", sql),
                         "PREPARE p(varchar, int4, int8) AS "
                         "SELECT $1, $2, $3, '100%';")
        self.assertEqual(bigt_plans.pg_prepare("q", "SELECT 1"),
                         "PREPARE q AS SELECT 1;")
        self.assertEqual(bigt_plans.pg_execute("p", ["it's", 1]),
                         "EXECUTE p('it''s', '1');")
        self.assertEqual(bigt_plans.pg_execute("q", []), "EXECUTE q;")
        self.assertEqual(bigt_plans.qmarks(sql), "SELECT ?, ?, ?, '100%'")

    def test_args(self):
        opts = types.SimpleNamespace(crons=1000, keep=1000, max_age=7776000,
                                     keep_failures=10)
        a = bigt_plans.Args(10000000, opts)
        self.assertEqual((a.mid, a.run), (5000000, 10000000))
        self.assertEqual(a.before % 1000, 500)
        self.assertEqual(a.for_sql("ST_END", "UPDATE %d %s %lld"),
                         ["1", "success", "10000000"])
        self.assertIsNone(a.for_sql("ST_END", "UPDATE %d %s"))
        self.assertIsNone(a.for_sql("ST_NEW", "SELECT 1"))
        self.assertEqual(a.values("ST_WD_RETENTION"),
                         (500, 1000, 1000, 7776000, 7776000, 10))


PSQL_TIMES = """=== backlog
DELETE 1000
Time: 90.5 ms
=== backlog
DELETE 12
Time: 30.0 ms
=== backlog
DELETE 0
Time: 20.0 ms
BEGIN
Time: 0.1 ms
=== steady
DELETE 0
Time: 25.0 ms
=== lose
psql:<stdin>:3: ERROR:  canceling statement due to statement timeout
"""


class TestWatchdog(unittest.TestCase):

    def test_parse_psql(self):
        self.assertEqual(bigt_watchdog.parse_psql(PSQL_TIMES, 1000), [
            ("backlog", 90.5, 1000), ("backlog", 30.0, 12),
            ("steady", 25.0, 0), ("lose", None, 0)])


if __name__ == "__main__":
    unittest.main()
