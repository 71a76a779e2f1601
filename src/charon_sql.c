/*
 * charon_sql.c: every SQL statement of the module, once per database.
 *
 * The three databases differ in a few places only (how an id is bound,
 * the UTC clock, date arithmetic, "insert unless it would break a unique
 * index", RETURNING); each statement is written once with those places as
 * macro parameters, and SQL_SET is instantiated per dialect.
 *
 * Every value is a placeholder.  The only numbers written into the text
 * are constants of this file (the batch size).
 */
#include "charon.h"

/* Rows one housekeeping statement touches at most: keeps each of the
 * watchdog's transactions short, whatever the backlog. */
#define BATCH "1000"

/* Parameters of SQL_SET, per dialect:
 *   ID             binds an id (MySQL compares a string with a BIGINT as a
 *                  double, which loses exactness past 2^53)
 *   INT(x)         makes the integer placeholder x comparable as a number
 *                  (SQLite binds every value as text, and text sorts after
 *                  every number)
 *   NOW            the database's UTC clock
 *   SUCCESS        turns 0/1 into the success column's type
 *   INS, SKIP      an INSERT that adds nothing instead of failing when it
 *                  would break a unique index (the overlap lock, a stored
 *                  Idempotency-Key)
 *   RET            asks an INSERT for the new row's id
 *   RET_LOST       asks the end's UPDATE for the execution's lost_at
 *   PASSED(t)      t is not in the future
 *   OLDER(t, s)    t is more than s seconds ago
 *   OLDER_OWN(t, s)  the same for a time only the module writes, in a form
 *                  that can use an index on t
 *   OVERDUE(t, s)  t + s seconds is not in the future
 *   ISO(t)         t as ISO 8601 UTC text, "2026-11-29T10:00:00Z"
 *   LOCKED_BY_C    the execution e holds the lock of cron c
 *   END_WITH_MESSAGE  the end and its message in one statement, or NULL
 *   WD_LOSE        the watchdog's lost-run marking (UPDATE ... FROM, or
 *                  MySQL's UPDATE ... JOIN)
 *   DEL, DEL1      the watchdog's batched deletes (DEL1: of a one-column
 *                  key): DEL_IN, DEL_ANY or DEL_JOIN
 */

/* A batch of runs past their cron's max_runtime: found from the crons
 * that have one, and the update is driven by the batch.  (An UPDATE ...
 * WHERE id IN (batch) let PostgreSQL's planner start from every open run,
 * open runs of crons without max_runtime included, which passed the 5 s
 * statement timeout on a large table.) */
#define LOSE_SELECT(OVERDUE)                                                 \
    "SELECT e.id FROM charon_cron c JOIN charon_execution e "                \
    "ON e.cron_id = c.id WHERE c.max_runtime IS NOT NULL AND "               \
    "e.ended_at IS NULL AND e.lost_at IS NULL AND "                          \
    OVERDUE("e.started_at", "c.max_runtime") " LIMIT " BATCH
#define LOSE_BATCH(OVERDUE) "(" LOSE_SELECT(OVERDUE) ") batch"
#define STILL_OPEN "charon_execution.ended_at IS NULL AND "                  \
    "charon_execution.lost_at IS NULL"
#define LOSE_FROM(NOW, OVERDUE)                                              \
    "UPDATE charon_execution SET lost_at = " NOW " FROM "                    \
    LOSE_BATCH(OVERDUE) " WHERE charon_execution.id = batch.id AND "         \
    STILL_OPEN
/* PostgreSQL: id = ANY (ARRAY(batch)) computes the batch once and finds
 * each row by its primary key, whatever plan the statement was prepared
 * with (an UPDATE ... FROM prepared while the table was empty kept a plan
 * that read all of it, and passed the 5 s statement_timeout once the
 * benchmark's soak had made a million runs). */
#define LOSE_ANY(NOW, OVERDUE)                                               \
    "UPDATE charon_execution SET lost_at = " NOW " WHERE id = ANY (ARRAY("  \
    LOSE_SELECT(OVERDUE) ")) AND " STILL_OPEN
