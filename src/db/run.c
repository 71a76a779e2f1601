/*
 * run.c: units of work, and the one policy for running them again.
 *
 * An operation that fails leaves nothing it wrote (a single statement, or
 * a transaction rolled back): that is what allows running it once more
 * when the failure changed nothing (a deadlock's victim, a locked SQLite,
 * a PostgreSQL that forgot the connection's statements: the dialect
 * judges, dialect_*.c) or when a concurrent change made it come to
 * nothing (an overlap lock that changed hands, an Idempotency-Key stored
 * by a concurrent duplicate).  A failure that may have written, or the
 * third run, is a 503: "not confirmed", which a retry with the same
 * Idempotency-Key resolves.
 */
#include "db/internal.h"

#define TRIES 3

/* fn once; in a transaction of its own when asked and none is open. */
static charon_db_e once(charon_db *db, int flags, charon_db_fn *fn,
                        void *baton)
{
    charon_db_e rv;

    if (!(flags & CHARON_DB_TX) || db->in_tx) {
        return fn(db, baton);
    }
    if (!charon_db_begin(db)) {
        return CHARON_DB_FAILED;
    }
    rv = fn(db, baton);
    if (rv != CHARON_DB_OK) {
        charon_db_rollback(db);
        return rv;
    }
    return charon_db_commit(db) ? CHARON_DB_OK : CHARON_DB_FAILED;
}

/* After a failure: what the dialect makes of it.  last: no try follows,
 * whatever the verdict. */
static int judge(charon_db *db, int last)
{
    int verdict;

    if (!db->failed) {
        return 0; /* not the database's: nothing to retry */
    }
    verdict = db->conn->dialect->classify(db->fail_rv, db->fail_error,
                                          db->fail_label);
    if (verdict & CHARON_ERR_FORGET) {
        charon_conn_forget(db);
    }
    if (verdict & CHARON_ERR_RETRY) {
        charon_db_log(
            db, APLOG_INFO,
            CHARON_LOGNO(109) "the failure changed nothing%s: %s",
            verdict & CHARON_ERR_FORGET ? " (statements prepared afresh)" : "",
            last ? "no more tries" : "running it again");
    }
    return last ? verdict & ~CHARON_ERR_RETRY : verdict;
}

charon_db_e charon_db_run(charon_db *db, int flags, charon_db_fn *fn,
                          void *baton)
{
    charon_db_e rv = CHARON_DB_FAILED;
    int tries;

    if (db->running) {
        return once(db, flags, fn, baton);
    }
    db->running = 1;
    for (tries = 1;; tries++) {
        /* A child that is ending waits for this: no further try. */
        int last = tries == TRIES || (db->stopping && db->stopping());

        db->failed = 0;
        rv = once(db, flags, fn, baton);
        charon_db_rollback(db); /* what fn left open, should it */
        if (rv == CHARON_DB_OK
            || (rv == CHARON_DB_FAILED
                && !(judge(db, last) & CHARON_ERR_RETRY))
            || last) {
            break;
        }
    }
    db->running = 0;
    if (rv == CHARON_DB_AGAIN) {
        charon_db_log(db, APLOG_WARNING,
                      CHARON_LOGNO(112) "a concurrent change came in the way "
                                        "%d times in a "
                                        "row: answering 503",
                      TRIES);
        rv = CHARON_DB_FAILED;
    }
    return rv;
}
