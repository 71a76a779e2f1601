"""A throwaway PostgreSQL primary with a synchronous streaming standby.

    r = pg_replica.Pair(proc.temp_dir("pgrep"))
    r.start()                  # both up, standby streaming and "sync"
    r.dbd_params()             # host=127.0.0.1,127.0.0.1 port=P1,P2 ...
    r.primary.query("SELECT count(*) FROM charon_cron")
    r.kill_primary()           # SIGKILL to the primary's postmaster
    r.promote()                # the standby takes over, accepts writes
    r.primary_index()          # 1: r.nodes[1] is the read-write one now
    r.stop()                   # also done by the cleanup stack

Two nodes, r.nodes[0] ("a", the first primary) and r.nodes[1] ("b"), on
127.0.0.1 and free ports, each in its own directory under the one given
(which the pair owns: stop() deletes it). r.primary and r.standby name
roles, not nodes: after promote(), r.primary is the promoted node and
r.standby the old primary (dead, after kill_primary()).

What the issue ("Several Apache servers on a replicated database") needs
and ordinary setups have: synchronous_commit=on, and each node's
synchronous_standby_names naming the other node's application_name, so
that a commit is acknowledged only once the standby has flushed it. These
live in postgresql.conf, not on the command line, so that a test can
change them with ALTER SYSTEM and a reload (the command line would outrank
both). The standby is a copy of the primary (pg_basebackup -R), so it
keeps that setting when promoted: the new primary then waits for a
standby that is gone, and every commit on it waits forever (see
promote(clear_sync=True) for what a failover tool does instead).

Database charon belongs to user charon (a random password, which TCP
connections must give: scram-sha-256); sql/postgresql.sql is loaded as
charon through the primary before the standby is copied. The harness
itself reaches each node as postgres through the Unix socket in the
node's private directory (trust; only user postgres and root can enter
it). fsync is off: SIGKILL of a postmaster keeps the kernel's page cache,
so a killed node loses nothing by it; only a machine crash would.
"""

import os
import shutil
import signal
import subprocess
import time

from . import db, proc
from .proc import Failure

_log = proc.say_as("pg_replica")

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ("a", "b")
REPL_USER = "replicator"


