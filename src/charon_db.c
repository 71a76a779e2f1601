/*
 * charon_db.c: the database side, through mod_dbd's pooled connections.
 *
 * Statements are prepared by this file, lazily, on each pooled connection,
 * and kept with the connection (in ap_dbd_t->prepared, which lives as long
 * as the connection).  Preparing them here instead of through
 * ap_dbd_prepare() lets the SQL follow the driver (apr_dbd has no insert-id
 * call and the three databases differ in a few places), and lets a
 * connection whose statements are gone (PostgreSQL forgets them when
 * apr_dbd_check_conn() resets a connection after a database restart)
 * prepare them again instead of failing for good.
 *
 * Every value is bound through a placeholder; no SQL text is ever built
 * from a value.
 */
#include "charon.h"

#include "apr_strings.h"

#define STATE_KEY "mod_charon:connection"

typedef enum {
    ST_CRON_BY_SLUG,
    ST_CRON_BY_ID,
    ST_EXECUTION_SLUG,
    ST_EXECUTION_ENDED,
    ST_START,
    ST_END,
    ST_MESSAGE,
    ST_END_MESSAGE,
    ST_LAST_ID,
    ST_COUNT
} stmt_e;

typedef struct {
    const char *driver;         /* apr_dbd_name() */
    int returning;              /* INSERT ... RETURNING id works */
    const char *begin;          /* opens a write transaction */
    const char *init[4];        /* once per connection, NULL-terminated */
    const char *sql[ST_COUNT];
} dialect_t;

/* SQL shared by all dialects, with the spots where they differ as macros:
 * ID binds an id (MySQL compares a string with a BIGINT as a double, which
 * loses exactness past 2^53), NOW is the database's UTC clock, SUCCESS
 * turns 0/1 into the column's type, RET asks for the new row's id. */
#define SQL_SET(ID, NOW, SUCCESS, RET) {                                     \
    /* ST_CRON_BY_SLUG */                                                    \
    "SELECT id, CASE WHEN active THEN 1 ELSE 0 END FROM charon_cron "        \
    "WHERE slug = %s",                                                       \
    /* ST_CRON_BY_ID */                                                      \
    "SELECT slug, CASE WHEN active THEN 1 ELSE 0 END FROM charon_cron "      \
    "WHERE id = " ID,                                                        \
    /* ST_EXECUTION_SLUG */                                                  \
    "SELECT c.slug FROM charon_execution e "                                 \
    "JOIN charon_cron c ON c.id = e.cron_id WHERE e.id = " ID,               \
    /* ST_EXECUTION_ENDED */                                                 \
    "SELECT CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END "                   \
    "FROM charon_execution WHERE id = " ID,                                  \
    /* ST_START: creates nothing unless the cron exists and is active */     \
    "INSERT INTO charon_execution (cron_id, started_at, api_key, remote_addr) " \
    "SELECT id, " NOW ", %s, %s FROM charon_cron "                           \
    "WHERE id = " ID " AND active = TRUE" RET,                               \
    /* ST_END: the condition on ended_at makes ending exactly-once */        \
    "UPDATE charon_execution SET ended_at = " NOW ", success = " SUCCESS     \
    ", type = %s WHERE id = " ID " AND ended_at IS NULL",                    \
    /* ST_MESSAGE */                                                         \
    "INSERT INTO charon_message (execution_id, type, message, created_at) "  \
    "SELECT id, %s, %s, " NOW " FROM charon_execution WHERE id = " ID RET,   \
    /* ST_END_MESSAGE */                                                     \
    "INSERT INTO charon_message (execution_id, type, message, created_at) "  \
    "SELECT id, %s, %s, " NOW " FROM charon_execution WHERE id = " ID,       \
    /* ST_LAST_ID: filled per dialect below */                               \
    NULL }

