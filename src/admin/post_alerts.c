/*
 * post_alerts.c: the manager's alert changes, checked like every change
 * (post.c) before the database is touched: a cron's alert policy, muting
 * it for a while and unmuting it (303 to the cron's page), and a test
 * alert queued for one channel (303 to the alerts page).
 */
#include "admin/post.h"

#include "apr_strings.h"

typedef struct {
    charon_stmt_e st;
    const char *const *args;
    const char *id; /* the cron's, as text */
    charon_change_e out;
} update_t;

/* One UPDATE of the cron.  MySQL counts the rows changed, not found: 0
 * rows may be the same values again, so the cron is looked up then (as
 * ops/change.c does). */
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

static int run_update(mgr_post_t *ps, charon_stmt_e st,
                      const char *const *args, const char *what)
{
    update_t u = {st, args, ps->cron, CHARON_CHANGE_NO_CRON};
    charon_db *db = mgr_post_db(ps);
    charon_db_e rv;

    if (!db) {
        return mgr_send_unavailable(ps->r);
    }
    rv = charon_db_run(db, 0, update, &u); /* before u.out is read */
    return mgr_changed(ps, rv, u.out, what);
}

int mgr_do_alert_policy(mgr_post_t *ps)
{
    apr_pool_t *p = ps->r->pool;
    const char *args[APOL_NARGS], *why, *field;
    charon_alert_form_t f;

    if ((why = charon_alert_policy_form(p, MGR_FIELD(ps, "failure_threshold"),
                                        MGR_FIELD(ps, "recovery_threshold"),
                                        MGR_FIELD(ps, "realert_every"), &f,
                                        &field))) {
        return mgr_reshow(ps, HTTP_BAD_REQUEST, why, field);
    }
    args[APOL_ARG_FAILURE] = apr_itoa(p, f.failure_threshold);
    args[APOL_ARG_RECOVERY] = apr_itoa(p, f.recovery_threshold);
    args[APOL_ARG_REALERT] = f.realert_every;
    args[APOL_ARG_ID] = ps->cron;
    return run_update(ps, ST_MGR_ALERT_POLICY, args, "alert policy");
}

/* Until the database's now plus the length: the watchdog compares
 * mute_until with the same clock. */
int mgr_do_mute(mgr_post_t *ps)
{
    apr_pool_t *p = ps->r->pool;
    const char *length = MGR_FIELD(ps, "for"), *args[MUTE_NARGS], *why;
    apr_int64_t secs;

    if ((why = charon_alert_mute_for(p, length, &secs))) {
        return mgr_reshow(ps, HTTP_BAD_REQUEST, why, "for");
    }
    args[MUTE_ARG_SECS] = apr_psprintf(p, "%" APR_INT64_T_FMT, secs);
    args[MUTE_ARG_ID] = ps->cron;
    return run_update(ps, ST_MGR_MUTE, args,
                      apr_pstrcat(p, "muted for ", length, NULL));
}

int mgr_do_unmute(mgr_post_t *ps)
{
    const char *args[ONE_NARGS];

    args[ONE_ARG] = ps->cron;
    return run_update(ps, ST_MGR_UNMUTE, args, "unmuted");
}

/* The channel is looked up in this server's configuration by name, so
 * the form can only name one the page offers; what is queued is an
 * event and a delivery, sent by the watchdog like any other. */
int mgr_do_alert_test(mgr_post_t *ps)
{
    request_rec *r = ps->r;
    const char *name = MGR_FIELD(ps, "channel"), *uid = NULL;
    const charon_channel_t *c;
    charon_alert_ctx_t ctx;
    charon_db *db;

    ps->alerts = 1;
    if (!(c = charon_alert_channel(r->server, name))) {
        return mgr_reshow(
            ps, HTTP_BAD_REQUEST,
            apr_pstrcat(r->pool, "No alert channel is named \"", name,
                        "\" here (CharonAlert): nothing was sent.", NULL),
            "channel");
    }
    if (!charon_channel_wants(c, NULL, CHARON_EVENT_TEST)) {
        return mgr_reshow(ps, HTTP_BAD_REQUEST,
                          apr_pstrcat(r->pool, "The channel \"", c->name,
                                      "\" does not take test events (its "
                                      "events= option): nothing was sent.",
                                      NULL),
                          "channel");
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.channels = charon_alert_channels(r->server);
    ctx.manager_url = charon_manager_url(r->server);
    ctx.only = c->name;
    if (!(db = mgr_post_db(ps))
        || charon_op_alert_test(db, &ctx, &uid) != CHARON_DB_OK || !uid) {
        return mgr_send_unavailable(r);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  CHARON_LOGNO(622) "manager: %s queued test alert %s for "
                                    "channel %s",
                  r->user ? r->user : "-", uid, c->name);
    return mgr_redirect(
        r, apr_pstrcat(r->pool, "alerts&done=alert-test&channel=",
                       charon_urlencode(r->pool, c->name),
                       "&event=", charon_urlencode(r->pool, uid), NULL));
}
