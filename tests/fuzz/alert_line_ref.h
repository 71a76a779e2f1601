/*
 * alert_line_ref.h: the oracles fuzz_alert_line.c judges a CharonAlert
 * line by, written here and not from src/lib/alert_*.c: the words as
 * httpd's ap_getword_conf splits a directive's arguments; the spans of a
 * URL that are secrets, and the same words with those secrets (and the
 * other free values) rotated or masked; which URLs the rules take
 * (mailto: addresses, absolute paths, http(s)/smtp(s) authorities).
 * Static functions, as fuzz.h's and json_ref.h's: each harness is one
 * translation unit.
 */
#ifndef CHARON_ALERT_LINE_REF_H
#define CHARON_ALERT_LINE_REF_H

#include "fuzz.h"

/* ---- the words, as httpd reads them ------------------------------------ */

static int ref_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f'
           || c == '\r';
}

/* httpd's substring_conf: \\ is one backslash, and inside quotes \q is
 * the quote q. */
static char *ref_substring(const char *start, size_t len, char quote)
{
    char *res = apr_palloc(fuzz_pool, len + 1), *o = res;
    size_t i;

    for (i = 0; i < len; i++) {
        if (start[i] == '\\'
            && (start[i + 1] == '\\' || (quote && start[i + 1] == quote)))
            *o++ = start[++i];
        else
            *o++ = start[i];
    }
    *o = '\0';
    return res;
}

/* httpd's ap_getword_conf, word after word; 0 when a quote is left open
 * (httpd would take the word; CharonAlertFile refuses it). */
static int ref_words(const char *line, apr_array_header_t *out)
{
    const char *s = line, *e;
    int closed = 1;

    for (;;) {
        while (ref_space((unsigned char)*s))
            s++;
        if (*s == '\0')
            return closed;
        if (*s == '"' || *s == '\'') {
            char q = *s;

            for (e = s + 1; *e && *e != q;)
                e += *e == '\\' && e[1] && (e[1] == q || e[1] == '\\') ? 2 : 1;
            APR_ARRAY_PUSH(out, char *) =
                ref_substring(s + 1, (size_t)(e - s - 1), q);
            if (*e == q)
                e++;
            else
                closed = 0;
        }
        else {
            for (e = s; *e && !ref_space((unsigned char)*e); e++)
                ;
            APR_ARRAY_PUSH(out, char *) = ref_substring(s, (size_t)(e - s), 0);
        }
        s = e;
    }
}

/* ---- secrets ----------------------------------------------------------- */

typedef struct {
    size_t off, len;
} span_t;

#define MAX_SPANS 64

/* The spans of a URL that are secrets: userinfo's password, each query
 * value, the fragment.  Only for scheme:// URLs of the schemes given. */
static int url_secrets(const char *url, int smtp, span_t *sp)
{
    static const char *const web[] = {"http://", "https://"};
    static const char *const mail[] = {"smtp://", "smtps://"};
    const char *const *schemes = smtp ? mail : web;
    size_t n = strlen(url), a = 0, end, at = (size_t)-1, i, q;
    int k, ns = 0;

    for (k = 0; k < 2 && a == 0; k++)
        if (strncasecmp(url, schemes[k], strlen(schemes[k])) == 0)
            a = strlen(schemes[k]);
    if (a == 0)
        return 0;
    end = a + strcspn(url + a, "/?#");
    for (i = a; i < end; i++)
        if (url[i] == '@')
            at = i;
    if (at != (size_t)-1) {
        const char *colon = memchr(url + a, ':', at - a);
        if (colon) {
            sp[ns].off = (size_t)(colon - url) + 1;
            sp[ns].len = at - sp[ns].off;
            ns++;
        }
    }
    i = end + strcspn(url + end, "?#");
    if (url[i] == '?') {
        size_t qend = i + 1 + strcspn(url + i + 1, "#");

        for (q = i + 1; q < qend && ns < MAX_SPANS - 1;) {
            size_t pe = q + strcspn(url + q, "&#");
            const char *eq = memchr(url + q, '=', pe - q);

            if (eq != NULL) {
                sp[ns].off = (size_t)(eq - url) + 1;
                sp[ns++].len = pe - (size_t)(eq - url) - 1;
            }
            else {
                /* A bare element: shown as "***" too. */
                sp[ns].off = q;
                sp[ns++].len = pe - q;
            }
            q = pe + 1;
        }
        i = qend;
    }
    if (url[i] == '#') {
        sp[ns].off = i + 1;
        sp[ns++].len = n - i - 1;
    }
    return ns;
}

