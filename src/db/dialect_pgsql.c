/*
 * dialect_pgsql.c: how the module speaks to PostgreSQL: what a connection
 * runs once, how a transaction opens, which errors are worth another
 * try; its statements are in dialect_pgsql_sql.c.
 */
#include "db/dialect.h"

#include <string.h>

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

static const char schema_check[] =
    "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
    "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid) "
    "AND t.tgname IN ('charon_execution_outcome', "
    "'charon_alert_attempt_counted', 'charon_execution_alert')";

const charon_dialect_t charon_dialect_pgsql = {
    "pgsql",          "pgsql", NULL,     NULL,       "BEGIN",      init,
    charon_pgsql_sql, NULL,    classify, "SELECT 1", schema_check, 3,
    CHARON_CANCEL_PQ, NULL};
