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
 * from a value.  The statements themselves are in charon_sql.c, and what
 * each API call does with them in charon_ops.c.
 */
#include "charon.h"

#include "apr_strings.h"
#include "http_core.h"

#define STATE_KEY "mod_charon:connection"

/* What this module keeps with one pooled connection. */
typedef struct {
    apr_pool_t *pool;           /* holds the statements; a child of the
                                 * connection's pool, so it goes first */
    const charon_dialect_t *dialect;
    unsigned generation;        /* part of PostgreSQL statement names */
    int initialised;
    apr_dbd_prepared_t *stmt[ST_COUNT];
    apr_hash_t *views;          /* charon_view_stmt_t * -> view_t * */
    unsigned nviews;            /* part of their PostgreSQL names */
} charon_conn_t;

/* A statement of the operator's views, prepared on this connection. */
typedef struct {
    apr_dbd_prepared_t *stmt;
    const char *label;
} view_t;

struct charon_db {
    request_rec *r;             /* NULL outside requests */
    server_rec *s;
    apr_pool_t *pool;           /* the request's, or the caller's */
    ap_dbd_t *dbd;
    int opened;                 /* by ap_dbd_open: give back at close */
    charon_conn_t *state;
    int depth;                  /* transactions opened and not ended */
    int pinned;                 /* an outer caller retries, not each call */
    int failed_stmt;            /* the statement that failed last, or -1 */
    const char *failed_label;   /* its name on a PostgreSQL server, or NULL */
    const char *failed_error;   /* and what the driver said */
};

/* A statement that is not one of ours failed: transaction control. */
#define FAILED_PLAIN ST_COUNT
/* A statement of the operator's views failed. */
#define FAILED_VIEW (ST_COUNT + 1)

static const char *stmt_sql(const charon_dialect_t *d, charon_stmt_e st)
{
    return st == ST_LAST_ID ? charon_last_id_sql : d->sql[st];
}

/* 1 when the mysql driver talks to MariaDB 10.5 or later, which has
 * INSERT ... RETURNING.  Asked once per connection.  `httpd -D
 * CHARON_MYSQL_LAST_INSERT_ID` takes MySQL 8's way on MariaDB too, so
 * that the test suite covers it where no MySQL 8 can be had. */
static int is_mariadb_10_5(charon_db *db)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_pool_t *qp;
    const char *v;
    char *end;
    long major, minor = 0;
    int n, i, yes = 0;

    if (ap_exists_config_define("CHARON_MYSQL_LAST_INSERT_ID")
        || apr_pool_create(&qp, db->pool) != APR_SUCCESS) {
        return 0;
    }
    if (apr_dbd_select(db->dbd->driver, qp, db->dbd->handle, &res,
                       "SELECT VERSION()", 1) == 0) {
        n = apr_dbd_num_tuples(db->dbd->driver, res);
        for (i = 1; i <= n; i++) {
            if (apr_dbd_get_row(db->dbd->driver, qp, res, &row, i) != 0) {
                break;
            }
            v = apr_dbd_get_entry(db->dbd->driver, row, 0);
            if (i == 1 && v && strstr(v, "MariaDB")) {
                major = strtol(v, &end, 10);
                if (*end == '.') {
                    minor = strtol(end + 1, NULL, 10);
                }
                yes = major > 10 || (major == 10 && minor >= 5);
            }
        }
    }
    apr_pool_destroy(qp);
    return yes;
}

static const charon_dialect_t *dialect_for(charon_db *db)
{
    const char *name = apr_dbd_name(db->dbd->driver);
    int mariadb = !strcmp(name, "mysql") && is_mariadb_10_5(db);
    const charon_dialect_t *d;

    for (d = charon_dialects; d->driver; d++) {
        if (!strcmp(name, d->driver) && d->mariadb == mariadb) {
            return d;
        }
    }
    return NULL;
}

void charon_db_log(const charon_db *db, int level, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    if (db->r ? !APLOG_R_IS_LEVEL(db->r, level) : !APLOG_IS_LEVEL(db->s, level)) {
        return;
    }
    va_start(ap, fmt);
    msg = apr_pvsprintf(db->pool, fmt, ap);
    va_end(ap);
    if (db->r) {
        ap_log_rerror(APLOG_MARK, level, 0, db->r, "%s", msg);
    }
    else {
        ap_log_error(APLOG_MARK, level, 0, db->s, "%s", msg);
    }
}

