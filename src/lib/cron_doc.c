/*
 * cron_doc.c: a cron's document in the management API, its ETag, and the
 * PUT and PATCH bodies that change it (docs/MANAGEMENT.md).
 *
 * The document is flat, so a JSON merge patch (RFC 7396) is member by
 * member: a value sets the field, null puts it back to its default.  A
 * PUT is the same walk from the defaults, except that the operator's
 * switches (active, off_reason, off_until, mute_until) start from the
 * cron as it is: a deploy that PUTs every cron must not switch on the
 * one an operator switched off.
 */
#include "lib/json_body.h"

#include <errno.h>
#include <string.h>

#include <apr_strings.h>

#include <json-c/json.h>

#define ISO_FMT "%04d-%02d-%02dT%02d:%02d:%02dZ"

void charon_crondef_defaults(charon_crondef_t *d)
{
    memset(d, 0, sizeof(*d));
    d->active = 1;
    d->concurrency = "allow";
    d->grace = 300;
    d->failure_threshold = 1;
    d->recovery_threshold = 1;
}

const char *charon_iso_text(apr_pool_t *p, apr_int64_t secs)
{
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, apr_time_from_sec(secs));
    return apr_psprintf(p, ISO_FMT, x.tm_year + 1900, x.tm_mon + 1, x.tm_mday,
                        x.tm_hour, x.tm_min, x.tm_sec);
}

int charon_iso_seconds(const char *iso, apr_int64_t *secs)
{
    apr_time_t t;

    if (!iso || charon_parse_until(iso, &t)) {
        return 0;
    }
    *secs = apr_time_sec(t);
    return 1;
}

static json_object *text_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *secs_or_null(apr_int64_t n)
{
    return n ? json_object_new_int64(n) : NULL;
}

static json_object *time_or_null(apr_pool_t *p, apr_int64_t t)
{
    return t ? json_object_new_string(charon_iso_text(p, t)) : NULL;
}

const char *charon_crondoc_json(apr_pool_t *p, const charon_crondoc_t *c)
{
    const charon_crondef_t *d = &c->def;
    json_object *o = json_object_new_object();
    const char *s = NULL;

    if (o == NULL) {
        return NULL;
    }
    json_object_object_add(o, "id", json_object_new_int64(c->id));
    json_object_object_add(o, "slug", json_object_new_string(c->slug));
    json_object_object_add(o, "name", json_object_new_string(d->name));
    json_object_object_add(o, "created_at", time_or_null(p, c->created_at));
    json_object_object_add(o, "active", json_object_new_boolean(d->active));
    json_object_object_add(o, "off_reason", text_or_null(d->off_reason));
    json_object_object_add(o, "off_until", time_or_null(p, d->off_until));
    json_object_object_add(o, "concurrency",
                           json_object_new_string(d->concurrency));
    json_object_object_add(o, "max_runtime", secs_or_null(d->max_runtime));
    json_object_object_add(o, "schedule", text_or_null(d->schedule));
    json_object_object_add(o, "timezone", text_or_null(d->timezone));
    json_object_object_add(o, "grace", json_object_new_int64(d->grace));
    json_object_object_add(o, "min_runtime", secs_or_null(d->min_runtime));
    json_object_object_add(o, "failure_threshold",
                           json_object_new_int64(d->failure_threshold));
    json_object_object_add(o, "recovery_threshold",
                           json_object_new_int64(d->recovery_threshold));
    json_object_object_add(o, "realert_every", secs_or_null(d->realert_every));
    json_object_object_add(o, "mute_until", time_or_null(p, d->mute_until));
    s = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    s = s ? apr_pstrdup(p, s) : NULL;
    json_object_put(o);
    return s;
}

