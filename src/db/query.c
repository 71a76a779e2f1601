/*
 * query.c: running a named statement with its arguments and reading what
 * it returns.
 *
 * Results are always read to their end, so the connection is clean for
 * the next statement, in a pool of their own freed at once.  random=1 is
 * what keeps the pgsql driver from sleeping on an empty result and from
 * turning errors into empty results; the same loop works on all three
 * drivers.
 */
#include "db/internal.h"

#include "apr_strings.h"

int charon_db_has(charon_db *db, charon_stmt_e st)
{
    return charon_dialect_sql(db->conn->dialect, st) != NULL;
}

static void failed(charon_db *db, charon_stmt_e st, int rv)
{
    charon_db_failed(db, charon_stmt_shapes[st].name,
                     charon_conn_label(db->pool, db->conn, st), rv);
}

static int exec1(charon_db *db, charon_stmt_e st, const char *const *args,
                 int *changed)
{
    apr_dbd_prepared_t *stmt = charon_conn_stmt(db, st);
    charon_watch w;
    int rv, n = 0;

    if (!stmt) {
        return 0;
    }
    db->statements++;
    charon_watch_begin(db, &w);
    rv = apr_dbd_pquery(db->dbd->driver, db->pool, db->dbd->handle, &n, stmt,
                        charon_stmt_shapes[st].nargs, (const char **)args);
    charon_watch_end(db, &w);
    if (rv) {
        failed(db, st, rv);
        return 0;
    }
    if (changed) {
        *changed = n;
    }
    return 1;
}

/* A cell as text; NULL for SQL NULL, which the pgsql driver gives as "". */
static const char *cell(charon_db *db, apr_dbd_row_t *row, int c)
{
    const char *x = apr_dbd_get_entry(db->dbd->driver, row, c);
    char *ignored;

    if (x && !*x
        && apr_dbd_datum_get(db->dbd->driver, row, c, APR_DBD_TYPE_STRING,
                             &ignored)
               == APR_ENOENT) {
        return NULL;
    }
    return x ? apr_pstrdup(db->pool, x) : NULL;
}

static int rows1(charon_db *db, charon_stmt_e st, const char *const *args,
                 int max_rows, charon_rows_t *out)
{
    apr_dbd_prepared_t *stmt = charon_conn_stmt(db, st);
    int ncols = charon_stmt_shapes[st].ncols;
    apr_dbd_results_t *res = NULL;
    const char ***rows;
    apr_pool_t *qp;
    charon_watch w;
    int rv, n, i, c, kept = 0;

    memset(out, 0, sizeof(*out));
    if (!stmt || apr_pool_create(&qp, db->pool) != APR_SUCCESS) {
        return 0;
    }
    db->statements++;
    charon_watch_begin(db, &w);
    rv = apr_dbd_pselect(db->dbd->driver, qp, db->dbd->handle, &res, stmt, 1,
                         charon_stmt_shapes[st].nargs, (const char **)args);
    charon_watch_end(db, &w);
    if (rv) {
        failed(db, st, rv);
        apr_pool_destroy(qp);
        return 0;
    }
    if (apr_dbd_num_cols(db->dbd->driver, res) != ncols) {
        /* A dialect that does not keep the contract: the columns would be
         * read by the wrong names. */
        charon_db_log(
            db, APLOG_ERR,
            CHARON_LOGNO(106) "statement %s returns %d columns, not %d",
            charon_stmt_shapes[st].name,
            apr_dbd_num_cols(db->dbd->driver, res), ncols);
        apr_pool_destroy(qp);
        return 0;
    }
    n = apr_dbd_num_tuples(db->dbd->driver, res);
    rows = apr_pcalloc(db->pool,
                       sizeof(*rows) * (n < max_rows ? n : max_rows) + 1);
    for (i = 1; i <= n; i++) {
        apr_dbd_row_t *row = NULL;

        /* A row that cannot be read is an error, never "not found". */
        if (apr_dbd_get_row(db->dbd->driver, qp, res, &row, i) != 0) {
            failed(db, st, -1);
            apr_pool_destroy(qp);
            return 0;
        }
        if (kept < max_rows) {
            const char **cells =
                apr_pcalloc(db->pool, sizeof(*cells) * (ncols + 1));

            for (c = 0; c < ncols; c++) {
                cells[c] = cell(db, row, c);
            }
            rows[kept++] = cells;
        }
    }
    apr_pool_destroy(qp);
    out->nrows = kept;
    out->rows = (const char *const *const *)rows;
    return 1;
}

