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

static int send_json(request_rec *r, int status, const char *ctype,
                     const char *json)
{
    apr_size_t len;

    if (!json) {
        /* json-c could not allocate: nothing sensible can be said. */
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    len = strlen(json);

    r->status = status;
    /* httpd has no reason phrase for 418: give every status its own. */
    r->status_line = apr_psprintf(r->pool, "%d %s", status,
                                  status_title(status));
    ap_set_content_type(r, ctype);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_length(r, len);
    if (!r->header_only) {
        ap_rwrite(json, (int)len, r);
    }
    return OK;
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
    switch (st) {
    case CHARON_DB_NOT_FOUND:
        return send_problem(r, HTTP_NOT_FOUND, not_found, NULL);
    case CHARON_DB_INACTIVE:
        return send_problem(r, 418, "the cron is not active", NULL);
    case CHARON_DB_CONFLICT:
        return send_problem(r, HTTP_CONFLICT,
                            "the execution has already ended", NULL);
    default:
        return send_problem(r, HTTP_SERVICE_UNAVAILABLE,
                            "the database cannot be reached; try again later",
                            NULL);
    }
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
static int read_body(request_rec *r, apr_off_t max, char **buf,
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
                    int *sent)
{
    const charon_dir_conf *conf =
        ap_get_module_config(r->per_dir_config, &charon_module);
    charon_error_t err;
    char *buf = NULL;
    apr_size_t len = 0;
    apr_size_t max_msg = (apr_size_t)charon_max_message(conf);
    int status, ok;

    *sent = 0;
    status = read_body(r, charon_max_body(conf), &buf, &len);
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

/* ---- the four endpoints ---------------------------------------------- */

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
    apr_int64_t id;
    int active;

    if (!charon_key_allows(key, slug)) {
        return send_forbidden(r);
    }
    if (!slug_possible(slug)) {
        return send_db_problem(r, CHARON_DB_NOT_FOUND, "no cron has this slug");
    }
    if (!(db = charon_db_open(r, &why))) {
        return send_unavailable(r, why);
    }
    st = charon_db_cron_by_slug(db, slug, &id, &active);
    if (st != CHARON_DB_OK) {
        return send_db_problem(r, st, "no cron has this slug");
    }
    return send_ok(r, charon_json_can_start(r->pool, slug, active, id));
}

static int run_start(request_rec *r, const charon_key_t *key,
                     const char *target)
{
    charon_db *db;
    const char *why;
    charon_db_status_e st;
    apr_int64_t cron_id, execution_id;

    if (!charon_parse_id(target, &cron_id)) {
        return send_db_problem(r, CHARON_DB_NOT_FOUND, "no cron has this id");
    }
    if (!(db = charon_db_open(r, &why))) {
        return send_unavailable(r, why);
    }
    if (key->patterns->nelts) {
        const char *slug;
        int active;

        st = charon_db_cron_by_id(db, cron_id, &slug, &active);
        if (st != CHARON_DB_OK) {
            return send_db_problem(r, st, "no cron has this id");
        }
        if (!charon_key_allows(key, slug)) {
            return send_forbidden(r);
        }
    }
    st = charon_db_start(db, cron_id, key->name, r->useragent_ip,
                         &execution_id);
    if (st != CHARON_DB_OK) {
        return send_db_problem(r, st, "no cron has this id");
    }
    return send_ok(r, charon_json_id(r->pool, execution_id));
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

static int run_end_or_message(request_rec *r, const charon_key_t *key,
                              const char *target, charon_verb_e verb)
{
    charon_db *db;
    const char *why;
    charon_db_status_e st;
    charon_body_t body;
    apr_int64_t id, message_id = 0;
    int rc, sent;

    if (!charon_parse_id(target, &id)) {
        return send_db_problem(r, CHARON_DB_NOT_FOUND,
                               "no execution has this id");
    }
    /* The body is read and checked before the database is touched, so
     * bad input changes nothing and costs no connection. */
    rc = get_body(r, verb, &body, &sent);
    if (sent) {
        return rc;
    }
    if (!(db = charon_db_open(r, &why))) {
        return send_unavailable(r, why);
    }
    rc = check_execution_scope(r, db, key, id, &sent);
    if (sent) {
        return rc;
    }
    st = verb == CHARON_VERB_END ? charon_db_end(db, id, &body)
                                 : charon_db_message(db, id, &body, &message_id);
    if (st != CHARON_DB_OK) {
        return send_db_problem(r, st, "no execution has this id");
    }
    return send_ok(r, charon_json_id(r->pool, verb == CHARON_VERB_END
                                              ? id : message_id));
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
