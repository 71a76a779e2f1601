/*
 * manage.c: the management API's changes to a cron (docs/MANAGEMENT.md).
 *
 * Each change is one transaction: the cron's row is read locked, its
 * ETag is compared with If-Match, the change is written with its record
 * in charon_audit, and the cron is read back for the answer.  Two
 * changes sent with the same ETag thus meet at the row lock (SQLite: the
 * database's), and the second sees the first's cron: 412.  Across Galera
 * nodes, where a lock is the node's own, the loser of certification runs
 * again and comes to the same 412.  A dry run is the same transaction,
 * rolled back.
 */
#include "ops/charon_ops.h"

#include "apr_strings.h"

static const char *text_col(const char *s)
{
    return s && *s ? s : NULL;
}

static apr_int64_t int_col(const char *s)
{
    return s ? apr_atoi64(s) : 0;
}

static apr_int64_t time_col(const char *s)
{
    apr_int64_t t = 0;

    return charon_iso_seconds(s, &t) ? t : 0;
}

void charon_crondoc_from_row(const char *const *row, charon_crondoc_t *c)
{
    charon_crondef_t *d = &c->def;

    c->id = int_col(row[AC_ID]);
    c->slug = row[AC_SLUG];
    c->created_at = time_col(row[AC_CREATED]);
    d->name = row[AC_NAME];
    d->active = int_col(row[AC_ACTIVE]) != 0;
    d->off_reason = text_col(row[AC_OFF_REASON]);
    d->off_until = time_col(row[AC_OFF_UNTIL]);
    d->concurrency = row[AC_CONCURRENCY];
    d->max_runtime = int_col(row[AC_MAX_RUNTIME]);
    d->schedule = text_col(row[AC_SCHEDULE]);
    d->timezone = text_col(row[AC_TIMEZONE]);
    d->grace = int_col(row[AC_GRACE]);
    d->min_runtime = int_col(row[AC_MIN_RUNTIME]);
    d->failure_threshold = int_col(row[AC_FAILURE]);
    d->recovery_threshold = int_col(row[AC_RECOVERY]);
    d->realert_every = int_col(row[AC_REALERT]);
    d->mute_until = time_col(row[AC_MUTE_UNTIL]);
}

static const char *const actions[] = {"create", "replace", "patch",
                                      "delete", "off",     "on"};

typedef struct {
    const charon_change_req_t *q;
    charon_change_res_t *res;
} change_t;

static const char *num_or_empty(charon_db *db, apr_int64_t n)
{
    return n ? charon_db_num(db, n) : "";
}

/* The arguments of ADM_CRON_INSERT and ADM_CRON_UPDATE. */
static void def_args(charon_db *db, const char *slug,
                     const charon_crondef_t *d, const char **args)
{
    args[ADM_ARG_SLUG] = slug;
    args[ADM_ARG_NAME] = d->name;
    args[ADM_ARG_ACTIVE] = d->active ? "1" : "0";
    args[ADM_ARG_OFF_REASON] = d->off_reason ? d->off_reason : "";
    args[ADM_ARG_OFF_UNTIL] = num_or_empty(db, d->off_until);
    args[ADM_ARG_CONCURRENCY] = d->concurrency;
    args[ADM_ARG_MAX_RUNTIME] = num_or_empty(db, d->max_runtime);
    args[ADM_ARG_SCHEDULE] = d->schedule ? d->schedule : "";
    args[ADM_ARG_TIMEZONE] = d->timezone ? d->timezone : "";
    args[ADM_ARG_GRACE] = charon_db_num(db, d->grace);
    args[ADM_ARG_MIN_RUNTIME] = num_or_empty(db, d->min_runtime);
    args[ADM_ARG_FAILURE] = charon_db_num(db, d->failure_threshold);
    args[ADM_ARG_RECOVERY] = charon_db_num(db, d->recovery_threshold);
    args[ADM_ARG_REALERT] = num_or_empty(db, d->realert_every);
    args[ADM_ARG_MUTE_UNTIL] = num_or_empty(db, d->mute_until);
}

