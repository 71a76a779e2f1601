"""Tests the schema upgrade scripts sql/upgrade/<n>-to-<n+1>/<db>.sql
(1-to-2, 2-to-3, 3-to-4, 4-to-5, 5-to-6), run one after the other on
schema 1.

  python3 -m harness.upgrade_test [sqlite] [pgsql] [mysql]

Default: all three, in that order. For each database it
  1. creates a throwaway database (harness/db.py; MariaDB stands for MySQL),
     loads the frozen schema 1 (tests/sql/schema1/<db>.sql) and puts crons
     (one deleted), executions (running and ended) and messages in it, and
     keeps a copy of what it reads back;
  2. runs the upgrade scripts as an operator would (SQLite: sqlite3 -bail;
     PostgreSQL: psql with ON_ERROR_STOP; MariaDB: the mariadb client as
     the application's user, who has ALL on its database only);
  3. checks that
     - the data is all still there, unchanged, and the new columns of the
       existing rows have their defaults (crons 'allow', no max_runtime, no
       off_reason/off_until, zero counters; executions not forbid_overlap,
       not lost); ids go on where they were;
     - the upgraded schema equals that of a fresh database loaded from
       sql/<db>.sql, read from the catalog (PostgreSQL: pg_dump
       --schema-only; MariaDB: SHOW CREATE TABLE of each table, without
       AUTO_INCREMENT=N, and the triggers; SQLite: see
       upgrade_sql.sqlite_schema); a difference is printed as a diff;
     - the upgraded database enforces what schema 2 must: one running
       execution per 'forbid' cron through the unique lock index (not
       counting ended, lost, or 'allow' runs, per cron), the CHECK
       constraints of the new columns, the primary key of
       charon_idempotency;
     - charon_cron_stats counts the runs there were, and the triggers count
       the runs that end or are lost afterwards;
     - schema 5: the crons' alert policy is at its defaults
       (failure_threshold and recovery_threshold 1, no realert_every, no
       mute_until) and its CHECKs refuse 0, 1001, NULL, a realert_every
       of 59 or over a year; the alert tables start empty; the triggers
       write charon_alert_outcome: 'failed' for an unsuccessful end, 'lost'
       for a lost run (and nothing for its late end), 'missed' for a missed
       slot's row (nothing for an unknown one), 'too_short' for an end
       before min_runtime, and for a successful end nothing while the cron
       is up with no outcome waiting, 'succeeded' once one waits or the
       cron is down; each charon_alert_attempt counts in charon_alert_stats
       by its delivery's channel and its result, and stays counted when
       the attempts are purged;
     - schema 6: charon_audit (the record of changes) starts empty, its
       CHECK refuses an action 'bogus', and a 'patch' record is taken, id
       1, its time filled in, with the id of a deleted cron (no foreign
       key: the record outlives the cron);
     - a second run of the last upgrade fails and changes nothing.
Every server started here is stopped, and every temporary directory deleted,
on exit, also on failure or Ctrl-C. Works as root (PostgreSQL then runs as
user postgres) and as an ordinary user. About 20 s for the three.

The last line is "upgrade-test: N passed, M failed", N + M the checks run;
the exit status is non-zero when any failed.
"""

import contextlib
import difflib
import io
import os
import re
import shutil
import sys

from . import db, proc, upgrade_sql
from .proc import Failure

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DBS = ("sqlite", "pgsql", "mysql")
# The upgrades, in order: schema 1 is upgraded through each.
STEPS = ("1-to-2", "2-to-3", "3-to-4", "4-to-5", "5-to-6")

say = proc.say_as("upgrade-test")


class Tally:
    """The checks' results over every database."""

    def __init__(self):
        self.passed = self.failed = 0