static const dialect_t dialects[] = {
    /* A statement that waits longer than 5 s (a lock held on a table) is
     * cancelled by the server: the request gets 503 instead of waiting. */
    { "pgsql", 1, "BEGIN",
      { "SET client_encoding TO 'UTF8'", "SET statement_timeout = '5s'",
        NULL },
      SQL_SET("%lld", "now()", "(%d <> 0)", " RETURNING id") },
    /* Neither MySQL 8 nor the mysql driver's results offer RETURNING on
     * every server; LAST_INSERT_ID() is per connection, and mod_dbd keeps
     * the connection for the whole request. */
    { "mysql", 0, "START TRANSACTION",
      { "SET NAMES utf8mb4", "SET SESSION lock_wait_timeout = 5",
        "SET SESSION innodb_lock_wait_timeout = 5", NULL },
      SQL_SET("CAST(%s AS SIGNED)", "UTC_TIMESTAMP(6)", "%d", "") },
    /* SQLite 3.35+ has RETURNING.  BEGIN IMMEDIATE takes the write lock
     * up front, so a transaction never fails half-way on a lock upgrade. */
    /* The sqlite3 driver itself retries a locked database for ~1.6 s. */
    { "sqlite3", 1, "BEGIN IMMEDIATE", { "PRAGMA foreign_keys = ON", NULL },
      SQL_SET("%lld", "strftime('%%Y-%%m-%%d %%H:%%M:%%f', 'now')", "%d", " RETURNING id") },
};

static const char *const last_id_sql = "SELECT LAST_INSERT_ID()";

/* What this module keeps with one pooled connection. */
typedef struct {
    apr_pool_t *pool;           /* holds the statements; a child of the
                                 * connection's pool, so it goes first */
    const dialect_t *dialect;
    unsigned generation;        /* part of PostgreSQL statement names */
    int initialised;
    apr_dbd_prepared_t *stmt[ST_COUNT];
} charon_conn_t;

struct charon_db {
    request_rec *r;
    ap_dbd_t *dbd;
    charon_conn_t *state;
    int failed_stmt;            /* the statement that failed last, or -1 */
    const char *failed_error;   /* and what the driver said */
};

static const char *stmt_sql(const dialect_t *d, stmt_e st)
{
    return st == ST_LAST_ID ? last_id_sql : d->sql[st];
}

static const dialect_t *dialect_for(const apr_dbd_driver_t *driver)
{
    const char *name = apr_dbd_name(driver);
    apr_size_t i;

    for (i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
        if (!strcmp(name, dialects[i].driver)) {
            return &dialects[i];
        }
    }
    return NULL;
}

static const char *db_error(charon_db *db, int rv)
{
    const char *msg = apr_dbd_error(db->dbd->driver, db->dbd->handle, rv);

    return msg && *msg ? msg : "(no message from the driver)";
}

/* Forgets the statements of this connection: the next use prepares them
 * again, under new names. */
static void state_reset(charon_db *db)
{
    charon_conn_t *st = db->state;

    apr_pool_clear(st->pool);
    memset(st->stmt, 0, sizeof(st->stmt));
    st->generation++;
    st->initialised = 0;
}

static charon_conn_t *state_get(charon_db *db)
{
    charon_conn_t *st = apr_hash_get(db->dbd->prepared, STATE_KEY,
                                    APR_HASH_KEY_STRING);

    if (!st) {
        const dialect_t *d = dialect_for(db->dbd->driver);

        if (!d) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, CHARON_LOGNO(101)
                          "DBDriver %s is not supported: use sqlite3, pgsql "
                          "or mysql", apr_dbd_name(db->dbd->driver));
            return NULL;
        }
        st = apr_pcalloc(db->dbd->pool, sizeof(*st));
        if (apr_pool_create(&st->pool, db->dbd->pool) != APR_SUCCESS) {
            return NULL;
        }
        st->dialect = d;
        apr_hash_set(db->dbd->prepared, STATE_KEY, APR_HASH_KEY_STRING, st);
    }
    return st;
}

/* mod_dbd answers NULL both when no connection can be opened and when the
 * pooled connection it drew had died (a database restart): it then drops
 * that one.  A dead pooled connection is found out quickly, so while
 * attempts fail fast, draw again, up to the pool's size; a slow failure is
 * a real attempt to connect, and is not repeated. */
static ap_dbd_t *acquire_connection(request_rec *r,
                                    APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *acquire,
                                    charon_gate *gate)
{
    int tries = gate ? charon_gate_size(gate) + 1 : 1;
    ap_dbd_t *dbd = NULL;

    while (tries-- > 0) {
        apr_time_t began = apr_time_now();

        if ((dbd = acquire(r)) != NULL
            || apr_time_now() - began > apr_time_from_msec(100)) {
            break;
        }
    }
    return dbd;
}

