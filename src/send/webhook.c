/*
 * webhook.c: an http(s):// channel: one POST of the payload its format
 * makes (charon_alert_payload()) to where it goes (charon_alert_target()),
 * with X-Charon-Event-Id so that the receiver can drop a repeat.
 *
 * 2xx is delivered.  408, 429 and 5xx are worth another try, as are
 * timeouts and broken connections; any other answer is not: the URL,
 * the token or the payload is wrong, and saying it again will not help.
 * Redirects are not followed: a moved webhook is a channel to correct,
 * and following one would carry the payload and its headers (Gotify's
 * key, Opsgenie's) to a host the channel does not name.
 */
#include "send/internal.h"

#include <string.h>

#include <apr_strings.h>

/* Of a response, only this much is read: enough for an error text. */
#define BODY_MAX 1024

typedef struct {
    char buf[BODY_MAX + 1];
    size_t len;
    int full; /* more came than buf holds: the transfer was stopped */
} body_t;

static size_t on_body(char *ptr, size_t size, size_t n, void *data)
{
    body_t *b = data;
    size_t len = size * n, room = BODY_MAX - b->len;

    if (len > room) {
        memcpy(b->buf + b->len, ptr, room);
        b->len = BODY_MAX;
        b->full = 1;
        return 0; /* the status is known; a long body only costs time */
    }
    memcpy(b->buf + b->len, ptr, len);
    b->len += len;
    return len;
}

/* 1 when added; 0 when it holds a line break (it would start a header of
 * its own) or memory ran out (*oom). */
static int add_header(charon_curl_t *k, const char *h, int *oom)
{
    struct curl_slist *l;

    if (strpbrk(h, "\r\n")) {
        return 0;
    }
    l = curl_slist_append(k->headers, h);
    if (!l) {
        *oom = 1;
        return 0;
    }
    k->headers = l;
    return 1;
}

static int add_headers(apr_pool_t *p, charon_curl_t *k,
                       const charon_alert_doc_t *d, const char *ctype,
                       const apr_array_header_t *extra, int *oom)
{
    int i;

    if (!add_header(k, apr_pstrcat(p, "Content-Type: ", ctype, NULL), oom)
        /* No "100 Continue" round trip before the body. */
        || !add_header(k, "Expect:", oom)
        || (d->id
            && !add_header(
                k, apr_pstrcat(p, "X-Charon-Event-Id: ", d->id, NULL), oom))) {
        return 0;
    }
    for (i = 0; extra && i < extra->nelts; i++) {
        if (!add_header(k, APR_ARRAY_IDX(extra, i, const char *), oom)) {
            return 0;
        }
    }
    return 1;
}

void charon_send_webhook(apr_pool_t *p, const charon_channel_t *c,
                         const charon_alert_doc_t *d,
                         charon_send_result_t *out)
{
    const char *ctype = NULL, *payload, *url, *text;
    apr_array_header_t *extra = NULL;
    body_t *b = apr_pcalloc(p, sizeof(*b));
    charon_curl_t *k;
    CURLcode rc;
    long status = 0;
    int oom = 0;

    payload = charon_alert_payload(p, c, d, &ctype, &extra);
    if (!payload) {
        charon_send_fail(out, 0, 0, "no payload for this format");
        return;
    }
    url = charon_alert_target(p, c, d);
    k = charon_send_curl(p, c, *url ? url : c->url, "http,https");
    if (!k) {
        charon_send_fail(out, 1, 0, "libcurl could not make a handle");
        return;
    }
    if (!add_headers(p, k, d, ctype ? ctype : "application/json", extra,
                     &oom)) {
        charon_send_fail(out, oom, 0,
                         oom ? "out of memory"
                             : "a header holds a line break");
        return;
    }
    curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, k->headers);
    curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, payload);
    curl_easy_setopt(k->h, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)strlen(payload));
    curl_easy_setopt(k->h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(k->h, CURLOPT_WRITEDATA, b);

    rc = curl_easy_perform(k->h);
    curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK && !(rc == CURLE_WRITE_ERROR && b->full)) {
        charon_send_curl_failed(k, rc, status, out);
        return;
    }
    if (status >= 200 && status <= 299) {
        out->ok = 1;
        out->status = (int)status;
        return;
    }
    if (status >= 300 && status <= 399) {
        text = apr_psprintf(p, "HTTP %ld: redirects are not followed", status);
    }
    else {
        text = apr_psprintf(p, "HTTP %ld%s%s", status, b->len ? ": " : "",
                            b->buf);
    }
    charon_send_fail(out,
                     status == 408 || status == 429
                         || (status >= 500 && status <= 599),
                     (int)status, text);
}
