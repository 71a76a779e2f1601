/*
 * charon_manager_sql.c: the manager page's statements, once per database.
 *
 * Each statement is written once as a macro over a dialect prefix (PG_,
 * MY_, SQ_) and instantiated three times.  Every value is a placeholder;
 * the only numbers in the text are this file's page sizes (MySQL cannot
 * take LIMIT from a placeholder).
 *
 * Cost: charon_cron (one row per cron) may be read whole to filter and
 * page it; charon_execution and charon_message (millions of rows) only
 * by index: a cron's runs through charon_execution_cron (cron_id,
 * started_at), newest first, LIMIT n; open runs through
 * charon_execution_open; messages through charon_message_execution
 * (execution_id, id), LIMIT n.  docs/MANAGER.md lists each.
 */
#include "charon_manager.h"

/* The page sizes of charon_manager.h, plus one: is there a next page? */
#define CRONS_LIMIT   "51"
#define EXECS_LIMIT   "51"
#define HISTORY_LIMIT "20"
#define MSGS_LIMIT    "101"
#define COUNT_LIMIT   "10001"
typedef char crons_limit_matches[MGR_CRONS_PER_PAGE + 1 == 51 ? 1 : -1];
typedef char execs_limit_matches[MGR_EXECS_PER_PAGE + 1 == 51 ? 1 : -1];
typedef char history_matches[MGR_HISTORY == 20 ? 1 : -1];
typedef char msgs_limit_matches[MGR_MESSAGES + 1 == 101 ? 1 : -1];
typedef char count_limit_matches[MGR_MESSAGE_COUNT_CAP + 1 == 10001 ? 1 : -1];
#define MSG_CHARS     "2000"
typedef char msg_chars_match[MGR_MESSAGE_CHARS == 2000 ? 1 : -1];

/* ---- dialects ----------------------------------------------------------
 *   ID            binds an id
 *   NOW           the database's UTC clock
 *   ISO(t)        t as 'YYYY-MM-DDTHH:MM:SSZ'
 *   PASSED(t)     t is not in the future
 *   AFTER(a, b)   time a is later than time b
 *   DUR(a, b)     seconds from a to b, with a fraction
 *   LIKE(col)     col contains the pattern, case-insensitively as far as
 *                 the database can ('!' escapes the wildcards)
 *   CHARS(x)      x's length in characters
 *   NUM(x)        the text placeholder x as an integer, NULL for ''
 *   UNTIL(x)      the text placeholder x as a time, NULL for ''
 *   PAGE_IN, PAGE_OUT, PAGE_WHERE  the list's paging: around the inner
 *                 query, joined to the outer one, and its condition
 *   RUNNING, RUNNING_JOIN  a cron's open runs (see below) */

#define PG_ID          "%lld"
#define PG_NOW         "now()"
#define PG_ISO(t)      "to_char(" t " AT TIME ZONE 'UTC', "                  \
                       "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define PG_PASSED(t)   "(" t " <= now())"
#define PG_AFTER(a, b) "(" a " > " b ")"
#define PG_DUR(a, b)   "EXTRACT(EPOCH FROM (" b " - " a "))"
#define PG_LIKE(col)   col " ILIKE %s ESCAPE '!'"
#define PG_CHARS(x)    "LENGTH(" x ")"
#define PG_NUM(x)      "CAST(NULLIF(" x ", '') AS INTEGER)"
#define PG_UNTIL(x)    "CAST(NULLIF(" x ", '') AS TIMESTAMPTZ)"
#define PG_PAGE_IN(q)  q " ORDER BY c.slug LIMIT " CRONS_LIMIT " OFFSET %d"
#define PG_PAGE_OUT    ""
#define PG_PAGE_WHERE  ""

