/*
 * conn.c: connections, from mod_dbd's pool; what the module keeps with
 * each (its dialect, its prepared statements); transactions are tx.c.
 *
 * Statements are prepared here, on first use on each connection, rather
 * than through ap_dbd_prepare(): the SQL follows the database the
 * connection reaches (dialect_*.c), and a connection whose statements are
 * gone (PostgreSQL forgets them when apr_dbd_check_conn() resets a
 * connection after a database restart) prepares them again instead of
 * failing for good.
 */
#include "db/internal.h"

#include "apr_strings.h"
#include "http_core.h"

#define STATE_KEY "mod_charon:connection"

void charon_db_log(const charon_db *db, int level, const char *fmt, ...)
{
    va_list ap;
    const char *msg;

    if (db->r ? !APLOG_R_IS_LEVEL(db->r, level)
              : !APLOG_IS_LEVEL(db->s, level)) {
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

apr_pool_t *charon_db_use_pool(charon_db *db, apr_pool_t *p)
{
    apr_pool_t *old = db->pool;

    db->pool = p;
    return old;
}

long charon_db_statements(const charon_db *db)
{
    return db->statements;
}

static const char *driver_error(charon_db *db, int rv)
{
    const char *msg = apr_dbd_error(db->dbd->driver, db->dbd->handle, rv);

    return msg && *msg ? msg : "(no message from the driver)";
}

static void record(charon_db *db, const char *what, const char *label, int rv)
{
    db->failed = 1;
    db->fail_rv = rv;
    db->fail_label = label ? apr_pstrdup(db->pool, label) : NULL;
    db->fail_error = apr_pstrdup(db->pool, driver_error(db, rv));
    db->fail_unwritten = db->in_tx;
    db->fail_what = apr_pstrdup(db->pool, what);
    db->fail_hint = NULL;
}

void charon_db_failed(charon_db *db, const char *what, const char *label,
                      int rv)
{
    record(db, what, label, rv);
    if (!db->running) {
        charon_db_log_failure(db);
    }
}

void charon_db_failed_own(charon_db *db, const char *what, int rv,
                          const char *error)
{
    db->failed = 1;
    db->fail_rv = rv;
    db->fail_label = NULL;
    db->fail_error = error;
    db->fail_unwritten = 1;
    db->fail_what = what;
    db->fail_hint = NULL;
}

void charon_db_failed_hint(charon_db *db, const char *what, int rv,
                           int unwritten, const char *hint)
{
    record(db, what, NULL, rv);
    db->fail_unwritten = unwritten;
    db->fail_hint = hint;
    if (!db->running) {
        charon_db_log_failure(db);
    }
}

/* A failure retried with success (a deadlock's victim, a Galera
 * certification conflict) is no error: only the one that ends a unit of
 * work is logged as one. */
void charon_db_log_failure(charon_db *db)
{
    charon_db_log(db, APLOG_ERR, CHARON_LOGNO(105) "statement %s failed: %s",
                  db->fail_what, db->fail_error);
    if (db->fail_hint) {
        charon_db_log(db, APLOG_ERR, "%s", db->fail_hint);
    }
}

/* The first column of the first row of a plain query, or NULL.
 * apr_dbd_mysql answers success when the query ran but its result could
 * not be read (mysql_store_result() gave NULL: a Galera abort reported
 * right then), and every later call on that result would dereference
 * NULL: the client's error message tells that case. */
const char *charon_conn_ask(charon_db *db, const char *sql)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL, *err;
    int n, i;

    if (apr_dbd_select(db->dbd->driver, db->pool, db->dbd->handle, &res, sql,
                       1)
            != 0
        || !res) {
        return NULL;
    }
    if (!strcmp(apr_dbd_name(db->dbd->driver), "mysql")
        && (err = apr_dbd_error(db->dbd->driver, db->dbd->handle, 0))
        && *err) {
        return NULL;
    }
    n = apr_dbd_num_tuples(db->dbd->driver, res);
    for (i = 1; i <= n; i++) {
        if (apr_dbd_get_row(db->dbd->driver, db->pool, res, &row, i) != 0) {
            break;
        }
        if (i == 1) {
            v = apr_pstrdup(db->pool,
                            apr_dbd_get_entry(db->dbd->driver, row, 0));
        }
    }
    return v;
}

/* The first dialect of the connection's driver that accepts it.  `httpd
 * -D CHARON_MYSQL_LAST_INSERT_ID` passes over the dialects that ask the
 * version (MariaDB's), so that the tests cover MySQL 8's way where no
 * MySQL 8 can be had. */
static const charon_dialect_t *dialect_for(charon_db *db)
{
    const char *name = apr_dbd_name(db->dbd->driver);
    const charon_dialect_t *const *d;

    for (d = charon_dialects; *d; d++) {
        if (strcmp((*d)->driver, name)) {
            continue;
        }
        if ((*d)->accepts
            && (ap_exists_config_define("CHARON_MYSQL_LAST_INSERT_ID")
                || !(*d)->accepts(charon_conn_ask(db, (*d)->version_sql)))) {
            continue;
        }
        return *d;
    }
    return NULL;
}

static charon_conn_t *conn_get(charon_db *db)
{
    charon_conn_t *st =
        apr_hash_get(db->dbd->prepared, STATE_KEY, APR_HASH_KEY_STRING);
    const charon_dialect_t *d;

    if (st) {
        return st;
    }
    if (!(d = dialect_for(db))) {
        charon_db_log(db, APLOG_ERR,
                      CHARON_LOGNO(101) "DBDriver %s is not supported: use "
                                        "sqlite3, pgsql or "
                                        "mysql",
                      apr_dbd_name(db->dbd->driver));
        return NULL;
    }
    st = apr_pcalloc(db->dbd->pool, sizeof(*st));
    if (apr_pool_create(&st->pool, db->dbd->pool) != APR_SUCCESS) {
        return NULL;
    }
    st->dialect = d;
    st->used = apr_time_now();
    if (d->galera) {
        const char *on = charon_conn_ask(db, d->galera->check);

        st->galera = on && !strcmp(on, "1");
    }
    apr_hash_set(db->dbd->prepared, STATE_KEY, APR_HASH_KEY_STRING, st);
    db->conn = st;
    charon_sqlite_conn_new(db);
    charon_db_log(db, APLOG_DEBUG,
                  CHARON_LOGNO(113) "new database connection: %s%s%s%s",
                  d->driver, strcmp(d->name, d->driver) ? " (" : "",
                  strcmp(d->name, d->driver) ? d->name : "",
                  strcmp(d->name, d->driver) ? ")" : "");
    return st;
}

/* mod_dbd answers NULL both when no connection can be opened and when the
 * pooled connection it drew had died (a database restart; MySQL's check is
 * a ping): it then drops that one.  A dead pooled connection is found out
 * quickly, so while attempts fail fast, draw again, up to the pool's size;
 * a slow failure is a real attempt to connect, and is not repeated.  A
 * probe of a database already found unreachable draws past the
 * connections found dead since (requests that were using them when it
 * went put them back) and tries once more: every failed try to connect is
 * a few lines in mod_dbd's log, and a probe a second drawing one dead
 * connection at a time kept a child answering 503 for seconds after the
 * database was back. */
static ap_dbd_t *acquire(request_rec *r, charon_gate *gate, int probe)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *dbd_acquire =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    int tries = !gate   ? 1
                : probe ? charon_gate_take_dead(gate) + 1
                        : charon_gate_size(gate) + 1;
    ap_dbd_t *dbd = NULL;

    while (dbd_acquire && tries-- > 0) {
        apr_time_t began = apr_time_now();

        if ((dbd = dbd_acquire(r)) != NULL
            || apr_time_now() - began > apr_time_from_msec(100)) {
            break;
        }
    }
    return dbd;
}

