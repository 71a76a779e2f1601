/*
 * charon_handler.c: the HTTP side of the API.
 *
 * One handler: check the key, route through one table, check the method,
 * read and validate the body, call the database, answer in JSON.  Every
 * answer, error or not, is built here, so each status has one shape.
 */
#include "charon.h"

#include "apr_strings.h"
#include "util_filter.h"

typedef struct {
    charon_verb_e verb;
    apr_int64_t methods;        /* AP_METHOD_BIT << M_xxx */
    int head;                   /* HEAD allowed (it arrives as GET) */
    const char *allow;          /* the Allow header for 405 */
    int (*run)(request_rec *r, const charon_key_t *key, const char *target);
} route_t;

/* ---- answers ---------------------------------------------------------- */

static const char *status_title(int status)
{
    switch (status) {
    case HTTP_OK:                       return "OK";
    case HTTP_BAD_REQUEST:              return "Bad Request";
    case HTTP_UNAUTHORIZED:             return "Unauthorized";
    case HTTP_FORBIDDEN:                return "Forbidden";
    case HTTP_NOT_FOUND:                return "Not Found";
    case HTTP_METHOD_NOT_ALLOWED:       return "Method Not Allowed";
    case HTTP_CONFLICT:                 return "Conflict";
    case HTTP_REQUEST_ENTITY_TOO_LARGE: return "Content Too Large";
    case 418:                           return "I'm a teapot";
    case HTTP_UNPROCESSABLE_ENTITY:     return "Unprocessable Content";
    case HTTP_SERVICE_UNAVAILABLE:      return "Service Unavailable";
    default:                            return "Internal Server Error";
    }
}

#define BODY_READ_NOTE "charon-body-read"

/* A body that was not read must not be taken for the next request on the
 * connection.  Reading it away could mean reading a large body from a
 * caller who has no key: close the connection instead. */
static void drop_body(request_rec *r)
{
    const char *clen = apr_table_get(r->headers_in, "Content-Length");

    if (apr_table_get(r->notes, BODY_READ_NOTE)) {
        return;
    }
    if (apr_table_get(r->headers_in, "Transfer-Encoding")
        || (clen && strcmp(clen, "0") != 0)) {
        r->connection->keepalive = AP_CONN_CLOSE;
    }
}

int charon_send_body(request_rec *r, int status, const char *ctype,
                     const char *body)
{
    apr_size_t len = strlen(body);

    r->status = status;
    ap_set_content_type(r, ctype);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, len);
    if (!r->header_only) {
        ap_rwrite(body, (int)len, r);
    }
    return OK;
}

static int send_json(request_rec *r, int status, const char *ctype,
                     const char *json)
{
    charon_count_request(r, json ? status : HTTP_INTERNAL_SERVER_ERROR);
    if (!json) {
        /* json-c could not allocate: nothing sensible can be said. */
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    /* httpd has no reason phrase for 418: give every status its own. */
    r->status_line = apr_psprintf(r->pool, "%d %s", status,
                                  status_title(status));
    return charon_send_body(r, status, ctype, json);
}

static int send_ok(request_rec *r, const char *json)
{
    return send_json(r, HTTP_OK, "application/json", json);
}

static int send_problem(request_rec *r, int status, const char *detail,
                        const char *field)
{
    drop_body(r);
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->headers_out, "Retry-After", CHARON_RETRY_AFTER);
    }
    return send_json(r, status, "application/problem+json",
                     charon_json_problem(r->pool, status, status_title(status),
                                         detail, field));
}

static int send_db_problem(request_rec *r, charon_db_status_e st,
                           const char *not_found)
{
    if (st == CHARON_DB_NOT_FOUND) {
        return send_problem(r, HTTP_NOT_FOUND, not_found, NULL);
    }
    return send_problem(r, HTTP_SERVICE_UNAVAILABLE,
                        "the database cannot be reached; try again later",
                        NULL);
}

/* Answers that the database decides are built first and sent after, so
 * that they can be stored for an Idempotency-Key and replayed as they
 * were. */
static void answer_ok(charon_answer_t *a, const char *json)
{
    a->status = HTTP_OK;
    a->json = json;
}

static void answer_problem(request_rec *r, charon_answer_t *a, int status,
                           const char *detail)
{
    a->status = status;
    a->json = charon_json_problem(r->pool, status, status_title(status),
                                  detail, NULL);
}

/* Why a cron may not start now, from its state.  Returns 0 for a cron
 * that is simply off, with no reason and no end given: its answers stay
 * exactly the contract's. */
