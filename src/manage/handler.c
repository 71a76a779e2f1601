/*
 * handler.c: the management API's handler: who asks, then the route
 * (404), the method (405 with Allow), the rights a change needs (403),
 * then the route's own function.  As in the run API, a caller who is
 * nobody learns nothing, not even whether a route exists.
 */
#include "manage/charon_manage.h"

#include "apr_strings.h"

#define BIT(m) (AP_METHOD_BIT << (m))

/* A step that lets the request go on; anything else is the answer sent. */
#define GO_ON 1

typedef struct {
    charon_mroute_e route;
    apr_int64_t methods; /* GET also stands for HEAD */
    const char *allow;
    int (*run)(charon_mreq_t *m);
} mroute_t;

static const mroute_t routes[] = {
    {CHARON_MR_CRONS, BIT(M_GET), "GET, HEAD", charon_manage_list_crons},
    {CHARON_MR_CRON, BIT(M_GET) | BIT(M_PUT) | BIT(M_PATCH) | BIT(M_DELETE),
     "GET, HEAD, PUT, PATCH, DELETE", NULL},
    {CHARON_MR_CRON_OFF, BIT(M_POST), "POST", charon_manage_change},
    {CHARON_MR_CRON_ON, BIT(M_POST), "POST", charon_manage_change},
    {CHARON_MR_CRON_EXECS, BIT(M_GET), "GET, HEAD", charon_manage_executions},
    {CHARON_MR_EXECUTION, BIT(M_GET), "GET, HEAD", charon_manage_execution},
    {CHARON_MR_ALERTS, BIT(M_GET), "GET, HEAD", charon_manage_alerts},
    {CHARON_MR_AUDIT, BIT(M_GET), "GET, HEAD", charon_manage_audit},
};

int charon_manage_sees(const charon_mreq_t *m, const char *slug)
{
    if (!m->key || !m->key->patterns->nelts) {
        return 1;
    }
    return slug && charon_key_allows(m->key, slug);
}

int charon_manage_doc(request_rec *r, int status, const char *json)
{
    if (!json) {
        return HTTP_INTERNAL_SERVER_ERROR; /* json-c out of memory */
    }
    r->status_line =
        apr_psprintf(r->pool, "%d %s", status, charon_status_title(status));
    return charon_send_body(r, status, "application/json", json);
}

int charon_manage_problem(request_rec *r, int status, const char *detail,
                          const char *field)
{
    const char *json = charon_json_problem(
        r->pool, status, charon_status_title(status), detail, field);

    charon_drop_body(r);
    if (!json) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->headers_out, "Retry-After", CHARON_RETRY_AFTER);
    }
    r->status_line =
        apr_psprintf(r->pool, "%d %s", status, charon_status_title(status));
    return charon_send_body(r, status, "application/problem+json", json);
}

int charon_manage_unavailable(request_rec *r, const char *why)
{
    return charon_manage_problem(
        r, HTTP_SERVICE_UNAVAILABLE,
        apr_pstrcat(r->pool, why, "; try again later", NULL), NULL);
}

int charon_manage_query(charon_mreq_t *m, int allowed, int def_limit,
                        int max_limit, charon_query_t *q, int *rc)
{
    const char *param, *why;

    why = charon_query_parse(m->r->pool, m->r->args, allowed, def_limit,
                             max_limit, q, &param);
    if (why) {
        *rc = charon_manage_problem(m->r, HTTP_BAD_REQUEST, why, param);
        return 0;
    }
    return 1;
}

charon_db *charon_manage_db(charon_mreq_t *m, int *rc)
{
    const char *why;
    charon_db *db = charon_db_open(m->r, &why);

    if (!db) {
        *rc = charon_manage_unavailable(m->r, why);
    }
    return db;
}

/* Who asks: a key given is judged alone; without one, the user httpd
 * authenticated (Require decided that it may come in).  GO_ON with *m
 * set, or the answer sent. */
static int who_asks(charon_mreq_t *m)
{
    request_rec *r = m->r;
    const char *presented = apr_table_get(r->headers_in, "X-API-KEY");

    if (presented) {
        m->key = charon_key_find(charon_dir_config(r)->keys, presented,
                                 strlen(presented));
        if (!m->key) {
            return charon_manage_problem(
                r, HTTP_UNAUTHORIZED,
                "the X-API-KEY header holds no known key", NULL);
        }
        if (m->key->admin == CHARON_ADMIN_NONE) {
            return charon_manage_problem(
                r, HTTP_FORBIDDEN,
                "this key has no rights on the management API (give it "
                "admin=read or admin=write)",
                NULL);
        }
        m->rights = m->key->admin;
        m->who = apr_pstrcat(r->pool, "key:", m->key->name, NULL);
        return GO_ON;
    }
    if (r->user && *r->user) {
        m->rights = CHARON_ADMIN_WRITE;
        m->who = apr_pstrcat(r->pool, "user:", r->user, NULL);
        return GO_ON;
    }
    return charon_manage_problem(r, HTTP_UNAUTHORIZED,
                                 "the X-API-KEY header is missing", NULL);
}

int charon_manage_handler(request_rec *r)
{
    charon_mreq_t m;
    const char *path;
    apr_size_t i;
    int rc;

    if (!r->handler || strcmp(r->handler, CHARON_ADMIN_HANDLER)) {
        return DECLINED;
    }
    memset(&m, 0, sizeof(m));
    m.r = r;
    if ((rc = who_asks(&m)) != GO_ON) {
        return rc;
    }
    path = charon_route_path(r);
    m.route =
        path ? charon_manage_route(r->pool, path, &m.arg) : CHARON_MR_NONE;
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const mroute_t *rt = &routes[i];
        int change;

        if (rt->route != m.route) {
            continue;
        }
        r->allowed = rt->methods;
        if (!(rt->methods & BIT(r->method_number))) {
            apr_table_setn(r->headers_out, "Allow", rt->allow);
            return charon_manage_problem(
                r, HTTP_METHOD_NOT_ALLOWED,
                apr_pstrcat(r->pool, "this route accepts ", rt->allow, NULL),
                NULL);
        }
        change = r->method_number != M_GET;
        if (change && m.rights != CHARON_ADMIN_WRITE) {
            return charon_manage_problem(r, HTTP_FORBIDDEN,
                                         "this key may read, not change "
                                         "(admin=read)",
                                         NULL);
        }
        if (m.route != CHARON_MR_EXECUTION && m.arg
            && !charon_manage_sees(&m, m.arg)) {
            return charon_manage_problem(
                r, HTTP_FORBIDDEN, "this API key is not allowed for this cron",
                NULL);
        }
        if (!change) {
            charon_drop_body(r);
        }
        if (m.route == CHARON_MR_CRON) {
            return change ? charon_manage_change(&m)
                          : charon_manage_get_cron(&m);
        }
        return rt->run(&m);
    }
    return charon_manage_problem(r, HTTP_NOT_FOUND, "no such route", NULL);
}
