/*
 * dialect.h: what differs between databases, private to src/db/.
 *
 * One dialect per SQL variant the module speaks, each in a file of its
 * own (dialect_pgsql.c, dialect_mysql.c, dialect_sqlite.c): its
 * statements, what a connection runs once, how a transaction opens, and
 * which of its errors are worth another try.  Adding a database is one
 * more such file, listed in dialects.c, and its schema in sql/.
 * httpd-free: unit-tested with statements.h alone.
 */
#ifndef CHARON_DIALECT_H
#define CHARON_DIALECT_H

#include "db/statements.h"

/* What a failed statement means for the operation that ran it (flags). */
#define CHARON_ERR_RETRY    1 /* nothing was written: run it again */
#define CHARON_ERR_FORGET   2 /* prepare the connection's statements anew */
#define CHARON_ERR_LOST     4 /* the connection is gone (ping finds the rest) */
/* lost to a concurrent writer: worth more tries than other failures,
 * spaced */
#define CHARON_ERR_CONFLICT 8
/* the server answers but does no work (a Galera node outside the primary
 * component): an outage, told once */
#define CHARON_ERR_DOWN     16

/* Not a driver's code: the module's own wait for SQLite's writers' lock
 * ran out (sqlite_writers.c).  Nothing was written. */
#define CHARON_RV_WRITERS_WAIT (-70)

/* A node of a Galera cluster may abort a transaction between two
 * statements without a word (measured under certification conflicts): the
 * statements after it then run on their own, autocommitted, and COMMIT
 * commits nothing and says OK.  On such a node every transaction is
 * opened read-write in a session that is otherwise read-only, so that a
 * write left outside its transaction fails (1792) instead of committing
 * half a unit; and in_tx is asked before each COMMIT. */
typedef struct charon_galera {
    const char *check;   /* answers 1 on a node of a Galera cluster */
    const char *session; /* run once on such a connection */
    const char *begin;   /* opens a write transaction there */
    const char *in_tx;   /* 1 while a transaction is open */
} charon_galera_t;

typedef struct charon_dialect {
    const char *name;   /* "pgsql", "mysql", "mariadb", "sqlite3" */
    const char *driver; /* apr_dbd_name() of its driver */
    /* Asked once per connection when not NULL; the dialect serves the
     * connection when accepts() says yes to the first column.  Dialects of
     * one driver are tried in their order in charon_dialects. */
    const char *version_sql;
    int (*accepts)(const char *version);
    const char *begin;       /* opens a write transaction */
    const char *const *init; /* once per connection, NULL-terminated */
    const char *const *sql;  /* [ST_COUNT]; NULL: not in this dialect */
    const char *const *over; /* a variant's changes to sql[], or NULL;
                                 * CHARON_SQL_NONE removes a statement */
    /* The driver's return code, its message, and the label the failed
     * statement was prepared under (NULL for transaction control). */
    int (*classify)(int rv, const char *error, const char *label);
    /* Answers on any live connection: run on a pooled connection that sat
     * idle, and after a failure, to find one the server dropped.  NULL
     * where a connection cannot be lost (SQLite). */
    const char *ping;
    /* The number of the schema's triggers the connection's user can see,
     * and how many sql/ makes: a schema loaded without them (MySQL with
     * binary logging and no SUPER: error 1419) loses outcomes and alerts
     * silently, so the module refuses it. */
    const char *schema_check;
    int triggers;
    /* How a statement past the bound is ended (cancel.c). */
    int cancellable;
    /* Where a node of a Galera cluster can be met; NULL elsewhere. */
    const struct charon_galera *galera;
} charon_dialect_t;

#define CHARON_SQL_NONE ""

/* charon_dialect_t.cancellable */
#define CHARON_CANCEL_NONE 0
#define CHARON_CANCEL_PQ \
    1 /* PQcancel: the statement ends, the
                                * connection stays */
#define CHARON_CANCEL_SOCKET \
    2 /* the connection's socket is shut down: no
                                * other way reaches a MySQL server that
                                * stopped answering */

/* NULL-terminated, in the order they are tried. */
extern const charon_dialect_t *const charon_dialects[];

extern const charon_dialect_t charon_dialect_pgsql;
extern const charon_dialect_t charon_dialect_mysql;
extern const charon_dialect_t charon_dialect_mariadb;
extern const charon_dialect_t charon_dialect_sqlite;

/* dialect_*_sql.c: each dialect's statements (mysql's variant for
 * MariaDB: its changes). */
extern const char *const charon_sqlite_sql[ST_COUNT];
extern const char *const charon_pgsql_sql[ST_COUNT];
extern const char *const charon_mysql_sql[ST_COUNT];
extern const char *const charon_mysql_mariadb_sql[ST_COUNT];

/* The statement's text in this dialect, or NULL when it has none. */
const char *charon_dialect_sql(const charon_dialect_t *d, charon_stmt_e st);

/* 1 when the statement writes (INSERT, UPDATE, DELETE, REPLACE). */
int charon_sql_writes(const char *sql);

#endif /* CHARON_DIALECT_H */
