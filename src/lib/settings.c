/*
 * settings.c: run-control settings: durations, the words of
 * CharonRetention, Idempotency-Key values and the fingerprint of the
 * request such a key is bound to, and the manager page's slug and
 * switch-off end.
 */
#include "lib/charon_lib.h"

#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>
#include <apr_time.h>

/* ===================================================================== */
/* durations                                                              */
/* ===================================================================== */

/* The units, largest first so that format_duration picks the largest one
 * that divides a value exactly. */
static const struct {
    char unit;
    apr_int64_t secs;
} units[] = {
    {'w', 7 * 24 * 3600}, {'d', 24 * 3600}, {'h', 3600}, {'m', 60}, {'s', 1},
};
#define UNIT_COUNT (sizeof(units) / sizeof(units[0]))

/* A bound as people write it: 86400 is "1d", 90 is "90s", 3153600000 is
 * "36500d".  Always in the syntax the parser accepts, so a message can be
 * copied back into the configuration. */
static const char *format_duration(apr_pool_t *p, apr_int64_t v)
{
    unsigned i;

    if (v > 0)
        for (i = 0; i < UNIT_COUNT; i++)
            if (v % units[i].secs == 0)
                return apr_psprintf(p, "%" APR_INT64_T_FMT "%c",
                                    v / units[i].secs, units[i].unit);
    return apr_psprintf(p, "%" APR_INT64_T_FMT "s", v);
}

const char *charon_parse_duration(apr_pool_t *p, const char *s,
                                  apr_int64_t min, apr_int64_t max,
                                  apr_int64_t *secs)
{
    apr_int64_t v = 0, factor = 1;
    const char *c = s;
    unsigned i;

    if (c == NULL)
        goto bad;
    /* Digits only, at least one: no sign, no blank, no base prefix (and
     * no isdigit(), which depends on the locale). */
    if (*c < '0' || *c > '9')
        goto bad;
    for (; *c >= '0' && *c <= '9'; c++) {
        int d = *c - '0';
        /* Tested before multiplying: signed overflow is undefined. */
        if (v > (APR_INT64_MAX - d) / 10)
            goto bad;
        v = v * 10 + d;
    }
    if (*c != '\0') {
        /* One unit letter, lower case, and nothing after it. */
        for (i = 0; i < UNIT_COUNT; i++)
            if (*c == units[i].unit)
                break;
        if (i == UNIT_COUNT || c[1] != '\0')
            goto bad;
        factor = units[i].secs;
    }
    if (v > APR_INT64_MAX / factor)
        goto bad;
    v *= factor;
    if (v < min || v > max)
        goto bad;
    *secs = v;
    return NULL;

bad:
    /* One sentence for a malformed value and an out-of-range one: both
     * are answered by the same two facts, the syntax and the bounds. */
    return apr_psprintf(p,
                        "must be a duration between %s and %s (a number "
                        "followed by s, m, h, d or w)",
                        format_duration(p, min), format_duration(p, max));
}

/* ===================================================================== */
/* CharonRetention                                                        */
/* ===================================================================== */

#define RETENTION_MIN_AGE   60
#define RETENTION_MAX_AGE   ((apr_int64_t)100 * 365 * 24 * 3600)
#define RETENTION_COUNT_MAX 1000000000 /* 10^9 */

/* Digits only, in min..max; 0 on anything else.  Not charon_parse_id:
 * that one refuses 0, which keep-failures=0 needs. */
static int parse_count(const char *s, apr_int64_t min, apr_int64_t max,
                       apr_int64_t *out)
{
    apr_int64_t v = 0;

    if (*s == '\0')
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        v = v * 10 + (*s - '0');
        /* Stopping past max keeps v far from overflow. */
        if (v > max)
            return 0;
    }
    if (v < min)
        return 0;
    *out = v;
    return 1;
}

