/*
 * dialect_sqlite.c: how the module speaks to SQLite: what a connection
 * runs once, how a transaction opens, which errors are worth another
 * try; its statements are in dialect_sqlite_sql.c.
 */
#include "db/dialect.h"

#include <string.h>

static const char *const init[] = {"PRAGMA foreign_keys = ON", NULL};

#define SQLITE_LOCKED 6
#define SQLITE_SCHEMA 17

/* SQLITE_BUSY: a writer outside the module kept the lock through the
 * driver's ~1.6 s of retries (the module's own writers take turns on a
 * lock of their own, sqlite_writers.c, and do not meet): nothing was
 * written, and one more try would most likely wait as long again while
 * the writers queued behind it wait too; so a 503 now.  The driver
 * returns SQLITE_BUSY from a statement that returns no rows, but
 * SQLITE_ERROR from one that does; SQLite's own message for SQLITE_BUSY
 * (not translated) tells that one apart.  (SQLite's busy_timeout is not
 * used: it would sleep holding the driver's process-wide mutex, stalling
 * every thread of the child.)  SQLITE_LOCKED, a conflict inside one
 * connection, is run again.  Statements are prepared afresh after any
 * failure but the module's own wait for its lock. */
static int classify(int rv, const char *error, const char *label)
{
    (void)label;
    if (rv == CHARON_RV_WRITERS_WAIT) {
        return 0;
    }
    if (rv == SQLITE_LOCKED) {
        return CHARON_ERR_RETRY | CHARON_ERR_FORGET;
    }
    /* A statement prepared before the schema changed (triggers dropped or
     * made by an operator, or by t/schema.t) is refused before it runs:
     * nothing written, prepared afresh and run again. */
    if (rv == SQLITE_SCHEMA
        || (error && strstr(error, "database schema has changed"))) {
        return CHARON_ERR_RETRY | CHARON_ERR_FORGET;
    }
    return CHARON_ERR_FORGET;
}

static const char schema_check[] =
    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN ("
    "'charon_execution_ended', 'charon_execution_lost', "
    "'charon_alert_attempt_counted', 'charon_execution_alert_ended', "
    "'charon_execution_alert_lost', 'charon_execution_alert_missed')";

const charon_dialect_t charon_dialect_sqlite = {
    "sqlite3",          "sqlite3", NULL,     NULL, "BEGIN IMMEDIATE", init,
    charon_sqlite_sql,  NULL,      classify, NULL, schema_check,      6,
    CHARON_CANCEL_NONE, NULL};