/* How a write outside a unit runs: on SQLite with its file's lock held
 * (sqlite_writers.c); on a Galera node in a transaction of its own, the
 * session being read-only there (dialect.h); elsewhere, as it is.  The
 * statement's text is looked at only where it matters. */
typedef enum { LONE_PLAIN, LONE_SQLITE, LONE_GALERA } lone_e;

static lone_e lone_write(charon_db *db, charon_stmt_e st)
{
    lone_e how;
    const char *sql;

    if (db->in_tx) {
        return LONE_PLAIN;
    }
    if (db->conn->galera) {
        how = LONE_GALERA;
    }
    else if (!db->sqlite_held
             && !strcmp(db->conn->dialect->driver, "sqlite3")) {
        how = LONE_SQLITE;
    }
    else {
        return LONE_PLAIN;
    }
    sql = charon_dialect_sql(db->conn->dialect, st);
    return sql && charon_sql_writes(sql) ? how : LONE_PLAIN;
}

static int lone_begin(charon_db *db, charon_stmt_e st, lone_e how)
{
    switch (how) {
    case LONE_SQLITE:
        return charon_sqlite_lock(db, charon_stmt_shapes[st].name);
    case LONE_GALERA: return charon_db_begin(db);
    default: return 1;
    }
}

/* ok: whether the statement succeeded; the result of the whole. */
static int lone_end(charon_db *db, lone_e how, int ok)
{
    switch (how) {
    case LONE_SQLITE: charon_sqlite_unlock(db); return ok;
    case LONE_GALERA:
        if (!ok) {
            charon_db_rollback(db);
            return 0;
        }
        return charon_db_commit(db);
    default: return ok;
    }
}

int charon_db_exec(charon_db *db, charon_stmt_e st, const char *const *args,
                   int *changed)
{
    lone_e how = lone_write(db, st);

    if (!lone_begin(db, st, how)) {
        return 0;
    }
    return lone_end(db, how, exec1(db, st, args, changed));
}

int charon_db_rows(charon_db *db, charon_stmt_e st, const char *const *args,
                   int max_rows, charon_rows_t *out)
{
    lone_e how = lone_write(db, st);

    if (!lone_begin(db, st, how)) {
        memset(out, 0, sizeof(*out));
        return 0;
    }
    return lone_end(db, how, rows1(db, st, args, max_rows, out));
}

int charon_db_row(charon_db *db, charon_stmt_e st, const char *const *args,
                  const char *const **row)
{
    charon_rows_t rows;

    *row = NULL;
    if (!charon_db_rows(db, st, args, 1, &rows)) {
        return 0;
    }
    *row = rows.nrows ? rows.rows[0] : NULL;
    return 1;
}

int charon_db_id(charon_db *db, const char *s, apr_int64_t *out)
{
    if (s && charon_parse_id(s, out)) {
        return 1;
    }
    charon_db_log(
        db, APLOG_ERR,
        CHARON_LOGNO(107) "the database returned an id that is not one: '%s'",
        s ? s : "(null)");
    return 0;
}

const char *charon_db_num(charon_db *db, apr_int64_t n)
{
    return apr_psprintf(db->pool, "%" APR_INT64_T_FMT, n);
}

/* The new row's id from RETURNING; or, where the dialect has LAST_ID, from
 * the connection's LAST_INSERT_ID(), in a transaction with the insert, so
 * that a connection lost between the two leaves no row behind that the
 * client never heard of (and would create again when it retries). */
int charon_db_insert(charon_db *db, charon_stmt_e st, const char *const *args,
                     apr_int64_t *id)
{
    const char *const *row = NULL;
    int own, ok, n = 0;

    *id = 0;
    if (!charon_db_has(db, ST_LAST_ID)) {
        return charon_db_row(db, st, args, &row)
               && (!row || charon_db_id(db, row[ONE_COL], id));
    }
    own = !db->in_tx;
    if (own && !charon_db_begin(db)) {
        return 0;
    }
    ok = charon_db_exec(db, st, args, &n)
         && (n == 0
             || (charon_db_row(db, ST_LAST_ID, NULL, &row) && row
                 && charon_db_id(db, row[ONE_COL], id)));
    if (own) {
        if (ok) {
            return charon_db_commit(db);
        }
        charon_db_rollback(db);
    }
    return ok;
}
