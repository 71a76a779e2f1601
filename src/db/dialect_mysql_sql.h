/*
 * dialect_mysql_sql.h: the pieces MySQL's statements are written with
 * (dialect_mysql_sql.c): how an id is bound, times, whether a cron is on,
 * the columns the manager and the management API read.  Private to that
 * file.
 */
#ifndef CHARON_DIALECT_MYSQL_SQL_H
#define CHARON_DIALECT_MYSQL_SQL_H

#include "db/dialect.h"

/* The SQL is laid out for reading, not by clang-format. */
/* clang-format off */
#define BATCH CHARON_STR(CHARON_DB_BATCH)

#define ID            "CAST(%s AS SIGNED)"
#define NOW           "UTC_TIMESTAMP(6)"
#define ISO(t)        "DATE_FORMAT(" t ", '%%Y-%%m-%%dT%%H:%%i:%%sZ')"
#define PASSED(t)     "(" t " <= " NOW ")"
#define OLDER(t, s)   "(" t " < " NOW " - INTERVAL " s " SECOND)"
#define OVERDUE(t, s) "(" t " + INTERVAL " s " SECOND <= " NOW ")"
#define ON(c)         c ".active OR (" c ".off_until IS NOT NULL AND "       \
                      PASSED(c ".off_until") ")"
/* A missed slot is kept like a failure, an unknown one like a success. */
#define KIND          "CASE WHEN e.success OR e.missed = 'unknown' THEN 1 "  \
                      "WHEN e.ended_at IS NULL AND e.lost_at IS NULL THEN 2 "\
                      "ELSE 0 END"
/* Whole Unix seconds, both ways, for the watchdog's judgments. */
#define EPOCH_0       "'1970-01-01 00:00:00'"
#define SECS(t)       "TIMESTAMPDIFF(SECOND, " EPOCH_0 ", " t ")"
#define AT(x)         "TIMESTAMPADD(SECOND, CAST(" x " AS SIGNED), "         \
                      EPOCH_0 ")"
#define AT_OR_NULL(x) AT("NULLIF(" x ", '')")
#define AL_EVENT_INSERT                                                      \
    "INSERT INTO charon_alert_event (uid, cron_id, event, muted, document, " \
    "created_at) VALUES (%s, CAST(NULLIF(%s, '') AS SIGNED), %s, " ID " <> " \
    "0, %s, " NOW ")"
#define WATCH_SAME    "(w.schedule = c.schedule AND w.timezone <=> "         \
                      "c.timezone AND w.grace = c.grace)"
/* A batch of watched crons, joined as the watchdog's other writes do. */
#define WATCH_BATCH(where)                                                   \
    "(SELECT w.cron_id FROM charon_cron_watch w JOIN charon_cron c ON c.id " \
    "= w.cron_id WHERE " where " LIMIT " BATCH ") batch STRAIGHT_JOIN "      \
    "charon_cron_watch ON charon_cron_watch.cron_id = batch.cron_id"
/* A watch begins with the slots after now: those of its grace before
 * now came before anyone said when the cron runs. */
#define FROM_NOW      NOW " + INTERVAL c.grace SECOND"
#define LOOSE_START   "slot IS NULL AND missed IS NULL AND NOT unscheduled"
#define DUE           "CASE WHEN w.next_slot <= " NOW " AND w.error IS NULL "\
                      "AND " WATCH_SAME " AND NOT EXISTS (SELECT 1 FROM "    \
                      "charon_execution d WHERE d.cron_id = c.id AND "       \
                      "d.started_at >= w.next_slot - INTERVAL 60 SECOND AND "\
                      "d.missed IS NULL) THEN 1 ELSE 0 END"
/* Shorter than its cron's min_runtime, as it ends now. */
#define TOO_SHORT     "too_short = COALESCE((SELECT " NOW " < "              \
                      "charon_execution.started_at + INTERVAL c.min_runtime "\
                      "SECOND FROM charon_cron c WHERE c.id = "              \
                      "charon_execution.cron_id), FALSE)"

/* A run past max_runtime that the watchdog has not marked yet holds no
 * lock. */
#define CRON_STATE                                                           \
    "SELECT c.id, c.slug, CASE WHEN " ON("c") " THEN 1 ELSE 0 END, "         \
    "c.off_reason, " ISO("c.off_until") ", CASE WHEN c.concurrency = "       \
    "'forbid' THEN (SELECT MIN(e.id) FROM charon_execution e WHERE "         \
    "e.lock_cron_id = c.id AND (c.max_runtime IS NULL OR NOT "               \
    OVERDUE("e.started_at", "c.max_runtime") ")) END FROM charon_cron c "

/* IGNORE: the overlap lock's unique key turns the insert into nothing.
 * (IGNORE would also truncate a value too long: every value is checked
 * before.) */
#define START_INSERT                                                         \
    "INSERT IGNORE INTO charon_execution (cron_id, started_at, api_key, "    \
    "remote_addr, forbid_overlap) SELECT id, " NOW ", %s, %s, CASE WHEN "    \
    "concurrency = 'forbid' THEN TRUE ELSE FALSE END FROM charon_cron "      \
    "WHERE id = " ID " AND (active OR (off_until IS NOT NULL AND "           \
    PASSED("off_until") "))"
#define MESSAGE_INSERT                                                       \
    "INSERT INTO charon_message (execution_id, type, message, created_at) "  \
    "SELECT id, %s, %s, " NOW " FROM charon_execution WHERE id = " ID