/* Every letter and digit into another of its class. */
static void rotate(char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char x = s[i];
        if (x >= '0' && x <= '9')
            x = (char)('0' + (x - '0' + 3) % 10);
        else if (x >= 'a' && x <= 'z')
            x = (char)('a' + (x - 'a' + 7) % 26);
        else if (x >= 'A' && x <= 'Z')
            x = (char)('A' + (x - 'A' + 7) % 26);
        s[i] = x;
    }
}

/* The URL with its secrets rotated (a copy). */
static char *rotate_url(const char *url, int smtp)
{
    span_t sp[MAX_SPANS];
    int ns = url_secrets(url, smtp, sp), i;
    char *r = apr_pstrdup(fuzz_pool, url);

    for (i = 0; i < ns; i++)
        rotate(r + sp[i].off, sp[i].len);
    return r;
}

/* The URL with its secrets masked by \x01 (a copy). */
static char *mask_url(const char *url, int smtp)
{
    span_t sp[MAX_SPANS];
    int ns = url_secrets(url, smtp, sp), i;
    char *r = apr_pstrdup(fuzz_pool, url);

    for (i = 0; i < ns; i++)
        memset(r + sp[i].off, 1, sp[i].len);
    return r;
}

/* The word's option name ("" for none) and value (the word itself when
 * it is not OPTION=VALUE). */
static const char *key_of(const char *w)
{
    const char *eq = strchr(w, '=');
    return eq ? apr_pstrmemdup(fuzz_pool, w, (size_t)(eq - w)) : "";
}

static const char *value_of(const char *w)
{
    const char *eq = strchr(w, '=');
    return eq ? eq + 1 : w;
}

static int known_key(const char *k)
{
    static const char *const keys[] = {
        "format",  "crons",           "events",  "smtp",    "from",    "token",
        "timeout", "connect_timeout", "backoff", "give_up", "sendmail"};
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(k, keys[i]) == 0)
            return 1;
    return 0;
}

/* The words with their secrets and free values rotated. */
static const char **rotated_words(const char **w, int n)
{
    const char **r = apr_pmemdup(fuzz_pool, w, sizeof(*w) * (size_t)n);
    int i;

    if (n > 1)
        r[1] = rotate_url(w[1], 0);
    for (i = 2; i < n; i++) {
        const char *k = key_of(w[i]);
        char *c = apr_pstrdup(fuzz_pool, w[i]);
        size_t at = strlen(k) + 1;

        if (strchr(w[i], '=') == NULL)
            rotate(c, strlen(c));
        else if (!strcmp(k, "token") || !strcmp(k, "crons")
                 || !strcmp(k, "from") || !strcmp(k, "sendmail")
                 || !known_key(k))
            rotate(c + at, strlen(c + at));
        else if (!strcmp(k, "smtp"))
            c = apr_pstrcat(fuzz_pool, "smtp=", rotate_url(c + at, 1), NULL);
        r[i] = c;
    }
    return r;
}

/* ---- which URLs are taken ---------------------------------------------- */

static int ref_alpha(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int ref_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* RFC 5322's dot-atom local part @ a domain of LDH labels (none starting
 * or ending with '-', 1 to 63 bytes); 64 bytes of local part, 254 in all;
 * the last '@' splits. */
