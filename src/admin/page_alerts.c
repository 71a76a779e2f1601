/*
 * page_alerts.c: the alerts page, `GET <mount>?alerts[&before=E]`.
 *
 * The channels this server has (CharonAlert), each shown by its name,
 * kind and redacted URL (never the URL as written: it may hold a
 * secret) with a button that queues a test alert; then the events,
 * MGR_EVENTS_PER_PAGE a page, newest first, each with its delivery to
 * each channel.  Two reads a page: the events by their key, then the
 * deliveries of that range of events through their unique index.
 */
#include "admin/pages.h"
#include "admin/widgets.h"

#include "apr_strings.h"

#define MGR_EVENTS_PER_PAGE (CHARON_MGR_EVENTS_LIMIT - 1)
#define UID_LEN             36

typedef struct {
    const char *before; /* the page starts after this event */
} alerts_args_t;

static void channels(mgr_page_t *pg)
{
    const apr_array_header_t *chs = charon_alert_channels(pg->r->server);
    apr_pool_t *p = pg->r->pool;
    int i;

    mgr_puts(pg, "<h2>Channels</h2>\n<table id=\"channels\"><thead><tr>"
                 "<th>Name</th><th>Kind</th><th>URL (secrets hidden)</th>"
                 "<th>Test</th></tr></thead><tbody>\n");
    for (i = 0; i < chs->nelts; i++) {
        const charon_channel_t *c = APR_ARRAY_IDX(chs, i, charon_channel_t *);

        mgr_printf(pg,
                   "<tr data-channel=\"%s\"><td class=\"name mono\">%s</td>"
                   "<td class=\"kind\">%s</td><td class=\"url mono\">%s</td>"
                   "<td><form id=\"alert-test-%d\" class=\"row alert-test\" "
                   "method=\"post\" action=\"%s\">",
                   charon_html(p, c->name), charon_html(p, c->name),
                   charon_channel_kind_name(c->kind), charon_html(p, c->shown),
                   i, pg->base);
        mgr_form_hidden(pg, "alert-test", NULL);
        mgr_printf(pg,
                   "<input type=\"hidden\" name=\"channel\" value=\"%s\">"
                   "<button type=\"submit\">Send a test alert</button>"
                   "</form></td></tr>\n",
                   charon_html(p, c->name));
    }
    if (chs->nelts == 0) {
        mgr_puts(pg, "<tr><td colspan=\"4\" class=\"muted\">No channel: "
                     "events are recorded, and sent nowhere (see "
                     "CharonAlert).</td></tr>\n");
    }
    mgr_puts(pg, "</tbody></table>\n");
}

/* One delivery: pending (attempts, next try), delivered (when), given up
 * (the last error). */
static void delivery(mgr_page_t *pg, const char *const *d)
{
    apr_pool_t *p = pg->r->pool;
    const char *cls = charon_delivery_class(d[EVD_COL_STATE]);
    const char *err = d[EVD_COL_ERROR];
    long attempts = d[EVD_COL_ATTEMPTS] ? atol(d[EVD_COL_ATTEMPTS]) : 0;
    const char *n =
        apr_psprintf(p, "%ld attempt%s", attempts, attempts == 1 ? "" : "s");

    mgr_printf(pg,
               "<li class=\"delivery delivery-%s\" data-channel=\"%s\" "
               "data-state=\"%s\"><span class=\"mono\">%s</span>",
               cls, charon_html(p, d[EVD_COL_CHANNEL]), cls,
               charon_html(p, d[EVD_COL_CHANNEL]));
    if (!charon_alert_channel(pg->r->server, d[EVD_COL_CHANNEL])) {
        mgr_puts(pg, " <span class=\"muted\">(no such channel here)</span>");
    }
    if (!strcmp(cls, "pending")) {
        mgr_printf(pg, ": <b>pending</b>, %s", n);
        if (mgr_flag(d[EVD_COL_SENDING])) {
            mgr_puts(pg, ", sending now");
        }
        else {
            mgr_puts(pg, ", next try ");
            mgr_time(pg, d[EVD_COL_DUE]);
            mgr_puts(pg, " UTC");
        }
    }
    else if (!strcmp(cls, "delivered")) {
        mgr_puts(pg, ": <b>delivered</b> ");
        mgr_time(pg, d[EVD_COL_DELIVERED]);
        mgr_printf(pg, " UTC (%s)", n);
    }
    else if (!strcmp(cls, "given-up")) {
        mgr_printf(pg, ": <b>given up</b> after %s", n);
    }
    else {
        mgr_printf(pg, ": %s", charon_html(p, d[EVD_COL_STATE]));
    }
    if (err && *err) {
        mgr_printf(pg,
                   "<br><span class=\"delivery-error\">last error: %s"
                   "</span>",
                   charon_html(p, err));
    }
    mgr_puts(pg, "</li>");
}

