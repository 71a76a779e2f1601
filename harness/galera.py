"""A throwaway MariaDB Galera cluster on 127.0.0.1: several mariadbd, each
with its own data, socket and ports, replicating to one another.

    c = galera.Cluster(proc.temp_dir("galera"), nodes=3)
    c.start()                   # bootstrap node 0, join the others, Synced
    n = c.node(1)               # a db.MariaDB: port, dbd_params, query(sql)
    n.load("sql/mysql.sql")     #   (root, its socket), load(path) (charon,
                                #   TCP; returns once every node has it)
    c.kill(2); c.start_node(2)  # SIGKILL; rejoin by IST, wait Synced
    c.freeze(1); c.thaw(1)      # SIGSTOP/SIGCONT: a node that stops answering
    c.wait_size(2)              # the others have evicted it
    c.status(0)                 # {"wsrep_cluster_size": "3", ...}
    c.stop()                    # every node, then its directory (cleanup)

Each node listens on 127.0.0.1 only: its mysql port, its group port
(gmcast), its IST port and its SST port (rsync), all free ports picked at
start. A joining node gets its data by rsync (SST), one node at a time; a
node restarted after kill() gets what it missed (IST). As root the nodes
run as user mysql: the SST script's rsync daemon would otherwise switch to
user nobody. The group's timeouts are short (FAST_EVS) so that a node that
stops answering is evicted in 2-3 s; evs=None gives Galera's defaults
(about 6 s). Durability is relaxed as in db.MariaDB: this data is thrown
away. On 2 cores a 3-node start takes 9-21 s (median about 10), stop()
under 4 s.

client_cnf() writes the option file that gives mod_dbd's connections a
connect timeout (DBDParams group=, MARIADB_HOME in httpd's environment):
apr_dbd_mysql has no timeout key of its own.
"""

import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

from . import db, proc
from .proc import Failure

_log = proc.say_as("galera", sys.stderr)

PROVIDER = "/usr/lib/galera/libgalera_smm.so"

# A node that stops answering is suspected after 2 s and evicted after 3
# (Galera's defaults: 5 and 15). Shorter install and join-retransmit
# times than the defaults keep the survivors agreeing on the new view in
# time; with suspect 1 s and install 2 s they fell apart into non-primary
# single nodes instead (measured, see the branch's notes).
FAST_EVS = {
    "evs.keepalive_period": "PT0.5S",
    "evs.inactive_check_period": "PT0.5S",
    "evs.suspect_timeout": "PT2S",
    "evs.inactive_timeout": "PT3S",
    "evs.install_timeout": "PT3S",
    "evs.join_retrans_period": "PT0.5S",
}


