/*
 * html.c: text for the manager page.  Everything the page shows comes
 * from the database, where a slug or a message written by hand may hold
 * anything: it is escaped here, and only here.
 */
#include "lib/charon_lib.h"

#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

/* Escapes for text and for attribute values in double or single quotes.
 * Bytes that are not UTF-8, and control characters other than tab and
 * line breaks, become U+FFFD. */
const char *charon_html(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    apr_size_t len = strlen((const char *)u), i = 0;
    char *out = apr_palloc(p, len * 6 + 1), *o = out;

    while (i < len) {
        unsigned char c = u[i];
        apr_size_t n = charon_utf8_seq(u + i, len - i);

        if (n == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            || c == 0x7F) {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            continue;
        }
        switch (c) {
        case '<':
            memcpy(o, "&lt;", 4);
            o += 4;
            break;
        case '>':
            memcpy(o, "&gt;", 4);
            o += 4;
            break;
        case '&':
            memcpy(o, "&amp;", 5);
            o += 5;
            break;
        case '"':
            memcpy(o, "&quot;", 6);
            o += 6;
            break;
        case '\'':
            memcpy(o, "&#39;", 5);
            o += 5;
            break;
        default:
            memcpy(o, u + i, n);
            o += n;
            break;
        }
        i += n;
    }
    *o = '\0';
    return out;
}

const char *charon_urlencode(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t len = strlen(s ? s : "");
    char *out = apr_palloc(p, len * 3 + 1), *o = out;

    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

const char *charon_human_duration(apr_pool_t *p, const char *secs)
{
    char *end;
    double d;
    apr_int64_t s;

    if (!secs || !*secs) {
        return NULL;
    }
    d = strtod(secs, &end);
    if (*end || d != d) {
        return NULL;
    }
    if (d < 0) {
        d = 0; /* the clocks of two machines */
    }
    if (d < 10) {
        return apr_psprintf(p, "%.2f s", d);
    }
    if (d < 60) {
        return apr_psprintf(p, "%.1f s", d);
    }
    if (d > 1e15) {
        d = 1e15; /* no integer overflow below */
    }
    s = (apr_int64_t)(d + 0.5);
    if (s < 3600) {
        return apr_psprintf(p, "%d min %02d s", (int)(s / 60), (int)(s % 60));
    }
    if (s < 86400) {
        return apr_psprintf(p, "%d h %02d min", (int)(s / 3600),
                            (int)(s % 3600 / 60));
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT " d %02d h", s / 86400,
                        (int)(s % 86400 / 3600));
}
