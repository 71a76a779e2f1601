/*
 * alert_url.c: the URLs and addresses of CharonAlert: which are well
 * formed, and how a URL is shown.  A webhook URL is often the secret
 * itself (Slack, Discord, Teams, ntfy topics): what is shown keeps the
 * host and the shape, and hides whatever could be a credential.
 */
#include "lib/alert_parts.h"

#include <string.h>

#include <apr_strings.h>

/* Locale-free character classes: the configuration is ASCII. */
static int is_alpha(int c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* What a token is made of: base64url, base64, hex, percent-escapes. */
static int token_char(int c)
{
    return is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '%'
           || c == '~' || c == '+' || c == '=';
}

/* A part that holds a run of 16 or more token characters: Slack's and
 * Mattermost's hook keys, Discord's ids and tokens, Teams' GUIDs, API
 * keys, long ntfy topics.  Short words (services, v2, hooks) are kept. */
static int looks_like_token(const char *s, apr_size_t n)
{
    apr_size_t i, run = 0;

    for (i = 0; i < n; i++) {
        run = token_char((unsigned char)s[i]) ? run + 1 : 0;
        if (run >= 16)
            return 1;
    }
    return 0;
}

/* s[0..n) as is, or "***" when it looks like a token. */
static const char *part(apr_pool_t *p, const char *s, apr_size_t n)
{
    return looks_like_token(s, n) ? "***" : apr_pstrmemdup(p, s, n);
}

/* The length of "scheme:" at url's start, 0 when there is none. */
static apr_size_t scheme_len(const char *url)
{
    apr_size_t i = 0;

    if (!is_alpha((unsigned char)url[0]))
        return 0;
    while (is_alpha((unsigned char)url[i]) || is_digit((unsigned char)url[i])
           || url[i] == '+' || url[i] == '-' || url[i] == '.')
        i++;
    return url[i] == ':' ? i + 1 : 0;
}

const char *charon_alert_redact(apr_pool_t *p, const char *url)
{
    const char *s = url ? url : "", *end;
    apr_size_t n = scheme_len(s);
    char *out = apr_pstrmemdup(p, s, n);

    s += n;
    if (strncmp(s, "//", 2) == 0) {
        const char *at = NULL, *c;

        /* The authority: userinfo@host:port.  A password goes; a user
         * name stays unless it looks like a token (ntfy and others take
         * a token as the user name). */
        s += 2;
        end = s + strcspn(s, "/?#");
        for (c = s; c < end; c++)
            if (*c == '@')
                at = c;
        out = apr_pstrcat(p, out, "//", NULL);
        if (at != NULL) {
            const char *colon = memchr(s, ':', (apr_size_t)(at - s));
            const char *user_end = colon ? colon : at;

            out = apr_pstrcat(p, out, part(p, s, (apr_size_t)(user_end - s)),
                              colon ? ":***" : "", "@", NULL);
            s = at + 1;
        }
        out = apr_pstrcat(p, out, apr_pstrmemdup(p, s, (apr_size_t)(end - s)),
                          NULL);
        s = end;
    }
    /* The path, segment by segment. */
    end = s + strcspn(s, "?#");
    while (s < end) {
        const char *slash = memchr(s, '/', (apr_size_t)(end - s));
        const char *seg_end = slash ? slash : end;

        out = apr_pstrcat(p, out, part(p, s, (apr_size_t)(seg_end - s)),
                          slash ? "/" : "", NULL);
        s = slash ? slash + 1 : end;
    }
    /* The query: every value goes (token=, key=, auth=...), names stay
     * unless they look like tokens themselves. */
    if (*s == '?') {
        s++;
        end = s + strcspn(s, "#");
        out = apr_pstrcat(p, out, "?", NULL);
        while (s < end) {
            const char *amp = memchr(s, '&', (apr_size_t)(end - s));
            const char *pe = amp ? amp : end;
            const char *eq = memchr(s, '=', (apr_size_t)(pe - s));

            if (eq != NULL)
                out = apr_pstrcat(p, out, part(p, s, (apr_size_t)(eq - s)),
                                  eq + 1 < pe ? "=***" : "=", NULL);
            else if (pe > s)
                out = apr_pstrcat(p, out, "***", NULL);
            if (amp)
                out = apr_pstrcat(p, out, "&", NULL);
            s = amp ? amp + 1 : end;
        }
    }
    if (*s == '#')
        out = apr_pstrcat(p, out, s[1] ? "#***" : "#", NULL);
    return out;
}

/* No blank, no control, nothing a header or a command line could be
 * split at. */
static int url_chars_ok(const char *url)
{
    const unsigned char *c;

    for (c = (const unsigned char *)url; *c; c++)
        if (*c <= 0x20 || *c == 0x7F)
            return 0;
    return 1;
}

/* scheme://[userinfo@]host[:port][/...]: NULL, or why not.  The host is
 * a name, an IPv4 address or [an IPv6 literal]. */
static const char *check_authority(const char *rest, int need_port)
{
    const char *end = rest + strcspn(rest, "/?#"), *at = NULL, *c, *h;
    const char *port = NULL;

    for (c = rest; c < end; c++)
        if (*c == '@')
            at = c;
    h = at ? at + 1 : rest;
    if (*h == '[') {
        c = memchr(h, ']', (apr_size_t)(end - h));
        if (c == NULL || c == h + 1)
            return "the URL's IPv6 address is not closed by ]";
        c++;
    }
    else {
        for (c = h; c < end && *c != ':'; c++)
            if (!is_alpha((unsigned char)*c) && !is_digit((unsigned char)*c)
                && *c != '-' && *c != '.' && *c != '_')
                return "the URL's host name holds a character no host "
                       "name has";
        if (c == h)
            return "the URL has no host";
    }
    if (c < end) {
        long v = 0;

        if (*c != ':')
            return "the URL's host is followed by something not a port";
        for (port = ++c; c < end; c++) {
            if (!is_digit((unsigned char)*c))
                return "the URL's port must be a number";
            v = v * 10 + (*c - '0');
            if (v > 65535)
                return "the URL's port must be from 1 to 65535";
        }
        if (c == port || v == 0)
            return "the URL's port must be from 1 to 65535";
    }
    else if (need_port)
        return "the smtp= URL needs its port (smtp://host:587, "
               "smtps://host:465)";
    return NULL;
}

const char *charon_alert_check_http(const char *url)
{
    if (!url_chars_ok(url))
        return "the URL holds a blank or a control character";
    if (strncasecmp(url, "https://", 8) == 0)
        return check_authority(url + 8, 0);
    if (strncasecmp(url, "http://", 7) == 0)
        return check_authority(url + 7, 0);
    return "the URL must start with http://, https://, mailto:, exec:/ "
           "or file:/";
}

const char *charon_alert_check_smtp(const char *url)
{
    const char *rest;

    if (!url_chars_ok(url))
        return "smtp= holds a blank or a control character";
    if (strncasecmp(url, "smtps://", 8) == 0)
        rest = url + 8;
    else if (strncasecmp(url, "smtp://", 7) == 0)
        rest = url + 7;
    else
        return "smtp= must be smtp://host:port or smtps://host:port";
    if (strpbrk(rest, "?#"))
        return "smtp= takes no query and no fragment";
    return check_authority(rest, 1);
}

/* RFC 5322's atext: what a dot-atom's parts are made of. */
static int atext(int c)
{
    return is_alpha(c) || is_digit(c)
           || (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

int charon_alert_addr_ok(const char *addr)
{
    const char *at = strrchr(addr, '@'), *c;
    apr_size_t label = 0;

    if (at == NULL || at == addr || at - addr > 64 || strlen(addr) > 254
        || at[1] == '\0')
        return 0;
    /* The local part: a dot-atom (no quoted strings, no comments). */
    for (c = addr; c < at; c++) {
        if (*c == '.') {
            if (c == addr || c[1] == '.' || c + 1 == at)
                return 0;
        }
        else if (!atext((unsigned char)*c))
            return 0;
    }
    /* The domain: labels of letters, digits and inner hyphens. */
    for (c = at + 1;; c++) {
        if (*c == '.' || *c == '\0') {
            if (label == 0 || label > 63 || c[-1] == '-')
                return 0;
            if (*c == '\0')
                return 1;
            label = 0;
        }
        else if (is_alpha((unsigned char)*c) || is_digit((unsigned char)*c)
                 || (*c == '-' && label > 0))
            label++;
        else
            return 0;
    }
}
