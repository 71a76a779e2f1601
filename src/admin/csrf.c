/*
 * csrf.c: other sites must not make a signed-in operator's browser send a
 * change.  Every POST must come from this origin (Origin, else Referer),
 * checked before its body is read, and carry a nonce of one of this
 * site's pages: an HMAC, by a secret made at startup, of the time, the
 * user, the host and the page's path, valid for an hour and compared in
 * constant time.
 */
#include "admin/csrf.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_uri.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* Made in the parent before it forks, so every child shares it; a
 * restart makes a new one, and the pages served before it stale. */
static unsigned char nonce_secret[32];
static int nonce_ready;

#define NONCE_LIFETIME 3600 /* seconds a page's forms stay valid */
#define NONCE_SKEW     60   /* seconds a nonce may be from the future */
#define NONCE_HEX      64   /* HMAC-SHA256 in hex */

int charon_manager_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    apr_status_t rv;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    rv = apr_generate_random_bytes(nonce_secret, sizeof(nonce_secret));
    if (rv != APR_SUCCESS) {
        ap_log_error(
            APLOG_MARK, APLOG_CRIT, rv, s,
            CHARON_LOGNO(600) "no random bytes for the manager page's secret");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    nonce_ready = 1;
    return OK;
}

static void nonce_mac(request_rec *r, apr_int64_t ts, char hex[NONCE_HEX + 1])
{
    static const char digits[] = "0123456789abcdef";
    const char *user = r->user ? r->user : "";
    const char *host = r->hostname ? r->hostname : "";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;
    /* Each part with its length: no two tuples make the same text. */
    const char *msg = apr_psprintf(
        r->pool,
        "charon-manager/1\n%" APR_INT64_T_FMT "\n%" APR_SIZE_T_FMT
        ":%s\n%" APR_SIZE_T_FMT ":%s\n%" APR_SIZE_T_FMT ":%s",
        ts, strlen(user), user, strlen(host), host, strlen(r->uri), r->uri);

    if (!HMAC(EVP_sha256(), nonce_secret, sizeof(nonce_secret),
              (const unsigned char *)msg, strlen(msg), mac, &len)
        || len * 2 != NONCE_HEX) {
        memset(hex, 'x', NONCE_HEX); /* never equal to a hex MAC */
        hex[NONCE_HEX] = '\0';
        return;
    }
    for (i = 0; i < len; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 15];
    }
    hex[NONCE_HEX] = '\0';
}

const char *mgr_nonce_make(request_rec *r)
{
    apr_int64_t ts = (apr_int64_t)apr_time_sec(apr_time_now());
    char hex[NONCE_HEX + 1];

    nonce_mac(r, ts, hex);
    return apr_psprintf(r->pool, "%" APR_INT64_T_FMT "-%s", ts, hex);
}

const char *mgr_check_nonce(request_rec *r, const char *nonce)
{
    const char *dash, *c;
    char expected[NONCE_HEX + 1];
    apr_int64_t ts = 0, now = (apr_int64_t)apr_time_sec(apr_time_now());

    if (!nonce_ready) {
        return "the server has no secret to check the form with";
    }
    if (!nonce || !*nonce) {
        return "the form carries no nonce";
    }
    dash = strchr(nonce, '-');
    if (!dash || dash == nonce || dash - nonce > 18
        || strlen(dash + 1) != NONCE_HEX) {
        return "the form's nonce is not one of this page's";
    }
    for (c = nonce; c < dash; c++) {
        if (*c < '0' || *c > '9') {
            return "the form's nonce is not one of this page's";
        }
        ts = ts * 10 + (*c - '0');
    }
    nonce_mac(r, ts, expected);
    if (CRYPTO_memcmp(expected, dash + 1, NONCE_HEX) != 0) {
        return "the form's nonce is not one of this page's (or the server "
               "was restarted since the page was shown)";
    }
    if (ts > now + NONCE_SKEW || now - ts > NONCE_LIFETIME) {
        return "the page is more than an hour old";
    }
    return NULL;
}

/* An origin's host: lower case, without IPv6 brackets. */
static const char *bare_host(apr_pool_t *p, const char *h)
{
    char *s = apr_pstrdup(p, h ? h : ""), *c;
    apr_size_t len = strlen(s);

    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s[len - 1] = '\0';
        s++;
    }
    for (c = s; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return s;
}

const char *mgr_check_origin(request_rec *r)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *from = origin ? "Origin" : "Referer";
    const char *value =
        origin ? origin : apr_table_get(r->headers_in, "Referer");
    const char *scheme = ap_http_scheme(r);
    apr_uri_t u;
    apr_port_t port, ours;

    if (!value) {
        return "the request names no origin (neither Origin nor Referer)";
    }
    if (apr_uri_parse(r->pool, value, &u) != APR_SUCCESS || !u.scheme
        || !u.hostname) {
        return apr_psprintf(r->pool, "the %s header names no origin", from);
    }
    /* This site is what the browser asked for: the Host header (with its
     * port, kept in parsed_uri by httpd), and the scheme httpd serves,
     * which ServerName https://... sets behind a proxy that ends TLS. */
    port = u.port_str ? u.port : apr_uri_port_of_scheme(u.scheme);
    ours = r->parsed_uri.port_str ? r->parsed_uri.port
                                  : apr_uri_port_of_scheme(scheme);
    if (strcasecmp(u.scheme, scheme)
        || strcmp(bare_host(r->pool, u.hostname),
                  bare_host(r->pool, r->hostname))
        || port != ours) {
        return apr_psprintf(r->pool, "the %s header names another site", from);
    }
    return NULL;
}
