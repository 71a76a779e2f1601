/*
 * route.c: ids and the shape of the API's routes.
 */
#include "lib/charon_lib.h"

#include <string.h>

#include <apr_strings.h>

int charon_parse_id(const char *s, apr_int64_t *out)
{
    apr_int64_t v = 0;

    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++) {
        int d;
        /* Digits only: no sign, no white space, no base prefix.  isdigit()
         * is avoided on purpose, it depends on the locale. */
        if (*s < '0' || *s > '9')
            return 0;
        d = *s - '0';
        /* Test before multiplying so that overflow is never performed
         * (signed overflow is undefined behaviour in C). */
        if (v > (APR_INT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (v == 0)
        return 0;
    if (out)
        *out = v;
    return 1;
}

static const char *const verb_names[] = {NULL, /* CHARON_VERB_NONE */
                                         "can-start", "start", "end",
                                         "message"};
#define VERB_COUNT (sizeof(verb_names) / sizeof(verb_names[0]))

const char *charon_verb_name(charon_verb_e verb)
{
    if ((unsigned)verb >= VERB_COUNT)
        return NULL;
    return verb_names[verb];
}

int charon_parse_route(apr_pool_t *p, const char *rest, charon_verb_e *verb,
                       const char **target)
{
    const char *slash;
    unsigned i;

    *verb = CHARON_VERB_NONE;
    *target = NULL;
    if (rest == NULL)
        return 0;
    slash = strchr(rest, '/');
    if (slash == NULL || slash == rest)
        return 0;
    /* The verb is everything after the first '/', compared whole: a second
     * '/' anywhere ("a/b/start", "x/start/") makes it match no verb. */
    for (i = 1; i < VERB_COUNT; i++) {
        if (strcmp(slash + 1, verb_names[i]) == 0) {
            *verb = (charon_verb_e)i;
            *target = apr_pstrmemdup(p, rest, (apr_size_t)(slash - rest));
            return 1;
        }
    }
    return 0;
}