charon_db *charon_db_open(request_rec *r, const char **why)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *acquire =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    charon_gate *gate = charon_gate_for(r);
    charon_db *db = apr_pcalloc(r->pool, sizeof(*db));
    int probe = 0;

    *why = "the database cannot be reached";
    if (gate) {
        switch (charon_gate_enter(gate, r, &probe)) {
        case CHARON_GATE_DOWN:
            return NULL;        /* said once, when it was found down */
        case CHARON_GATE_BUSY:
            *why = "every database connection stayed busy";
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CHARON_LOGNO(110)
                          "every pooled database connection stayed busy: "
                          "answering 503 (DBDMax may be too small)");
            return NULL;
        case CHARON_GATE_OPEN:
            break;
        }
    }
    db->r = r;
    db->failed_stmt = -1;
    db->dbd = acquire ? acquire_connection(r, acquire, gate) : NULL;
    if (gate) {
        charon_gate_result(gate, probe, db->dbd != NULL);
        if (probe) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, CHARON_LOGNO(111)
                          "the try %s", db->dbd ? "connected" : "failed");
        }
    }
    if (!db->dbd) {
        /* mod_dbd has logged why: a database that cannot be reached, or a
         * statement of another module that fails to prepare. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CHARON_LOGNO(102)
                      "no database connection (see mod_dbd's message above); "
                      "answering 503 for a second before trying again");
        return NULL;
    }
    db->state = state_get(db);
    return db->state ? db : NULL;
}

static int connection_init(charon_db *db)
{
    charon_conn_t *st = db->state;
    const char *const *sql;
    int nrows, rv;

    if (st->initialised) {
        return 1;
    }
    for (sql = st->dialect->init; *sql; sql++) {
        rv = apr_dbd_query(db->dbd->driver, db->dbd->handle, &nrows, *sql);
        if (rv) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, CHARON_LOGNO(103)
                          "setting up the connection failed (%s): %s", *sql,
                          db_error(db, rv));
            return 0;
        }
    }
    st->initialised = 1;
    return 1;
}

/* PostgreSQL statement names are sent unquoted: plain lower case. */
static const char *stmt_label(apr_pool_t *p, const charon_conn_t *st, stmt_e s)
{
    return apr_psprintf(p, "charon_g%u_s%d", st->generation, (int)s);
}

static apr_dbd_prepared_t *stmt_get(charon_db *db, stmt_e s)
{
    charon_conn_t *st = db->state;
    int rv;

    if (!connection_init(db)) {
        return NULL;
    }
    if (!st->stmt[s]) {
        rv = apr_dbd_prepare(db->dbd->driver, st->pool, db->dbd->handle,
                             stmt_sql(st->dialect, s),
                             stmt_label(st->pool, st, s), &st->stmt[s]);
        if (rv) {
            st->stmt[s] = NULL;
            db->failed_stmt = s;
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, CHARON_LOGNO(104)
                          "preparing statement %d failed (is the schema from "
                          "sql/ loaded?): %s", (int)s, db_error(db, rv));
            return NULL;
        }
    }
    return st->stmt[s];
}

static void stmt_failed(charon_db *db, stmt_e s, int rv)
{
    db->failed_stmt = s;
    db->failed_error = apr_pstrdup(db->r->pool, db_error(db, rv));
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, CHARON_LOGNO(105)
                  "statement %d failed: %s", (int)s, db->failed_error);
}

/* Runs a statement that returns no rows; *nrows is the rows it changed.
 * args[] holds one string per placeholder, as apr_dbd wants them. */
static int run_query(charon_db *db, stmt_e s, int *nrows, int nargs,
                     const char **args)
{
    apr_dbd_prepared_t *stmt = stmt_get(db, s);
    int rv;

    if (!stmt) {
        return 0;
    }
    rv = apr_dbd_pquery(db->dbd->driver, db->r->pool, db->dbd->handle,
                        nrows, stmt, nargs, args);
    if (rv) {
        stmt_failed(db, s, rv);
        return 0;
    }
    return 1;
}