const char charon_db_schema_incomplete[] =
    "the database schema is incomplete (see the error log)";

/* Whether the schema has its triggers: asked on a connection's first use
 * and, while they are missing, at most once a second (an operator fixing
 * it needs no restart).  A query that fails says nothing: the statements
 * that follow will tell. */
static int schema_whole(charon_db *db)
{
    charon_conn_t *st = db->conn;
    apr_time_t now = apr_time_now();
    const char *n;
    int found;

    if (st->schema_whole) {
        return 1;
    }
    if (st->schema_at && now - st->schema_at < apr_time_from_sec(1)) {
        return 0;
    }
    if (!(n = charon_conn_ask(db, st->dialect->schema_check))) {
        return 1;
    }
    found = atoi(n);
    if (found >= st->dialect->triggers) {
        st->schema_whole = 1;
        return 1;
    }
    st->schema_at = now;
    charon_outage_refused(
        db,
        apr_psprintf(db->pool,
                     "its schema is incomplete: %d of the %d triggers "
                     "that sql/ makes are missing or hidden from its "
                     "user (MySQL and MariaDB with binary logging, "
                     "Galera: load the schema with "
                     "log_bin_trust_function_creators=1 or with SUPER; "
                     "the user needs ALL or TRIGGER on its tables)",
                     st->dialect->triggers - found, st->dialect->triggers));
    return 0;
}

