/*
 * manage_fixtures.h: what test_manage.c, test_manage_fields.c and
 * test_cron_doc.c share: the fields of a cron's definition as a table,
 * definitions to start from, and a body parsed and checked.
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

    memset(&d, 0, sizeof(d)); /* a field added later starts at none */
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

/* ---- parsing a body, and what it came to ------------------------------- */

static inline const char *def_differs(const charon_crondef_t *a,
                                      const charon_crondef_t *b)
{
    size_t i;

    for (i = 0; i < N_ELEMS(fields); i++) {
        int same;

        switch (fields[i].type) {
        case F_TEXT: {
            const char *x = TEXT_AT(a, i), *y = TEXT_AT(b, i);
            same = (!x && !y) || (x && y && !strcmp(x, y));
            break;
        }
        case F_INT: same = INT_AT(a, i) == INT_AT(b, i); break;
        default: same = BOOL_AT(a, i) == BOOL_AT(b, i);
        }
        if (!same)
            return fields[i].name;
    }
    return NULL;
}

static inline const char *def_text(const charon_crondef_t *d)
{
    return apr_psprintf(
        pool,
        "name=%s active=%d off_reason=%s off_until=%" APR_INT64_T_FMT
        " concurrency=%s max_runtime=%" APR_INT64_T_FMT
        " schedule=%s timezone=%s grace=%" APR_INT64_T_FMT
        " min_runtime=%" APR_INT64_T_FMT " failure=%" APR_INT64_T_FMT
        " recovery=%" APR_INT64_T_FMT " realert=%" APR_INT64_T_FMT
        " mute_until=%" APR_INT64_T_FMT,
        show(d->name), d->active, show(d->off_reason), d->off_until,
        show(d->concurrency), d->max_runtime, show(d->schedule),
        show(d->timezone), d->grace, d->min_runtime, d->failure_threshold,
        d->recovery_threshold, d->realert_every, d->mute_until);
}

/* The defaults of docs/MANAGEMENT.md, written here. */
/* ---- parsing ------------------------------------------------------------- */

#define SLUG "nightly-backup"

static inline int parse_n(charon_body_kind_e kind, const char *body,
                          apr_size_t len, const charon_crondef_t *cur,
                          charon_crondef_t *out, charon_error_t *e)
{
    memset(out, 0x5A, sizeof(*out));
    out->name = out->off_reason = out->concurrency = "poison";
    out->schedule = out->timezone = "poison";
    e->status = -1;
    e->field = "unset";
    e->detail = NULL;
    return charon_crondef_parse(pool, body, len, SLUG, cur, kind, out, e);
}

static inline int parse(charon_body_kind_e kind, const char *body,
                        const charon_crondef_t *cur, charon_crondef_t *out,
                        charon_error_t *e)
{
    return parse_n(kind, body, strlen(body), cur, out, e);
}

static inline const char *kind_name(charon_body_kind_e kind)
{
    return kind == CHARON_BODY_PUT ? "PUT" : "PATCH";
}

/* The body is taken and gives exactly want. */
static inline void accepted_(charon_body_kind_e kind, const char *body,
                             const charon_crondef_t *cur,
                             charon_crondef_t want, const char *file, int line)
{
    charon_crondef_t out;
    charon_error_t e;
    int r = parse(kind, body, cur, &out, &e);
    const char *diff = r == 1 ? def_differs(&out, &want) : "(refused)";

    check_(r == 1 && diff == NULL, file, line, "body accepted",
           "%s %s -> r=%d (%d %s: %s), differs in %s: got %s, want %s",
           kind_name(kind), body, r, e.status, show(e.field), show(e.detail),
           show(diff), r == 1 ? def_text(&out) : "-", def_text(&want));
}

/* The body is refused with status, field (NULL: none) and a detail
 * holding in_detail (NULL: not looked at). */
static inline void refused_n(charon_body_kind_e kind, const char *body,
                             apr_size_t len, const charon_crondef_t *cur,
                             int status, const char *field,
                             const char *in_detail, const char *file, int line)
{
    charon_crondef_t out;
    charon_error_t e;
    int r = parse_n(kind, body, len, cur, &out, &e);

    check_(r == 0 && e.status == status && e.detail != NULL
               && (field ? streq(e.field, field) : e.field == NULL)
               && (!in_detail || strstr(e.detail, in_detail)),
           file, line, "body refused",
           "%s %s -> r=%d status=%d field=%s detail=%s (want %d %s: %s)",
           kind_name(kind), bytes(body, len), r, e.status, show(e.field),
           show(e.detail), status, show(field), show(in_detail));
}

#define PUT_OK(body, cur, want) \
    accepted_(CHARON_BODY_PUT, body, cur, want, HERE)
#define PATCH_OK(body, cur, want) \
    accepted_(CHARON_BODY_PATCH, body, cur, want, HERE)
#define PUT_BAD(body, cur, status, field, detail)                      \
    refused_n(CHARON_BODY_PUT, body, strlen(body), cur, status, field, \
              detail, HERE)
#define PATCH_BAD(body, cur, status, field, detail)                      \
    refused_n(CHARON_BODY_PATCH, body, strlen(body), cur, status, field, \
              detail, HERE)

/* {"name": "n", <member>} */
static inline const char *named(const char *member)
{
    return apr_pstrcat(pool, "{\"name\": \"n\", ", member, "}", NULL);
}

#endif
