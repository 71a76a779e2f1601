/*
 * page_list.c: the list of crons, `GET <mount>[?slug=&state=&page=]`.
 *
 * A page is MGR_CRONS_PER_PAGE crons by slug, found by one statement
 * (which may read all of charon_cron, a small table, to filter it), then
 * for each cron on the page one index probe for its latest runs (the last
 * run and the sparkline).  Nothing here grows with the number of
 * executions.
 */
#include "admin/pages.h"
#include "admin/widgets.h"

#include "apr_strings.h"

/* The list's state filters, each a statement of its own. */
static const struct {
    const char *name; /* in the query string */
    const char *label;
    charon_stmt_e st;
} states[] = {
    {"", "any state", ST_MGR_LIST_ALL},
    {"failing", "failing (last outcome a failure or lost)",
     ST_MGR_LIST_FAILING},
    {"running", "running now", ST_MGR_LIST_RUNNING},
    {"off", "switched off", ST_MGR_LIST_OFF},
    {"lost", "lost (last finished run was lost)", ST_MGR_LIST_LOST},
    {"missed", "missed (latest slot had no start)", ST_MGR_LIST_MISSED},
};
#define N_STATES (int)(sizeof(states) / sizeof(states[0]))

typedef struct {
    const char *slug; /* the substring to look for, or "" */
    int state;        /* index of states[], 0 for all */
    int page;         /* from 1 */
} list_args_t;

