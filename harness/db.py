"""Throwaway databases for tests and benchmarks: PostgreSQL, MariaDB, SQLite.

    pg = db.PostgreSQL(proc.temp_dir("pg"))
    pg.start()                      # initdb, a free port, database charon
    pg.load("sql/postgresql.sql")
    pg.query("SELECT id, slug FROM charon_cron")   # [("1", "a"), ...]
    ... pg.dbd_params, pg.dsn, pg.user, pg.password, pg.port, pg.log
    pg.stop()                       # stops it, deletes its directory

Every server listens on 127.0.0.1 only, on a free port picked at start, and
keeps its data, socket and log in the directory it is given, which it owns
from then on: stop() deletes it (start() puts stop() on the cleanup stack).
down()/up()/restart() stop and start the same server again with its data
and port, for tests of a database restart; kill() is a crash, freeze() and
thaw() a server that stops answering; session() runs the database's own
client in the background (a session that holds a lock while a test goes
on). Works as root (PostgreSQL then runs as user postgres, MariaDB as root,
which it allows when told --user=root) and as an ordinary user. Failures
raise proc.Failure saying why.

attach() reaches a database that someone else started (the load client
run on its own): query() only; it is never stopped from here.
"""

import csv
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from . import proc
from .proc import Failure

_log = proc.say_as("db", sys.stderr)

PG_BIN = os.environ.get("CHARON_PG_BIN", "/usr/lib/postgresql/15/bin")

# Separators of the clients' output that no value holds.
_FS, _RS, _NULL = "\x1f", "\x1e", "\x1dNULL\x1d"


def make(kind, directory, owner=None):
    """The database of a kind (sqlite, pgsql, mysql) living in directory
    (SQLite: directory/charon.sqlite, owned by owner)."""
    if kind == "sqlite":
        return SQLite(os.path.join(directory, "charon.sqlite"), owner)
    if kind == "pgsql":
        return PostgreSQL(directory)
    if kind == "mysql":
        return MariaDB(directory)
    raise Failure("unknown database %r (expected sqlite, pgsql or mysql)" % kind)


def attach(kind, port=None, password="", file=None, owner=None,
           bin_dir=PG_BIN):
    """A database of a kind (sqlite, pgsql, mysql) that runs already: on
    127.0.0.1:port (PostgreSQL as user postgres, MariaDB as user charon
    with password), or the SQLite file (its client run as owner). For
    query(); stop() leaves it alone."""
    if kind == "sqlite":
        d = SQLite(file, owner)
    elif kind == "pgsql":
        d = PostgreSQL(None, bin_dir)
    elif kind == "mysql":
        d = MariaDB(None)
    else:
        raise Failure("unknown database %r (expected sqlite, pgsql or mysql)"
                      % kind)
    d.attached = True
    d.port, d.password = (int(port) if port else None), password
    return d


