"""sqldump: reading build/sql_dump and writing statements for clients."""

import unittest

from harness import sqldump
from harness.proc import Failure

DUMP = """dialect|0|pgsql|pgsql
begin|0|BEGIN
init|0|SET client_encoding TO 'UTF8'
init|0|SET statement_timeout = '5s'
sql|0|ST_END|UPDATE t SET a = (%d <> 0), b = %s WHERE id = %lld AND c LIKE 'x%%|y'
dialect|1|sqlite3|sqlite3
begin|1|BEGIN IMMEDIATE
init|1|PRAGMA foreign_keys = ON
sql|1|ST_WD_LOSE|UPDATE t SET x = 1
const|BATCH|1000
const|MAX_BATCHES|10
"""


class TestDump(unittest.TestCase):

    def test_parse(self):
        d = sqldump.Dump(DUMP)
        pg = d.dialect("pgsql")
        self.assertEqual(pg.driver, "pgsql")
        self.assertEqual(pg.begin, "BEGIN")
        self.assertEqual(len(pg.init), 2)
        # the SQL is the last field and may hold '|'
        self.assertTrue(pg.sql["ST_END"].endswith("'x%%|y'"))
        self.assertEqual(pg.init_setting("statement_timeout"), "5s")
        self.assertIsNone(d.dialect("sqlite3").init_setting("statement_timeout"))
        self.assertEqual(d.const("MAX_BATCHES"), 10)
        self.assertIsNone(d.const("RETENTION_CRONS"))
        with self.assertRaises(Failure):
            d.dialect("mariadb")

    def test_bad_line(self):
        with self.assertRaises(Failure):
            sqldump.Dump("sql|7|ST_X|SELECT 1\n")
        with self.assertRaises(Failure):
            sqldump.Dump("what|0\n")

    def test_placeholders(self):
        sql = sqldump.Dump(DUMP).dialect("pgsql").sql["ST_END"]
        self.assertEqual(sqldump.placeholders(sql), ["d", "s", "lld"])
        self.assertEqual(sqldump.placeholders("SELECT 1"), [])

    def test_writers(self):
        sql = "SELECT %s, %d, %lld, '100%%'"
        self.assertEqual(sqldump.pg_prepare("p", sql),
                         "PREPARE p(varchar, int4, int8) AS "
                         "SELECT $1, $2, $3, '100%';")
        self.assertEqual(sqldump.pg_prepare("q", "SELECT 1"),
                         "PREPARE q AS SELECT 1;")
        self.assertEqual(sqldump.qmarks(sql), "SELECT ?, ?, ?, '100%'")
        self.assertEqual(sqldump.literal(sql, ["it's", 2, 3]),
                         "SELECT 'it''s', 2, 3, '100%'")
        self.assertEqual(sqldump.literal("SELECT %d", []), "SELECT 1")
        self.assertEqual(sqldump.args_list(["a", 1]), "('a', '1')")
        self.assertEqual(sqldump.args_list([]), "")


if __name__ == "__main__":
    unittest.main()
