/*
 * text.c: slugs in plain-text answers.  A slug may hold any bytes (SQL
 * writes what it likes): health's one line and Prometheus's label values
 * each have their own rules for what may appear.
 */
#include "lib/charon_lib.h"

#include <string.h>

#include <apr_strings.h>

const char *charon_one_line(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    apr_size_t len = strlen((const char *)u), i = 0;
    char *out = apr_palloc(p, len + 1), *o = out;

    while (i < len) {
        apr_size_t n = charon_utf8_seq(u + i, len - i);

        if (n == 0 || u[i] < 0x20 || u[i] == 0x7F) {
            *o++ = '?';
            i++;
            continue;
        }
        memcpy(o, u + i, n);
        o += n;
        i += n;
    }
    *o = '\0';
    return out;
}

/* Label values must be UTF-8: a byte outside a valid sequence is written
 * as the four characters \xHH, so that two such slugs stay apart. */
const char *charon_label_value(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    apr_size_t len = strlen((const char *)u), i = 0;
    char *out = apr_palloc(p, len * 5 + 1), *o = out;

    while (i < len) {
        apr_size_t n = charon_utf8_seq(u + i, len - i);

        if (n == 0) {
            o += apr_snprintf(o, 6, "\\\\x%02X", u[i]);
            i++;
        }
        else if (u[i] == '\\' || u[i] == '"' || u[i] == '\n') {
            *o++ = '\\';
            *o++ = u[i] == '\n' ? 'n' : (char)u[i];
            i++;
        }
        else {
            memcpy(o, u + i, n);
            o += n;
            i += n;
        }
    }
    *o = '\0';
    return out;
}

const char *charon_number_text(const char *v)
{
    if (!v || !*v) {
        return NULL;
    }
    return v[strspn(v, "0123456789.-+eE")] ? NULL : v;
}
