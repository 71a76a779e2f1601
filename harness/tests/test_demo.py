"""demo (make run's database) and scripts/run.sh's alert channel: a new
demo starts with no alert pending, a run ended as failed makes one, an
older demo is upgraded to the schema the module needs."""

import datetime
import os
import sqlite3
import tempfile
import unittest

from harness import demo

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class TestDemo(unittest.TestCase):

    def setUp(self):
        d = tempfile.TemporaryDirectory(prefix="charon-demo-test.")
        self.addCleanup(d.cleanup)
        self.path = os.path.join(d.name, "charon.db")
        demo.create(self.path)
        self.c = sqlite3.connect(self.path)
        self.addCleanup(self.c.close)

    def q(self, sql, args=()):
        return self.c.execute(sql, args).fetchall()

    def cron(self, slug):
        return self.q("SELECT id FROM charon_cron WHERE slug = ?",
                      (slug,))[0][0]

    def test_the_crons_and_their_history(self):
        self.assertEqual(
            sorted(r[0] for r in self.q("SELECT slug FROM charon_cron")),
            ["cleanup-tmp", "heartbeat", "hourly-sync", "nightly-backup",
             "weekly-report"])
        # The history has failures, a too short run, a missed slot ...
        self.assertTrue(self.q(
            "SELECT 1 FROM charon_execution WHERE success = 0"))
        self.assertTrue(self.q(
            "SELECT 1 FROM charon_execution WHERE too_short = 1"))
        self.assertTrue(self.q(
            "SELECT 1 FROM charon_execution WHERE missed = 'missed'"))

    def test_no_alert_about_the_history(self):
        # ... which the first tick must not turn into alerts: every cron
        # starts up, nothing waits.
        self.assertEqual(self.q("SELECT COUNT(*) FROM charon_alert_outcome"),
                         [(0,)])
        self.assertEqual(self.q("SELECT COUNT(*) FROM charon_cron_alert"),
                         [(0,)])
        self.assertEqual(self.q("SELECT COUNT(*) FROM charon_alert_event"),
                         [(0,)])

    def test_a_failed_end_makes_an_outcome(self):
        # What run.sh's curl line does (start, then end with success
        # false): the trigger writes the outcome the watchdog alerts on.
        tmp = self.cron("cleanup-tmp")
        now = datetime.datetime.now(datetime.timezone.utc)
        with self.c:
            eid = self.c.execute(
                "INSERT INTO charon_execution (cron_id, started_at, api_key,"
                " remote_addr) VALUES (?, ?, 'demo', '127.0.0.1')",
                (tmp, demo.ts(now))).lastrowid
            self.c.execute(
                "UPDATE charon_execution SET ended_at = ?, success = 0,"
                " type = 'error' WHERE id = ?", (demo.ts(now), eid))
        self.assertEqual(self.q(
            "SELECT cron_id, execution_id, outcome FROM charon_alert_outcome"),
            [(tmp, eid, "failed")])

    def test_upgrade_of_a_current_demo_changes_nothing(self):
        before = self.q("SELECT COUNT(*) FROM charon_execution")
        demo.upgrade(self.path)
        self.assertEqual(self.q("SELECT COUNT(*) FROM charon_execution"),
                         before)

    def test_upgrades_reach_the_current_schema(self):
        # Each step's script exists, and the last step's probe is what
        # sql/sqlite.sql (the schema the module wants) has: an older demo
        # database comes up to it.
        for name, probe, script in demo.UPGRADES:
            self.assertTrue(os.path.isfile(os.path.join(
                TOP, "sql", "upgrade", script, "sqlite.sql")), script)
            self.c.execute(probe)
        steps = sorted(os.listdir(os.path.join(TOP, "sql", "upgrade")),
                       key=lambda s: int(s.split("-")[0]))
        self.assertEqual(demo.UPGRADES[-1][2], steps[-1])


class TestRunScript(unittest.TestCase):
    """scripts/run.sh writes an alert channel and says where it writes."""

    def setUp(self):
        with open(os.path.join(TOP, "scripts", "run.sh")) as f:
            self.text = f.read()

    def test_channel(self):
        self.assertIn('alerts="$dbdir/alerts.jsonl"', self.text)
        self.assertIn('CharonAlert demo "file:$alerts"', self.text)
        self.assertIn('CharonManagerURL "http://127.0.0.1:$port/'
                      'charon-manager"', self.text)

    def test_what_it_prints(self):
        self.assertIn("tail -f $alerts\n", self.text)
        # A curl line that ends a run of cleanup-tmp as failed.
        self.assertRegex(
            self.text, r"id=\\\$\(curl .*\$base/\$tmp_id/start \| tr -dc "
            r"0-9\); curl .*\"success\":false\}' \$base/\\\$id/end")


if __name__ == "__main__":
    unittest.main()
