"""upgrade_test: the catalog reader and the command line."""

import os
import sqlite3
import tempfile
import unittest

from harness import proc, upgrade_sql, upgrade_test


class TestUpgradeSql(unittest.TestCase):

    def test_norm_parts(self):
        self.assertEqual(upgrade_sql.norm("CREATE TABLE IF NOT EXISTS t (\n"
                                          "  a INT, -- the a\n  b TEXT )"),
                         "CREATE TABLE t (a INT, b TEXT)")
        self.assertEqual(upgrade_sql.parts("a INT, b CHECK (b IN (1, 2)), "
                                           "c TEXT DEFAULT ','"),
                         ["a INT", "b CHECK (b IN (1, 2))", "c TEXT DEFAULT ','"])

    def test_sqlite_schema(self):
        with tempfile.TemporaryDirectory() as d:
            f = os.path.join(d, "x.db")
            con = sqlite3.connect(f)
            con.executescript("CREATE TABLE t (id INTEGER PRIMARY KEY, "
                              "v TEXT NOT NULL -- value\n);"
                              "CREATE INDEX t_v ON t (v);")
            con.close()
            lines = upgrade_sql.sqlite_schema(f)
        self.assertIn("table t", lines)
        self.assertIn("  def v TEXT NOT NULL", lines)
        self.assertIn("index t_v on t : CREATE INDEX t_v ON t (v)", lines)

    def test_args_and_diff(self):
        self.assertEqual(upgrade_test.parse_args([]), ["sqlite", "pgsql", "mysql"])
        self.assertEqual(upgrade_test.parse_args(["mysql"]), ["mysql"])
        self.assertIsNone(upgrade_test.parse_args(["--help"]))
        with self.assertRaises(proc.Failure):
            upgrade_test.parse_args(["mssql"])
        self.assertEqual(upgrade_test.unified("a\nb", "a\nb", "x", "y"), "")
        self.assertIn("-b\n+c", upgrade_test.unified("a\nb", "a\nc", "x", "y"))
        self.assertEqual(upgrade_test.rows_of("%d|x", 2), "1|x\n2|x")


if __name__ == "__main__":
    unittest.main()
