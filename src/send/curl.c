/*
 * curl.c: a libcurl easy handle as a watchdog thread of an httpd child
 * may use it, for webhooks and SMTP alike.
 *
 * One handle per call, never shared (libcurl's rule for threads), gone
 * with the call's pool: no connection outlives the send, so nothing
 * stays open in a child between ticks.
 */
#include "send/internal.h"

static apr_status_t handle_cleanup(void *data)
{
    charon_curl_t *k = data;

    curl_easy_cleanup(k->h);
    curl_slist_free_all(k->headers);
    curl_slist_free_all(k->rcpts);
    return APR_SUCCESS;
}

charon_curl_t *charon_send_curl(apr_pool_t *p, const charon_channel_t *c,
                                const char *url, const char *protocols)
{
    charon_curl_t *k = apr_pcalloc(p, sizeof(*k));
    long connect = c->connect_timeout_ms > 0 ? c->connect_timeout_ms
                                             : SEND_CONNECT_TIMEOUT_MS;

    k->h = curl_easy_init();
    if (!k->h) {
        return NULL;
    }
    apr_pool_cleanup_register(p, k, handle_cleanup, apr_pool_cleanup_null);
    /* Signals are httpd's: without this, a name lookup's timeout is a
     * SIGALRM and a siglongjmp() across threads. */
    curl_easy_setopt(k->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(k->h, CURLOPT_URL, url);
    /* The scheme was the channel's kind: a webhook cannot become file://,
     * nor an smtp= anything else. */
    curl_easy_setopt(k->h, CURLOPT_PROTOCOLS_STR, protocols);
    curl_easy_setopt(k->h, CURLOPT_TIMEOUT_MS,
                     (long)charon_send_timeout_ms(c));
    curl_easy_setopt(k->h, CURLOPT_CONNECTTIMEOUT_MS, connect);
    curl_easy_setopt(k->h, CURLOPT_ERRORBUFFER, k->err);
    curl_easy_setopt(k->h, CURLOPT_USERAGENT, "mod_charon");
    return k;
}

void charon_send_curl_failed(const charon_curl_t *k, CURLcode rc, long status,
                             charon_send_result_t *out)
{
    /* libcurl's own text names the host at most (send.c removes the
     * rest of the URL should it appear). */
    const char *why = k->err[0] ? k->err : curl_easy_strerror(rc);
    int retry;

    switch (rc) {
    /* What another try cannot change: the channel must. */
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_NOT_BUILT_IN:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_LOGIN_DENIED: retry = 0; break;
    /* Timeouts, refused or reset connections, names not found (yet),
     * TLS failures (a certificate may be renewed). */
    default: retry = 1; break;
    }
    charon_send_fail(out, retry, (int)status, why);
}