#define LOSE_JOIN(NOW, OVERDUE)                                              \
    "UPDATE " LOSE_BATCH(OVERDUE) " STRAIGHT_JOIN charon_execution "         \
    "ON charon_execution.id = batch.id SET charon_execution.lost_at = "      \
    NOW " WHERE " STILL_OPEN
/* The watchdog's deletes, driven by a batch (a derived table) of keys.
 * MariaDB does not turn DELETE ... WHERE key IN (subquery) into a
 * semi-join: it scanned and locked every row of charon_execution (4 s at
 * 5 million rows, every write of every cron waiting behind it), so on
 * MySQL the batch is joined instead, and each row is found by its key. */
#define DEL_IN(TABLE, COLS, ON, BATCH)                                       \
    "DELETE FROM " TABLE " WHERE (" COLS ") IN (SELECT " COLS " FROM "      \
    BATCH ")"
/* PostgreSQL, one key column: as LOSE_ANY. */
#define DEL_ANY(TABLE, COLS, ON, BATCH)                                      \
    "DELETE FROM " TABLE " WHERE " COLS " = ANY (ARRAY(SELECT " COLS        \
    " FROM " BATCH "))"
/* STRAIGHT_JOIN: the batch first, even when the statistics say the table
 * is empty (as they do until InnoDB samples it again). */
#define DEL_JOIN(TABLE, COLS, ON, BATCH)                                     \
    "DELETE " TABLE " FROM " BATCH " STRAIGHT_JOIN " TABLE " ON " ON