/* DATETIME(6) columns hold UTC. */
#define MY_ID          "CAST(%s AS SIGNED)"
#define MY_NOW         "UTC_TIMESTAMP(6)"
#define MY_ISO(t)      "DATE_FORMAT(" t ", '%%Y-%%m-%%dT%%H:%%i:%%sZ')"
#define MY_PASSED(t)   "(" t " <= UTC_TIMESTAMP(6))"
#define MY_AFTER(a, b) "(" a " > " b ")"
#define MY_DUR(a, b)   "(TIMESTAMPDIFF(MICROSECOND, " a ", " b ") / 1000000)"
/* Slugs are VARBINARY (byte for byte): compared here as text, in a
 * case-insensitive collation. */
#define MY_LIKE(col)   "CONVERT(" col " USING utf8mb4) COLLATE "             \
                       "utf8mb4_general_ci LIKE %s ESCAPE '!'"
#define MY_CHARS(x)    "CHAR_LENGTH(" x ")"
#define MY_NUM(x)      "CAST(NULLIF(" x ", '') AS SIGNED)"
#define MY_UNTIL(x)    "CAST(NULLIF(" x ", '') AS DATETIME(6))"
/* MySQL takes no placeholder in LIMIT: the rows are numbered instead
 * (charon_cron is read whole either way, as OFFSET does).  The offset is
 * joined as a one-row table so that it is bound once. */
#define MY_PAGE_IN(q)  "SELECT p.id, p.slug, ROW_NUMBER() OVER "             \
                       "(ORDER BY p.slug) AS rn FROM (" q ") p"
#define MY_PAGE_OUT    " JOIN (SELECT CAST(%s AS SIGNED) AS done_rows) k"
#define MY_PAGE_WHERE  " WHERE p.rn > k.done_rows AND p.rn <= "           \
                       "k.done_rows + " CRONS_LIMIT

/* SQLite stores times as text; julianday() reads every ISO 8601 form. */
#define SQ_ID          "%lld"
#define SQ_NOW         "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now')"
#define SQ_ISO(t)      "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', " t ")"
#define SQ_PASSED(t)   "(julianday(" t ") <= julianday('now'))"
#define SQ_AFTER(a, b) "(julianday(" a ") > julianday(" b "))"
#define SQ_DUR(a, b)   "ROUND((julianday(" b ") - julianday(" a ")) * "      \
                       "86400.0, 3)"
/* LIKE ignores the case of ASCII letters. */
#define SQ_LIKE(col)   col " LIKE %s ESCAPE '!'"
#define SQ_CHARS(x)    "LENGTH(" x ")"
#define SQ_NUM(x)      "CAST(NULLIF(" x ", '') AS INTEGER)"
#define SQ_UNTIL(x)    "NULLIF(" x ", '')"
#define SQ_PAGE_IN(q)  q " ORDER BY c.slug LIMIT " CRONS_LIMIT               \
                       " OFFSET CAST(%s AS INTEGER)"
#define SQ_PAGE_OUT    ""
#define SQ_PAGE_WHERE  ""

/* A cron's open runs.  PostgreSQL and SQLite: a probe of the partial
 * index charon_execution_open (cron_id), whose predicate this is.  MySQL's
 * charon_execution_open is (ended_at, lost_at), which a probe by cron
 * cannot seek (it would read every run of the cron through
 * charon_execution_cron): the open runs are read once through it and
 * grouped. */
#define OPEN_RUN(e)    e ".ended_at IS NULL AND " e ".lost_at IS NULL"
#define PROBE_RUNNING  "(SELECT COUNT(*) FROM charon_execution e WHERE "     \
                       "e.cron_id = c.id AND " OPEN_RUN("e") ")"
#define PG_RUNNING     PROBE_RUNNING
#define SQ_RUNNING     PROBE_RUNNING
#define MY_RUNNING     "COALESCE(o.n, 0)"
#define PG_RUNNING_JOIN ""
#define SQ_RUNNING_JOIN ""
#define MY_RUNNING_JOIN " LEFT JOIN (SELECT cron_id, COUNT(*) AS n FROM "   \
                       "charon_execution WHERE " OPEN_RUN("charon_execution")\
                       " GROUP BY cron_id) o ON o.cron_id = c.id"

