/*
 * cron_alerts.c: a cron's alerts on its page: where its alert state
 * stands (up or down, since when, its streak against its thresholds),
 * its policy and whether it is muted, and the forms that change the
 * policy, mute it for an hour or a day, and unmute it.  One key lookup
 * (MGR_ALERT).
 */
#include "admin/widgets.h"

#include "apr_strings.h"

static void fact(mgr_page_t *pg, const char *label)
{
    mgr_printf(pg, "<dt>%s</dt><dd>", label);
}

static long num(const char *v)
{
    return v && *v ? atol(v) : 0;
}

static void state_facts(mgr_page_t *pg, const char *const *a)
{
    apr_pool_t *p = pg->r->pool;
    int down = a[MA_COL_STATE] && !strcmp(a[MA_COL_STATE], "down");
    int muted = mgr_flag(a[MA_COL_MUTED]);

    mgr_puts(pg, "<dl class=\"facts\" id=\"alert-state\">");
    fact(pg, "Alert state");
    mgr_printf(pg,
               "<span class=\"alert-state alert-%s\" "
               "data-alert-state=\"%s\">%s</span>",
               down ? "down" : "up", down ? "down" : "up",
               down ? "down" : "up");
    if (a[MA_COL_CHANGED] && *a[MA_COL_CHANGED]) {
        mgr_puts(pg, " since ");
        mgr_time(pg, a[MA_COL_CHANGED]);
        mgr_puts(pg, " UTC");
    }
    mgr_puts(pg, "</dd>");
    fact(pg, "Streak");
    mgr_printf(pg, "<span class=\"streak\">%s</span></dd>",
               charon_html(
                   p, charon_alert_streak(p, down, num(a[MA_COL_BAD]),
                                          num(a[MA_COL_GOOD]),
                                          num(a[MA_COL_FAILURE_THRESHOLD]),
                                          num(a[MA_COL_RECOVERY_THRESHOLD]))));
    fact(pg, "Last down alert (UTC)");
    mgr_time(pg, a[MA_COL_ALERTED]);
    mgr_puts(pg, "</dd>");
    fact(pg, "Alert policy");
    mgr_printf(pg, "<span class=\"alert-policy\">%s</span></dd>",
               charon_html(p, charon_alert_policy_text(
                                  p, num(a[MA_COL_FAILURE_THRESHOLD]),
                                  num(a[MA_COL_RECOVERY_THRESHOLD]),
                                  a[MA_COL_REALERT])));
    fact(pg, "Muted");
    mgr_printf(pg, "<span class=\"mute\" data-muted=\"%d\">", muted);
    if (muted) {
        mgr_puts(pg, "until ");
        mgr_time(pg, a[MA_COL_MUTE_UNTIL]);
        mgr_puts(pg, " UTC: events are recorded, not sent");
    }
    else {
        mgr_puts(pg, "no");
    }
    mgr_puts(pg, "</span></dd></dl>\n");
}

/* A form of one button; length: the mute's, or NULL. */
static void button(mgr_page_t *pg, const char *form_id, const char *action,
                   const char *id, const char *length, const char *label)
{
    mgr_printf(pg,
               "<form id=\"%s\" class=\"row\" method=\"post\" "
               "action=\"%s\">",
               form_id, pg->base);
    mgr_form_hidden(pg, action, id);
    if (length) {
        mgr_printf(pg, "<input type=\"hidden\" name=\"for\" value=\"%s\">",
                   length);
    }
    mgr_printf(pg, "<button type=\"submit\">%s</button></form>\n", label);
}

static void forms(mgr_page_t *pg, const char *id, const char *const *a,
                  const mgr_view_t *v)
{
    apr_pool_t *p = pg->r->pool;

    mgr_puts(pg, "<fieldset><legend>Alert policy and mute</legend>");
    mgr_printf(pg,
               "<form id=\"alert-policy\" class=\"row\" method=\"post\" "
               "action=\"%s\">",
               pg->base);
    mgr_form_hidden(pg, "alert-policy", id);
    mgr_printf(
        pg,
        "<label>Down after N bad runs in a row (1 to 1000) <input "
        "type=\"text\" inputmode=\"numeric\" name=\"failure_threshold\" "
        "value=\"%s\"%s></label>"
        "<label>Up after N good runs in a row (1 to 1000) <input "
        "type=\"text\" inputmode=\"numeric\" name=\"recovery_threshold\" "
        "value=\"%s\"%s></label>"
        "<label>Alert again while down every (empty: never; 60 s to 365 d, "
        "e.g. 1h) <input type=\"text\" name=\"realert_every\" "
        "value=\"%s\"%s></label>"
        "<button type=\"submit\">Save alert policy</button></form>\n",
        charon_html(p, mgr_field(v, "alert-policy", "failure_threshold",
                                 a[MA_COL_FAILURE_THRESHOLD])),
        mgr_invalid(v, "alert-policy", "failure_threshold"),
        charon_html(p, mgr_field(v, "alert-policy", "recovery_threshold",
                                 a[MA_COL_RECOVERY_THRESHOLD])),
        mgr_invalid(v, "alert-policy", "recovery_threshold"),
        charon_html(p, mgr_field(v, "alert-policy", "realert_every",
                                 a[MA_COL_REALERT])),
        mgr_invalid(v, "alert-policy", "realert_every"));
    button(pg, "mute-hour", "mute", id, "1h", "Mute for 1 h");
    button(pg, "mute-day", "mute", id, "1d", "Mute for 1 day");
    /* Offered only while muted, as switch-on is only while off. */
    if (mgr_flag(a[MA_COL_MUTED])) {
        button(pg, "unmute", "unmute", id, NULL, "Unmute");
    }
    mgr_puts(pg, "</fieldset>\n");
}

mgr_result_e mgr_cron_alerts(mgr_page_t *pg, charon_db *db, const char *id,
                             const mgr_view_t *v)
{
    const char *args[ONE_NARGS];
    const char *const *a;

    args[ONE_ARG] = id;
    if (!charon_db_row(db, ST_MGR_ALERT, args, &a)) {
        return MGR_DB_FAILED;
    }
    if (!a) {
        return MGR_NOT_FOUND; /* deleted since its row was read */
    }
    mgr_printf(pg,
               "<h2 id=\"alerts\">Alerts <a class=\"small\" "
               "href=\"%s?alerts\">(all events)</a></h2>\n",
               pg->base);
    state_facts(pg, a);
    forms(pg, id, a, v);
    return MGR_OK;
}
