/*
 * fuzz_manage.c: the management API's bodies and query strings
 * (docs/MANAGEMENT.md): charon_crondef_parse (PUT and PATCH) against a
 * fixed current cron, charon_query_parse, charon_manage_route,
 * charon_off_parse, and of what is accepted charon_crondoc_json,
 * charon_etag, charon_etag_matches, charon_crondef_equal and
 * charon_crondef_diff.
 *
 * Input: byte 0 picks the kind and the current cron (bit 0: PATCH, else
 * PUT; bit 1: a current cron for a PUT, which a PATCH always has; bit 2:
 * that cron switched on, else off; bit 3: the query's pages are of 100 by
 * default and 1000 at most, else 50 and 200); byte 1 is the query's
 * allowed bits (CHARON_Q_*, all eight); then the body up to a NUL byte,
 * then the query string up to a NUL byte, then a route.  With no NUL the
 * body's text is the query string and the route too.
 *
 * Checked against oracles written here from docs/MANAGEMENT.md:
 *   - a body is taken exactly when json-c reads it as an object (strict)
 *     whose members are each a field of a cron with a value of its type
 *     and range (or null where the field takes null, never for name), the
 *     slug the URL's, and, for a PUT, name among them; refused, the 422
 *     names the first wrong member in the object's order (name when a
 *     PUT has none); a 400 names none;
 *   - taken, the definition is the current one (PATCH) or the defaults
 *     with the current switches (PUT), each member applied, and off_reason
 *     and off_until none when active; every field is within its range;
 *   - the document of what was taken is JSON, its ETag a quoted 32-digit
 *     hex that matches itself and not its weak form; PUT and PATCH of that
 *     document give the definition back (same ETag, equal, no diff); its
 *     times are written as 2026-12-08T06:00:00Z and read back the same;
 *   - charon_crondef_diff names exactly the fields that differ from the
 *     current cron, in order, and charon_crondef_equal agrees with it;
 *   - a query string is taken exactly when charon_parse_form reads it and
 *     each parameter is allowed and valid (limit 1..max, a cursor an id or
 *     a slug, since before until...); refused, the parameter named is the
 *     first wrong one (none when the form is not understood); taken, every
 *     member of the query is the parameter's value or its default;
 *   - the route is the path's shape, its slug or id as sent;
 *   - the query string taken as an If-Match value: it never matches when
 *     there is no current document; when it is a well-formed list of
 *     entity-tags and "*", it matches a fixed tag exactly when one element
 *     is that tag or "*" (weak tags never); and it matches only when it
 *     holds the tag or a "*";
 *   - the body of `off` is taken exactly as its two optional members are.
 */
#include "fuzz.h"

#include <errno.h>
#include <stddef.h>

#include <json-c/json.h>

#define SLUG       "nightly-backup"
#define T_CREATED  1796119200LL
#define SECONDS_MX 2147483647LL

/* ---- the fixed current crons ------------------------------------------- */

static charon_crondef_t cur_off, cur_on;

static void dflt(charon_crondef_t *d)
{
    memset(d, 0, sizeof(*d));
    d->active = 1;
    d->concurrency = "allow";
    d->grace = 300;
    d->failure_threshold = 1;
    d->recovery_threshold = 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    cur_off.name = "Nightly backup";
    cur_off.active = 0;
    cur_off.off_reason = "disk full";
    cur_off.off_until = 1796709600;
    cur_off.concurrency = "forbid";
    cur_off.max_runtime = 3600;
    cur_off.schedule = "0 3 * * *";
    cur_off.timezone = "Europe/Paris";
    cur_off.grace = 600;
    cur_off.min_runtime = 10;
    cur_off.failure_threshold = 2;
    cur_off.recovery_threshold = 3;
    cur_off.realert_every = 3600;
    cur_off.mute_until = 1796644800;
    cur_on = cur_off;
    cur_on.active = 1;
    cur_on.off_reason = NULL;
    cur_on.off_until = 0;
    return 0;
}

/* ---- the fields ---------------------------------------------------------- */

enum { F_TEXT, F_INT, F_BOOL, F_TIME };