def _alive(pid):
    """Whether pid runs. A zombie counts as gone: a killed postmaster's
    processes are reparented to init, which here may reap them only a
    second or two later."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:][:1] != "Z"


def _wait_gone(pids, seconds):
    end = time.monotonic() + seconds
    while any(_alive(p) for p in pids):
        if time.monotonic() >= end:
            return False
        time.sleep(0.01)
    return True


class Node(db.PostgreSQL):
    """One server of the pair: port, query(sql), psql(), pids(), and the
    rest of db.PostgreSQL, reached as postgres over its Unix socket."""

    def __init__(self, directory, name, bin_dir=db.PG_BIN):
        super().__init__(directory, bin_dir)
        self.name = name          # its application_name as a standby
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.killed = False
        self._orphans = []        # its processes when the postmaster died

    def psql_argv(self, args, database="charon", user="postgres"):
        return [os.path.join(self.bin, "psql"), "-X", "-v", "ON_ERROR_STOP=1",
                "-h", self.sock, "-p", str(self.port), "-U", user,
                "-d", database] + list(args)

    def psql(self, args, database="charon", input=None, stdin=None,
             check=True, quiet=False, merge=False, timeout=None,
             user="postgres"):
        return proc.run(self.psql_argv(args, database, user),
                        user=self.os_user, input=input, stdin=stdin,
                        check=check, quiet=quiet, merge=merge, timeout=timeout)

    def load(self, path, database="charon"):
        """An SQL file, as user charon, so that charon owns what it makes."""
        with db._open_sql(path, "pgsql") as f:
            p = self.psql(["-q"], database=database, stdin=f, check=False,
                          quiet=True, user="charon")
        if p.returncode != 0:
            raise Failure("pgsql %s: loading %s failed: %s"
                          % (self.name, path, p.stderr.strip()))

    def value(self, sql, database="charon", timeout=None):
        rows = self.query(sql, database, timeout=timeout)
        return rows[0][0] if rows and rows[0] else None

    def up(self):
        """Start it on its port. Only what must differ between the nodes
        is on the command line; the rest is in postgresql.conf."""
        p = self.tool(["pg_ctl", "-D", self.data, "-l", self.log, "-w",
                       "-t", "60", "-o",
                       "-p %d -k %s -c listen_addresses=127.0.0.1"
                       % (self.port, self.sock), "start"],
                      check=False, quiet=True)
        if p.returncode != 0:
            raise Failure("pgsql %s: server did not start on 127.0.0.1:%d; "
                          "log:\n%s" % (self.name, self.port,
                                        proc.file_tail(self.log, 20)))
        self.killed = False

    def postmaster(self):
        return proc.read_pid(os.path.join(self.data, "postmaster.pid"))

    def running(self):
        pm = self.postmaster()
        return bool(pm) and not self.killed and _alive(pm)

    def pids(self):
        pm = self.postmaster()
        if not pm or self.killed:
            return [p for p in self._orphans if _alive(p)]
        return [pm] + proc.children(pm)

    def kill(self):
        """A crash: SIGKILL to the postmaster alone. Its children notice
        the postmaster's death and exit (backends, walsenders); any still
        there after 10 s get SIGKILL too, as a crashed machine would."""
        pm = self.postmaster()
        if not pm or not proc.alive(pm):
            raise Failure("pgsql %s: not running" % self.name)
        self._orphans = proc.children(pm)
        proc.signal_pids([pm], signal.SIGKILL)
        self.killed = True
        if not _wait_gone([pm] + self._orphans, 10):
            proc.signal_pids(self._orphans, signal.SIGKILL)
            _wait_gone(self._orphans, 5)

    def down(self, mode="fast"):
        if self.killed:
            proc.signal_pids(self._orphans, signal.SIGKILL)
            self._drop_shm()
            return
        super().down(mode)

    def _drop_shm(self):
        """A SIGKILLed postmaster leaves its small System V segment (the
        one that stops two postmasters sharing a data directory) behind;
        postmaster.pid's seventh line names it. Removed once nothing is
        attached, so that repeated runs do not pile them up."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                lines = f.read().split("\n")
            shmid = int(lines[6].split()[1])
        except (OSError, IndexError, ValueError):
            return
        try:
            with open("/proc/sysvipc/shm") as f:
                for line in f.readlines()[1:]:
                    v = line.split()
                    if int(v[1]) == shmid and int(v[6]) == 0:   # nattch
                        proc.run(["ipcrm", "-m", str(shmid)], check=False)
        except (OSError, IndexError, ValueError):
            pass

    def in_recovery(self, timeout=5):
        return self.value("SELECT pg_is_in_recovery()", "postgres",
                          timeout=timeout) == "t"

    def params(self, database="charon", connect_timeout=2):
        raise Failure("Node.params: use Pair.dbd_params() or Pair.conninfo()")


