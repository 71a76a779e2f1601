"""ledger and load: the loss checker and the summary, without a database."""

import contextlib
import io
import unittest

from harness import ledger, load


class FakeStore:
    """The rows a database would hold: executions and messages."""

    kind = "sqlite"

    def __init__(self, execs, msgs):
        self.execs, self.msgs = execs, msgs

    def hexof(self, col):
        return "hex(%s)" % col

    def query(self, sql, timeout=60):
        if "FROM charon_message" in sql:
            return [[str(i), str(e), t, text.encode().hex()]
                    for i, e, t, text in self.msgs]
        return [[str(i), "1", "load-x", "127.0.0.1", ended, succ, typ]
                for i, ended, succ, typ in self.execs]


def result(executions):
    return {"scenario": "s", "database": "sqlite", "key_name": "load-x",
            "executions": executions, "failures": [], "notes": []}


def execution(eid, messages, end, ack=0):
    """An acknowledged execution: its messages [(id, type, text)], its end
    attempts [(success, type, text)], the acknowledged one."""
    return {"id": eid, "cron": 1, "messages": [list(m) for m in messages],
            "msg_attempts": [[t, x] for _, t, x in messages],
            "end_attempts": [list(e) for e in end], "end_ack": ack,
            "reend_texts": []}


class TestVerify(unittest.TestCase):

    def setUp(self):
        self.doc = result([execution(1, [(10, "info", "m é\n1")],
                                     [(True, "success", "bye")])])

    def test_clean(self):
        store = FakeStore([(1, "1", "1", "success")],
                          [(10, 1, "info", "m é\n1"), (11, 1, "success", "bye")])
        counts, lost, bad = ledger.verify(self.doc, store)
        self.assertEqual((lost, bad), ([], []))
        self.assertEqual((counts["acked_messages"], counts["acked_ends"]), (1, 1))
        with contextlib.redirect_stdout(io.StringIO()):
            self.assertTrue(ledger.verify_result(self.doc, store))
        self.assertEqual(self.doc["failures"], [])

    def test_lost_changed_unknown(self):
        store = FakeStore([(1, "1", "0", "success")],       # success changed
                          [(11, 1, "success", "bye"),       # message 10 lost
                           (12, 1, "info", "never sent")])
        counts, lost, bad = ledger.verify(self.doc, store)
        self.assertEqual((counts["lost"], counts["bad"]), (2, 1))
        with contextlib.redirect_stdout(io.StringIO()) as out:
            self.assertFalse(ledger.verify_result(self.doc, store))
        self.assertIn("lost 2; double/half/unknown 1", out.getvalue())
        self.assertEqual(len(self.doc["failures"]), 2)

    def test_end_not_stored(self):
        store = FakeStore([(1, "0", "-1", "-")],
                          [(10, 1, "info", "m é\n1"), (11, 1, "success", "bye")])
        counts, lost, bad = ledger.verify(self.doc, store)
        self.assertEqual((counts["lost"], bad), (1, []))
        self.assertIn("end of execution 1: stored ended=False", lost[0])
        # the same rows when the end got no answer: half-written
        self.doc["executions"][0]["end_ack"] = None
        counts, lost, bad = ledger.verify(self.doc, store)
        self.assertEqual(lost, [])
        self.assertIn("not ended but has an end message", bad[0])

    def test_unacked_writes_are_counted_not_failed(self):
        doc = result([execution(1, [], [(False, "error", None)], ack=None)])
        store = FakeStore([(1, "1", "0", "error"), (2, "0", "-1", "-")], [])
        counts, lost, bad = ledger.verify(doc, store)
        self.assertEqual((lost, bad), ([], []))
        self.assertEqual((counts["unacked_ends_written"],
                          counts["unacked_starts_written"]), (1, 1))


class TestTable(unittest.TestCase):

    def test_row_and_notes(self):
        doc = result([])
        doc["run"] = {"requests": 10, "by_status": {"200": 6, "503": 2, "409": 2},
                      "per_endpoint": {"end-again": {"409": 1}},
                      "max_latency": 1.5, "max_latency_by_status": {"503": 0.25},
                      "slower_than_bound": 1,
                      "recovery": {"can-start": 0.1, "start": None,
                                   "message": 0.2, "end": 0.3}}
        doc["notes"].append("a note")
        row = ledger.table_row(doc)
        self.assertEqual(row[2:8], ("10", "6/2", "409=1, 409 2nd end=1", "0.25",
                                    "1.50 (1 over)", "0.10/-/0.20/0.30"))
        self.assertEqual(row[-1], "pass")
        ledger.annotate(doc, fail=["broken"], extra={"db_conns": "16"})
        text = ledger.table([doc])
        self.assertIn("| 16       | FAIL   |", text)
        self.assertTrue(text.endswith("FAIL s/sqlite: broken\nnote s/sqlite: a note\n"))


class TestLoad(unittest.TestCase):

    def test_split_base(self):
        self.assertEqual(load.split_base("http://127.0.0.1:8080/api/"),
                         ("127.0.0.1", 8080, "/api/"))
        self.assertEqual(load.split_base("http://127.0.0.1:80/a/b"),
                         ("127.0.0.1", 80, "/a/b/"))
        with self.assertRaises(SystemExit):
            load.split_base("http://example.com/api/")


if __name__ == "__main__":
    unittest.main()
