/*
 * alert_line.c: a line of CharonAlertFile, split into words as httpd
 * splits a directive's arguments (ap_getword_conf), so that a line reads
 * the same in the file as after CharonAlert in the configuration.
 */
#include "lib/alert.h"

#include <string.h>

#include <apr_strings.h>

/* One word of a line as ap_getword_conf reads it: a word starting with a
 * quote runs to the same quote (\" or \' and \\ inside are escapes);
 * any other word runs to a blank, with \\ for one backslash.  Unlike
 * httpd, a quote left open is an error.  NULL at the end of the line. */
static const char *next_word(apr_pool_t *p, const char **line, int *open)
{
    const char *s = *line;
    char quote = 0, *w, *o;

    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\f'
           || *s == '\v')
        s++;
    if (*s == '\0')
        return NULL;
    if (*s == '"' || *s == '\'')
        quote = *s++;
    o = w = apr_palloc(p, strlen(s) + 1);
    for (; *s; s++) {
        if (quote ? *s == quote : strchr(" \t\r\n\f\v", *s) != NULL)
            break;
        if (*s == '\\' && (s[1] == '\\' || (quote && s[1] == quote)))
            s++;
        *o++ = *s;
    }
    *o = '\0';
    if (quote && *s != quote)
        *open = 1;
    *line = quote && *s ? s + 1 : s;
    return w;
}

int charon_channel_parse_line(apr_pool_t *p, const char *line,
                              charon_channel_t **out, const char **err)
{
    apr_array_header_t *words = apr_array_make(p, 8, sizeof(const char *));
    const char *w, *s = line + strspn(line, " \t\r\n\f\v");
    int open = 0;

    if (*s == '\0' || *s == '#')
        return 0;
    while ((w = next_word(p, &s, &open)) != NULL)
        APR_ARRAY_PUSH(words, const char *) = w;
    if (open) {
        *err = "a quote is opened and not closed";
        return -1;
    }
    return charon_channel_parse(p, words->nelts,
                                (const char *const *)words->elts, out, err)
               ? -1
               : 1;
}