static const struct {
    const char *name;
    size_t off;
    int type;
    apr_int64_t min, max; /* F_INT; for F_TEXT the most characters */
    int nullable;
} fields[] = {
    {"name", offsetof(charon_crondef_t, name), F_TEXT, 1, 255, 0},
    {"active", offsetof(charon_crondef_t, active), F_BOOL, 0, 0, 1},
    {"off_reason", offsetof(charon_crondef_t, off_reason), F_TEXT, 1, 1000, 1},
    {"off_until", offsetof(charon_crondef_t, off_until), F_TIME, 0, 0, 1},
    {"concurrency", offsetof(charon_crondef_t, concurrency), F_TEXT, 1, 6, 1},
    {"max_runtime", offsetof(charon_crondef_t, max_runtime), F_INT, 1,
     SECONDS_MX, 1},
    {"schedule", offsetof(charon_crondef_t, schedule), F_TEXT, 1, 255, 1},
    {"timezone", offsetof(charon_crondef_t, timezone), F_TEXT, 1, 64, 1},
    {"grace", offsetof(charon_crondef_t, grace), F_INT, 1, 31622400, 1},
    {"min_runtime", offsetof(charon_crondef_t, min_runtime), F_INT, 1,
     SECONDS_MX, 1},
    {"failure_threshold", offsetof(charon_crondef_t, failure_threshold), F_INT,
     1, 1000, 1},
    {"recovery_threshold", offsetof(charon_crondef_t, recovery_threshold),
     F_INT, 1, 1000, 1},
    {"realert_every", offsetof(charon_crondef_t, realert_every), F_INT, 60,
     31536000, 1},
    {"mute_until", offsetof(charon_crondef_t, mute_until), F_TIME, 0, 0, 1},
};
#define NFIELDS ((int)(sizeof(fields) / sizeof(fields[0])))

#define TEXT_AT(d, i) (*(const char **)(void *)((char *)(d) + fields[i].off))
#define INT_AT(d, i)  (*(apr_int64_t *)(void *)((char *)(d) + fields[i].off))
#define BOOL_AT(d, i) (*(int *)(void *)((char *)(d) + fields[i].off))

static int field_of(const char *k)
{
    int i;

    for (i = 0; i < NFIELDS; i++)
        if (!strcmp(fields[i].name, k))
            return i;
    return -1;
}

static int same_field(const charon_crondef_t *a, const charon_crondef_t *b,
                      int i)
{
    switch (fields[i].type) {
    case F_TEXT: return fuzz_str_eq(TEXT_AT(a, i), TEXT_AT(b, i));
    case F_BOOL: return BOOL_AT(a, i) == BOOL_AT(b, i);
    default: return INT_AT(a, i) == INT_AT(b, i);
    }
}

/* The fields in which a and b differ, as charon_crondef_diff writes them. */
static const char *ref_diff(const charon_crondef_t *a,
                            const charon_crondef_t *b)
{
    const char *out = "";
    int i;

    for (i = 0; i < NFIELDS; i++)
        if (!same_field(a, b, i))
            out = apr_pstrcat(fuzz_pool, out, *out ? ", " : "", fields[i].name,
                              NULL);
    return out;
}

/* ---- a member's value, as the contract has it ------------------------- */

/* Text: a string of valid UTF-8, no NUL, no control character, 1 to max
 * characters. */
static int ref_text(json_object *v, apr_int64_t max)
{
    const char *s;
    size_t len, i, chars = 0;

    if (!json_object_is_type(v, json_type_string))
        return 0;
    s = json_object_get_string(v);
    len = (size_t)json_object_get_string_len(v);
    if (len == 0 || !ref_utf8_valid((const unsigned char *)s, len))
        return 0;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            return 0;
        chars += (c & 0xC0) != 0x80;
    }
    return (apr_int64_t)chars <= max;
}

/* A string with a NUL byte inside (\u0000): refused by the contract
 * (this target found concurrency, slug and the times read up to it). */
#define NUL_INSIDE(v)                      \
    ((size_t)json_object_get_string_len(v) \
     != strlen(json_object_get_string(v)))

/* The last second the API writes as it reads: 9999-12-31T23:59:59Z; a
 * later one (by a negative offset) is refused. */
#define T_MAX         253402300799LL
#define PAST_T_MAX(t) ((t) > T_MAX)

/* A time: *secs and 1, or 0. */
static int ref_time(json_object *v, apr_int64_t *secs)
{
    apr_time_t t;

    if (!json_object_is_type(v, json_type_string) || NUL_INSIDE(v)
        || charon_parse_until(json_object_get_string(v), &t) != NULL
        || apr_time_sec(t) <= 0 || PAST_T_MAX(apr_time_sec(t)))
        return 0;
    *secs = apr_time_sec(t);
    return 1;
}