#define SQL_SET(ID, INT, NOW, SUCCESS, INS, SKIP, RET, RET_LOST, PASSED,     \
                OLDER, OLDER_OWN, OVERDUE, ISO, LOCKED_BY_C,                 \
                END_WITH_MESSAGE, WD_LOSE, DEL, DEL1) {                      \
    /* ST_CRON_BY_SLUG, ST_CRON_BY_ID: the cron and whether it may start */ \
    CRON_STATE(ISO, PASSED, OVERDUE, LOCKED_BY_C) "WHERE c.slug = %s",       \
    CRON_STATE(ISO, PASSED, OVERDUE, LOCKED_BY_C) "WHERE c.id = " ID,        \
    /* ST_EXECUTION_SLUG */                                                  \
    "SELECT c.slug FROM charon_execution e "                                 \
    "JOIN charon_cron c ON c.id = e.cron_id WHERE e.id = " ID,               \
    /* ST_EXECUTION_ENDED */                                                 \
    "SELECT CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END "                   \
    "FROM charon_execution WHERE id = " ID,                                  \
    /* ST_START: creates nothing unless the cron exists and is on, and      \
     * nothing when the overlap lock is taken (the unique index) */          \
    INS " charon_execution "                                                 \
    "(cron_id, started_at, api_key, remote_addr, forbid_overlap) "           \
    "SELECT id, " NOW ", %s, %s, "                                           \
    "CASE WHEN concurrency = 'forbid' THEN TRUE ELSE FALSE END "             \
    "FROM charon_cron WHERE id = " ID " AND (active OR "                     \
    "(off_until IS NOT NULL AND " PASSED("off_until") "))" SKIP RET,         \
    /* ST_LOSE_OVERDUE: one cron's runs past max_runtime, at start */        \
    "UPDATE charon_execution SET lost_at = " NOW " WHERE cron_id = " ID      \
    " AND ended_at IS NULL AND lost_at IS NULL AND EXISTS (SELECT 1 FROM "   \
    "charon_cron c WHERE c.id = charon_execution.cron_id AND "               \
    "c.max_runtime IS NOT NULL AND "                                         \
    OVERDUE("charon_execution.started_at", "c.max_runtime") ")",             \
    /* ST_REFUSED_INACTIVE, ST_REFUSED_LOCKED */                             \
    "UPDATE charon_cron SET refused_inactive = refused_inactive + 1 "        \
    "WHERE id = " ID,                                                        \
    "UPDATE charon_cron SET refused_locked = refused_locked + 1 "            \
    "WHERE id = " ID,                                                        \
    /* ST_END: the condition on ended_at makes ending exactly-once */        \
    "UPDATE charon_execution SET ended_at = " NOW ", success = " SUCCESS     \
    ", type = %s WHERE id = " ID " AND ended_at IS NULL" RET_LOST,           \
    /* ST_END_LOST: lost_at, where UPDATE has no RETURNING */                \
    "SELECT " ISO("lost_at") " FROM charon_execution WHERE id = " ID,        \
    /* ST_END_WITH_MESSAGE: both in one statement, or NULL */                \
    END_WITH_MESSAGE,                                                        \
    /* ST_MESSAGE */                                                         \
    "INSERT INTO charon_message (execution_id, type, message, created_at) "  \
    "SELECT id, %s, %s, " NOW " FROM charon_execution WHERE id = " ID RET,   \
    /* ST_END_MESSAGE */                                                     \
    "INSERT INTO charon_message (execution_id, type, message, created_at) "  \
    "SELECT id, %s, %s, " NOW " FROM charon_execution WHERE id = " ID,       \
    /* ST_IDEM_GET: the stored answer, and whether it is past the window */ \
    "SELECT request, status, response, CASE WHEN "                           \
    OLDER("created_at", INT("%d")) " THEN 1 ELSE 0 END "                     \
    "FROM charon_idempotency WHERE key_name = %s AND idem_key = %s",         \
    /* ST_IDEM_EXPIRE: a stored answer past the window frees its key (only  \
     * run when there is one: on MySQL, deleting a row that is not there     \
     * locks the gap where concurrent duplicates insert, and deadlocks) */   \
    "DELETE FROM charon_idempotency WHERE key_name = %s AND idem_key = %s "  \
    "AND " OLDER("created_at", INT("%d")),                                   \
    /* ST_IDEM_PUT */                                                        \
    INS " charon_idempotency "                                               \
    "(key_name, idem_key, request, status, response, created_at) "           \
    "VALUES (%s, %s, %s, %d, %s, " NOW ")" SKIP,                             \
    /* ST_WD_LOSE: runs past their cron's max_runtime, a batch */            \
    WD_LOSE,                                                                 \
    /* ST_WD_REOPEN: crons whose off_until has passed are on again */        \
    "UPDATE charon_cron SET active = TRUE, off_reason = NULL, "              \
    "off_until = NULL WHERE active = FALSE AND off_until IS NOT NULL AND "   \
    PASSED("off_until"),                                                     \
    /* ST_WD_IDEM_PURGE: answers past the window, a batch */                 \
    DEL("charon_idempotency", "key_name, idem_key",                          \
        "charon_idempotency.key_name = batch.key_name AND "                  \
        "charon_idempotency.idem_key = batch.idem_key",                      \
        "(SELECT key_name, idem_key FROM charon_idempotency WHERE "          \
        OLDER_OWN("created_at", INT("%d")) " LIMIT " BATCH ") batch"),       \
    /* ST_WD_NEXT_CRON: retention walks the crons one at a time */          \
    "SELECT MIN(id) FROM charon_cron WHERE id > " ID,                        \
    /* ST_WD_RETENTION: a batch of one cron's finished executions (ended,   \
     * or lost) past max-age or beyond its `keep` latest, sparing its        \
     * `keep-failures` latest failures.  Arguments: cron, keep, keep,        \
     * max-age, max-age, keep-failures; 0 turns keep or max-age off.  One    \
     * cron's runs are ranked through charon_execution_cron, never the       \
     * whole table. */                                                       \
    DEL1("charon_execution", "id", "charon_execution.id = batch.id", "("    \
    "SELECT r.id FROM (SELECT e.id, e.started_at, " KIND(e) " AS kind, "     \
    "ROW_NUMBER() OVER (ORDER BY e.id DESC) AS run_rank, "                   \
    "ROW_NUMBER() OVER (PARTITION BY " KIND(e) " ORDER BY e.id DESC) "       \
    "AS kind_rank FROM charon_execution e WHERE e.cron_id = " ID ") r "      \
    "WHERE r.kind <> 2 AND ((" INT("%d") " > 0 AND r.run_rank > "            \
    INT("%d") ") OR (" INT("%d") " > 0 AND "                                 \
    OLDER("r.started_at", INT("%d")) ")) AND NOT (r.kind = 0 AND "           \
    "r.kind_rank <= " INT("%d") ") LIMIT " BATCH ") batch"),                 \
    /* ST_LAST_ID: only MySQL needs it, set below */                         \
    NULL }

