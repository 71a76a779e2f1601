"""galera: the parts that need no server (command lines, option files)."""

import os
import shutil
import tempfile
import unittest

from harness import galera


class TestGalera(unittest.TestCase):

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="charon-test-galera.")
        self.c = galera.Cluster(self.dir, nodes=3)
        for n, base in zip(self.c.nodes, (21000, 22000, 23000)):
            n.port, n.gmcast_port, n.ist_port, n.sst_port = (
                base, base + 1, base + 2, base + 3)
        self.c.password = "ab12"

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_server_argv(self):
        argv = self.c.node(1).server_argv()
        for opt in ("--no-defaults", "--binlog-format=ROW",
                    "--innodb-autoinc-lock-mode=2", "--wsrep-on=ON",
                    "--bind-address=127.0.0.1", "--port=22000",
                    "--log-bin-trust-function-creators=1",
                    "--wsrep-sst-receive-address=127.0.0.1:22003",
                    "--wsrep-cluster-address=gcomm://127.0.0.1:21001,"
                    "127.0.0.1:22001,127.0.0.1:23001"):
            self.assertIn(opt, argv)
        self.assertEqual(argv[1], "--no-defaults")
        self.assertNotIn("--wsrep-new-cluster", argv)
        self.assertEqual(self.c.node(0).server_argv(True)[-1],
                         "--wsrep-new-cluster")
        popts = [a for a in argv if a.startswith("--wsrep-provider-options=")]
        self.assertEqual(len(popts), 1)
        value = popts[0].split("=", 1)[1]
        kv = dict(x.split("=", 1) for x in value.split(";"))
        self.assertEqual(kv["gmcast.listen_addr"], "tcp://127.0.0.1:22001")
        self.assertEqual(kv["ist.recv_addr"], "127.0.0.1:22002")
        self.assertEqual(kv["evs.suspect_timeout"], "PT2S")

    def test_options(self):
        c = galera.Cluster(self.dir, nodes=2, trust_creators=False,
                           evs=None, log_bin=True,
                           provider_options={"gcache.size": "8M"},
                           server_options=["--max-connections=50"])
        for n in c.nodes:
            n.port = n.gmcast_port = n.ist_port = n.sst_port = 1
        argv = c.node(0).server_argv()
        self.assertNotIn("--log-bin-trust-function-creators=1", argv)
        self.assertIn("--max-connections=50", argv)
        self.assertTrue(any(a.startswith("--log-bin=") for a in argv))
        popts = [a for a in argv if a.startswith("--wsrep-provider-options=")]
        self.assertIn("gcache.size=8M", popts[0])
        self.assertNotIn("evs.", popts[0])

    def test_params_and_client_cnf(self):
        n = self.c.node(2)
        self.assertEqual(n.params(), "host=127.0.0.1 port=23000 user=charon "
                         "pass=ab12 dbname=charon reconnect=0")
        self.assertTrue(n.params(group="charon").endswith(" group=charon"))
        d = self.c.client_cnf(connect_timeout=2,
                              init_command="SET SESSION max_statement_time=5")
        with open(os.path.join(d, "my.cnf")) as f:
            self.assertEqual(f.read(), "[charon]\nconnect-timeout=2\n"
                             'init-command="SET SESSION '
                             'max_statement_time=5"\n')

    def test_brief(self):
        self.assertEqual(galera._brief({}), "not answering")
        self.assertEqual(galera._brief({
            "wsrep_local_state_comment": "Synced",
            "wsrep_cluster_status": "Primary", "wsrep_cluster_size": "3"}),
            "Synced, Primary, size 3")


if __name__ == "__main__":
    unittest.main()
