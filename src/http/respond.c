/*
 * respond.c: reading a request's body and sending answers, for every
 * handler of the module.  The API's answers are counted here, so that no
 * answer of it goes out uncounted.
 */
#include "http/charon_http.h"

#include "apr_strings.h"
#include "util_filter.h"

#define BODY_READ_NOTE "charon-body-read"

/* A body that was not read must not be taken for the next request on the
 * connection.  Reading it away could mean reading a large body from a
 * caller who has no key: close the connection instead. */
void charon_drop_body(request_rec *r)
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
    r->status_line =
        apr_psprintf(r->pool, "%d %s", status, charon_status_title(status));
    return charon_send_body(r, status, ctype, json);
}

int charon_send_answer(request_rec *r, const charon_answer_t *a)
{
    if (a->status != HTTP_OK) {
        charon_drop_body(r);
    }
    return send_json(r, a->status,
                     a->status == HTTP_OK ? "application/json"
                                          : "application/problem+json",
                     a->json);
}

int charon_send_problem(request_rec *r, int status, const char *detail,
                        const char *field)
{
    charon_drop_body(r);
    if (status == HTTP_SERVICE_UNAVAILABLE) {
        apr_table_setn(r->headers_out, "Retry-After", CHARON_RETRY_AFTER);
    }
    return send_json(r, status, "application/problem+json",
                     charon_json_problem(r->pool, status,
                                         charon_status_title(status), detail,
                                         field));
}

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

        if (apr_strtoff(&n, clen, &end, 10) == APR_SUCCESS && !*end
            && n > max) {
            r->connection->keepalive = AP_CONN_CLOSE;
            return HTTP_REQUEST_ENTITY_TOO_LARGE;
        }
    }
    data = apr_palloc(r->pool, (apr_size_t)max + 1);
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!seen_eos) {
        apr_bucket *b;
        apr_status_t rv =
            ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES,
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
            if (apr_bucket_read(b, &chunk, &n, APR_BLOCK_READ)
                != APR_SUCCESS) {
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
