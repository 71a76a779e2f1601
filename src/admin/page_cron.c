/*
 * page_cron.c: one cron, `GET <mount>?cron=N[&before=E]`.
 *
 * Its row with its outcome counters, its latest runs as a sparkline, the
 * forms that change it, its alerts (cron_alerts.c), its changes through
 * the management API (cron_changes.c), and its executions, MGR_EXECS_PER_PAGE a page,
 * newest first, each with its first MGR_MESSAGES messages.  Every read
 * is a key lookup or an index range with a LIMIT: the page costs the same
 * for a cron with ten runs as for one with ten million.
 */
#include "admin/pages.h"
#include "admin/widgets.h"

#include "apr_strings.h"

typedef struct {
    const char *id;     /* the cron's, as text */
    const char *before; /* the page starts after this execution */
} cron_args_t;

static const char *message_class(const char *type)
{
    static const char *const known[] = {"info", "warning", "error", "success"};
    apr_size_t i;

    for (i = 0; type && i < sizeof(known) / sizeof(known[0]); i++) {
        if (!strcmp(type, known[i])) {
            return known[i];
        }
    }
    return "other";
}

static void fact(mgr_page_t *pg, const char *label)
{
    mgr_printf(pg, "<dt>%s</dt><dd>", label);
}

static void facts(mgr_page_t *pg, const char *const *c,
                  const charon_rows_t *hist)
{
    apr_pool_t *p = pg->r->pool;
    const char *rate = mgr_rate(p, c);
    const char *dur = charon_human_duration(p, c[MC_LAST_DURATION]);
    apr_int64_t skipped_off =
        apr_atoi64(c[MC_REFUSED_INACTIVE] ? c[MC_REFUSED_INACTIVE] : "0");
    apr_int64_t skipped_lock =
        apr_atoi64(c[MC_REFUSED_LOCKED] ? c[MC_REFUSED_LOCKED] : "0");

    mgr_puts(pg, "<dl class=\"facts\">");
    fact(pg, "Name");
    mgr_esc(pg, c[MC_NAME]);
    mgr_printf(pg, "</dd>");
    fact(pg, "State");
    mgr_printf(pg, "<span class=\"state %s\">",
               mgr_flag(c[MC_ON]) ? "on" : "off");
    mgr_state_text(pg, c);
    mgr_puts(pg, "</span></dd>");
    fact(pg, "Policy");
    mgr_policy_text(pg, c);
    mgr_puts(pg, "</dd>");
    fact(pg, "Running now");
    mgr_esc(pg, c[MC_RUNNING] ? c[MC_RUNNING] : "0");
    mgr_puts(pg, "</dd>");
    fact(pg, "Outcomes");
    mgr_printf(pg, "%s succeeded, %s failed, %s lost",
               charon_html(p, c[MC_SUCCEEDED]), charon_html(p, c[MC_FAILED]),
               charon_html(p, c[MC_LOST]));
    if (rate) {
        mgr_printf(pg, " (success rate %s)", charon_html(p, rate));
    }
    if (mgr_flag(c[MC_FAILING])) {
        mgr_puts(pg, " <span class=\"badge\">failing</span>");
    }
    mgr_puts(pg, "</dd>");
    fact(pg, "Skipped starts");
    mgr_printf(pg,
               "%" APR_INT64_T_FMT " <span class=\"muted\">(%" APR_INT64_T_FMT
               " while off, %" APR_INT64_T_FMT " while "
               "another run held the lock)</span></dd>",
               skipped_off + skipped_lock, skipped_off, skipped_lock);
    fact(pg, "Last success (UTC)");
    mgr_time(pg, c[MC_LAST_SUCCESS]);
    mgr_puts(pg, "</dd>");
    fact(pg, "Last failure (UTC)");
    mgr_time(pg, c[MC_LAST_FAILURE]);
    mgr_puts(pg, "</dd>");
    fact(pg, "Last end (UTC)");
    mgr_time(pg, c[MC_LAST_ENDED]);
    if (dur) {
        mgr_printf(pg, ", after %s", charon_html(p, dur));
    }
    mgr_puts(pg, "</dd>");
    mgr_sched_facts(pg, c);
    fact(pg, "Last runs");
    mgr_sparkline(pg, hist);
    mgr_puts(pg, "</dd>");
    fact(pg, "Created (UTC)");
    mgr_time(pg, c[MC_CREATED]);
    mgr_puts(pg, "</dd></dl>\n");
}