/* 1 success, 2 running, 0 failure: ended unsuccessfully, or lost. */
#define KIND(e) "CASE WHEN " #e ".success THEN 1 WHEN " #e ".ended_at IS "  \
    "NULL AND " #e ".lost_at IS NULL THEN 2 ELSE 0 END"

/* id, slug, on (1/0), off_reason, off_until, the execution holding the
 * lock (NULL when none, or when the cron allows overlaps).  A run past
 * max_runtime that the watchdog has not marked yet holds nothing. */
#define CRON_STATE(ISO, PASSED, OVERDUE, LOCKED_BY_C)                        \
    "SELECT c.id, c.slug, CASE WHEN c.active OR (c.off_until IS NOT NULL "   \
    "AND " PASSED("c.off_until") ") THEN 1 ELSE 0 END, c.off_reason, "       \
    ISO("c.off_until") ", CASE WHEN c.concurrency = 'forbid' THEN (SELECT "  \
    "MIN(e.id) FROM charon_execution e WHERE " LOCKED_BY_C " AND "           \
    "(c.max_runtime IS NULL OR NOT "                                         \
    OVERDUE("e.started_at", "c.max_runtime") ")) END FROM charon_cron c "

/* ---- PostgreSQL -------------------------------------------------------- */
#define PG_INT(x)        x
#define PG_PASSED(t)     "(" t " <= now())"
#define PG_OLDER(t, s)   "(" t " < now() - make_interval(secs => " s "))"
#define PG_OVERDUE(t, s) "(" t " + " s " * interval '1 second' <= now())"
#define PG_ISO(t)        "to_char(" t " AT TIME ZONE 'UTC', "                \
                         "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* The end, its message and the execution's lost_at in one round trip:
 * a data-modifying WITH is one statement, so both rows or neither. */
#define PG_END_WITH_MESSAGE                                                  \
    "WITH e AS (UPDATE charon_execution SET ended_at = now(), "              \
    "success = (%d <> 0), type = %s WHERE id = %lld AND ended_at IS NULL "   \
    "RETURNING id, lost_at), m AS (INSERT INTO charon_message "              \
    "(execution_id, type, message, created_at) SELECT id, %s, %s, now() "    \
    "FROM e) SELECT " PG_ISO("lost_at") " FROM e"
/* The same predicate as the partial unique index, so it is used. */
#define LOCK_PREDICATE   "e.cron_id = c.id AND e.forbid_overlap AND "        \
                         "e.ended_at IS NULL AND e.lost_at IS NULL"

/* ---- MySQL, MariaDB ---------------------------------------------------- */
#define MY_INT(x)        x
#define MY_PASSED(t)     "(" t " <= UTC_TIMESTAMP(6))"
#define MY_OLDER(t, s)   "(" t " < UTC_TIMESTAMP(6) - INTERVAL " s " SECOND)"
#define MY_OVERDUE(t, s) "(" t " + INTERVAL " s " SECOND <= UTC_TIMESTAMP(6))"
#define MY_ISO(t)        "DATE_FORMAT(" t ", '%%Y-%%m-%%dT%%H:%%i:%%sZ')"
#define MY_INIT          { "SET NAMES utf8mb4",                              \
                           "SET SESSION lock_wait_timeout = 5",              \
                           "SET SESSION innodb_lock_wait_timeout = 5", NULL }

/* ---- SQLite: times are text; julianday() reads any ISO 8601 form ------- */
#define SQ_INT(x)        "CAST(" x " AS INTEGER)"
#define SQ_PASSED(t)     "(julianday(" t ") <= julianday('now'))"
#define SQ_OLDER(t, s)   "(julianday(" t ") < julianday('now') - " s        \
                         " / 86400.0)"
/* created_at of charon_idempotency is only ever written by the module, in
 * one text form: compared as text, its index serves the purge. */