def perl_has(module, path=None):
    """Whether perl can load a module (with PATH path when given)."""
    env = dict(os.environ, PATH=path) if path else None
    return subprocess.run(["perl", "-M" + module, "-e", "1"], env=env,
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


class Database:
    """What every throwaway database has; see the subclasses."""

    kind = driver = sql_name = None
    user = password = ""
    port = None
    log = None
    attached = False
    client_user = None      # the OS user client_argv() runs as

    def __init__(self, directory):
        self.dir = os.path.abspath(directory) if directory else None
        self.dbd_params = self.dsn = ""
        self._frozen = []
        self._cleanup = None

    def schema(self, top):
        """The schema file of this database under top/sql."""
        return os.path.join(top, "sql", self.sql_name + ".sql")

    def value(self, sql, database=None):
        """The first column of the first row, or None."""
        rows = self.query(sql, database)
        return rows[0][0] if rows and rows[0] else None

    def pids(self):
        return []

    def session(self, args, out, database=None):
        """The database's own client (client_argv) in the background,
        reading statements on its stdin (the Popen's), writing to the file
        out: for a session that holds a lock while a test goes on. Ended by
        the cleanup stack if still running then (proc.spawn)."""
        return proc.spawn(self.client_argv(args, database),
                          user=self.client_user, stdin=subprocess.PIPE,
                          stdout=out, stderr=subprocess.STDOUT)

    def freeze(self):
        """SIGSTOP every process of the server: it accepts TCP connections
        (the kernel does) but answers nothing, like a paused VM."""
        self._frozen = self.pids()
        proc.signal_pids(self._frozen, signal.SIGSTOP)

    def thaw(self):
        proc.signal_pids(self._frozen, signal.SIGCONT)
        self._frozen = []

    def _started(self):
        self._cleanup = proc.cleanup.push(self.stop)

    def _forget(self):
        if self._cleanup:
            proc.cleanup.done(self._cleanup, run=False)
            self._cleanup = None

    def stop(self):
        """Stop the server and delete its directory."""
        if self.attached:
            return
        self.thaw()
        self.down()
        self._forget()
        shutil.rmtree(self.dir, ignore_errors=True)

    def down(self, mode=None):
        pass

    def up(self):
        pass

    def restart(self):
        """What an operator's restart does: a clean stop, a start."""
        self.down()
        self.up()


def _rows(text, fs, rs, null):
    """Split a client's output into rows of values (None for NULL)."""
    out = []
    for line in text.split(rs):
        if line == "":
            continue
        out.append(tuple(None if v == null else v for v in line.split(fs)))
    return out


# --------------------------------------------------------------- SQLite ---

class SQLite(Database):
    """A SQLite file. SQLite writes journal and WAL files next to the
    database, so the file and its directory must belong to whoever runs
    httpd's children (else "attempt to write a readonly database"): give
    that user as owner; the sqlite3 client then runs as that user."""

    kind, driver, sql_name = "sqlite", "sqlite3", "sqlite"

    def __init__(self, file, owner=None):
        super().__init__(os.path.dirname(os.path.abspath(file)))
        self.file = os.path.abspath(file)
        self.owner = self.client_user = owner if proc.is_root() else None
        self.dbd_params = self.file
        self.dsn = "dbi:SQLite:dbname=" + self.file

    def start(self):
        """A fresh, empty database file (load a schema next)."""
        os.makedirs(self.dir, exist_ok=True)
        self.stop()
        if self.owner:
            uid, gid, _ = proc.user_ids(self.owner)
            os.chown(self.dir, uid, gid)

    def stop(self):
        """Delete the file and its journal (the directory may be shared)."""
        if self.attached:
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(self.file + suffix):
                os.unlink(self.file + suffix)

    def load(self, path, database=None):
        """Run an SQL file with sqlite3 -bail; stdout is dropped (a PRAGMA
        journal_mode=WAL in the schema prints "wal")."""
        with _open_sql(path, "sqlite") as f:
            p = proc.run(["sqlite3", "-bail", self.file], user=self.owner,
                         stdin=f, quiet=True, check=False)
        if p.returncode != 0:
            raise Failure("sqlite: loading %s into %s failed: %s"
                          % (path, self.file, p.stderr.strip()))

    def client_argv(self, args=(), database=None):
        """sqlite3 on the file (or database, another file), waiting up to
        10 s for a lock; run it as client_user."""
        return (["sqlite3", "-batch", "-bail", "-cmd", ".timeout 10000"]
                + list(args) + [database or self.file])

    def query(self, sql, database=None, timeout=None):
        """Rows of the statements in sql (strings, None for NULL)."""
        p = proc.run(self.client_argv(["-noheader", "-separator", _FS,
                                       "-newline", _RS, "-nullvalue", _NULL],
                                      database),
                     user=self.owner, input=sql, check=False, timeout=timeout)
        if p.returncode != 0:
            raise Failure("sqlite: %s" % p.stderr.strip())
        return _rows(p.stdout, _FS, _RS, _NULL)


def _open_sql(path, who):
    """An SQL file opened by us: the server's user need not read it."""
    try:
        return open(path, "rb")
    except OSError:
        raise Failure("%s: %s not found" % (who, path)) from None


# ----------------------------------------------------------- PostgreSQL ---

class PostgreSQL(Database):
    """A PostgreSQL cluster in dir/data with the database charon, trust
    authentication (it is reachable from this machine only) and durability
    off (fsync, synchronous_commit, full_page_writes: a crash loses a
    throwaway database, nothing else)."""

    kind, driver, sql_name = "pgsql", "pgsql", "postgresql"
    user = "postgres"

    def __init__(self, directory, bin_dir=PG_BIN):
        super().__init__(directory)
        self.bin = bin_dir
        self.log = self.dir and os.path.join(self.dir, "postgres.log")
        # PostgreSQL refuses to run as root: its programs then run as
        # postgres, from / (proc.run), since runuser keeps the directory.
        self.os_user = self.client_user = ("postgres" if proc.is_root()
                                           else None)

    def tool(self, argv, **kw):
        """One of PostgreSQL's programs (argv[0] in its bin directory), as
        its OS user; proc.run's keywords."""
        return proc.run([os.path.join(self.bin, argv[0])] + argv[1:],
                        user=self.os_user, **kw)

    def start(self):
        """initdb, a free port, the server, CREATE DATABASE charon."""
        initdb = os.path.join(self.bin, "initdb")
        if not os.access(initdb, os.X_OK):
            raise Failure("pgsql: %s not found (apt-get install postgresql-15)"
                          % initdb)
        os.makedirs(os.path.join(self.dir, "sock"), exist_ok=True)
        if self.os_user:
            uid, gid, _ = proc.user_ids(self.os_user)
            for d in (self.dir, os.path.join(self.dir, "sock")):
                os.chown(d, uid, gid)
            if proc.run(["test", "-w", self.dir], user=self.os_user,
                        check=False).returncode != 0:
                raise Failure("pgsql: user postgres cannot write %s (is a "
                              "parent directory private?)" % self.dir)
        os.chmod(self.dir, 0o700)
        os.chmod(os.path.join(self.dir, "sock"), 0o700)
        self._started()
        # --no-sync: nothing needs to survive a power cut here, and it
        # saves seconds. --no-locale and UTF8: byte-wise, machine-
        # independent sorting.
        p = self.tool(["initdb", "-D", os.path.join(self.dir, "data"),
                      "-U", "postgres", "--auth=trust", "-E", "UTF8",
                      "--no-locale", "--no-sync"], check=False)
        if p.returncode != 0:
            raise Failure("pgsql: initdb failed:\n" + p.stdout + p.stderr)
        self.port = proc.free_port()
        self.up()
        self.psql(["-q", "-c", "CREATE DATABASE charon"], database="postgres",
                  quiet=True)
        self.dsn = "dbi:Pg:dbname=charon;host=127.0.0.1;port=%d" % self.port
        self.dbd_params = self.params()

    def params(self, database="charon", connect_timeout=5):
        """DBDParams for mod_dbd. connect_timeout: mod_dbd opens
        connections under its pool lock, so a hung connect would stall
        every thread waiting for a connection."""
        s = "host=127.0.0.1 port=%d dbname=%s user=postgres" % (self.port,
                                                                database)
        return s + (" connect_timeout=%d" % connect_timeout
                    if connect_timeout else "")

    def up(self):
        """(Re)start the cluster, same port. listen_addresses=127.0.0.1:
        TCP on loopback only; the Unix socket lives in the private
        dir/sock."""
        p = self.tool(["pg_ctl", "-D", os.path.join(self.dir, "data"),
                      "-l", self.log, "-w", "-t", "60", "-o",
                      "-p %d -k %s/sock -c listen_addresses=127.0.0.1 "
                      "-c fsync=off -c synchronous_commit=off "
                      "-c full_page_writes=off" % (self.port, self.dir),
                      "start"], check=False, quiet=True)
        if p.returncode != 0:
            raise Failure("pgsql: server did not start on 127.0.0.1:%d; "
                          "log:\n%s" % (self.port, proc.file_tail(self.log, 20)))

    def down(self, mode="fast"):
        """Stop the server, keep its data. mode: fast, or immediate (a
        crash, as far as clients can tell)."""
        pidfile = os.path.join(self.dir, "data", "postmaster.pid")
        if not os.path.exists(pidfile):
            return
        pid = proc.read_pid(pidfile)
        p = self.tool(["pg_ctl", "-D", os.path.join(self.dir, "data"),
                      "-m", mode, "-w", "-t", "30", "stop"], check=False,
                     quiet=True)
        if p.returncode != 0 and pid and proc.alive(pid):
            # pg_ctl failed or timed out: do not leave a postmaster behind
            _log("pgsql: pg_ctl stop failed; killing postmaster %d" % pid)
            proc.signal_pids([pid], signal.SIGKILL)
            proc.wait_pid(pid, 10)

    def kill(self):
        """A crash: immediate shutdown, which skips the checkpoint and drops
        every connection at once."""
        self.down("immediate")

    def pids(self):
        pm = proc.read_pid(os.path.join(self.dir, "data", "postmaster.pid"))
        return [pm] + proc.children(pm) if pm else []

    def psql_argv(self, args, database="charon"):
        """psql's command line (run it as os_user): as postgres over TCP,
        ON_ERROR_STOP so that a bad file fails loudly."""
        return [os.path.join(self.bin, "psql"), "-X", "-v", "ON_ERROR_STOP=1",
                "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                "-d", database] + list(args)

    def client_argv(self, args=(), database=None):
        """psql_argv, as every database names its client's (session())."""
        return self.psql_argv(args, database or "charon")

    def psql(self, args, database="charon", input=None, stdin=None,
             check=True, quiet=False, merge=False, timeout=None):
        """psql (psql_argv). Returns the CompletedProcess (proc.run's
        keywords)."""
        return proc.run(self.psql_argv(args, database), user=self.os_user,
                        input=input, stdin=stdin, check=check, quiet=quiet,
                        merge=merge, timeout=timeout)

    def load(self, path, database="charon"):
        """Run an SQL file; psql reads it on its stdin, so user postgres
        need not be able to read it."""
        with _open_sql(path, "pgsql") as f:
            p = self.psql(["-q"], database=database, stdin=f, check=False,
                          quiet=True)
        if p.returncode != 0:
            raise Failure("pgsql: loading %s failed: %s"
                          % (path, p.stderr.strip()))

    def query(self, sql, database="charon", timeout=None):
        """Rows of the statements in sql, read on psql's stdin."""
        # CSV: quoted where a value holds a comma, a quote or a newline
        p = self.psql(["-q", "--csv", "-t", "-P", "null=" + _NULL],
                      database=database or "charon", input=sql, check=False,
                      timeout=timeout)
        if p.returncode != 0:
            raise Failure("pgsql: %s" % p.stderr.strip())
        return [tuple(None if v == _NULL else v for v in r)
                for r in csv.reader(io.StringIO(p.stdout)) if r]


# -------------------------------------------------------------- MariaDB ---

class MariaDB(Database):
    """mariadbd with the database charon and the user 'charon'@'127.0.0.1'
    (a random password, ALL on charon.*). Every program of MariaDB gets
    --no-defaults first: /etc/mysql/my.cnf belongs to the system's server
    (its socket, datadir, port 3306), not to ours."""

    kind, driver, sql_name = "mysql", "mysql", "mysql"
    user = "charon"

    def __init__(self, directory):
        super().__init__(directory)
        self.log = self.dir and os.path.join(self.dir, "mariadb.err")
        self.socket = self.dir and os.path.join(self.dir, "mysqld.sock")
        self.pid = None
        self._proc = None
        # MariaDB runs as root only when told so explicitly; as another
        # user the option is left out and it runs as that user.
        self._user_opt = ["--user=root"] if proc.is_root() else []
        self._mariadbd = shutil.which("mariadbd") or "/usr/sbin/mariadbd"

    def start(self):
        """Install a data directory, start mariadbd on a free port, create
        database charon and its user."""
        if not os.access(self._mariadbd, os.X_OK):
            raise Failure("mysql: mariadbd not found "
                          "(apt-get install mariadb-server)")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        os.chmod(self.dir, 0o700)
        self._started()
        # normal root authentication (not unix_socket), so that root can
        # log in through the socket whatever the calling Unix user is.
        p = proc.run(["mariadb-install-db", "--no-defaults",
                      "--datadir=" + os.path.join(self.dir, "data")]
                     + self._user_opt
                     + ["--auth-root-authentication-method=normal",
                        "--skip-test-db", "--skip-name-resolve"], check=False)
        if p.returncode != 0:
            raise Failure("mysql: mariadb-install-db failed:\n"
                          + proc.tail(p.stdout + p.stderr, 30))
        self.port = proc.free_port()
        self.up()
        self.password = proc.random_password()
        self.sql(["-e", "CREATE DATABASE charon CHARACTER SET utf8mb4;"
                  "CREATE USER 'charon'@'127.0.0.1' IDENTIFIED BY '%s';"
                  "GRANT ALL ON charon.* TO 'charon'@'127.0.0.1';"
                  % self.password])
        # DBD::MariaDB (libdbd-mariadb-perl) when present, else DBD::mysql.
        drv = "MariaDB" if perl_has("DBD::MariaDB") else "mysql"
        self.dsn = "dbi:%s:database=charon;host=127.0.0.1;port=%d" % (
            drv, self.port)
        self.dbd_params = self.params()

    def params(self, database="charon", connect_timeout=5):
        """DBDParams for mod_dbd. apr_dbd_mysql's password key is "pass";
        reconnect=0: a silent reconnect would lose the prepared statements
        (mod_dbd's own advice); connect_timeout: see PostgreSQL.params."""
        s = ("host=127.0.0.1 port=%d user=charon pass=%s dbname=%s reconnect=0"
             % (self.port, self.password, database))
        return s + (" connect_timeout=%d" % connect_timeout
                    if connect_timeout else "")

    def up(self):
        """(Re)start mariadbd on its data, same port. Durability is relaxed
        (no binary log, no flush per commit, no doublewrite): this database
        is thrown away. Character set and collation are those of Debian's
        packaged server (50-server.cnf), which --no-defaults skips: the
        schema must not depend on a friendlier default than operators get.
        The time zone is UTC, as sql/mysql.sql asks of the server."""
        d = self.dir
        # Its own stdin/stdout/stderr: a background server holding the
        # caller's output pipe open would keep e.g. `make test | tee` from
        # ever ending. Its own session: Ctrl-C is for us, who stop it.
        with open(os.path.join(d, "mariadbd.out"), "ab") as out:
            self._proc = subprocess.Popen(
                [self._mariadbd, "--no-defaults"] + self._user_opt + [
                    "--datadir=%s/data" % d, "--socket=" + self.socket,
                    "--port=%d" % self.port, "--bind-address=127.0.0.1",
                    "--skip-name-resolve", "--pid-file=%s/mariadb.pid" % d,
                    "--log-error=" + self.log, "--tmpdir=%s/tmp" % d,
                    "--skip-log-bin", "--innodb-flush-log-at-trx-commit=2",
                    "--innodb-doublewrite=0", "--innodb-buffer-pool-size=64M",
                    "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_general_ci",
                    "--default-time-zone=+00:00"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.pid = self._proc.pid
        end = time.monotonic() + 60
        while time.monotonic() < end:
            if self._proc.poll() is not None:
                raise Failure("mysql: mariadbd exited during start; log:\n"
                              + proc.file_tail(self.log, 30))
            if self.admin(["--connect-timeout=1", "ping"]).returncode == 0:
                return
            time.sleep(0.1)
        self.down("kill")
        raise Failure("mysql: mariadbd did not answer within 60 s; log:\n"
                      + proc.file_tail(self.log, 30))

    def down(self, mode="shutdown"):
        """Stop mariadbd, keep its data. mode: shutdown (clean) or kill
        (SIGKILL: a crash, as clients see it)."""
        pid = self.pid or proc.read_pid(os.path.join(self.dir, "mariadb.pid"))
        if not pid or not proc.alive(pid):
            self.pid = None
            return
        if mode != "kill":
            if self.admin(["--connect-timeout=5", "shutdown"]).returncode:
                proc.signal_pids([pid], signal.SIGTERM)
            if not proc.wait_pid(pid, 30):
                _log("mysql: mariadbd %d ignores shutdown; killing it" % pid)
        proc.signal_pids([pid], signal.SIGKILL)
        proc.wait_pid(pid, 10)
        self.pid = None

    def kill(self):
        self.down("kill")

    def pids(self):
        return [self.pid] if self.pid else []

    def admin(self, args):
        """mariadb-admin as root through the private socket."""
        return proc.run(["mariadb-admin", "--no-defaults",
                         "--socket=" + self.socket, "-uroot"] + list(args),
                        check=False, quiet=True)

    def sql_argv(self, args):
        """The mariadb client's command line as root, through the private
        socket (root@localhost has no password and no TCP access)."""
        return ["mariadb", "--no-defaults", "--socket=" + self.socket,
                "-uroot"] + list(args)

    def client_argv(self, args=(), database=None):
        """sql_argv, as every database names its client's (session())."""
        return self.sql_argv(list(args) + ([database] if database else []))

    def sql(self, args, input=None, stdin=None, check=True, timeout=None):
        """The mariadb client as root (sql_argv)."""
        return proc.run(self.sql_argv(args), input=input, stdin=stdin,
                        check=check, timeout=timeout)

    def client(self, args, database="charon", input=None, stdin=None,
               check=True, timeout=None):
        """The mariadb client as the application's user, over TCP, as the
        module connects."""
        return proc.run(["mariadb", "--no-defaults", "-h", "127.0.0.1",
                         "-P", str(self.port), "-u", "charon",
                         "-p" + self.password, database] + list(args),
                        input=input, stdin=stdin, check=check, timeout=timeout)

    def load(self, path, database="charon"):
        """Run an SQL file as user charon over TCP, which also proves the
        user, its password and its grant work."""
        with _open_sql(path, "mysql") as f:
            p = self.client([], database=database, stdin=f, check=False)
        if p.returncode != 0:
            raise Failure("mysql: loading %s failed: %s"
                          % (path, p.stderr.strip()))

    def query(self, sql, database="charon", app=False, timeout=None):
        """Rows of the statements in sql, as root (app, or attached: as
        user charon)."""
        args = ["--default-character-set=utf8mb4", "-N", "-B"]
        if app or self.attached:
            p = self.client(args, database=database or "charon", input=sql,
                            check=False, timeout=timeout)
        else:
            p = self.sql(args + [database or "charon"], input=sql, check=False,
                         timeout=timeout)
        if p.returncode != 0:
            raise Failure("mysql: %s" % p.stderr.strip())
        rows = _rows(p.stdout, "\t", "\n", "NULL")
        return [tuple(None if v is None else _unescape(v) for v in r)
                for r in rows]

    def stop(self):
        super().stop()
        self._proc = None


_ESCAPES = {"n": "\n", "t": "\t", "0": "\0", "\\": "\\"}


def _unescape(value):
    """The value behind the mariadb client's batch escapes (\\n, \\t...)."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)),
                  value)