apr_pool_t *charon_db_pool(const charon_db *db)
{
    return db->pool;
}

const charon_dialect_t *charon_db_dialect(const charon_db *db)
{
    return db->state->dialect;
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
    st->views = NULL;
    st->nviews = 0;
    st->generation++;
    st->initialised = 0;
}

static charon_conn_t *state_get(charon_db *db)
{
    charon_conn_t *st = apr_hash_get(db->dbd->prepared, STATE_KEY,
                                    APR_HASH_KEY_STRING);

    if (!st) {
        const charon_dialect_t *d = dialect_for(db);

        if (!d) {
            charon_db_log(db, APLOG_ERR, CHARON_LOGNO(101)
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
        charon_db_log(db, APLOG_DEBUG, CHARON_LOGNO(113)
                      "new database connection: %s%s", d->driver,
                      d->mariadb ? " (MariaDB: INSERT ... RETURNING)" : "");
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
    db->s = r->server;
    db->pool = r->pool;
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

charon_db *charon_db_open_server(apr_pool_t *p, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    charon_db *db = apr_pcalloc(p, sizeof(*db));

    db->s = s;
    db->pool = p;
    db->failed_stmt = -1;
    db->dbd = dbd_open ? dbd_open(p, s) : NULL;
    if (!db->dbd) {
        return NULL;            /* mod_dbd has said why */
    }
    db->opened = 1;
    db->state = state_get(db);
    if (!db->state) {
        charon_db_close(db);
        return NULL;
    }
    return db;
}

void charon_db_close(charon_db *db)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_close) *dbd_close =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_close);

    if (db && db->opened && db->dbd && dbd_close) {
        charon_db_rollback(db);
        dbd_close(db->s, db->dbd);
        db->dbd = NULL;
    }
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
            charon_db_log(db, APLOG_ERR, CHARON_LOGNO(103)
                          "setting up the connection failed (%s): %s", *sql,
                          db_error(db, rv));
            return 0;
        }
    }
    st->initialised = 1;
    return 1;
}

/* PostgreSQL statement names are sent unquoted: plain lower case. */
static const char *stmt_label(apr_pool_t *p, const charon_conn_t *st,
                              charon_stmt_e s)
{
    return apr_psprintf(p, "charon_g%u_s%d", st->generation, (int)s);
}

static apr_dbd_prepared_t *stmt_get(charon_db *db, charon_stmt_e s)
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
            charon_db_log(db, APLOG_ERR, CHARON_LOGNO(104)
                          "preparing statement %d failed (is the schema from "
                          "sql/ loaded?): %s", (int)s, db_error(db, rv));
            return NULL;
        }
    }
    return st->stmt[s];
}

static void stmt_failed(charon_db *db, int s, int rv)
{
    db->failed_stmt = s;
    db->failed_label = s < ST_COUNT && db->state->stmt[s]
        ? stmt_label(db->pool, db->state, s) : NULL;
    db->failed_error = apr_pstrdup(db->pool, db_error(db, rv));
    charon_db_log(db, APLOG_ERR, CHARON_LOGNO(105)
                  "statement %d failed: %s", s, db->failed_error);
}

/* Runs a statement that returns no rows; *nrows is the rows it changed.
 * args[] holds one string per placeholder, as apr_dbd wants them. */
int charon_db_query(charon_db *db, charon_stmt_e s, int *nrows, int nargs,
                    const char **args)
{
    apr_dbd_prepared_t *stmt = stmt_get(db, s);
    int rv;

    if (!stmt) {
        return 0;
    }
    rv = apr_dbd_pquery(db->dbd->driver, db->pool, db->dbd->handle,
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
int charon_db_select(charon_db *db, charon_stmt_e s, int nargs,
                     const char **args, int ncols, const char **out,
                     int *found)
{
    apr_dbd_prepared_t *stmt = stmt_get(db, s);
    apr_dbd_results_t *res = NULL;
    apr_pool_t *qp;
    int rv, n, i, c;

    *found = 0;
    if (!stmt || apr_pool_create(&qp, db->pool) != APR_SUCCESS) {
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

                out[c] = apr_pstrdup(db->pool, v ? v : "");
            }
            *found = 1;
        }
    }
    apr_pool_destroy(qp);
    return 1;
}

/* ---- the operator's views -------------------------------------------- */

static const char *view_sql(const charon_dialect_t *d,
                            const charon_view_stmt_t *q)
{
    if (!strcmp(d->driver, "pgsql")) {
        return q->pgsql;
    }
    return !strcmp(d->driver, "mysql") ? q->mysql : q->sqlite3;
}

