/*
 * changes.c: PUT, PATCH, DELETE, off and on of a cron.  The body and the
 * query are checked before the database is touched, so that bad input
 * changes nothing and costs no connection; the change itself, its
 * conditions and its record are the operations layer's, in one
 * transaction (ops/manage.c).
 */
#include "manage/charon_manage.h"

#include "apr_strings.h"

/* A step that lets the route go on; anything else is the answer sent. */
#define GO_ON 1

/* Reads the body within CharonMaxBodySize: GO_ON, or the answer sent. */
static int read_body(charon_mreq_t *m, char **buf, apr_size_t *len)
{
    request_rec *r = m->r;
    apr_off_t max = charon_max_body(charon_dir_config(r));
    int status = charon_read_body(r, max, buf, len);

    if (status == AP_FILTER_ERROR) {
        return status;
    }
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return charon_manage_problem(
            r, status,
            apr_psprintf(r->pool,
                         "the body is larger than %" APR_OFF_T_FMT " bytes",
                         max),
            NULL);
    }
    if (status != OK) {
        return charon_manage_problem(
            r, status, "the request body could not be read", NULL);
    }
    return GO_ON;
}

/* The body checked on its own, before the cron is read: a PUT as if it
 * created the cron, a PATCH as if on a cron at its defaults. */
static int check_body(charon_mreq_t *m, charon_change_req_t *c)
{
    charon_crondef_t base, out;
    charon_error_t err;

    charon_crondef_defaults(&base);
    base.name = "-";
    if (charon_crondef_parse(m->r->pool, c->body, c->len, c->slug,
                             c->act == CHARON_ACT_PATCH ? &base : NULL,
                             c->act == CHARON_ACT_PUT ? CHARON_BODY_PUT
                                                      : CHARON_BODY_PATCH,
                             &out, &err)) {
        return GO_ON;
    }
    return charon_manage_problem(m->r, err.status, err.detail, err.field);
}

static charon_act_e action_of(const charon_mreq_t *m)
{
    switch (m->r->method_number) {
    case M_PUT: return CHARON_ACT_PUT;
    case M_PATCH: return CHARON_ACT_PATCH;
    case M_DELETE: return CHARON_ACT_DELETE;
    default:
        return m->route == CHARON_MR_CRON_OFF ? CHARON_ACT_OFF : CHARON_ACT_ON;
    }
}

/* The body and query of the change: GO_ON, or the answer sent. */
static int read_request(charon_mreq_t *m, charon_change_req_t *c)
{
    request_rec *r = m->r;
    charon_query_t q;
    charon_error_t err;
    const char *why;
    char *buf = NULL;
    apr_size_t len = 0;
    int rc;

    if (!charon_manage_query(
            m,
            CHARON_Q_DRY_RUN
                | (c->act == CHARON_ACT_DELETE ? CHARON_Q_EXECUTIONS : 0),
            0, 0, &q, &rc)) {
        return rc;
    }
    c->dry_run = q.dry_run;
    c->delete_executions = q.delete_executions;
    if (c->act == CHARON_ACT_PUT && (why = charon_slug_check(c->slug))) {
        return charon_manage_problem(r, HTTP_UNPROCESSABLE_ENTITY, why,
                                     "slug");
    }
    if (c->act == CHARON_ACT_DELETE) {
        charon_drop_body(r);
        return GO_ON;
    }
    if ((rc = read_body(m, &buf, &len)) != GO_ON) {
        return rc;
    }
    c->body = buf;
    c->len = len;
    if (c->act == CHARON_ACT_PUT || c->act == CHARON_ACT_PATCH) {
        return check_body(m, c);
    }
    if (c->act == CHARON_ACT_OFF
        && !charon_off_parse(r->pool, buf, len, &c->reason, &c->until, &err)) {
        return charon_manage_problem(r, err.status, err.detail, err.field);
    }
    if (c->act == CHARON_ACT_ON && len) {
        /* on takes nothing: an empty object at most */
        const char *rs;
        apr_int64_t un;

        if (!charon_off_parse(r->pool, buf, len, &rs, &un, &err)) {
            return charon_manage_problem(r, err.status, err.detail, err.field);
        }
        if (rs || un) {
            return charon_manage_problem(r, HTTP_UNPROCESSABLE_ENTITY,
                                         "on takes no reason and no until",
                                         rs ? "reason" : "until");
        }
    }
    return GO_ON;
}

int charon_manage_change(charon_mreq_t *m)
{
    request_rec *r = m->r;
    charon_change_req_t c;
    charon_change_res_t res;
    charon_db *db;
    int rc;

    memset(&c, 0, sizeof(c));
    c.act = action_of(m);
    c.slug = m->arg;
    c.who = m->who;
    c.if_match = apr_table_get(r->headers_in, "If-Match");
    c.if_none_match = apr_table_get(r->headers_in, "If-None-Match");
    if ((rc = read_request(m, &c)) != GO_ON) {
        return rc;
    }
    if (!(db = charon_manage_db(m, &rc))) {
        return rc;
    }
    if (charon_op_manage(db, &c, &res) != CHARON_DB_OK) {
        return charon_manage_unavailable(r, "the database cannot be reached");
    }
    if (c.dry_run) {
        apr_table_setn(r->headers_out, "Charon-Dry-Run", "1");
    }
    if (res.status >= 400) {
        return charon_manage_problem(r, res.status, res.detail, res.field);
    }
    if (res.status == HTTP_NO_CONTENT) {
        r->status = HTTP_NO_CONTENT;
        r->status_line = "204 No Content";
        apr_table_setn(r->headers_out, "Cache-Control", "no-store");
        return OK;
    }
    apr_table_setn(r->headers_out, "ETag", res.etag);
    return charon_manage_doc(r, res.status, res.json);
}