/* 1 when the member k: v (NULL: null) may be in a body; applies it to *d. */
static int ref_member(const char *k, json_object *v, charon_crondef_t *d)
{
    charon_crondef_t def;
    int i = field_of(k);
    const char *s;

    dflt(&def);
    if (!strcmp(k, "id") || !strcmp(k, "created_at"))
        return 1;
    if (!strcmp(k, "slug"))
        return v && json_object_is_type(v, json_type_string) && !NUL_INSIDE(v)
               && !strcmp(json_object_get_string(v), SLUG);
    if (i < 0)
        return 0;
    if (!v) {
        if (!fields[i].nullable)
            return 0;
        switch (fields[i].type) {
        case F_TEXT: TEXT_AT(d, i) = TEXT_AT(&def, i); break;
        case F_BOOL: BOOL_AT(d, i) = BOOL_AT(&def, i); break;
        default: INT_AT(d, i) = INT_AT(&def, i);
        }
        return 1;
    }
    switch (fields[i].type) {
    case F_BOOL:
        if (!json_object_is_type(v, json_type_boolean))
            return 0;
        BOOL_AT(d, i) = json_object_get_boolean(v);
        return 1;
    case F_TIME: return ref_time(v, &INT_AT(d, i));
    case F_INT: {
        apr_int64_t n;

        if (!json_object_is_type(v, json_type_int))
            return 0;
        errno = 0;
        n = json_object_get_int64(v);
        if (errno || n < fields[i].min || n > fields[i].max)
            return 0;
        INT_AT(d, i) = n;
        return 1;
    }
    default:
        if (!strcmp(k, "concurrency")) {
            if (!json_object_is_type(v, json_type_string) || NUL_INSIDE(v))
                return 0;
            s = json_object_get_string(v);
            if (strcmp(s, "allow") && strcmp(s, "forbid"))
                return 0;
            TEXT_AT(d, i) = !strcmp(s, "allow") ? "allow" : "forbid";
            return 1;
        }
        if (!ref_text(v, fields[i].max))
            return 0;
        s = json_object_get_string(v);
        if (!strcmp(k, "schedule") && charon_schedule_check(fuzz_pool, s))
            return 0;
        if (!strcmp(k, "timezone") && charon_zone_check(s))
            return 0;
        TEXT_AT(d, i) = apr_pstrdup(fuzz_pool, s); /* obj is freed first */
        return 1;
    }
}

/* Every field within its range, the switch-off's fields none when on. */
static void check_def(const charon_crondef_t *d, const char *what)
{
    int i;

    for (i = 0; i < NFIELDS; i++) {
        const char *f = fields[i].name;

        switch (fields[i].type) {
        case F_TEXT: {
            const char *s = TEXT_AT(d, i);

            FUZZ_CHECK(s || fields[i].nullable, "%s: %s is NULL", what, f);
            if (s) {
                json_object *o = json_object_new_string(s);
                FUZZ_CHECK(ref_text(o, fields[i].max), "%s: %s is \"%s\"",
                           what, f, s);
                json_object_put(o);
            }
            break;
        }
        case F_BOOL:
            FUZZ_CHECK(BOOL_AT(d, i) == 0 || BOOL_AT(d, i) == 1,
                       "%s: %s is %d", what, f, BOOL_AT(d, i));
            break;
        case F_TIME:
            FUZZ_CHECK(INT_AT(d, i) >= 0, "%s: %s is %" APR_INT64_T_FMT, what,
                       f, INT_AT(d, i));
            break;
        default:
            FUZZ_CHECK(INT_AT(d, i) == 0
                           ? fields[i].nullable && strcmp(f, "grace")
                                 && strcmp(f, "failure_threshold")
                                 && strcmp(f, "recovery_threshold")
                           : INT_AT(d, i) >= fields[i].min
                                 && INT_AT(d, i) <= fields[i].max,
                       "%s: %s is %" APR_INT64_T_FMT, what, f, INT_AT(d, i));
        }
    }
    FUZZ_CHECK(!strcmp(d->concurrency, "allow")
                   || !strcmp(d->concurrency, "forbid"),
               "%s: concurrency %s", what, d->concurrency);
    FUZZ_CHECK(!d->active || (!d->off_reason && !d->off_until),
               "%s: on, with a reason or an end", what);
    FUZZ_CHECK(!d->schedule || !charon_schedule_check(fuzz_pool, d->schedule),
               "%s: schedule %s", what, d->schedule);
    FUZZ_CHECK(!d->timezone || !charon_zone_check(d->timezone),
               "%s: timezone %s", what, d->timezone);
}