static view_t *view_get(charon_db *db, const charon_view_stmt_t *q)
{
    charon_conn_t *st = db->state;
    view_t *v;
    const char *sql;
    int rv;

    if (!connection_init(db)) {
        return NULL;
    }
    if (!st->views) {
        st->views = apr_hash_make(st->pool);
    }
    /* Keyed by the statement's own (static) bytes: they outlive the hash. */
    v = apr_hash_get(st->views, q, sizeof(*q));
    if (v) {
        return v;
    }
    sql = view_sql(st->dialect, q);
    if (!sql) {
        charon_db_log(db, APLOG_ERR, CHARON_LOGNO(114)
                      "statement %s has no SQL for %s", q->name,
                      st->dialect->driver);
        return NULL;
    }
    v = apr_pcalloc(st->pool, sizeof(*v));
    v->label = apr_psprintf(st->pool, "charon_g%u_v%u", st->generation,
                            st->nviews++);
    rv = apr_dbd_prepare(db->dbd->driver, st->pool, db->dbd->handle, sql,
                         v->label, &v->stmt);
    if (rv) {
        db->failed_stmt = FAILED_VIEW;
        db->failed_label = NULL;
        db->failed_error = apr_pstrdup(db->pool, db_error(db, rv));
        charon_db_log(db, APLOG_ERR, CHARON_LOGNO(115)
                      "preparing statement %s failed (is the schema from "
                      "sql/ loaded?): %s", q->name, db->failed_error);
        return NULL;
    }
    apr_hash_set(st->views, q, sizeof(*q), v);
    return v;
}

static void view_failed(charon_db *db, const charon_view_stmt_t *q,
                        const view_t *v, int rv)
{
    db->failed_stmt = FAILED_VIEW;
    db->failed_label = apr_pstrdup(db->pool, v->label);
    db->failed_error = apr_pstrdup(db->pool, db_error(db, rv));
    charon_db_log(db, APLOG_ERR, CHARON_LOGNO(116)
                  "statement %s failed: %s", q->name, db->failed_error);
}

static int view_exec(charon_db *db, const charon_view_stmt_t *q,
                     int nargs, const char **args, int *nrows)
{
    view_t *v = view_get(db, q);
    int rv, n = 0;

    if (!v) {
        return 0;
    }
    rv = apr_dbd_pquery(db->dbd->driver, db->pool, db->dbd->handle, &n,
                        v->stmt, nargs, args);
    if (rv) {
        view_failed(db, q, v, rv);
        return 0;
    }
    if (nrows) {
        *nrows = n;
    }
    return 1;
}

/* Every row is read, so the connection is clean for the next statement;
 * the first max_rows are kept (in db's pool, NULL for SQL NULL). */
static int view_rows(charon_db *db, const charon_view_stmt_t *q,
                     int nargs, const char **args, int max_rows,
                     charon_rows_t *out)
{
    view_t *v = view_get(db, q);
    apr_dbd_results_t *res = NULL;
    apr_pool_t *qp;
    int rv, n, i, c, ncols;

    memset(out, 0, sizeof(*out));
    if (!v || apr_pool_create(&qp, db->pool) != APR_SUCCESS) {
        return 0;
    }
    rv = apr_dbd_pselect(db->dbd->driver, qp, db->dbd->handle, &res,
                         v->stmt, 1, nargs, args);
    if (rv) {
        view_failed(db, q, v, rv);
        apr_pool_destroy(qp);
        return 0;
    }
    n = apr_dbd_num_tuples(db->dbd->driver, res);
    ncols = apr_dbd_num_cols(db->dbd->driver, res);
    out->ncols = ncols;
    out->rows = apr_pcalloc(db->pool,
                            sizeof(*out->rows) * (n < max_rows ? n : max_rows)
                            + 1);
    for (i = 1; i <= n; i++) {
        apr_dbd_row_t *row = NULL;

        if (apr_dbd_get_row(db->dbd->driver, qp, res, &row, i) != 0) {
            view_failed(db, q, v, -1);
            apr_pool_destroy(qp);
            return 0;
        }
        if (out->nrows < max_rows) {
            const char **cells = apr_pcalloc(db->pool,
                                             sizeof(*cells) * (ncols + 1));

            for (c = 0; c < ncols; c++) {
                const char *x = apr_dbd_get_entry(db->dbd->driver, row, c);
                char *ignored;

                /* The pgsql driver gives "" for NULL: ask it which. */
                if (x && !*x
                    && apr_dbd_datum_get(db->dbd->driver, row, c,
                                         APR_DBD_TYPE_STRING, &ignored)
                       == APR_ENOENT) {
                    x = NULL;
                }
                cells[c] = x ? apr_pstrdup(db->pool, x) : NULL;
            }
            out->rows[out->nrows++] = cells;
        }
    }
    apr_pool_destroy(qp);
    return 1;
}

