"""bench_alerts's pure parts: its options, its SQL (run on SQLite with the
real schema: the triggers must turn the UPDATE into outcomes), and the
arithmetic of what the deliveries did."""

import json
import os
import sqlite3
import unittest

from harness import bench_alerts as ba
from harness.proc import Usage

TOP = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class TestOptions(unittest.TestCase):

    def test_defaults(self):
        o = ba.parse_args([], {})
        self.assertEqual((o.mode, o.dbs, o.alerts, o.secs, o.delay_ms),
                         ("full", ["sqlite"], 1000, 10, 20))
        self.assertTrue(o.logdir.endswith(os.path.join("build",
                                                       "bench-alerts")))

    def test_quick_and_smoke(self):
        o = ba.parse_args([], {"QUICK": "1"})
        self.assertEqual((o.mode, o.alerts, o.secs), ("quick", 1000, 5))
        self.assertEqual(ba.parse_args([], {"QUICK": "0"}).mode, "full")
        o = ba.parse_args(["--smoke"], {})
        self.assertEqual((o.mode, o.alerts, o.secs), ("smoke", 100, 2))

    def test_overrides_and_databases(self):
        o = ba.parse_args(["--alerts", "50", "--seconds", "3", "--delay-ms",
                           "0", "pgsql", "mysql", "pgsql"],
                          {"CHARON_BENCH_LOGDIR": "/tmp/x"})
        self.assertEqual((o.alerts, o.secs, o.delay_ms, o.dbs, o.logdir),
                         (50, 3, 0, ["pgsql", "mysql"], "/tmp/x"))

    def test_wrong(self):
        for argv in (["oracle"], ["--alerts", "0"], ["--seconds", "x"],
                     ["--quick", "--smoke"], ["--delay-ms", "-1"]):
            with self.assertRaises(Usage, msg=argv):
                ba.parse_args(argv, {})
        self.assertIsNone(ba.parse_args(["--help"], {}))


class TestSql(unittest.TestCase):
    """The seeding and the queueing on SQLite, schema and triggers as
    shipped."""

    def setUp(self):
        self.c = sqlite3.connect(":memory:")
        with open(os.path.join(TOP, "sql", "sqlite.sql")) as f:
            self.c.executescript(f.read())
        self.addCleanup(self.c.close)

    def q(self, sql):
        return self.c.execute(sql).fetchall()

    def test_rounds(self):
        for rnd in (1, 2):
            for st in ba.seed_sql("sqlite", rnd, 5):
                self.c.execute(st)
        self.assertEqual(self.q(
            "SELECT MIN(id), MAX(id), COUNT(*) FROM charon_cron"),
            [(ba.ALERT_ID0 + 1, ba.ALERT_ID0 + 10, 10)])
        self.assertEqual(self.q(
            "SELECT slug FROM charon_cron WHERE id = %d" % (ba.ALERT_ID0 + 6)),
            [("alert-2-1",)])
        self.assertEqual(self.q(
            "SELECT api_key, COUNT(*) FROM charon_execution WHERE ended_at "
            "IS NULL GROUP BY api_key"),
            [("bench-alerts-1", 5), ("bench-alerts-2", 5)])
        self.c.execute(ba.queue_sql("sqlite", 1))
        # One failed outcome per cron of round 1, none of round 2.
        self.assertEqual(self.q(
            "SELECT c.slug LIKE 'alert-1-%', o.outcome, COUNT(*) FROM "
            "charon_alert_outcome o JOIN charon_cron c ON c.id = o.cron_id "
            "GROUP BY 1, 2"), [(1, "failed", 5)])

    def test_events_span(self):
        for st in ba.seed_sql("sqlite", 1, 3):
            self.c.execute(st)
        for uid, cron, at in (("a", 1, "00:00:00.000"),
                              ("b", 2, "00:00:02.500"),
                              ("c", 3, "00:00:01.000")):
            self.c.execute(
                "INSERT INTO charon_alert_event (uid, cron_id, event, "
                "document, created_at) VALUES (?, ?, 'down', '{}', ?)",
                (uid, ba.ALERT_ID0 + cron, "2026-12-07 " + at))
        n, span = self.q(ba.events_sql("sqlite", 1))[0]
        self.assertEqual(n, 3)
        self.assertAlmostEqual(span, 2.5, places=3)
        self.assertEqual(self.q(ba.events_sql("sqlite", 2))[0][0], 0)
        self.assertIn("EXTRACT(EPOCH FROM", ba.events_sql("pgsql", 1))
        self.assertIn("TIMESTAMPDIFF(MICROSECOND", ba.events_sql("mysql", 1))

    def test_other_dialects(self):
        pg = ba.seed_sql("pgsql", 1, 1000)
        self.assertIn("generate_series(1, 1000)", pg[0])
        self.assertIn("'alert-1-' || g.n", pg[0])
        my = ba.seed_sql("mysql", 2, 1000)
        self.assertIn("CONCAT('alert-2-', g.n)", my[0])
        self.assertIn("seq_1_to_1000", my[0])
        self.assertIn("UTC_TIMESTAMP(6)", my[1])
        self.assertIn("success = FALSE", ba.queue_sql("pgsql", 1))
        self.assertIn("'bench-alerts-3'", ba.queue_sql("mysql", 3))