charon_db *charon_db_open(request_rec *r, const char **why)
{
    charon_gate *gate = charon_gate_for(r);
    charon_db *db = apr_pcalloc(r->pool, sizeof(*db));
    int probe = 0;

    *why = "the database cannot be reached";
    db->r = r;
    db->s = r->server;
    db->pool = r->pool;
    db->outage = charon_outage_for(r->server);
    /* Another child saw the database back since this one found it away:
     * no need to wait for this child's next try (a 503 meanwhile would
     * begin the outage's line again). */
    if (gate && charon_outage_back_after(db, charon_gate_down_at(gate))) {
        charon_gate_result(gate, 0, 1);
    }
    switch (gate ? charon_gate_enter(gate, r, &probe) : CHARON_GATE_OPEN) {
    case CHARON_GATE_DOWN:
        charon_outage_refused(db, "no connection could be opened");
        return NULL;
    case CHARON_GATE_BUSY:
        *why = "every database connection stayed busy";
        ap_log_rerror(
            APLOG_MARK, APLOG_WARNING, 0, r,
            CHARON_LOGNO(110) "every pooled database connection stayed busy: "
                              "answering 503 (DBDMax may be too small)");
        return NULL;
    case CHARON_GATE_OPEN: break;
    }
    db->dbd = acquire(r, gate, probe);
    if (gate) {
        charon_gate_result(gate, probe, db->dbd != NULL);
        if (probe) {
            ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                          CHARON_LOGNO(111) "the try %s",
                          db->dbd ? "connected" : "failed");
        }
    }
    if (!db->dbd) {
        /* mod_dbd has logged why: a database that cannot be reached, or a
         * statement of another module that fails to prepare. */
        charon_outage_refused(db, "no connection could be opened (mod_dbd "
                                  "says why above; one try a second)");
        return NULL;
    }
    if (!(db->conn = conn_get(db))) {
        return NULL;
    }
    if (!schema_whole(db)) {
        *why = charon_db_schema_incomplete;
        return NULL;
    }
    return db;
}

charon_db *charon_db_open_server(apr_pool_t *p, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_open) *dbd_open =
        APR_RETRIEVE_OPTIONAL_FN(ap_dbd_open);
    charon_db *db = apr_pcalloc(p, sizeof(*db));

    db->s = s;
    db->pool = p;
    db->outage = charon_outage_for(s);
    db->dbd = dbd_open ? dbd_open(p, s) : NULL;
    if (!db->dbd) {
        charon_outage_refused(db, "no connection could be opened (mod_dbd "
                                  "says why above)");
        return NULL;
    }
    db->opened = 1;
    if (!(db->conn = conn_get(db)) || !schema_whole(db)) {
        charon_db_close(db);
        return NULL;
    }
    return db;
}

