/*
 * charon_manager_list.c: the list of crons, `GET <mount>[?slug=&state=&page=]`.
 *
 * A page is MGR_CRONS_PER_PAGE crons by slug, found by one statement
 * (which may read all of charon_cron, a small table, to filter it), then
 * for each cron on the page one index probe for its latest runs (the last
 * run and the sparkline).  Nothing here grows with the number of
 * executions.
 */
#include "charon_manager.h"

#include "apr_strings.h"

static const char *const state_names[MGR_STATE_COUNT] = {
    "", "failing", "running", "off", "lost"
};

static const char *const state_labels[MGR_STATE_COUNT] = {
    "any state", "failing (last outcome a failure or lost)",
    "running now", "switched off", "lost (last finished run was lost)"
};

typedef struct {
    const char *slug;           /* the substring to look for, or "" */
    mgr_state_e state;
    int page;                   /* from 1 */
} list_args_t;

/* The outcome of a run, as a class name: one of four words. */
const char *mgr_outcome(const char *s)
{
    static const char *const known[] = { "running", "success", "failure",
                                         "lost" };
    apr_size_t i;

    for (i = 0; s && i < sizeof(known) / sizeof(known[0]); i++) {
        if (!strcmp(s, known[i])) {
            return known[i];
        }
    }
    return "failure";
}

/* The link to another page of the list, with the same filters. */
static const char *list_url(mgr_page_t *pg, const list_args_t *a, int page)
{
    apr_pool_t *p = pg->r->pool;
    const char *q = "";

    if (*a->slug) {
        q = apr_pstrcat(p, "slug=", mgr_urlenc(p, a->slug), NULL);
    }
    if (a->state != MGR_STATE_ALL) {
        q = apr_pstrcat(p, q, *q ? "&" : "", "state=",
                        state_names[a->state], NULL);
    }
    if (page > 1) {
        q = apr_psprintf(p, "%s%spage=%d", q, *q ? "&" : "", page);
    }
    return apr_pstrcat(p, pg->base, *q ? "?" : "", mgr_html(p, q), NULL);
}

/* A LIKE pattern that matches s anywhere, s's own % _ ! taken literally
 * (the statements say ESCAPE '!'; a backslash means different things to
 * each database's string syntax). */
static const char *like_pattern(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 2 + 3), *o = out;

    *o++ = '%';
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '!') {
            *o++ = '!';
        }
        *o++ = *s;
    }
    *o++ = '%';
    *o = '\0';
    return out;
}

void mgr_sparkline(mgr_page_t *pg, const charon_rows_t *h)
{
    apr_pool_t *p = pg->r->pool;
    double d[MGR_HISTORY], max = 0;
    int i, n = h->nrows < MGR_HISTORY ? h->nrows : MGR_HISTORY;

    if (n == 0) {
        mgr_puts(pg, "<span class=\"muted\">no runs yet</span>");
        return;
    }
    for (i = 0; i < n; i++) {
        const char *v = h->rows[i][ME_DURATION];

        d[i] = v && *v ? strtod(v, NULL) : 0;
        if (d[i] != d[i] || d[i] < 0) {
            d[i] = 0;
        }
        if (d[i] > max) {
            max = d[i];
        }
    }
    /* Bars of 5 px, newest at the right; the longest run is full height. */
    mgr_printf(pg, "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" "
               "width=\"%d\" height=\"28\" viewBox=\"0 0 %d 28\" role=\"img\" "
               "aria-label=\"durations of the last %d runs, longest %s\">",
               MGR_HISTORY * 6, MGR_HISTORY * 6, n,
               mgr_html(p, mgr_duration(p, apr_psprintf(p, "%f", max))));
    /* Oldest first, as they are drawn. */
    for (i = n - 1; i >= 0; i--) {
        const char *const *row = h->rows[i];
        const char *outcome = mgr_outcome(row[ME_OUTCOME]);
        const char *dur = mgr_duration(p, row[ME_DURATION]);
        int bar = max > 0 ? 2 + (int)(d[i] / max * 24 + 0.5) : 2;

        mgr_printf(pg, "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"5\" "
                   "height=\"%d\"><title>", outcome,
                   (MGR_HISTORY - 1 - i) * 6, 28 - bar, bar);
        mgr_esc(pg, apr_pstrcat(p, "#", row[ME_ID] ? row[ME_ID] : "?",
                                " started ", row[ME_STARTED] ? row[ME_STARTED]
                                : "?", ": ", outcome, dur ? ", " : "",
                                dur ? dur : "", NULL));
        mgr_puts(pg, "</title></rect>");
    }
    mgr_puts(pg, "</svg>");
}

/* "on", or "off: reason until ... UTC". */
void mgr_state_text(mgr_page_t *pg, const char *const *row)
{
    const char *reason = row[MC_OFF_REASON], *until = row[MC_OFF_UNTIL];

    if (mgr_flag(row[MC_ON])) {
        mgr_puts(pg, "<b class=\"on-word\">on</b>");
        return;
    }
    mgr_puts(pg, "<b class=\"off-word\">off</b>");
    if (reason && *reason) {
        mgr_puts(pg, ": <span class=\"reason\">");
        mgr_esc(pg, reason);
        mgr_puts(pg, "</span>");
    }
    if (until && *until) {
        mgr_puts(pg, " <span class=\"until nowrap\">until ");
        mgr_time(pg, until);
        mgr_puts(pg, " UTC</span>");
    }
}

