"""pg_replica: the parts that need no server."""

import unittest

from harness import pg_replica


class TestPair(unittest.TestCase):

    def pair(self):
        r = pg_replica.Pair("/tmp/charon-pgrep.unused")
        r.nodes[0].port, r.nodes[1].port = 20001, 20002
        r.password = "secret"
        return r

    def test_dbd_params_name_both_nodes_for_libpq(self):
        p = self.pair().dbd_params()
        kv = dict(w.split("=", 1) for w in p.split())
        self.assertEqual(kv["host"], "127.0.0.1,127.0.0.1")
        self.assertEqual(kv["port"], "20001,20002")
        self.assertEqual(kv["target_session_attrs"], "read-write")
        self.assertEqual(kv["connect_timeout"], "2")
        self.assertEqual((kv["user"], kv["password"], kv["dbname"]),
                         ("charon", "secret", "charon"))

    def test_conninfo_of_one_node(self):
        r = self.pair()
        self.assertIn("port=20002 ", r.conninfo([r.nodes[1]]))

    def test_roles_follow_the_promotion(self):
        r = self.pair()
        self.assertEqual((r.primary.name, r.standby.name), ("a", "b"))
        r._rw = 1                      # what promote() leaves
        self.assertEqual((r.primary.name, r.standby.name), ("b", "a"))


if __name__ == "__main__":
    unittest.main()