static void forms(mgr_page_t *pg, const char *const *c, const mgr_view_t *v)
{
    apr_pool_t *p = pg->r->pool;
    const char *id = c[MC_ID];
    const char *conc =
        mgr_field(v, "policy", "concurrency", c[MC_CONCURRENCY]);
    int off = !mgr_flag(c[MC_ON]);

    mgr_puts(pg, "<fieldset><legend>Change</legend>");
    mgr_printf(pg,
               "<form id=\"rename\" class=\"row\" method=\"post\" "
               "action=\"%s\">",
               pg->base);
    mgr_form_hidden(pg, "rename", id);
    mgr_printf(pg,
               "<label>Name <input type=\"text\" name=\"name\" "
               "value=\"%s\" size=\"40\"></label><button type=\"submit\">"
               "Rename</button></form>\n",
               charon_html(p, mgr_field(v, "rename", "name", c[MC_NAME])));

    mgr_printf(pg,
               "<form id=\"switch-off\" class=\"row\" method=\"post\" "
               "action=\"%s\">",
               pg->base);
    mgr_form_hidden(pg, "switch-off", id);
    mgr_printf(pg,
               "<label>Reason <input type=\"text\" name=\"reason\" "
               "value=\"%s\" size=\"40\"></label><label>Until, UTC "
               "(optional; YYYY-MM-DDTHH:MM) <input type=\"text\" "
               "name=\"until\" value=\"%s\" "
               "placeholder=\"2026-12-31T23:59\"></label>"
               "<button type=\"submit\">%s</button></form>\n",
               charon_html(p, mgr_field(v, "switch-off", "reason",
                                        off ? c[MC_OFF_REASON] : "")),
               charon_html(p, mgr_field(v, "switch-off", "until", "")),
               off ? "Keep off, with this reason" : "Switch off");

    /* Offered only to a cron that is off: on a cron that is on it would
     * do nothing, and an operator took it for a sign that it was off. */
    if (off) {
        mgr_printf(pg,
                   "<form id=\"switch-on\" class=\"row\" method=\"post\" "
                   "action=\"%s\">",
                   pg->base);
        mgr_form_hidden(pg, "switch-on", id);
        mgr_puts(pg, "<button type=\"submit\">Switch on</button></form>\n");
    }

    mgr_printf(pg,
               "<form id=\"policy\" class=\"row\" method=\"post\" "
               "action=\"%s\">",
               pg->base);
    mgr_form_hidden(pg, "policy", id);
    mgr_printf(pg,
               "<label>Concurrency <select name=\"concurrency\">"
               "<option value=\"allow\"%s>overlapping runs allowed</option>"
               "<option value=\"forbid\"%s>one run at a time</option>"
               "</select></label><label>Max runtime, seconds (empty: none) "
               "<input type=\"text\" inputmode=\"numeric\" "
               "name=\"max_runtime\" value=\"%s\"></label>"
               "<button type=\"submit\">Save policy</button></form>\n",
               conc && !strcmp(conc, "forbid") ? "" : " selected",
               conc && !strcmp(conc, "forbid") ? " selected" : "",
               charon_html(p, mgr_field(v, "policy", "max_runtime",
                                        c[MC_MAX_RUNTIME])));
    mgr_sched_form(pg, c, v);
    mgr_puts(pg, "</fieldset>\n");
}

/* The execution's messages (MGR_MESSAGES at most, each cut to
 * CHARON_MGR_MESSAGE_CHARS characters), and how many more there are. */
