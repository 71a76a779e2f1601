/*
 * charon_run_api.c: charon-run's requests to Charon, through libcurl's
 * multi interface, so that a request in flight never stops the event
 * loop that reads the job's output (charon_run_loop.c).
 *
 * One request at a time (messages keep their order; one connection,
 * kept alive).  Every attempt has a connect timeout and a total timeout;
 * a request is retried, with the same Idempotency-Key, only after a
 * network error or a 502/503/504, with backoff (0.2 s, 0.5 s, 1 s;
 * Retry-After is honoured up to retry_after_cap), and never after its
 * deadline.  The API key goes in the X-API-KEY header and nowhere else:
 * not in a URL, not in a message, not in verbose output.
 *
 * `charon-run apply` uses the same requests with PUT and DELETE, an
 * If-Match or If-None-Match header, the answer's ETag, and longer
 * answers (a page of 200 crons).
 */
#include "charon_run.h"

#include <curl/curl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define RESP_MAX 65536

struct cr_api {
    cr_api_conf_t c;
    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers; /* of the attempt in flight */
    char *key_header;
    cr_req_t *cur;
    int in_flight;
    double attempt_start;
    char errbuf[CURL_ERROR_SIZE];
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    cr_req_t *r = ud;
    size_t n = size * nmemb, max = r->resp_max ? r->resp_max : RESP_MAX;
    if (r->resp.len < max) {
        size_t keep = n < max - r->resp.len ? n : max - r->resp.len;
        cr_buf_add(&r->resp, ptr, keep);
        r->truncated |= keep < n;
    }
    else if (n) {
        r->truncated = 1;
    }
    return n;
}

/* The ETag of the answer (apply sends it back in If-Match): kept only
 * when it is printable ASCII, so that it cannot inject a header. */
static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    cr_req_t *r = ud;
    size_t n = size * nmemb, i = 5;
    if (n >= 5 && !strncmp(ptr, "HTTP/", 5)) {
        r->etag[0] = '\0'; /* a new answer (after a 1xx) */
        r->dry_run = 0;
    }
    if (n >= 15 && !strncasecmp(ptr, "charon-dry-run:", 15)) {
        size_t k = 15;
        while (k < n && (ptr[k] == ' ' || ptr[k] == '\t'))
            k++;
        r->dry_run = k < n && ptr[k] == '1';
        return n;
    }
    if (n < 5 || strncasecmp(ptr, "etag:", 5))
        return n;
    while (i < n && (ptr[i] == ' ' || ptr[i] == '\t'))
        i++;
    size_t end = n;
    while (end > i
           && (ptr[end - 1] == '\r' || ptr[end - 1] == '\n'
               || ptr[end - 1] == ' ' || ptr[end - 1] == '\t'))
        end--;
    r->etag[0] = '\0';
    if (end - i >= sizeof(r->etag))
        return n;
    for (size_t k = i; k < end; k++)
        if ((unsigned char)ptr[k] < 0x20 || (unsigned char)ptr[k] > 0x7E)
            return n;
    memcpy(r->etag, ptr + i, end - i);
    r->etag[end - i] = '\0';
    return n;
}

cr_api_t *cr_api_new(const cr_api_conf_t *conf, char *err, size_t errlen)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "libcurl could not be initialised");
        return NULL;
    }
    cr_api_t *a = cr_xmalloc(sizeof(*a));
    memset(a, 0, sizeof(*a));
    a->c = *conf;
    a->multi = curl_multi_init();
    a->easy = curl_easy_init();
    if (!a->multi || !a->easy) {
        snprintf(err, errlen, "libcurl could not be initialised");
        cr_api_free(a);
        return NULL;
    }
    size_t n = strlen(conf->key) + sizeof("X-API-KEY: ");
    a->key_header = cr_xmalloc(n);
    snprintf(a->key_header, n, "X-API-KEY: %s", conf->key);
    return a;
}

void cr_api_free(cr_api_t *a)
{
    if (!a)
        return;
    if (a->in_flight)
        curl_multi_remove_handle(a->multi, a->easy);
    if (a->easy)
        curl_easy_cleanup(a->easy);
    if (a->multi)
        curl_multi_cleanup(a->multi);
    curl_slist_free_all(a->headers);
    if (a->key_header) {
        memset(a->key_header, 0, strlen(a->key_header));
        free(a->key_header);
    }
    free(a);
    curl_global_cleanup();
}

