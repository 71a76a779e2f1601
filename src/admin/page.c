/*
 * page.c: the manager's pages as they go out: the frame, the style sheet,
 * the headers that forbid every script, frame and outside resource, the
 * pages without data, and the reading of a page's data from the database.
 */
#include "admin/page.h"

#include "apr_strings.h"
#include "util_filter.h"

void mgr_puts(mgr_page_t *pg, const char *s)
{
    apr_brigade_puts(pg->bb, NULL, NULL, s);
}

void mgr_printf(mgr_page_t *pg, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    apr_brigade_vprintf(pg->bb, NULL, NULL, fmt, ap);
    va_end(ap);
}

void mgr_esc(mgr_page_t *pg, const char *s)
{
    mgr_puts(pg, charon_html(pg->r->pool, s));
}

void mgr_messages(mgr_page_t *pg, const mgr_view_t *v)
{
    if (v->error) {
        mgr_puts(pg, "<p class=\"error\"");
        /* Which field, for a reader (and a test) that wants more than the
         * sentence; the field itself is marked too (mgr_invalid). */
        if (v->error_field) {
            mgr_printf(pg, " data-field=\"%s\"",
                       charon_html(pg->r->pool, v->error_field));
        }
        mgr_puts(pg, ">");
        mgr_esc(pg, v->error);
        mgr_puts(pg, "</p>\n");
    }
    if (v->notice) {
        mgr_puts(pg, "<p class=\"notice\">");
        mgr_esc(pg, v->notice);
        mgr_puts(pg, "</p>\n");
    }
}

/* Plain CSS, no script anywhere: the policy forbids every script, frame
 * and outside resource. */