static mgr_result_e messages(mgr_page_t *pg, charon_db *db, const char *eid)
{
    const char *args[ONE_NARGS];
    charon_rows_t m, count;
    int i, n;

    args[ONE_ARG] = eid;
    if (!charon_db_rows(db, ST_MGR_MESSAGES, args, MGR_MESSAGES + 1, &m)) {
        return MGR_DB_FAILED;
    }
    if (m.nrows == 0) {
        mgr_puts(pg, "<span class=\"muted\">none</span>");
        return MGR_OK;
    }
    n = m.nrows < MGR_MESSAGES ? m.nrows : MGR_MESSAGES;
    mgr_puts(pg, "<ul class=\"messages\">");
    for (i = 0; i < n; i++) {
        const char *const *row = m.rows[i];
        apr_int64_t len = apr_atoi64(row[MM_LENGTH] ? row[MM_LENGTH] : "0");

        mgr_printf(pg, "<li class=\"msg-%s\"><span class=\"muted\">",
                   message_class(row[MM_TYPE]));
        mgr_esc(pg, row[MM_TYPE]);
        mgr_puts(pg, "</span> ");
        mgr_esc(pg, row[MM_TEXT]);
        if (len > CHARON_MGR_MESSAGE_CHARS) {
            mgr_printf(pg,
                       " <span class=\"muted\">&hellip; (cut: "
                       "%" APR_INT64_T_FMT " characters in all)</span>",
                       len);
        }
        mgr_puts(pg, "</li>");
    }
    mgr_puts(pg, "</ul>");
    if (m.nrows > MGR_MESSAGES) {
        apr_int64_t all;

        if (!charon_db_rows(db, ST_MGR_MESSAGE_COUNT, args, 1, &count)
            || count.nrows != 1) {
            return MGR_DB_FAILED;
        }
        all = apr_atoi64(count.rows[0][0] ? count.rows[0][0] : "0");
        if (all > MGR_MESSAGE_COUNT_CAP) {
            mgr_printf(pg,
                       "<p class=\"more muted\">and more than %d more "
                       "messages</p>",
                       MGR_MESSAGE_COUNT_CAP - MGR_MESSAGES);
        }
        else {
            mgr_printf(pg,
                       "<p class=\"more muted\">and %" APR_INT64_T_FMT
                       " more messages</p>",
                       all - MGR_MESSAGES);
        }
    }
    return MGR_OK;
}

/* The slot a start belongs to, or that it belongs to none. */
static void slot_cell(mgr_page_t *pg, const char *const *row)
{
    mgr_puts(pg, "<td class=\"slot nowrap\">");
    if (mgr_flag(row[ME_UNSCHEDULED])) {
        mgr_puts(pg, "<span class=\"badge note unscheduled\" title=\"a start "
                     "that fits no slot of the schedule\">unscheduled</span>");
    }
    else {
        mgr_time(pg, row[ME_SLOT]);
    }
    mgr_puts(pg, "</td>");
}

/* One execution's row.  A slot no start came for (missed, unknown) is a
 * row the watchdog wrote: no start, no end, no duration, no messages. */
static mgr_result_e execution(mgr_page_t *pg, charon_db *db,
                              const char *const *row)
{
    apr_pool_t *p = pg->r->pool;
    const char *outcome = mgr_outcome(row[ME_OUTCOME]);
    int slot = mgr_slot_row(row);
    const char *dur = slot ? NULL : charon_human_duration(p, row[ME_DURATION]);
    const char *lost = row[ME_LOST], *ended = row[ME_ENDED];

    mgr_printf(pg,
               "<tr data-execution-id=\"%s\"%s><td class=\"num\">%s"
               "</td><td class=\"nowrap\">",
               charon_html(p, row[ME_ID]), slot ? " class=\"slot-row\"" : "",
               charon_html(p, row[ME_ID]));
    mgr_time(pg, slot ? NULL : row[ME_STARTED]);
    mgr_puts(pg, "</td><td class=\"nowrap\">");
    if (lost && *lost) {
        mgr_puts(pg, "lost at ");
        mgr_time(pg, lost);
        if (ended && *ended) {
            mgr_puts(pg, "<br>ended late at ");
            mgr_time(pg, ended);
        }
    }
    else {
        mgr_time(pg, slot ? NULL : ended);
    }
    mgr_printf(pg, "</td><td class=\"duration num nowrap\">%s",
               dur ? charon_html(p, dur) : "");
    if (mgr_flag(row[ME_TOO_SHORT])) {
        mgr_puts(pg, " <span class=\"badge note too-short\" title=\"ended "
                     "sooner than the cron's minimum runtime\">too "
                     "short</span>");
    }
    mgr_printf(pg, "</td><td class=\"outcome outcome-%s\">%s</td>", outcome,
               outcome);
    slot_cell(pg, row);
    mgr_puts(pg, "<td class=\"type\">");
    mgr_esc(pg, row[ME_TYPE]);
    mgr_puts(pg, "</td><td class=\"key mono\">");
    mgr_esc(pg, row[ME_KEY]);
    mgr_puts(pg, "</td><td class=\"addr mono\">");
    mgr_esc(pg, row[ME_ADDR]);
    mgr_puts(pg, "</td><td class=\"msgs\">");
    if (slot) {
        mgr_puts(pg, "<span class=\"muted\">none</span>");
    }
    else {
        mgr_result_e st = messages(pg, db, row[ME_ID] ? row[ME_ID] : "0");

        if (st != MGR_OK) {
            return st;
        }
    }
    mgr_puts(pg, "</td></tr>\n");
    return MGR_OK;
}