static int refuse(charon_change_res_t *res, int status, const char *detail,
                  const char *field)
{
    res->status = status;
    res->detail = detail;
    res->field = field;
    return 1;
}

/* The cron's document and ETag, locked: 1, or 0 when the statement
 * failed; *found 0 when no cron has the slug. */
static int read_locked(charon_db *db, const char *slug, charon_crondoc_t *c,
                       const char **json, const char **etag, int *found)
{
    apr_pool_t *p = charon_db_pool(db);
    const char *args[ONE_NARGS];
    const char *const *row;

    args[ONE_ARG] = slug;
    if (!charon_db_row(db, ST_ADM_CRON_LOCK, args, &row)) {
        return 0;
    }
    *found = row != NULL;
    *json = *etag = NULL;
    if (row) {
        charon_crondoc_from_row(row, c);
        *json = charon_crondoc_json(p, c);
        *etag = *json ? charon_etag(p, *json) : NULL;
    }
    return 1;
}

/* What the request makes of the cron (cur: NULL when there is none):
 * 1 and *next, or 0 with the refusal in res. */
static int next_def(apr_pool_t *p, const charon_change_req_t *q,
                    const charon_crondef_t *cur, charon_crondef_t *next,
                    charon_change_res_t *res)
{
    charon_error_t err;

    switch (q->act) {
    case CHARON_ACT_PUT:
    case CHARON_ACT_PATCH:
        if (!charon_crondef_parse(p, q->body, q->len, q->slug, cur,
                                  q->act == CHARON_ACT_PUT ? CHARON_BODY_PUT
                                                           : CHARON_BODY_PATCH,
                                  next, &err)) {
            return !refuse(res, err.status, err.detail, err.field);
        }
        return 1;
    case CHARON_ACT_OFF:
        *next = *cur;
        next->active = 0;
        next->off_reason = q->reason;
        next->off_until = q->until;
        return 1;
    case CHARON_ACT_ON:
        *next = *cur;
        next->active = 1;
        next->off_reason = NULL;
        next->off_until = 0;
        return 1;
    default: return 1;
    }
}

static charon_db_e audit(charon_db *db, const change_t *c, const char *action,
                         apr_int64_t cron_id, const char *before,
                         const char *after)
{
    const char *args[AUI_NARGS];

    args[AUI_ARG_WHO] = c->q->who;
    args[AUI_ARG_ACTION] = action;
    args[AUI_ARG_CRON] = charon_db_num(db, cron_id);
    args[AUI_ARG_SLUG] = c->q->slug;
    args[AUI_ARG_BEFORE] = before ? before : "";
    args[AUI_ARG_AFTER] = after ? after : "";
    return charon_db_exec(db, ST_ADM_AUDIT_INSERT, args, NULL)
               ? CHARON_DB_OK
               : CHARON_DB_FAILED;
}

static charon_db_e delete_cron(charon_db *db, change_t *c,
                               const charon_crondoc_t *cur, const char *json)
{
    const char *args[ONE_NARGS];
    const char *const *row;

    args[ONE_ARG] = charon_db_num(db, cur->id);
    if (!c->q->delete_executions) {
        if (!charon_db_row(db, ST_ADM_CRON_HAS_EXECS, args, &row)) {
            return CHARON_DB_FAILED;
        }
        if (row) {
            refuse(c->res, 409,
                   "the cron has executions: DELETE with ?executions=delete "
                   "to delete them too",
                   NULL);
            return CHARON_DB_OK;
        }
    }
    if (!charon_db_exec(db, ST_ADM_CRON_DELETE, args, NULL)) {
        return CHARON_DB_FAILED;
    }
    c->res->status = 204;
    return audit(db, c, "delete", cur->id, json, NULL);
}