class Pair:
    """A primary and its synchronous standby; see the module's text."""

    def __init__(self, directory, bin_dir=db.PG_BIN, connect_timeout=2,
                 schema=None):
        self.dir = os.path.abspath(directory)
        self.bin = bin_dir
        self.connect_timeout = connect_timeout
        self.schema = schema or os.path.join(TOP, "sql", "postgresql.sql")
        self.nodes = [Node(os.path.join(self.dir, n), n, bin_dir)
                      for n in NAMES]
        self.user, self.password = "charon", ""
        self.repl_password = ""
        self.driver = "pgsql"
        self.timings = {}         # seconds each step took: start, kill, ...
        self._rw = 0              # index of the read-write node
        self._cleanup = None

    # -- roles -------------------------------------------------------------

    @property
    def primary(self):
        return self.nodes[self._rw]

    @property
    def standby(self):
        return self.nodes[1 - self._rw]

    def primary_index(self):
        """Which of nodes is read-write now, asking each running node
        (None when none is): the truth, whatever this object believes."""
        for i, n in enumerate(self.nodes):
            if n.running():
                try:
                    if not n.in_recovery():
                        return i
                except (Failure, subprocess.TimeoutExpired):
                    pass
        return None

    # -- connection strings ------------------------------------------------

    def conninfo(self, nodes=None, database="charon", **extra):
        """libpq conninfo as user charon, naming nodes (default: both, in
        order) by host and port lists; extra keywords are appended."""
        nodes = self.nodes if nodes is None else nodes
        kv = [("host", ",".join("127.0.0.1" for _ in nodes)),
              ("port", ",".join(str(n.port) for n in nodes)),
              ("dbname", database), ("user", self.user),
              ("password", self.password)]
        kv += sorted(extra.items())
        return " ".join("%s=%s" % (k, v) for k, v in kv)

    def dbd_params(self, connect_timeout=None):
        """DBDParams: both nodes; libpq tries them in order and keeps the
        first that accepts writes (target_session_attrs=read-write), so
        the module follows a failover. connect_timeout applies to each
        host (libpq's minimum is 2 s): mod_dbd opens connections under
        its pool lock, and a host that does not answer would stall it."""
        return self.conninfo(
            target_session_attrs="read-write",
            connect_timeout=connect_timeout or self.connect_timeout)

    # -- life --------------------------------------------------------------

    def start(self):
        """Both servers, the standby streaming and synchronous."""
        t0 = proc.now()
        a, b = self.nodes
        initdb = os.path.join(self.bin, "initdb")
        if not os.access(initdb, os.X_OK):
            raise Failure("pgsql: %s not found (apt-get install postgresql-15)"
                          % initdb)
        self._prepare_dirs()
        self._cleanup = proc.cleanup.push(self.stop)
        self.password = proc.random_password()
        self.repl_password = proc.random_password()
        ports = set()
        for n in self.nodes:
            while n.port is None or n.port in ports:
                n.port = proc.free_port()
            ports.add(n.port)

        # --no-sync: nothing needs to survive a power cut here.
        a.tool(["initdb", "-D", a.data, "-U", "postgres", "--auth-local=trust",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
                "--no-sync"], quiet=True)
        self._write_conf(a)
        a.up()
        a.psql(["-q"], database="postgres", input=(
            "CREATE ROLE charon LOGIN PASSWORD '%s';\n"
            "CREATE ROLE %s LOGIN REPLICATION PASSWORD '%s';\n"
            "CREATE DATABASE charon OWNER charon;\n"
            % (self.password, REPL_USER, self.repl_password)))
        a.load(self.schema)
        self.timings["primary"] = proc.now() - t0

        # The standby: a copy of a, streaming from it. No commit happens on
        # a until b is there: a's synchronous_standby_names is set only
        # after the copy (a commit before would wait for b forever).
        t1 = proc.now()
        b.tool(["pg_basebackup", "-D", b.data, "-R", "-X", "stream",
                "--checkpoint=fast", "--no-sync", "-d",
                "host=127.0.0.1 port=%d user=%s password=%s "
                "application_name=%s" % (a.port, REPL_USER, self.repl_password,
                                         b.name)], quiet=True)
        self._sync_names(b, a.name)
        b.up()
        self._sync_names(a, b.name)
        a.psql(["-qAt", "-c", "SELECT pg_reload_conf()"], database="postgres",
               quiet=True)
        self._wait_sync(a, b)
        self.timings["standby"] = proc.now() - t1
        self.timings["start"] = proc.now() - t0
        self._rw = 0
        _log("primary %s 127.0.0.1:%d, sync standby %s 127.0.0.1:%d (%.1f s)"
             % (a.name, a.port, b.name, b.port, self.timings["start"]))

    def _prepare_dirs(self):
        os.makedirs(self.dir, exist_ok=True)
        dirs = [self.dir]
        for n in self.nodes:
            os.makedirs(n.sock, exist_ok=True)
            dirs += [n.dir, n.sock]
        for d in dirs:
            os.chmod(d, 0o700)
            if proc.is_root():
                uid, gid, _ = proc.user_ids("postgres")
                os.chown(d, uid, gid)
        if proc.is_root() and proc.run(["test", "-w", self.dir],
                                       user="postgres",
                                       check=False).returncode != 0:
            raise Failure("pgsql: user postgres cannot write %s (is a "
                          "parent directory private?)" % self.dir)

    def _write_conf(self, node):
        """The settings both nodes share (the standby gets them with the
        copy), and who may connect how."""
        with open(os.path.join(node.data, "postgresql.conf"), "a") as f:
            f.write("\n# harness/pg_replica.py\n"
                    "wal_level = replica\n"
                    "max_wal_senders = 4\n"
                    "wal_keep_size = '64MB'\n"
                    "hot_standby = on\n"
                    "synchronous_commit = on\n"
                    "fsync = off\n"
                    # a standby names itself as its primary sees it
                    "cluster_name = '%s'\n"
                    "log_line_prefix = '%%m [%%p] %%q%%a '\n" % node.name)
        with open(os.path.join(node.data, "pg_hba.conf"), "w") as f:
            f.write("# harness/pg_replica.py: postgres through the private "
                    "socket; everyone else over TCP with a password\n"
                    "local all all trust\n"
                    "host replication %s 127.0.0.1/32 scram-sha-256\n"
                    "host all charon 127.0.0.1/32 scram-sha-256\n" % REPL_USER)

    def _sync_names(self, node, standby):
        """Point node's synchronous_standby_names at standby (the last
        line of postgresql.conf wins), and name node itself (the copy
        carries the original's cluster_name)."""
        with open(os.path.join(node.data, "postgresql.conf"), "a") as f:
            f.write("cluster_name = '%s'\nsynchronous_standby_names = '%s'\n"
                    % (node.name, standby))

    def _wait_sync(self, primary, standby, timeout=30):
        end = proc.now() + timeout
        got = None
        while proc.now() < end:
            got = primary.value(
                "SELECT state || '/' || sync_state FROM pg_stat_replication "
                "WHERE application_name = '%s'" % standby.name, "postgres")
            if got == "streaming/sync":
                return
            time.sleep(0.05)
        raise Failure("pgsql: standby %s not synchronous after %d s (%s); "
                      "its log:\n%s" % (standby.name, timeout, got,
                                        proc.file_tail(standby.log, 20)))

    def kill_primary(self):
        """A crash of the read-write node (SIGKILL to its postmaster)."""
        t0 = proc.now()
        self.primary.kill()
        self.timings["kill"] = proc.now() - t0
        _log("killed %s (%.2f s until its processes were gone)"
             % (self.primary.name, self.timings["kill"]))

    def promote(self, clear_sync=False, timeout=30):
        """pg_ctl promote the standby and wait until it takes writes (a
        transaction that commits with synchronous_commit=local, which
        does not wait for a standby it may not have). clear_sync: empty
        its synchronous_standby_names first (ALTER SYSTEM, reload), as a
        failover tool does when no standby is left; else it keeps naming
        the old primary, and every ordinary commit on it waits."""
        n = self.standby
        t0 = proc.now()
        p = n.tool(["pg_ctl", "-D", n.data, "-w", "-t", str(timeout),
                    "promote"], check=False, quiet=True)
        self.timings["pg_ctl promote"] = proc.now() - t0
        if p.returncode != 0:
            raise Failure("pgsql %s: pg_ctl promote failed: %s; log:\n%s"
                          % (n.name, p.stderr.strip(),
                             proc.file_tail(n.log, 20)))
        if clear_sync:
            n.psql(["-q", "-c", "ALTER SYSTEM SET synchronous_standby_names "
                    "= ''", "-c", "SELECT pg_reload_conf()"],
                   database="postgres", quiet=True)
        end = proc.now() + timeout
        while True:
            try:
                if n.value("SET synchronous_commit = local; "
                           "SELECT txid_current() > 0", "postgres",
                           timeout=5) == "t":
                    break
            except (Failure, subprocess.TimeoutExpired):
                pass
            if proc.now() >= end:
                raise Failure("pgsql %s: no writes %d s after promotion; "
                              "log:\n%s" % (n.name, timeout,
                                            proc.file_tail(n.log, 20)))
            time.sleep(0.05)
        self._rw = self.nodes.index(n)
        self.timings["promote"] = proc.now() - t0
        _log("promoted %s (%.2f s)" % (n.name, self.timings["promote"]))

    def stop(self):
        """Stop both (whatever state they are in) and delete the
        directory."""
        if self._cleanup:
            proc.cleanup.done(self._cleanup, run=False)
            self._cleanup = None
        for n in self.nodes:
            try:
                n.thaw()
                n.down("immediate")
            except Exception as e:      # the other node is stopped anyway
                _log("stopping %s: %s" % (n.name, e))
        shutil.rmtree(self.dir, ignore_errors=True)
