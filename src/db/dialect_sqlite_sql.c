/*
 * dialect_sqlite_sql.c: every statement of the module in SQLite's SQL (3.35
 * or later, for RETURNING).
 *
 * Times are text, "YYYY-MM-DD HH:MM:SS.SSS" UTC as the module writes
 * them; julianday() reads every ISO 8601 form, so a time an operator
 * wrote by hand compares too.  Every value is bound as text, and text
 * sorts after every number: integer placeholders are CAST.  BEGIN
 * IMMEDIATE takes the write lock up front, so a transaction never fails
 * half-way on a lock upgrade.
 */
#include "db/dialect.h"

/* The SQL is laid out for reading, not by clang-format. */
/* clang-format off */
#define BATCH CHARON_STR(CHARON_DB_BATCH)

#define INT(x)        "CAST(" x " AS INTEGER)"
#define NOW           "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now')"
#define ISO(t)        "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', " t ")"
#define PASSED(t)     "(julianday(" t ") <= julianday('now'))"
#define OLDER(t, s)   "(julianday(" t ") < julianday('now') - " s            \
                      " / 86400.0)"
#define OVERDUE(t, s) "(julianday(" t ") + " s " / 86400.0 <= "             \
                      "julianday('now'))"
#define ON(c)         c ".active OR (" c ".off_until IS NOT NULL AND "       \
                      PASSED(c ".off_until") ")"
#define LOCK_HOLDER   "e.cron_id = c.id AND e.forbid_overlap AND "           \
                      "e.ended_at IS NULL AND e.lost_at IS NULL"
/* A missed slot is kept like a failure, an unknown one like a success. */
#define KIND          "CASE WHEN e.success OR e.missed = 'unknown' THEN 1 "  \
                      "WHEN e.ended_at IS NULL AND e.lost_at IS NULL THEN 2 "\
                      "ELSE 0 END"

/* Whole Unix seconds, both ways, for the watchdog's judgments.  The
 * times it writes are in the module's own form, so they compare as text
 * (and through the indexes) with those the module wrote. */
#define SECS(t)       "CAST(strftime('%%s', " t ") AS INTEGER)"
#define AT(x)         "strftime('%%Y-%%m-%%d %%H:%%M:%%f', " INT(x) ", "      \
                      "'unixepoch')"
#define AT_OR_NULL(x) AT("NULLIF(" x ", '')")
/* Seconds from now, in the module's form. */
#define LATER(s)      "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '+' || " s \
                      " || ' seconds')"
#define WATCH_SAME    "(w.schedule = c.schedule AND w.timezone IS "          \
                      "c.timezone AND w.grace = c.grace)"
#define WATCH_BATCH(where)                                                   \
    "cron_id IN (SELECT w.cron_id FROM charon_cron_watch w JOIN "            \
    "charon_cron c ON c.id = w.cron_id WHERE " where " LIMIT " BATCH ")"
/* A watch begins with the slots after now: those of its grace before
 * now came before anyone said when the cron runs. */
#define FROM_NOW      "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now', '+' || "    \
                      "c.grace || ' seconds')"
#define LOOSE_START   "slot IS NULL AND missed IS NULL AND NOT unscheduled"
#define DUE           "CASE WHEN w.next_slot <= " NOW " AND w.error IS NULL "\
                      "AND " WATCH_SAME " AND NOT EXISTS (SELECT 1 FROM "    \
                      "charon_execution d WHERE d.cron_id = c.id AND "       \
                      "d.started_at >= strftime('%%Y-%%m-%%d %%H:%%M:%%f', " \
                      "w.next_slot, '-60 seconds') AND d.missed IS NULL) "   \
                      "THEN 1 ELSE 0 END"
/* Shorter than its cron's min_runtime, as it ends now. */
#define TOO_SHORT     "too_short = COALESCE((SELECT (julianday('now') - "    \
                      "julianday(charon_execution.started_at)) * 86400.0 < " \
                      "c.min_runtime FROM charon_cron c WHERE c.id = "       \
                      "charon_execution.cron_id), FALSE)"

/* A run past max_runtime that the watchdog has not marked yet holds no
 * lock. */
#define CRON_STATE                                                           \
    "SELECT c.id, c.slug, CASE WHEN " ON("c") " THEN 1 ELSE 0 END, "         \
    "c.off_reason, " ISO("c.off_until") ", CASE WHEN c.concurrency = "       \
    "'forbid' THEN (SELECT MIN(e.id) FROM charon_execution e WHERE "         \
    LOCK_HOLDER " AND (c.max_runtime IS NULL OR NOT "                        \
    OVERDUE("e.started_at", "c.max_runtime") ")) END FROM charon_cron c "

#define MESSAGE_INSERT                                                       \
    "INSERT INTO charon_message (execution_id, type, message, created_at) "  \
    "SELECT id, %s, %s, " NOW " FROM charon_execution WHERE id = %lld"

/* ---- the manager's list ------------------------------------------------ */

#define FAILING       "(s.last_failure_at IS NOT NULL AND "                  \
                      "(s.last_success_at IS NULL OR "                       \
                      "(julianday(s.last_failure_at) > "                     \
                      "julianday(s.last_success_at))))"