/* Outside a transaction a statement that failed runs once more when
 * charon_db_may_retry() allows (a restarted PostgreSQL forgot it, SQLite
 * stayed locked); inside one, the caller runs the whole transaction
 * again. */
int charon_db_view_exec(charon_db *db, const charon_view_stmt_t *q,
                        int nargs, const char **args, int *nrows)
{
    return view_exec(db, q, nargs, args, nrows)
           || (db->depth == 0 && charon_db_may_retry(db)
               && view_exec(db, q, nargs, args, nrows));
}

int charon_db_view_rows(charon_db *db, const charon_view_stmt_t *q,
                        int nargs, const char **args, int max_rows,
                        charon_rows_t *out)
{
    return view_rows(db, q, nargs, args, max_rows, out)
           || (db->depth == 0 && charon_db_may_retry(db)
               && view_rows(db, q, nargs, args, max_rows, out));
}

/* Plain statements with no value in them: transaction control. */
static int run_plain(charon_db *db, const char *sql)
{
    int nrows, rv;

    rv = apr_dbd_query(db->dbd->driver, db->dbd->handle, &nrows, sql);
    if (rv) {
        stmt_failed(db, FAILED_PLAIN, rv);
        return 0;
    }
    return 1;
}

/* ---- transactions ----------------------------------------------------- */

/* Transactions nest: only the outermost BEGIN and COMMIT reach the
 * database, so an operation that needs one (an end with its message) can
 * also run inside the transaction that stores an Idempotency-Key. */
int charon_db_begin(charon_db *db)
{
    /* The connection's settings first: SQLite ignores PRAGMA foreign_keys
     * inside a transaction, and PostgreSQL undoes a SET that a rolled
     * back transaction made.  A connection whose first use was a
     * transaction kept neither. */
    if (db->depth == 0
        && (!connection_init(db)
            || !run_plain(db, db->state->dialect->begin))) {
        return 0;
    }
    db->depth++;
    return 1;
}

/* Ends the innermost transaction; the outermost commits.  Returns 0 when
 * the commit failed (everything is then rolled back). */
int charon_db_commit(charon_db *db)
{
    if (db->depth == 0) {
        return 0;               /* rolled back already */
    }
    if (--db->depth > 0) {
        return 1;
    }
    if (!run_plain(db, "COMMIT")) {
        run_plain(db, "ROLLBACK");
        return 0;
    }
    return 1;
}

/* Undoes the whole transaction, however deeply nested. */
void charon_db_rollback(charon_db *db)
{
    if (db->depth > 0) {
        db->depth = 0;
        run_plain(db, "ROLLBACK");
    }
}

void charon_db_pin(charon_db *db, int pinned)
{
    db->pinned = pinned;
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
 *   reconnection or a schema changed under SQLite.
 * Never inside a caller's transaction (pinned): that caller starts over. */
int charon_db_may_retry(charon_db *db)
{
    charon_conn_t *st = db->state;
    const char *driver = st->dialect->driver;
    const char *err = db->failed_error ? db->failed_error : "";
    int again = 0;

    if (db->failed_stmt < 0 || db->pinned) {
        return 0;
    }
    if (!strcmp(driver, "pgsql")) {
        if (db->failed_label && strstr(err, db->failed_label)) {
            charon_db_log(db, APLOG_WARNING,
                          CHARON_LOGNO(109) "the database forgot this "
                          "connection's statements (was it restarted?): "
                          "preparing them again");
            state_reset(db);
            again = 1;
        }
    }
    else {
        /* MySQL rolls a deadlock's victim back whole: run it again. */
        again = strstr(err, !strcmp(driver, "sqlite3") ? "database is locked"
                                                       : "Deadlock found")
                != NULL;
        state_reset(db);
    }
    db->failed_stmt = -1;
    db->failed_label = NULL;
    db->failed_error = NULL;
    return again;
}

