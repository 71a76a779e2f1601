/*
 * start_body.c: the schedule a job may send with its start.
 *
 * {"schedule": "30 2 * * *", "timezone": "Europe/Paris", "grace": 600}:
 * the three are set together, so a body with a schedule says all the job
 * knows of when it runs; the other members are left to later versions.
 */
#include "lib/json_body.h"

#include <string.h>

#include <apr_strings.h>

static int set_error(charon_error_t *err, const char *field,
                     const char *detail)
{
    err->status = 422;
    err->field = field;
    err->detail = detail;
    return 0;
}

const char *charon_schedule_check(apr_pool_t *p, const char *text)
{
    charon_schedule_t s;
    char buf[160];
    const char *why;

    if (strlen(text) > CHARON_SCHEDULE_MAX) {
        return "it is longer than 255 bytes";
    }
    why = charon_schedule_parse(text, &s, buf, sizeof(buf));
    return why ? apr_pstrdup(p, why) : NULL;
}

const char *charon_zone_check(const char *name)
{
    const char *why;
    charon_zone_t *z = charon_zone_open(name, &why);

    if (!z) {
        return why;
    }
    charon_zone_close(z);
    return NULL;
}

/* A string member of text, no NUL, valid UTF-8: 1 and *s, or 0. */
static int text_member(json_object *v, const char **s)
{
    apr_size_t len;

    if (!json_object_is_type(v, json_type_string)) {
        return 0;
    }
    *s = json_object_get_string(v);
    len = (apr_size_t)json_object_get_string_len(v);
    return memchr(*s, '\0', len) == NULL && charon_utf8_valid(*s, len);
}

static int check_schedule(apr_pool_t *p, json_object *v, charon_sched_t *out,
                          charon_error_t *err)
{
    const char *s, *why;

    if (v == NULL) { /* null: unscheduled */
        out->schedule = NULL;
        return 1;
    }
    if (!text_member(v, &s)) {
        return set_error(err, "schedule",
                         "field 'schedule' must be a string or null");
    }
    if ((why = charon_schedule_check(p, s))) {
        return set_error(
            err, "schedule",
            apr_pstrcat(p, "field 'schedule' is not a schedule: ", why, NULL));
    }
    out->schedule = apr_pstrdup(p, s);
    return 1;
}

static int check_timezone(apr_pool_t *p, json_object *v, charon_sched_t *out,
                          charon_error_t *err)
{
    const char *s, *why;

    out->timezone = NULL;
    if (v == NULL) {
        return 1;
    }
    if (!text_member(v, &s)) {
        return set_error(err, "timezone",
                         "field 'timezone' must be a string or null");
    }
    if ((why = charon_zone_check(s))) {
        return set_error(err, "timezone",
                         apr_pstrcat(p, "field 'timezone' ", why, NULL));
    }
    out->timezone = apr_pstrdup(p, s);
    return 1;
}

static int check_grace(apr_pool_t *p, json_object *v, charon_sched_t *out,
                       charon_error_t *err)
{
    const char *s;
    apr_int64_t n;

    out->grace = CHARON_GRACE_DEFAULT;
    if (v == NULL) {
        return 1;
    }
    if (json_object_is_type(v, json_type_int)) {
        n = json_object_get_int64(v);
        if (n >= CHARON_GRACE_MIN && n <= CHARON_GRACE_MAX) {
            out->grace = n;
            return 1;
        }
    }
    else if (text_member(v, &s)
             && !charon_parse_duration(p, s, CHARON_GRACE_MIN,
                                       CHARON_GRACE_MAX, &out->grace)) {
        return 1;
    }
    return set_error(err, "grace",
                     "field 'grace' must be whole seconds from 1 to "
                     "31622400, or a duration such as \"10m\"");
}

int charon_parse_start_body(apr_pool_t *p, const char *buf, apr_size_t len,
                            charon_sched_t *out, charon_error_t *err)
{
    json_object *obj, *sched, *zone, *grace;
    int ok, has_zone, has_grace;

    memset(out, 0, sizeof(*out));
    if (len == 0) {
        return 1; /* no body: nothing to set */
    }
    if (!(obj = charon_body_object(p, buf, len, err))) {
        return 0;
    }
    out->given = json_object_object_get_ex(obj, "schedule", &sched);
    has_zone = json_object_object_get_ex(obj, "timezone", &zone);
    has_grace = json_object_object_get_ex(obj, "grace", &grace);
    if (!out->given) {
        ok = !has_zone && !has_grace;
        if (!ok) {
            set_error(err, has_zone ? "timezone" : "grace",
                      apr_psprintf(p,
                                   "field '%s' is given without 'schedule' "
                                   "(the three are set together)",
                                   has_zone ? "timezone" : "grace"));
        }
    }
    else {
        ok = check_schedule(p, sched, out, err)
             && check_timezone(p, has_zone ? zone : NULL, out, err)
             && check_grace(p, has_grace ? grace : NULL, out, err);
    }
    json_object_put(obj);
    if (!ok) {
        memset(out, 0, sizeof(*out));
    }
    return ok;
}