/* json-c's strict reading of buf[0..len), as the API reads a body. */
static json_object *strict_object(const char *buf, size_t len)
{
    struct json_tokener *tok = json_tokener_new();
    json_object *o;

    if (!tok)
        abort();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = len ? json_tokener_parse_ex(tok, buf, (int)len) : NULL;
    if (o
        && (json_tokener_get_error(tok) != json_tokener_success
            || !json_object_is_type(o, json_type_object))) {
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    return o;
}

/* The document of d is JSON; its ETag matches itself; PUT and PATCH of it
 * give d back. */
static void check_document(const charon_crondef_t *d)
{
    charon_crondoc_t c = {7, SLUG, T_CREATED, *d};
    const char *json = charon_crondoc_json(fuzz_pool, &c), *etag, *etag2;
    json_object *o;
    charon_crondef_t back;
    charon_error_t err;
    int kind;

    FUZZ_CHECK(json != NULL, "no document");
    FUZZ_CHECK(d->off_until <= T_MAX && d->mute_until <= T_MAX,
               "a time past 9999 was taken");
    {
        apr_int64_t times[3] = {d->off_until, d->mute_until, T_CREATED}, t;
        int i;

        for (i = 0; i < 3; i++) {
            const char *iso = charon_iso_text(fuzz_pool, times[i]);

            FUZZ_CHECK(strlen(iso) == 20 && iso[10] == 'T' && iso[19] == 'Z'
                           && charon_iso_seconds(iso, &t) && t == times[i],
                       "time %" APR_INT64_T_FMT " written %s", times[i], iso);
        }
    }
    o = json_tokener_parse(json);
    FUZZ_CHECK(o && json_object_is_type(o, json_type_object)
                   && json_object_object_length(o) == NFIELDS + 3,
               "the document is not an object of %d members: %s", NFIELDS + 3,
               json);
    json_object_put(o);
    etag = charon_etag(fuzz_pool, json);
    FUZZ_CHECK(strlen(etag) == 34 && etag[0] == '"' && etag[33] == '"'
                   && strspn(etag + 1, "0123456789abcdef") == 32,
               "ETag %s", etag);
    FUZZ_CHECK(charon_etag_matches(etag, etag), "%s does not match itself",
               etag);
    FUZZ_CHECK(
        !charon_etag_matches(apr_pstrcat(fuzz_pool, "W/", etag, NULL), etag),
        "W/%s matches", etag);
    FUZZ_CHECK(charon_etag_matches("*", etag)
                   && !charon_etag_matches("*", NULL)
                   && !charon_etag_matches(etag, NULL),
               "* and no current document");

    for (kind = 0; kind < 2; kind++) {
        const charon_crondef_t *onto = kind ? &cur_off : d;
        int r = charon_crondef_parse(
            fuzz_pool, json, strlen(json), SLUG, onto,
            kind ? CHARON_BODY_PATCH : CHARON_BODY_PUT, &back, &err);

        FUZZ_CHECK(r == 1, "%s of its own document refused: %d %s: %s (%s)",
                   kind ? "PATCH" : "PUT", err.status,
                   err.field ? err.field : "-", err.detail, json);
        FUZZ_CHECK(charon_crondef_equal(&back, d)
                       && !strcmp(ref_diff(&back, d), ""),
                   "%s of its own document changes %s", kind ? "PATCH" : "PUT",
                   ref_diff(&back, d));
        c.def = back;
        etag2 = charon_etag(fuzz_pool, charon_crondoc_json(fuzz_pool, &c));
        FUZZ_CHECK(!strcmp(etag, etag2), "the ETag changed: %s %s", etag,
                   etag2);
    }
}

static void check_body(const char *buf, size_t len, int flags)
{
    int patch = flags & 1;
    const charon_crondef_t *cur =
        (patch || (flags & 2)) ? ((flags & 4) ? &cur_on : &cur_off) : NULL;
    charon_crondef_t out, want;
    charon_error_t err = {-1, NULL, NULL};
    json_object *obj = strict_object(buf, len);
    const char *first_bad = NULL, *diff;
    int r, all_ok = 1;

    r = charon_crondef_parse(fuzz_pool, buf, len, SLUG, cur,
                             patch ? CHARON_BODY_PATCH : CHARON_BODY_PUT, &out,
                             &err);
    FUZZ_CHECK(r == 0 || r == 1, "returned %d", r);
    if (!r) {
        FUZZ_CHECK(err.detail != NULL, "refused with no detail");
        FUZZ_CHECK(err.status == 400 || err.status == 422, "status %d",
                   err.status);
    }
    if (!r && err.status == 400) {
        FUZZ_CHECK(err.field == NULL, "400 names %s", err.field);
        json_object_put(obj);
        return;
    }
    FUZZ_CHECK(obj != NULL, "not a strict JSON object, yet %s",
               r ? "taken" : "a 422");

    /* What the contract makes of it. */
    if (patch)
        want = *cur;
    else {
        dflt(&want);
        if (cur) {
            want.active = cur->active;
            want.off_reason = cur->off_reason;
            want.off_until = cur->off_until;
            want.mute_until = cur->mute_until;
        }
        if (!json_object_object_get_ex(obj, "name", NULL)) {
            all_ok = 0;
            first_bad = "name";
        }
    }
    {
        json_object_object_foreach(obj, k, v)
        {
            if (all_ok && !ref_member(k, v, &want)) {
                all_ok = 0;
                first_bad = apr_pstrdup(fuzz_pool, k);
            }
        }
    }
    if (want.active) {
        want.off_reason = NULL;
        want.off_until = 0;
    }

    FUZZ_CHECK(r == all_ok, "%s, the contract says %s (%s: %s)",
               r ? "taken" : "refused", all_ok ? "taken" : "refused",
               err.field ? err.field : "-", err.detail ? err.detail : "-");
    if (!r) {
        FUZZ_CHECK(err.status == 422 && err.field
                       && !strcmp(err.field, first_bad),
                   "%d naming %s, the first wrong member is %s", err.status,
                   err.field ? err.field : "none", first_bad);
        json_object_put(obj);
        return;
    }
    json_object_put(obj);

    diff = ref_diff(&out, &want);
    FUZZ_CHECK(!*diff, "taken, but differs from the contract in %s", diff);
    check_def(&out, patch ? "PATCH" : "PUT");
    if (cur) {
        diff = charon_crondef_diff(fuzz_pool, cur, &out);
        FUZZ_CHECK(!strcmp(diff, ref_diff(cur, &out)),
                   "charon_crondef_diff: %s, want %s", diff,
                   ref_diff(cur, &out));
        FUZZ_CHECK(charon_crondef_equal(cur, &out) == !*diff,
                   "charon_crondef_equal disagrees with the diff %s", diff);
    }
    check_document(&out);
}

#include "fuzz_manage_query.h"

/* ---- the harness ----------------------------------------------------------- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int flags = size > 0 ? data[0] : 0;
    int allowed = size > 1 ? data[1] : 0;
    const uint8_t *rest = data + (size > 2 ? 2 : size);
    size_t n = size > 2 ? size - 2 : 0;
    const uint8_t *nul = n ? memchr(rest, 0, n) : NULL;
    size_t blen = nul ? (size_t)(nul - rest) : n;
    char *body = fuzz_dup(rest, blen), *query, *route;

    if (nul) {
        const uint8_t *q = nul + 1, *end = rest + n;
        const uint8_t *nul2 = memchr(q, 0, (size_t)(end - q));

        query = fuzz_str(q, nul2 ? (size_t)(nul2 - q) : (size_t)(end - q));
        route = nul2 ? fuzz_str(nul2 + 1, (size_t)(end - nul2 - 1))
                     : fuzz_str((const uint8_t *)"", 0);
    }
    else {
        query = fuzz_str(rest, n);
        route = fuzz_str(rest, n);
    }

    check_body(body, blen, flags);
    check_off(body, blen);
    check_query(query, allowed, (flags & 8) ? 100 : 50,
                (flags & 8) ? 1000 : 200);
    check_route(route);
    check_etag_header(query);

    free(body);
    free(query);
    free(route);
    apr_pool_clear(fuzz_pool);
    return 0;
}