/* Runs a statement that returns at most one row of ncols columns and
 * copies the row into out[] (r->pool); *found says whether there was one.
 * Results are read to their end in a pool of their own, freed at once, so
 * the connection is clean for the next statement.  random=1 is what keeps
 * the pgsql driver from sleeping on an empty result and from turning
 * errors into empty results. */
static int run_select(charon_db *db, stmt_e s, int nargs, const char **args,
                      int ncols, const char **out, int *found)
{
    apr_dbd_prepared_t *stmt = stmt_get(db, s);
    apr_dbd_results_t *res = NULL;
    apr_pool_t *qp;
    int rv, n, i, c;

    *found = 0;
    if (!stmt || apr_pool_create(&qp, db->r->pool) != APR_SUCCESS) {
        return 0;
    }
    rv = apr_dbd_pselect(db->dbd->driver, qp, db->dbd->handle, &res, stmt,
                         1, nargs, args);
    if (rv) {
        stmt_failed(db, s, rv);
        apr_pool_destroy(qp);
        return 0;
    }
    n = apr_dbd_num_tuples(db->dbd->driver, res);
    for (i = 1; i <= n; i++) {
        apr_dbd_row_t *row = NULL;

        /* A row that cannot be read is an error, never "not found". */
        if (apr_dbd_get_row(db->dbd->driver, qp, res, &row, i) != 0) {
            stmt_failed(db, s, -1);
            apr_pool_destroy(qp);
            return 0;
        }
        if (!*found) {
            for (c = 0; c < ncols; c++) {
                const char *v = apr_dbd_get_entry(db->dbd->driver, row, c);

                out[c] = apr_pstrdup(db->r->pool, v ? v : "");
            }
            *found = 1;
        }
    }
    apr_pool_destroy(qp);
    return 1;
}

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Plain statements with no value in them: transaction control. */
static int run_plain(charon_db *db, const char *sql)
{
    int nrows, rv;

    rv = apr_dbd_query(db->dbd->driver, db->dbd->handle, &nrows, sql);
    if (rv) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, CHARON_LOGNO(106)
                      "%s failed: %s", sql, db_error(db, rv));
        return 0;
    }
    return 1;
}

static int parse_id(const char *s, apr_int64_t *out)
{
    return s && charon_parse_id(s, out);
}

/* ---- operations ------------------------------------------------------- */

static charon_db_status_e op_cron_by_slug(charon_db *db, const char *slug,
                                          apr_int64_t *id, int *active)
{
    const char *row[2];
    int found;

    const char *args[] = { slug };

    if (!run_select(db, ST_CRON_BY_SLUG, NARGS(args), args, 2, row, &found)) {
        return CHARON_DB_UNAVAILABLE;
    }
    if (!found) {
        return CHARON_DB_NOT_FOUND;
    }
    if (!parse_id(row[0], id)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, CHARON_LOGNO(107)
                      "charon_cron returned an id that is not one: '%s'",
                      row[0]);
        return CHARON_DB_UNAVAILABLE;
    }
    *active = !strcmp(row[1], "1");
    return CHARON_DB_OK;
}

static charon_db_status_e op_cron_by_id(charon_db *db, apr_int64_t id,
                                        const char **slug, int *active)
{
    const char *row[2];
    const char *ids = apr_psprintf(db->r->pool, "%" APR_INT64_T_FMT, id);
    int found;

    const char *args[] = { ids };

    if (!run_select(db, ST_CRON_BY_ID, NARGS(args), args, 2, row, &found)) {
        return CHARON_DB_UNAVAILABLE;
    }
    if (!found) {
        return CHARON_DB_NOT_FOUND;
    }
    *slug = row[0];
    *active = !strcmp(row[1], "1");
    return CHARON_DB_OK;
}

static charon_db_status_e op_execution_slug(charon_db *db, apr_int64_t id,
                                            const char **slug)
{
    const char *ids = apr_psprintf(db->r->pool, "%" APR_INT64_T_FMT, id);
    int found;

    const char *args[] = { ids };

    if (!run_select(db, ST_EXECUTION_SLUG, NARGS(args), args, 1, slug,
                    &found)) {
        return CHARON_DB_UNAVAILABLE;
    }
    return found ? CHARON_DB_OK : CHARON_DB_NOT_FOUND;
}

