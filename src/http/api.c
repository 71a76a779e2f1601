/*
 * api.c: the API's handler (`SetHandler charon`).
 *
 * The key first, then the route through one table (404, or 405 with
 * Allow), then each route's own short function: its input is checked
 * before the database is touched, so bad input changes nothing and costs
 * no connection; what the call came to is the operations layer's, and
 * its answer lib's.
 */
#include "http/charon_http.h"

#include "apr_strings.h"

typedef struct {
    request_rec *r;
    const charon_key_t *key;
    charon_verb_e verb;
    const char *target; /* the slug, or an id as sent */
} route_req;

typedef struct {
    charon_verb_e verb;
    apr_int64_t methods; /* AP_METHOD_BIT << M_xxx */
    int head;            /* HEAD allowed (it arrives as GET) */
    int body;            /* reads a body */
    const char *allow;   /* the Allow header for 405 */
    int (*run)(route_req *q);
} route_t;

/* ---- answers ----------------------------------------------------------- */

static int send_outcome(request_rec *r, charon_outcome_e what)
{
    charon_outcome_t o;
    charon_answer_t a;

    memset(&o, 0, sizeof(o));
    o.what = what;
    charon_answer_for(r->pool, &o, &a);
    return charon_send_answer(r, &a);
}

static int send_unavailable(request_rec *r, const char *why)
{
    return charon_send_problem(
        r, HTTP_SERVICE_UNAVAILABLE,
        apr_pstrcat(r->pool, why, "; try again later", NULL), NULL);
}

static int send_forbidden(request_rec *r)
{
    return charon_send_problem(
        r, HTTP_FORBIDDEN, "this API key is not allowed for this cron", NULL);
}

/* ---- input ------------------------------------------------------------- */

/* What a step of a route returns when the route goes on; anything else is
 * the answer already sent, for the handler to return. */
#define GO_ON 1

/* What the Idempotency-Key header asks for: *idem NULL without it (its
 * request is fingerprinted once the body is read).  GO_ON, or the answer
 * sent (400). */
static int read_idempotency(route_req *q, charon_idem_t **idem)
{
    request_rec *r = q->r;
    const char *value = apr_table_get(r->headers_in, "Idempotency-Key");
    charon_idem_t *ik;

    *idem = NULL;
    if (!value) {
        return GO_ON;
    }
    if (!charon_idempotency_key_valid(value)) {
        return charon_send_problem(
            r, HTTP_BAD_REQUEST,
            apr_psprintf(r->pool,
                         "the Idempotency-Key header must be 1 to "
                         "%d printable ASCII characters",
                         CHARON_IDEMPOTENCY_KEY_MAX),
            NULL);
    }
    ik = apr_pcalloc(r->pool, sizeof(*ik));
    ik->key_name = q->key->name;
    ik->key = value;
    ik->window = charon_idempotency_window(r->server);
    *idem = ik;
    return GO_ON;
}

/* Reads the body whole, within CharonMaxBodySize: GO_ON, or the answer
 * sent. */
static int read_raw_body(route_req *q, char **raw, apr_size_t *raw_len)
{
    request_rec *r = q->r;
    apr_off_t max = charon_max_body(charon_dir_config(r));
    int status = charon_read_body(r, max, raw, raw_len);

    if (status == AP_FILTER_ERROR) {
        return status; /* httpd's own answer has gone out */
    }
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        return charon_send_problem(
            r, status,
            apr_psprintf(r->pool,
                         "the body is larger than %" APR_OFF_T_FMT " bytes",
                         max),
            NULL);
    }
    if (status != OK) {
        return charon_send_problem(r, status,
                                   "the request body could not be read", NULL);
    }
    return GO_ON;
}

/* Reads and checks the body of end or message: GO_ON, or the answer
 * sent. */
static int read_call_body(route_req *q, charon_body_t *body, char **raw,
                          apr_size_t *raw_len)
{
    request_rec *r = q->r;
    apr_size_t max_msg = (apr_size_t)charon_max_message(charon_dir_config(r));
    charon_error_t err;
    int rc, ok;

    if ((rc = read_raw_body(q, raw, raw_len)) != GO_ON) {
        return rc;
    }
    ok = q->verb == CHARON_VERB_END
             ? charon_parse_end_body(r->pool, *raw, *raw_len, max_msg, body,
                                     &err)
             : charon_parse_message_body(r->pool, *raw, *raw_len, max_msg,
                                         body, &err);
    return ok ? GO_ON
              : charon_send_problem(r, err.status, err.detail, err.field);
}