const char *charon_etag(apr_pool_t *p, const char *json)
{
    unsigned char d[CHARON_DIGEST_LEN];
    char hex[2 * 16 + 1];
    int i;

    charon_sha256(json, strlen(json), d);
    for (i = 0; i < 16; i++) {
        apr_snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
    return apr_pstrcat(p, "\"", hex, "\"", NULL);
}

/* If-Match compares strongly (RFC 9110 13.1.1): a weak tag never
 * matches. */
int charon_etag_matches(const char *header, const char *etag)
{
    const char *s = header;
    apr_size_t n = etag ? strlen(etag) : 0;

    while (*s) {
        const char *end;

        while (*s == ' ' || *s == '\t' || *s == ',') {
            s++;
        }
        if (!*s) {
            break;
        }
        if (*s == '*') {
            if (etag) {
                return 1;
            }
            s++;
            continue;
        }
        end = s;
        if (*end == 'W' && end[1] == '/') {
            end += 2;
        }
        if (*end == '"') {
            end = strchr(end + 1, '"');
            end = end ? end + 1 : s + strlen(s);
        }
        else {
            end += strcspn(end, ", \t");
        }
        if (etag && (apr_size_t)(end - s) == n && !strncmp(s, etag, n)) {
            return 1;
        }
        s = end;
    }
    return 0;
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Each field with how it compares, for equal and diff alike. */
#define FIELDS(X)                                                         \
    X(name, same_text(a->name, b->name))                                  \
    X(active, a->active == b->active)                                     \
    X(off_reason, same_text(a->off_reason, b->off_reason))                \
    X(off_until, a->off_until == b->off_until)                            \
    X(concurrency, same_text(a->concurrency, b->concurrency))             \
    X(max_runtime, a->max_runtime == b->max_runtime)                      \
    X(schedule, same_text(a->schedule, b->schedule))                      \
    X(timezone, same_text(a->timezone, b->timezone))                      \
    X(grace, a->grace == b->grace)                                        \
    X(min_runtime, a->min_runtime == b->min_runtime)                      \
    X(failure_threshold, a->failure_threshold == b->failure_threshold)    \
    X(recovery_threshold, a->recovery_threshold == b->recovery_threshold) \
    X(realert_every, a->realert_every == b->realert_every)                \
    X(mute_until, a->mute_until == b->mute_until)

int charon_crondef_equal(const charon_crondef_t *a, const charon_crondef_t *b)
{
#define X(f, same) &&(same)
    return 1 FIELDS(X);
#undef X
}

const char *charon_crondef_diff(apr_pool_t *p, const charon_crondef_t *a,
                                const charon_crondef_t *b)
{
    const char *out = "";

#define X(f, same)                                             \
    if (!(same)) {                                             \
        out = apr_pstrcat(p, out, *out ? ", " : "", #f, NULL); \
    }
    FIELDS(X)
#undef X
    return out;
}

/* ---- bodies ------------------------------------------------------------ */

static int refuse(charon_error_t *err, int status, const char *field,
                  const char *detail)
{
    err->status = status;
    err->field = field;
    err->detail = detail;
    return 0;
}

static apr_size_t chars(const char *s)
{
    apr_size_t n = 0;

    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* A string of text: valid UTF-8, no NUL, no control character. */
static const char *text_value(apr_pool_t *p, json_object *v, const char *f,
                              apr_size_t max, charon_error_t *err)
{
    const char *s;
    apr_size_t len, i;

    if (!json_object_is_type(v, json_type_string)) {
        refuse(err, 422, f, apr_psprintf(p, "field '%s' must be a string", f));
        return NULL;
    }
    s = json_object_get_string(v);
    len = (apr_size_t)json_object_get_string_len(v);
    if (memchr(s, '\0', len) || !charon_utf8_valid(s, len)) {
        refuse(err, 422, f,
               apr_psprintf(p, "field '%s' is not valid UTF-8 text", f));
        return NULL;
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F) {
            refuse(err, 422, f,
                   apr_psprintf(p,
                                "field '%s' cannot contain control "
                                "characters",
                                f));
            return NULL;
        }
    }
    if (len == 0 || chars(s) > max) {
        refuse(err, 422, f,
               apr_psprintf(
                   p, "field '%s' must be 1 to %" APR_SIZE_T_FMT " characters",
                   f, max));
        return NULL;
    }
    return apr_pstrmemdup(p, s, len);
}

/* A JSON string with no NUL in it: 1 and *s, or 0. */
static int plain_string(json_object *v, const char **s)
{
    if (!json_object_is_type(v, json_type_string)) {
        return 0;
    }
    *s = json_object_get_string(v);
    return strlen(*s) == (apr_size_t)json_object_get_string_len(v);
}

static int int_value(apr_pool_t *p, json_object *v, const char *f,
                     apr_int64_t min, apr_int64_t max, apr_int64_t *out,
                     charon_error_t *err)
{
    apr_int64_t n;

    if (!json_object_is_type(v, json_type_int)) {
        return refuse(err, 422, f,
                      apr_psprintf(p, "field '%s' must be a whole number", f));
    }
    errno = 0;
    n = json_object_get_int64(v);
    if (errno || n < min || n > max) {
        return refuse(err, 422, f,
                      apr_psprintf(p,
                                   "field '%s' must be from %" APR_INT64_T_FMT
                                   " to %" APR_INT64_T_FMT,
                                   f, min, max));
    }
    *out = n;
    return 1;
}

static int time_value(apr_pool_t *p, json_object *v, const char *f,
                      apr_int64_t *out, charon_error_t *err)
{
    apr_time_t t;
    const char *s;

    if (!plain_string(v, &s) || charon_parse_until(s, &t)) {
        return refuse(err, 422, f,
                      apr_psprintf(p,
                                   "field '%s' must be a time like "
                                   "2026-12-31T23:59:00Z, or null",
                                   f));
    }
    *out = apr_time_sec(t);
    if (*out <= 0) {
        return refuse(err, 422, f,
                      apr_psprintf(p, "field '%s' is before 1970", f));
    }
    return 1;
}

/* One member of a body on d; v NULL is JSON null: the default. */
static int member(apr_pool_t *p, const char *k, json_object *v,
                  const char *slug, charon_crondef_t *d, charon_error_t *err)
{
    charon_crondef_t def;
    const char *s, *why;

    charon_crondef_defaults(&def);
    if (!strcmp(k, "id") || !strcmp(k, "created_at")) {
        return 1; /* read-only: a document read back may be sent */
    }
    if (!strcmp(k, "slug")) {
        if (!v || !plain_string(v, &s) || strcmp(s, slug)) {
            return refuse(err, 422, k,
                          "field 'slug' must be the slug of the URL: a cron "
                          "is not renamed by its body");
        }
        return 1;
    }
    if (!strcmp(k, "name")) {
        if (!v) {
            return refuse(err, 422, k, "field 'name' is required");
        }
        return (d->name = text_value(p, v, k, CHARON_NAME_MAX_CHARS, err))
               != NULL;
    }
    if (!strcmp(k, "active")) {
        if (v && !json_object_is_type(v, json_type_boolean)) {
            return refuse(err, 422, k, "field 'active' must be a boolean");
        }
        d->active = v ? json_object_get_boolean(v) : 1;
        return 1;
    }
    if (!strcmp(k, "off_reason")) {
        d->off_reason = NULL;
        return !v
               || (d->off_reason =
                       text_value(p, v, k, CHARON_REASON_MAX_CHARS, err));
    }
    if (!strcmp(k, "off_until") || !strcmp(k, "mute_until")) {
        apr_int64_t *t = k[0] == 'o' ? &d->off_until : &d->mute_until;

        *t = 0;
        return !v || time_value(p, v, k, t, err);
    }
    if (!strcmp(k, "concurrency")) {
        if (!v) {
            d->concurrency = def.concurrency;
            return 1;
        }
        if (!plain_string(v, &s)
            || (strcmp(s, "allow") && strcmp(s, "forbid"))) {
            return refuse(err, 422, k,
                          "field 'concurrency' must be allow or forbid");
        }
        d->concurrency = !strcmp(s, "allow") ? "allow" : "forbid";
        return 1;
    }
    if (!strcmp(k, "schedule")) {
        d->schedule = NULL;
        if (!v) {
            return 1;
        }
        if (!(s = text_value(p, v, k, CHARON_SCHEDULE_MAX, err))) {
            return 0;
        }
        if ((why = charon_schedule_check(p, s))) {
            return refuse(
                err, 422, k,
                apr_pstrcat(p, "field 'schedule' is not a schedule: ", why,
                            NULL));
        }
        d->schedule = s;
        return 1;
    }
    if (!strcmp(k, "timezone")) {
        d->timezone = NULL;
        if (!v) {
            return 1;
        }
        if (!(s = text_value(p, v, k, 64, err))) {
            return 0;
        }
        if ((why = charon_zone_check(s))) {
            return refuse(
                err, 422, k,
                apr_pstrcat(p, "field 'timezone' is not a time zone: ", why,
                            NULL));
        }
        d->timezone = s;
        return 1;
    }
#define SECONDS(f, min, max, dflt)                             \
    if (!strcmp(k, #f)) {                                      \
        d->f = dflt;                                           \
        return !v || int_value(p, v, k, min, max, &d->f, err); \
    }
    SECONDS(max_runtime, 1, CHARON_SECONDS_MAX, 0)
    SECONDS(grace, 1, 31622400, def.grace)
    SECONDS(min_runtime, 1, CHARON_SECONDS_MAX, 0)
    SECONDS(failure_threshold, 1, 1000, 1)
    SECONDS(recovery_threshold, 1, 1000, 1)
    SECONDS(realert_every, 60, 31536000, 0)
#undef SECONDS
    return refuse(err, 422, k,
                  apr_psprintf(p, "field '%s' is not a field of a cron", k));
}

int charon_crondef_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                         const char *slug, const charon_crondef_t *cur,
                         charon_body_kind_e kind, charon_crondef_t *out,
                         charon_error_t *err)
{
    json_object *obj = charon_body_object(p, buf, len, err);
    int ok = 1;

    if (obj == NULL) {
        return 0;
    }
    if (kind == CHARON_BODY_PATCH) {
        *out = *cur;
    }
    else {
        charon_crondef_defaults(out);
        if (cur) {
            out->active = cur->active;
            out->off_reason = cur->off_reason;
            out->off_until = cur->off_until;
            out->mute_until = cur->mute_until;
        }
        if (!json_object_object_get_ex(obj, "name", NULL)) {
            ok = refuse(err, 422, "name", "field 'name' is required");
        }
    }
    json_object_object_foreach(obj, k, v)
    {
        if (ok) { /* k is obj's: the error keeps a copy */
            ok = member(p, apr_pstrdup(p, k), v, slug, out, err);
        }
    }
    json_object_put(obj);
    if (ok && out->active) {
        out->off_reason = NULL; /* they say why and until when it is off */
        out->off_until = 0;
    }
    return ok;
}

int charon_off_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                     const char **reason, apr_int64_t *until,
                     charon_error_t *err)
{
    json_object *obj;
    int ok = 1;

    *reason = NULL;
    *until = 0;
    if (len == 0) {
        return 1;
    }
    if (!(obj = charon_body_object(p, buf, len, err))) {
        return 0;
    }
    json_object_object_foreach(obj, k, v)
    {
        const char *f = apr_pstrdup(p, k);

        if (!ok) {
            break;
        }
        if (!strcmp(f, "reason")) {
            ok = !v
                 || (*reason =
                         text_value(p, v, f, CHARON_REASON_MAX_CHARS, err));
        }
        else if (!strcmp(f, "until")) {
            ok = !v || time_value(p, v, f, until, err);
        }
        else {
            ok = refuse(err, 422, f,
                        apr_psprintf(p,
                                     "field '%s' is not one of reason, "
                                     "until",
                                     f));
        }
    }
    json_object_put(obj);
    return ok;
}
