"""The scale test's topologies and Apache servers: a replicated database
(the PostgreSQL primary + synchronous standby of harness.pg_replica, or the
three-node Galera cluster of harness.galera) with two Apache servers in
front of it, their setup, logs and teardown; and the killing and
restarting of an Apache server. Used by harness.scale and
harness.scale_faults."""

import gzip
import os
import shutil
import signal
import time

from . import faults, ledger, pg_replica, proc
from .proc import Failure

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRONS = 6           # the load's crons (concurrency allow)


# ------------------------------------------------------------- topologies ---

class Topology:
    """A replicated database and two Apache servers in front of it.
    Subclasses: start_db(), dbd_params(i), store(), write(sql),
    db_logs(), stop_db()."""

    kind = label = driver = None

    def __init__(self, run, tag):
        self.run, self.tag = run, tag
        self.dir = os.path.join(run.work, "%s-%s" % (self.kind, tag))
        self.logdir = os.path.join(run.logdir, self.kind)
        os.makedirs(self.logdir, exist_ok=True)
        self.httpds = []
        self.keys = {}
        self.crons = ""
        self.idem_cron = None
        self._logs = None
        self._serial = 0

    def setup(self, key_names):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.start_db()
        self.write("INSERT INTO charon_cron (slug, name, active) VALUES "
                   + ", ".join("('scale-%d', 'Scale cron %d', TRUE)" % (i, i)
                               for i in range(1, CRONS + 1)))
        self.crons = ",".join("%s:%s" % tuple(r) for r in self.store().query(
            "SELECT id, slug FROM charon_cron WHERE slug LIKE 'scale-%' "
            "ORDER BY id"))
        self.idem_cron = self.new_cron("idem")
        keys = {n: proc.random_password(16) for n in key_names}
        for i in (0, 1):
            root = os.path.join(self.dir, "httpd%d" % (i + 1))
            h = faults.make_httpd(
                self.run, root, self.driver, self.dbd_params(i),
                log_format=True, extra="CharonWatchdogInterval 1\n\n")
            # The same keys on both servers: a request retried through the
            # other server is the same client (key name).
            with open(os.path.join(root, "keys.conf"), "w") as f:
                f.writelines('    CharonApiKey load-%s "%s"\n' % kv
                             for kv in keys.items())
            self.httpds.append(h)
        self.keys = keys
        self._logs = proc.cleanup.push(self.save_logs)
        for h in self.httpds:
            h.start()

    def new_cron(self, what, concurrency="allow", max_runtime=None):
        """A cron of its own for one check; its id."""
        self._serial += 1
        slug = "%s-%s-%d" % (what, self.tag, self._serial)
        self.write("INSERT INTO charon_cron (slug, name, active, concurrency, "
                   "max_runtime) VALUES ('%s', '%s', TRUE, '%s', %s)"
                   % (slug, slug, concurrency,
                      "NULL" if max_runtime is None else int(max_runtime)))
        return int(self.store().query(
            "SELECT id FROM charon_cron WHERE slug = '%s'" % slug)[0][0])

    def save_logs(self, suffix=""):
        """Both httpds' logs and the database's, into the log directory,
        named after the fault (tag)."""
        for i, h in enumerate(self.httpds):
            base = os.path.join(self.logdir, "%s-httpd%d-" % (self.tag, i + 1))
            if os.path.exists(h.error_log):
                shutil.copy(h.error_log, base + "error_log")
            access = os.path.join(h.root, "access_log")
            if os.path.exists(access):
                with open(access, "rb") as src, \
                        gzip.open(base + "access_log.gz", "wb") as dst:
                    shutil.copyfileobj(src, dst)
        for name, path in self.db_logs():
            if path and os.path.exists(path):
                shutil.copy(path, os.path.join(
                    self.logdir, "%s-%s" % (self.tag, name)))

    def teardown(self):
        if self._logs:
            proc.cleanup.done(self._logs)
            self._logs = None
        for h in self.httpds:
            h.stop()
        self.stop_db()