const char *charon_parse_retention(apr_pool_t *p, int argc, char *const argv[],
                                   charon_retention_t *out)
{
    charon_retention_t r;
    int seen_age = 0, seen_keep = 0, seen_failures = 0, i;

    r.enabled = 1;
    r.max_age = 0;
    r.keep = 0;
    r.keep_failures = CHARON_DEFAULT_KEEP_FAILURES;

    if (argc <= 0 || argv == NULL)
        return "needs 'off', or max-age=DURATION and/or keep=N "
               "(and optionally keep-failures=N)";
    if (argc == 1 && argv[0] != NULL && strcmp(argv[0], "off") == 0) {
        r.enabled = 0;
        *out = r;
        return NULL;
    }

    for (i = 0; i < argc; i++) {
        const char *arg = argv[i], *eq, *val, *why;
        apr_size_t n;

        if (arg == NULL)
            return "needs 'off', or max-age=DURATION and/or keep=N";
        /* "off max-age=30d" is a contradiction, not a choice. */
        if (strcmp(arg, "off") == 0)
            return "'off' must be the only word: it keeps every run";
        /* "max-age" without '=' is read as "max-age=": a missing value,
         * not an unknown word. */
        eq = strchr(arg, '=');
        n = eq ? (apr_size_t)(eq - arg) : strlen(arg);
        val = eq ? eq + 1 : "";

        if (n == 7 && strncmp(arg, "max-age", n) == 0) {
            if (seen_age++)
                return "max-age= is given more than once";
            if (*val == '\0')
                return "max-age= needs a value, such as max-age=30d";
            why = charon_parse_duration(p, val, RETENTION_MIN_AGE,
                                        RETENTION_MAX_AGE, &r.max_age);
            if (why)
                return apr_pstrcat(p, "max-age ", why, NULL);
        }
        else if (n == 4 && strncmp(arg, "keep", n) == 0) {
            if (seen_keep++)
                return "keep= is given more than once";
            if (*val == '\0')
                return "keep= needs a value, such as keep=1000";
            if (!parse_count(val, 1, RETENTION_COUNT_MAX, &r.keep))
                return "keep must be a whole number from 1 to 1000000000";
        }
        else if (n == 13 && strncmp(arg, "keep-failures", n) == 0) {
            if (seen_failures++)
                return "keep-failures= is given more than once";
            if (*val == '\0')
                return "keep-failures= needs a value, such as "
                       "keep-failures=10";
            if (!parse_count(val, 0, RETENTION_COUNT_MAX, &r.keep_failures))
                return "keep-failures must be a whole number from 0 to "
                       "1000000000";
        }
        else {
            /* Configuration, not a secret: quoting it helps find it. */
            return apr_psprintf(p,
                                "unknown word '%s' (the words are 'off', "
                                "max-age=, keep= and keep-failures=)",
                                arg);
        }
    }
    /* keep-failures alone would purge nothing: say so rather than accept
     * a setting that does not do what it looks like. */
    if (!seen_age && !seen_keep)
        return "needs max-age= or keep= (or both), or 'off'";
    *out = r;
    return NULL;
}

/* ===================================================================== */
/* Idempotency-Key                                                        */
/* ===================================================================== */

int charon_idempotency_key_valid(const char *s)
{
    apr_size_t n;

    if (s == NULL)
        return 0;
    /* The loop stops at the first bad byte or one past the maximum, so an
     * enormous header costs no more than a short one. */
    for (n = 0; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= CHARON_IDEMPOTENCY_KEY_MAX || c < 0x20 || c > 0x7E)
            return 0;
    }
    return n >= 1;
}

/* ===================================================================== */
/* request fingerprint                                                    */
/* ===================================================================== */

/* Appends a netstring, "LEN:BYTES,": the length comes first, so no byte
 * of the value can be mistaken for a delimiter ("a\nb" + "c" and "a" +
 * "b\nc" differ), whatever the value holds, NUL bytes included. */
static char *put_netstring(char *o, const char *s, apr_size_t len)
{
    char num[32];
    apr_size_t k = (apr_size_t)apr_snprintf(num, sizeof(num),
                                            "%" APR_SIZE_T_FMT ":", len);

    memcpy(o, num, k);
    o += k;
    if (len)
        memcpy(o, s, len);
    o += len;
    *o++ = ',';
    return o;
}

