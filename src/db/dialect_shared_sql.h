/*
 * dialect_shared_sql.h: SQL pieces whose text is the same in every
 * dialect, built from the two each dialect defines before including this:
 * ISO(t), a timestamp as ISO 8601 UTC text, and ON(c), whether cron c is
 * on (EXEC_COLS too, for ADM_EXEC_COLS).  Included by dialect_sqlite_sql.c, dialect_pgsql_sql.c and
 * dialect_mysql_sql.h only.
 */
#ifndef CHARON_DIALECT_SHARED_SQL_H
#define CHARON_DIALECT_SHARED_SQL_H

/* The SQL is laid out for reading, not by clang-format. */
/* clang-format off */

/* ---- the manager, metrics and health: alerts --------------------------- */

#define ALERT_JOIN    " LEFT JOIN charon_cron_alert a ON a.cron_id = c.id"
#define EVENTS(where)                                                        \
    "SELECT e.id, e.uid, e.cron_id, c.slug, e.event, CASE WHEN e.muted "     \
    "THEN 1 ELSE 0 END, " ISO("e.created_at") ", e.document FROM "           \
    "charon_alert_event e LEFT JOIN charon_cron c ON c.id = e.cron_id WHERE "\
    where " ORDER BY e.id DESC LIMIT " CHARON_STR(CHARON_MGR_EVENTS_LIMIT)

/* The management API's: a cron's document. */
#define ADM_COLS                                                             \
    "c.id, c.slug, c.name, " ISO("c.created_at") ", CASE WHEN c.active "     \
    "THEN 1 ELSE 0 END, c.off_reason, " ISO("c.off_until") ", "              \
    "c.concurrency, c.max_runtime, c.schedule, c.timezone, c.grace, "        \
    "c.min_runtime, c.failure_threshold, c.recovery_threshold, "             \
    "c.realert_every, " ISO("c.mute_until") ", CASE WHEN (" ON("c") ") "     \
    "THEN 1 ELSE 0 END"
/* An execution's outcome, and its row as the management API gives it
 * (EXEC_COLS is the dialect's). */
#define OUTCOME       "CASE WHEN e.missed IS NOT NULL THEN e.missed WHEN "   \
                      "e.lost_at IS NOT NULL THEN 'lost' WHEN e.ended_at IS "\
                      "NULL THEN 'running' WHEN e.success THEN 'success' "   \
                      "ELSE 'failure' END"
#define ADM_EXEC_COLS                                                        \
    EXEC_COLS ", CASE WHEN e.success IS NULL THEN NULL WHEN e.success THEN " \
    "1 ELSE 0 END, c.slug FROM charon_execution e JOIN charon_cron c ON "    \
    "c.id = e.cron_id"

/* clang-format on */

#endif /* CHARON_DIALECT_SHARED_SQL_H */