static const char page_css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "sans-serif;margin:0;color:#1d2329;background:#f6f7f9}"
    "header.top{background:#23303d;color:#fff;padding:.6em 1.5em;"
    "display:flex;justify-content:space-between;align-items:baseline}"
    "header.top a{color:#fff;text-decoration:none;font-weight:600}"
    "main{padding:.5em 1.5em 3em}"
    "h1{font-size:1.45em;margin:.5em 0;overflow-wrap:anywhere}"
    "h2{font-size:1.15em;margin:1.6em 0 .5em}"
    "table{border-collapse:collapse;width:100%;background:#fff;"
    "border:1px solid #e1e4e8}"
    "th,td{border-bottom:1px solid #e1e4e8;padding:.35em .6em;"
    "text-align:left;vertical-align:top}"
    "th{background:#eef0f3;font-weight:600;white-space:nowrap}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    /* A slug or a name of 255 characters without a space breaks
     * anywhere rather than push the table past the page ("anywhere",
     * unlike "break-word", also lets the column be that narrow). */
    "td.slug,td.name,td.msgs,.error,.notice,dl.facts dd,code.sched-text"
    "{overflow-wrap:anywhere}td.slug{min-width:12em}td.name{min-width:8em}"
    "td.msgs{min-width:14em}"
    "a{color:#0b5cad}code,.mono{font-family:ui-monospace,Menlo,Consolas,"
    "monospace}"
    ".muted{color:#6a737d}.nowrap{white-space:nowrap}"
    "td.state.on{color:#176d2c}td.state.off{color:#b00020}"
    "td.state b,.state-word{font-weight:700}"
    ".on-word{color:#176d2c}.off-word{color:#b00020}"
    ".badge{display:inline-block;padding:0 .4em;border-radius:3px;"
    "font-size:.85em;background:#fde2e2;color:#8a0016}"
    "td.outcome{font-weight:600}"
    ".outcome-success{color:#176d2c}.outcome-failure{color:#b00020}"
    ".outcome-lost{color:#a65e00}.outcome-running{color:#0b5cad}"
    ".outcome-missed{color:#6a1b9a}.outcome-unknown{color:#586069}"
    ".badge.note{background:#fff1c2;color:#6b4e00}"
    ".sched-state{font-weight:700}.sched-on-time{color:#176d2c}"
    ".sched-due{color:#a65e00}.sched-missed{color:#6a1b9a}"
    ".sched-unknown,.sched-off,.sched-not-watched,.sched-unscheduled"
    "{color:#586069;font-weight:400}"
    ".sched-invalid{color:#b00020}.sched-why{color:#8a0016}"
    "input.invalid{outline:2px solid #b00020}"
    "table.slots{width:auto}"
    "ul.messages{list-style:none;margin:0;padding:0}"
    "ul.messages li{margin:.15em 0;padding:.15em .45em;border-left:4px solid "
    "#9aa5b1;white-space:pre-wrap;word-break:break-word}"
    "li.msg-info{border-color:#0b5cad;background:#eef5fd}"
    "li.msg-warning{border-color:#c98a00;background:#fff6db}"
    "li.msg-error{border-color:#b00020;background:#fde8ea}"
    "li.msg-success{border-color:#1e8e3e;background:#e8f5ec}"
    ".error{border:1px solid #b00020;background:#fde8ea;color:#8a0016;"
    "padding:.6em .8em;margin:.8em 0}"
    ".notice{border:1px solid #1e8e3e;background:#e8f5ec;padding:.6em .8em;"
    "margin:.8em 0}"
    "form.row{display:flex;flex-wrap:wrap;gap:.6em;align-items:flex-end;"
    "margin:.3em 0}"
    "form.row label{display:flex;flex-direction:column;font-size:.9em;"
    "color:#444}"
    "input,select,button{font:inherit;padding:.2em .4em}"
    "fieldset{border:1px solid #e1e4e8;background:#fff;margin:.8em 0;"
    "padding:.5em 1em}legend{font-weight:600}"
    "nav.pager{margin:.8em 0;display:flex;gap:1.5em}"
    "svg.spark{vertical-align:middle;background:#f0f2f4}"
    "svg.spark rect.success{fill:#2e9d4b}svg.spark rect.failure{fill:#d32f2f}"
    "svg.spark rect.lost{fill:#e08a00}svg.spark rect.running{fill:#4a90d9}"
    "svg.spark rect.missed{fill:#8e44ad}svg.spark rect.unknown{fill:#b0b7bf}"
    "dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);"
    "gap:.25em 1.2em;background:#fff;padding:.7em 1em;"
    "border:1px solid #e1e4e8;margin:0}"
    "dl.facts dt{color:#586069}dl.facts dd{margin:0}"
    "header.top nav{display:flex;gap:1.5em}a.small{font-size:.75em;"
    "font-weight:400}"
    ".alert-state{font-weight:700}.alert-up{color:#176d2c}"
    ".alert-down{color:#b00020}td.event{font-weight:600}"
    ".event-down,.event-realert{color:#b00020}.event-up{color:#176d2c}"
    ".event-test{color:#0b5cad}"
    "ul.deliveries{list-style:none;margin:0;padding:0}"
    "li.delivery{margin:.1em 0;padding:.1em .45em;border-left:4px solid "
    "#9aa5b1}li.delivery-pending{border-color:#c98a00;background:#fff6db}"
    "li.delivery-delivered{border-color:#1e8e3e;background:#e8f5ec}"
    "li.delivery-given-up{border-color:#b00020;background:#fde8ea}"
    ".delivery-error{color:#8a0016;overflow-wrap:anywhere}"
    "td.summary,td.url{overflow-wrap:anywhere}";

static void set_headers(request_rec *r)
{
    apr_table_t *h = r->headers_out;

    apr_table_setn(h, "Cache-Control", "no-store");
    apr_table_setn(h, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; "
                   "img-src data:; form-action 'self'; "
                   "frame-ancestors 'none'");
    apr_table_setn(h, "X-Content-Type-Options", "nosniff");
    apr_table_setn(h, "X-Frame-Options", "DENY");
    apr_table_setn(h, "Referrer-Policy", "same-origin");
}

static void page_init(mgr_page_t *pg, request_rec *r)
{
    memset(pg, 0, sizeof(*pg));
    pg->r = r;
    pg->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    pg->base = charon_html(r->pool, ap_escape_uri(r->pool, r->uri));
    pg->title = "Charon";
}

