/*
 * manage_fixtures.h: what test_manage.c and test_cron_doc.c share: the
 * fields of a cron's definition as a table, and definitions to start from.
 */
#ifndef CHARON_TEST_MANAGE_FIXTURES_H
#define CHARON_TEST_MANAGE_FIXTURES_H

#include "test.h"

#include <stddef.h>

#define T_CREATED 1796119200LL /* 2026-12-01T10:00:00Z */
#define T_OFF     1796709600LL /* 2026-12-08T06:00:00Z */
#define T_MUTE    1796644800LL /* 2026-12-07T12:00:00Z */

/* ---- definitions, field by field -------------------------------------- */

enum { F_TEXT, F_INT, F_BOOL };

static const struct {
    const char *name;
    size_t off;
    int type;
} fields[] = {
    {"name", offsetof(charon_crondef_t, name), F_TEXT},
    {"active", offsetof(charon_crondef_t, active), F_BOOL},
    {"off_reason", offsetof(charon_crondef_t, off_reason), F_TEXT},
    {"off_until", offsetof(charon_crondef_t, off_until), F_INT},
    {"concurrency", offsetof(charon_crondef_t, concurrency), F_TEXT},
    {"max_runtime", offsetof(charon_crondef_t, max_runtime), F_INT},
    {"schedule", offsetof(charon_crondef_t, schedule), F_TEXT},
    {"timezone", offsetof(charon_crondef_t, timezone), F_TEXT},
    {"grace", offsetof(charon_crondef_t, grace), F_INT},
    {"min_runtime", offsetof(charon_crondef_t, min_runtime), F_INT},
    {"failure_threshold", offsetof(charon_crondef_t, failure_threshold),
     F_INT},
    {"recovery_threshold", offsetof(charon_crondef_t, recovery_threshold),
     F_INT},
    {"realert_every", offsetof(charon_crondef_t, realert_every), F_INT},
    {"mute_until", offsetof(charon_crondef_t, mute_until), F_INT},
};

#define TEXT_AT(d, i) (*(const char **)(void *)((char *)(d) + fields[i].off))
#define INT_AT(d, i)  (*(apr_int64_t *)(void *)((char *)(d) + fields[i].off))
#define BOOL_AT(d, i) (*(int *)(void *)((char *)(d) + fields[i].off))

static inline int field_index(const char *name)
{
    size_t i;

    for (i = 0; i < N_ELEMS(fields); i++)
        if (!strcmp(fields[i].name, name))
            return (int)i;
    abort(); /* a broken test, not a failure */
}

static inline charon_crondef_t dflt(const char *name)
{
    charon_crondef_t d;

    memset(&d, 0, sizeof(d));
    d.name = name;
    d.active = 1;
    d.concurrency = "allow";
    d.grace = 300;
    d.failure_threshold = 1;
    d.recovery_threshold = 1;
    return d;
}

/* A cron switched off by an operator, every field away from its default. */
static inline charon_crondef_t off_cron(void)
{
    charon_crondef_t d;

    d.name = "Nightly backup";
    d.active = 0;
    d.off_reason = "disk full";
    d.off_until = T_OFF;
    d.concurrency = "forbid";
    d.max_runtime = 3600;
    d.schedule = "0 3 * * *";
    d.timezone = "Europe/Paris";
    d.grace = 600;
    d.min_runtime = 10;
    d.failure_threshold = 2;
    d.recovery_threshold = 3;
    d.realert_every = 3600;
    d.mute_until = T_MUTE;
    return d;
}

/* The same, switched on (no reason, no end), still muted. */
static inline charon_crondef_t on_cron(void)
{
    charon_crondef_t d = off_cron();

    d.active = 1;
    d.off_reason = NULL;
    d.off_until = 0;
    return d;
}

static inline const char *repeat(const char *s, int n)
{
    char *out = apr_palloc(pool, strlen(s) * (apr_size_t)n + 1), *o = out;
    int i;

    for (i = 0; i < n; i++, o += strlen(s))
        memcpy(o, s, strlen(s));
    *o = '\0';
    return out;
}

#endif
