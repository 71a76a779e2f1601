/*
 * manager.c: the HTML manager page (`SetHandler charon-manager`):
 * routing.  GET and HEAD read (the list, one cron, the alerts:
 * page_list.c, page_cron.c, page_alerts.c), POST changes (post.c,
 * post_alerts.c).
 *
 * Who may use it is httpd's business (Require, AuthType): the handler
 * trusts whoever httpd lets through, and guards only against other sites
 * making a signed-in operator's browser send a change (csrf.c).  No page
 * carries a script: the answers' policy forbids every one (page.c).
 */
#include "admin/pages.h"

#include "apr_strings.h"

/* ---- GET --------------------------------------------------------------- */

static const struct {
    const char *done;
    const char *notice;
} notices[] = {
    {"create", "The cron was created."},
    {"rename", "The cron was renamed."},
    {"switch-off", "The cron was switched off."},
    {"switch-on", "The cron was switched on."},
    {"policy", "The cron's policy was changed."},
    {"schedule", "The cron's schedule was changed."},
    {"alert-policy", "The cron's alert policy was changed."},
    {"mute", "The cron's alerts are muted: its events are recorded, not "
             "sent."},
    {"unmute", "The cron's alerts are no longer muted."},
};

static int mgr_get(request_rec *r, apr_table_t *query)
{
    const char *cron = apr_table_get(query, "cron");
    const char *done = apr_table_get(query, "done");
    const char *why;
    charon_db *db;
    mgr_view_t v;
    apr_int64_t id = 0;
    apr_size_t i;

    memset(&v, 0, sizeof(v));
    v.query = query;
    v.status = HTTP_OK;
    for (i = 0; done && i < sizeof(notices) / sizeof(notices[0]); i++) {
        if (!strcmp(done, notices[i].done)) {
            v.notice = notices[i].notice;
        }
    }
    if (cron && !charon_parse_id(cron, &id)) {
        return mgr_send_message(r, HTTP_NOT_FOUND, "No such cron",
                                "The cron's id must be a positive number.");
    }
    if (!(db = charon_db_open(r, &why))) {
        return mgr_send_unavailable(r);
    }
    if (!cron && apr_table_get(query, "alerts")) {
        return mgr_alerts_page(r, db, &v);
    }
    return cron ? mgr_cron_page(r, db, id, &v) : mgr_list_page(r, db, &v);
}

/* ---- the handler ------------------------------------------------------- */

#define BIT(m) (AP_METHOD_BIT << (m))

/* An alert names its cron by CharonManagerURL + "/cron/ID" (ops/alerts.c):
 * that path is sent to the cron's page, <mount>?cron=ID, where the page's
 * own links are relative to the mount.  DECLINED for any other path. */
static int cron_link(request_rec *r)
{
    static const char seg[] = "/cron/";
    const char *last = strrchr(r->uri, '/');
    apr_size_t n = sizeof(seg) - 1;
    apr_int64_t id;
    char *mount;

    if (!last || (apr_size_t)(last + 1 - r->uri) < n
        || strncmp(last + 1 - n, seg, n) || !charon_parse_id(last + 1, &id)) {
        return DECLINED;
    }
    mount = apr_pstrndup(r->pool, r->uri, (apr_size_t)(last + 1 - n - r->uri));
    return mgr_redirect_path(
        r, *mount ? mount : "/",
        apr_psprintf(r->pool, "cron=%" APR_INT64_T_FMT, id));
}

static int run_get(request_rec *r)
{
    apr_table_t *query;
    const char *why = charon_parse_form(r->pool, r->args, &query);
    int rc = cron_link(r);

    if (rc != DECLINED) {
        return rc;
    }
    if (why) {
        return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request", why);
    }
    return mgr_get(r, query);
}

static const struct {
    int method; /* M_GET covers HEAD */
    int (*run)(request_rec *r);
} routes[] = {
    {M_GET, run_get},
    {M_POST, mgr_post},
};

int charon_manager_handler(request_rec *r)
{
    apr_size_t i;

    if (!r->handler || strcmp(r->handler, CHARON_MANAGER_HANDLER)) {
        return DECLINED;
    }
    r->allowed = BIT(M_GET) | BIT(M_POST);
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (routes[i].method == r->method_number) {
            return routes[i].run(r);
        }
    }
    apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST");
    return mgr_send_message(r, HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
                            "This page answers GET and HEAD, and changes "
                            "things on POST only.");
}