void charon_db_set_stopping(charon_db *db, int (*stopping)(void))
{
    db->stopping = stopping;
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

/* The dialect's settings, once per connection, before anything else: a
 * transaction rolled back would undo them on PostgreSQL, and SQLite
 * ignores PRAGMA foreign_keys inside one. */
int charon_conn_ready(charon_db *db)
{
    charon_conn_t *st = db->conn;
    const char *const *sql;
    int nrows, rv;

    if (st->initialised) {
        return 1;
    }
    for (sql = st->dialect->init; *sql; sql++) {
        rv = apr_dbd_query(db->dbd->driver, db->dbd->handle, &nrows, *sql);
        if (rv) {
            /* before the unit's first statement: nothing written */
            charon_db_failed_hint(
                db, *sql, rv, 1,
                CHARON_LOGNO(103) "setting up the connection failed");
            return 0;
        }
    }
    if (st->galera) {
        rv = apr_dbd_query(db->dbd->driver, db->dbd->handle, &nrows,
                           st->dialect->galera->session);
        if (rv) {
            charon_db_failed_hint(
                db, st->dialect->galera->session, rv, 1,
                CHARON_LOGNO(103) "setting up the connection failed");
            return 0;
        }
    }
    st->initialised = 1;
    return 1;
}

/* Forgets the connection's statements: the next use prepares them again,
 * under new names. */
void charon_conn_forget(charon_db *db)
{
    charon_conn_t *st = db->conn;

    apr_pool_clear(st->pool);
    memset(st->stmt, 0, sizeof(st->stmt));
    st->generation++;
    st->initialised = 0;
}

/* A server drops connections (a restart, pg_terminate_backend, KILL, a
 * timeout) without the pooled handle knowing until it is used: PQstatus
 * stays good, so mod_dbd's check at acquire lets it through.  The driver's
 * check_conn then connects it again in place (PQreset; mysql_ping with the
 * driver's reconnect=1), and what lived in the old session is forgotten. */
int charon_conn_check(charon_db *db, int *lost)
{
    const char *ping = db->conn->dialect->ping;
    apr_status_t rv;

    *lost = 0;
    if (!ping || charon_conn_ask(db, ping)) {
        return 1;
    }
    *lost = 1;
    rv = apr_dbd_check_conn(db->dbd->driver, db->pool, db->dbd->handle);
    charon_conn_forget(db);
    return rv == APR_SUCCESS && charon_conn_ask(db, ping);
}

/* HikariCP's rule: a connection used within the last second is taken as
 * alive; one idle longer answers a ping first, so that a connection the
 * server dropped while it sat in the pool costs a round trip, not a 503
 * for a write that cannot be run again. */
int charon_conn_check_idle(charon_db *db)
{
    int lost, ok;

    if (apr_time_now() - db->conn->used < apr_time_from_sec(1)) {
        return 1;
    }
    ok = charon_conn_check(db, &lost);
    if (!ok) {
        charon_conn_dead(db);
        charon_outage_refused(db, "a pooled connection was dropped and the "
                                  "server does not answer");
    }
    else if (lost) {
        charon_db_log(db, APLOG_INFO,
                      CHARON_LOGNO(115) "a pooled connection had been "
                                        "dropped by the server: connected "
                                        "again");
    }
    return ok;
}

/* This request's connection is dead and will go back to the pool. */
void charon_conn_dead(charon_db *db)
{
    charon_gate *gate = db->r ? charon_gate_for(db->r) : NULL;

    if (gate) {
        charon_gate_dead(gate);
    }
}

/* PostgreSQL statement names are sent unquoted: plain lower case. */
const char *charon_conn_label(apr_pool_t *p, const charon_conn_t *st,
                              charon_stmt_e s)
{
    return apr_psprintf(p, "charon_g%u_s%d", st->generation, (int)s);
}

apr_dbd_prepared_t *charon_conn_stmt(charon_db *db, charon_stmt_e s)
{
    charon_conn_t *st = db->conn;
    const char *sql = charon_dialect_sql(st->dialect, s), *err;
    int rv;

    if (!sql) {
        charon_db_log(db, APLOG_ERR,
                      CHARON_LOGNO(114) "statement %s has no SQL for %s",
                      charon_stmt_shapes[s].name, st->dialect->name);
        return NULL;
    }
    if (!charon_conn_ready(db)) {
        return NULL;
    }
    if (!st->stmt[s]) {
        rv = apr_dbd_prepare(db->dbd->driver, st->pool, db->dbd->handle, sql,
                             charon_conn_label(st->pool, st, s), &st->stmt[s]);
        if (rv) {
            st->stmt[s] = NULL;
            /* It never ran: nothing written.  A conflict (Galera aborts
             * a transaction and the next command, a prepare, hears of
             * it) is no sign of a missing schema. */
            err = apr_dbd_error(db->dbd->driver, db->dbd->handle, rv);
            charon_db_failed_hint(
                db, charon_stmt_shapes[s].name, rv, 1,
                st->dialect->classify(rv, err ? err : "", NULL)
                        & CHARON_ERR_CONFLICT
                    ? NULL
                    : apr_psprintf(db->pool,
                                   CHARON_LOGNO(104) "preparing statement %s "
                                                     "failed: is the schema "
                                                     "from sql/ loaded?",
                                   charon_stmt_shapes[s].name));
            return NULL;
        }
    }
    return st->stmt[s];
}
