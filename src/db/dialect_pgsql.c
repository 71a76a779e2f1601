/*
 * dialect_pgsql.c: every statement of the module in PostgreSQL's SQL.
 *
 * Ids are bound as %lld: the driver prepares with the placeholder's type,
 * and %s (varchar) cannot be compared with a bigint.  Times are
 * timestamptz, shown as ISO 8601 UTC.  Every statement runs under the
 * connection's 5 s statement_timeout, so a lock held on a table becomes a
 * 503 rather than a request that waits.
 */
#include "db/dialect.h"

#include <string.h>

/* The SQL is laid out for reading, not by clang-format. */
/* clang-format off */
#define BATCH CHARON_STR(CHARON_DB_BATCH)

#define ISO(t)        "to_char(" t " AT TIME ZONE 'UTC', "                   \
                      "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define PASSED(t)     "(" t " <= now())"
#define OLDER(t, s)   "(" t " < now() - make_interval(secs => " s "))"
#define OVERDUE(t, s) "(" t " + " s " * interval '1 second' <= now())"
/* The cron may start now: on, or switched off until a time now past. */
#define ON(c)         c ".active OR (" c ".off_until IS NOT NULL AND "       \
                      PASSED(c ".off_until") ")"
/* The same predicate as the partial unique index, so that it is used. */
#define LOCK_HOLDER   "e.cron_id = c.id AND e.forbid_overlap AND "           \
                      "e.ended_at IS NULL AND e.lost_at IS NULL"
/* 1 success, 2 running, 0 failure (ended unsuccessfully, or lost). */
#define KIND          "CASE WHEN e.success THEN 1 WHEN e.ended_at IS NULL "  \
                      "AND e.lost_at IS NULL THEN 2 ELSE 0 END"

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
    "SELECT id, %s, %s, now() FROM charon_execution WHERE id = %lld"

/* id = ANY (ARRAY(batch)) computes the batch once and finds each row by
 * its key, whatever plan the statement was prepared with (an UPDATE ...
 * FROM prepared on an empty table kept a plan that read all of it). */
#define LOSE_BATCH                                                           \
    "SELECT e.id FROM charon_cron c JOIN charon_execution e ON e.cron_id = " \
    "c.id WHERE c.max_runtime IS NOT NULL AND e.ended_at IS NULL AND "       \
    "e.lost_at IS NULL AND " OVERDUE("e.started_at", "c.max_runtime")        \
    " LIMIT " BATCH

/* ---- the manager's list ------------------------------------------------ */

#define FAILING       "(s.last_failure_at IS NOT NULL AND "                  \
                      "(s.last_success_at IS NULL OR "                       \
                      "(s.last_failure_at > s.last_success_at)))"
#define OPEN_RUN      "e.ended_at IS NULL AND e.lost_at IS NULL"
#define CRON_COLS                                                            \
    "c.id, c.slug, c.name, CASE WHEN (" ON("c") ") THEN 1 ELSE 0 END, "      \
    "c.off_reason, " ISO("c.off_until") ", c.concurrency, c.max_runtime, "   \
    "COALESCE(s.runs_succeeded, 0), COALESCE(s.runs_failed, 0), "            \
    "COALESCE(s.runs_lost, 0), c.refused_inactive, c.refused_locked, "       \
    "CASE WHEN " FAILING " THEN 1 ELSE 0 END, (SELECT COUNT(*) FROM "        \
    "charon_execution e WHERE e.cron_id = c.id AND " OPEN_RUN ")"
#define STATS_JOIN    " LEFT JOIN charon_cron_stats s ON s.cron_id = c.id"
/* The page's ids first (a filter may read every cron), then the columns
 * and probes of those rows only. */
#define LIST(filter)                                                         \
    "SELECT " CRON_COLS " FROM (SELECT c.id, c.slug FROM charon_cron c"      \
    STATS_JOIN " WHERE c.slug ILIKE %s ESCAPE '!' AND " filter " ORDER BY "  \
    "c.slug LIMIT " CHARON_STR(CHARON_MGR_CRONS_LIMIT) " OFFSET %d) p JOIN " \
    "charon_cron c ON c.id = p.id" STATS_JOIN " ORDER BY p.slug"