/* application/json, or any type/x+json, whatever its parameters. */
static int is_json(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_size_t n;

    if (!ct) {
        return 0;
    }
    n = strcspn(ct, "; \t");
    return (n == 16 && !strncasecmp(ct, "application/json", 16))
           || (n > 5 && !strncasecmp(ct + n - 5, "+json", 5)
               && memchr(ct, '/', n));
}

/* A POST start may carry the cron's schedule as JSON; any other body is
 * ignored, as the original API did.  GO_ON, or the answer sent. */
static int read_start_body(route_req *q, charon_sched_t *sched, char **raw,
                           apr_size_t *raw_len)
{
    request_rec *r = q->r;
    charon_error_t err;
    int rc;

    if (r->method_number != M_POST || !is_json(r)) {
        charon_drop_body(r);
        return GO_ON;
    }
    if ((rc = read_raw_body(q, raw, raw_len)) != GO_ON) {
        return rc;
    }
    return charon_parse_start_body(r->pool, *raw, *raw_len, sched, &err)
               ? GO_ON
               : charon_send_problem(r, err.status, err.detail, err.field);
}

/* Runs a call that writes, through its Idempotency-Key's stored answer
 * when it has one, and sends the answer. */
static int run_call(request_rec *r, charon_db *db, const charon_call_t *call,
                    const charon_idem_t *idem)
{
    charon_answer_t answer;
    charon_outcome_t o;
    charon_idem_e how = CHARON_IDEM_NEW;
    charon_db_e rv;

    if (idem) {
        rv = charon_op_idempotent(db, idem, call, &answer, &how);
    }
    else if ((rv = charon_op_outcome(db, call, &o)) == CHARON_DB_OK) {
        charon_answer_for(r->pool, &o, &answer);
    }
    if (rv != CHARON_DB_OK) {
        return send_unavailable(r, "the database cannot be reached");
    }
    if (how == CHARON_IDEM_KEY_REUSED) {
        return charon_send_problem(r, HTTP_UNPROCESSABLE_ENTITY,
                                   "the "
                                   "Idempotency-Key was already used for "
                                   "another request",
                                   NULL);
    }
    if (how == CHARON_IDEM_REPLAYED) {
        apr_table_setn(r->headers_out, "Idempotent-Replayed", "true");
    }
    return charon_send_answer(r, &answer);
}

/* ---- the routes --------------------------------------------------------- */

/* Slugs are stored as UTF-8 text of at most 255 characters: anything else
 * cannot name a cron, and is not worth a round trip (PostgreSQL would
 * refuse to compare invalid UTF-8 at all). */
static int slug_possible(const char *slug)
{
    apr_size_t len = strlen(slug);

    return len <= 1020 && charon_utf8_valid(slug, len);
}

static int route_can_start(route_req *q)
{
    charon_outcome_t o;
    charon_answer_t a;
    charon_db *db;
    const char *why;

    if (!charon_key_allows(q->key, q->target)) {
        return send_forbidden(q->r);
    }
    if (!slug_possible(q->target)) {
        return send_outcome(q->r, CHARON_NO_SLUG);
    }
    if (!(db = charon_db_open(q->r, &why))) {
        return send_unavailable(q->r, why);
    }
    if (charon_op_can_start(db, q->target, &o) != CHARON_DB_OK) {
        return send_unavailable(q->r, "the database cannot be reached");
    }
    charon_answer_for(q->r->pool, &o, &a);
    return charon_send_answer(q->r, &a);
}

static int route_start(route_req *q)
{
    charon_call_t call;
    charon_idem_t *idem;
    charon_cron_t cron;
    charon_db *db;
    const char *why;
    char *raw = NULL;
    apr_size_t raw_len = 0;
    int rc, found;

    memset(&call, 0, sizeof(call));
    call.verb = CHARON_VERB_START;
    call.key_name = q->key->name;
    call.remote_addr = q->r->useragent_ip;
    if (!charon_parse_id(q->target, &call.id)) {
        return send_outcome(q->r, CHARON_NO_CRON);
    }
    if ((rc = read_idempotency(q, &idem)) != GO_ON
        || (rc = read_start_body(q, &call.sched, &raw, &raw_len)) != GO_ON) {
        return rc;
    }
    if (idem) {
        idem->request = charon_request_fingerprint(q->r->pool, q->verb,
                                                   q->target, raw, raw_len);
    }
    if (!(db = charon_db_open(q->r, &why))) {
        return send_unavailable(q->r, why);
    }
    /* A key limited to some crons: 403 for the others. */
    if (q->key->patterns->nelts) {
        if (charon_op_cron_by_id(db, call.id, &cron, &found) != CHARON_DB_OK) {
            return send_unavailable(q->r, "the database cannot be reached");
        }
        if (!found) {
            return send_outcome(q->r, CHARON_NO_CRON);
        }
        if (!charon_key_allows(q->key, cron.slug)) {
            return send_forbidden(q->r);
        }
    }
    return run_call(q->r, db, &call, idem);
}