class Upgrade:
    """The checks on one database."""

    def __init__(self, kind, work, tally):
        self.kind, self.work, self.tally = kind, work, tally
        self.db = None
        self.fresh = None       # SQLite: the fresh database to compare with

    # -------------------------------------------------------- reporting ---

    def record(self, name, ok, output=""):
        if ok:
            self.tally.passed += 1
            say("%s: PASS %s" % (self.kind, name))
        else:
            self.tally.failed += 1
            say("%s: FAIL %s" % (self.kind, name))
            lines = output.rstrip("\n").split("\n")[:100]
            print("\n".join("    " + l for l in lines), flush=True)
        return ok

    def check(self, name, fn):
        """Run one check; what it prints is shown when it fails."""
        out = io.StringIO()
        ok = True
        with contextlib.redirect_stdout(out):
            try:
                fn()
            except Failure as e:
                print(e)
                ok = False
            except Exception as e:      # a bug here fails the check, not all
                print("%s: %s" % (type(e).__name__, e))
                ok = False
        return self.record(name, ok, out.getvalue())

    # --------------------------------------------- talking to databases ---

    def q(self, sql):
        """Run sql in the database under test as its administrator; the
        rows, one a line, columns separated by '|', NULL as NULL. Fails on
        any error (the statements before it stay done)."""
        if self.kind == "sqlite":
            sql = "PRAGMA foreign_keys = ON;\n" + sql
        rows = self.db.query(sql)
        return "\n".join("|".join("NULL" if v is None else v for v in r)
                         for r in rows)

    def expect(self, what, sql, expected):
        got = self.q(sql)
        if got != expected:
            raise Failure("%s: expected\n%s\ngot\n%s" % (what, expected, got))

    def refused(self, what, pattern, sql):
        """sql must fail, with an error matching pattern."""
        try:
            self.q(sql)
        except Failure as e:
            if not re.search(pattern, str(e)):
                raise Failure("%s: refused, but not for the expected reason "
                              "(%s):\n%s" % (what, pattern, e)) from None
            return
        raise Failure("%s: accepted, but must be refused:\n  %s" % (what, sql))

    def script(self, step):
        return os.path.join(TOP, "sql", "upgrade", step,
                            self.db.sql_name + ".sql")

    def run_upgrade(self):
        for step in STEPS:
            self.db.load(self.script(step))

    def schema_of(self, which):
        """The catalog of database charon or fresh, normalized, in a stable
        order, as lines."""
        if self.kind == "sqlite":
            return upgrade_sql.sqlite_schema(
                self.fresh.file if which == "fresh" else self.db.file)
        if self.kind == "pgsql":
            p = self.db.tool(["pg_dump", "-h", "127.0.0.1", "-p",
                              str(self.db.port), "-U", "postgres",
                              "--schema-only", "--no-owner", "--no-privileges",
                              "-d", which])
            # \restrict lines (pg_dump 15.14 and later) carry a random key
            return [l for l in p.stdout.splitlines()
                    if not re.match(r"\\(un)?restrict ", l)]
        my = self.db.sql
        tables = my(["-N", "-B", "-e", "SELECT table_name FROM "
                     "information_schema.tables WHERE table_schema = '%s' "
                     "ORDER BY table_name" % which]).stdout.split()
        out = ["tables: " + " ".join(tables)]
        for t in tables:
            text = my(["-N", "-B", "-r", which, "-e",
                       "SHOW CREATE TABLE `%s`" % t]).stdout
            for line in text.splitlines():
                line = line.split("\t", 1)[1] if "\t" in line else line
                out.append(re.sub(r" AUTO_INCREMENT=[0-9]+", "", line))
        out += my(["-N", "-B", "-r", "-e", "SELECT trigger_name, action_timing,"
                   " event_manipulation, event_object_table, action_statement"
                   " FROM information_schema.triggers WHERE trigger_schema = "
                   "'%s' ORDER BY trigger_name" % which]).stdout.splitlines()
        return out

    # ----------------------------------------------------------- checks ---

    def start_db(self):
        need = {"sqlite": "sqlite3", "pgsql": os.path.join(db.PG_BIN, "pg_dump"),
                "mysql": "mariadb"}[self.kind]
        if not shutil.which(need):
            raise Failure("%s not found (apt-get install %s)" % (need, {
                "sqlite": "sqlite3", "pgsql": "postgresql-15",
                "mysql": "mariadb-client"}[self.kind]))
        if self.kind == "sqlite":
            self.db = db.SQLite(os.path.join(self.work, "charon.db"))
            self.fresh = db.SQLite(os.path.join(self.work, "fresh.db"))
        else:
            self.db = db.make(self.kind, os.path.join(self.work, self.kind[:2]))
        self.db.start()

    def load_db(self):
        """Schema 1 and the test data in database charon, the current
        schema in a fresh database to compare with."""
        d = self.db
        d.load(os.path.join(TOP, "tests", "sql", "schema1",
                            d.sql_name + ".sql"))
        if self.kind == "sqlite":
            self.fresh.start()
            self.fresh.load(d.schema(TOP))
        elif self.kind == "pgsql":
            d.psql(["-q", "-c", "CREATE DATABASE fresh"], database="postgres",
                   quiet=True)
            d.load(d.schema(TOP), database="fresh")
        else:
            d.sql(["-e", "CREATE DATABASE fresh CHARACTER SET utf8mb4"])
            with open(d.schema(TOP)) as f:
                d.sql(["fresh"], stdin=f)
        self.q(upgrade_sql.SEED)
        self.data_before = self.q(upgrade_sql.DATA)
        self.expect("messages in schema 1",
                    "SELECT count(*) FROM charon_message", "5")

    def check_data(self):
        after = self.q(upgrade_sql.DATA)
        diff = unified(self.data_before, after, "before", "after")
        if diff:
            print(diff)
            raise Failure("the data read back after the upgrade differs from "
                          "before (- before, + after)")
        self.expect("new columns of the crons", """
            SELECT id, CASE WHEN concurrency = 'allow' AND max_runtime IS NULL
                             AND off_reason IS NULL AND off_until IS NULL
                             AND refused_inactive = 0 AND refused_locked = 0
                             AND schedule IS NULL AND timezone IS NULL
                             AND grace = 300 AND min_runtime IS NULL
                            THEN 'defaults' ELSE 'CHANGED' END
            FROM charon_cron ORDER BY id""", rows_of("%d|defaults", 3))
        self.expect("new columns of the executions", """
            SELECT id, CASE WHEN NOT forbid_overlap AND lost_at IS NULL
                             AND slot IS NULL AND missed IS NULL
                             AND NOT unscheduled AND NOT too_short
                            THEN 'defaults' ELSE 'CHANGED' END
            FROM charon_execution ORDER BY id""", rows_of("%d|defaults", 6))
        if self.kind == "mysql":
            self.expect("lock_cron_id of the executions",
                        "SELECT count(*) FROM charon_execution "
                        "WHERE lock_cron_id IS NOT NULL", "0")
        self.expect("charon_idempotency",
                    "SELECT count(*) FROM charon_idempotency", "0")
        # Ids go on where they were: cron 4 was deleted, the next one is 5.
        self.q("INSERT INTO charon_cron (slug, name) "
               "VALUES ('after', 'Made after the upgrade')")
        self.expect("id of a cron made after the upgrade",
                    "SELECT id, concurrency, refused_inactive FROM charon_cron "
                    "WHERE slug = 'after'", "5|allow|0")
        self.q("INSERT INTO charon_execution (cron_id, api_key, remote_addr) "
               "VALUES (5, 'ci', '::1')")
        self.expect("id of an execution made after the upgrade",
                    "SELECT max(id), count(*) FROM charon_execution "
                    "WHERE cron_id = 5", "7|1")

    def check_schema(self):
        upgraded, fresh = self.schema_of("charon"), self.schema_of("fresh")
        if not fresh:
            raise Failure("reading the fresh schema gave nothing")
        diff = unified(fresh, upgraded, "fresh", "upgraded")
        if diff:
            print(diff)
            raise Failure("the upgraded schema differs from sql/%s.sql "
                          "(- fresh, + upgraded)" % self.db.sql_name)
        print("%d lines of catalog compared" % len(fresh))

    def check_lock(self):
        ins = ("INSERT INTO charon_execution (cron_id, api_key, remote_addr, "
               "forbid_overlap)")
        lock = upgrade_sql.DUP_LOCK
        # Cron 3 has a running execution from before the upgrade: not a holder.
        self.q("UPDATE charon_cron SET concurrency = 'forbid', "
               "max_runtime = 3600 WHERE id IN (1, 3)")
        self.q(ins + " VALUES (3, 'ci', '127.0.0.1', TRUE)")
        self.refused("a second running forbid_overlap execution", lock,
                     ins + " VALUES (3, 'ci', '127.0.0.2', TRUE)")
        # Executions that do not hold the lock: started under 'allow', ended.
        self.q(ins + " VALUES (3, 'ci', '127.0.0.3', FALSE)")
        self.q("INSERT INTO charon_execution (cron_id, ended_at, success, "
               "api_key, remote_addr, forbid_overlap) VALUES "
               "(3, '2025-04-01 00:00:00', TRUE, 'ci', '127.0.0.4', TRUE)")
        # One holder per cron: cron 1 may have its own.
        self.q(ins + " VALUES (1, 'ci', '127.0.0.5', TRUE)")
        # A lost run releases the lock; a new holder is refused again.
        self.q("UPDATE charon_execution SET lost_at = '2025-04-02 00:00:00' "
               "WHERE cron_id = 3 AND forbid_overlap AND ended_at IS NULL "
               "AND lost_at IS NULL")
        self.q(ins + " VALUES (3, 'ci', '127.0.0.6', TRUE)")
        self.refused("a running forbid_overlap execution while another holds "
                     "the lock", lock,
                     ins + " VALUES (3, 'ci', '127.0.0.7', TRUE)")
        # An ended run releases it too.
        self.q("UPDATE charon_execution SET ended_at = '2025-04-03 00:00:00', "
               "success = TRUE WHERE cron_id = 3 AND remote_addr = '127.0.0.6'")
        self.q(ins + " VALUES (3, 'ci', '127.0.0.8', TRUE)")
        self.expect("holders of the lock per cron", """
            SELECT cron_id, count(*) FROM charon_execution
            WHERE forbid_overlap AND ended_at IS NULL AND lost_at IS NULL
            GROUP BY cron_id ORDER BY cron_id""", "1|1\n3|1")
        self.expect("refused executions made nothing",
                    "SELECT count(*) FROM charon_execution WHERE remote_addr "
                    "IN ('127.0.0.2', '127.0.0.7')", "0")

    def check_constraints(self):
        upd = "UPDATE charon_cron SET %s WHERE id = 1"
        self.refused("concurrency 'maybe'", "concurrency|CHECK",
                     upd % "concurrency = 'maybe'")
        self.refused("max_runtime 0", "max_runtime|CHECK",
                     upd % "max_runtime = 0")
        self.refused("a cron without concurrency",
                     "concurrency|NOT NULL|null value",
                     upd % "concurrency = NULL")
        if self.kind == "sqlite":
            self.refused("forbid_overlap 2", "forbid_overlap|CHECK",
                         "UPDATE charon_execution SET forbid_overlap = 2 "
                         "WHERE id = 1")
        self.q(upd % "max_runtime = NULL, concurrency = 'allow'")

    def check_slots(self):
        """Schema 4: one missed (or unknown) row per cron and slot, starts
        bound to a slot as many as come, and the new CHECKs."""
        ins = ("INSERT INTO charon_execution (cron_id, started_at, ended_at, "
               "api_key, remote_addr, slot, missed) VALUES (%d, "
               "'2025-05-01 10:00:00', '2025-05-01 10:00:00', '', '', "
               "'2025-05-01 10:00:00', %s)")
        self.q(ins % (1, "'missed'"))
        self.refused("a second row for a missed slot", upgrade_sql.DUP_SLOT,
                     ins % (1, "'missed'"))
        self.refused("an unknown row for a missed slot", upgrade_sql.DUP_SLOT,
                     ins % (1, "'unknown'"))
        self.q(ins % (3, "'unknown'"))
        self.q(ins % (1, "NULL"))
        self.q(ins % (1, "NULL"))
        self.expect("rows of the slot", """
            SELECT cron_id, count(*), count(missed) FROM charon_execution
            WHERE slot IS NOT NULL GROUP BY cron_id ORDER BY cron_id""",
                    "1|3|1\n3|1|1")
        self.refused("missed 'late'", "missed|CHECK", ins % (2, "'late'"))
        upd = "UPDATE charon_cron SET %s WHERE id = 1"
        self.refused("grace 0", "grace|CHECK", upd % "grace = 0")
        self.refused("min_runtime 0", "min_runtime|CHECK",
                     upd % "min_runtime = 0")
        self.refused("a second watchdog row", "one|id|CHECK",
                     "INSERT INTO charon_watchdog (id, seen_at) VALUES "
                     "(2, '2025-05-01 10:00:00')")

    def check_idempotency(self):
        ins = ("INSERT INTO charon_idempotency (key_name, idem_key, request, "
               "status, response) VALUES ")
        h = "0123456789abcdef" * 4
        self.q(ins + "('ci', 'k-1', '%s', 200, '{\"id\":1}')" % h)
        self.refused("the same key name and Idempotency-Key",
                     upgrade_sql.DUP_IDEM,
                     ins + "('ci', 'k-1', '%s', 409, '{}')" % h)
        # Other keys: case, a trailing blank and another key name count.
        for name, key in (("ci", "K-1"), ("ci", "k-1 "), ("ops", "k-1")):
            self.q(ins + "('%s', '%s', '%s', 200, '{}')" % (name, key, h))
        self.expect("idempotency records", """
            SELECT key_name, idem_key, status, response, CASE WHEN created_at
                   IS NULL THEN 'no created_at' ELSE 'created_at' END
            FROM charon_idempotency WHERE key_name = 'ci' AND idem_key = 'k-1'
            """, 'ci|k-1|200|{"id":1}|created_at')
        self.expect("number of idempotency records",
                    "SELECT count(*) FROM charon_idempotency", "4")

    def check_stats(self):
        """The outcome counters start from the runs there were, and follow
        the runs that end or are lost after the upgrade (the triggers)."""
        stats = """SELECT cron_id, runs_succeeded, runs_failed, runs_lost,
            CASE WHEN last_success_at IS NULL THEN '-' ELSE 's' END,
            CASE WHEN last_failure_at IS NULL THEN '-' ELSE 'f' END,
            CAST(round(last_duration) AS %s) FROM charon_cron_stats
            ORDER BY cron_id""" % ("SIGNED" if self.kind == "mysql"
                                   else "INTEGER")
        self.expect("counters from the runs before the upgrade", stats,
                    "1|1|0|0|s|-|300\n2|0|1|0|-|f|3600\n3|2|0|0|s|-|600")
        # Execution 2 (cron 1) and 5 (cron 3) were running.
        upd = "UPDATE charon_execution SET %s WHERE id = %d"
        self.q(upd % ("started_at = '2025-03-01 00:00:00'", 2))
        self.q(upd % ("ended_at = '2025-03-01 00:10:00', success = FALSE", 2))
        self.q(upd % ("lost_at = '2025-03-04 02:00:00'", 5))
        self.q(upd % ("ended_at = '2025-03-04 03:00:00', success = TRUE", 5))
        self.expect("counters after an end, a lost run and its late end",
                    stats, "1|1|1|0|s|f|600\n2|0|1|0|-|f|3600\n"
                    "3|2|0|1|s|f|10800")

    def check_alert_policy(self):
        """Schema 5: the crons' alert policy at its defaults, its CHECKs,
        and the alert tables empty."""
        self.expect("alert policy of the crons", """
            SELECT id, CASE WHEN failure_threshold = 1
                             AND recovery_threshold = 1
                             AND realert_every IS NULL AND mute_until IS NULL
                            THEN 'defaults' ELSE 'CHANGED' END
            FROM charon_cron WHERE id <= 3 ORDER BY id""",
                    rows_of("%d|defaults", 3))
        self.expect("alert tables after the upgrade", """
            SELECT (SELECT count(*) FROM charon_alert_outcome),
                   (SELECT count(*) FROM charon_cron_alert),
                   (SELECT count(*) FROM charon_alert_event),
                   (SELECT count(*) FROM charon_alert_delivery),
                   (SELECT count(*) FROM charon_alert_attempt),
                   (SELECT count(*) FROM charon_alert_stats)""", "0|0|0|0|0|0")
        upd = "UPDATE charon_cron SET %s WHERE id = 1"
        for col in ("failure_threshold", "recovery_threshold"):
            self.refused("%s 0" % col, "%s|CHECK" % col, upd % (col + " = 0"))
            self.refused("%s 1001" % col, "%s|CHECK" % col,
                         upd % (col + " = 1001"))
            self.refused("%s NULL" % col, "%s|NOT NULL|null value" % col,
                         upd % (col + " = NULL"))
        self.refused("realert_every 59", "realert_every|CHECK",
                     upd % "realert_every = 59")
        self.refused("realert_every 31536001", "realert_every|CHECK",
                     upd % "realert_every = 31536001")
        # The bounds themselves are allowed.
        self.q(upd % "failure_threshold = 1000, recovery_threshold = 1000, "
               "realert_every = 60, mute_until = '2025-06-01 00:00:00'")
        self.q(upd % "realert_every = 31536000")
        self.expect("the policy at its bounds", """
            SELECT failure_threshold, recovery_threshold, realert_every,
                   CASE WHEN mute_until IS NULL THEN '-' ELSE 'muted' END
            FROM charon_cron WHERE id = 1""", "1000|1000|31536000|muted")
        self.q(upd % "failure_threshold = 1, recovery_threshold = 1, "
               "realert_every = NULL, mute_until = NULL")

    def check_alert_outcomes(self):
        """Schema 5: the triggers write what a run came to in
        charon_alert_outcome, on a cron of its own made here."""
        self.q("INSERT INTO charon_cron (slug, name, min_runtime) "
               "VALUES ('alerts', 'Alert outcomes', 60)")
        cron = "(SELECT id FROM charon_cron WHERE slug = 'alerts')"
        outcomes = """SELECT e.remote_addr, o.outcome
            FROM charon_alert_outcome o
            JOIN charon_execution e ON e.id = o.execution_id
            WHERE o.cron_id = %s AND e.cron_id = o.cron_id
            ORDER BY o.id""" % cron

        def start(addr):
            self.q("INSERT INTO charon_execution (cron_id, started_at, "
                   "api_key, remote_addr) SELECT id, '2025-06-01 00:00:00', "
                   "'ci', '%s' FROM charon_cron WHERE slug = 'alerts'" % addr)

        def update(addr, what):
            self.q("UPDATE charon_execution SET %s WHERE remote_addr = '%s'"
                   % (what, addr))
        ok = "ended_at = '2025-06-01 00:10:00', success = TRUE"
        # Up, nothing waiting: a good run changes nothing, writes nothing.
        start("ok-1")
        update("ok-1", ok)
        self.expect("a good run of a cron that is up, nothing waiting",
                    outcomes, "")
        start("failed")
        update("failed", "ended_at = '2025-06-01 00:10:00', success = FALSE")
        start("lost")
        update("lost", "lost_at = '2025-06-01 02:00:00'")
        update("lost", ok)              # its late end: nothing more
        # A missed slot's row; an unknown one is not an outcome.
        for addr, missed, at in (("missed", "missed", "03:00:00"),
                                 ("unknown", "unknown", "04:00:00")):
            self.q("INSERT INTO charon_execution (cron_id, started_at, "
                   "ended_at, api_key, remote_addr, slot, missed) SELECT id, "
                   "'2025-06-01 {1}', '2025-06-01 {1}', '', '{0}', "
                   "'2025-06-01 {1}', '{2}' FROM charon_cron "
                   "WHERE slug = 'alerts'".format(addr, at, missed))
        # Ended before min_runtime: the module's end sets too_short.
        start("short")
        update("short", "ended_at = '2025-06-01 00:00:30', success = TRUE, "
               "too_short = TRUE")
        # Outcomes waiting: a good run is written now.
        start("ok-2")
        update("ok-2", ok)
        self.expect("outcomes written by the triggers", outcomes,
                    "failed|failed\nlost|lost\nmissed|missed\n"
                    "short|too_short\nok-2|succeeded")
        # Down with nothing waiting: a good run is written too.
        self.q("DELETE FROM charon_alert_outcome WHERE cron_id = %s" % cron)
        self.q("INSERT INTO charon_cron_alert (cron_id, state, bad_streak) "
               "SELECT id, 'down', 0 FROM charon_cron WHERE slug = 'alerts'")
        start("ok-3")
        update("ok-3", ok)
        self.expect("a good run of a cron that is down", outcomes,
                    "ok-3|succeeded")

    def check_alert_stats(self):
        """Schema 5: each attempt counted in charon_alert_stats by its
        delivery's channel and its result."""
        self.q("INSERT INTO charon_alert_event (uid, event, document) "
               "VALUES ('e-1', 'test', '{}')")
        for channel in ("ops", "mail"):
            self.q("INSERT INTO charon_alert_delivery (event_id, channel, "
                   "due_at) SELECT id, '%s', '2025-06-01 00:00:00' FROM "
                   "charon_alert_event WHERE uid = 'e-1'" % channel)
        for channel, result in (("ops", "retry"), ("ops", "retry"),
                                ("ops", "ok"), ("mail", "failed"),
                                ("mail", "given_up")):
            self.q("INSERT INTO charon_alert_attempt (delivery_id, result) "
                   "SELECT id, '%s' FROM charon_alert_delivery WHERE "
                   "channel = '%s'" % (result, channel))
        self.refused("an attempt's result 'maybe'", "result|CHECK",
                     "INSERT INTO charon_alert_attempt (delivery_id, result) "
                     "SELECT id, 'maybe' FROM charon_alert_delivery "
                     "WHERE channel = 'ops'")
        self.expect("attempts counted per channel and result", """
            SELECT channel, result, attempts FROM charon_alert_stats
            ORDER BY channel, result""",
                    "mail|failed|1\nmail|given_up|1\nops|ok|1\nops|retry|2")
        # Purged attempts stay counted.
        self.q("DELETE FROM charon_alert_attempt")
        self.expect("counters after the attempts are purged",
                    "SELECT sum(attempts) FROM charon_alert_stats", "5")

    def check_audit(self):
        """Schema 6: charon_audit empty, its CHECK on action, its first
        record; cron 4 was deleted before the upgrade."""
        self.expect("charon_audit after the upgrade",
                    "SELECT count(*) FROM charon_audit", "0")
        ins = ("INSERT INTO charon_audit (who, action, cron_id, slug, "
               "before_doc, after_doc) VALUES ('key:ci', %s, 4, 'gone', "
               "'{\"name\":\"a\"}', '{\"name\":\"b\"}')")
        # 'patch' first: a refused insert may use up an id (PostgreSQL's
        # sequence, InnoDB's AUTO_INCREMENT), and the first record gets 1.
        self.q(ins % "'patch'")
        self.expect("the first audit record", """
            SELECT id, who, action, cron_id, slug, before_doc, after_doc,
                   CASE WHEN at IS NULL THEN '-' ELSE 'at' END
            FROM charon_audit""",
                    '1|key:ci|patch|4|gone|{"name":"a"}|{"name":"b"}|at')
        self.refused("an audit action 'bogus'", "action|CHECK",
                     ins % "'bogus'")
        self.expect("audit records after the refused one",
                    "SELECT count(*) FROM charon_audit", "1")

    def check_second_run(self):
        once = self.schema_of("charon")
        try:
            self.db.load(self.script(STEPS[-1]))
        except Failure as e:
            text = str(e)
            first = next((l for l in text.splitlines()
                          if re.search("error", l, re.I)), text.split("\n")[0])
            print("second run failed as it should: " + first)
        else:
            raise Failure("a second run of the upgrade succeeded; it must fail")
        diff = unified(once, self.schema_of("charon"), "once", "twice")
        if diff:
            print(diff)
            raise Failure("the failed second run changed the schema")

    def run(self):
        t0 = proc.now()
        if self.check("throwaway database started", self.start_db) and \
                self.check("schema 1 loaded, test data in", self.load_db) and \
                self.check("sql/upgrade/{%s}/%s.sql ran" % (
                    " ".join(STEPS), self.db.sql_name), self.run_upgrade):
            # The upgraded schema first: the other checks change data.
            name = self.db.sql_name
            for title, fn in (
                    ("upgraded schema equals sql/%s.sql" % name,
                     self.check_schema),
                    ("data unchanged, new columns at their defaults",
                     self.check_data),
                    ("alert policy: defaults, CHECKs; alert tables empty",
                     self.check_alert_policy),
                    ("charon_cron_stats: counted at the upgrade, then by the "
                     "triggers", self.check_stats),
                    ("overlap lock: one running forbid_overlap execution per "
                     "cron", self.check_lock),
                    ("CHECK and NOT NULL of the new cron columns",
                     self.check_constraints),
                    ("schedules: one missed row per slot, the new CHECKs",
                     self.check_slots),
                    ("charon_idempotency's primary key refuses a duplicate",
                     self.check_idempotency),
                    ("alert outcomes written by the triggers",
                     self.check_alert_outcomes),
                    ("charon_alert_stats counts attempts by channel, result",
                     self.check_alert_stats),
                    ("charon_audit: empty, its CHECK on action, ids from 1",
                     self.check_audit),
                    ("a second run fails and changes nothing",
                     self.check_second_run)):
                self.check(title, fn)
        if self.db:
            self.db.stop()
        for name in os.listdir(self.work):
            path = os.path.join(self.work, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        say("%s: %ss" % (self.kind, proc.elapsed(t0)))


def rows_of(fmt, n):
    """Expected rows 1..n, each fmt % i, one a line."""
    return "\n".join(fmt % i for i in range(1, n + 1))


def unified(a, b, name_a, name_b):
    """A unified diff of two texts (or lists of lines); '' when equal."""
    if isinstance(a, str):
        a, b = a.split("\n"), b.split("\n")
    return "\n".join(difflib.unified_diff(a, b, name_a, name_b, lineterm=""))


def parse_args(argv):
    """The databases named, in order (all three by default); Failure on
    anything else, None for --help."""
    dbs = []
    for a in argv:
        if a in ("-h", "--help"):
            return None
        if a not in DBS:
            raise Failure("unknown argument '%s' (expected sqlite, pgsql, "
                          "mysql)" % a)
        dbs.append(a)
    return dbs or list(DBS)


def main():
    try:
        dbs = parse_args(sys.argv[1:])
    except Failure as e:
        print("upgrade-test: %s" % e, file=sys.stderr)
        return 2
    if dbs is None:
        print(__doc__)
        return 0
    tally = Tally()
    t0 = proc.now()
    try:
        work = proc.temp_dir("upgrade", 0o755)   # user postgres goes below it
        for kind in dbs:
            Upgrade(kind, work, tally).run()
    except (KeyboardInterrupt, proc.Terminated) as e:
        rc = 130 if isinstance(e, KeyboardInterrupt) else 143
        say("interrupted")
        print("upgrade-test: aborted (exit %d)" % rc)
        print("upgrade-test: %d passed, %d failed" % (tally.passed,
                                                      tally.failed + 1))
        return rc
    say("total %ss" % proc.elapsed(t0))
    print("upgrade-test: %d passed, %d failed" % (tally.passed, tally.failed),
          flush=True)
    return 0 if tally.failed == 0 else 1


if __name__ == "__main__":
    proc.main("upgrade-test", main)
