/*
 * charon_db.h: the database, through mod_dbd's pooled connections.
 *
 * A connection is opened per request (or per watchdog tick), behind a
 * gate that bounds how long anything waits for it.  Statements are named
 * (statements.h) and written per database (dialect_*.c); every value is a
 * placeholder.  Work that may have to run again is a function given to
 * charon_db_run(), which holds the one retry policy: a statement that
 * failed in a way that changed nothing runs again, with the connection's
 * statements prepared afresh where the dialect says so.
 */
#ifndef CHARON_DB_H
#define CHARON_DB_H

#include "conf/charon_conf.h"
#include "db/statements.h"

#include "apr_dbd.h"

typedef struct charon_db charon_db;

/* ---- conn.c: connections ---------------------------------------------- */

/* The request's connection, waiting a bounded time; NULL (logged, *why
 * set for the answer) when none can be had. */
charon_db *charon_db_open(request_rec *r, const char **why);
/* The *why of a database whose schema lacks its triggers. */
extern const char charon_db_schema_incomplete[];
/* One of server s's pool for work outside requests (the watchdog). */
charon_db *charon_db_open_server(apr_pool_t *p, server_rec *s);
void charon_db_close(charon_db *db);
/* Work outside requests: charon_db_run tries no more once stopping()
 * says so (the child is ending). */
void charon_db_set_stopping(charon_db *db, int (*stopping)(void));
apr_pool_t *charon_db_pool(const charon_db *db);
/* Work outside requests that runs long: what the statements allocate
 * goes to p from now on (a pool the caller clears between units of
 * work); returns the pool used until now. */
apr_pool_t *charon_db_use_pool(charon_db *db, apr_pool_t *p);
/* Statements run through this handle (for the watchdog's log). */
long charon_db_statements(const charon_db *db);
/* Logs against the request, or the server outside requests. */
void charon_db_log(const charon_db *db, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- query.c: statements ---------------------------------------------- */

/* Rows of a statement: rows[i][COL], NULL for SQL NULL, in db's pool. */
typedef struct {
    int nrows;
    const char *const *const *rows;
} charon_rows_t;

/* 1 when the connection's dialect has the statement (statements.h says
 * what an absent one means). */
int charon_db_has(charon_db *db, charon_stmt_e st);
/* Each returns 0 when the statement failed (logged, and remembered for
 * charon_db_run); args holds one string per placeholder, by the
 * statement's _ARG_ enum. */
int charon_db_exec(charon_db *db, charon_stmt_e st, const char *const *args,
                   int *changed);
/* Reads every row, keeps the first max_rows. */
int charon_db_rows(charon_db *db, charon_stmt_e st, const char *const *args,
                   int max_rows, charon_rows_t *out);
/* The first row, or *row NULL when there is none. */
int charon_db_row(charon_db *db, charon_stmt_e st, const char *const *args,
                  const char *const **row);
/* An INSERT of START or MESSAGE: *id is the new row's, 0 when the
 * statement inserted nothing. */
int charon_db_insert(charon_db *db, charon_stmt_e st, const char *const *args,
                     apr_int64_t *id);
/* An id the database gave as text; 0 (logged) when it is not one. */
int charon_db_id(charon_db *db, const char *s, apr_int64_t *out);
/* n as text in db's pool, for a placeholder. */
const char *charon_db_num(charon_db *db, apr_int64_t n);

/* ---- run.c: units of work ---------------------------------------------- */

typedef enum {
    CHARON_DB_OK,
    CHARON_DB_FAILED, /* a statement failed: 503 unless retried */
    CHARON_DB_AGAIN   /* a concurrent change: run it again */
} charon_db_e;

typedef charon_db_e charon_db_fn(charon_db *db, void *baton);

#define CHARON_DB_TX  1 /* in one transaction, committed at the end */
#define CHARON_DB_DRY 2 /* with TX: rolled back at the end (a dry run) */

/* Runs fn, and again (up to three runs in all) when it asks for it or
 * when its failure changed nothing.  fn writes nothing that a failure
 * leaves behind: one statement, or the transaction CHARON_DB_TX opens.
 * Called from within fn, it is part of the outer run: it runs fn once,
 * in the outer transaction if there is one.  FAILED when it gave up. */
charon_db_e charon_db_run(charon_db *db, int flags, charon_db_fn *fn,
                          void *baton);

/* ---- outage.c: an outage told once, across children -------------------- */

typedef struct charon_outage charon_outage;

/* Shared memory for every mod_dbd pool: after mod_dbd's post_config. */
int charon_outage_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s);

/* ---- cancel.c: no PostgreSQL statement waits for ever ------------------ */

void charon_cancel_child_init(apr_pool_t *pchild, server_rec *s);
/* Cancels what ran past the bound: a thread of each child calls it, a few
 * times a second. */
void charon_cancel_tick(server_rec *s);

/* ---- gate.c: how long a request may wait for a connection ------------- */

typedef struct charon_gate charon_gate;

typedef enum {
    CHARON_GATE_OPEN, /* holds a ticket until the request ends */
    CHARON_GATE_BUSY, /* every connection stayed busy too long */
    CHARON_GATE_DOWN  /* the database was unreachable just now */
} charon_gate_e;

void charon_gate_child_init(apr_pool_t *pchild, server_rec *s);

/* ---- sqlite_writers.c: SQLite's writers queue (one lock per file) ----- */

int charon_sqlite_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp);
int charon_sqlite_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s);
void charon_sqlite_child_init(apr_pool_t *pchild, server_rec *s);
/* SQLITE_BUSY met so far, all children together; 0 when no server uses
 * SQLite. */
int charon_sqlite_busy(apr_uint64_t *n);
charon_gate *charon_gate_for(request_rec *r);
/* *probe: this request may try a database just found unreachable. */
charon_gate_e charon_gate_enter(charon_gate *gate, request_rec *r, int *probe);
int charon_gate_size(const charon_gate *gate);
void charon_gate_result(charon_gate *gate, int probe, int connected);
/* A connection found dead goes back to the pool all the same (mod_dbd has
 * no way to drop it): counted, so that a try to connect draws past them
 * (mod_dbd drops each as its check fails) instead of failing on the first
 * one, a second a time. */
void charon_gate_dead(charon_gate *gate);
/* When the database was found unreachable, or 0. */
apr_time_t charon_gate_down_at(const charon_gate *gate);
int charon_gate_take_dead(charon_gate *gate);
/* What identifies server s's mod_dbd pool (after mod_dbd's post_config). */
const void *charon_dbd_pool_id(server_rec *s);

#endif /* CHARON_DB_H */
