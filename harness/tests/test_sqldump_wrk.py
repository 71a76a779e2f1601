"""sqldump and wrk: the format of build/sql_dump, binding its
placeholders, and wrk's output as the Lua scripts of tests/bench end it."""

import unittest

from harness import sqldump, wrk
from harness.proc import Failure

DUMP = """\
dialect|0|pgsql|pgsql
begin|0|BEGIN
init|0|SET client_encoding TO 'UTF8'
init|0|SET statement_timeout = '5s'
sql|0|ST_START|INSERT INTO e (k, a, c) SELECT %s, %s, id FROM c WHERE id = %lld RETURNING id
sql|0|ST_END|UPDATE e SET ok = (%d <> 0), t = %s WHERE id = %lld RETURNING to_char(x, 'YYYY|MM')
dialect|1|mariadb|mysql
begin|1|START TRANSACTION
init|1|SET NAMES utf8mb4
sql|1|ST_START|INSERT IGNORE INTO e (k, a, c) SELECT %s, %s, id FROM c WHERE id = CAST(%s AS SIGNED) RETURNING id
sql|1|ST_MESSAGE|INSERT INTO m (t, x, e) SELECT %s, %s, id FROM e WHERE id = CAST(%s AS SIGNED) RETURNING id
sql|1|ST_END|UPDATE e SET ok = %d, t = %s WHERE id = CAST(%s AS SIGNED)
sql|1|ST_END_LOST|SELECT DATE_FORMAT(lost_at, '%%Y') FROM e WHERE id = CAST(%s AS SIGNED)
dialect|2|mysql|mysql
begin|2|START TRANSACTION
sql|2|ST_START|INSERT IGNORE INTO e (k, a, c) SELECT %s, %s, id FROM c WHERE id = CAST(%s AS SIGNED)
sql|2|ST_MESSAGE|INSERT INTO m (t, x, e) SELECT %s, %s, id FROM e WHERE id = CAST(%s AS SIGNED)
sql|2|ST_END|UPDATE e SET ok = %d, t = %s WHERE id = CAST(%s AS SIGNED)
sql|2|ST_END_LOST|SELECT lost_at FROM e WHERE id = CAST(%s AS SIGNED)
sql|2|ST_LAST_ID|SELECT LAST_INSERT_ID()
const|BATCH|1000
const|MAX_BATCHES|10
"""


class TestSqlDump(unittest.TestCase):

    def test_parse(self):
        d = sqldump.parse(DUMP)
        self.assertEqual([x.name for x in d.dialects],
                         ["pgsql", "mariadb", "mysql"])
        pg = d.dialect("pgsql")
        self.assertEqual((pg.driver, pg.begin), ("pgsql", "BEGIN"))
        self.assertEqual(pg.init, ["SET client_encoding TO 'UTF8'",
                                   "SET statement_timeout = '5s'"])
        # the SQL is the last field and may hold '|'
        self.assertTrue(pg.sql["ST_END"].endswith("'YYYY|MM')"))
        self.assertEqual(d.consts, {"BATCH": 1000, "MAX_BATCHES": 10})
        self.assertTrue(d.dialect("mariadb").returns("ST_START"))
        self.assertFalse(d.dialect("mariadb").returns("ST_END"))
        self.assertFalse(d.dialect("mysql").returns("ST_START"))
        with self.assertRaises(Failure):
            d.dialect("oracle")

    def test_parse_refuses_other_formats(self):
        for text in ("name|ST_START|4\n",               # the old format
                     "sql|0|ST_START|SELECT 1\n",        # no dialect 0
                     "dialect|0|pgsql\n",
                     "dialect|0|pgsql|pgsql\nsql|0|START|SELECT 1\n",
                     "dialect|0|pgsql|pgsql\nconst|BATCH|many\n", ""):
            with self.assertRaises(Failure, msg=text):
                sqldump.parse(text)

    def test_bind(self):
        sql = "SELECT %s, %d, %lld, '%%Y' WHERE a = CAST(%s AS SIGNED)"
        self.assertEqual(sqldump.placeholders(sql), ["s", "d", "lld", "s"])
        self.assertEqual(sqldump.bind(sql, ["it's", 1, "42", 7]),
                         "SELECT 'it''s', 1, 42, '%Y' WHERE a = "
                         "CAST('7' AS SIGNED)")
        with self.assertRaises(ValueError):
            sqldump.bind(sql, [1])
        self.assertEqual(sqldump.substitute("%s %% %lld", lambda k, i:
                                            ":%s%d" % (k, i)), ":s0 % :lld1")


WRK_OUT = """\
Running 1s test @ http://127.0.0.1:1/api/
  2 threads and 128 connections
%s
BENCH requests=100 duration_s=1.004 rps=99.6 p50_ms=1.250 p90_ms=2.000 p99_ms=9.500 max_ms=12.000 non2xx=%d connect=0 read=0 write=0 timeout=0%s
"""


class TestWrk(unittest.TestCase):

    def test_clean_run(self):
        r = wrk.judge(WRK_OUT % ("", 0, " cycles=25 broken=0"))
        self.assertEqual(r.failures, [])
        self.assertEqual((r.requests, r.rps, r.p50_ms, r.p99_ms),
                         (100, 99.6, 1.25, 9.5))
        self.assertEqual(r.get("cycles"), 25)

    def test_failures(self):
        r = wrk.judge(WRK_OUT % ("  Socket errors: connect 0, read 1, write 0,"
                                 " timeout 0", 0, ""))
        self.assertEqual(r.failures, ["socket errors: connect 0, read 1, "
                                      "write 0, timeout 0"])
        r = wrk.judge(WRK_OUT % ("  Non-2xx or 3xx responses: 3", 3,
                                 " used=10 exhausted=2"))
        self.assertTrue(r.non2xx)
        self.assertEqual(len(r.failures), 2)
        self.assertIn("3 of 100 answers", r.failures[0])
        self.assertIn("ran out of open executions (2", r.failures[1])
        r = wrk.judge("unable to connect\n", 1)
        self.assertEqual(r.failures, ["wrk failed (exit 1): unable to "
                                      "connect"])
        self.assertEqual(r.rps, 0)

    def test_rounds(self):
        acc = wrk.Rounds()
        self.assertEqual(acc.rps, 0)
        acc.add(1000, 2, 1.0, 9.0)
        acc.add(3000, 2, 2.0, 5.0, failed=True)
        self.assertEqual((acc.rps, acc.p50_ms, acc.p99_ms, acc.failed),
                         (1000, 2.0, 9.0, True))


if __name__ == "__main__":
    unittest.main()