static int refusal_of(request_rec *r, const charon_cron_t *cron,
                      charon_refusal_t *why)
{
    memset(why, 0, sizeof(*why));
    if (!cron->on) {
        why->refusal = "inactive";
        why->reason = cron->off_reason;
        why->until = cron->off_until;
        return *why->reason || *why->until;
    }
    else {
        why->refusal = "locked";
        why->reason = apr_psprintf(r->pool, "execution %" APR_INT64_T_FMT
                                   " is still running", cron->running_id);
        why->running_id = cron->running_id;
    }
    return 1;
}

static void answer_refused(request_rec *r, charon_answer_t *a,
                           const charon_cron_t *cron)
{
    charon_refusal_t why;
    const char *detail = cron->on ? "another execution of this cron is "
                                    "still running, and the cron forbids "
                                    "overlapping runs"
                                  : "the cron is not active";

    a->status = cron->on ? HTTP_CONFLICT : 418;
    a->json = refusal_of(r, cron, &why)
              ? charon_json_refused(r->pool, a->status,
                                    status_title(a->status), detail, &why)
              : charon_json_problem(r->pool, a->status,
                                    status_title(a->status), detail, NULL);
}

static int send_answer(request_rec *r, const charon_answer_t *a)
{
    if (a->status != HTTP_OK) {
        drop_body(r);
    }
    return send_json(r, a->status, a->status == HTTP_OK
                                   ? "application/json"
                                   : "application/problem+json", a->json);
}

static int send_unavailable(request_rec *r, const char *why)
{
    return send_problem(r, HTTP_SERVICE_UNAVAILABLE,
                        apr_pstrcat(r->pool, why, "; try again later", NULL),
                        NULL);
}

static int send_forbidden(request_rec *r)
{
    return send_problem(r, HTTP_FORBIDDEN,
                        "this API key is not allowed for this cron", NULL);
}

/* ---- request body ----------------------------------------------------- */

/* Reads the whole body, whatever its Content-Type and framing (chunked
 * bodies have no length, so the cap is counted while reading).  Returns
 * OK, or the status to answer with. */