/* ---- crons -------------------------------------------------------------- */

/* The cron may start now. */
#define ON(D)          "(c.active OR (c.off_until IS NOT NULL AND "         \
                       D##_PASSED("c.off_until") "))"
/* Its latest outcome is a failure (an unsuccessful end, or lost). */
#define FAILING(D)     "(s.last_failure_at IS NOT NULL AND "                 \
                       "(s.last_success_at IS NULL OR "                      \
                       D##_AFTER("s.last_failure_at", "s.last_success_at")   \
                       "))"

/* The state filters of the list. */
#define F_ALL(D)       "1 = 1"
#define F_FAILING(D)   FAILING(D)
/* A semi-join on the open runs, through charon_execution_open. */
#define F_RUNNING(D)   "c.id IN (SELECT e.cron_id FROM charon_execution e "  \
                       "WHERE " OPEN_RUN("e") ")"
#define F_OFF(D)       "NOT " ON(D)
/* Its latest run that is not running any more was lost: one probe per
 * cron, backwards through charon_execution_cron. */
#define F_LOST(D)      "(SELECT CASE WHEN e.lost_at IS NULL THEN 0 ELSE 1 "  \
                       "END FROM charon_execution e WHERE e.cron_id = c.id " \
                       "AND (e.ended_at IS NOT NULL OR e.lost_at IS NOT "    \
                       "NULL) ORDER BY e.started_at DESC, e.id DESC "        \
                       "LIMIT 1) = 1"

#define CRON_COLS(D)                                                         \
    "c.id, c.slug, c.name, CASE WHEN " ON(D) " THEN 1 ELSE 0 END, "          \
    "c.off_reason, " D##_ISO("c.off_until") ", c.concurrency, "              \
    "c.max_runtime, COALESCE(s.runs_succeeded, 0), "                         \
    "COALESCE(s.runs_failed, 0), COALESCE(s.runs_lost, 0), "                 \
    "c.refused_inactive, c.refused_locked, "                                 \
    "CASE WHEN " FAILING(D) " THEN 1 ELSE 0 END, " D##_RUNNING

#define STATS_JOIN " LEFT JOIN charon_cron_stats s ON s.cron_id = c.id"

/* A page of crons by slug: the page's ids first (the filters may read
 * every cron), then their columns and probes, for those rows only. */
#define LIST(D, F)                                                           \
    "SELECT " CRON_COLS(D) " FROM (" D##_PAGE_IN(                            \
        "SELECT c.id, c.slug FROM charon_cron c" STATS_JOIN " WHERE "        \
        D##_LIKE("c.slug") " AND " F(D)) ") p" D##_PAGE_OUT                  \
    " JOIN charon_cron c ON c.id = p.id" STATS_JOIN D##_RUNNING_JOIN         \
    D##_PAGE_WHERE " ORDER BY p.slug"

#define LIST_STMT(NAME, F)                                                   \
    { "manager list " NAME, LIST(PG, F), LIST(MY, F), LIST(SQ, F) }

const charon_view_stmt_t mgr_q_list[MGR_STATE_COUNT] = {
    LIST_STMT("all", F_ALL),
    LIST_STMT("failing", F_FAILING),
    LIST_STMT("running", F_RUNNING),
    LIST_STMT("off", F_OFF),
    LIST_STMT("lost", F_LOST),
};

#define CRON(D)                                                              \
    "SELECT " CRON_COLS(D) ", " D##_ISO("c.created_at") ", "                 \
    D##_ISO("s.last_success_at") ", " D##_ISO("s.last_failure_at") ", "      \
    D##_ISO("s.last_ended_at") ", s.last_duration FROM charon_cron c"        \
    STATS_JOIN D##_RUNNING_JOIN " WHERE c.id = " D##_ID