char *cr_api_url(cr_api_t *a, const char *base, const char *segment,
                 const char *verb)
{
    char *esc = curl_easy_escape(a->easy, segment, 0);
    cr_buf_t b = {0};
    cr_buf_printf(&b, "%s%s/%s", base, esc ? esc : "", verb);
    curl_free(esc);
    return b.data;
}

char *cr_api_escape(cr_api_t *a, const char *s)
{
    char *esc = curl_easy_escape(a->easy, s, 0);
    char *out = cr_xstrdup(esc ? esc : "");
    curl_free(esc);
    return out;
}

void cr_req_init(cr_req_t *r, const char *what, int post, char *url,
                 double deadline)
{
    memset(r, 0, sizeof(*r));
    r->what = what;
    r->post = post;
    r->url = url;
    r->deadline = deadline;
}

void cr_req_free(cr_req_t *r)
{
    free(r->url);
    r->url = NULL;
    cr_buf_free(&r->body);
    cr_buf_free(&r->resp);
}

int cr_api_busy(const cr_api_t *a)
{
    return a->cur != NULL;
}

void cr_api_submit(cr_api_t *a, cr_req_t *r, double now)
{
    r->attempts = 0;
    r->next_at = now;
    r->state = CR_REQ_PENDING;
    r->status = 0;
    r->error[0] = '\0';
    r->etag[0] = '\0';
    r->dry_run = 0;
    r->truncated = 0;
    cr_buf_reset(&r->resp);
    a->cur = r;
}

/* Charon's sockets must not leak into the job (fork + exec). */
static int on_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    (void)ud;
    (void)purpose;
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0)
        fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    return CURL_SOCKOPT_OK;
}

static int retryable_status(long s)
{
    return s == 502 || s == 503 || s == 504;
}

static void finish(cr_api_t *a, cr_req_state_e st)
{
    a->cur->state = st;
    a->cur = NULL;
}

/* Starts an attempt of the current request; 0 when there is no time. */
static int start_attempt(cr_api_t *a, double now)
{
    cr_req_t *r = a->cur;
    double left = r->deadline - now;
    if (left < 0.2) {
        if (!r->error[0])
            snprintf(r->error, sizeof(r->error), "no time left to try");
        return 0;
    }
    double total = a->c.attempt_timeout < left ? a->c.attempt_timeout : left;
    double conn = a->c.connect_timeout < total ? a->c.connect_timeout : total;
    CURL *e = a->easy;

    curl_easy_reset(e);
    curl_slist_free_all(a->headers);
    a->headers = NULL;
    a->headers = curl_slist_append(a->headers, a->key_header);
    a->headers = curl_slist_append(a->headers, "Accept: application/json");
    /* no "Expect: 100-continue" wait on bodies over 1 KiB */
    a->headers = curl_slist_append(a->headers, "Expect:");
    if ((r->post || r->method) && r->body.len)
        a->headers =
            curl_slist_append(a->headers, "Content-Type: application/json");
    if (r->idem[0]) {
        char h[128];
        snprintf(h, sizeof(h), "Idempotency-Key: %s", r->idem);
        a->headers = curl_slist_append(a->headers, h);
    }
    if (r->cond[0])
        a->headers = curl_slist_append(a->headers, r->cond);
    if (!a->headers) {
        snprintf(r->error, sizeof(r->error), "out of memory");
        return 0;
    }
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "charon-run/" CR_VERSION);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, CURLPROTO_HTTP | CURLPROTO_HTTPS);
#endif
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(total * 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(conn * 1000));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, a->errbuf);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    if (a->c.cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, a->c.cacert);
    if (r->post || (r->method && r->body.len)) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS,
                         r->body.data ? r->body.data : "");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)r->body.len);
    }
    else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    /* PUT and DELETE: the method's name on a POST's (or GET's) transfer */
    if (r->method)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
    a->errbuf[0] = '\0';
    cr_buf_reset(&r->resp);
    r->truncated = 0;
    r->etag[0] = '\0';
    r->dry_run = 0;
    r->status = 0;
    if (curl_multi_add_handle(a->multi, e) != CURLM_OK) {
        snprintf(r->error, sizeof(r->error), "libcurl refused the request");
        return 0;
    }
    a->in_flight = 1;
    a->attempt_start = now;
    r->attempts++;
    return 1;
}