/* The event's deliveries: rows *at.. of ds that are its own (ds is in
 * the events' order). */
static void deliveries(mgr_page_t *pg, const char *const *e,
                       const charon_rows_t *ds, int *at)
{
    const char *id = e[EV_COL_ID] ? e[EV_COL_ID] : "";
    int shown = 0;

    while (*at < ds->nrows && ds->rows[*at][EVD_COL_EVENT]
           && apr_atoi64(ds->rows[*at][EVD_COL_EVENT]) > apr_atoi64(id)) {
        (*at)++; /* an event that came in between the two reads */
    }
    for (; *at < ds->nrows && ds->rows[*at][EVD_COL_EVENT]
           && !strcmp(ds->rows[*at][EVD_COL_EVENT], id);
         (*at)++) {
        mgr_puts(pg, shown++ ? "" : "<ul class=\"deliveries\">");
        delivery(pg, ds->rows[*at]);
    }
    if (shown) {
        mgr_puts(pg, "</ul>");
    }
    else {
        mgr_printf(pg, "<span class=\"muted\">%s</span>",
                   mgr_flag(e[EV_COL_MUTED]) ? "none: muted"
                                             : "none: no channel took it");
    }
}

/* What the event says, from its document; nothing when it is not one. */
static void summary(mgr_page_t *pg, const char *json)
{
    apr_pool_t *p = pg->r->pool;
    charon_alert_doc_t doc;

    if (json && charon_alert_document_parse(p, json, &doc) == 0) {
        mgr_esc(pg, charon_alert_summary(p, &doc));
    }
}

static void event(mgr_page_t *pg, const char *const *e,
                  const charon_rows_t *ds, int *at)
{
    apr_pool_t *p = pg->r->pool;
    const char *cls = charon_event_class(e[EV_COL_EVENT]);
    int muted = mgr_flag(e[EV_COL_MUTED]);

    mgr_printf(pg,
               "<tr data-event-id=\"%s\" data-event=\"%s\" data-uid=\"%s\">"
               "<td class=\"num\">%s</td><td class=\"nowrap\">",
               charon_html(p, e[EV_COL_ID]), cls,
               charon_html(p, e[EV_COL_UID]), charon_html(p, e[EV_COL_ID]));
    mgr_time(pg, e[EV_COL_CREATED]);
    mgr_puts(pg, "</td><td class=\"slug\">");
    if (e[EV_COL_SLUG]) {
        mgr_printf(
            pg, "<a class=\"cron-link mono\" href=\"%s?cron=%s\">%s</a>",
            pg->base, charon_html(p, charon_urlencode(p, e[EV_COL_CRON])),
            charon_html(p, e[EV_COL_SLUG]));
    }
    else {
        mgr_puts(pg, e[EV_COL_CRON] ? "<span class=\"muted\">(deleted)</span>"
                                    : "<span class=\"muted\">&ndash;</span>");
    }
    mgr_printf(pg,
               "</td><td class=\"event event-%s\">%s</td>"
               "<td class=\"mute\" data-muted=\"%d\">%s</td>"
               "<td class=\"summary\">",
               cls, charon_html(p, e[EV_COL_EVENT]), muted,
               muted ? "muted" : "");
    summary(pg, e[EV_COL_DOCUMENT]);
    mgr_puts(pg, "<br><span class=\"muted mono\">");
    mgr_esc(pg, e[EV_COL_UID]);
    mgr_puts(pg, "</span></td><td class=\"deliveries\">");
    deliveries(pg, e, ds, at);
    mgr_puts(pg, "</td></tr>\n");
}