static mgr_result_e executions(mgr_page_t *pg, charon_db *db,
                               const cron_args_t *a)
{
    apr_pool_t *p = pg->r->pool;
    const char *args[BEFORE_NARGS];
    charon_rows_t e;
    int i, n;

    args[BEFORE_ARG_CRON] = a->id;
    args[BEFORE_ARG_ID] = args[BEFORE_ARG_ID_2] = args[BEFORE_ARG_ID_3] =
        a->before;
    if (!charon_db_rows(db,
                        a->before ? ST_MGR_EXECS_BEFORE : ST_MGR_EXECS_FIRST,
                        args, MGR_EXECS_PER_PAGE + 1, &e)) {
        return MGR_DB_FAILED;
    }
    mgr_puts(pg, "<h2>Executions</h2>\n<table id=\"executions\"><thead><tr>"
                 "<th>#</th><th>Started (UTC)</th><th>Ended (UTC)</th>"
                 "<th>Duration</th><th>Outcome</th><th>Slot (UTC)</th>"
                 "<th>Type</th><th>API key</th><th>From</th><th>Messages</th>"
                 "</tr></thead><tbody>\n");
    n = e.nrows < MGR_EXECS_PER_PAGE ? e.nrows : MGR_EXECS_PER_PAGE;
    for (i = 0; i < n; i++) {
        mgr_result_e st = execution(pg, db, e.rows[i]);

        if (st != MGR_OK) {
            return st;
        }
    }
    if (n == 0) {
        mgr_printf(pg, "<tr><td colspan=\"10\" class=\"muted\">%s</td></tr>\n",
                   a->before ? "No older executions (those of the previous "
                               "page may have been removed meanwhile)."
                             : "No executions yet.");
    }
    mgr_puts(pg, "</tbody></table>\n<nav class=\"pager\">");
    if (a->before) {
        mgr_printf(pg, "<a href=\"%s?cron=%s\">&larr; newest</a>", pg->base,
                   charon_html(p, charon_urlencode(p, a->id)));
    }
    if (e.nrows > MGR_EXECS_PER_PAGE) {
        mgr_printf(pg,
                   "<a rel=\"next\" href=\"%s?cron=%s&amp;before=%s\">"
                   "older &rarr;</a>",
                   pg->base, charon_html(p, charon_urlencode(p, a->id)),
                   charon_html(p, charon_urlencode(p, e.rows[n - 1][ME_ID])));
    }
    mgr_puts(pg, "</nav>\n");
    return MGR_OK;
}

static mgr_result_e render_cron(mgr_page_t *pg, charon_db *db,
                                const mgr_view_t *v, void *baton)
{
    const cron_args_t *a = baton;
    const char *args[ONE_NARGS];
    const char *const *c;
    charon_rows_t hist;
    mgr_result_e st;

    args[ONE_ARG] = a->id;
    if (!charon_db_row(db, ST_MGR_CRON, args, &c)) {
        return MGR_DB_FAILED;
    }
    if (!c) {
        return MGR_NOT_FOUND;
    }
    if (!charon_db_rows(db, ST_MGR_HISTORY, args, CHARON_MGR_HISTORY, &hist)) {
        return MGR_DB_FAILED;
    }
    pg->title = apr_pstrcat(pg->r->pool, "Charon: ", c[MC_SLUG], NULL);
    mgr_printf(pg,
               "<p><a href=\"%s\">&larr; all crons</a></p>\n<h1>Cron "
               "<span class=\"mono\">",
               pg->base);
    mgr_esc(pg, c[MC_SLUG]);
    mgr_puts(pg, "</span></h1>\n");
    mgr_messages(pg, v);
    facts(pg, c, &hist);
    forms(pg, c, v);
    if ((st = mgr_cron_alerts(pg, db, a->id, v)) != MGR_OK
        || (st = mgr_cron_changes(pg, db, c[MC_SLUG])) != MGR_OK) {
        return st;
    }
    return executions(pg, db, a);
}

int mgr_cron_page(request_rec *r, charon_db *db, apr_int64_t cron_id,
                  const mgr_view_t *v)
{
    cron_args_t a;
    const char *before = apr_table_get(v->query, "before");
    apr_int64_t b;

    a.id = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, cron_id);
    a.before = NULL;
    if (before && *before) {
        if (!charon_parse_id(before, &b)) {
            return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request",
                                    "before must be an execution's id.");
        }
        a.before = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, b);
    }
    return mgr_show(r, db, v, render_cron, &a);
}