#define SQ_OLDER_OWN(t, s) "(" t " < strftime('%%Y-%%m-%%d %%H:%%M:%%f', "  \
                         "'now', '-' || " s " || ' seconds'))"
#define SQ_OVERDUE(t, s) "(julianday(" t ") + " s " / 86400.0 <= "          \
                         "julianday('now'))"
#define SQ_ISO(t)        "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', " t ")"

const charon_dialect_t charon_dialects[] = {
    /* A statement that waits longer than 5 s (a lock held on a table) is
     * cancelled by the server: the request gets 503 instead of waiting. */
    { "pgsql", 0, 1, 1, "BEGIN",
      { "SET client_encoding TO 'UTF8'", "SET statement_timeout = '5s'",
        NULL },
      SQL_SET("%lld", PG_INT, "now()", "(%d <> 0)", "INSERT INTO",
              " ON CONFLICT DO NOTHING", " RETURNING id",
              " RETURNING " PG_ISO("lost_at"), PG_PASSED, PG_OLDER,
              PG_OLDER, PG_OVERDUE, PG_ISO, LOCK_PREDICATE,
              PG_END_WITH_MESSAGE, LOSE_ANY("now()", PG_OVERDUE), DEL_IN,
              DEL_ANY) },
    /* MySQL 8 has no RETURNING: LAST_INSERT_ID() is per connection, and
     * mod_dbd keeps the connection for the whole request.  The lock is the
     * unique generated column lock_cron_id.  The server's isolation level
     * is kept (REPEATABLE READ by default): under READ COMMITTED an end
     * with its message and a concurrent message took the AUTO-INC lock
     * and the execution's row lock in opposite orders and deadlocked. */
    { "mysql", 0, 0, 0, "START TRANSACTION", MY_INIT,
      SQL_SET("CAST(%s AS SIGNED)", MY_INT, "UTC_TIMESTAMP(6)", "%d",
              "INSERT IGNORE INTO", "", "", "", MY_PASSED, MY_OLDER,
              MY_OLDER, MY_OVERDUE, MY_ISO, "e.lock_cron_id = c.id", NULL,
              LOSE_JOIN("UTC_TIMESTAMP(6)", MY_OVERDUE), DEL_JOIN, DEL_JOIN) },
    /* MariaDB 10.5+ has INSERT ... RETURNING (not UPDATE ... RETURNING):
     * start and message in one round trip instead of four. */
    { "mysql", 1, 1, 0, "START TRANSACTION", MY_INIT,
      SQL_SET("CAST(%s AS SIGNED)", MY_INT, "UTC_TIMESTAMP(6)", "%d",
              "INSERT IGNORE INTO", "", " RETURNING id", "", MY_PASSED,
              MY_OLDER, MY_OLDER, MY_OVERDUE, MY_ISO,
              "e.lock_cron_id = c.id", NULL,
              LOSE_JOIN("UTC_TIMESTAMP(6)", MY_OVERDUE), DEL_JOIN, DEL_JOIN) },
    /* SQLite 3.35+ has RETURNING.  BEGIN IMMEDIATE takes the write lock
     * up front, so a transaction never fails half-way on a lock upgrade.
     * The sqlite3 driver itself retries a locked database for ~1.6 s. */
    { "sqlite3", 0, 1, 1, "BEGIN IMMEDIATE",
      { "PRAGMA foreign_keys = ON", NULL },
      SQL_SET("%lld", SQ_INT, "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now')",
              "%d", "INSERT INTO", " ON CONFLICT DO NOTHING", " RETURNING id",
              " RETURNING " SQ_ISO("lost_at"), SQ_PASSED, SQ_OLDER,
              SQ_OLDER_OWN, SQ_OVERDUE, SQ_ISO, LOCK_PREDICATE, NULL,
              LOSE_FROM("strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now')",
                        SQ_OVERDUE), DEL_IN, DEL_IN) },
    { NULL, 0, 0, 0, NULL, { NULL }, { NULL } }
};

const char *const charon_last_id_sql = "SELECT LAST_INSERT_ID()";