static int ref_addr_ok(const char *a)
{
    const char *at = strrchr(a, '@'), *c, *label;

    if (at == NULL || at == a || at - a > 64 || strlen(a) > 254)
        return 0;
    for (c = a; c < at; c++) {
        if (*c == '.' ? c == a || c + 1 == at || c[1] == '.'
                      : !(ref_alpha((unsigned char)*c)
                          || ref_digit((unsigned char)*c)
                          || (*c && strchr("!#$%&'*+/=?^_`{|}~-", *c))))
            return 0;
    }
    for (label = c = at + 1;; c++) {
        if (*c == '.' || *c == '\0') {
            if (c == label || c - label > 63 || label[0] == '-'
                || c[-1] == '-')
                return 0;
            if (*c == '\0')
                return 1;
            label = c + 1;
        }
        else if (!ref_alpha((unsigned char)*c) && !ref_digit((unsigned char)*c)
                 && *c != '-')
            return 0;
    }
}

/* [userinfo@]host[:port] up to the first of / ? #: a host name of
 * letters, digits, - . _ or an [IPv6 literal], a port 1 to 65535. */
static int ref_authority_ok(const char *s, int need_port)
{
    size_t end = strcspn(s, "/?#"), i, h = 0, port;
    unsigned long v = 0;

    for (i = 0; i < end; i++)
        if (s[i] == '@')
            h = i + 1;
    if (s[h] == '[') {
        const char *close = memchr(s + h, ']', end - h);
        if (close == NULL || close == s + h + 1)
            return 0;
        i = (size_t)(close - s) + 1;
    }
    else {
        for (i = h; i < end
                    && (ref_alpha((unsigned char)s[i])
                        || ref_digit((unsigned char)s[i]) || s[i] == '-'
                        || s[i] == '.' || s[i] == '_');
             i++)
            ;
        if (i == h || (i < end && s[i] != ':'))
            return 0;
    }
    if (i == end)
        return !need_port;
    if (s[i] != ':')
        return 0;
    for (port = ++i; i < end; i++) {
        if (!ref_digit((unsigned char)s[i]))
            return 0;
        v = v * 10 + (unsigned long)(s[i] - '0');
        if (v > 65535)
            return 0;
    }
    return i > port && v >= 1;
}

/* The URL of a CharonAlert line, on its own (no option): taken or not. */
static int ref_url_ok(const char *u)
{
    const unsigned char *k;

    if (strncasecmp(u, "mailto:", 7) == 0) {
        char *list = apr_pstrdup(fuzz_pool, u + 7), *a, *next;

        if (strpbrk(list, "?#"))
            return 0;
        for (a = list;; a = next + 1) {
            next = strchr(a, ',');
            if (next)
                *next = '\0';
            if (!ref_addr_ok(a))
                return 0;
            if (!next)
                return 1;
        }
    }
    if (strncasecmp(u, "exec:", 5) == 0 || strncasecmp(u, "file:", 5) == 0) {
        const char *path = u + 5;

        if (strncasecmp(u, "file:", 5) == 0 && strncmp(path, "///", 3) == 0)
            path += 2;
        if (path[0] != '/' || path[1] == '/' || path[1] == '\0')
            return 0;
        for (k = (const unsigned char *)path; *k; k++)
            if (*k < 0x20 || *k == 0x7F)
                return 0;
        return 1;
    }
    for (k = (const unsigned char *)u; *k; k++)
        if (*k <= 0x20 || *k == 0x7F)
            return 0;
    if (strncasecmp(u, "https://", 8) == 0)
        return ref_authority_ok(u + 8, 0);
    if (strncasecmp(u, "http://", 7) == 0)
        return ref_authority_ok(u + 7, 0);
    return 0;
}

/* smtp= on its own: smtp(s)://[userinfo@]host:port, no query. */
static int ref_smtp_ok(const char *u)
{
    const unsigned char *k;
    const char *rest;

    for (k = (const unsigned char *)u; *k; k++)
        if (*k <= 0x20 || *k == 0x7F)
            return 0;
    if (strncasecmp(u, "smtps://", 8) == 0)
        rest = u + 8;
    else if (strncasecmp(u, "smtp://", 7) == 0)
        rest = u + 7;
    else
        return 0;
    return strpbrk(rest, "?#") == NULL && ref_authority_ok(rest, 1);
}

#endif /* CHARON_ALERT_LINE_REF_H */