int charon_read_body(request_rec *r, apr_off_t max, char **buf,
                     apr_size_t *len)
{
    const char *clen = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    char *data;
    apr_size_t used = 0;
    int seen_eos = 0;

    apr_table_setn(r->notes, BODY_READ_NOTE, "1");
    if (clen) {
        apr_off_t n;
        char *end;

        if (apr_strtoff(&n, clen, &end, 10) == APR_SUCCESS && !*end && n > max) {
            r->connection->keepalive = AP_CONN_CLOSE;
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
    data = apr_palloc(r->pool, (apr_size_t)max + 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!seen_eos) {
        apr_bucket *b;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
                                         APR_BLOCK_READ, HUGE_STRING_LEN);

        if (rv != APR_SUCCESS) {
            /* A malformed chunk or LimitRequestBody: httpd has answered
             * already (AP_FILTER_ERROR).  Or the client went away.  In no
             * case was anything written. */
            r->connection->keepalive = AP_CONN_CLOSE;
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        for (b = APR_BRIGADE_FIRST(bb); b != APR_BRIGADE_SENTINEL(bb);
             b = APR_BUCKET_NEXT(b)) {
            const char *chunk;
            apr_size_t n;

            if (APR_BUCKET_IS_EOS(b)) {
                seen_eos = 1;
                break;
            }
            if (apr_bucket_read(b, &chunk, &n, APR_BLOCK_READ) != APR_SUCCESS) {
                r->connection->keepalive = AP_CONN_CLOSE;
                return HTTP_BAD_REQUEST;
            }
            if (n > (apr_size_t)max - used) {
                r->connection->keepalive = AP_CONN_CLOSE;
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
            memcpy(data + used, chunk, n);
            used += n;
        }
        apr_brigade_cleanup(bb);
    }
    data[used] = '\0';
    *buf = data;
    *len = used;
    return OK;
}

/* Reads and validates the body of end or message.  Returns OK, or the
 * answer already sent. */
static int get_body(request_rec *r, charon_verb_e verb, charon_body_t *body,
                    char **raw, apr_size_t *raw_len, int *sent)
{
    const charon_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &charon_module);
    charon_error_t err;
    char *buf = NULL;
    apr_size_t len = 0;
    apr_size_t max_msg = (apr_size_t)charon_max_message(conf);
    int status, ok;

    *sent = 0;
    status = charon_read_body(r, charon_max_body(conf), &buf, &len);
    *raw = buf;
    *raw_len = len;
    if (status != OK) {
        *sent = 1;
        if (status == AP_FILTER_ERROR) {
            return status;      /* httpd's own answer has gone out */
        }
        if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
            return send_problem(r, status, apr_psprintf(r->pool,
                                "the body is larger than %" APR_OFF_T_FMT
                                " bytes", charon_max_body(conf)), NULL);
        }
        return send_problem(r, status, "the request body could not be read",
                            NULL);
    }
    ok = verb == CHARON_VERB_END
         ? charon_parse_end_body(r->pool, buf, len, max_msg, body, &err)
         : charon_parse_message_body(r->pool, buf, len, max_msg, body, &err);
    if (!ok) {
        *sent = 1;
        return send_problem(r, err.status, err.detail, err.field);
    }
    return OK;
}

/* ---- Idempotency-Key -------------------------------------------------- */

/* What a request's Idempotency-Key header asks for: *idem is NULL without
 * the header.  Returns OK, or the answer already sent (400). */
static int get_idempotency(request_rec *r, const charon_key_t *key,
                           charon_verb_e verb, const char *target,
                           const char *body, apr_size_t len,
                           charon_idem_t **idem, int *sent)
{
    const char *value = apr_table_get(r->headers_in, "Idempotency-Key");
    charon_idem_t *ik;

    *idem = NULL;
    *sent = 0;
    if (!value) {
        return OK;
    }
    if (!charon_idempotency_key_valid(value)) {
        *sent = 1;
        return send_problem(r, HTTP_BAD_REQUEST, apr_psprintf(r->pool,
                            "the Idempotency-Key header must be 1 to %d "
                            "printable ASCII characters",
                            CHARON_IDEMPOTENCY_KEY_MAX), NULL);
    }
    ik = apr_pcalloc(r->pool, sizeof(*ik));
    ik->key_name = key->name;
    ik->key = value;
    ik->request = charon_request_fingerprint(r->pool, verb, target, body, len);
    ik->window = charon_idempotency_window(r->server);
    *idem = ik;
    return OK;
}

/* ---- the four endpoints ---------------------------------------------- */

/* What the operation callbacks need to know of the request. */
typedef struct {
    request_rec *r;
    const charon_key_t *key;
    apr_int64_t id;             /* the cron's, or the execution's */
    charon_body_t body;
} op_ctx;

/* Slugs are stored as UTF-8 text of at most 255 characters: anything else
 * cannot name a cron, and is not worth a round trip (PostgreSQL would
 * refuse to compare invalid UTF-8 at all). */
static int slug_possible(const char *slug)
{
    apr_size_t len = strlen(slug);

    return len <= 1020 && charon_utf8_valid(slug, len);
}

static int run_can_start(request_rec *r, const charon_key_t *key,
                         const char *slug)
{
    charon_db *db;
    const char *why;
    charon_db_status_e st;
    charon_cron_t cron;
    charon_refusal_t refusal;

    if (!charon_key_allows(key, slug)) {
        return send_forbidden(r);
    }
    if (!slug_possible(slug)) {
        return send_db_problem(r, CHARON_DB_NOT_FOUND, "no cron has this slug");
    }
    if (!(db = charon_db_open(r, &why))) {
        return send_unavailable(r, why);
    }
    st = charon_db_cron_by_slug(db, slug, &cron);
    if (st != CHARON_DB_OK) {
        return send_db_problem(r, st, "no cron has this slug");
    }
    if ((cron.on && !cron.running_id) || !refusal_of(r, &cron, &refusal)) {
        return send_ok(r, charon_json_can_start(r->pool, slug, cron.on,
                                                cron.id));
    }
    return send_ok(r, charon_json_cannot_start(r->pool, slug, cron.id,
                                               &refusal));
}

/* Runs op, through the Idempotency-Key's stored answer when there is one,
 * and sends its answer. */
static int run_op(request_rec *r, charon_db *db, const charon_idem_t *idem,
                  charon_db_op_fn *op, op_ctx *ctx)
{
    charon_answer_t answer;
    charon_db_status_e st;
    int replayed = 0;

    st = idem ? charon_db_idempotent(db, idem, op, ctx, &answer, &replayed)
              : op(db, ctx, &answer);
    if (st == CHARON_DB_CONFLICT) {
        return send_problem(r, HTTP_UNPROCESSABLE_ENTITY, "the "
                            "Idempotency-Key was already used for another "
                            "request", NULL);
    }
    if (st != CHARON_DB_OK) {
        return send_db_problem(r, st, NULL);
    }
    if (replayed) {
        apr_table_setn(r->headers_out, "Idempotent-Replayed", "true");
    }
    return send_answer(r, &answer);
}

static charon_db_status_e op_start(charon_db *db, void *baton,
                                   charon_answer_t *a)
{
    op_ctx *c = baton;
    charon_cron_t cron;
    apr_int64_t execution_id;
    charon_db_status_e st;

    st = charon_db_start(db, c->id, c->key->name, c->r->useragent_ip,
                         &execution_id, &cron);
    switch (st) {
    case CHARON_DB_OK:
        answer_ok(a, charon_json_id(c->r->pool, execution_id));
        break;
    case CHARON_DB_NOT_FOUND:
        answer_problem(c->r, a, HTTP_NOT_FOUND, "no cron has this id");
        break;
    case CHARON_DB_INACTIVE:
    case CHARON_DB_LOCKED:
        answer_refused(c->r, a, &cron);
        break;
    default:
        return CHARON_DB_UNAVAILABLE;
    }
    return CHARON_DB_OK;
}

static int run_start(request_rec *r, const charon_key_t *key,
                     const char *target)
{
    op_ctx ctx = { r, key, 0, { 0, NULL, 0, CHARON_TYPE_INVALID, 0 } };
    charon_idem_t *idem;
    charon_db *db;
    const char *why;
    int rc, sent;

    if (!charon_parse_id(target, &ctx.id)) {
        return send_db_problem(r, CHARON_DB_NOT_FOUND, "no cron has this id");
    }
    rc = get_idempotency(r, key, CHARON_VERB_START, target, NULL, 0, &idem,
                         &sent);
    if (sent) {
        return rc;
    }
    if (!(db = charon_db_open(r, &why))) {
        return send_unavailable(r, why);
    }
    if (key->patterns->nelts) {
        charon_cron_t cron;
        charon_db_status_e st = charon_db_cron_by_id(db, ctx.id, &cron);

        if (st != CHARON_DB_OK) {
            return send_db_problem(r, st, "no cron has this id");
        }
        if (!charon_key_allows(key, cron.slug)) {
            return send_forbidden(r);
        }
    }
    return run_op(r, db, idem, op_start, &ctx);
}

/* For a key limited to some crons: 403 unless the execution's cron is one
 * of them.  Returns OK or the answer already sent. */
static int check_execution_scope(request_rec *r, charon_db *db,
                                 const charon_key_t *key, apr_int64_t id,
                                 int *sent)
{
    const char *slug;
    charon_db_status_e st;

    *sent = 0;
    if (!key->patterns->nelts) {
        return OK;
    }
    st = charon_db_execution_slug(db, id, &slug);
    if (st != CHARON_DB_OK) {
        *sent = 1;
        return send_db_problem(r, st, "no execution has this id");
    }
    if (!charon_key_allows(key, slug)) {
        *sent = 1;
        return send_forbidden(r);
    }
    return OK;
}

static charon_db_status_e op_end(charon_db *db, void *baton,
                                 charon_answer_t *a)
{
    op_ctx *c = baton;
    const char *lost_at;

    switch (charon_db_end(db, c->id, &c->body, &lost_at)) {
    case CHARON_DB_OK:
        answer_ok(a, charon_json_end(c->r->pool, c->id, lost_at));
        break;
    case CHARON_DB_NOT_FOUND:
        answer_problem(c->r, a, HTTP_NOT_FOUND, "no execution has this id");
        break;
    case CHARON_DB_CONFLICT:
        answer_problem(c->r, a, HTTP_CONFLICT,
                       "the execution has already ended");
        break;
    default:
        return CHARON_DB_UNAVAILABLE;
    }
    return CHARON_DB_OK;
}

static charon_db_status_e op_message(charon_db *db, void *baton,
                                     charon_answer_t *a)
{
    op_ctx *c = baton;
    apr_int64_t message_id;

    switch (charon_db_message(db, c->id, &c->body, &message_id)) {
    case CHARON_DB_OK:
        answer_ok(a, charon_json_id(c->r->pool, message_id));
        break;
    case CHARON_DB_NOT_FOUND:
        answer_problem(c->r, a, HTTP_NOT_FOUND, "no execution has this id");
        break;
    default:
        return CHARON_DB_UNAVAILABLE;
    }
    return CHARON_DB_OK;
}

static int run_end_or_message(request_rec *r, const charon_key_t *key,
                              const char *target, charon_verb_e verb)
{
    op_ctx ctx;
    charon_idem_t *idem;
    charon_db *db;
    const char *why;
    char *raw;
    apr_size_t raw_len;
    int rc, sent;

    memset(&ctx, 0, sizeof(ctx));
    ctx.r = r;
    ctx.key = key;
    if (!charon_parse_id(target, &ctx.id)) {
        return send_db_problem(r, CHARON_DB_NOT_FOUND,
                               "no execution has this id");
    }
    /* The headers and the body are checked before the database is
     * touched, so bad input changes nothing and costs no connection. */
    rc = get_idempotency(r, key, verb, target, NULL, 0, &idem, &sent);
    if (sent) {
        return rc;
    }
    rc = get_body(r, verb, &ctx.body, &raw, &raw_len, &sent);
    if (sent) {
        return rc;
    }
    if (idem) {
        idem->request = charon_request_fingerprint(r->pool, verb, target,
                                                   raw, raw_len);
    }
    if (!(db = charon_db_open(r, &why))) {
        return send_unavailable(r, why);
    }
    rc = check_execution_scope(r, db, key, ctx.id, &sent);
    if (sent) {
        return rc;
    }
    return run_op(r, db, idem, verb == CHARON_VERB_END ? op_end : op_message,
                  &ctx);
}

static int run_end(request_rec *r, const charon_key_t *key, const char *target)
{
    return run_end_or_message(r, key, target, CHARON_VERB_END);
}

static int run_message(request_rec *r, const charon_key_t *key,
                       const char *target)
{
    return run_end_or_message(r, key, target, CHARON_VERB_MESSAGE);
}

#define BIT(m) (AP_METHOD_BIT << (m))

static const route_t routes[] = {
    { CHARON_VERB_CAN_START, BIT(M_GET), 1, "GET, HEAD", run_can_start },
    /* start has a side effect: GET for the original clients, POST as the
     * right verb, and never HEAD, which must not create anything. */
    { CHARON_VERB_START, BIT(M_GET) | BIT(M_POST), 0, "GET, POST", run_start },
    { CHARON_VERB_END, BIT(M_POST), 0, "POST", run_end },
    { CHARON_VERB_MESSAGE, BIT(M_POST), 0, "POST", run_message },
};

/* ---- the handler ------------------------------------------------------ */

int charon_handler(request_rec *r)
{
    const charon_dir_conf *conf;
    const charon_key_t *key;
    const char *presented, *path, *target;
    charon_verb_e verb;
    apr_size_t i;

    if (!r->handler || strcmp(r->handler, CHARON_HANDLER)) {
        return DECLINED;
    }
    conf = ap_get_module_config(r->per_dir_config, &charon_module);

    /* The key first: an unauthenticated caller learns nothing, not even
     * whether a route exists. */
    presented = apr_table_get(r->headers_in, "X-API-KEY");
    key = charon_key_find(conf->keys, presented,
                          presented ? strlen(presented) : 0);
    if (!key) {
        return send_problem(r, HTTP_UNAUTHORIZED,
                            presented ? "the X-API-KEY header holds no known key"
                                      : "the X-API-KEY header is missing",
                            NULL);
    }

    path = charon_route_path(r);
    if (!path || !charon_parse_route(r->pool, path, &verb, &target)) {
        return send_problem(r, HTTP_NOT_FOUND, "no such route", NULL);
    }
    apr_table_setn(r->notes, CHARON_VERB_NOTE, charon_verb_name(verb));
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route_t *rt = &routes[i];

        if (rt->verb != verb) {
            continue;
        }
        r->allowed = rt->methods;
        if (!(rt->methods & BIT(r->method_number))
            || (r->header_only && !rt->head)) {
            apr_table_setn(r->headers_out, "Allow", rt->allow);
            return send_problem(r, HTTP_METHOD_NOT_ALLOWED,
                                apr_psprintf(r->pool, "%s accepts %s",
                                             charon_verb_name(verb), rt->allow),
                                NULL);
        }
        if (verb == CHARON_VERB_CAN_START || verb == CHARON_VERB_START) {
            drop_body(r);
        }
        return rt->run(r, key, target);
    }
    return send_problem(r, HTTP_NOT_FOUND, "no such route", NULL);
}
