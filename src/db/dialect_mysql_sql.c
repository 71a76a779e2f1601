/*
 * dialect_mysql_sql.c: every statement of the module in MySQL's SQL
 * (MySQL 8 and MariaDB), and MariaDB 10.5+'s variant, which has INSERT ...
 * RETURNING: start and message in one round trip instead of four.  How
 * the dialects speak to the server is in dialect_mysql.c; the pieces the
 * statements are built of, in dialect_mysql_sql.h.
 *
 * Ids are bound as CAST(%s AS SIGNED): MySQL compares a string with a
 * BIGINT as a double, which loses exactness past 2^53.  Times are
 * DATETIME(6) holding UTC.  The overlap lock is the unique generated
 * column lock_cron_id.  The server's isolation level is kept (REPEATABLE
 * READ by default): under READ COMMITTED an end with its message and a
 * concurrent message took the AUTO-INC lock and the execution's row lock
 * in opposite orders and deadlocked.
 */
#include "db/dialect_mysql_sql.h"

/* The SQL is laid out for reading, not by clang-format. */
/* clang-format off */
const char *const charon_mysql_sql[ST_COUNT] = {
    [ST_CRON_BY_SLUG] = CRON_STATE "WHERE c.slug = %s",
    [ST_CRON_BY_ID] = CRON_STATE "WHERE c.id = " ID,
    [ST_EXECUTION_SLUG] =
        "SELECT c.slug FROM charon_execution e JOIN charon_cron c ON c.id = "
        "e.cron_id WHERE e.id = " ID,
    [ST_EXECUTION_ENDED] =
        "SELECT CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END FROM "
        "charon_execution WHERE id = " ID,
    [ST_START] = START_INSERT,
    [ST_LOSE_OVERDUE] =
        "UPDATE charon_execution SET lost_at = " NOW " WHERE cron_id = " ID
        " AND ended_at IS NULL AND lost_at IS NULL AND EXISTS (SELECT 1 FROM "
        "charon_cron c WHERE c.id = charon_execution.cron_id AND "
        "c.max_runtime IS NOT NULL AND "
        OVERDUE("charon_execution.started_at", "c.max_runtime") ")",
    [ST_REFUSED_INACTIVE] =
        "UPDATE charon_cron SET refused_inactive = refused_inactive + 1 "
        "WHERE id = " ID,
    [ST_REFUSED_LOCKED] =
        "UPDATE charon_cron SET refused_locked = refused_locked + 1 "
        "WHERE id = " ID,
    /* No UPDATE ... RETURNING: END_LOST reads lost_at, which cannot
     * change once the execution has ended. */
    [ST_END] =
        "UPDATE charon_execution SET ended_at = " NOW ", success = %d, type "
        "= %s, " TOO_SHORT " WHERE id = " ID " AND ended_at IS NULL",
    [ST_END_LOST] =
        "SELECT " ISO("lost_at") " FROM charon_execution WHERE id = " ID,
    [ST_MESSAGE] = MESSAGE_INSERT,
    [ST_END_MESSAGE] = MESSAGE_INSERT,
    /* Per connection, and mod_dbd keeps the connection for the request. */
    [ST_LAST_ID] = "SELECT LAST_INSERT_ID()",
    [ST_CRON_SCHEDULE] =
        "UPDATE charon_cron SET schedule = NULLIF(%s, ''), timezone = "
        "NULLIF(%s, ''), grace = %d WHERE id = " ID " AND (COALESCE(schedule, "
        "'') <> %s OR COALESCE(timezone, '') <> %s OR grace <> %d)",
    [ST_IDEM_GET] =
        "SELECT request, status, response, CASE WHEN "
        OLDER("created_at", "%d") " THEN 1 ELSE 0 END FROM "
        "charon_idempotency WHERE key_name = %s AND idem_key = %s",
    /* Only run when there is such a row: deleting a row that is not there
     * locks the gap where concurrent duplicates insert, and deadlocks. */
    [ST_IDEM_EXPIRE] =
        "DELETE FROM charon_idempotency WHERE key_name = %s AND idem_key = "
        "%s AND " OLDER("created_at", "%d"),
    [ST_IDEM_PUT] =
        "INSERT IGNORE INTO charon_idempotency (key_name, idem_key, request, "
        "status, response, created_at) VALUES (%s, %s, %s, %d, %s, " NOW ")",

    [ST_WD_LOSE] =
        "UPDATE " LOSE_BATCH " STRAIGHT_JOIN charon_execution ON "
        "charon_execution.id = batch.id SET charon_execution.lost_at = " NOW
        " WHERE charon_execution.ended_at IS NULL AND "
        "charon_execution.lost_at IS NULL",
    [ST_WD_REOPEN] =
        "UPDATE charon_cron SET active = TRUE, off_reason = NULL, off_until "
        "= NULL WHERE active = FALSE AND off_until IS NOT NULL AND "
        PASSED("off_until"),
    [ST_WD_IDEM_PURGE] =
        "DELETE charon_idempotency FROM (SELECT key_name, idem_key FROM "
        "charon_idempotency WHERE " OLDER("created_at", "%d") " LIMIT " BATCH
        ") batch STRAIGHT_JOIN charon_idempotency ON "
        "charon_idempotency.key_name = batch.key_name AND "
        "charon_idempotency.idem_key = batch.idem_key",
    [ST_WD_NEXT_CRON] = "SELECT MIN(id) FROM charon_cron WHERE id > " ID,
    [ST_WD_RETENTION] =
        "DELETE charon_execution FROM (SELECT r.id FROM (SELECT e.id, "
        "e.started_at, " KIND " AS kind, ROW_NUMBER() OVER (ORDER BY "
        "e.started_at DESC, e.id DESC) AS run_rank, ROW_NUMBER() OVER "
        "(PARTITION BY " KIND " ORDER BY e.started_at DESC, e.id DESC) AS "
        "kind_rank FROM charon_execution e WHERE e.cron_id = " ID ") r WHERE r.kind <> 2 AND ((%d > 0 AND r.run_rank > %d) OR "
        "(%d > 0 AND " OLDER("r.started_at", "%d") ")) AND NOT (r.kind = 0 "
        "AND r.kind_rank <= %d) LIMIT " BATCH ") batch STRAIGHT_JOIN "
        "charon_execution ON charon_execution.id = batch.id",

    /* ON DUPLICATE KEY UPDATE assigns left to right: seen_at last, so
     * that the outage is judged on the previous tick's. */
    [ST_WD_HEARTBEAT] =
        "INSERT INTO charon_watchdog (id, seen_at) VALUES (1, " NOW ") ON "
        "DUPLICATE KEY UPDATE outage_from = CASE WHEN "
        OLDER("seen_at", "%d") " THEN seen_at ELSE outage_from END, "
        "outage_to = CASE WHEN " OLDER("seen_at", "%d") " THEN " NOW " ELSE "
        "outage_to END, seen_at = GREATEST(seen_at, " NOW ")",
    [ST_WD_CLOCK] =
        "SELECT " SECS(NOW) ", " SECS("w.outage_from") ", "
        SECS("w.outage_to") " FROM (SELECT 1 AS one) one LEFT JOIN "
        "charon_watchdog w ON w.id = 1",
    [ST_WD_WATCH_NEW] =
        "INSERT IGNORE INTO charon_cron_watch (cron_id, schedule, timezone, "
        "grace, checked_until, starts_until, next_deadline) SELECT c.id, "
        "c.schedule, c.timezone, c.grace, " FROM_NOW ", " NOW ", " NOW
        " FROM "
        "charon_cron c WHERE c.schedule IS NOT NULL AND NOT EXISTS (SELECT 1 "
        "FROM charon_cron_watch w WHERE w.cron_id = c.id) LIMIT " BATCH,
    [ST_WD_WATCH_RESET] =
        "UPDATE " WATCH_BATCH("c.schedule IS NOT NULL AND NOT " WATCH_SAME)
        " JOIN charon_cron c ON c.id = charon_cron_watch.cron_id SET "
        "charon_cron_watch.schedule = c.schedule, charon_cron_watch.timezone "
        "= c.timezone, charon_cron_watch.grace = c.grace, "
        "charon_cron_watch.checked_until = " FROM_NOW ", "
        "charon_cron_watch.starts_until = " NOW ", "
        "charon_cron_watch.next_deadline = " NOW ", "
        "charon_cron_watch.next_slot = NULL, charon_cron_watch.last_slot = "
        "NULL, charon_cron_watch.last_state = NULL, charon_cron_watch.error "
        "= NULL",
    [ST_WD_WATCH_GONE] =
        "DELETE charon_cron_watch FROM " WATCH_BATCH("c.schedule IS NULL"),
    [ST_WD_WATCH_OFF] =
        "UPDATE charon_cron_watch w JOIN charon_cron c ON c.id = w.cron_id "
        "SET w.off_seen = " NOW " WHERE NOT (" ON("c") ")",
    [ST_WD_DUE] =
        "SELECT w.cron_id, w.schedule, w.timezone, w.grace, "
        SECS("w.checked_until") ", " SECS("w.starts_until") ", "
        SECS("w.off_seen") ", c.slug FROM charon_cron_watch w JOIN "
        "charon_cron c ON c.id = w.cron_id WHERE w.next_deadline <= "
        AT("%s") " ORDER BY w.next_deadline LIMIT " BATCH,
    [ST_WD_WATCH_ERROR] =
        "UPDATE charon_cron_watch SET error = %s, next_deadline = "
        AT(CHARON_STR(CHARON_NEVER)) " WHERE cron_id = " ID " AND schedule "
        "= %s AND error IS NULL",
    [ST_WD_CLAIM] =
        "UPDATE charon_cron_watch SET checked_until = " AT("%s") ", "
        "starts_until = " AT("%s") ", next_deadline = " AT("%s") ", "
        "next_slot = " AT_OR_NULL("%s") " WHERE cron_id = " ID " AND "
        SECS("checked_until") " = " ID " AND " SECS("starts_until") " = " ID,
    [ST_WD_BIND] =
        "UPDATE charon_execution SET slot = " AT("%s") " WHERE cron_id = " ID
        " AND started_at >= " AT("%s") " AND started_at < " AT("%s") " AND "
        LOOSE_START,
    [ST_WD_MISSED] =
        "INSERT IGNORE INTO charon_execution (cron_id, started_at, ended_at, "
        "api_key, remote_addr, slot, missed) SELECT m.cron_id, m.t, m.t, '', "
        "'', m.t, m.kind FROM (SELECT " ID " AS cron_id, " AT("%s") " AS t, "
        "%s AS kind) m",
    [ST_WD_UNSCHEDULED] =
        "UPDATE charon_execution SET unscheduled = TRUE WHERE cron_id = " ID
        " AND started_at >= " AT("%s") " AND started_at < " AT("%s") " AND "
        LOOSE_START,
    [ST_WD_SLOT_STATS] =
        "INSERT INTO charon_cron_stats (cron_id, runs_missed, runs_unknown, "
        "runs_unscheduled, last_missed_at) VALUES (" ID ", %d, %d, %d, "
        AT_OR_NULL("%s") ") ON DUPLICATE KEY UPDATE runs_missed = "
        "runs_missed + VALUES(runs_missed), runs_unknown = runs_unknown + "
        "VALUES(runs_unknown), runs_unscheduled = runs_unscheduled + "
        "VALUES(runs_unscheduled), last_missed_at = CASE WHEN "
        "VALUES(last_missed_at) IS NULL THEN last_missed_at WHEN "
        "last_missed_at IS NULL OR VALUES(last_missed_at) > last_missed_at "
        "THEN VALUES(last_missed_at) ELSE last_missed_at END",
    [ST_WD_WATCH_STATE] =
        "UPDATE charon_cron_watch SET last_slot = " AT("%s") ", last_state = "
        "%s WHERE cron_id = " ID,

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
        "WHERE id = " ID " ON DUPLICATE KEY UPDATE cron_id = cron_id",
    [ST_AL_STATE_LOCK] =
        "UPDATE charon_cron_alert SET bad_streak = bad_streak WHERE cron_id = "
        ID,
    [ST_AL_STATE] =
        "SELECT a.state = 'down', a.bad_streak, a.good_streak, "
        SECS("a.changed_at") ", " SECS("a.alerted_at") ", "
        "c.failure_threshold, c.recovery_threshold, c.realert_every, "
        SECS("c.mute_until") ", c.slug, c.name, " SECS(NOW) " FROM "
        "charon_cron_alert a JOIN charon_cron c ON c.id = a.cron_id WHERE "
        "a.cron_id = " ID,
    [ST_AL_OUTCOMES] =
        "SELECT o.id, o.outcome, o.execution_id, " SECS("o.at") ", "
        SECS("e.started_at") ", " SECS("e.ended_at") ", "
        "ROUND(TIMESTAMPDIFF(MICROSECOND, e.started_at, e.ended_at) / "
        "1000000, 3), " SECS("e.slot") " FROM charon_alert_outcome o LEFT "
        "JOIN charon_execution e ON e.id = o.execution_id WHERE o.cron_id = "
        ID " ORDER BY o.id LIMIT " CHARON_STR(CHARON_AL_OUTCOMES),
    [ST_AL_MESSAGES] =
        "SELECT type, message, " SECS("created_at") " FROM charon_message "
        "WHERE execution_id = " ID " ORDER BY id DESC LIMIT "
        CHARON_STR(CHARON_ALERT_MSGS),
    [ST_AL_OUTCOMES_DONE] =
        "DELETE FROM charon_alert_outcome WHERE id = " ID,
    [ST_AL_STATE_SET] =
        "UPDATE charon_cron_alert SET state = %s, bad_streak = " ID ", "
        "good_streak = " ID ", changed_at = " AT_OR_NULL("%s") ", alerted_at "
        "= " AT_OR_NULL("%s") " WHERE cron_id = " ID,
    [ST_AL_EVENT] = AL_EVENT_INSERT,
    [ST_AL_DELIVERY] =
        "INSERT INTO charon_alert_delivery (event_id, channel, due_at, "
        "created_at) VALUES (" ID ", %s, " NOW ", " NOW ")",
    [ST_AL_CLAIM] =
        "UPDATE charon_alert_delivery SET lease_owner = %s, lease_until = "
        NOW " + INTERVAL " ID " SECOND, attempts = attempts + 1 WHERE "
        "channel = %s AND state = 'pending' AND due_at <= " NOW " AND "
        "(lease_until IS NULL OR lease_until <= " NOW ") ORDER BY due_at "
        "LIMIT " CHARON_STR(CHARON_AL_CLAIM),
    [ST_AL_CLAIM_IDS] =
        "SELECT id FROM charon_alert_delivery WHERE channel = %s AND state = "
        "'pending' AND due_at <= " NOW " AND (lease_until IS NULL OR "
        "lease_until <= " NOW ") ORDER BY due_at LIMIT "
        CHARON_STR(CHARON_AL_CLAIM),
    [ST_AL_CLAIM_BY_IDS] =
        "UPDATE charon_alert_delivery SET lease_owner = %s, lease_until = "
        NOW " + INTERVAL " ID " SECOND, attempts = attempts + 1 WHERE id IN "
        "(" ID ", " ID ", " ID ", " ID ") AND state = 'pending' AND due_at <= "
        NOW " AND (lease_until IS NULL OR lease_until <= " NOW ")",
    [ST_AL_CLAIMED] =
        "SELECT d.id, d.attempts, TIMESTAMPDIFF(SECOND, e.created_at, " NOW
        "), e.uid, e.document FROM charon_alert_delivery d JOIN "
        "charon_alert_event e ON e.id = d.event_id WHERE d.lease_owner = %s "
        "AND d.state = 'pending' ORDER BY d.id",
    [ST_AL_DONE] =
        "UPDATE charon_alert_delivery SET state = %s, due_at = " NOW " + "
        "INTERVAL " ID " SECOND, last_error = NULLIF(%s, ''), delivered_at = "
        "CASE WHEN %s = 'delivered' THEN " NOW " END, lease_until = NULL, "
        "lease_owner = NULL WHERE id = " ID " AND state = 'pending' AND "
        "(lease_owner = %s OR %s = 'delivered')",
    [ST_AL_ATTEMPT] =
        "INSERT INTO charon_alert_attempt (delivery_id, result, status, "
        "error, ms, at) VALUES (" ID ", %s, CAST(NULLIF(%s, '') AS SIGNED), "
        "NULLIF(%s, ''), " ID ", " NOW ")",

    [ST_AL_PURGE] =
        "DELETE FROM charon_alert_event WHERE " OLDER("created_at", ID)
        " AND NOT EXISTS (SELECT 1 FROM charon_alert_delivery d WHERE "
        "d.event_id = charon_alert_event.id AND d.state = 'pending') ORDER "
        "BY id LIMIT " BATCH,
    [ST_MGR_LIST_ALL] = LIST("1 = 1"),
    [ST_MGR_LIST_FAILING] = LIST(FAILING),
    [ST_MGR_LIST_RUNNING] =
        LIST("c.id IN (SELECT e.cron_id FROM charon_execution e WHERE "
             OPEN_RUN("e") ")"),
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
        " FROM charon_cron c" STATS_JOIN RUNNING_JOIN WATCH_JOIN " WHERE c.id "
        "= " ID,
    [ST_MGR_HISTORY] =
        "SELECT " EXEC_COLS " FROM charon_execution e WHERE e.cron_id = " ID
        NEWEST CHARON_STR(CHARON_MGR_HISTORY),
    [ST_MGR_EXECS_FIRST] =
        "SELECT " EXEC_COLS " FROM charon_execution e WHERE e.cron_id = " ID
        NEWEST CHARON_STR(CHARON_MGR_EXECS_LIMIT),
    [ST_MGR_EXECS_BEFORE] =
        "SELECT " EXEC_COLS " FROM charon_execution e WHERE e.cron_id = " ID
        " AND e.started_at <= " BEFORE_TIME " AND (e.started_at < "
        BEFORE_TIME " OR e.id < " ID ")" NEWEST
        CHARON_STR(CHARON_MGR_EXECS_LIMIT),
    [ST_MGR_MESSAGES] =
        "SELECT m.id, m.type, SUBSTR(m.message, 1, "
        CHARON_STR(CHARON_MGR_MESSAGE_CHARS) "), CHAR_LENGTH(m.message), "
        ISO("m.created_at") " FROM charon_message m WHERE m.execution_id = "
        ID " ORDER BY m.id LIMIT " CHARON_STR(CHARON_MGR_MESSAGES_LIMIT),
    [ST_MGR_MESSAGE_COUNT] =
        "SELECT COUNT(*) FROM (SELECT 1 AS x FROM charon_message WHERE "
        "execution_id = " ID " LIMIT " CHARON_STR(CHARON_MGR_COUNT_LIMIT)
        ") t",
    [ST_MGR_CREATE] =
        "INSERT IGNORE INTO charon_cron (slug, name, active, created_at, "
        "concurrency, max_runtime) VALUES (%s, %s, TRUE, " NOW ", %s, "
        "CAST(NULLIF(%s, '') AS SIGNED))",
    [ST_MGR_ID_BY_SLUG] = "SELECT id FROM charon_cron WHERE slug = %s",
    [ST_MGR_EXISTS] = "SELECT id FROM charon_cron WHERE id = " ID,
    [ST_MGR_RENAME] = "UPDATE charon_cron SET name = %s WHERE id = " ID,
    [ST_MGR_OFF] =
        "UPDATE charon_cron SET active = FALSE, off_reason = %s, off_until = "
        "TIMESTAMPADD(SECOND, CAST(NULLIF(%s, '') AS SIGNED), "
        "'1970-01-01 00:00:00') WHERE id = " ID,
    [ST_MGR_ON] =
        "UPDATE charon_cron SET active = TRUE, off_reason = NULL, off_until "
        "= NULL WHERE id = " ID,
    [ST_MGR_POLICY] =
        "UPDATE charon_cron SET concurrency = %s, max_runtime = "
        "CAST(NULLIF(%s, '') AS SIGNED) WHERE id = " ID,
    [ST_MGR_SCHEDULE] =
        "UPDATE charon_cron SET schedule = NULLIF(%s, ''), timezone = "
        "NULLIF(%s, ''), grace = %d, min_runtime = CAST(NULLIF(%s, '') AS "
        "SIGNED) WHERE id = " ID,

    [ST_METRICS_CRONS] =
        "SELECT c.slug, CASE WHEN " ON("c") " THEN 1 ELSE 0 END, "
        "COALESCE(o.n, 0), " EPOCH("(SELECT e.started_at FROM "
        "charon_execution e WHERE e.cron_id = c.id AND e.missed IS NULL "
        "ORDER BY e.started_at DESC LIMIT 1)") ", "
        EPOCH("s.last_success_at") ", " EPOCH("s.last_failure_at") ", "
        "s.last_duration, COALESCE(s.runs_succeeded, 0), "
        "COALESCE(s.runs_failed, 0), COALESCE(s.runs_lost, 0), "
        "c.refused_inactive + c.refused_locked, COALESCE(s.runs_missed, 0), "
        "COALESCE(s.runs_unknown, 0), COALESCE(s.runs_unscheduled, 0), "
        "c.schedule, c.timezone, CASE WHEN " WATCH_SAME " THEN "
        SECS("w.next_slot") " END, CASE WHEN a.state = 'down' THEN 1 ELSE 0 "
        "END FROM charon_cron c" STATS_JOIN RUNNING_JOIN WATCH_JOIN ALERT_JOIN
        " ORDER BY c.id",
    [ST_HEALTH_ALIVE] = "SELECT 1 FROM charon_cron LIMIT 1",
    [ST_HEALTH_FAILING] =
        "SELECT c.slug, COUNT(*) OVER () FROM charon_cron_stats s JOIN "
        "charon_cron c ON c.id = s.cron_id WHERE s.last_failure_at IS NOT "
        "NULL AND (s.last_success_at IS NULL OR s.last_failure_at > "
        "s.last_success_at) ORDER BY c.slug LIMIT "
        CHARON_STR(CHARON_HEALTH_LISTED),
    [ST_HEALTH_MISSED] =
        "SELECT c.slug, COUNT(*) OVER () FROM charon_cron_watch w JOIN "
        "charon_cron c ON c.id = w.cron_id WHERE w.last_state = 'missed' AND "
        WATCH_SAME " ORDER BY c.slug LIMIT " CHARON_STR(CHARON_HEALTH_LISTED),

    /* ---- the manager, metrics and health: alerts ---- */
    [ST_MGR_ALERT] =
        "SELECT COALESCE(a.state, 'up'), " ISO("a.changed_at") ", "
        "COALESCE(a.bad_streak, 0), COALESCE(a.good_streak, 0), "
        ISO("a.alerted_at") ", c.failure_threshold, c.recovery_threshold, "
        "c.realert_every, " ISO("c.mute_until") ", CASE WHEN c.mute_until > "
        NOW " THEN 1 ELSE 0 END FROM charon_cron c LEFT JOIN "
        "charon_cron_alert a ON a.cron_id = c.id WHERE c.id = " ID,
    [ST_MGR_ALERT_POLICY] =
        "UPDATE charon_cron SET failure_threshold = %d, recovery_threshold = "
        "%d, realert_every = CAST(NULLIF(%s, '') AS SIGNED) WHERE id = " ID,
    [ST_MGR_MUTE] =
        "UPDATE charon_cron SET mute_until = " NOW " + INTERVAL " ID " SECOND "
        "WHERE id = " ID,
    [ST_MGR_UNMUTE] =
        "UPDATE charon_cron SET mute_until = NULL WHERE id = " ID,
    [ST_MGR_EVENTS_FIRST] = EVENTS("TRUE"),
    [ST_MGR_EVENTS_BEFORE] = EVENTS("e.id < " ID),
    /* The page's events are a range of ids: one read through the unique
     * key (event_id, channel) for all their deliveries. */
    [ST_MGR_EVENT_DELIVERIES] =
        "SELECT d.event_id, d.channel, d.state, d.attempts, " ISO("d.due_at")
        ", " ISO("d.delivered_at") ", d.last_error, CASE WHEN d.lease_until "
        "> " NOW " THEN 1 ELSE 0 END FROM charon_alert_delivery d WHERE "
        "d.event_id BETWEEN " ID " AND " ID " ORDER BY d.event_id DESC, "
        "d.channel LIMIT " CHARON_STR(CHARON_MGR_DELIVERIES_LIMIT),
    [ST_METRICS_ALERT_STATS] =
        "SELECT channel, result, attempts FROM charon_alert_stats ORDER BY "
        "channel, result",
    [ST_METRICS_ALERT_QUEUE] =
        "SELECT COUNT(*), COALESCE(TIMESTAMPDIFF(MICROSECOND, "
        "MIN(e.created_at), " NOW ") / 1e6, 0) FROM charon_alert_delivery d "
        "JOIN charon_alert_event e ON e.id = d.event_id WHERE d.state = "
        "'pending'",
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
    [ST_ADM_CRON_LOCK] =
        "SELECT " ADM_COLS " FROM charon_cron c WHERE c.slug = %s FOR "
        "UPDATE",
    [ST_ADM_CRONS] =
        "SELECT " ADM_COLS " FROM charon_cron c WHERE c.slug > %s ORDER BY "
        "c.slug LIMIT " CHARON_STR(CHARON_ADM_ROWS),
    [ST_ADM_CRON_INSERT] =
        "INSERT IGNORE INTO charon_cron (slug, name, active, off_reason, off_until, "
        "concurrency, max_runtime, schedule, timezone, grace, min_runtime, "
        "failure_threshold, recovery_threshold, realert_every, mute_until, "
        "created_at) VALUES (%s, %s, " BOOL("%s") ", NULLIF(%s, ''), "
        ADM_AT("%s") ", %s, " ADM_INT("%s") ", NULLIF(%s, ''), NULLIF(%s, "
        "''), " INT("%s") ", " ADM_INT("%s") ", " INT("%s") ", " INT("%s")
        ", " ADM_INT("%s") ", " ADM_AT("%s") ", " NOW ")",
    [ST_ADM_CRON_UPDATE] =
        "UPDATE charon_cron SET slug = %s, name = %s, active = " BOOL("%s")
        ", off_reason = NULLIF(%s, ''), off_until = " ADM_AT("%s")
        ", concurrency = %s, max_runtime = " ADM_INT("%s") ", schedule = "
        "NULLIF(%s, ''), timezone = NULLIF(%s, ''), grace = " INT("%s")
        ", min_runtime = " ADM_INT("%s") ", failure_threshold = " INT("%s")
        ", recovery_threshold = " INT("%s") ", realert_every = "
        ADM_INT("%s") ", mute_until = " ADM_AT("%s") " WHERE id = " ID "",
    [ST_ADM_CRON_HAS_EXECS] =
        "SELECT 1 FROM charon_execution WHERE cron_id = " ID " LIMIT 1",
    [ST_ADM_CRON_DELETE] = "DELETE FROM charon_cron WHERE id = " ID "",
    [ST_ADM_EXECS] =
        "SELECT " ADM_EXEC_COLS " WHERE e.cron_id = " ID " AND e.id < "
        "COALESCE(" ADM_INT("%s") ", 9223372036854775807) AND "
        "COALESCE(NULLIF(%s, ''), " OUTCOME ") = " OUTCOME " AND "
        "e.started_at >= COALESCE(" ADM_AT("%s") ", e.started_at) AND "
        "e.started_at <= COALESCE(" ADM_AT("%s") " - INTERVAL 1 "
        "MICROSECOND, e.started_at) ORDER BY e.id DESC LIMIT "
        CHARON_STR(CHARON_ADM_ROWS),
    [ST_ADM_EXEC] = "SELECT " ADM_EXEC_COLS " WHERE e.id = " ID "",
    [ST_ADM_MESSAGES] =
        "SELECT m.id, m.type, m.message, " ISO("m.created_at") " FROM "
        "charon_message m WHERE m.execution_id = " ID " AND m.id > COALESCE("
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

/* MariaDB 10.5+: the new row's id comes back with the INSERT. */
const char *const charon_mysql_mariadb_sql[ST_COUNT] = {
    [ST_AL_EVENT] = AL_EVENT_INSERT " RETURNING id",
    [ST_START] = START_INSERT " RETURNING id",
    [ST_MESSAGE] = MESSAGE_INSERT " RETURNING id",
    [ST_LAST_ID] = CHARON_SQL_NONE,
};

/* clang-format on */
