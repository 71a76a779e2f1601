/*
 * form.c: application/x-www-form-urlencoded, as the manager's forms send
 * it and as its query strings are written.  Decoding follows httpd's
 * ap_unescape_urlencoded (a '+' is a space, %XX a byte, a bad escape or
 * %00 refused), then each field must be UTF-8: the page stores what it is
 * sent, and shows it again.
 */
#include "lib/charon_lib.h"

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

static int hex_digit(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* Decodes s in place; NULL, or why not. */
static const char *decode(char *s)
{
    char *o = s;

    for (; *s; s++) {
        if (*s == '+') {
            *o++ = ' ';
        }
        else if (*s != '%') {
            *o++ = *s;
        }
        else {
            int hi = hex_digit(s[1]), lo = hi < 0 ? -1 : hex_digit(s[2]);

            if (lo < 0) {
                return "a field is not properly URL-encoded";
            }
            if (hi == 0 && lo == 0) {
                return "a field is not properly URL-encoded";
            }
            *o++ = (char)(hi << 4 | lo);
            s += 2;
        }
    }
    *o = '\0';
    return NULL;
}

static const char *field(char *s)
{
    const char *why = decode(s);

    if (why) {
        return why;
    }
    return charon_utf8_valid(s, strlen(s)) ? NULL
                                           : "a field is not valid UTF-8";
}

const char *charon_parse_form(apr_pool_t *p, const char *text,
                              apr_table_t **out)
{
    apr_table_t *t = apr_table_make(p, 8);
    char *copy = apr_pstrdup(p, text ? text : "");
    char *pair, *last = NULL;
    const char *why;
    int n = 0;

    *out = t;
    for (pair = apr_strtok(copy, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        char *val = eq ? eq + 1 : pair + strlen(pair);

        if (eq) {
            *eq = '\0';
        }
        if (++n > CHARON_FORM_MAX_FIELDS) {
            return "too many fields";
        }
        if ((why = field(pair)) != NULL || (why = field(val)) != NULL) {
            return why;
        }
        if (!*pair) {
            continue;
        }
        /* Which of two values would be meant is anyone's guess. */
        if (apr_table_get(t, pair)) {
            return apr_psprintf(p, "the field \"%s\" is given twice", pair);
        }
        apr_table_setn(t, pair, val);
    }
    return NULL;
}