/* MariaDB does not turn DELETE ... WHERE key IN (subquery) into a
 * semi-join: it scanned and locked every row of charon_execution.  The
 * watchdog's writes join their batch instead, STRAIGHT_JOIN so that the
 * batch comes first even when the statistics call the table empty. */
#define LOSE_BATCH                                                           \
    "(SELECT e.id FROM charon_cron c JOIN charon_execution e ON e.cron_id = "\
    "c.id WHERE c.max_runtime IS NOT NULL AND e.ended_at IS NULL AND "       \
    "e.lost_at IS NULL AND " OVERDUE("e.started_at", "c.max_runtime")        \
    " LIMIT " BATCH ") batch"

/* ---- the manager's list ------------------------------------------------ */

#define FAILING       "(s.last_failure_at IS NOT NULL AND "                  \
                      "(s.last_success_at IS NULL OR "                       \
                      "(s.last_failure_at > s.last_success_at)))"
#define OPEN_RUN(e)   e ".ended_at IS NULL AND " e ".lost_at IS NULL"
/* charon_execution_open is (ended_at, lost_at) here, which a probe by
 * cron cannot seek: the open runs are read once through it, grouped. */
#define RUNNING_JOIN  " LEFT JOIN (SELECT cron_id, COUNT(*) AS n FROM "      \
                      "charon_execution WHERE "                              \
                      OPEN_RUN("charon_execution") " GROUP BY cron_id) o "   \
                      "ON o.cron_id = c.id"
#define CRON_COLS                                                            \
    "c.id, c.slug, c.name, CASE WHEN (" ON("c") ") THEN 1 ELSE 0 END, "      \
    "c.off_reason, " ISO("c.off_until") ", c.concurrency, c.max_runtime, "   \
    "COALESCE(s.runs_succeeded, 0), COALESCE(s.runs_failed, 0), "            \
    "COALESCE(s.runs_lost, 0), c.refused_inactive, c.refused_locked, "       \
    "CASE WHEN " FAILING " THEN 1 ELSE 0 END, COALESCE(o.n, 0), "            \
    "c.schedule, CASE WHEN " WATCH_SAME " THEN 1 ELSE 0 END, w.error, "      \
    "w.last_state, " DUE ", c.timezone"
#define STATS_JOIN    " LEFT JOIN charon_cron_stats s ON s.cron_id = c.id"
#define WATCH_JOIN    " LEFT JOIN charon_cron_watch w ON w.cron_id = c.id"
/* No placeholder in LIMIT: the rows are numbered instead (charon_cron is
 * read whole either way, as OFFSET does), the offset joined as a one-row
 * table so that it is bound once.  Slugs are VARBINARY: compared as text
 * here, in a case-insensitive collation. */
#define LIST(filter)                                                         \
    "SELECT " CRON_COLS " FROM (SELECT p.id, p.slug, ROW_NUMBER() OVER "     \
    "(ORDER BY p.slug) AS rn FROM (SELECT c.id, c.slug FROM charon_cron c"   \
    STATS_JOIN " WHERE CONVERT(c.slug USING utf8mb4) COLLATE "               \
    "utf8mb4_general_ci LIKE %s ESCAPE '!' AND " filter ") p) p JOIN "       \
    "(SELECT CAST(%s AS SIGNED) AS done_rows) k JOIN charon_cron c ON c.id " \
    "= p.id" STATS_JOIN RUNNING_JOIN WATCH_JOIN " WHERE p.rn > k.done_rows "  \
    "AND p.rn <= "                                                           \
    "k.done_rows + " CHARON_STR(CHARON_MGR_CRONS_LIMIT) " ORDER BY p.slug"

#define EXEC_COLS                                                            \
    "e.id, " ISO("e.started_at") ", " ISO("e.ended_at") ", "                 \
    ISO("e.lost_at") ", CASE WHEN e.missed IS NOT NULL THEN e.missed WHEN "  \
    "e.lost_at IS NOT NULL THEN 'lost' WHEN e.ended_at IS NULL THEN "        \
    "'running' WHEN e.success THEN 'success' ELSE 'failure' END, "           \
    "(TIMESTAMPDIFF(MICROSECOND, e.started_at, COALESCE(e.ended_at, "        \
    "e.lost_at, " NOW ")) / 1000000), e.type, e.api_key, e.remote_addr, "    \
    ISO("e.slot") ", CASE WHEN e.unscheduled THEN 1 ELSE 0 END, CASE WHEN "  \
    "e.too_short THEN 1 ELSE 0 END"
#define NEWEST        " ORDER BY e.started_at DESC, e.id DESC LIMIT "
#define BEFORE_TIME   "(SELECT k.started_at FROM charon_execution k WHERE "  \
                      "k.id = " ID ")"

/* UNIX_TIMESTAMP() would read a DATETIME in the session's zone; the
 * difference from the epoch does not. */
#define EPOCH(t)      "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', " t \
                      ") / 1e6"

/* ALERT_JOIN, EVENTS, ADM_COLS, OUTCOME, ADM_EXEC_COLS: the same text in
 * every dialect. */
#include "db/dialect_shared_sql.h"

/* The management API's: a value that may be none. */
#define ADM_INT(x)    "CAST(NULLIF(" x ", '') AS SIGNED)"
#define ADM_AT(x)     AT_OR_NULL(x)
#define INT(x)        "CAST(" x " AS SIGNED)"
#define BOOL(x)       "(CAST(" x " AS SIGNED) <> 0)"
/* clang-format on */

#endif /* CHARON_DIALECT_MYSQL_SQL_H */