/* Inserts with ST_START or ST_MESSAGE and reads the new row's id: from
 * RETURNING where the dialect has it, else from LAST_INSERT_ID().  A
 * statement that inserts nothing leaves *found at 0. */
static int insert_returning(charon_db *db, stmt_e s, int *found,
                            apr_int64_t *id, const char *a, const char *b,
                            const char *ids)
{
    const char *row[1];
    const char *args[] = { a, b, ids };
    int nrows = 0;

    if (db->state->dialect->returning) {
        if (!run_select(db, s, NARGS(args), args, 1, row, found)) {
            return 0;
        }
    }
    else {
        /* Two statements: in one transaction, so that a connection lost
         * between them leaves no row behind that the client never heard
         * of (and would create again when it retries). */
        if (!run_plain(db, db->state->dialect->begin)) {
            return 0;
        }
        if (!run_query(db, s, &nrows, NARGS(args), args)) {
            run_plain(db, "ROLLBACK");
            return 0;
        }
        *found = nrows > 0;
        if (*found && !run_select(db, ST_LAST_ID, 0, NULL, 1, row, found)) {
            run_plain(db, "ROLLBACK");
            return 0;
        }
        if (!run_plain(db, "COMMIT")) {
            run_plain(db, "ROLLBACK");
            return 0;
        }
    }
    if (*found && !parse_id(row[0], id)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, db->r, CHARON_LOGNO(108)
                      "the database returned an id that is not one: '%s'",
                      row[0]);
        return 0;
    }
    return 1;
}

static charon_db_status_e op_start(charon_db *db, apr_int64_t cron_id,
                                   const char *key_name,
                                   const char *remote_addr,
                                   apr_int64_t *execution_id)
{
    const char *ids = apr_psprintf(db->r->pool, "%" APR_INT64_T_FMT, cron_id);
    const char *slug;
    int found, active;
    charon_db_status_e st;

    if (!insert_returning(db, ST_START, &found, execution_id, key_name,
                          remote_addr, ids)) {
        return CHARON_DB_UNAVAILABLE;
    }
    if (found) {
        return CHARON_DB_OK;
    }
    /* Nothing was created: either there is no such cron or it is off. */
    st = op_cron_by_id(db, cron_id, &slug, &active);
    return st == CHARON_DB_OK ? CHARON_DB_INACTIVE : st;
}

/* Tells 404 from 409 once an end changed nothing. */
static charon_db_status_e why_not_ended(charon_db *db, const char *ids)
{
    const char *row[1];
    const char *args[] = { ids };
    int found;

    if (!run_select(db, ST_EXECUTION_ENDED, NARGS(args), args, 1, row,
                    &found)) {
        return CHARON_DB_UNAVAILABLE;
    }
    return found ? CHARON_DB_CONFLICT : CHARON_DB_NOT_FOUND;
}

static charon_db_status_e op_end(charon_db *db, apr_int64_t execution_id,
                                 const charon_body_t *body)
{
    const char *ids = apr_psprintf(db->r->pool, "%" APR_INT64_T_FMT,
                                   execution_id);
    const char *type = charon_type_name(body->type);
    const char *success = body->success ? "1" : "0";
    const char *end_args[] = { success, type, ids };
    const char *msg_args[] = { type, body->message, ids };
    int nrows = 0;

    if (!body->has_message) {
        if (!run_query(db, ST_END, &nrows, NARGS(end_args), end_args)) {
            return CHARON_DB_UNAVAILABLE;
        }
        return nrows > 0 ? CHARON_DB_OK : why_not_ended(db, ids);
    }
    /* The end and its message are written together or not at all. */
    if (!run_plain(db, db->state->dialect->begin)) {
        return CHARON_DB_UNAVAILABLE;
    }
    if (!run_query(db, ST_END, &nrows, NARGS(end_args), end_args)) {
        run_plain(db, "ROLLBACK");
        return CHARON_DB_UNAVAILABLE;
    }
    if (nrows == 0) {
        run_plain(db, "ROLLBACK");
        return why_not_ended(db, ids);
    }
    if (!run_query(db, ST_END_MESSAGE, &nrows, NARGS(msg_args), msg_args)) {
        run_plain(db, "ROLLBACK");
        return CHARON_DB_UNAVAILABLE;
    }
    if (!run_plain(db, "COMMIT")) {
        run_plain(db, "ROLLBACK");
        return CHARON_DB_UNAVAILABLE;
    }
    return CHARON_DB_OK;
}

