"""The big-table benchmark's databases: each server (or SQLite file pair)
holds two databases, "empty" and "big", created from sql/*.sql with the
same crons; "big" is then loaded with the executions and messages.

    b = bigt_data.make("pgsql", opts)
    b.setup()                   # server, schemas, crons
    b.load(deadline)            # chunk after chunk until done or deadline
    b.post_load()               # statistics, sequences, files to disk
    b.params("empty"), b.driver, b.query("big", sql), b.stop()

The data. opts.crons crons (every 10th with max_runtime 3600 s, every 50th
with concurrency 'forbid'); opts.executions executions over the past year,
spread evenly over the crons, the newest started a minute ago: 95%
succeeded, 5% failed, 0.1% lost, the newest ~0.005% still running (one per
'forbid' cron at most, holding its lock); opts.per_exec messages each.
Every value is a function of the row's id (tests/bench/bigtables_gen.c for
PostgreSQL and MariaDB, the SQL below for SQLite), so all databases get the
same rows.

Load. PostgreSQL: COPY ... FREEZE from the generator in the transaction
that truncates the tables, with wal_level=minimal for the load only (no
WAL is written for it), the tables' indexes in place; then VACUUM ANALYZE.
SQLite: INSERT ... SELECT from generate_series, journal off. Both: the one
index that takes its rows in no order, charon_execution_cron (10M inserts
at 1000 places), is dropped for the load and built again from its own
definition at the end (a sorted build is about three times as fast).
MariaDB: LOAD DATA from the generator. Chunks of 1/20th, until done or
until the deadline has passed (a chunk under way is finished); nothing is
shrunk silently: the load row says what was loaded. Then the files are
flushed to disk (the loads run without fsync), so that the kernel does not
write them out during the measurement.
"""

import os
import shutil
import subprocess
import time

from . import db, proc
from .proc import Failure
from .stats import human

EXEC_COLS = ("id, cron_id, started_at, ended_at, success, type, api_key, "
             "remote_addr, forbid_overlap, lost_at")
MSG_COLS = "id, execution_id, type, message, created_at"
# The secondary indexes of charon_execution that are neither unique nor
# partial: built after the load.
_PG_LATE_INDEXES = """FROM pg_index
  WHERE indrelid = 'charon_execution'::regclass
  AND NOT indisunique AND NOT indisprimary AND indpred IS NULL"""
_SQ_LATE_INDEXES = """FROM sqlite_master WHERE type = 'index'
  AND tbl_name = 'charon_execution' AND sql IS NOT NULL
  AND upper(sql) NOT LIKE '%UNIQUE%' AND upper(sql) NOT LIKE '% WHERE %'"""
_CRONS = ("INSERT INTO charon_cron (id, slug, name, active, created_at, "
          "concurrency, max_runtime)\n")
_SQ_FAST = ("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
            "PRAGMA cache_size = -1000000;\n")


def make(kind, opts):
    return {"pgsql": PgBig, "sqlite": SqliteBig, "mysql": MyBig}[kind](opts)


def chunks(n, parts=20):
    """(number from 1, first, last) of the executions 1..n in parts."""
    count = 1 if n < parts else parts
    size = (n + count - 1) // count
    for c in range(count):
        a, b = c * size + 1, min((c + 1) * size, n)
        if a > b:
            break
        yield c + 1, a, b