/* The attempt in flight ended with res. */
static void attempt_done(cr_api_t *a, CURLcode res, double now)
{
    cr_req_t *r = a->cur;
    long status = 0;
    curl_off_t ra = 0;
    curl_multi_remove_handle(a->multi, a->easy);
    a->in_flight = 0;
    if (res == CURLE_OK) {
        curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &status);
#if LIBCURL_VERSION_NUM >= 0x074200
        curl_easy_getinfo(a->easy, CURLINFO_RETRY_AFTER, &ra);
#endif
    }
    r->status = status;
    if (a->c.verbose) {
        char idem[100] = "";
        if (r->idem[0])
            snprintf(idem, sizeof(idem), " [Idempotency-Key: %s]", r->idem);
        const char *m = r->method ? r->method : r->post ? "POST" : "GET";
        if (res == CURLE_OK)
            cr_say("%s %s%s: %ld (%.0f ms, attempt %d)", m, r->url, idem,
                   status, (now - a->attempt_start) * 1000, r->attempts);
        else
            cr_say("%s %s%s: %s (%.0f ms, attempt %d)", m, r->url, idem,
                   a->errbuf[0] ? a->errbuf : curl_easy_strerror(res),
                   (now - a->attempt_start) * 1000, r->attempts);
    }
    if (res == CURLE_OK && !retryable_status(status)) {
        finish(a, CR_REQ_DONE);
        return;
    }
    if (res == CURLE_OK)
        snprintf(r->error, sizeof(r->error), "HTTP status %ld", status);
    else
        snprintf(r->error, sizeof(r->error), "%s",
                 a->errbuf[0] ? a->errbuf : curl_easy_strerror(res));
    static const double backoff[] = {0.2, 0.5, 1.0};
    int i = r->attempts - 1;
    double delay = backoff[i < 2 ? i : 2];
    if (ra > 0) {
        double cap = (double)ra < a->c.retry_after_cap ? (double)ra
                                                       : a->c.retry_after_cap;
        if (cap > delay)
            delay = cap;
    }
    if (r->attempts >= a->c.max_attempts || now + delay + 0.2 > r->deadline) {
        finish(a, CR_REQ_DOWN);
        return;
    }
    r->next_at = now + delay;
}

int cr_api_step(cr_api_t *a, double now)
{
    if (!a->cur)
        return 0;
    cr_req_t *r = a->cur;
    if (!a->in_flight && now >= r->next_at) {
        if (!start_attempt(a, now)) {
            finish(a, CR_REQ_DOWN);
            return 1;
        }
    }
    if (!a->in_flight)
        return 0;
    int running = 0;
    curl_multi_perform(a->multi, &running);
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(a->multi, &left)) != NULL) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == a->easy
            && a->in_flight) {
            attempt_done(a, m->data.result, cr_now());
            if (!a->cur)
                return 1;
            if (!a->in_flight && cr_now() >= a->cur->next_at)
                return cr_api_step(a, cr_now());
        }
    }
    return 0;
}

void cr_api_wait(cr_api_t *a, struct curl_waitfd *fds, unsigned nfds,
                 int timeout_ms, double now)
{
    if (a->cur && !a->in_flight) {
        double d = (a->cur->next_at - now) * 1000;
        if (d < timeout_ms)
            timeout_ms = d < 0 ? 0 : (int)d + 1;
    }
    if (timeout_ms < 0)
        timeout_ms = 0;
    /* Between attempts nothing is in flight: curl_multi_wait would return
     * at once with no descriptor to wait on, and the backoff would spin. */
    if (!a->in_flight && nfds == 0) {
        poll(NULL, 0, timeout_ms);
        return;
    }
    curl_multi_wait(a->multi, fds, nfds, timeout_ms, NULL);
}

void cr_api_abort(cr_api_t *a)
{
    if (!a->cur)
        return;
    if (a->in_flight) {
        curl_multi_remove_handle(a->multi, a->easy);
        a->in_flight = 0;
    }
    finish(a, CR_REQ_ABORTED);
}

cr_req_state_e cr_api_call(cr_api_t *a, cr_req_t *r, volatile int *stop,
                           int wake_fd)
{
    struct curl_waitfd w = {0};
    w.fd = wake_fd;
    w.events = CURL_WAIT_POLLIN;
    cr_api_submit(a, r, cr_now());
    for (;;) {
        if (stop && *stop) {
            cr_api_abort(a);
            return r->state;
        }
        if (cr_api_step(a, cr_now()))
            return r->state;
        cr_api_wait(a, wake_fd >= 0 ? &w : NULL, wake_fd >= 0 ? 1 : 0, 200,
                    cr_now());
    }
}
