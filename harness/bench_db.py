"""The benchmark's databases (harness/db.py's) and their own baselines.

    b = BenchDb("pgsql", work, owner, ncrons=64)
    b.setup(top, pg_sync="off", sqlite_sync="NORMAL")  # schema, crons 1..64
    lo, hi = b.supply("bench-msg", 1000)   # 1000 open executions, by SQL
    b.conns()                              # the module's connections
    b.pgbench(...)                         # PostgreSQL: the module's INSERT
    b.run_client(cycle_script(...))        # MariaDB, SQLite: the cycle

The references run the module's own statements (harness/sqldump.py): pgbench
its INSERT with -M prepared, as the module prepares it on pooled
connections; the mariadb and sqlite3 clients a start, a message and an end
per cycle, one statement after the other on one connection, as the module
sends them for the three requests.
"""

import os
import re
import shutil

from . import db, proc, sqldump
from .proc import Failure

# The dialect of src/db/dialect_*.c the module uses with our servers
# (MariaDB 10.11 is "mariadb": INSERT ... RETURNING).
DIALECT = {"pgsql": "pgsql", "mysql": "mariadb", "sqlite": "sqlite3"}
CLIENT = {"mysql": "mariadb", "sqlite": "sqlite3"}
# The server's log, kept in the log directory under this name.
LOG_NAME = {"pgsql": "pgsql-postgres.log", "mysql": "mysql-mariadb.err"}
NOW = {"pgsql": "now()", "mysql": "UTC_TIMESTAMP(6)",
       "sqlite": "strftime('%Y-%m-%d %H:%M:%f', 'now')"}
MESSAGE = "bench: a line of log, as a job writes it"   # cycle.lua's too


def series(kind, n, columns):
    """SELECT columns FROM the numbers 1..n, each "{i}" in columns being
    the number, in the database's own way."""
    if kind == "pgsql":
        return "SELECT %s FROM generate_series(1, %d) g" % (
            columns.format(i="g"), n)
    if kind == "mysql":
        return "SELECT %s FROM seq_1_to_%d" % (columns.format(i="seq"), n)
    return ("WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g "
            "WHERE n < %d) SELECT %s FROM g" % (n, columns.format(i="n")))


def cycle_script(dialect, kind, n, first_id, ncrons, sqlite_sync):
    """The client's n cycles: per cycle what the module sends for start,
    message and end (src/ops/start.c, message.c, end.c): one statement
    where it returns what the module needs (RETURNING), else the
    dialect's BEGIN, the statement, LAST_ID and COMMIT; an end without a
    message, then END_LOST where END returns nothing. The connection's
    settings first, as for the module: the dialect's init statements, and
    for SQLite the benchmark's DBDInitSQL. Execution ids from first_id on
    (one client alone inserts one row at a time)."""
    sql = dialect.sql

    def write(name, args):
        st = sqldump.bind(sql[name], args)
        if dialect.returns(name):
            return [st]
        return [dialect.begin, st, sql["ST_LAST_ID"], "COMMIT"]

    lines = list(dialect.init)
    if kind == "sqlite":
        lines.append("PRAGMA synchronous = %s" % sqlite_sync)
    for i in range(n):
        e, cron = first_id + i, 1 + i % ncrons
        lines += write("ST_START", ["bench-cli", "127.0.0.1", cron])
        lines += write("ST_MESSAGE", ["info", MESSAGE, e])
        lines.append(sqldump.bind(sql["ST_END"], [1, "success", e]))
        if not dialect.returns("ST_END"):
            lines.append(sqldump.bind(sql["ST_END_LOST"], [e]))
    return "".join(l + ";\n" for l in lines)


def pgbench_script(dialect, ncrons):
    """pgbench's script: the module's START with pgbench's variables for
    its arguments (key name, address, cron id), the cron drawn at random
    per transaction as start.lua draws it."""
    names = ("key", "addr", "cid")
    sql = dialect.sql["ST_START"]
    if len(sqldump.placeholders(sql)) != len(names):
        raise Failure("ST_START of %s does not take %s" % (dialect.name,
                                                          ", ".join(names)))
    return "\\set cid random(1, %d)\n%s;\n" % (
        ncrons, sqldump.substitute(sql, lambda kind, i: ":" + names[i]))


