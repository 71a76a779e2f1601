/*
 * dialect_mysql.c: the MySQL and MariaDB dialects: what a connection runs
 * once, which server is MariaDB 10.5+, which errors are worth another try,
 * the schema's triggers, and what a Galera node needs.  The statements
 * are in dialect_mysql_sql.c.
 */
#include "db/dialect.h"

#include <stdlib.h>
#include <string.h>

static const char *const init[] = {
    "SET NAMES utf8mb4",
    /* A statement waiting longer for a lock gives up: a 503, not a wait. */
    "SET SESSION lock_wait_timeout = 5",
    "SET SESSION innodb_lock_wait_timeout = 5", NULL};

static int mariadb_10_5(const char *version)
{
    char *end;
    long major, minor = 0;

    if (!version || !strstr(version, "MariaDB")) {
        return 0;
    }
    major = strtol(version, &end, 10);
    if (*end == '.') {
        minor = strtol(end + 1, NULL, 10);
    }
    return major > 10 || (major == 10 && minor >= 5);
}

/* The driver returns MySQL's error number.  A deadlock's victim was
 * rolled back whole (1213): run it again.  Statements live in the client
 * and are cheap to prepare: after any failure they are prepared afresh,
 * which recovers from a reconnection the driver made on its own.  The
 * client's 2006 (gone away) and 2013 (lost during the query) say the
 * connection is gone: the driver reconnects by itself, so a ping would
 * not tell. */
static int classify(int rv, const char *error, const char *label)
{
    (void)error;
    (void)label;
    /* 1792: a write outside a transaction in a read-only session, which
     * only a Galera node's silent abort leaves (dialect.h): nothing of
     * the unit stands. */
    if (rv == 1213 || rv == 1792) {
        return CHARON_ERR_RETRY | CHARON_ERR_FORGET | CHARON_ERR_CONFLICT;
    }
    /* 1047: a Galera node that left the group, or has not joined it yet,
     * answers SELECT 1 and refuses every table. */
    if (rv == 1047) {
        return CHARON_ERR_FORGET | CHARON_ERR_DOWN;
    }
    if (rv == 2006 || rv == 2013) {
        return CHARON_ERR_FORGET | CHARON_ERR_LOST;
    }
    return CHARON_ERR_FORGET;
}

/* information_schema shows a trigger to a user with a privilege on its
 * table (ALL, or TRIGGER). */
static const char schema_check[] =
    "SELECT COUNT(*) FROM information_schema.TRIGGERS "
    "WHERE TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME IN ("
    "'charon_execution_outcome', 'charon_alert_attempt_counted', "
    "'charon_execution_alert', 'charon_execution_alert_missed')";

/* MariaDB's Galera (dialect.h).  The session's default is read-only; a
 * unit's transaction is read-write.  wsrep_sync_wait = 1: a read, or a
 * transaction's start, waits until the node has applied what the cluster
 * committed before it, so that a run started through one node can be
 * ended at once through another (a node applies others' writes a moment
 * after they commit). */
static const charon_galera_t galera = {
    "SELECT @@wsrep_on", "SET SESSION tx_read_only = 1, wsrep_sync_wait = 1",
    "START TRANSACTION READ WRITE", "SELECT @@in_transaction"};

const charon_dialect_t charon_dialect_mysql = {"mysql",
                                               "mysql",
                                               NULL,
                                               NULL,
                                               "START TRANSACTION",
                                               init,
                                               charon_mysql_sql,
                                               NULL,
                                               classify,
                                               "SELECT 1",
                                               schema_check,
                                               4,
                                               CHARON_CANCEL_SOCKET,
                                               NULL};

const charon_dialect_t charon_dialect_mariadb = {"mariadb",
                                                 "mysql",
                                                 "SELECT VERSION()",
                                                 mariadb_10_5,
                                                 "START TRANSACTION",
                                                 init,
                                                 charon_mysql_sql,
                                                 charon_mysql_mariadb_sql,
                                                 classify,
                                                 "SELECT 1",
                                                 schema_check,
                                                 4,
                                                 CHARON_CANCEL_SOCKET,
                                                 &galera};
