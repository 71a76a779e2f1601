/*
 * run.c: units of work, and the one policy for running them again.
 *
 * An operation that fails leaves nothing it wrote (a single statement, or
 * a transaction rolled back): that is what allows running it once more
 * when the failure changed nothing (a deadlock's victim, a locked SQLite,
 * a PostgreSQL that forgot the connection's statements: the dialect
 * judges, dialect_*.c; a connection the server dropped before anything
 * was written, connected again) or when a concurrent change made it come to
 * nothing (an overlap lock that changed hands, an Idempotency-Key stored
 * by a concurrent duplicate).  A failure that may have written, or the
 * third run, is a 503: "not confirmed", which a retry with the same
 * Idempotency-Key resolves.
 */
#include "db/internal.h"

#include "apr_strings.h"

#define TRIES          3
/* Two Apache servers writing one cron's rows through two Galera nodes
 * lose certification often under load (a cron's counters are one row):
 * in the scale test three tries left some 100 503s a minute with the
 * database up, eight spaced tries 2 to 16. */
#define CONFLICT_TRIES 12

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
    if (rv != CHARON_DB_OK || (flags & CHARON_DB_DRY)) {
        charon_db_rollback(db);
        return rv;
    }
    return charon_db_commit(db) ? CHARON_DB_OK : CHARON_DB_FAILED;
}

/* After a failure: what the dialect makes of it.  last: no try follows,
 * whatever the verdict. */
static int judge(charon_db *db, int last)
{
    int verdict, lost = 0, alive;
    const char *what;

    if (!db->failed) {
        return 0; /* not the database's: nothing to retry */
    }
    verdict = db->conn->dialect->classify(db->fail_rv, db->fail_error,
                                          db->fail_label);
    if (verdict & CHARON_ERR_FORGET) {
        charon_conn_forget(db);
    }
    if (verdict & CHARON_ERR_DOWN) {
        charon_outage_refused(db, apr_psprintf(db->pool,
                                               "statement %s failed (%s)",
                                               db->fail_what, db->fail_error));
        db->fail_said = 1;
        return 0;
    }
    if (!(verdict & CHARON_ERR_RETRY)) {
        /* Was the connection dropped?  Then it is connected again, for
         * this request's next try and whichever request draws it next. */
        alive = charon_conn_check(db, &lost);
        lost |= !!(verdict & CHARON_ERR_LOST);
        if (lost && alive && db->fail_unwritten) {
            verdict |= CHARON_ERR_RETRY;
        }
        if (!alive) {
            /* The database, not the statement: an outage, told once. */
            charon_conn_dead(db);
            charon_outage_refused(
                db, apr_psprintf(db->pool,
                                 "statement %s failed (%s) and the "
                                 "connection answers no query",
                                 db->fail_what, db->fail_error));
            db->fail_said = 1;
            return 0;
        }
        if (lost) {
            charon_db_log(db, APLOG_INFO,
                          CHARON_LOGNO(116) "the server had dropped the "
                                            "connection: %s",
                          db->fail_unwritten
                              ? "connected again"
                              : "connected again; what failed may have "
                                "been written, so it is not run again");
        }
    }
    if (verdict & CHARON_ERR_RETRY) {
        what = lost                          ? " (connected again)"
               : verdict & CHARON_ERR_FORGET ? " (statements prepared afresh)"
                                             : "";
        charon_db_log(db, APLOG_INFO,
                      CHARON_LOGNO(109) "statement %s failed (%s); the "
                                        "failure changed nothing%s: %s",
                      db->fail_what, db->fail_error, what,
                      last ? "no more tries" : "running it again");
    }
    return last ? verdict & ~CHARON_ERR_RETRY : verdict;
}

charon_db_e charon_db_run(charon_db *db, int flags, charon_db_fn *fn,
                          void *baton)
{
    charon_db_e rv = CHARON_DB_FAILED;
    int tries, max = TRIES, verdict;

    if (db->running) {
        return once(db, flags, fn, baton);
    }
    db->running = 1;
    if (!charon_conn_check_idle(db)) {
        db->running = 0;
        return CHARON_DB_FAILED;
    }
    for (tries = 1;; tries++) {
        /* A child that is ending waits for this: no further try. */
        int last = tries >= max || (db->stopping && db->stopping());

        db->failed = 0;
        db->fail_said = 0;
        db->cancelled = 0;
        rv = once(db, flags, fn, baton);
        charon_db_rollback(db); /* what fn left open, should it */
        if (db->cancelled) {
            /* A commit cancelled while it waited for a standby completes
             * on the primary; a MySQL server that stopped answering may
             * have committed: written, perhaps, and not confirmed. */
            charon_db_log(db, APLOG_ERR,
                          CHARON_LOGNO(121) "a statement ran past %d s and "
                                            "was cancelled (%s): what it "
                                            "wrote may stand; answering 503",
                          CHARON_CANCEL_AFTER_SECS, db->cancel_why);
            db->fail_said = 1;
            rv = CHARON_DB_FAILED;
            break;
        }
        if (rv == CHARON_DB_OK) {
            break;
        }
        if (rv == CHARON_DB_FAILED) {
            verdict = judge(db, last);
            if (!(verdict & CHARON_ERR_RETRY)) {
                break;
            }
            if (verdict & CHARON_ERR_CONFLICT) {
                /* Spaced at random, so that the writers that conflicted
                 * do not meet again: up to 4, 8, 12... ms. */
                max = CONFLICT_TRIES;
                apr_sleep(apr_time_from_msec(1)
                          + (apr_time_now() ^ (apr_uintptr_t)db)
                                % (4000 * tries));
            }
        }
        else if (last) {
            break;
        }
    }
    db->running = 0;
    db->conn->used = apr_time_now();
    if (rv == CHARON_DB_OK) {
        charon_outage_over(db);
    }
    else if (db->failed && !db->fail_said) {
        charon_db_log_failure(db);
    }
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