static charon_db_e change(charon_db *db, void *baton)
{
    change_t *c = baton;
    const charon_change_req_t *q = c->q;
    charon_change_res_t *res = c->res;
    apr_pool_t *p = charon_db_pool(db);
    charon_crondoc_t cur, after;
    charon_crondef_t next;
    const char *json, *etag, *args[ADMU_NARGS];
    int found, changed = 0, action;

    memset(res, 0, sizeof(*res));
    memset(&cur, 0, sizeof(cur));
    if (!read_locked(db, q->slug, &cur, &json, &etag, &found)) {
        return CHARON_DB_FAILED;
    }
    if (q->if_match && !charon_etag_matches(q->if_match, etag)) {
        refuse(res, 412,
               found ? "If-Match names no ETag the cron has now: it has "
                       "changed since"
                     : "If-Match: no cron has this slug",
               NULL);
        return CHARON_DB_OK;
    }
    if (q->if_none_match && charon_etag_matches(q->if_none_match, etag)) {
        refuse(res, 412, "If-None-Match: the cron exists as named", NULL);
        return CHARON_DB_OK;
    }
    if (!found && q->act != CHARON_ACT_PUT) {
        refuse(res, 404, "no cron has this slug", NULL);
        return CHARON_DB_OK;
    }
    if (q->act == CHARON_ACT_DELETE) {
        return delete_cron(db, c, &cur, json);
    }
    if (!next_def(p, q, found ? &cur.def : NULL, &next, res)) {
        return CHARON_DB_OK;
    }
    if (found && charon_crondef_equal(&cur.def, &next)) {
        res->status = 200; /* the same again: nothing to write or record */
        res->json = json;
        res->etag = etag;
        return CHARON_DB_OK;
    }
    def_args(db, q->slug, &next, args);
    if (!found) {
        if (!charon_db_exec(db, ST_ADM_CRON_INSERT, args, &changed)) {
            return CHARON_DB_FAILED;
        }
        if (!changed) {
            return CHARON_DB_AGAIN; /* created meanwhile: replace it */
        }
    }
    else {
        args[ADMU_ARG_ID] = charon_db_num(db, cur.id);
        if (!charon_db_exec(db, ST_ADM_CRON_UPDATE, args, &changed)) {
            return CHARON_DB_FAILED;
        }
    }
    action = !found                       ? 0
             : q->act == CHARON_ACT_OFF   ? 4
             : q->act == CHARON_ACT_ON    ? 5
             : q->act == CHARON_ACT_PATCH ? 2
                                          : 1;
    res->status = found ? 200 : 201;
    if (!read_locked(db, q->slug, &after, &res->json, &res->etag, &found)) {
        return CHARON_DB_FAILED;
    }
    if (!found || !res->json) {
        return CHARON_DB_FAILED; /* written, and not there: not confirmed */
    }
    return audit(db, c, actions[action], after.id, json, res->json);
}

charon_db_e charon_op_manage(charon_db *db, const charon_change_req_t *q,
                             charon_change_res_t *res)
{
    change_t c = {q, res};

    return charon_db_run(db, CHARON_DB_TX | (q->dry_run ? CHARON_DB_DRY : 0),
                         change, &c);
}

typedef struct {
    charon_stmt_e st;
    const char *const *args;
    int max_rows;
    charon_rows_t *rows;
} read_t;

static charon_db_e read_rows(charon_db *db, void *baton)
{
    read_t *rd = baton;

    return charon_db_rows(db, rd->st, rd->args, rd->max_rows, rd->rows)
               ? CHARON_DB_OK
               : CHARON_DB_FAILED;
}

charon_db_e charon_op_read(charon_db *db, charon_stmt_e st,
                           const char *const *args, int max_rows,
                           charon_rows_t *rows)
{
    read_t rd = {st, args, max_rows, rows};

    rows->nrows = 0;
    return charon_db_run(db, 0, read_rows, &rd);
}