const charon_view_stmt_t mgr_q_cron = {
    "manager cron", CRON(PG), CRON(MY), CRON(SQ)
};

/* ---- executions ---------------------------------------------------------- */

#define OUTCOME "CASE WHEN e.lost_at IS NOT NULL THEN 'lost' WHEN "         \
                "e.ended_at IS NULL THEN 'running' WHEN e.success THEN "     \
                "'success' ELSE 'failure' END"
/* A running run's duration so far; a lost one's until it was lost, or
 * until its late end. */
#define EXEC_COLS(D)                                                         \
    "e.id, " D##_ISO("e.started_at") ", " D##_ISO("e.ended_at") ", "         \
    D##_ISO("e.lost_at") ", " OUTCOME ", "                                   \
    D##_DUR("e.started_at", "COALESCE(e.ended_at, e.lost_at, " D##_NOW ")")  \
    ", e.type, e.api_key, e.remote_addr"
/* Newest first, ties by id: the order of charon_execution_cron (MySQL's
 * and SQLite's secondary indexes end with the primary key). */
#define NEWEST " ORDER BY e.started_at DESC, e.id DESC LIMIT "

#define HISTORY(D)                                                           \
    "SELECT " EXEC_COLS(D) " FROM charon_execution e WHERE e.cron_id = "     \
    D##_ID NEWEST HISTORY_LIMIT
const charon_view_stmt_t mgr_q_history = {
    "manager history", HISTORY(PG), HISTORY(MY), HISTORY(SQ)
};

#define EXECS_FIRST(D)                                                       \
    "SELECT " EXEC_COLS(D) " FROM charon_execution e WHERE e.cron_id = "     \
    D##_ID NEWEST EXECS_LIMIT
const charon_view_stmt_t mgr_q_execs_first = {
    "manager executions", EXECS_FIRST(PG), EXECS_FIRST(MY), EXECS_FIRST(SQ)
};

/* The page after execution `before`: keyset on (started_at, id), so the
 * scan starts in charon_execution_cron where the last page ended.  The
 * cursor's start comes from scalar subqueries, evaluated once (joined, it
 * kept PostgreSQL from reading the index in order).  Arguments: cron id,
 * before, before, before (apr_dbd numbers every placeholder). */
#define BEFORE_TIME(D) "(SELECT k.started_at FROM charon_execution k "     \
                       "WHERE k.id = " D##_ID ")"
#define EXECS_BEFORE(D)                                                      \
    "SELECT " EXEC_COLS(D) " FROM charon_execution e WHERE e.cron_id = "     \
    D##_ID " AND e.started_at <= " BEFORE_TIME(D) " AND (e.started_at < "    \
    BEFORE_TIME(D) " OR e.id < " D##_ID ")" NEWEST EXECS_LIMIT
const charon_view_stmt_t mgr_q_execs_before = {
    "manager executions before", EXECS_BEFORE(PG), EXECS_BEFORE(MY),
    EXECS_BEFORE(SQ)
};

/* PostgreSQL plans a prepared statement for its arguments five times,
 * then may settle on a plan for any arguments: one that assumes every
 * cron has the average number of runs.  For the one cron with a million
 * runs among thousands with a few, that plan read all its runs (a bitmap
 * scan, then a sort) where the index read backwards stops after 51.  The
 * manager's reads run in a transaction that plans each execution for
 * its arguments (the cron's own row count, from the statistics): a
 * fraction of a millisecond of planning each, against a scan that grows
 * with the cron.  The API's statements keep their cached plans. */
const charon_view_stmt_t mgr_q_custom_plans = {
    "manager custom plans",
    "SELECT set_config('plan_cache_mode', 'force_custom_plan', TRUE)",
    "SELECT 1",
    "SELECT 1"
};

/* ---- messages ------------------------------------------------------------ */