#define OPEN_RUN      "e.ended_at IS NULL AND e.lost_at IS NULL"
#define CRON_COLS                                                            \
    "c.id, c.slug, c.name, CASE WHEN (" ON("c") ") THEN 1 ELSE 0 END, "      \
    "c.off_reason, " ISO("c.off_until") ", c.concurrency, c.max_runtime, "   \
    "COALESCE(s.runs_succeeded, 0), COALESCE(s.runs_failed, 0), "            \
    "COALESCE(s.runs_lost, 0), c.refused_inactive, c.refused_locked, "       \
    "CASE WHEN " FAILING " THEN 1 ELSE 0 END, (SELECT COUNT(*) FROM "        \
    "charon_execution e WHERE e.cron_id = c.id AND " OPEN_RUN "), "          \
    "c.schedule, CASE WHEN " WATCH_SAME " THEN 1 ELSE 0 END, w.error, "      \
    "w.last_state, " DUE ", c.timezone"
#define STATS_JOIN    " LEFT JOIN charon_cron_stats s ON s.cron_id = c.id"
#define WATCH_JOIN    " LEFT JOIN charon_cron_watch w ON w.cron_id = c.id"
/* LIKE ignores the case of ASCII letters. */
#define LIST(filter)                                                         \
    "SELECT " CRON_COLS " FROM (SELECT c.id, c.slug FROM charon_cron c"      \
    STATS_JOIN " WHERE c.slug LIKE %s ESCAPE '!' AND " filter " ORDER BY "   \
    "c.slug LIMIT " CHARON_STR(CHARON_MGR_CRONS_LIMIT) " OFFSET "            \
    INT("%s") ") p JOIN charon_cron c ON c.id = p.id" STATS_JOIN WATCH_JOIN  \
    " ORDER BY p.slug"

#define EXEC_COLS                                                            \
    "e.id, " ISO("e.started_at") ", " ISO("e.ended_at") ", "                 \
    ISO("e.lost_at") ", CASE WHEN e.missed IS NOT NULL THEN e.missed WHEN "  \
    "e.lost_at IS NOT NULL THEN 'lost' WHEN e.ended_at IS NULL THEN "        \
    "'running' WHEN e.success THEN 'success' ELSE 'failure' END, "           \
    "ROUND((julianday(COALESCE(e.ended_at, e.lost_at, " NOW ")) - "          \
    "julianday(e.started_at)) * 86400.0, 3), e.type, e.api_key, "            \
    "e.remote_addr, " ISO("e.slot") ", CASE WHEN e.unscheduled THEN 1 ELSE " \
    "0 END, CASE WHEN e.too_short THEN 1 ELSE 0 END"
#define NEWEST        " ORDER BY e.started_at DESC, e.id DESC LIMIT "
#define BEFORE_TIME   "(SELECT k.started_at FROM charon_execution k WHERE "  \
                      "k.id = %lld)"

/* Stored to the millisecond; the rounding drops julianday()'s noise. */
#define EPOCH(t)      "ROUND((julianday(" t ") - 2440587.5) * 86400.0, 3)"

/* ALERT_JOIN, EVENTS, ADM_COLS, OUTCOME, ADM_EXEC_COLS: the same text in
 * every dialect. */
#include "db/dialect_shared_sql.h"

/* The management API's: a value that may be none. */
#define ADM_INT(x)    "CAST(NULLIF(" x ", '') AS INTEGER)"
#define ADM_AT(x)     "strftime('%%Y-%%m-%%d %%H:%%M:%%f', " ADM_INT(x)      \
                      ", 'unixepoch')"