static mgr_result_e events(mgr_page_t *pg, charon_db *db,
                           const alerts_args_t *a)
{
    const char *args[EVD_NARGS];
    charon_rows_t ev, ds;
    int i, n, at = 0;

    args[ONE_ARG] = a->before;
    if (!charon_db_rows(db,
                        a->before ? ST_MGR_EVENTS_BEFORE : ST_MGR_EVENTS_FIRST,
                        args, MGR_EVENTS_PER_PAGE + 1, &ev)) {
        return MGR_DB_FAILED;
    }
    n = ev.nrows < MGR_EVENTS_PER_PAGE ? ev.nrows : MGR_EVENTS_PER_PAGE;
    ds.nrows = 0;
    if (n > 0) {
        args[EVD_ARG_LO] = ev.rows[n - 1][EV_COL_ID];
        args[EVD_ARG_HI] = ev.rows[0][EV_COL_ID];
        if (!charon_db_rows(db, ST_MGR_EVENT_DELIVERIES, args,
                            CHARON_MGR_DELIVERIES_LIMIT, &ds)) {
            return MGR_DB_FAILED;
        }
    }
    mgr_puts(pg, "<h2>Events</h2>\n<table id=\"events\"><thead><tr>"
                 "<th>#</th><th>Time (UTC)</th><th>Cron</th><th>Event</th>"
                 "<th>Muted</th><th>What</th><th>Deliveries</th></tr>"
                 "</thead><tbody>\n");
    for (i = 0; i < n; i++) {
        event(pg, ev.rows[i], &ds, &at);
    }
    if (n == 0) {
        mgr_printf(pg, "<tr><td colspan=\"7\" class=\"muted\">%s</td></tr>\n",
                   a->before ? "No older events." : "No events yet.");
    }
    mgr_puts(pg, "</tbody></table>\n<nav class=\"pager\">");
    if (a->before) {
        mgr_printf(pg, "<a href=\"%s?alerts\">&larr; newest</a>", pg->base);
    }
    if (ev.nrows > MGR_EVENTS_PER_PAGE) {
        mgr_printf(pg,
                   "<a rel=\"next\" href=\"%s?alerts&amp;before=%s\">older "
                   "&rarr;</a>",
                   pg->base,
                   charon_html(pg->r->pool,
                               charon_urlencode(pg->r->pool,
                                                ev.rows[n - 1][EV_COL_ID])));
    }
    mgr_puts(pg, "</nav>\n");
    return MGR_OK;
}

static mgr_result_e render_alerts(mgr_page_t *pg, charon_db *db,
                                  const mgr_view_t *v, void *baton)
{
    pg->title = "Charon: alerts";
    mgr_printf(pg,
               "<p><a href=\"%s\">&larr; all crons</a></p>\n"
               "<h1>Alerts</h1>\n",
               pg->base);
    mgr_messages(pg, v);
    channels(pg);
    return events(pg, db, baton);
}

/* The notice after a test alert, only for a channel this server has
 * and an event id of the right shape: the query string is anyone's. */
static const char *test_notice(request_rec *r, apr_table_t *q)
{
    const char *done = apr_table_get(q, "done");
    const char *name = apr_table_get(q, "channel");
    const char *uid = apr_table_get(q, "event");

    if (!done || strcmp(done, "alert-test") || !name || !uid
        || !charon_alert_channel(r->server, name) || strlen(uid) != UID_LEN
        || uid[strspn(uid, "0123456789abcdef-")]) {
        return NULL;
    }
    return apr_pstrcat(r->pool, "A test alert (event ", uid,
                       ") was queued for the channel ", name, ".", NULL);
}

int mgr_alerts_page(request_rec *r, charon_db *db, const mgr_view_t *v)
{
    const char *before = apr_table_get(v->query, "before");
    alerts_args_t a;
    mgr_view_t view = *v;
    apr_int64_t b;

    a.before = NULL;
    if (before && *before) {
        if (!charon_parse_id(before, &b)) {
            return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request",
                                    "before must be an event's id.");
        }
        a.before = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, b);
    }
    if (!view.notice) {
        view.notice = test_notice(r, v->query);
    }
    return mgr_show(r, db, &view, render_alerts, &a);
}