#define MESSAGES(D)                                                          \
    "SELECT m.id, m.type, SUBSTR(m.message, 1, " MSG_CHARS "), "             \
    D##_CHARS("m.message") ", " D##_ISO("m.created_at") " FROM "             \
    "charon_message m WHERE m.execution_id = " D##_ID " ORDER BY m.id "      \
    "LIMIT " MSGS_LIMIT
const charon_view_stmt_t mgr_q_messages = {
    "manager messages", MESSAGES(PG), MESSAGES(MY), MESSAGES(SQ)
};

/* Counted through the index, and only so far. */
#define MESSAGE_COUNT(D)                                                     \
    "SELECT COUNT(*) FROM (SELECT 1 AS x FROM charon_message WHERE "         \
    "execution_id = " D##_ID " LIMIT " COUNT_LIMIT ") t"
const charon_view_stmt_t mgr_q_message_count = {
    "manager message count", MESSAGE_COUNT(PG), MESSAGE_COUNT(MY),
    MESSAGE_COUNT(SQ)
};

/* ---- changes ------------------------------------------------------------- */

/* Adds nothing when the slug is taken (the unique index decides, so two
 * operators creating the same slug at once get one cron).  MySQL's
 * IGNORE would also turn a value too long into a truncated one: every
 * value is checked before. */
#define CREATE_COLS "(slug, name, active, created_at, concurrency, "         \
                    "max_runtime) VALUES (%s, %s, TRUE, "
const charon_view_stmt_t mgr_q_create = {
    "manager create",
    "INSERT INTO charon_cron " CREATE_COLS PG_NOW ", %s, " PG_NUM("%s")
    ") ON CONFLICT (slug) DO NOTHING",
    "INSERT IGNORE INTO charon_cron " CREATE_COLS MY_NOW ", %s, "
    MY_NUM("%s") ")",
    "INSERT INTO charon_cron " CREATE_COLS SQ_NOW ", %s, " SQ_NUM("%s")
    ") ON CONFLICT (slug) DO NOTHING"
};

const charon_view_stmt_t mgr_q_id_by_slug = {
    "manager id by slug",
    "SELECT id FROM charon_cron WHERE slug = %s",
    "SELECT id FROM charon_cron WHERE slug = %s",
    "SELECT id FROM charon_cron WHERE slug = %s"
};

const charon_view_stmt_t mgr_q_exists = {
    "manager cron exists",
    "SELECT id FROM charon_cron WHERE id = " PG_ID,
    "SELECT id FROM charon_cron WHERE id = " MY_ID,
    "SELECT id FROM charon_cron WHERE id = " SQ_ID
};

const charon_view_stmt_t mgr_q_rename = {
    "manager rename",
    "UPDATE charon_cron SET name = %s WHERE id = " PG_ID,
    "UPDATE charon_cron SET name = %s WHERE id = " MY_ID,
    "UPDATE charon_cron SET name = %s WHERE id = " SQ_ID
};

#define OFF(D) "UPDATE charon_cron SET active = FALSE, off_reason = %s, "   \
               "off_until = " D##_UNTIL("%s") " WHERE id = " D##_ID
const charon_view_stmt_t mgr_q_off = {
    "manager switch off", OFF(PG), OFF(MY), OFF(SQ)
};

#define SWITCH_ON "UPDATE charon_cron SET active = TRUE, off_reason = NULL, " \
                  "off_until = NULL WHERE id = "
const charon_view_stmt_t mgr_q_on = {
    "manager switch on", SWITCH_ON PG_ID, SWITCH_ON MY_ID, SWITCH_ON SQ_ID
};

#define POLICY(D) "UPDATE charon_cron SET concurrency = %s, max_runtime = " \
                  D##_NUM("%s") " WHERE id = " D##_ID
const charon_view_stmt_t mgr_q_policy = {
    "manager policy", POLICY(PG), POLICY(MY), POLICY(SQ)
};
