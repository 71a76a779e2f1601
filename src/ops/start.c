/*
 * start.c: a new execution, unless the cron is off or another run holds
 * its overlap lock.
 *
 * The INSERT decides atomically: it creates nothing for a cron that is off
 * or locked (the lock is a unique index over the running executions of a
 * 'forbid' cron).  Only when it created nothing is the cron read, to say
 * why, and the refusal counted on it.
 *
 * A schedule sent with the start is stored first, when it changed: it
 * says when the job runs, whether or not this start is allowed.
 */
#include "ops/charon_ops.h"

typedef struct {
    const charon_call_t *call;
    charon_outcome_t *o;
    const char *cron; /* its id, as text */
} start_t;

static int insert(charon_db *db, start_t *s)
{
    const char *args[START_NARGS];

    args[START_ARG_KEY_NAME] = s->call->key_name;
    args[START_ARG_ADDR] = s->call->remote_addr;
    args[START_ARG_CRON] = s->cron;
    return charon_db_insert(db, ST_START, args, &s->o->id);
}

/* Counts a refused start on the cron.  The count is part of the answer:
 * when it cannot be written, neither is the refusal given. */
static charon_db_e refuse(charon_db *db, start_t *s, charon_stmt_e counter,
                          charon_outcome_e why)
{
    const char *args[ONE_NARGS];

    args[ONE_ARG] = s->cron;
    s->o->what = why;
    return charon_db_exec(db, counter, args, NULL) ? CHARON_DB_OK
                                                   : CHARON_DB_FAILED;
}

/* One statement, which changes nothing when the cron has that schedule:
 * what it leaves behind when the insert then fails is what the job said,
 * so the call may run again without a transaction around both. */
static int set_schedule(charon_db *db, start_t *s)
{
    const charon_sched_t *sc = &s->call->sched;
    const char *args[CSCHED_NARGS];

    args[CSCHED_ARG_SCHEDULE] = args[CSCHED_ARG_SCHEDULE_2] =
        sc->schedule ? sc->schedule : "";
    args[CSCHED_ARG_TIMEZONE] = args[CSCHED_ARG_TIMEZONE_2] =
        sc->timezone ? sc->timezone : "";
    args[CSCHED_ARG_GRACE] = args[CSCHED_ARG_GRACE_2] =
        charon_db_num(db, sc->grace);
    args[CSCHED_ARG_ID] = s->cron;
    return charon_db_exec(db, ST_CRON_SCHEDULE, args, NULL);
}

static charon_db_e start(charon_db *db, void *baton)
{
    start_t *s = baton;
    const char *args[ONE_NARGS];
    int found;

    s->o->what = CHARON_STARTED;
    if (s->call->sched.given && !set_schedule(db, s)) {
        return CHARON_DB_FAILED;
    }
    if (!insert(db, s)) {
        return CHARON_DB_FAILED;
    }
    if (s->o->id) {
        return CHARON_DB_OK;
    }
    /* Nothing was created: no such cron, off, or locked. */
    if (charon_op_cron_by_id(db, s->call->id, &s->o->cron, &found)
        != CHARON_DB_OK) {
        return CHARON_DB_FAILED;
    }
    if (!found) {
        s->o->what = CHARON_NO_CRON;
        return CHARON_DB_OK;
    }
    if (!s->o->cron.on) {
        return refuse(db, s, ST_REFUSED_INACTIVE, CHARON_REFUSED_OFF);
    }
    if (s->o->cron.running_id) {
        return refuse(db, s, ST_REFUSED_LOCKED, CHARON_REFUSED_LOCKED);
    }
    /* On, and no live holder: the index is held by a run past its
     * max_runtime that the watchdog has not marked yet.  Mark it, and
     * insert again; if the lock changed hands just then, the whole call
     * runs again (and finds out why). */
    args[ONE_ARG] = s->cron;
    if (!charon_db_exec(db, ST_LOSE_OVERDUE, args, NULL) || !insert(db, s)) {
        return CHARON_DB_FAILED;
    }
    return s->o->id ? CHARON_DB_OK : CHARON_DB_AGAIN;
}

charon_db_e charon_op_start(charon_db *db, const charon_call_t *call,
                            charon_outcome_t *o)
{
    start_t s = {call, o, charon_db_num(db, call->id)};

    memset(o, 0, sizeof(*o));
    return charon_db_run(db, 0, start, &s);
}
