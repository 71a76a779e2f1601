/*
 * tx.c: transactions: BEGIN (the dialect's, or a Galera node's), COMMIT
 * and ROLLBACK, with SQLite's writers' lock held from BEGIN to the end
 * (sqlite_writers.c).
 */
#include "db/internal.h"

#include <string.h>

/* Transaction control: no values, no preparing.  A ROLLBACK's failure
 * is not recorded: it follows the failure that matters (often a
 * connection gone, which rolls back anyway). */
static int plain(charon_db *db, const char *sql)
{
    charon_watch w;
    int nrows, rv;

    db->statements++;
    charon_watch_begin(db, &w); /* a COMMIT waiting for a standby */
    rv = apr_dbd_query(db->dbd->driver, db->dbd->handle, &nrows, sql);
    charon_watch_end(db, &w);
    if (rv && strcmp(sql, "ROLLBACK")) {
        charon_db_failed(db, sql, NULL, rv);
    }
    return rv == 0;
}

int charon_db_begin(charon_db *db)
{
    if (!charon_conn_ready(db)) {
        return 0;
    }
    if (!charon_sqlite_lock(db, "BEGIN")) {
        return 0;
    }
    db->in_tx = 1; /* so that a failed BEGIN counts as nothing written */
    if (!plain(db, db->conn->galera ? db->conn->dialect->galera->begin
                                    : db->conn->dialect->begin)) {
        db->in_tx = 0;
        charon_sqlite_unlock(db);
        return 0;
    }
    return 1;
}

/* 0 when the commit failed: everything is rolled back. */
int charon_db_commit(charon_db *db)
{
    if (!db->in_tx) {
        return 0;
    }
    db->in_tx = 0;
    if (db->conn->galera) {
        const char *open =
            charon_conn_ask(db, db->conn->dialect->galera->in_tx);

        if (!open || strcmp(open, "1")) {
            /* Gone already (or the question failed): nothing of it will
             * be committed.  Like a certification conflict: again. */
            charon_db_failed_own(db, "COMMIT", 1213,
                                 "the transaction was no longer open "
                                 "before COMMIT (aborted by the cluster "
                                 "without a word)");
            plain(db, "ROLLBACK");
            charon_sqlite_unlock(db);
            return 0;
        }
    }
    if (!plain(db, "COMMIT")) {
        plain(db, "ROLLBACK");
        charon_sqlite_unlock(db);
        return 0;
    }
    charon_sqlite_unlock(db);
    return 1;
}

void charon_db_rollback(charon_db *db)
{
    if (db->in_tx) {
        db->in_tx = 0;
        plain(db, "ROLLBACK");
    }
    charon_sqlite_unlock(db);
}
