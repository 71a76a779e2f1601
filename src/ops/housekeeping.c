/*
 * housekeeping.c: the watchdog's tasks, one bounded batch each.  Every
 * statement changes nothing when run twice, so several Apache servers on
 * one database need no coordination.
 */
#include "ops/charon_ops.h"

typedef struct {
    charon_stmt_e st;
    const char *const *args;
    int count;
} batch_t;

static charon_db_e batch(charon_db *db, void *baton)
{
    batch_t *b = baton;

    b->count = 0;
    return charon_db_exec(db, b->st, b->args, &b->count) ? CHARON_DB_OK
                                                         : CHARON_DB_FAILED;
}

static charon_db_e run_batch(charon_db *db, charon_stmt_e st,
                             const char *const *args, int *count)
{
    batch_t b = {st, args, 0};
    charon_db_e rv = charon_db_run(db, 0, batch, &b);

    *count = b.count;
    return rv;
}

charon_db_e charon_op_lose_overdue(charon_db *db, int *count)
{
    return run_batch(db, ST_WD_LOSE, NULL, count);
}

charon_db_e charon_op_reopen_crons(charon_db *db, int *count)
{
    return run_batch(db, ST_WD_REOPEN, NULL, count);
}

charon_db_e charon_op_watch_new(charon_db *db, int *count)
{
    return run_batch(db, ST_WD_WATCH_NEW, NULL, count);
}

charon_db_e charon_op_watch_reset(charon_db *db, int *count)
{
    return run_batch(db, ST_WD_WATCH_RESET, NULL, count);
}

charon_db_e charon_op_watch_gone(charon_db *db, int *count)
{
    return run_batch(db, ST_WD_WATCH_GONE, NULL, count);
}

charon_db_e charon_op_watch_off(charon_db *db, int *count)
{
    return run_batch(db, ST_WD_WATCH_OFF, NULL, count);
}

charon_db_e charon_op_purge_idempotency(charon_db *db, apr_int64_t window,
                                        int *count)
{
    const char *args[ONE_NARGS];

    args[ONE_ARG] = charon_db_num(db, window);
    return run_batch(db, ST_WD_IDEM_PURGE, args, count);
}

charon_db_e charon_op_purge_executions(charon_db *db,
                                       const charon_retention_t *rt,
                                       apr_int64_t cron_id, int *count)
{
    const char *args[RET_NARGS];

    args[RET_ARG_CRON] = charon_db_num(db, cron_id);
    args[RET_ARG_KEEP] = args[RET_ARG_KEEP_2] = charon_db_num(db, rt->keep);
    args[RET_ARG_MAX_AGE] = args[RET_ARG_MAX_AGE_2] =
        charon_db_num(db, rt->max_age);
    args[RET_ARG_KEEP_FAILURES] = charon_db_num(db, rt->keep_failures);
    return run_batch(db, ST_WD_RETENTION, args, count);
}

charon_db_e charon_op_purge_alerts(charon_db *db, apr_int64_t max_age,
                                   int *count)
{
    const char *args[ONE_NARGS];

    args[ONE_ARG] = charon_db_num(db, max_age);
    return run_batch(db, ST_AL_PURGE, args, count);
}

typedef struct {
    const char *after;
    apr_int64_t id;
    int found;
} next_t;

static charon_db_e next_cron(charon_db *db, void *baton)
{
    next_t *n = baton;
    const char *args[ONE_NARGS];
    const char *const *row;

    args[ONE_ARG] = n->after;
    if (!charon_db_row(db, ST_WD_NEXT_CRON, args, &row)) {
        return CHARON_DB_FAILED;
    }
    /* MIN() of nothing is NULL. */
    n->found = row && row[ONE_COL];
    return !n->found || charon_db_id(db, row[ONE_COL], &n->id)
               ? CHARON_DB_OK
               : CHARON_DB_FAILED;
}

charon_db_e charon_op_next_cron(charon_db *db, apr_int64_t after,
                                apr_int64_t *cron_id, int *found)
{
    next_t n = {charon_db_num(db, after), 0, 0};
    charon_db_e rv = charon_db_run(db, 0, next_cron, &n);

    *cron_id = n.id;
    *found = n.found;
    return rv;
}