class Node(db.MariaDB):
    """One mariadbd of a Cluster: db.MariaDB's port, params(), dbd_params,
    query() (root, its socket), load() (charon, TCP), admin(), pids();
    started and stopped by its Cluster."""

    def __init__(self, cluster, index, directory):
        super().__init__(directory)
        self.cluster, self.index = cluster, index
        self.port = self.gmcast_port = self.ist_port = self.sst_port = None
        # Not root: the SST script's rsync daemon, started as root, becomes
        # user nobody (rsyncd.conf's default), who may not write the data.
        self.os_user = "mysql" if proc.is_root() else None
        if self.os_user:
            self._user_opt = ["--user=" + self.os_user]

    @property
    def password(self):
        return self.cluster.password

    @password.setter
    def password(self, value):
        pass      # the cluster's, set once

    def address(self):
        return "127.0.0.1:%d" % self.gmcast_port

    def params(self, database="charon", group=None):
        """DBDParams for mod_dbd. No connect_timeout: apr_dbd_mysql
        (apr-util 1.6.3) has no such key and drops it silently; a connect
        timeout comes from an option file instead, read when group= names
        a group (Cluster.client_cnf)."""
        s = ("host=127.0.0.1 port=%d user=charon pass=%s dbname=%s "
             "reconnect=0" % (self.port, self.password, database))
        return s + (" group=" + group if group else "")

    def server_argv(self, bootstrap=False, extra=()):
        """mariadbd's command line: db.MariaDB's relaxed durability, Galera's
        musts (ROW, interleaved auto-increment locks), this node's ports."""
        d = self.dir
        c = self.cluster
        popts = dict(c.provider_options)
        popts.update({
            "gmcast.listen_addr": "tcp://127.0.0.1:%d" % self.gmcast_port,
            "ist.recv_addr": "127.0.0.1:%d" % self.ist_port,
            "base_port": str(self.gmcast_port),
        })
        return ([self._mariadbd, "--no-defaults"] + self._user_opt + [
            "--datadir=%s/data" % d, "--socket=" + self.socket,
            "--port=%d" % self.port, "--bind-address=127.0.0.1",
            "--skip-name-resolve", "--pid-file=%s/mariadb.pid" % d,
            "--log-error=" + self.log, "--tmpdir=%s/tmp" % d,
            "--innodb-flush-log-at-trx-commit=2",
            "--innodb-doublewrite=0", "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=16M",
            "--character-set-server=utf8mb4",
            "--collation-server=utf8mb4_general_ci",
            "--default-time-zone=+00:00",
            "--binlog-format=ROW", "--innodb-autoinc-lock-mode=2",
            "--wsrep-on=ON", "--wsrep-provider=" + c.provider,
            "--wsrep-cluster-name=" + c.name,
            "--wsrep-cluster-address=gcomm://" + ",".join(
                n.address() for n in c.nodes),
            "--wsrep-node-name=node%d" % self.index,
            "--wsrep-node-address=127.0.0.1",
            "--wsrep-node-incoming-address=127.0.0.1:%d" % self.port,
            "--wsrep-sst-method=rsync",
            "--wsrep-sst-receive-address=127.0.0.1:%d" % self.sst_port,
            "--wsrep-provider-options=" + ";".join(
                "%s=%s" % kv for kv in popts.items()),
        ] + (["--log-bin=%s/data/binlog" % d] if c.log_bin
             else ["--skip-log-bin"])
            + list(c.server_options) + list(extra)
            + (["--wsrep-new-cluster"] if bootstrap else []))

    def prepare(self):
        """The node's directories, owned by the user it runs as."""
        for sub in ("", "tmp", "data"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.chmod(self.dir, 0o700)
        if self.os_user:
            proc.chown_tree(self.dir, self.os_user)
            if proc.run(["test", "-w", self.dir], user=self.os_user,
                        check=False).returncode != 0:
                raise Failure("galera: user %s cannot write %s (a parent "
                              "directory is private: give the cluster a "
                              "directory of its own, proc.temp_dir)"
                              % (self.os_user, self.dir))

    def launch(self, bootstrap=False, extra=()):
        """Start mariadbd in a session (process group) of its own: its SST
        script and rsync daemon are stopped with it."""
        with open(os.path.join(self.dir, "mariadbd.out"), "ab") as out:
            self._proc = subprocess.Popen(
                self.server_argv(bootstrap, extra), stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.pid = self._proc.pid

    def up(self):
        """Start again, same data and ports (rejoins), and wait Synced."""
        self.cluster.start_node(self.index)

    def down(self, mode="shutdown", wait=30):
        """Stop mariadbd, keep its data: SIGTERM (a clean shutdown) or mode
        kill (SIGKILL); then whatever is left of its process group."""
        pid = self.pid
        if not pid:
            return
        if proc.alive(pid):
            proc.signal_pids([pid], signal.SIGCONT)
            if mode != "kill":
                proc.signal_pids([pid], signal.SIGTERM)
                if not proc.wait_pid(pid, wait):
                    _log("node%d: mariadbd %d ignores SIGTERM; killing it"
                         % (self.index, pid))
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait_pid(pid, 10)
        if self._proc:
            self._proc.wait()
        self.pid = self._proc = None
        self._frozen = []

    def running(self):
        return bool(self.pid) and proc.alive(self.pid)

    def load(self, path, database="charon"):
        """db.MariaDB.load (user charon, TCP), then wait until every node
        has applied it: the others apply DDL a moment after this one."""
        super().load(path, database)
        self.cluster.sync()

    def root_sql(self, sql, timeout=10):
        """Statements as root through the socket, no default database
        (query() needs the database charon); the client's result."""
        return proc.run(self.sql_argv(["-N", "-B", "--connect-timeout=2",
                                       "-e", sql]),
                        check=False, timeout=timeout)

    def status(self, timeout=10):
        """SHOW STATUS LIKE 'wsrep%' as a dict; {} when it does not answer."""
        try:
            p = self.root_sql("SHOW STATUS LIKE 'wsrep%'", timeout)
        except subprocess.TimeoutExpired:
            return {}
        if p.returncode != 0:
            return {}
        out = {}
        for line in p.stdout.splitlines():
            k, _, v = line.partition("\t")
            out[k] = v
        return out

    def stop(self):
        self.down()


class Cluster:
    """nodes mariadbd in directory (one subdirectory each) forming one
    Galera cluster with the database charon and the user
    'charon'@'127.0.0.1' (random password, ALL on charon.*).

    trust_creators: log_bin_trust_function_creators=1, without which
    user charon (no SUPER) cannot create sql/mysql.sql's triggers on a
    Galera node (error 1419 even with no binary log: wsrep counts as
    one); server_options: more mariadbd options for every node; log_bin:
    a binary log on every node; evs: the group's timeouts (FAST_EVS, or
    None for Galera's); provider_options: more wsrep_provider_options."""

    def __init__(self, directory, nodes=3, trust_creators=True,
                 server_options=(), log_bin=False, evs=FAST_EVS,
                 provider_options=None, provider=PROVIDER):
        self.dir = os.path.abspath(directory)
        self.provider = provider
        self.server_options = ((["--log-bin-trust-function-creators=1"]
                                if trust_creators else [])
                               + list(server_options))
        self.log_bin = log_bin
        # a small gcache: preallocated per node, and a test writes little
        self.provider_options = {"gcache.size": "32M"}
        self.provider_options.update(evs or {})
        self.provider_options.update(provider_options or {})
        self.name = "charon-" + secrets.token_hex(4)
        self.password = ""
        self.user = "charon"
        self.nodes = [Node(self, i, os.path.join(self.dir, "node%d" % i))
                      for i in range(nodes)]
        self._cleanup = None
        self.start_seconds = None

    def node(self, i):
        return self.nodes[i]

    def client_cnf(self, group="charon", connect_timeout=3,
                   init_command=None):
        """An option file for the MariaDB client library, for DBDParams
        with group=GROUP (Node.params(group=...)); returns its directory,
        which the client finds through the environment variable
        MARIADB_HOME (set in httpd's environment before it starts). Of
        the timeouts, Connector/C 3.3 reads connect-timeout only (it also
        covers the server's greeting); read-timeout and write-timeout are
        not among its option file keys. init_command: e.g. "SET SESSION
        max_statement_time=5", run on each new connection."""
        d = os.path.join(self.dir, "client")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)       # httpd's children read it when connecting
        path = os.path.join(d, "my.cnf")
        with open(path, "w") as f:
            f.write("[%s]\nconnect-timeout=%d\n" % (group, connect_timeout))
            if init_command:
                f.write('init-command="%s"\n' % init_command)
        os.chmod(path, 0o644)
        return d

    # ------------------------------------------------------------ start ---

    def start(self, timeout=120):
        """Ports, a data directory for node 0, bootstrap it, join the others
        (one by one; each gets a full copy by rsync, SST), wait until every
        node is Synced in a cluster of all of them; database charon, its
        user."""
        t0 = proc.now()
        if not os.access(self.provider, os.R_OK):
            raise Failure("galera: %s not found (apt-get install galera-4)"
                          % self.provider)
        if not shutil.which("rsync"):
            raise Failure("galera: rsync not found (apt-get install rsync); "
                          "it copies the data to a joining node")
        os.makedirs(self.dir, exist_ok=True)
        # the nodes' user passes through to its own directory
        os.chmod(self.dir, 0o711 if proc.is_root() else 0o700)
        self._cleanup = proc.cleanup.push(self.stop)
        used = set()
        for n in self.nodes:
            n.prepare()
            n.port, n.gmcast_port, n.ist_port, n.sst_port = (
                _free_port(used) for _ in range(4))
        first = self.nodes[0]
        p = proc.run(["mariadb-install-db", "--no-defaults",
                      "--datadir=" + os.path.join(first.dir, "data")]
                     + first._user_opt
                     + ["--auth-root-authentication-method=normal",
                        "--skip-test-db", "--skip-name-resolve",
                        "--innodb-log-file-size=16M"], check=False)
        if p.returncode != 0:
            raise Failure("galera: mariadb-install-db failed:\n"
                          + proc.tail(p.stdout + p.stderr, 30))
        first.launch(bootstrap=True)
        self.wait_synced(0, timeout)
        phases = ["node0 %.1f" % (proc.now() - t0)]
        self.password = proc.random_password()
        p = first.root_sql(
            "CREATE DATABASE charon CHARACTER SET utf8mb4;"
            "CREATE USER 'charon'@'127.0.0.1' IDENTIFIED BY '%s';"
            "GRANT ALL ON charon.* TO 'charon'@'127.0.0.1';" % self.password)
        if p.returncode != 0:
            raise Failure("galera: creating database charon: "
                          + p.stderr.strip())
        # one at a time: joiners that arrive together slow each other's
        # membership down by seconds, and one donor serves one SST anyway
        for n in self.nodes[1:]:
            t1 = proc.now()
            n.launch()
            self.wait_synced(n.index, timeout)
            phases.append("node%d %.1f" % (n.index, proc.now() - t1))
        self.wait_size(len(self.nodes), timeout)
        for n in self.nodes:
            n.dbd_params = n.params()
        self.start_seconds = proc.now() - t0
        _log("%d nodes Synced in %.1f s (%s; mysql ports %s)" % (
            len(self.nodes), self.start_seconds, ", ".join(phases),
            ", ".join(str(n.port) for n in self.nodes)))

    def start_node(self, i, timeout=120):
        """Start node i again on its data and ports after kill() or a stop:
        its last position is recovered first (mariadbd --wsrep-recover, as
        Debian's galera_recovery does), so that it asks for the writesets
        it missed (IST), not a full copy (SST). Waits until it is Synced;
        returns the seconds that took."""
        n = self.nodes[i]
        if n.running():
            raise Failure("galera: node%d is running" % i)
        t0 = proc.now()
        extra = []
        pos = self.recover(i)
        if pos:
            extra.append("--wsrep-start-position=" + pos)
        n.launch(extra=extra)
        self.wait_synced(i, timeout)
        return proc.now() - t0

    def recover(self, i):
        """The position (uuid:seqno) node i's InnoDB holds, or None when
        its grastate.dat is clean (a shut-down node knows its own)."""
        n = self.nodes[i]
        state = proc.read_text(os.path.join(n.dir, "data", "grastate.dat"))
        m = re.search(r"^seqno:\s*(-?\d+)", state, re.M)
        if m and m.group(1) != "-1":
            return None
        log = os.path.join(n.dir, "recover.log")
        # no port, a socket of its own: clients must not reach this run
        argv = n.server_argv() + [
            "--wsrep-recover", "--log-error=" + log, "--skip-networking",
            "--socket=" + os.path.join(n.dir, "recover.sock")]
        # Once the position is logged the run has done its work. It does
        # not always end by itself after a SIGKILL: once here it went on
        # after "Recovered position" (tc.log recovery) to 16 GB in 100 s;
        # it is then stopped, as it would be on a crash.
        p = proc.spawn(argv, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       cwd="/")
        t0, found, m = proc.now(), None, []
        while proc.now() - t0 < 120:
            m = re.findall(r"WSREP: Recovered position:\s*(\S+:-?\d+)",
                           proc.read_text(log))
            if p.poll() is not None:
                break
            if m and found is None:
                found = proc.now()
            if found is not None and proc.now() - found > 5:
                _log("node%d: --wsrep-recover still running 5 s after it "
                     "logged the position: stopped" % i)
                break
            time.sleep(0.1)
        if p.poll() is None:
            proc.stop_group(p.pid, steps=((signal.SIGKILL, 5),))
        proc.finish(p)
        if not m:
            raise Failure("galera: node%d: --wsrep-recover found no "
                          "position; log:\n%s" % (i, proc.file_tail(log, 20)))
        return m[-1]

    # ----------------------------------------------------------- faults ---

    def kill(self, i):
        """SIGKILL node i (and its process group): a crash."""
        self.nodes[i].down("kill")

    def shutdown(self, i):
        """A clean stop of node i (it leaves the group in good order)."""
        self.nodes[i].down()

    def freeze(self, i):
        """SIGSTOP node i: its ports accept TCP (the kernel does) but
        nothing answers; the others evict it after evs.inactive_timeout."""
        self.nodes[i].freeze()

    def thaw(self, i):
        self.nodes[i].thaw()

    # ---------------------------------------------------------- waiting ---

    def status(self, i):
        """Node i's SHOW STATUS LIKE 'wsrep%' as a dict ({} when it does
        not answer)."""
        return self.nodes[i].status()

    def wait_synced(self, i, timeout=60):
        """Wait until node i is Synced, ready, in a primary component;
        Failure (with its log) when it exits or the time is up."""
        n = self.nodes[i]
        end = proc.now() + timeout
        st = {}
        while proc.now() < end:
            if not n.running():
                raise Failure("galera: node%d exited; log:\n%s"
                              % (i, proc.file_tail(n.log, 30)))
            st = n.status(timeout=5)
            if (st.get("wsrep_local_state_comment") == "Synced"
                    and st.get("wsrep_ready") == "ON"
                    and st.get("wsrep_cluster_status") == "Primary"):
                return st
            time.sleep(0.1)
        raise Failure("galera: node%d not Synced within %s s (%s); log:\n%s"
                      % (i, timeout, _brief(st), proc.file_tail(n.log, 30)))

    def wait_size(self, size, timeout=60, nodes=None):
        """Wait until each running node that is not frozen (or each of
        the indices nodes) sees a primary component of size nodes."""
        end = proc.now() + timeout
        idx = nodes if nodes is not None else [
            n.index for n in self.nodes if n.running() and not n._frozen]
        while True:
            seen = {i: self.nodes[i].status(timeout=5) for i in idx}
            if all(st.get("wsrep_cluster_size") == str(size)
                   and st.get("wsrep_cluster_status") == "Primary"
                   for st in seen.values()):
                return
            if proc.now() >= end:
                raise Failure("galera: no primary component of %d nodes "
                              "within %s s: %s" % (size, timeout, "; ".join(
                                  "node%d %s" % (i, _brief(st))
                                  for i, st in seen.items())))
            time.sleep(0.1)

    def sync(self, timeout=30):
        """Wait until each running node that is not frozen has applied
        every writeset any of them has committed (wsrep_last_committed):
        after a write on one node, before reading it on another (or use
        SET SESSION wsrep_sync_wait=1 in the reading session)."""
        idx = [n.index for n in self.nodes if n.running() and not n._frozen]
        seen = {i: self.nodes[i].status(timeout=5) for i in idx}
        target = max(int(st.get("wsrep_last_committed", -1))
                     for st in seen.values())
        end = proc.now() + timeout
        while True:
            behind = [i for i, st in seen.items()
                      if int(st.get("wsrep_last_committed", -1)) < target]
            if not behind:
                return
            if proc.now() >= end:
                raise Failure("galera: node%d has not applied seqno %d "
                              "within %s s" % (behind[0], target, timeout))
            time.sleep(0.05)
            seen.update({i: self.nodes[i].status(timeout=5) for i in behind})

    # ------------------------------------------------------------- stop ---

    def stop(self):
        """Stop every node (in parallel; clean if it can be within 8 s: a
        donor in the middle of an SST ignores SIGTERM) and delete the
        directory, unless CHARON_GALERA_KEEP is set (to read the nodes'
        logs; a proc.temp_dir is still removed at exit)."""
        threads = [threading.Thread(target=n.down, kwargs={"wait": 8})
                   for n in self.nodes if n.pid]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self._cleanup:
            proc.cleanup.done(self._cleanup, run=False)
            self._cleanup = None
        if os.environ.get("CHARON_GALERA_KEEP"):
            _log("kept " + self.dir)
            return
        shutil.rmtree(self.dir, ignore_errors=True)


def _free_port(used):
    for _ in range(50):
        p = proc.free_port()
        if p not in used:
            used.add(p)
            return p
    raise Failure("galera: no free port found")


def _brief(st):
    if not st:
        return "not answering"
    return "%s, %s, size %s" % (st.get("wsrep_local_state_comment"),
                               st.get("wsrep_cluster_status"),
                               st.get("wsrep_cluster_size"))


def _main():
    """A cluster up and down once, with its timings: python3 -m
    harness.galera [NODES]."""
    nodes = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    c = Cluster(proc.temp_dir("galera"), nodes=nodes)
    c.start()
    print("start: %.1f s" % c.start_seconds)
    t0 = proc.now()
    c.stop()
    print("stop: %s s" % proc.elapsed(t0))
    return 0


if __name__ == "__main__":
    proc.main("galera", _main)
