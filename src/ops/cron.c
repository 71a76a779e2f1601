/*
 * cron.c: a cron as the API sees it now, found by slug or id, and the
 * cron an execution belongs to.  Whether a cron is on, and which run holds
 * its lock, is computed by the statement at each call: the requests never
 * depend on the watchdog having run.
 */
#include "ops/charon_ops.h"

typedef struct {
    charon_stmt_e st;
    const char *key; /* the slug, or the id as text */
    charon_cron_t *cron;
    int found;
} lookup_t;

static charon_db_e lookup(charon_db *db, void *baton)
{
    lookup_t *l = baton;
    const char *args[ONE_NARGS];
    const char *const *row;
    charon_cron_t *c = l->cron;

    args[ONE_ARG] = l->key;
    if (!charon_db_row(db, l->st, args, &row)) {
        return CHARON_DB_FAILED;
    }
    l->found = row != NULL;
    if (!row) {
        return CHARON_DB_OK;
    }
    c->running_id = 0;
    if (!charon_db_id(db, row[CRON_COL_ID], &c->id)
        || (row[CRON_COL_RUNNING_ID]
            && !charon_db_id(db, row[CRON_COL_RUNNING_ID], &c->running_id))) {
        return CHARON_DB_FAILED;
    }
    c->slug = row[CRON_COL_SLUG] ? row[CRON_COL_SLUG] : "";
    c->on = row[CRON_COL_ON] && !strcmp(row[CRON_COL_ON], "1");
    c->off_reason = row[CRON_COL_OFF_REASON] ? row[CRON_COL_OFF_REASON] : "";
    c->off_until = row[CRON_COL_OFF_UNTIL] ? row[CRON_COL_OFF_UNTIL] : "";
    return CHARON_DB_OK;
}

charon_db_e charon_op_cron_by_slug(charon_db *db, const char *slug,
                                   charon_cron_t *cron, int *found)
{
    lookup_t l = {ST_CRON_BY_SLUG, slug, cron, 0};
    charon_db_e rv = charon_db_run(db, 0, lookup, &l);

    *found = l.found;
    return rv;
}

charon_db_e charon_op_cron_by_id(charon_db *db, apr_int64_t id,
                                 charon_cron_t *cron, int *found)
{
    lookup_t l = {ST_CRON_BY_ID, charon_db_num(db, id), cron, 0};
    charon_db_e rv = charon_db_run(db, 0, lookup, &l);

    *found = l.found;
    return rv;
}

charon_db_e charon_op_can_start(charon_db *db, const char *slug,
                                charon_outcome_t *o)
{
    int found = 0;
    charon_db_e rv = charon_op_cron_by_slug(db, slug, &o->cron, &found);

    o->what = found ? CHARON_CAN_START : CHARON_NO_SLUG;
    return rv;
}

typedef struct {
    const char *id;
    const char *slug;
} slug_t;

static charon_db_e execution_slug(charon_db *db, void *baton)
{
    slug_t *s = baton;
    const char *args[ONE_NARGS];
    const char *const *row;

    args[ONE_ARG] = s->id;
    if (!charon_db_row(db, ST_EXECUTION_SLUG, args, &row)) {
        return CHARON_DB_FAILED;
    }
    s->slug = row ? (row[ONE_COL] ? row[ONE_COL] : "") : NULL;
    return CHARON_DB_OK;
}

charon_db_e charon_op_execution_slug(charon_db *db, apr_int64_t id,
                                     const char **slug)
{
    slug_t s = {charon_db_num(db, id), NULL};
    charon_db_e rv = charon_db_run(db, 0, execution_slug, &s);

    *slug = s.slug;
    return rv;
}