#define EXEC_COLS                                                            \
    "e.id, " ISO("e.started_at") ", " ISO("e.ended_at") ", "                 \
    ISO("e.lost_at") ", CASE WHEN e.lost_at IS NOT NULL THEN 'lost' WHEN "   \
    "e.ended_at IS NULL THEN 'running' WHEN e.success THEN 'success' ELSE "  \
    "'failure' END, EXTRACT(EPOCH FROM (COALESCE(e.ended_at, e.lost_at, "    \
    "now()) - e.started_at)), e.type, e.api_key, e.remote_addr"
#define NEWEST        " ORDER BY e.started_at DESC, e.id DESC LIMIT "
#define BEFORE_TIME   "(SELECT k.started_at FROM charon_execution k WHERE "  \
                      "k.id = %lld)"

#define EPOCH(t)      "EXTRACT(EPOCH FROM " t ")"

static const char *const sql[ST_COUNT] = {
    [ST_CRON_BY_SLUG] = CRON_STATE "WHERE c.slug = %s",
    [ST_CRON_BY_ID] = CRON_STATE "WHERE c.id = %lld",
    [ST_EXECUTION_SLUG] =
        "SELECT c.slug FROM charon_execution e JOIN charon_cron c ON c.id = "
        "e.cron_id WHERE e.id = %lld",
    [ST_EXECUTION_ENDED] =
        "SELECT CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END FROM "
        "charon_execution WHERE id = %lld",
    /* Nothing unless the cron exists and is on; nothing when the overlap
     * lock (the unique index) is taken. */
    [ST_START] =
        "INSERT INTO charon_execution (cron_id, started_at, api_key, "
        "remote_addr, forbid_overlap) SELECT id, now(), %s, %s, CASE WHEN "
        "concurrency = 'forbid' THEN TRUE ELSE FALSE END FROM charon_cron "
        "WHERE id = %lld AND (active OR (off_until IS NOT NULL AND "
        PASSED("off_until") ")) ON CONFLICT DO NOTHING "
        "RETURNING id",
    [ST_LOSE_OVERDUE] =
        "UPDATE charon_execution SET lost_at = now() WHERE cron_id = %lld "
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
    /* The condition on ended_at makes ending exactly-once. */
    [ST_END] =
        "UPDATE charon_execution SET ended_at = now(), success = (%d <> 0), "
        "type = %s WHERE id = %lld AND ended_at IS NULL RETURNING "
        ISO("lost_at"),
    /* A data-modifying WITH is one statement: both rows or neither. */
    [ST_END_WITH_MESSAGE] =
        "WITH e AS (UPDATE charon_execution SET ended_at = now(), success = "
        "(%d <> 0), type = %s WHERE id = %lld AND ended_at IS NULL "
        "RETURNING id, lost_at), m AS (INSERT INTO charon_message "
        "(execution_id, type, message, created_at) SELECT id, %s, %s, now() "
        "FROM e) SELECT " ISO("lost_at") " FROM e",
    [ST_MESSAGE] = MESSAGE_INSERT " RETURNING id",
    [ST_END_MESSAGE] = MESSAGE_INSERT,
    [ST_IDEM_GET] =
        "SELECT request, status, response, CASE WHEN "
        OLDER("created_at", "%d") " THEN 1 ELSE 0 END FROM "
        "charon_idempotency WHERE key_name = %s AND idem_key = %s",
    /* Run only when there is such a row (see ops/idempotency.c). */
    [ST_IDEM_EXPIRE] =
        "DELETE FROM charon_idempotency WHERE key_name = %s AND idem_key = "
        "%s AND " OLDER("created_at", "%d"),
    [ST_IDEM_PUT] =
        "INSERT INTO charon_idempotency (key_name, idem_key, request, "
        "status, response, created_at) VALUES (%s, %s, %s, %d, %s, now()) "
        "ON CONFLICT DO NOTHING",

    [ST_WD_LOSE] =
        "UPDATE charon_execution SET lost_at = now() WHERE id = ANY (ARRAY("
        LOSE_BATCH ")) AND charon_execution.ended_at IS NULL AND "
        "charon_execution.lost_at IS NULL",
    [ST_WD_REOPEN] =
        "UPDATE charon_cron SET active = TRUE, off_reason = NULL, off_until "
        "= NULL WHERE active = FALSE AND off_until IS NOT NULL AND "
        PASSED("off_until"),
    [ST_WD_IDEM_PURGE] =
        "DELETE FROM charon_idempotency WHERE (key_name, idem_key) IN "
        "(SELECT key_name, idem_key FROM (SELECT key_name, idem_key FROM "
        "charon_idempotency WHERE " OLDER("created_at", "%d") " LIMIT "
        BATCH ") batch)",
    [ST_WD_NEXT_CRON] = "SELECT MIN(id) FROM charon_cron WHERE id > %lld",
    /* One cron's runs are ranked through charon_execution_cron, never the
     * whole table. */
    [ST_WD_RETENTION] =
        "DELETE FROM charon_execution WHERE id = ANY (ARRAY(SELECT id FROM "
        "(SELECT r.id FROM (SELECT e.id, e.started_at, " KIND " AS kind, "
        "ROW_NUMBER() OVER (ORDER BY e.id DESC) AS run_rank, ROW_NUMBER() "
        "OVER (PARTITION BY " KIND " ORDER BY e.id DESC) AS kind_rank FROM "
        "charon_execution e WHERE e.cron_id = %lld) r WHERE r.kind <> 2 AND "
        "((%d > 0 AND r.run_rank > %d) OR (%d > 0 AND "
        OLDER("r.started_at", "%d") ")) AND NOT (r.kind = 0 AND "
        "r.kind_rank <= %d) LIMIT " BATCH ") batch))",

    [ST_MGR_LIST_ALL] = LIST("1 = 1"),
    [ST_MGR_LIST_FAILING] = LIST(FAILING),
    [ST_MGR_LIST_RUNNING] =
        LIST("c.id IN (SELECT e.cron_id FROM charon_execution e WHERE "
             OPEN_RUN ")"),
    [ST_MGR_LIST_OFF] = LIST("NOT (" ON("c") ")"),
    /* Its latest finished run was lost: one probe per cron, backwards
     * through charon_execution_cron. */
    [ST_MGR_LIST_LOST] =
        LIST("(SELECT CASE WHEN e.lost_at IS NULL THEN 0 ELSE 1 END FROM "
             "charon_execution e WHERE e.cron_id = c.id AND (e.ended_at IS "
             "NOT NULL OR e.lost_at IS NOT NULL) ORDER BY e.started_at DESC, "
             "e.id DESC LIMIT 1) = 1"),
    [ST_MGR_CRON] =
        "SELECT " CRON_COLS ", " ISO("c.created_at") ", "
        ISO("s.last_success_at") ", " ISO("s.last_failure_at") ", "
        ISO("s.last_ended_at") ", s.last_duration FROM charon_cron c"
        STATS_JOIN " WHERE c.id = %lld",
    [ST_MGR_HISTORY] =
        "SELECT " EXEC_COLS " FROM charon_execution e WHERE e.cron_id = %lld"
        NEWEST CHARON_STR(CHARON_MGR_HISTORY),
    [ST_MGR_EXECS_FIRST] =
        "SELECT " EXEC_COLS " FROM charon_execution e WHERE e.cron_id = %lld"
        NEWEST CHARON_STR(CHARON_MGR_EXECS_LIMIT),
    /* Keyset on (started_at, id); the cursor's start from scalar
     * subqueries, evaluated once (joined, it kept the index from being
     * read in order). */
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
    /* A prepared statement is planned for its arguments five times, then
     * may keep a plan for any: one that assumed every cron has the
     * average number of runs read all of a big cron's runs for each page.
     * The manager's reads are planned for their own arguments. */
    [ST_MGR_CUSTOM_PLANS] =
        "SELECT set_config('plan_cache_mode', 'force_custom_plan', TRUE)",
    /* The unique index decides: two operators creating one slug at once
     * get one cron. */
    [ST_MGR_CREATE] =
        "INSERT INTO charon_cron (slug, name, active, created_at, "
        "concurrency, max_runtime) VALUES (%s, %s, TRUE, now(), %s, "
        "CAST(NULLIF(%s, '') AS INTEGER)) ON CONFLICT (slug) DO NOTHING",
    [ST_MGR_ID_BY_SLUG] = "SELECT id FROM charon_cron WHERE slug = %s",
    [ST_MGR_EXISTS] = "SELECT id FROM charon_cron WHERE id = %lld",
    [ST_MGR_RENAME] = "UPDATE charon_cron SET name = %s WHERE id = %lld",
    [ST_MGR_OFF] =
        "UPDATE charon_cron SET active = FALSE, off_reason = %s, off_until = "
        "to_timestamp(CAST(NULLIF(%s, '') AS DOUBLE PRECISION)) WHERE id = "
        "%lld",
    [ST_MGR_ON] =
        "UPDATE charon_cron SET active = TRUE, off_reason = NULL, off_until "
        "= NULL WHERE id = %lld",
    [ST_MGR_POLICY] =
        "UPDATE charon_cron SET concurrency = %s, max_runtime = "
        "CAST(NULLIF(%s, '') AS INTEGER) WHERE id = %lld",

    /* What the triggers keep in charon_cron_stats, and two probes per
     * cron: its latest start (backwards through charon_execution_cron) and
     * its open runs (the partial index charon_execution_open). */
    [ST_METRICS_CRONS] =
        "SELECT c.slug, CASE WHEN " ON("c") " THEN 1 ELSE 0 END, (SELECT "
        "COUNT(*) FROM charon_execution e WHERE e.cron_id = c.id AND "
        OPEN_RUN "), " EPOCH("(SELECT e.started_at FROM charon_execution e "
        "WHERE e.cron_id = c.id ORDER BY e.started_at DESC LIMIT 1)") ", "
        EPOCH("s.last_success_at") ", " EPOCH("s.last_failure_at") ", "
        "s.last_duration, COALESCE(s.runs_succeeded, 0), "
        "COALESCE(s.runs_failed, 0), COALESCE(s.runs_lost, 0), "
        "c.refused_inactive + c.refused_locked FROM charon_cron c"
        STATS_JOIN " ORDER BY c.id",
    [ST_HEALTH_ALIVE] = "SELECT 1 FROM charon_cron LIMIT 1",
    [ST_HEALTH_FAILING] =
        "SELECT c.slug, COUNT(*) OVER () FROM charon_cron_stats s JOIN "
        "charon_cron c ON c.id = s.cron_id WHERE s.last_failure_at IS NOT "
        "NULL AND (s.last_success_at IS NULL OR s.last_failure_at > "
        "s.last_success_at) ORDER BY c.slug LIMIT "
        CHARON_STR(CHARON_HEALTH_LISTED),
};

/* clang-format on */

static const char *const init[] = {
    "SET client_encoding TO 'UTF8'",
    /* A statement that waits longer (a lock held on a table) is cancelled
     * by the server: the request gets 503 instead of waiting. */
    "SET statement_timeout = '5s'", NULL};

/* The driver keeps no SQLSTATE.  What is known: after a database restart
 * the connection is reset and forgets its prepared statements, and the
 * error then names the statement's own label ("prepared statement
 * \"charon_g0_s4\" does not exist", in whatever language the server
 * speaks).  Nothing else is run again: it may have been written. */
static int classify(int rv, const char *error, const char *label)
{
    (void)rv;
    if (label && error && strstr(error, label)) {
        return CHARON_ERR_RETRY | CHARON_ERR_FORGET;
    }
    return 0;
}

const charon_dialect_t charon_dialect_pgsql = {
    "pgsql", "pgsql", NULL, NULL, "BEGIN", init, sql, NULL, classify};
