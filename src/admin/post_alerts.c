/*
 * post_alerts.c: the manager's alert changes, checked like every change
 * (post.c) before the database is touched: a cron's alert policy, muting
 * it for a while and unmuting it (303 to the cron's page), and a test
 * alert queued for one channel (303 to the alerts page).
 */
#include "admin/post.h"

#include "apr_strings.h"

int mgr_do_alert_policy(mgr_post_t *ps)
{
    charon_change_e out = CHARON_CHANGED;
    const char *why, *field;
    charon_alert_form_t f;
    charon_db *db;
    charon_db_e rv;

    if ((why = charon_alert_policy_form(
             ps->r->pool, MGR_FIELD(ps, "failure_threshold"),
             MGR_FIELD(ps, "recovery_threshold"),
             MGR_FIELD(ps, "realert_every"), &f, &field))) {
        return mgr_reshow(ps, HTTP_BAD_REQUEST, why, field);
    }
    if (!(db = mgr_post_db(ps))) {
        return mgr_send_unavailable(ps->r);
    }
    rv = charon_op_alert_policy(db, ps->cron_id, f.failure_threshold,
                                f.recovery_threshold, f.realert_every, &out);
    return mgr_changed(ps, rv, out, "alert policy");
}

/* Until the database's now plus the length: the watchdog compares
 * mute_until with the same clock. */
int mgr_do_mute(mgr_post_t *ps)
{
    const char *length = MGR_FIELD(ps, "for"), *why;
    charon_change_e out = CHARON_CHANGED;
    apr_int64_t secs;
    charon_db *db;
    charon_db_e rv;

    if ((why = charon_alert_mute_for(ps->r->pool, length, &secs))) {
        return mgr_reshow(ps, HTTP_BAD_REQUEST, why, "for");
    }
    if (!(db = mgr_post_db(ps))) {
        return mgr_send_unavailable(ps->r);
    }
    rv = charon_op_mute(db, ps->cron_id, secs, &out);
    return mgr_changed(ps, rv, out,
                       apr_pstrcat(ps->r->pool, "muted for ", length, NULL));
}

int mgr_do_unmute(mgr_post_t *ps)
{
    charon_change_e out = CHARON_CHANGED;
    charon_db *db;
    charon_db_e rv;

    if (!(db = mgr_post_db(ps))) {
        return mgr_send_unavailable(ps->r);
    }
    rv = charon_op_unmute(db, ps->cron_id, &out);
    return mgr_changed(ps, rv, out, "unmuted");
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
