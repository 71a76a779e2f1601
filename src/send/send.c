/*
 * send.c: one event to one channel, by the channel's kind; how long it
 * took; the error text, made safe to store and show.
 *
 * Every transport's error text passes through error_text(): a response
 * body may echo the request's path (Apache's own 404 page does), and a
 * webhook's path or query often is its secret (Slack, Discord), so every
 * secret part of the channel is replaced before the text leaves here.
 */
#include "send/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_strings.h>
#include <apr_tables.h>

#define REDACTED "***"

/* Pieces shorter than this are not looked for: "/" or "a" would blot out
 * the whole text, and no secret is that short. */
#define PIECE_MIN 4

static apr_status_t global_cleanup(void *unused)
{
    (void)unused;
    curl_global_cleanup();
    return APR_SUCCESS;
}

apr_status_t charon_send_init(apr_pool_t *pconf)
{
    /* Not thread-safe by contract, hence in the parent: the children
     * inherit the state through fork(). */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return APR_EGENERAL;
    }
    apr_pool_cleanup_register(pconf, NULL, global_cleanup,
                              apr_pool_cleanup_null);
    return APR_SUCCESS;
}

/* ---- the error text ------------------------------------------------------ */

static void add_piece(apr_pool_t *p, apr_array_header_t *a, const char *s)
{
    if (s && strlen(s) >= PIECE_MIN) {
        APR_ARRAY_PUSH(a, const char *) = apr_pstrdup(p, s);
    }
}

/* The URL, and each of its parts that may be a secret, as written and
 * decoded: its user and password, path, query, fragment. */
static void add_url_pieces(apr_pool_t *p, apr_array_header_t *a,
                           const char *url)
{
    static const CURLUPart parts[] = {CURLUPART_USER, CURLUPART_PASSWORD,
                                      CURLUPART_PATH, CURLUPART_QUERY,
                                      CURLUPART_FRAGMENT};
    CURLU *u;
    size_t i;

    if (!url) {
        return;
    }
    add_piece(p, a, url);
    u = curl_url();
    if (!u) {
        return;
    }
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME)
        == CURLUE_OK) {
        for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
            char *v;

            if (curl_url_get(u, parts[i], &v, 0) == CURLUE_OK) {
                add_piece(p, a, v);
                curl_free(v);
            }
            if (curl_url_get(u, parts[i], &v, CURLU_URLDECODE) == CURLUE_OK) {
                add_piece(p, a, v);
                curl_free(v);
            }
        }
    }
    curl_url_cleanup(u);
}

static int longer_first(const void *a, const void *b)
{
    size_t la = strlen(*(const char *const *)a);
    size_t lb = strlen(*(const char *const *)b);

    return la < lb ? 1 : la > lb ? -1 : 0;
}

static const char *replace_all(apr_pool_t *p, const char *s, const char *x)
{
    apr_size_t n = strlen(x), hits = 0;
    const char *h, *from;
    char *out, *o;

    for (h = strstr(s, x); h; h = strstr(h + n, x)) {
        hits++;
    }
    if (!hits) {
        return s;
    }
    o = out = apr_palloc(p, strlen(s) + hits * sizeof(REDACTED) + 1);
    for (from = s; (h = strstr(from, x)) != NULL; from = h + n) {
        memcpy(o, from, h - from);
        o += h - from;
        memcpy(o, REDACTED, sizeof(REDACTED) - 1);
        o += sizeof(REDACTED) - 1;
    }
    strcpy(o, from);
    return out;
}

static const char *scrub(apr_pool_t *p, const charon_channel_t *c,
                         const char *s)
{
    apr_array_header_t *a = apr_array_make(p, 16, sizeof(const char *));
    int i;

    if (c->kind == CHARON_CHANNEL_WEBHOOK) {
        add_url_pieces(p, a, c->url);
        add_url_pieces(p, a, c->target);
    }
    add_url_pieces(p, a, c->smtp);
    add_piece(p, a, c->token);
    /* The whole URL goes before its path, which it contains. */
    qsort(a->elts, a->nelts, sizeof(const char *), longer_first);
    for (i = 0; i < a->nelts; i++) {
        s = replace_all(p, s, APR_ARRAY_IDX(a, i, const char *));
    }
    return s;
}

/* One line: runs of blanks and line ends are one space; other control
 * bytes and bytes outside UTF-8 are '?' (charon_one_line); at most
 * CHARON_SEND_ERROR_MAX bytes, cut between two characters. */
static const char *one_short_line(apr_pool_t *p, const char *s)
{
    char *t = apr_palloc(p, strlen(s) + 1), *o = t;
    apr_size_t n;

    for (; *s; s++) {
        if (strchr(" \t\r\n\v\f", *s)) {
            if (o > t && o[-1] != ' ') {
                *o++ = ' ';
            }
        }
        else {
            *o++ = *s;
        }
    }
    while (o > t && o[-1] == ' ') {
        o--;
    }
    *o = '\0';
    s = charon_one_line(p, t);
    n = strlen(s);
    if (n <= CHARON_SEND_ERROR_MAX) {
        return s;
    }
    n = CHARON_SEND_ERROR_MAX - 3;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;
    }
    return apr_pstrcat(p, apr_pstrmemdup(p, s, n), "...", NULL);
}

static const char *error_text(apr_pool_t *p, const charon_channel_t *c,
                              const char *raw)
{
    const char *s = one_short_line(p, scrub(p, c, raw ? raw : "failed"));

    return *s ? s : "failed";
}

/* ---- sending ------------------------------------------------------------- */

void charon_send(apr_pool_t *p, const charon_channel_t *c,
                 const charon_alert_doc_t *d, charon_send_result_t *out)
{
    apr_int64_t t0 = charon_send_clock_ms();
    apr_pool_t *sp;

    memset(out, 0, sizeof(*out));
    if (apr_pool_create(&sp, p) != APR_SUCCESS) {
        charon_send_fail(out, 1, 0, "out of memory");
        return;
    }
    switch (c->kind) {
    case CHARON_CHANNEL_WEBHOOK: charon_send_webhook(sp, c, d, out); break;
    case CHARON_CHANNEL_MAIL: charon_send_mail(sp, c, d, out); break;
    case CHARON_CHANNEL_EXEC: charon_send_exec(sp, c, d, out); break;
    case CHARON_CHANNEL_FILE: charon_send_file(sp, c, d, out); break;
    default: charon_send_fail(out, 0, 0, "unknown kind of channel"); break;
    }
    if (out->ok) {
        out->retry = 0;
        out->error = NULL;
    }
    else {
        /* In p, made in sp: sp ends here with the handles it holds. */
        out->error = apr_pstrdup(p, error_text(sp, c, out->error));
    }
    apr_pool_destroy(sp);
    out->ms = (long)(charon_send_clock_ms() - t0);
}