void mgr_policy_text(mgr_page_t *pg, const char *const *row)
{
    const char *c = row[MC_CONCURRENCY], *max = row[MC_MAX_RUNTIME];

    mgr_puts(pg, c && !strcmp(c, "forbid") ? "one run at a time"
                                            : "overlapping runs allowed");
    if (max && *max) {
        mgr_puts(pg, "<br><span class=\"muted\">lost after ");
        mgr_esc(pg, max);
        mgr_puts(pg, " s</span>");
    }
}

/* "97.5 %" of the runs that ended or were lost. */
const char *mgr_rate(apr_pool_t *p, const char *const *row)
{
    apr_int64_t ok = apr_atoi64(row[MC_SUCCEEDED] ? row[MC_SUCCEEDED] : "0");
    apr_int64_t all = ok
        + apr_atoi64(row[MC_FAILED] ? row[MC_FAILED] : "0")
        + apr_atoi64(row[MC_LOST] ? row[MC_LOST] : "0");

    if (all <= 0) {
        return NULL;
    }
    return apr_psprintf(p, "%.1f %%", 100.0 * (double)ok / (double)all);
}

static void filter_form(mgr_page_t *pg, const list_args_t *a)
{
    int i;

    mgr_printf(pg, "<form id=\"filter\" class=\"row\" method=\"get\" "
               "action=\"%s\"><label>Slug contains <input type=\"search\" "
               "name=\"slug\" value=\"%s\"></label><label>State "
               "<select name=\"state\">", pg->base,
               mgr_html(pg->r->pool, a->slug));
    for (i = 0; i < MGR_STATE_COUNT; i++) {
        mgr_printf(pg, "<option value=\"%s\"%s>%s</option>", state_names[i],
                   (int)a->state == i ? " selected" : "", state_labels[i]);
    }
    mgr_printf(pg, "</select></label><button type=\"submit\">Filter</button>"
               " <a href=\"%s\">clear</a></form>\n", pg->base);
}

static void create_form(mgr_page_t *pg, const mgr_view_t *v)
{
    apr_pool_t *p = pg->r->pool;
    const char *conc = mgr_field(v, "create", "concurrency", "allow");

    mgr_printf(pg, "<fieldset><legend>New cron</legend>"
               "<form id=\"create\" class=\"row\" method=\"post\" "
               "action=\"%s\">", pg->base);
    mgr_form_hidden(pg, "create", NULL);
    mgr_printf(pg, "<label>Slug (as the API names it) <input type=\"text\" "
               "name=\"slug\" value=\"%s\"></label>"
               "<label>Name <input type=\"text\" name=\"name\" "
               "value=\"%s\"></label>"
               "<label>Concurrency <select name=\"concurrency\">"
               "<option value=\"allow\"%s>overlapping runs allowed</option>"
               "<option value=\"forbid\"%s>one run at a time</option>"
               "</select></label>"
               "<label>Max runtime, seconds (empty: none) <input type=\"text\" "
               "inputmode=\"numeric\" name=\"max_runtime\" value=\"%s\">"
               "</label><button type=\"submit\">Create</button></form>"
               "</fieldset>\n",
               mgr_html(p, mgr_field(v, "create", "slug", "")),
               mgr_html(p, mgr_field(v, "create", "name", "")),
               strcmp(conc, "forbid") ? " selected" : "",
               strcmp(conc, "forbid") ? "" : " selected",
               mgr_html(p, mgr_field(v, "create", "max_runtime", "")));
}

static void last_run(mgr_page_t *pg, const charon_rows_t *h)
{
    apr_pool_t *p = pg->r->pool;
    const char *const *row;
    const char *outcome, *dur;

    if (h->nrows == 0) {
        mgr_puts(pg, "<span class=\"muted\">never</span>");
        return;
    }
    row = h->rows[0];
    outcome = mgr_outcome(row[ME_OUTCOME]);
    dur = mgr_duration(p, row[ME_DURATION]);
    mgr_time(pg, row[ME_STARTED]);
    mgr_printf(pg, "<br><span class=\"outcome-%s\">%s</span>", outcome,
               outcome);
    if (dur) {
        mgr_printf(pg, ", %s%s", !strcmp(outcome, "running") ? "for " : "",
                   mgr_html(p, dur));
    }
}

