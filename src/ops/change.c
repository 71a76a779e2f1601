/*
 * change.c: the manager's changes to a cron.  Values are checked by the
 * caller before they come here; the database decides the rest (a slug
 * taken, a cron gone meanwhile).
 */
#include "ops/charon_ops.h"

#include "apr_strings.h"

typedef struct {
    charon_stmt_e st;
    const char *const *args;
    const char *id; /* the cron's, as text */
    charon_change_e out;
} update_t;

/* An UPDATE of one cron.  MySQL counts the rows changed, not found: 0 rows
 * is also a change to the same value, so the cron is looked up then. */
static charon_db_e update(charon_db *db, void *baton)
{
    update_t *u = baton;
    const char *args[ONE_NARGS];
    const char *const *row;
    int n = 0;

    if (!charon_db_exec(db, u->st, u->args, &n)) {
        return CHARON_DB_FAILED;
    }
    u->out = CHARON_CHANGED;
    if (n > 0) {
        return CHARON_DB_OK;
    }
    args[ONE_ARG] = u->id;
    if (!charon_db_row(db, ST_MGR_EXISTS, args, &row)) {
        return CHARON_DB_FAILED;
    }
    u->out = row ? CHARON_CHANGED : CHARON_CHANGE_NO_CRON;
    return CHARON_DB_OK;
}

static charon_db_e run_update(charon_db *db, charon_stmt_e st,
                              const char *const *args, const char *id,
                              charon_change_e *out)
{
    update_t u = {st, args, id, CHARON_CHANGE_NO_CRON};
    charon_db_e rv = charon_db_run(db, 0, update, &u);

    *out = u.out;
    return rv;
}

charon_db_e charon_op_rename(charon_db *db, apr_int64_t id, const char *name,
                             charon_change_e *out)
{
    const char *args[RENAME_NARGS];

    args[RENAME_ARG_NAME] = name;
    args[RENAME_ARG_ID] = charon_db_num(db, id);
    return run_update(db, ST_MGR_RENAME, args, args[RENAME_ARG_ID], out);
}

charon_db_e charon_op_switch_off(charon_db *db, apr_int64_t id,
                                 const char *reason, apr_time_t until,
                                 charon_change_e *out)
{
    const char *args[OFF_NARGS];

    args[OFF_ARG_REASON] = reason;
    args[OFF_ARG_UNTIL] = until ? charon_db_num(db, apr_time_sec(until)) : "";
    args[OFF_ARG_ID] = charon_db_num(db, id);
    return run_update(db, ST_MGR_OFF, args, args[OFF_ARG_ID], out);
}

/* A change that takes the cron's id alone. */
static charon_db_e id_update(charon_db *db, charon_stmt_e st, apr_int64_t id,
                             charon_change_e *out)
{
    const char *args[ONE_NARGS];

    args[ONE_ARG] = charon_db_num(db, id);
    return run_update(db, st, args, args[ONE_ARG], out);
}

charon_db_e charon_op_switch_on(charon_db *db, apr_int64_t id,
                                charon_change_e *out)
{
    return id_update(db, ST_MGR_ON, id, out);
}

charon_db_e charon_op_policy(charon_db *db, apr_int64_t id,
                             const char *concurrency, const char *max_runtime,
                             charon_change_e *out)
{
    const char *args[POLICY_NARGS];

    args[POLICY_ARG_CONCURRENCY] = concurrency;
    args[POLICY_ARG_MAX_RUNTIME] = max_runtime;
    args[POLICY_ARG_ID] = charon_db_num(db, id);
    return run_update(db, ST_MGR_POLICY, args, args[POLICY_ARG_ID], out);
}

charon_db_e charon_op_alert_policy(charon_db *db, apr_int64_t id,
                                   int failure_threshold,
                                   int recovery_threshold,
                                   const char *realert_every,
                                   charon_change_e *out)
{
    const char *args[APOL_NARGS];

    args[APOL_ARG_FAILURE] = charon_db_num(db, failure_threshold);
    args[APOL_ARG_RECOVERY] = charon_db_num(db, recovery_threshold);
    args[APOL_ARG_REALERT] = realert_every;
    args[APOL_ARG_ID] = charon_db_num(db, id);
    return run_update(db, ST_MGR_ALERT_POLICY, args, args[APOL_ARG_ID], out);
}

charon_db_e charon_op_mute(charon_db *db, apr_int64_t id, apr_int64_t secs,
                           charon_change_e *out)
{
    const char *args[MUTE_NARGS];

    args[MUTE_ARG_SECS] = charon_db_num(db, secs);
    args[MUTE_ARG_ID] = charon_db_num(db, id);
    return run_update(db, ST_MGR_MUTE, args, args[MUTE_ARG_ID], out);
}

charon_db_e charon_op_unmute(charon_db *db, apr_int64_t id,
                             charon_change_e *out)
{
    return id_update(db, ST_MGR_UNMUTE, id, out);
}

/* The three that say when the cron runs are written together, as a start
 * sets them (the watchdog starts judging afresh when any of them changed),
 * with min_runtime, which the same form carries. */
charon_db_e charon_op_schedule(charon_db *db, apr_int64_t id,
                               const char *schedule, const char *timezone,
                               apr_int64_t grace, const char *min_runtime,
                               charon_change_e *out)
{
    const char *args[MSCHED_NARGS];

    args[MSCHED_ARG_SCHEDULE] = schedule;
    args[MSCHED_ARG_TIMEZONE] = timezone;
    args[MSCHED_ARG_GRACE] = charon_db_num(db, grace);
    args[MSCHED_ARG_MIN_RUNTIME] = min_runtime;
    args[MSCHED_ARG_ID] = charon_db_num(db, id);
    return run_update(db, ST_MGR_SCHEDULE, args, args[MSCHED_ARG_ID], out);
}

typedef struct {
    const char *const *args;
    charon_change_e out;
    apr_int64_t id;
} create_t;

/* Nothing is added when the slug is taken (the unique index decides, so
 * two operators creating one slug at once get one cron); the new cron's
 * id comes from its slug, in the same transaction. */
static charon_db_e create(charon_db *db, void *baton)
{
    create_t *c = baton;
    const char *args[ONE_NARGS];
    const char *const *row;
    int n = 0;

    if (!charon_db_exec(db, ST_MGR_CREATE, c->args, &n)) {
        return CHARON_DB_FAILED;
    }
    c->out = n ? CHARON_CHANGED : CHARON_CHANGE_SLUG_TAKEN;
    if (!n) {
        return CHARON_DB_OK;
    }
    args[ONE_ARG] = c->args[CREATE_ARG_SLUG];
    if (!charon_db_row(db, ST_MGR_ID_BY_SLUG, args, &row) || !row
        || !charon_db_id(db, row[ONE_COL], &c->id)) {
        return CHARON_DB_FAILED;
    }
    return CHARON_DB_OK;
}

charon_db_e charon_op_create(charon_db *db, const char *slug, const char *name,
                             const char *concurrency, const char *max_runtime,
                             charon_change_e *out, apr_int64_t *id)
{
    const char *args[CREATE_NARGS];
    create_t c = {args, CHARON_CHANGE_SLUG_TAKEN, 0};
    charon_db_e rv;

    args[CREATE_ARG_SLUG] = slug;
    args[CREATE_ARG_NAME] = name;
    args[CREATE_ARG_CONCURRENCY] = concurrency;
    args[CREATE_ARG_MAX_RUNTIME] = max_runtime;
    rv = charon_db_run(db, CHARON_DB_TX, create, &c);
    *out = c.out;
    *id = c.id;
    return rv;
}