def request(t, slug, uid, header=True):
    body = json.dumps({"id": uid, "event": "down",
                       "cron": {"id": 1, "slug": slug}})
    return {"time": t, "body": body,
            "headers": {"x-charon-event-id": uid} if header else {}}


class TestDeliveries(unittest.TestCase):

    def test_arrivals_of_a_round(self):
        reqs = [request(12.0, "alert-1-2", "b"),
                request(11.0, "alert-1-1", "a", header=False),
                request(11.5, "alert-2-1", "x"),
                request(11.7, "bench-1", "y"),
                {"time": 11.8, "body": "not json", "headers": {}}]
        self.assertEqual(ba.arrivals(reqs, 1), [(11.0, "a"), (12.0, "b")])
        self.assertEqual(ba.arrivals(reqs, 2), [(11.5, "x")])
        self.assertEqual(ba.arrivals(reqs, 3), [])

    def test_delivery(self):
        # Queued at 100; B from 102 to 112; ids a..e, c twice.
        arr = [(101.5, "a"), (102.5, "b"), (105, "c"), (106, "c"),
               (111, "d"), (120, "e")]
        d = ba.delivery(arr, 5, 100.0, 102.0, 112.0)
        self.assertEqual((d.received, d.distinct, d.duplicates, d.during_b),
                         (6, 5, 1, 4))
        self.assertEqual((d.first_s, d.last_s, d.b_secs), (1.5, 20.0, 10.0))
        self.assertAlmostEqual(d.rate_b, 0.4)
        self.assertAlmostEqual(d.rate_all, 4 / 18.5)
        self.assertTrue(d.covered)
        self.assertFalse(ba.delivery(arr[:5], 4, 100.0, 102.0, 112.0).covered)
        self.assertIn("4 delivered during B (0/s); first 1.5 s after the "
                      "UPDATE, all 5 after 20.0 s", ba.delivery_text(d))

    def test_nothing_came(self):
        d = ba.delivery([], 10, 100.0, 101.0, 111.0)
        self.assertEqual((d.distinct, d.rate_all, d.rate_b), (0, 0.0, 0.0))

    def test_texts(self):
        class R:
            p50_ms, p99_ms, rps = 1.0, 10.0, 1000.0

        class S:
            p50_ms, p99_ms, rps = 1.5, 5.0, 800.0
        self.assertEqual(ba.latency_text(R),
                         "p50 1.00 ms, p99 10.00 ms, 1000 req/s")
        self.assertEqual(ba.ratio_text(S, R),
                         "p50 x1.50, p99 x0.50, req/s x0.80")
        t = ba.table([("what", "sqlite", "1 | 2", "")])
        self.assertIn("| what | sqlite | 1 / 2 |  |", t)


if __name__ == "__main__":
    unittest.main()