static charon_db_status_e op_message(charon_db *db, apr_int64_t execution_id,
                                     const charon_body_t *body,
                                     apr_int64_t *message_id)
{
    const char *ids = apr_psprintf(db->r->pool, "%" APR_INT64_T_FMT,
                                   execution_id);
    int found;

    if (!insert_returning(db, ST_MESSAGE, &found, message_id,
                          charon_type_name(body->type), body->message, ids)) {
        return CHARON_DB_UNAVAILABLE;
    }
    return found ? CHARON_DB_OK : CHARON_DB_NOT_FOUND;
}

/* ---- recovery --------------------------------------------------------- */

/* Called after an operation failed: may it run once more?  Only when the
 * failing statement is known not to have run, and whatever ran before it
 * was a read or was rolled back (every operation is written that way).
 *
 * - PostgreSQL names statements on the server and forgets them when a
 *   connection is reset after a restart; the error then names our own
 *   statement ("prepared statement \"charon_g0_s4\" does not exist", in
 *   any language).  Prepare them all afresh and run again.
 * - SQLite answers "database is locked" when another writer kept the lock
 *   through the driver's ~1.6 s of retries; nothing was written.  (SQLite's
 *   own busy_timeout is not used: it would sleep holding the driver's
 *   process-wide mutex, stalling every thread of the child.)
 * - Otherwise MySQL and SQLite statements, which live in the client, are
 *   prepared afresh on the next use, which recovers from a silent MySQL
 *   reconnection or a schema changed under SQLite. */
static int may_run_again(charon_db *db)
{
    charon_conn_t *st = db->state;
    const char *driver = st->dialect->driver;
    const char *err = db->failed_error ? db->failed_error : "";
    int again = 0;

    if (db->failed_stmt < 0) {
        return 0;
    }
    if (!strcmp(driver, "pgsql")) {
        if (st->stmt[db->failed_stmt]
            && strstr(err, stmt_label(db->r->pool, st, db->failed_stmt))) {
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, db->r,
                          CHARON_LOGNO(109) "the database forgot this "
                          "connection's statements (was it restarted?): "
                          "preparing them again");
            state_reset(db);
            again = 1;
        }
    }
    else {
        again = !strcmp(driver, "sqlite3")
                && strstr(err, "database is locked") != NULL;
        state_reset(db);
    }
    db->failed_stmt = -1;
    db->failed_error = NULL;
    return again;
}

#define WITH_RECOVERY(db, call) do {                                        \
        charon_db_status_e st_ = (call);                                    \
        if (st_ == CHARON_DB_UNAVAILABLE && may_run_again(db)) {            \
            st_ = (call);                                                   \
        }                                                                   \
        return st_;                                                         \
    } while (0)

charon_db_status_e charon_db_cron_by_slug(charon_db *db, const char *slug,
                                          apr_int64_t *id, int *active)
{
    WITH_RECOVERY(db, op_cron_by_slug(db, slug, id, active));
}

charon_db_status_e charon_db_cron_by_id(charon_db *db, apr_int64_t id,
                                        const char **slug, int *active)
{
    WITH_RECOVERY(db, op_cron_by_id(db, id, slug, active));
}

charon_db_status_e charon_db_execution_slug(charon_db *db, apr_int64_t id,
                                            const char **slug)
{
    WITH_RECOVERY(db, op_execution_slug(db, id, slug));
}

charon_db_status_e charon_db_start(charon_db *db, apr_int64_t cron_id,
                                   const char *key_name,
                                   const char *remote_addr,
                                   apr_int64_t *execution_id)
{
    WITH_RECOVERY(db, op_start(db, cron_id, key_name, remote_addr,
                               execution_id));
}

charon_db_status_e charon_db_end(charon_db *db, apr_int64_t execution_id,
                                 const charon_body_t *body)
{
    WITH_RECOVERY(db, op_end(db, execution_id, body));
}

charon_db_status_e charon_db_message(charon_db *db, apr_int64_t execution_id,
                                     const charon_body_t *body,
                                     apr_int64_t *message_id)
{
    WITH_RECOVERY(db, op_message(db, execution_id, body, message_id));
}