def pgbench_figures(text):
    """(tps without connection time, transactions done, failed ones) from
    pgbench's output; None for what it did not print."""
    def num(pattern, cast):
        m = re.search(pattern, text, re.M)
        return cast(m.group(1)) if m else None
    return (num(r"^tps = ([0-9.]+) \(without initial connection time\)",
                float),
            num(r"^number of transactions actually processed: (\d+)", int),
            num(r"^number of failed transactions: (\d+)", int))


class BenchDb:
    """One database of the run, with the crons bench-1 .. bench-N."""

    def __init__(self, kind, work, owner, ncrons):
        self.kind, self.ncrons = kind, ncrons
        self.db = db.make(kind, os.path.join(work, {"pgsql": "pg", "mysql":
                                                    "my"}.get(kind, kind)),
                          owner)
        self.init_sql = None
        self.settings = ""

    def sql(self, text):
        return self.db.query(text)

    def value(self, text):
        return self.db.value(text)

    def setup(self, top, pg_sync, sqlite_sync):
        """Start it, load the schema, the crons; the settings to report."""
        b, k, n = self.db, self.kind, self.ncrons
        b.start()
        b.load(b.schema(top))
        if k == "pgsql":
            # On the database, so that every session (the module's,
            # pgbench's) runs with it, whatever the server's command line.
            b.psql(["-q", "-c", "ALTER DATABASE charon SET synchronous_commit"
                    " = %s" % pg_sync], quiet=True)
        name = ("CONCAT('bench-', {i}), CONCAT('Bench cron ', {i})"
                if k == "mysql" else "'bench-' || {i}, 'Bench cron ' || {i}")
        self.sql("INSERT INTO charon_cron (id, slug, name, active) "
                 + series(k, n, "{i}, " + name + ", TRUE"))
        if self.value("SELECT COUNT(*) FROM charon_cron") != str(n):
            raise Failure("seeding the crons failed")
        if k == "pgsql":
            self.settings = ", ".join("%s=%s" % (s, self.value("SHOW " + s))
                                      for s in ("synchronous_commit", "fsync",
                                                "max_connections"))
        elif k == "mysql":
            v = lambda s: self.value("SELECT @@" + s)
            self.settings = ("innodb_flush_log_at_trx_commit=%s, binlog off, "
                             "innodb_autoinc_lock_mode=%s, isolation %s" % (
                                 v("innodb_flush_log_at_trx_commit"),
                                 v("innodb_autoinc_lock_mode"),
                                 v("tx_isolation")))
        else:
            self.init_sql = "PRAGMA synchronous = %s" % sqlite_sync
            self.settings = ("journal_mode=%s, synchronous=%s (DBDInitSQL and "
                             "the client)" % (self.value("PRAGMA journal_mode"),
                                              sqlite_sync))

    def supply(self, tag, n):
        """n open executions made with SQL (api_key tag), for the ends and
        the messages: their ids (lo, hi), checked to be consecutive."""
        columns = "1 + {i} %% %d, %s, '%s', '127.0.0.1'" % (
            self.ncrons, NOW[self.kind], tag)
        self.sql("INSERT INTO charon_execution (cron_id, started_at, api_key, "
                 "remote_addr) " + series(self.kind, n, columns))
        got = self.sql("SELECT MIN(id), MAX(id), COUNT(*) FROM charon_execution"
                       " WHERE api_key = '%s'" % tag)
        try:
            lo, hi, cnt = (int(x) for x in got[0])
        except (IndexError, TypeError, ValueError):
            lo = hi = cnt = None
        if cnt != n or hi - lo + 1 != n:
            raise Failure("supply %s: asked for %d executions with consecutive"
                          " ids, got %s" % (tag, n, got))
        return lo, hi

    def conns(self):
        """The module's connections to the database ("n/a" for SQLite)."""
        if self.kind == "pgsql":
            return int(self.value(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = 'charon'"
                " AND backend_type = 'client backend'"
                " AND pid <> pg_backend_pid()"))
        if self.kind == "mysql":
            return int(self.value("SELECT COUNT(*) FROM information_schema."
                                  "PROCESSLIST WHERE USER = 'charon'"))
        return "n/a"

    # ---------------------------------------------------- the cycle's client

    def next_execution_id(self):
        """The id the next execution will get (MariaDB, SQLite)."""
        if self.kind == "mysql":
            v = self.value("SELECT AUTO_INCREMENT FROM information_schema.TABLES"
                           " WHERE TABLE_SCHEMA = 'charon'"
                           " AND TABLE_NAME = 'charon_execution'")
        else:
            v = self.value("SELECT COALESCE((SELECT seq FROM sqlite_sequence"
                           " WHERE name = 'charon_execution'), 0) + 1")
        return int(v)

    def run_client(self, path):
        """The database's own client on the SQL file path, as the module
        connects (MariaDB: user charon over TCP; SQLite: httpd's user);
        (seconds it took, None or why it failed)."""
        t0 = proc.now()
        with open(path, "rb") as f:
            if self.kind == "mysql":
                p = self.db.client(["-N", "-B"], stdin=f, check=False)
            else:
                p = proc.run(self.db.client_argv(), user=self.db.client_user,
                             stdin=f, check=False)
        secs = proc.now() - t0
        why = None
        if p.returncode != 0:
            why = "the %s client failed: %s" % (CLIENT[self.kind], proc.tail(
                p.stderr or p.stdout, 2))
        return secs, why

    def cycles_done(self, first_id, n):
        """(executions, ended, messages) of the client's cycles."""
        last = first_id + n - 1
        row = self.sql(
            "SELECT COUNT(*), SUM(CASE WHEN e.ended_at IS NOT NULL THEN 1 "
            "ELSE 0 END), (SELECT COUNT(*) FROM charon_message m WHERE "
            "m.execution_id BETWEEN %d AND %d) FROM charon_execution e WHERE "
            "e.api_key = 'bench-cli' AND e.id BETWEEN %d AND %d"
            % (first_id, last, first_id, last))[0]
        return tuple(int(x or 0) for x in row)

    # ------------------------------------------------------------- pgbench

    def pgbench(self, script, clients, secs, out):
        """pgbench -M prepared running script (clients, one thread per
        core at most, secs seconds), output kept in out; (tps, failures).
        Each transaction must have inserted its row, as the module's 200s
        did."""
        count = ("SELECT COUNT(*) FROM charon_execution "
                 "WHERE api_key = 'pgbench'")
        before = int(self.value(count))
        jobs = min(clients, len(os.sched_getaffinity(0)))
        p = proc.run([os.path.join(self.db.bin, "pgbench"), "-n", "-M",
                      "prepared", "-c", str(clients), "-j", str(jobs), "-T",
                      str(secs), "-D", "key=pgbench", "-D", "addr=127.0.0.1",
                      "-f", script, "-h", "127.0.0.1", "-p", str(self.db.port),
                      "-U", "postgres", "charon"], check=False)
        text = p.stdout + p.stderr
        with open(out, "w") as f:
            f.write(text)
        tps, done, failed = pgbench_figures(text)
        after = int(self.value(count))
        if p.returncode != 0 or tps is None or done is None:
            return 0.0, ["pgbench c%d failed (exit %d): %s" % (
                clients, p.returncode, " ".join(proc.tail(text, 3).split("\n")))]
        if failed:
            return tps, ["pgbench c%d: number of failed transactions: %d"
                         % (clients, failed)]
        if after - before != done:
            return tps, ["pgbench c%d: %d transactions but %d executions "
                         "inserted" % (clients, done, after - before)]
        return tps, []

    def teardown(self, logdir):
        """Keep the server's log in logdir, stop it, delete its files."""
        if self.db.log and os.path.exists(self.db.log):
            try:
                shutil.copy(self.db.log, os.path.join(logdir,
                                                      LOG_NAME[self.kind]))
            except OSError:
                pass
        self.db.stop()