const char *const charon_sqlite_sql[ST_COUNT] = {
    [ST_CRON_BY_SLUG] = CRON_STATE "WHERE c.slug = %s",
    [ST_CRON_BY_ID] = CRON_STATE "WHERE c.id = %lld",
    [ST_EXECUTION_SLUG] =
        "SELECT c.slug FROM charon_execution e JOIN charon_cron c ON c.id = "
        "e.cron_id WHERE e.id = %lld",
    [ST_EXECUTION_ENDED] =
        "SELECT CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END FROM "
        "charon_execution WHERE id = %lld",
    [ST_START] =
        "INSERT INTO charon_execution (cron_id, started_at, api_key, "
        "remote_addr, forbid_overlap) SELECT id, " NOW ", %s, %s, CASE WHEN "
        "concurrency = 'forbid' THEN TRUE ELSE FALSE END FROM charon_cron "
        "WHERE id = %lld AND (active OR (off_until IS NOT NULL AND "
        PASSED("off_until") ")) ON CONFLICT DO NOTHING "
        "RETURNING id",
    [ST_LOSE_OVERDUE] =
        "UPDATE charon_execution SET lost_at = " NOW " WHERE cron_id = %lld "
        "AND ended_at IS NULL AND lost_at IS NULL AND EXISTS (SELECT 1 FROM "
        "charon_cron c WHERE c.id = charon_execution.cron_id AND "
        "c.max_runtime IS NOT NULL AND "
        OVERDUE("charon_execution.started_at", "c.max_runtime") ")",
    [ST_REFUSED_INACTIVE] =
        "UPDATE charon_cron SET refused_inactive = refused_inactive + 1 "
        "WHERE id = %lld",
    [ST_REFUSED_LOCKED] =
        "UPDATE charon_cron SET refused_locked = refused_locked + 1 "
        "WHERE id = %lld",
    [ST_END] =
        "UPDATE charon_execution SET ended_at = " NOW ", success = %d, type "
        "= %s, " TOO_SHORT " WHERE id = %lld AND ended_at IS NULL RETURNING "
        ISO("lost_at"),
    [ST_MESSAGE] = MESSAGE_INSERT " RETURNING id",
    [ST_END_MESSAGE] = MESSAGE_INSERT,
    [ST_CRON_SCHEDULE] =
        "UPDATE charon_cron SET schedule = NULLIF(%s, ''), timezone = "
        "NULLIF(%s, ''), grace = " INT("%d") " WHERE id = %lld AND "
        "(COALESCE(schedule, '') <> %s OR COALESCE(timezone, '') <> %s OR "
        "grace <> " INT("%d") ")",
    [ST_IDEM_GET] =
        "SELECT request, status, response, CASE WHEN "
        OLDER("created_at", INT("%d")) " THEN 1 ELSE 0 END FROM "
        "charon_idempotency WHERE key_name = %s AND idem_key = %s",
    [ST_IDEM_EXPIRE] =
        "DELETE FROM charon_idempotency WHERE key_name = %s AND idem_key = "
        "%s AND " OLDER("created_at", INT("%d")),
    [ST_IDEM_PUT] =
        "INSERT INTO charon_idempotency (key_name, idem_key, request, "
        "status, response, created_at) VALUES (%s, %s, %s, %d, %s, " NOW ") "
        "ON CONFLICT DO NOTHING",

    [ST_WD_LOSE] =
        "UPDATE charon_execution SET lost_at = " NOW " FROM (SELECT e.id "
        "FROM charon_cron c JOIN charon_execution e ON e.cron_id = c.id "
        "WHERE c.max_runtime IS NOT NULL AND e.ended_at IS NULL AND "
        "e.lost_at IS NULL AND " OVERDUE("e.started_at", "c.max_runtime")
        " LIMIT " BATCH ") batch WHERE charon_execution.id = batch.id AND "
        "charon_execution.ended_at IS NULL AND charon_execution.lost_at IS "
        "NULL",
    [ST_WD_REOPEN] =
        "UPDATE charon_cron SET active = TRUE, off_reason = NULL, off_until "
        "= NULL WHERE active = FALSE AND off_until IS NOT NULL AND "
        PASSED("off_until"),
    /* created_at is only ever written by the module, in one text form:
     * compared as text, its index serves the purge. */
    [ST_WD_IDEM_PURGE] =
        "DELETE FROM charon_idempotency WHERE (key_name, idem_key) IN "
        "(SELECT key_name, idem_key FROM (SELECT key_name, idem_key FROM "
        "charon_idempotency WHERE (created_at < strftime('%%Y-%%m-%%d "
        "%%H:%%M:%%f', 'now', '-' || " INT("%d") " || ' seconds')) LIMIT "
        BATCH ") batch)",
    [ST_WD_NEXT_CRON] = "SELECT MIN(id) FROM charon_cron WHERE id > %lld",
    [ST_WD_RETENTION] =
        "DELETE FROM charon_execution WHERE (id) IN (SELECT id FROM (SELECT "
        "r.id FROM (SELECT e.id, e.started_at, " KIND " AS kind, "
        "ROW_NUMBER() OVER (ORDER BY e.started_at DESC, e.id DESC) AS "
        "run_rank, ROW_NUMBER() OVER (PARTITION BY " KIND " ORDER BY "
        "e.started_at DESC, e.id DESC) AS kind_rank FROM "
        "charon_execution e WHERE e.cron_id = %lld) r WHERE r.kind <> 2 AND "
        "((" INT("%d") " > 0 AND r.run_rank > " INT("%d") ") OR (" INT("%d")
        " > 0 AND " OLDER("r.started_at", INT("%d")) ")) AND NOT (r.kind = 0 "
        "AND r.kind_rank <= " INT("%d") ") LIMIT " BATCH ") batch)",

    [ST_WD_HEARTBEAT] =
        "INSERT INTO charon_watchdog (id, seen_at) VALUES (1, " NOW ") ON "
        "CONFLICT (id) DO UPDATE SET outage_from = CASE WHEN "
        OLDER("seen_at", INT("%d")) " THEN seen_at ELSE outage_from END, "
        "outage_to = CASE WHEN " OLDER("seen_at", INT("%d")) " THEN " NOW
        " ELSE outage_to END, seen_at = max(seen_at, " NOW ")",
    [ST_WD_CLOCK] =
        "SELECT " SECS("'now'") ", " SECS("w.outage_from") ", "
        SECS("w.outage_to") " FROM (SELECT 1) one LEFT JOIN charon_watchdog "
        "w ON w.id = 1",
    [ST_WD_WATCH_NEW] =
        "INSERT INTO charon_cron_watch (cron_id, schedule, timezone, grace, "
        "checked_until, starts_until, next_deadline) SELECT c.id, "
        "c.schedule, c.timezone, c.grace, " FROM_NOW ", " NOW ", " NOW
        " FROM "
        "charon_cron c WHERE c.schedule IS NOT NULL AND NOT EXISTS (SELECT 1 "
        "FROM charon_cron_watch w WHERE w.cron_id = c.id) LIMIT " BATCH
        " ON CONFLICT DO NOTHING",
    [ST_WD_WATCH_RESET] =
        "UPDATE charon_cron_watch SET schedule = c.schedule, timezone = "
        "c.timezone, grace = c.grace, checked_until = " FROM_NOW ", "
        "starts_until = " NOW ", next_deadline = " NOW ", next_slot = NULL, "
        "last_slot = NULL, last_state = NULL, error = NULL FROM charon_cron "
        "c WHERE c.id = charon_cron_watch.cron_id AND charon_cron_watch."
        WATCH_BATCH("c.schedule IS NOT NULL AND NOT " WATCH_SAME),
    [ST_WD_WATCH_GONE] =
        "DELETE FROM charon_cron_watch WHERE "
        WATCH_BATCH("c.schedule IS NULL"),
    [ST_WD_WATCH_OFF] =
        "UPDATE charon_cron_watch SET off_seen = " NOW " FROM charon_cron c "
        "WHERE c.id = charon_cron_watch.cron_id AND NOT (" ON("c") ")",
    [ST_WD_DUE] =
        "SELECT w.cron_id, w.schedule, w.timezone, w.grace, "
        SECS("w.checked_until") ", " SECS("w.starts_until") ", "
        SECS("w.off_seen") ", c.slug FROM charon_cron_watch w JOIN "
        "charon_cron c ON c.id = w.cron_id WHERE w.next_deadline <= "
        AT("%lld") " ORDER BY w.next_deadline LIMIT " BATCH,
    [ST_WD_WATCH_ERROR] =
        "UPDATE charon_cron_watch SET error = %s, next_deadline = "
        AT(CHARON_STR(CHARON_NEVER)) " WHERE cron_id = %lld AND schedule = "
        "%s AND error IS NULL",
    [ST_WD_CLAIM] =
        "UPDATE charon_cron_watch SET checked_until = " AT("%lld") ", "
        "starts_until = " AT("%lld") ", next_deadline = " AT("%lld") ", "
        "next_slot = " AT_OR_NULL("%s") " WHERE cron_id = %lld AND "
        SECS("checked_until") " = " INT("%lld") " AND " SECS("starts_until")
        " = " INT("%lld"),
    [ST_WD_BIND] =
        "UPDATE charon_execution SET slot = " AT("%lld") " WHERE cron_id = "
        "%lld AND started_at >= " AT("%lld") " AND started_at < " AT("%lld")
        " AND " LOOSE_START,
    /* WHERE TRUE: the parser would take ON CONFLICT for a join's ON. */
    [ST_WD_MISSED] =
        "INSERT INTO charon_execution (cron_id, started_at, ended_at, "
        "api_key, remote_addr, slot, missed) SELECT m.cron_id, m.t, m.t, '', "
        "'', m.t, m.kind FROM (SELECT " INT("%lld") " AS cron_id, "
        AT("%lld") " AS t, %s AS kind) m WHERE TRUE ON CONFLICT DO NOTHING",
    [ST_WD_UNSCHEDULED] =
        "UPDATE charon_execution SET unscheduled = TRUE WHERE cron_id = %lld "
        "AND started_at >= " AT("%lld") " AND started_at < " AT("%lld")
        " AND " LOOSE_START,
    [ST_WD_SLOT_STATS] =
        "INSERT INTO charon_cron_stats (cron_id, runs_missed, runs_unknown, "
        "runs_unscheduled, last_missed_at) VALUES (" INT("%lld") ", "
        INT("%d") ", " INT("%d") ", " INT("%d") ", " AT_OR_NULL("%s") ") ON "
        "CONFLICT (cron_id) DO UPDATE SET runs_missed = runs_missed + "
        "excluded.runs_missed, runs_unknown = runs_unknown + "
        "excluded.runs_unknown, runs_unscheduled = runs_unscheduled + "
        "excluded.runs_unscheduled, last_missed_at = CASE WHEN "
        "excluded.last_missed_at IS NULL THEN last_missed_at WHEN "
        "last_missed_at IS NULL OR excluded.last_missed_at > last_missed_at "
        "THEN excluded.last_missed_at ELSE last_missed_at END",
    [ST_WD_WATCH_STATE] =
        "UPDATE charon_cron_watch SET last_slot = " AT("%lld") ", last_state "
        "= %s WHERE cron_id = %lld",

    [ST_AL_OUTCOME_CRONS] =
        "SELECT DISTINCT cron_id FROM charon_alert_outcome ORDER BY cron_id "
        "LIMIT " BATCH,
    [ST_AL_REALERT_CRONS] =
        "SELECT a.cron_id FROM charon_cron_alert a JOIN charon_cron c ON c.id "
        "= a.cron_id WHERE a.state = 'down' AND c.realert_every IS NOT NULL "
        "AND (a.alerted_at IS NULL OR " OVERDUE("a.alerted_at",
        "c.realert_every") ") ORDER BY a.cron_id LIMIT " BATCH,
    [ST_AL_STATE_ENSURE] =
        "INSERT INTO charon_cron_alert (cron_id) SELECT id FROM charon_cron "
        "WHERE id = " INT("%lld") " ON CONFLICT DO NOTHING",
    [ST_AL_STATE_LOCK] =
        "UPDATE charon_cron_alert SET bad_streak = bad_streak WHERE cron_id = "
        INT("%lld"),
    [ST_AL_STATE] =
        "SELECT a.state = 'down', a.bad_streak, a.good_streak, "
        SECS("a.changed_at") ", " SECS("a.alerted_at") ", "
        "c.failure_threshold, c.recovery_threshold, c.realert_every, "
        SECS("c.mute_until") ", c.slug, c.name, " SECS("'now'") " FROM "
        "charon_cron_alert a JOIN charon_cron c ON c.id = a.cron_id WHERE "
        "a.cron_id = " INT("%lld"),
    [ST_AL_OUTCOMES] =
        "SELECT o.id, o.outcome, o.execution_id, " SECS("o.at") ", "
        SECS("e.started_at") ", " SECS("e.ended_at") ", "
        "round((julianday(e.ended_at) - julianday(e.started_at)) * 86400.0, "
        "3), " SECS("e.slot") " FROM charon_alert_outcome o LEFT JOIN "
        "charon_execution e ON e.id = o.execution_id WHERE o.cron_id = "
        INT("%lld") " ORDER BY o.id LIMIT " CHARON_STR(CHARON_AL_OUTCOMES),
    [ST_AL_MESSAGES] =
        "SELECT type, message, " SECS("created_at") " FROM charon_message "
        "WHERE execution_id = " INT("%lld") " ORDER BY id DESC LIMIT "
        CHARON_STR(CHARON_ALERT_MSGS),
    [ST_AL_OUTCOMES_DONE] =
        "DELETE FROM charon_alert_outcome WHERE id = " INT("%lld"),
    [ST_AL_STATE_SET] =
        "UPDATE charon_cron_alert SET state = %s, bad_streak = " INT("%d")
        ", good_streak = " INT("%d") ", changed_at = " AT_OR_NULL("%s") ", "
        "alerted_at = " AT_OR_NULL("%s") " WHERE cron_id = " INT("%lld"),
    [ST_AL_EVENT] =
        "INSERT INTO charon_alert_event (uid, cron_id, event, muted, "
        "document) VALUES (%s, " INT("NULLIF(%s, '')") ", %s, " INT("%d")
        ", %s) RETURNING id",
    [ST_AL_DELIVERY] =
        "INSERT INTO charon_alert_delivery (event_id, channel, due_at) VALUES "
        "(" INT("%lld") ", %s, " NOW ")",
    [ST_AL_CLAIM] =
        "UPDATE charon_alert_delivery SET lease_owner = %s, lease_until = "
        LATER("%d") ", attempts = attempts + 1 WHERE id IN (SELECT id FROM "
        "charon_alert_delivery WHERE channel = %s AND state = 'pending' AND "
        "due_at <= " NOW " AND (lease_until IS NULL OR lease_until <= " NOW
        ") ORDER BY due_at LIMIT " CHARON_STR(CHARON_AL_CLAIM) ")",
    [ST_AL_CLAIMED] =
        "SELECT d.id, d.attempts, CAST((julianday('now') - "
        "julianday(e.created_at)) * 86400 AS INTEGER), e.uid, e.document "
        "FROM charon_alert_delivery d JOIN charon_alert_event e ON e.id = "
        "d.event_id WHERE d.lease_owner = %s AND d.state = 'pending' ORDER "
        "BY d.id",
    [ST_AL_DONE] =
        "UPDATE charon_alert_delivery SET state = %s, due_at = " LATER("%d")
        ", last_error = NULLIF(%s, ''), delivered_at = CASE WHEN %s = "
        "'delivered' THEN " NOW " END, lease_until = NULL, lease_owner = "
        "NULL WHERE id = " INT("%lld") " AND state = 'pending' AND "
        "(lease_owner = %s OR %s = 'delivered')",
    [ST_AL_ATTEMPT] =
        "INSERT INTO charon_alert_attempt (delivery_id, result, status, "
        "error, ms) VALUES (" INT("%lld") ", %s, " INT("NULLIF(%s, '')")
        ", NULLIF(%s, ''), " INT("%d") ")",

    [ST_AL_PURGE] =
        "DELETE FROM charon_alert_event WHERE id IN (SELECT e.id FROM "
        "charon_alert_event e WHERE " OLDER("e.created_at", INT("%lld"))
        " AND NOT EXISTS (SELECT 1 FROM charon_alert_delivery d WHERE "
        "d.event_id = e.id AND d.state = 'pending') ORDER BY e.id LIMIT "
        BATCH ")",
    [ST_MGR_LIST_ALL] = LIST("1 = 1"),
    [ST_MGR_LIST_FAILING] = LIST(FAILING),
    [ST_MGR_LIST_RUNNING] =
        LIST("c.id IN (SELECT e.cron_id FROM charon_execution e WHERE "
             OPEN_RUN ")"),
    [ST_MGR_LIST_OFF] = LIST("NOT (" ON("c") ")"),
    [ST_MGR_LIST_LOST] =
        LIST("(SELECT CASE WHEN e.lost_at IS NULL THEN 0 ELSE 1 END FROM "
             "charon_execution e WHERE e.cron_id = c.id AND (e.ended_at IS "
             "NOT NULL OR e.lost_at IS NOT NULL) ORDER BY e.started_at DESC, "
             "e.id DESC LIMIT 1) = 1"),
    [ST_MGR_LIST_MISSED] =
        LIST("EXISTS (SELECT 1 FROM charon_cron_watch w WHERE w.cron_id = "
             "c.id AND w.last_state = 'missed' AND " WATCH_SAME ")"),
    [ST_MGR_CRON] =
        "SELECT " CRON_COLS ", " ISO("c.created_at") ", "
        ISO("s.last_success_at") ", " ISO("s.last_failure_at") ", "
        ISO("s.last_ended_at") ", s.last_duration, c.grace, c.min_runtime, "
        "COALESCE(s.runs_missed, 0), COALESCE(s.runs_unknown, "
        "0), COALESCE(s.runs_unscheduled, 0), " ISO("s.last_missed_at")
        " FROM charon_cron c" STATS_JOIN WATCH_JOIN " WHERE c.id = %lld",
    [ST_MGR_HISTORY] =
        "SELECT " EXEC_COLS " FROM charon_execution e WHERE e.cron_id = %lld"
        NEWEST CHARON_STR(CHARON_MGR_HISTORY),
    [ST_MGR_EXECS_FIRST] =
        "SELECT " EXEC_COLS " FROM charon_execution e WHERE e.cron_id = %lld"
        NEWEST CHARON_STR(CHARON_MGR_EXECS_LIMIT),
    [ST_MGR_EXECS_BEFORE] =
        "SELECT " EXEC_COLS " FROM charon_execution e WHERE e.cron_id = %lld"
        " AND e.started_at <= " BEFORE_TIME " AND (e.started_at < "
        BEFORE_TIME " OR e.id < %lld)" NEWEST
        CHARON_STR(CHARON_MGR_EXECS_LIMIT),
    [ST_MGR_MESSAGES] =
        "SELECT m.id, m.type, SUBSTR(m.message, 1, "
        CHARON_STR(CHARON_MGR_MESSAGE_CHARS) "), LENGTH(m.message), "
        ISO("m.created_at") " FROM charon_message m WHERE m.execution_id = "
        "%lld ORDER BY m.id LIMIT " CHARON_STR(CHARON_MGR_MESSAGES_LIMIT),
    [ST_MGR_MESSAGE_COUNT] =
        "SELECT COUNT(*) FROM (SELECT 1 AS x FROM charon_message WHERE "
        "execution_id = %lld LIMIT " CHARON_STR(CHARON_MGR_COUNT_LIMIT) ") t",
    [ST_MGR_CREATE] =
        "INSERT INTO charon_cron (slug, name, active, created_at, "
        "concurrency, max_runtime) VALUES (%s, %s, TRUE, " NOW ", %s, "
        "CAST(NULLIF(%s, '') AS INTEGER)) ON CONFLICT (slug) DO NOTHING",
    [ST_MGR_ID_BY_SLUG] = "SELECT id FROM charon_cron WHERE slug = %s",
    [ST_MGR_EXISTS] = "SELECT id FROM charon_cron WHERE id = %lld",
    [ST_MGR_RENAME] = "UPDATE charon_cron SET name = %s WHERE id = %lld",
    [ST_MGR_OFF] =
        "UPDATE charon_cron SET active = FALSE, off_reason = %s, off_until = "
        "strftime('%%Y-%%m-%%d %%H:%%M:%%f', CAST(NULLIF(%s, '') AS "
        "INTEGER), 'unixepoch') WHERE id = %lld",
    [ST_MGR_ON] =
        "UPDATE charon_cron SET active = TRUE, off_reason = NULL, off_until "
        "= NULL WHERE id = %lld",
    [ST_MGR_POLICY] =
        "UPDATE charon_cron SET concurrency = %s, max_runtime = "
        "CAST(NULLIF(%s, '') AS INTEGER) WHERE id = %lld",
    [ST_MGR_SCHEDULE] =
        "UPDATE charon_cron SET schedule = NULLIF(%s, ''), timezone = "
        "NULLIF(%s, ''), grace = " INT("%d") ", min_runtime = "
        "CAST(NULLIF(%s, '') AS INTEGER) WHERE id = %lld",

    [ST_METRICS_CRONS] =
        "SELECT c.slug, CASE WHEN " ON("c") " THEN 1 ELSE 0 END, (SELECT "
        "COUNT(*) FROM charon_execution e WHERE e.cron_id = c.id AND "
        OPEN_RUN "), " EPOCH("(SELECT e.started_at FROM charon_execution e "
        "WHERE e.cron_id = c.id AND e.missed IS NULL ORDER BY e.started_at "
        "DESC LIMIT 1)") ", " EPOCH("s.last_success_at") ", "
        EPOCH("s.last_failure_at") ", s.last_duration, "
        "COALESCE(s.runs_succeeded, 0), COALESCE(s.runs_failed, 0), "
        "COALESCE(s.runs_lost, 0), c.refused_inactive + c.refused_locked, "
        "COALESCE(s.runs_missed, 0), COALESCE(s.runs_unknown, 0), "
        "COALESCE(s.runs_unscheduled, 0), c.schedule, c.timezone, "
        "CASE WHEN " WATCH_SAME " THEN " SECS("w.next_slot") " END, CASE WHEN "
        "a.state = 'down' THEN 1 ELSE 0 END FROM charon_cron c" STATS_JOIN
        WATCH_JOIN ALERT_JOIN " ORDER BY c.id",
    [ST_HEALTH_ALIVE] = "SELECT 1 FROM charon_cron LIMIT 1",
    [ST_HEALTH_FAILING] =
        "SELECT c.slug, COUNT(*) OVER () FROM charon_cron_stats s JOIN "
        "charon_cron c ON c.id = s.cron_id WHERE s.last_failure_at IS NOT "
        "NULL AND (s.last_success_at IS NULL OR "
        "julianday(s.last_failure_at) > julianday(s.last_success_at)) ORDER "
        "BY c.slug LIMIT " CHARON_STR(CHARON_HEALTH_LISTED),
    [ST_HEALTH_MISSED] =
        "SELECT c.slug, COUNT(*) OVER () FROM charon_cron_watch w JOIN "
        "charon_cron c ON c.id = w.cron_id WHERE w.last_state = 'missed' AND "
        WATCH_SAME " ORDER BY c.slug LIMIT " CHARON_STR(CHARON_HEALTH_LISTED),

    /* ---- the manager, metrics and health: alerts ---- */
    [ST_MGR_ALERT] =
        "SELECT COALESCE(a.state, 'up'), " ISO("a.changed_at") ", "
        "COALESCE(a.bad_streak, 0), COALESCE(a.good_streak, 0), "
        ISO("a.alerted_at") ", c.failure_threshold, c.recovery_threshold, "
        "c.realert_every, " ISO("c.mute_until") ", CASE WHEN c.mute_until IS "
        "NOT NULL AND NOT " PASSED("c.mute_until") " THEN 1 ELSE 0 END FROM "
        "charon_cron c LEFT JOIN charon_cron_alert a ON a.cron_id = c.id "
        "WHERE c.id = %lld",
    [ST_MGR_ALERT_POLICY] =
        "UPDATE charon_cron SET failure_threshold = " INT("%d") ", "
        "recovery_threshold = " INT("%d") ", realert_every = CAST(NULLIF(%s, "
        "'') AS INTEGER) WHERE id = %lld",
    [ST_MGR_MUTE] =
        "UPDATE charon_cron SET mute_until = " LATER(INT("%d")) " WHERE id = "
        "%lld",
    [ST_MGR_UNMUTE] =
        "UPDATE charon_cron SET mute_until = NULL WHERE id = %lld",
    [ST_MGR_EVENTS_FIRST] = EVENTS("1 = 1"),
    [ST_MGR_EVENTS_BEFORE] = EVENTS("e.id < " INT("%lld")),
    /* The page's events are a range of ids: one read through the unique
     * index (event_id, channel) for all their deliveries. */
    [ST_MGR_EVENT_DELIVERIES] =
        "SELECT d.event_id, d.channel, d.state, d.attempts, " ISO("d.due_at")
        ", " ISO("d.delivered_at") ", d.last_error, CASE WHEN d.lease_until "
        "IS NOT NULL AND NOT " PASSED("d.lease_until") " THEN 1 ELSE 0 END "
        "FROM charon_alert_delivery d WHERE d.event_id BETWEEN " INT("%lld")
        " AND " INT("%lld") " ORDER BY d.event_id DESC, d.channel LIMIT "
        CHARON_STR(CHARON_MGR_DELIVERIES_LIMIT),
    [ST_METRICS_ALERT_STATS] =
        "SELECT channel, result, attempts FROM charon_alert_stats ORDER BY "
        "channel, result",
    [ST_METRICS_ALERT_QUEUE] =
        "SELECT COUNT(*), COALESCE(ROUND((julianday('now') - "
        "MIN(julianday(e.created_at))) * 86400.0, 3), 0) FROM "
        "charon_alert_delivery d JOIN charon_alert_event e ON e.id = "
        "d.event_id WHERE d.state = 'pending'",
    [ST_HEALTH_ALERTS] =
        "SELECT d.channel, SUM(CASE WHEN d.state = 'pending' THEN 1 ELSE 0 "
        "END), SUM(CASE WHEN d.state = 'given_up' THEN 1 ELSE 0 END) FROM "
        "charon_alert_delivery d WHERE (d.state = 'pending' AND "
        OLDER("d.created_at", CHARON_STR(CHARON_HEALTH_ALERT_LATE)) ") OR "
        "(d.state = 'given_up' AND EXISTS (SELECT 1 FROM charon_alert_attempt "
        "t WHERE t.delivery_id = d.id AND t.result IN ('failed', 'given_up') "
        "AND NOT " OLDER("t.at", CHARON_STR(CHARON_HEALTH_ALERT_GAVE_UP))
        ")) GROUP BY d.channel ORDER BY d.channel",

    /* ---- the management API (statements_manage.h) -------------------- */
    [ST_ADM_CRON] = "SELECT " ADM_COLS " FROM charon_cron c WHERE c.slug = %s",
    /* BEGIN IMMEDIATE has locked the database already. */
    [ST_ADM_CRON_LOCK] =
        "SELECT " ADM_COLS " FROM charon_cron c WHERE c.slug = %s",
    [ST_ADM_CRONS] =
        "SELECT " ADM_COLS " FROM charon_cron c WHERE c.slug > %s ORDER BY "
        "c.slug LIMIT " CHARON_STR(CHARON_ADM_ROWS),
    [ST_ADM_CRON_INSERT] =
        "INSERT INTO charon_cron (slug, name, active, off_reason, off_until, "
        "concurrency, max_runtime, schedule, timezone, grace, min_runtime, "
        "failure_threshold, recovery_threshold, realert_every, mute_until, "
        "created_at) VALUES (%s, %s, " INT("%s") ", NULLIF(%s, ''), "
        ADM_AT("%s") ", %s, " ADM_INT("%s") ", NULLIF(%s, ''), NULLIF(%s, "
        "''), " INT("%s") ", " ADM_INT("%s") ", " INT("%s") ", " INT("%s")
        ", " ADM_INT("%s") ", " ADM_AT("%s") ", " NOW ") ON CONFLICT (slug) "
        "DO NOTHING",
    [ST_ADM_CRON_UPDATE] =
        "UPDATE charon_cron SET slug = %s, name = %s, active = " INT("%s")
        ", off_reason = NULLIF(%s, ''), off_until = " ADM_AT("%s")
        ", concurrency = %s, max_runtime = " ADM_INT("%s") ", schedule = "
        "NULLIF(%s, ''), timezone = NULLIF(%s, ''), grace = " INT("%s")
        ", min_runtime = " ADM_INT("%s") ", failure_threshold = " INT("%s")
        ", recovery_threshold = " INT("%s") ", realert_every = "
        ADM_INT("%s") ", mute_until = " ADM_AT("%s") " WHERE id = %lld",
    [ST_ADM_CRON_HAS_EXECS] =
        "SELECT 1 FROM charon_execution WHERE cron_id = %lld LIMIT 1",
    [ST_ADM_CRON_DELETE] = "DELETE FROM charon_cron WHERE id = %lld",
    [ST_ADM_EXECS] =
        "SELECT " ADM_EXEC_COLS " WHERE e.cron_id = %lld AND e.id < "
        "COALESCE(" ADM_INT("%s") ", 9223372036854775807) AND "
        "COALESCE(NULLIF(%s, ''), " OUTCOME ") = " OUTCOME " AND "
        "julianday(e.started_at) >= COALESCE(julianday(" ADM_INT("%s")
        ", 'unixepoch'), julianday(e.started_at)) AND julianday(e.started_at)"
        " < COALESCE(julianday(" ADM_INT("%s") ", 'unixepoch'), "
        "julianday(e.started_at) + 1) ORDER BY e.id DESC LIMIT "
        CHARON_STR(CHARON_ADM_ROWS),
    [ST_ADM_EXEC] = "SELECT " ADM_EXEC_COLS " WHERE e.id = %lld",
    [ST_ADM_MESSAGES] =
        "SELECT m.id, m.type, m.message, " ISO("m.created_at") " FROM "
        "charon_message m WHERE m.execution_id = %lld AND m.id > COALESCE("
        ADM_INT("%s") ", 0) ORDER BY m.id LIMIT "
        CHARON_STR(CHARON_ADM_MESSAGES),
    [ST_ADM_AUDIT_INSERT] =
        "INSERT INTO charon_audit (at, who, action, cron_id, slug, "
        "before_doc, after_doc) VALUES (" NOW ", %s, %s, " ADM_INT("%s")
        ", %s, NULLIF(%s, ''), NULLIF(%s, ''))",
    [ST_ADM_AUDIT] =
        "SELECT a.id, " ISO("a.at") ", a.who, a.action, a.slug, a.before_doc, "
        "a.after_doc FROM charon_audit a WHERE a.slug = COALESCE(NULLIF(%s, "
        "''), a.slug) AND a.id < COALESCE(" ADM_INT("%s") ", "
        "9223372036854775807) ORDER BY a.id DESC LIMIT "
        CHARON_STR(CHARON_ADM_ROWS),
};

/* clang-format on */