def fsync_tree(path):
    """Write every file below path (or path itself) to disk, as sync FILE
    does: the loads ran without fsync."""
    files = [path] if os.path.isfile(path) else [
        os.path.join(r, f) for r, _, fs in os.walk(path) for f in fs]
    for f in files:
        try:
            fd = os.open(f, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class BigDB:
    """What the three have in common; opts is bigtables.Options."""

    kind = driver = dialect = None

    def __init__(self, opts):
        self.o = opts
        self.loaded_e = self.loaded_m = 0
        self.load_s = self.post_s = 0.0
        self.say = proc.say_as("bigtables", opts.stream)

    @property
    def sizes_label(self):
        return "%s exec/%s msg" % (human(self.loaded_e), human(self.loaded_m))

    def log(self, name):
        return os.path.join(self.o.logdir, "%s-%s" % (self.kind, name))

    def gen_argv(self, fmt, what, a, b):
        o = self.o
        return [o.gen, fmt, what, str(o.executions), str(o.per_exec),
                str(o.crons), str(a), str(b), str(o.now)]

    def load(self, deadline):
        t0 = proc.now()
        self._load(deadline)
        self.loaded_e = int(self.query("big", "SELECT coalesce(max(id), 0) "
                                       "FROM charon_execution")[0][0])
        self.loaded_m = int(self.query("big", "SELECT coalesce(max(id), 0) "
                                       "FROM charon_message")[0][0])
        self.load_s = proc.now() - t0

    def post_load(self):
        t0 = proc.now()
        self._post_load()
        self.post_s = proc.now() - t0


# ----------------------------------------------------------- PostgreSQL ---

class PgBig(BigDB):
    kind, driver, dialect = "pgsql", "pgsql", "pgsql"
    after_load = "restart with wal_level=replica and VACUUM ANALYZE"

    def crons_sql(self):
        o = self.o
        return _CRONS + """SELECT i, 'bench-' || lpad(i::text, 4, '0'),
       'Benchmark cron ' || i, TRUE, to_timestamp(%d) - interval '400 days',
       CASE WHEN i %% 50 = 25 THEN 'forbid' ELSE 'allow' END,
       CASE WHEN i %% 10 = 0 THEN 3600 END
FROM generate_series(1, %d) i;
SELECT setval(pg_get_serial_sequence('charon_cron', 'id'), %d);
""" % (o.now, o.crons, o.crons)

    pg = None

    def setup(self):
        self.pg = db.PostgreSQL(os.path.join(self.o.work, "pg"))
        self.pg.start()
        self.pg.psql(["-q", "-c", "CREATE DATABASE charon_empty"],
                     database="postgres", quiet=True)
        for d in ("charon", "charon_empty"):
            self.pg.load(self.pg.schema(self.o.top), database=d)
            self.pg.psql(["-q"], database=d, input=self.crons_sql(),
                         quiet=True)
        # No WAL for the load (the tables are truncated in its
        # transaction); back to replica before measuring.
        self.pg.psql(["-q", "-c", "ALTER SYSTEM SET wal_level = minimal",
                      "-c", "ALTER SYSTEM SET max_wal_senders = 0"],
                     quiet=True)
        self.pg.restart()

    def _load(self, deadline):
        o = self.o
        rebuild = [r[0] for r in self.pg.query(
            "SELECT pg_get_indexdef(indexrelid) || ';' " + _PG_LATE_INDEXES)]
        drops = [r[0] for r in self.pg.query(
            "SELECT 'DROP INDEX ' || indexrelid::regclass || ';' "
            + _PG_LATE_INDEXES)]
        parts = list(chunks(o.executions))
        lines = ["SET session_replication_role = replica;",   # no FK triggers
                 "SET maintenance_work_mem = '512MB';", "BEGIN;",
                 "TRUNCATE charon_message, charon_execution;"] + drops
        lines.append("SELECT true AS go \\gset")
        copy = "COPY %s (%s) FROM PROGRAM '%s' WITH (FREEZE);"
        for c, a, b in parts:
            lines += ["\\if :go", copy % ("charon_execution", EXEC_COLS,
                                          " ".join(self.gen_argv(
                                              "pg", "exec", a, b)))]
            if o.per_exec > 0:
                lines.append(copy % ("charon_message", MSG_COLS, " ".join(
                    self.gen_argv("pg", "msg", a, b))))
            lines += ["\\echo chunk %d of %d: executions up to %d"
                      % (c, len(parts), b),
                      "SELECT clock_timestamp() < to_timestamp(%d) AS go "
                      "\\gset" % deadline, "\\endif"]
        lines += ["\\echo rebuilding: " + " ".join(rebuild)] + rebuild
        lines.append("COMMIT;")
        script = os.path.join(o.work, "pg-load.sql")
        with open(script, "w") as f:
            f.write("\n".join(lines) + "\n")
        with open(script) as sql, open(self.log("load.log"), "w") as log:
            rc = proc.run_owned(self.pg.psql_argv(["-q", "-f", "-"]),
                                user=self.pg.os_user, stdin=sql, stdout=log,
                                stderr=log)
        if rc != 0:
            raise Failure("pgsql: load failed: %s"
                          % proc.file_tail(self.log("load.log"), 5))

    def _post_load(self):
        conf = ["-c", "ALTER SYSTEM RESET wal_level",
                "-c", "ALTER SYSTEM RESET max_wal_senders"]
        for kv in self.o.pg_conf.split():
            name, _, value = kv.partition("=")
            conf += ["-c", "ALTER SYSTEM SET %s = %s" % (name,
                                                          db_quote(value))]
        self.pg.psql(["-q"] + conf, quiet=True)
        self.pg.restart()
        # COPY gave the ids: the identity sequences follow. VACUUM: a
        # table in service has been vacuumed (and autovacuum would
        # otherwise start on 60M new rows during the measurement).
        self.pg.psql(["-q", "-c", "SELECT setval(pg_get_serial_sequence("
                      "'charon_execution', 'id'), greatest(max(id), 1)) "
                      "FROM charon_execution",
                      "-c", "SELECT setval(pg_get_serial_sequence("
                      "'charon_message', 'id'), greatest(max(id), 1)) "
                      "FROM charon_message",
                      "-c", "VACUUM (ANALYZE) charon_execution, "
                      "charon_message, charon_cron"], quiet=True)
        self.pg.psql(["-q", "-c", "VACUUM (ANALYZE)"],
                     database="charon_empty", quiet=True)
        # fsync is off: what PostgreSQL wrote is still in the page cache,
        # and the kernel would write it out during the measurement. Now.
        fsync_tree(os.path.join(self.pg.dir, "data"))

    def params(self, size):
        return self.pg.params("charon_empty" if size == "empty" else "charon")

    def query(self, size, sql):
        return self.pg.query(sql, "charon_empty" if size == "empty"
                             else "charon")

    def stop(self):
        """Stop the server once measured; its files go at the end (deleting
        gigabytes now would be I/O in the next database's measurement)."""
        self.pg.down("fast")
        _copy(self.pg.log, self.log("postgres.log"))

    def close(self):
        if self.pg:
            self.pg.stop()


def db_quote(value):
    return "'%s'" % value.replace("'", "''")


def _copy(src, dest):
    try:
        shutil.copy(src, dest)
    except OSError:
        pass


# ---------------------------------------------------------------- SQLite ---

class SqliteBig(BigDB):
    kind, driver, dialect = "sqlite", "sqlite3", "sqlite3"
    after_load = None

    def crons_sql(self):
        o = self.o
        return _CRONS + """SELECT value, 'bench-' || printf('%%04d', value),
       'Benchmark cron ' || value, 1,
       strftime('%%Y-%%m-%%d %%H:%%M:%%f', %d, 'unixepoch', '-400 days'),
       CASE WHEN value %% 50 = 25 THEN 'forbid' ELSE 'allow' END,
       CASE WHEN value %% 10 = 0 THEN 3600 END
FROM generate_series(1, %d);
""" % (o.now, o.crons)

    def chunk_sql(self, a, b):
        """The rows of executions a..b, as bigtables_gen.c makes them (times
        with millisecond text, as the module writes them)."""
        o = self.o
        v = dict(a=a, b=b, N=o.executions, C=o.crons, R=o.per_exec,
                 TAIL=o.tail, NOW=o.now)
        return """INSERT INTO charon_execution (%(cols)s)
SELECT i, cron, strftime('%%Y-%%m-%%d %%H:%%M:%%f', t, 'unixepoch'),
       CASE WHEN st IN (1, 2)
            THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f', t + dur, 'unixepoch') END,
       CASE st WHEN 1 THEN 1 WHEN 2 THEN 0 END,
       CASE st WHEN 1 THEN 'success' WHEN 2 THEN 'error' END,
       'app-' || (i %% 20), '10.0.' || (i %% 4) || '.' || (i %% 250),
       CASE WHEN cron %% 50 = 25 AND (st <> 0 OR i > %(N)d - %(C)d)
            THEN 1 ELSE 0 END,
       CASE WHEN st = 3
            THEN strftime('%%Y-%%m-%%d %%H:%%M:%%f', t + 3600, 'unixepoch') END
FROM (SELECT i, cron, t, dur,
             CASE WHEN (i > %(N)d - %(TAIL)d AND i %% 2 = 0)
                       OR t + dur > %(NOW)d THEN 0
                  WHEN i %% 1000 = 7 THEN 3 WHEN i %% 20 = 3 THEN 2
                  ELSE 1 END AS st
      FROM (SELECT value AS i, (value - 1) %% %(C)d + 1 AS cron,
                   %(NOW)d - 60.0
                   - 365.0 * 86400.0 * (%(N)d - value) / %(N)d AS t,
                   ((value * 7919) %% 600 + 1) + (value %% 1000) / 1000.0 AS dur
            FROM generate_series(%(a)d, %(b)d)));
INSERT INTO charon_message (%(mcols)s)
SELECT j, e,
       CASE j %% 10 WHEN 0 THEN 'warning' WHEN 1 THEN 'error'
                    WHEN 9 THEN 'success' ELSE 'info' END,
       printf('step %%d: processed %%d records', k + 1, (j * 31) %% 9973),
       datetime(t + (CASE WHEN (e > %(N)d - %(TAIL)d AND e %% 2 = 0)
                               OR t + dur > %(NOW)d OR e %% 1000 = 7
                          THEN 30.0 ELSE dur END) * k / %(R)d, 'unixepoch')
FROM (SELECT j, e, k,
             %(NOW)d - 60.0 - 365.0 * 86400.0 * (%(N)d - e) / %(N)d AS t,
             ((e * 7919) %% 600 + 1) + (e %% 1000) / 1000.0 AS dur
      FROM (SELECT value AS j, (value - 1) / %(R)d + 1 AS e,
                   (value - 1) %% %(R)d AS k
            FROM generate_series((%(a)d - 1) * %(R)d + 1, %(b)d * %(R)d)));
""" % dict(v, cols=EXEC_COLS, mcols=MSG_COLS)

    files = {}

    def setup(self):
        d = os.path.join(self.o.work, "sqlite")
        self.files = {}
        for size in ("empty", "big"):
            f = db.SQLite(os.path.join(d, size + ".db"), self.o.run_user)
            f.start()
            f.load(f.schema(self.o.top))
            f.query(self.crons_sql())
            self.files[size] = f

    def _sqlite(self, sql_file, log):
        """sqlite3 -bail on the big database, reading sql_file, as the
        file's owner, its output appended to log."""
        f = self.files["big"]
        with open(sql_file) as sql, open(log, "a") as out:
            rc = proc.run_owned(["sqlite3", "-bail", f.file], user=f.owner,
                                stdin=sql, stdout=out, stderr=out)
        if rc != 0:
            raise Failure("sqlite: load failed: %s" % proc.file_tail(log, 5))

    def _load(self, deadline):
        big, log = self.files["big"], self.log("load.log")
        open(log, "w").close()
        rebuild = [r[0] for r in big.query("SELECT sql || ';' "
                                           + _SQ_LATE_INDEXES)]
        drops = [r[0] for r in big.query("SELECT 'DROP INDEX ' || name || ';' "
                                         + _SQ_LATE_INDEXES)]
        if drops:
            big.query("\n".join(drops))
        script = os.path.join(self.o.work, "sqlite-load.sql")
        parts = list(chunks(self.o.executions))
        for c, a, b in parts:
            if time.time() >= deadline:
                break
            with open(script, "w") as f:
                f.write(_SQ_FAST + "BEGIN;\n" + self.chunk_sql(a, b)
                        + "COMMIT;\n")
            self._sqlite(script, log)
            with open(log, "a") as f:
                f.write("chunk %d of %d: executions up to %d\n"
                        % (c, len(parts), b))
        with open(log, "a") as f:
            f.write("rebuilding: %s\n" % " ".join(rebuild))
        with open(script, "w") as f:
            f.write(_SQ_FAST + "\n".join(rebuild) + "\n")
        self._sqlite(script, log)
        big.query("PRAGMA journal_mode = WAL")

    def _post_load(self):
        # The load ran with synchronous=OFF: the first checkpoint's fsync
        # would write out gigabytes in the middle of the measurement.
        fsync_tree(self.files["big"].file)

    def params(self, size):
        return self.files[size].file

    def query(self, size, sql):
        return self.files[size].query(sql)

    def stop(self):
        pass

    def close(self):
        for f in self.files.values():
            f.stop()


# -------------------------------------------------------------- MariaDB ---

class MyBig(BigDB):
    kind, driver, dialect = "mysql", "mysql", "mariadb"
    after_load = "ANALYZE TABLE"

    def crons_sql(self):
        o = self.o
        return _CRONS + """SELECT seq, CONCAT('bench-', LPAD(seq, 4, '0')),
       CONCAT('Benchmark cron ', seq), TRUE, FROM_UNIXTIME(%d) - INTERVAL 400 DAY,
       IF(seq %% 50 = 25, 'forbid', 'allow'), IF(seq %% 10 = 0, 3600, NULL)
FROM seq_1_to_%d;
""" % (o.now, o.crons)

    my = None

    def setup(self):
        self.my = db.MariaDB(os.path.join(self.o.work, "my"))
        self.my.start()
        self.my.sql(["-e", "SET GLOBAL innodb_buffer_pool_size = 1073741824;"
                     "CREATE DATABASE charon_empty CHARACTER SET utf8mb4;"
                     "GRANT ALL ON charon_empty.* TO 'charon'@'127.0.0.1';"])
        for d in ("charon", "charon_empty"):
            with open(self.my.schema(self.o.top), "rb") as f:
                self.my.sql([d], stdin=f)
            self.my.sql([d], input=self.crons_sql())

    def _load_data(self, what, table, cols, a, b, out):
        """LOAD DATA of the generator's rows into table."""
        gen = subprocess.Popen(self.gen_argv("my", what, a, b),
                               stdout=subprocess.PIPE)
        try:
            rc = proc.run_owned(self.my.sql_argv([
                "--local-infile=1", "charon", "-e",
                "SET foreign_key_checks = 0; SET unique_checks = 0; "
                "LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE %s (%s)"
                % (table, cols)]), stdin=gen.stdout, stdout=out, stderr=out)
        finally:
            gen.stdout.close()
            gen.wait()
        if rc != 0 or gen.returncode != 0:
            raise Failure("mysql: load failed: %s"
                          % proc.file_tail(self.log("load.log"), 5))

    def _load(self, deadline):
        parts = list(chunks(self.o.executions))
        with open(self.log("load.log"), "w") as out:
            for c, a, b in parts:
                if time.time() >= deadline:
                    break
                self._load_data("exec", "charon_execution", EXEC_COLS, a, b,
                                out)
                if self.o.per_exec > 0:
                    self._load_data("msg", "charon_message", MSG_COLS, a, b,
                                    out)
                out.write("chunk %d of %d: executions up to %d at %s\n"
                          % (c, len(parts), b, time.strftime("%H:%M:%S")))
                out.flush()

    def _post_load(self):
        for d in ("charon", "charon_empty"):
            self.my.sql([d, "-e", "ANALYZE TABLE charon_cron, "
                         "charon_execution, charon_message"])

    def params(self, size):
        return self.my.params("charon_empty" if size == "empty"
                              else "charon")

    def query(self, size, sql):
        return self.my.query(sql, "charon_empty" if size == "empty"
                             else "charon")

    def stop(self):
        self.my.down()
        _copy(self.my.log, self.log("mariadb.err"))

    def close(self):
        if self.my:
            self.my.stop()