/* The link to another page of the list, with the same filters. */
static const char *list_url(mgr_page_t *pg, const list_args_t *a, int page)
{
    apr_pool_t *p = pg->r->pool;
    const char *q = "";

    if (*a->slug) {
        q = apr_pstrcat(p, "slug=", charon_urlencode(p, a->slug), NULL);
    }
    if (a->state != 0) {
        q = apr_pstrcat(p, q, *q ? "&" : "", "state=", states[a->state].name,
                        NULL);
    }
    if (page > 1) {
        q = apr_psprintf(p, "%s%spage=%d", q, *q ? "&" : "", page);
    }
    return apr_pstrcat(p, pg->base, *q ? "?" : "", charon_html(p, q), NULL);
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

static void filter_form(mgr_page_t *pg, const list_args_t *a)
{
    int i;

    mgr_printf(pg,
               "<form id=\"filter\" class=\"row\" method=\"get\" "
               "action=\"%s\"><label>Slug contains <input type=\"search\" "
               "name=\"slug\" value=\"%s\"></label><label>State "
               "<select name=\"state\">",
               pg->base, charon_html(pg->r->pool, a->slug));
    for (i = 0; i < N_STATES; i++) {
        mgr_printf(pg, "<option value=\"%s\"%s>%s</option>", states[i].name,
                   (int)a->state == i ? " selected" : "", states[i].label);
    }
    mgr_printf(pg,
               "</select></label><button type=\"submit\">Filter</button>"
               " <a href=\"%s\">clear</a></form>\n",
               pg->base);
}

static void create_form(mgr_page_t *pg, const mgr_view_t *v)
{
    apr_pool_t *p = pg->r->pool;
    const char *conc = mgr_field(v, "create", "concurrency", "allow");

    mgr_printf(pg,
               "<fieldset><legend>New cron</legend>"
               "<form id=\"create\" class=\"row\" method=\"post\" "
               "action=\"%s\">",
               pg->base);
    mgr_form_hidden(pg, "create", NULL);
    mgr_printf(
        pg,
        "<label>Slug (as the API names it) <input type=\"text\" "
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
        charon_html(p, mgr_field(v, "create", "slug", "")),
        charon_html(p, mgr_field(v, "create", "name", "")),
        strcmp(conc, "forbid") ? " selected" : "",
        strcmp(conc, "forbid") ? "" : " selected",
        charon_html(p, mgr_field(v, "create", "max_runtime", "")));
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
    /* A slot no start came for: its time, and no duration. */
    dur =
        mgr_slot_row(row) ? NULL : charon_human_duration(p, row[ME_DURATION]);
    mgr_time(pg, row[ME_STARTED]);
    mgr_printf(pg, "<br><span class=\"outcome-%s\">%s</span>", outcome,
               outcome);
    if (dur) {
        mgr_printf(pg, ", %s%s", !strcmp(outcome, "running") ? "for " : "",
                   charon_html(p, dur));
    }
}

static mgr_result_e render_list(mgr_page_t *pg, charon_db *db,
                                const mgr_view_t *v, void *baton)
{
    const list_args_t *a = baton;
    apr_pool_t *p = pg->r->pool;
    const char *args[LIST_NARGS];
    charon_rows_t rows;
    int i, n;

    pg->title = "Charon: crons";
    args[LIST_ARG_PATTERN] = like_pattern(p, a->slug);
    args[LIST_ARG_OFFSET] =
        apr_psprintf(p, "%d", (a->page - 1) * MGR_CRONS_PER_PAGE);
    if (!charon_db_rows(db, states[a->state].st, args, MGR_CRONS_PER_PAGE + 1,
                        &rows)) {
        return MGR_DB_FAILED;
    }
    mgr_puts(pg, "<h1>Crons</h1>\n");
    mgr_messages(pg, v);
    filter_form(pg, a);
    mgr_puts(pg, "<table id=\"crons\"><thead><tr><th>Slug</th><th>Name</th>"
                 "<th>State</th><th>Schedule</th><th>Policy</th>"
                 "<th>Running</th><th>Last run (UTC)</th>"
                 "<th>Success rate</th><th>Last runs</th></tr></thead>"
                 "<tbody>\n");
    n = rows.nrows < MGR_CRONS_PER_PAGE ? rows.nrows : MGR_CRONS_PER_PAGE;
    for (i = 0; i < n; i++) {
        const char *const *row = rows.rows[i];
        const char *id = row[MC_ID] ? row[MC_ID] : "";
        const char *args[ONE_NARGS];
        const char *rate = mgr_rate(p, row);
        charon_rows_t hist;
        int on = mgr_flag(row[MC_ON]);

        args[ONE_ARG] = id;
        if (!charon_db_rows(db, ST_MGR_HISTORY, args, CHARON_MGR_HISTORY,
                            &hist)) {
            return MGR_DB_FAILED;
        }
        mgr_printf(pg,
                   "<tr data-slug=\"%s\" data-cron-id=\"%s\">"
                   "<td class=\"slug\"><a class=\"cron-link mono\" "
                   "href=\"%s?cron=%s\">%s</a></td><td class=\"name\">%s</td>"
                   "<td class=\"state %s\">",
                   charon_html(p, row[MC_SLUG]), charon_html(p, id), pg->base,
                   charon_html(p, charon_urlencode(p, id)),
                   charon_html(p, row[MC_SLUG]), charon_html(p, row[MC_NAME]),
                   on ? "on" : "off");
        mgr_state_text(pg, row);
        mgr_puts(pg, "</td><td class=\"schedule\">");
        mgr_sched_cell(pg, row);
        mgr_puts(pg, "</td><td class=\"policy\">");
        mgr_policy_text(pg, row);
        mgr_printf(pg,
                   "</td><td class=\"running num\">%s</td>"
                   "<td class=\"last-run\">",
                   charon_html(p, row[MC_RUNNING] ? row[MC_RUNNING] : "0"));
        last_run(pg, &hist);
        if (mgr_flag(row[MC_FAILING])) {
            mgr_puts(pg, " <span class=\"badge\">failing</span>");
        }
        mgr_printf(pg,
                   "</td><td class=\"rate num\">%s</td>"
                   "<td class=\"history\">",
                   rate ? charon_html(p, rate)
                        : "<span class=\"muted\">&ndash;</span>");
        mgr_sparkline(pg, &hist);
        mgr_puts(pg, "</td></tr>\n");
    }
    if (n == 0) {
        mgr_puts(pg, "<tr><td colspan=\"9\" class=\"muted\">"
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
    a.state = N_STATES;
    for (i = 0; i < N_STATES; i++) {
        if (!strcmp(state ? state : "", states[i].name)) {
            a.state = i;
        }
    }
    if (a.state == N_STATES) {
        const char *names = "";

        for (i = 1; i < N_STATES; i++) {
            names = apr_pstrcat(r->pool, names, states[i].name, ", ", NULL);
        }
        return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request",
                                apr_pstrcat(r->pool, "state must be one of ",
                                            names, "or empty.", NULL));
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