class PgTopology(Topology):
    """harness.pg_replica's pair; both servers name both hosts."""

    kind, label, driver = "pgsql", "pgsql primary+sync standby", "pgsql"

    def start_db(self):
        self.pair = pg_replica.Pair(os.path.join(self.dir, "pg"))
        self.pair.start()

    def dbd_params(self, i):
        return self.pair.dbd_params()

    def node(self):
        """The node that takes writes now (or, when none does, a running
        one)."""
        i = self.pair.primary_index()
        if i is None:
            i = next((k for k, n in enumerate(self.pair.nodes) if n.running()),
                     self.pair._rw)
        return self.pair.nodes[i]

    def store(self):
        return ledger.Store(self.node())

    def write(self, sql):
        # local: the harness's own writes must not wait for a standby that
        # may be gone (pg-sync-stuck)
        return self.node().query("SET synchronous_commit = local;\n" + sql)

    def db_logs(self):
        return [("pg-%s.log" % n.name, n.log) for n in self.pair.nodes]

    def stop_db(self):
        if getattr(self, "pair", None):
            self.pair.stop()


class GaleraStore(ledger.Store):
    """A Galera node read with causal reads (wsrep_sync_wait=1): what
    another node committed is visible."""

    def query(self, sql, timeout=60):
        return [list(r) for r in self.db.query(
            "SET SESSION wsrep_sync_wait = 1;\n" + sql, timeout=timeout)]


class GaleraTopology(Topology):
    """harness.galera's three nodes; server 1 uses node 0, server 2 node 1."""

    kind, label, driver = "galera", "galera 3 nodes", "mysql"
    USED = (0, 1)

    def start_db(self):
        from . import galera     # harness/galera.py (branch scale-galera)
        self.down = set()
        self.hit = None
        self._env = os.environ.get("MARIADB_HOME")
        self.cluster = galera.Cluster(os.path.join(self.dir, "galera"), nodes=3)
        self.cluster.start()
        self.cluster.node(0).load(os.path.join(TOP, "sql", "mysql.sql"))
        # apr_dbd_mysql has no connect_timeout key: the client library
        # reads one from an option file (DBDParams group=charon) found
        # through MARIADB_HOME, in httpd's environment from its start. A
        # connection opened to a frozen node would otherwise hang, under
        # mod_dbd's pool lock.
        self._env = os.environ.get("MARIADB_HOME")
        os.environ["MARIADB_HOME"] = self.cluster.client_cnf(
            group="charon", connect_timeout=3)

    def dbd_params(self, i):
        return self.cluster.node(self.USED[i]).params(group="charon")

    def alive_node(self):
        """A node to read and write through: up, and not the one the
        last fault hit (which has just rejoined, by IST)."""
        order = [i for i in (0, 1, 2) if i not in self.down]
        order.sort(key=lambda i: i == self.hit)
        if not order:
            raise Failure("galera: no node is up")
        return self.cluster.node(order[0])

    def store(self):
        return GaleraStore(self.alive_node())

    def write(self, sql):
        return self.alive_node().query(sql)

    def db_logs(self):
        out = []
        for i in range(3):
            n = self.cluster.node(i)
            out.append(("galera-node%d.err" % i, getattr(n, "log", None)))
        return out

    def stop_db(self):
        if getattr(self, "cluster", None):
            self.cluster.stop()
            if self._env is None:
                os.environ.pop("MARIADB_HOME", None)
            else:
                os.environ["MARIADB_HOME"] = self._env


# --------------------------------------------------------- Apache servers ---

def kill_httpd(h):
    """SIGKILL every process of h (parent and children), as a crash of the
    machine's Apache would."""
    pid = h.pid()
    if not pid:
        raise Failure("httpd %s is not running" % h.root)
    pids = [pid] + proc.children(pid)
    proc.signal_pids(pids, signal.SIGKILL)
    for p in pids:
        proc.wait_pid(p, 5)


def restart_httpd(h, timeout=15):
    """Start h again after a kill, keeping its logs (Httpd.start empties
    them)."""
    p = h.ctl("start", check=False)
    if p.returncode != 0:
        raise Failure("httpd did not start again: %s" % p.stderr)
    end = proc.now() + timeout
    while proc.now() < end:
        if h.request("GET", h.base + "x/can-start")[0] == 401:
            return
        time.sleep(0.1)
    raise Failure("httpd did not answer after its restart")