const char *charon_request_fingerprint(apr_pool_t *p, charon_verb_e verb,
                                       const char *target, const char *body,
                                       apr_size_t len)
{
    static const char hexdig[] = "0123456789abcdef";
    /* Room for the framing of three netstrings (at most 20 digits, ':'
     * and ',' each) besides the bytes themselves. */
    const apr_size_t overhead = 3 * 22;
    unsigned char digest[CHARON_DIGEST_LEN];
    const char *name = charon_verb_name(verb);
    apr_size_t name_len, target_len, total;
    char *buf, *o, *hex;
    int i;

    /* An unknown verb or an absent target is hashed as an empty string,
     * an absent body as no bytes: never a NULL dereference. */
    if (name == NULL)
        name = "";
    if (target == NULL)
        target = "";
    if (body == NULL)
        len = 0;
    name_len = strlen(name);
    target_len = strlen(target);
    if (len > APR_SIZE_MAX - overhead - name_len - target_len)
        return NULL; /* cannot be held in memory anyway */
    total = name_len + target_len + len + overhead;

    /* charon_sha256 takes one buffer, so the message is assembled in p;
     * the body is a request body already capped by the caller. */
    o = buf = apr_palloc(p, total);
    o = put_netstring(o, name, name_len);
    o = put_netstring(o, target, target_len);
    o = put_netstring(o, body, len);
    charon_sha256(buf, (apr_size_t)(o - buf), digest);

    hex = apr_palloc(p, 2 * CHARON_DIGEST_LEN + 1);
    for (i = 0; i < CHARON_DIGEST_LEN; i++) {
        hex[2 * i] = hexdig[digest[i] >> 4];
        hex[2 * i + 1] = hexdig[digest[i] & 0x0F];
    }
    hex[2 * CHARON_DIGEST_LEN] = '\0';
    return hex;
}

/* ---- the manager page's fields ----------------------------------------- */

const char *charon_slug_check(const char *slug)
{
    apr_size_t len = strlen(slug), i;

    if (len == 0) {
        return "The slug is required.";
    }
    if (len > 255) {
        return "The slug is longer than 255 bytes.";
    }
    if (!charon_utf8_valid(slug, len)) {
        return "The slug is not valid UTF-8.";
    }
    if (strchr(slug, '/')) {
        return "A slug cannot contain \"/\": the API's URLs could not "
               "name the cron.";
    }
    for (i = 0; i < len; i++) {
        if ((unsigned char)slug[i] < 0x20 || slug[i] == 0x7F) {
            return "A slug cannot contain control characters.";
        }
    }
    if (!strcmp(slug, ".") || !strcmp(slug, "..")) {
        return "A slug cannot be \".\" or \"..\": the API's URLs could not "
               "name the cron.";
    }
    return NULL;
}

static int two_digits(const char *s, int *v)
{
    if (!apr_isdigit(s[0]) || !apr_isdigit(s[1])) {
        return 0;
    }
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 1;
}

const char *charon_parse_until(const char *s, apr_time_t *t)
{
    static const char *const bad =
        "The end of the switch-off must look "
        "like 2026-12-31T23:59 (UTC), or 2026-12-31T23:59:00Z.";
    apr_time_exp_t x, back;
    int year, c2, mon, day, hour, min, sec = 0, off = 0, oh, om;

    memset(&x, 0, sizeof(x));
    if (strlen(s) < 16 || !two_digits(s, &year) || !two_digits(s + 2, &c2)
        || s[4] != '-' || !two_digits(s + 5, &mon) || s[7] != '-'
        || !two_digits(s + 8, &day)
        || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        || !two_digits(s + 11, &hour) || s[13] != ':'
        || !two_digits(s + 14, &min)) {
        return bad;
    }
    year = year * 100 + c2;
    s += 16;
    if (*s == ':') {
        if (!two_digits(s + 1, &sec)) {
            return bad;
        }
        s += 3;
        if (*s == '.') { /* a fraction: to the second */
            for (s++; apr_isdigit(*s); s++) {
            }
        }
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    }
    else if (*s == '+' || *s == '-') {
        if (!two_digits(s + 1, &oh) || s[3] != ':' || !two_digits(s + 4, &om)
            || oh > 23 || om > 59) {
            return bad;
        }
        off = (*s == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        s += 6;
    }
    if (*s || year < 1970 || mon < 1 || mon > 12 || day < 1 || hour > 23
        || min > 59 || sec > 59) {
        return bad;
    }
    x.tm_year = year - 1900;
    x.tm_mon = mon - 1;
    x.tm_mday = day;
    x.tm_hour = hour;
    x.tm_min = min;
    x.tm_sec = sec;
    /* The round trip refuses what the calendar has not (February 30). */
    if (apr_time_exp_gmt_get(t, &x) != APR_SUCCESS
        || apr_time_exp_gmt(&back, *t) != APR_SUCCESS || back.tm_mday != day
        || back.tm_mon != mon - 1) {
        return "The end of the switch-off is not a date of the calendar.";
    }
    *t -= apr_time_from_sec(off);
    /* An offset may carry 9999-12-31 past the year 9999, which no
     * database's time type (nor the ISO text read back) holds. */
    if (apr_time_sec(*t) >= 253402300800LL) {
        return bad;
    }
    return NULL;
}