/* Sends the page: the frame around what was written, with its length. */
static int page_send(mgr_page_t *pg, int status)
{
    request_rec *r = pg->r;
    apr_bucket_brigade *out =
        apr_brigade_create(r->pool, r->connection->bucket_alloc);
    apr_off_t len = 0;

    apr_brigade_printf(
        out, NULL, NULL,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\"><title>%s</title><style>%s</style></head>"
        "<body><header class=\"top\"><nav><a href=\"%s\">Charon crons</a>"
        "<a id=\"nav-alerts\" href=\"%s?alerts\">Alerts</a></nav>",
        charon_html(r->pool, pg->title), page_css, pg->base, pg->base);
    if (r->user) {
        apr_brigade_printf(out, NULL, NULL,
                           "<span class=\"muted\">signed in as %s</span>",
                           charon_html(r->pool, r->user));
    }
    apr_brigade_puts(out, NULL, NULL, "</header><main>\n");
    APR_BRIGADE_CONCAT(out, pg->bb);
    apr_brigade_puts(out, NULL, NULL, "</main></body></html>\n");

    r->status = status;
    set_headers(r);
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_brigade_length(out, 1, &len);
    ap_set_content_length(r, len);
    if (r->header_only) {
        apr_brigade_cleanup(out);
    }
    APR_BRIGADE_INSERT_TAIL(
        out, apr_bucket_eos_create(r->connection->bucket_alloc));
    return ap_pass_brigade_fchk(
        r, out, CHARON_LOGNO(601) "sending the manager page failed");
}

int mgr_send_message(request_rec *r, int status, const char *title,
                     const char *text)
{
    mgr_page_t pg;

    page_init(&pg, r);
    pg.title = title;
    mgr_puts(&pg, "<h1>");
    mgr_esc(&pg, title);
    mgr_puts(&pg, "</h1><p class=\"error\">");
    mgr_esc(&pg, text);
    mgr_printf(&pg, "</p><p><a href=\"%s\">Back to the list of crons</a></p>",
               pg.base);
    return page_send(&pg, status);
}

int mgr_send_unavailable(request_rec *r)
{
    apr_table_setn(r->headers_out, "Retry-After", CHARON_RETRY_AFTER);
    return mgr_send_message(r, HTTP_SERVICE_UNAVAILABLE,
                            "Database unavailable",
                            "The database cannot be reached just now; "
                            "nothing was changed. Try again in a few "
                            "seconds.");
}

typedef struct {
    mgr_page_t *pg;
    const mgr_view_t *v;
    mgr_render_fn *render;
    void *baton;
    mgr_result_e res;
} show_t;

static charon_db_e show(charon_db *db, void *baton)
{
    show_t *s = baton;
    const char *const *ignored;

    apr_brigade_cleanup(s->pg->bb); /* a run before this one's */
    s->pg->title = "Charon";
    if (charon_db_has(db, ST_MGR_CUSTOM_PLANS)
        && !charon_db_row(db, ST_MGR_CUSTOM_PLANS, NULL, &ignored)) {
        return CHARON_DB_FAILED;
    }
    s->res = s->render(s->pg, db, s->v, s->baton);
    return s->res == MGR_DB_FAILED ? CHARON_DB_FAILED : CHARON_DB_OK;
}

/* Where the dialect plans the manager's reads for their arguments, they
 * run in a transaction that says so (ST_MGR_CUSTOM_PLANS); nothing is
 * written, the end of it only lets go.  (Only there: SQLite's BEGIN
 * IMMEDIATE would hold the write lock for the whole page.) */
int mgr_show(request_rec *r, charon_db *db, const mgr_view_t *v,
             mgr_render_fn *render, void *baton)
{
    mgr_page_t pg;
    show_t s = {&pg, v, render, baton, MGR_DB_FAILED};
    int tx = charon_db_has(db, ST_MGR_CUSTOM_PLANS) ? CHARON_DB_TX : 0;

    page_init(&pg, r);
    if (charon_db_run(db, tx, show, &s) != CHARON_DB_OK) {
        return mgr_send_unavailable(r);
    }
    if (s.res == MGR_NOT_FOUND) {
        return mgr_send_message(r, HTTP_NOT_FOUND, "No such cron",
                                "No cron has this id (it may have been "
                                "deleted).");
    }
    return page_send(&pg, v->status ? v->status : HTTP_OK);
}

int mgr_redirect(request_rec *r, const char *query)
{
    return mgr_redirect_path(r, r->uri, query);
}

int mgr_redirect_path(request_rec *r, const char *path, const char *query)
{
    const char *loc = apr_pstrcat(r->pool, ap_escape_uri(r->pool, path),
                                  query && *query ? "?" : "", query, NULL);
    mgr_page_t pg;

    page_init(&pg, r);
    pg.title = "See Other";
    apr_table_setn(r->headers_out, "Location", loc);
    mgr_printf(&pg, "<p>Done: <a href=\"%s\">continue</a>.</p>",
               charon_html(r->pool, loc));
    return page_send(&pg, HTTP_SEE_OTHER);
}