static mgr_result_e render_list(mgr_page_t *pg, charon_db *db,
                                const mgr_view_t *v, void *baton)
{
    const list_args_t *a = baton;
    apr_pool_t *p = pg->r->pool;
    const char *args[2];
    charon_rows_t rows;
    int i, n;

    pg->title = "Charon: crons";
    args[0] = like_pattern(p, a->slug);
    args[1] = apr_psprintf(p, "%d", (a->page - 1) * MGR_CRONS_PER_PAGE);
    if (!charon_db_view_rows(db, &mgr_q_list[a->state], 2, args,
                             MGR_CRONS_PER_PAGE + 1, &rows)
        || rows.ncols < MC_LIST_COLS) {
        return MGR_DB_FAILED;
    }
    mgr_puts(pg, "<h1>Crons</h1>\n");
    if (v->error) {
        mgr_puts(pg, "<p class=\"error\">");
        mgr_esc(pg, v->error);
        mgr_puts(pg, "</p>\n");
    }
    if (v->notice) {
        mgr_puts(pg, "<p class=\"notice\">");
        mgr_esc(pg, v->notice);
        mgr_puts(pg, "</p>\n");
    }
    filter_form(pg, a);
    mgr_puts(pg, "<table id=\"crons\"><thead><tr><th>Slug</th><th>Name</th>"
             "<th>State</th><th>Policy</th><th>Running</th>"
             "<th>Last run (UTC)</th><th>Success rate</th>"
             "<th>Last runs</th></tr></thead><tbody>\n");
    n = rows.nrows < MGR_CRONS_PER_PAGE ? rows.nrows : MGR_CRONS_PER_PAGE;
    for (i = 0; i < n; i++) {
        const char *const *row = rows.rows[i];
        const char *id = row[MC_ID] ? row[MC_ID] : "";
        const char *rate = mgr_rate(p, row);
        charon_rows_t hist;
        int on = mgr_flag(row[MC_ON]);

        if (!charon_db_view_rows(db, &mgr_q_history, 1, &id, MGR_HISTORY,
                                 &hist) || hist.ncols < ME_COLS) {
            return MGR_DB_FAILED;
        }
        mgr_printf(pg, "<tr data-slug=\"%s\" data-cron-id=\"%s\">"
                   "<td class=\"slug\"><a class=\"cron-link mono\" "
                   "href=\"%s?cron=%s\">%s</a></td><td class=\"name\">%s</td>"
                   "<td class=\"state %s\">",
                   mgr_html(p, row[MC_SLUG]), mgr_html(p, id), pg->base,
                   mgr_html(p, mgr_urlenc(p, id)), mgr_html(p, row[MC_SLUG]),
                   mgr_html(p, row[MC_NAME]), on ? "on" : "off");
        mgr_state_text(pg, row);
        mgr_puts(pg, "</td><td class=\"policy\">");
        mgr_policy_text(pg, row);
        mgr_printf(pg, "</td><td class=\"running num\">%s</td>"
                   "<td class=\"last-run\">",
                   mgr_html(p, row[MC_RUNNING] ? row[MC_RUNNING] : "0"));
        last_run(pg, &hist);
        if (mgr_flag(row[MC_FAILING])) {
            mgr_puts(pg, " <span class=\"badge\">failing</span>");
        }
        mgr_printf(pg, "</td><td class=\"rate num\">%s</td>"
                   "<td class=\"history\">",
                   rate ? mgr_html(p, rate)
                        : "<span class=\"muted\">&ndash;</span>");
        mgr_sparkline(pg, &hist);
        mgr_puts(pg, "</td></tr>\n");
    }
    if (n == 0) {
        mgr_puts(pg, "<tr><td colspan=\"8\" class=\"muted\">"
                 "No cron matches.</td></tr>\n");
    }
    mgr_puts(pg, "</tbody></table>\n<nav class=\"pager\">");
    if (a->page > 1) {
        mgr_printf(pg, "<a rel=\"prev\" href=\"%s\">&larr; previous page</a>",
                   list_url(pg, a, a->page - 1));
    }
    mgr_printf(pg, "<span>page %d</span>", a->page);
    if (rows.nrows > MGR_CRONS_PER_PAGE) {
        mgr_printf(pg, "<a rel=\"next\" href=\"%s\">next page &rarr;</a>",
                   list_url(pg, a, a->page + 1));
    }
    mgr_puts(pg, "</nav>\n");
    create_form(pg, v);
    return MGR_OK;
}

int mgr_list_page(request_rec *r, charon_db *db, const mgr_view_t *v)
{
    list_args_t a;
    const char *page = apr_table_get(v->query, "page");
    const char *state = apr_table_get(v->query, "state");
    apr_int64_t n = 1;
    int i;

    a.slug = apr_table_get(v->query, "slug");
    a.slug = a.slug ? a.slug : "";
    a.state = MGR_STATE_COUNT;
    for (i = 0; i < MGR_STATE_COUNT; i++) {
        if (!strcmp(state ? state : "", state_names[i])) {
            a.state = (mgr_state_e)i;
        }
    }
    if (a.state == MGR_STATE_COUNT) {
        return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request",
                                "state must be one of failing, running, "
                                "off, lost, or empty.");
    }
    if (page && *page && (!charon_parse_id(page, &n) || n > MGR_MAX_PAGE)) {
        return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request",
                                "page must be a number from 1.");
    }
    if (strlen(a.slug) > 1020) {
        return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request",
                                "No slug is that long.");
    }
    a.page = (int)n;
    return mgr_show(r, db, v, render_list, &a);
}