/* end and message: the same steps, their own body. */
static int route_execution_call(route_req *q)
{
    charon_call_t call;
    charon_idem_t *idem;
    charon_db *db;
    const char *why, *slug;
    char *raw = NULL;
    apr_size_t raw_len = 0;
    int rc;

    memset(&call, 0, sizeof(call));
    call.verb = q->verb;
    if (!charon_parse_id(q->target, &call.id)) {
        return send_outcome(q->r, CHARON_NO_EXECUTION);
    }
    if ((rc = read_idempotency(q, &idem)) != GO_ON
        || (rc = read_call_body(q, &call.body, &raw, &raw_len)) != GO_ON) {
        return rc;
    }
    if (idem) {
        idem->request = charon_request_fingerprint(q->r->pool, q->verb,
                                                   q->target, raw, raw_len);
    }
    if (!(db = charon_db_open(q->r, &why))) {
        return send_unavailable(q->r, why);
    }
    if (q->key->patterns->nelts) {
        if (charon_op_execution_slug(db, call.id, &slug) != CHARON_DB_OK) {
            return send_unavailable(q->r, "the database cannot be reached");
        }
        if (!slug) {
            return send_outcome(q->r, CHARON_NO_EXECUTION);
        }
        if (!charon_key_allows(q->key, slug)) {
            return send_forbidden(q->r);
        }
    }
    return run_call(q->r, db, &call, idem);
}

#define BIT(m) (AP_METHOD_BIT << (m))

static const route_t routes[] = {
    {CHARON_VERB_CAN_START, BIT(M_GET), 1, 0, "GET, HEAD", route_can_start},
    /* start has a side effect: GET for the original clients, POST as the
     * right verb, and never HEAD, which must not create anything. */
    {CHARON_VERB_START, BIT(M_GET) | BIT(M_POST), 0, 1, "GET, POST",
     route_start},
    {CHARON_VERB_END, BIT(M_POST), 0, 1, "POST", route_execution_call},
    {CHARON_VERB_MESSAGE, BIT(M_POST), 0, 1, "POST", route_execution_call},
};

/* ---- the handler -------------------------------------------------------- */

int charon_handler(request_rec *r)
{
    const char *presented, *path;
    route_req q;
    apr_size_t i;

    if (!r->handler || strcmp(r->handler, CHARON_HANDLER)) {
        return DECLINED;
    }
    memset(&q, 0, sizeof(q));
    q.r = r;
    /* The key first: an unauthenticated caller learns nothing, not even
     * whether a route exists. */
    presented = apr_table_get(r->headers_in, "X-API-KEY");
    q.key = charon_key_find(charon_dir_config(r)->keys, presented,
                            presented ? strlen(presented) : 0);
    if (!q.key) {
        return charon_send_problem(
            r, HTTP_UNAUTHORIZED,
            presented ? "the X-API-KEY header holds no known key"
                      : "the X-API-KEY header is missing",
            NULL);
    }
    path = charon_route_path(r);
    if (!path || !charon_parse_route(r->pool, path, &q.verb, &q.target)) {
        return charon_send_problem(r, HTTP_NOT_FOUND, "no such route", NULL);
    }
    apr_table_setn(r->notes, CHARON_VERB_NOTE, charon_verb_name(q.verb));
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route_t *rt = &routes[i];

        if (rt->verb != q.verb) {
            continue;
        }
        r->allowed = rt->methods;
        if (!(rt->methods & BIT(r->method_number))
            || (r->header_only && !rt->head)) {
            apr_table_setn(r->headers_out, "Allow", rt->allow);
            return charon_send_problem(r, HTTP_METHOD_NOT_ALLOWED,
                                       apr_psprintf(r->pool, "%s accepts %s",
                                                    charon_verb_name(q.verb),
                                                    rt->allow),
                                       NULL);
        }
        if (!rt->body) {
            charon_drop_body(r);
        }
        return rt->run(&q);
    }
    return charon_send_problem(r, HTTP_NOT_FOUND, "no such route", NULL);
}
