/*
 * internal.h: what the files of src/db/ share and nothing above sees: a
 * connection's state, and the last failure, kept for charon_db_run.
 */
#ifndef CHARON_DB_INTERNAL_H
#define CHARON_DB_INTERNAL_H

#include "db/charon_db.h"
#include "db/dialect.h"

#include "mod_dbd.h"

/* What this module keeps with one pooled connection: it lives as long as
 * the connection (in ap_dbd_t->prepared). */
typedef struct {
    apr_pool_t *pool; /* holds the statements; cleared to forget */
    const charon_dialect_t *dialect;
    unsigned generation;  /* part of PostgreSQL statement names */
    int initialised;      /* the dialect's init statements ran */
    apr_time_t used;      /* when a unit of work last ended on it */
    int schema_whole;     /* its triggers were all seen */
    int galera;           /* a node of a Galera cluster (dialect.h) */
    apr_time_t schema_at; /* when last looked for, while they were not */
    /* sqlite_writers.c: until when this connection, holding the writers'
     * lock, waits for a writer outside httpd in small steps; 0: not. */
    apr_time_t sqlite_wait_until;
    apr_dbd_prepared_t *stmt[ST_COUNT];
} charon_conn_t;

struct charon_db {
    request_rec *r; /* NULL outside requests */
    server_rec *s;
    apr_pool_t *pool; /* the request's, or the caller's */
    long statements;  /* run on this handle so far */
    ap_dbd_t *dbd;
    int opened; /* by ap_dbd_open: given back at close */
    charon_conn_t *conn;
    int running;           /* inside charon_db_run */
    int (*stopping)(void); /* no further try once it says so */
    int in_tx;             /* a transaction is open */
    /* The statement that failed last, for the dialect to judge. */
    int failed;
    int fail_rv;
    const char *fail_error;
    const char *fail_label; /* its name on the server, or NULL */
    /* It failed before anything of the unit could be written: while
     * preparing, or inside a transaction short of COMMIT (a server that
     * drops the connection rolls that back). */
    int fail_unwritten;
    const char *fail_what;  /* the statement, for the log */
    const char *fail_hint;  /* what to look at, or NULL */
    int fail_said;          /* logged already, as an outage */
    charon_outage *outage;  /* the pool's, across children; or NULL */
    int cancelled;          /* a statement ran past the bound (cancel.c) */
    const char *cancel_why; /* and what became of it, for the log */
    struct apr_global_mutex_t *sqlite_held; /* sqlite_writers.c */
};

/* sqlite_writers.c: a write unit on SQLite holds its file's lock (taken
 * by charon_db_begin and around one write statement, given back at the
 * end); a new connection counts its SQLITE_BUSY and has its journal mode
 * looked at. */
/* 0 when the wait for the lock ran out: the failure is recorded. */
int charon_sqlite_lock(charon_db *db, const char *what);
void charon_sqlite_unlock(charon_db *db);
void charon_sqlite_conn_new(charon_db *db);

/* conn.c: a failure the module found itself, not a driver (rv a code of
 * dialect.h's or the driver's own number for it): nothing was written; not
 * logged here. */
void charon_db_failed_own(charon_db *db, const char *what, int rv,
                          const char *error);

/* conn.c: the first column of the first row of a plain query, or NULL. */
const char *charon_conn_ask(charon_db *db, const char *sql);

/* gate.c: server s's mod_dbd settings, or NULL. */
const dbd_cfg_t *charon_dbd_cfg(server_rec *s);

/* outage.c: a request answered 503 because the database cannot be used
 * (logged once an outage); a unit of work that succeeded (logs the end of
 * an outage, once). */
charon_outage *charon_outage_for(server_rec *s);
void charon_outage_refused(const charon_db *db, const char *why);
void charon_outage_over(const charon_db *db);
/* Whether another child (or thread) saw the database usable again after
 * time t. */
int charon_outage_back_after(const charon_db *db, apr_time_t t);

/* cancel.c: a statement watched from its start to its end is cancelled
 * once it runs past the bound (the dialect says how), and db->cancelled
 * set. */
#define CHARON_CANCEL_AFTER_SECS 6 /* statement_timeout, and a second */

typedef struct charon_watch {
    struct charon_watch *next;
    apr_time_t deadline;
    void *cancel; /* libpq's PGcancel */
    int fd;       /* or the MySQL connection's socket */
    int armed;
    int firing, fired;
} charon_watch;
void charon_watch_begin(charon_db *db, charon_watch *w);
void charon_watch_end(charon_db *db, charon_watch *w);

/* conn.c */
int charon_conn_ready(charon_db *db);
void charon_conn_dead(charon_db *db);
apr_dbd_prepared_t *charon_conn_stmt(charon_db *db, charon_stmt_e st);
const char *charon_conn_label(apr_pool_t *p, const charon_conn_t *st,
                              charon_stmt_e s);
void charon_conn_forget(charon_db *db);
/* Whether the connection answers; one the server dropped is connected
 * again in place.  *lost: it had been dropped.  0: it cannot be. */
int charon_conn_check(charon_db *db, int *lost);
/* Checks a connection that sat idle in the pool before a unit of work. */
int charon_conn_check_idle(charon_db *db);
/* Records a failure (label NULL: not a prepared statement); logged when
 * it ends the unit of work (charon_db_log_failure), or at once outside
 * charon_db_run. */
void charon_db_failed(charon_db *db, const char *what, const char *label,
                      int rv);
/* The same, with whether nothing can have been written, and a line of
 * advice for the log. */
void charon_db_failed_hint(charon_db *db, const char *what, int rv,
                           int unwritten, const char *hint);
void charon_db_log_failure(charon_db *db);
/* A transaction: begin, and commit (0 when it failed: all rolled back). */
int charon_db_begin(charon_db *db);
int charon_db_commit(charon_db *db);
void charon_db_rollback(charon_db *db);

#endif /* CHARON_DB_INTERNAL_H */
