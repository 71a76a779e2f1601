/*
 * charon_run_schedule.c: the schedule a job sends with its start
 * (--schedule, --timezone, --grace), checked here with the module's own
 * parser (src/lib/schedule.c, slots.c: no APR, no httpd; ICU for the
 * zones), so that a mistake stops charon-run before anything runs, with
 * the sentence the module would give, instead of a 422 at every run;
 * and the instants `charon-run next` starts from.
 *
 * No libcurl and no I/O: tests/charon-run/ tests it.
 */
#include "charon_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/civil.h"
#include "lib/schedule.h"

/* The sentence in why[] names the value, so that the caller only puts
 * the option before it: "--schedule '61 * * * *' is not a schedule: the
 * minute field: 61 is not within 0-59". */
static const char *say_value(char *why, size_t len, const char *value,
                             const char *what)
{
    char *p = cr_printable(value, strlen(value));
    snprintf(why, len, "'%s' %s", p, what);
    free(p);
    return why;
}

const char *cr_schedule_check(const char *text, char *why, size_t len)
{
    charon_schedule_t s;
    char buf[200], what[300];
    const char *bad;

    if (strlen(text) > CHARON_SCHEDULE_MAX) {
        snprintf(what, sizeof(what),
                 "is not a schedule: it is longer than %d bytes",
                 CHARON_SCHEDULE_MAX);
        return say_value(why, len, text, what);
    }
    if ((bad = charon_schedule_parse(text, &s, buf, sizeof(buf))) != NULL) {
        /* the sentence quotes the field, control characters and all */
        char *p = cr_printable(bad, strlen(bad));
        snprintf(what, sizeof(what), "is not a schedule: %s", p);
        free(p);
        return say_value(why, len, text, what);
    }
    return NULL;
}

const char *cr_zone_check(const char *name, char *why, size_t len)
{
    const char *bad = "is not a time zone (an IANA name, such as "
                      "Europe/Paris)";
    /* "" would be UTC to charon_zone_open (the module's NULL): refused,
     * a zone given is a name. */
    charon_zone_t *z = *name ? charon_zone_open(name, &bad) : NULL;

    if (!z)
        return say_value(why, len, name, bad);
    charon_zone_close(z);
    return NULL;
}

const char *cr_grace_check(const char *text, long long *secs, char *why,
                           size_t len)
{
    int64_t v;

    if (!charon_grace_parse(text, &v))
        return say_value(why, len, text,
                         "is not a grace: whole seconds or a number with "
                         "s, m, h, d or w (90s, 10m, 2h, 1d), from 1 s to "
                         "31622400 s (366d)");
    *secs = v;
    return NULL;
}

void cr_start_body(cr_buf_t *out, const char *schedule, const char *zone,
                   long long grace)
{
    cr_buf_adds(out, "{\"schedule\":");
    cr_json_string(out, schedule, strlen(schedule));
    if (zone) {
        cr_buf_adds(out, ",\"timezone\":");
        cr_json_string(out, zone, strlen(zone));
    }
    if (grace > 0)
        cr_buf_printf(out, ",\"grace\":%lld", grace);
    cr_buf_addc(out, '}');
}

/* n digits at s: their value, or -1. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int cr_parse_instant(const char *s, int64_t *t)
{
    int y, mo, d, h, mi, sec = 0, off = 0;
    const char *p = s + 16;

    /* YYYY-MM-DDTHH:MM, then :SS, then Z or +HH:MM / -HH:MM */
    if (strlen(s) < 17 || s[4] != '-' || s[7] != '-'
        || (s[10] != 'T' && s[10] != 't') || s[13] != ':')
        return 0;
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    if (*p == ':') {
        if ((sec = digits(p + 1, 2)) < 0)
            return 0; /* and p stays within the string */
        p += 3;
    }
    if ((*p == 'Z' || *p == 'z') && !p[1]) {
        off = 0;
    }
    else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh = digits(p + 1, 2), om = digits(p + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return 0;
        off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    }
    else {
        return 0;
    }
    /* 1900: tz data before are local mean times nobody schedules in */
    if (y < 1900 || mo < 1 || mo > 12 || d < 1
        || d > charon_civil_days_in_month(y, mo) || h < 0 || h > 23 || mi < 0
        || mi > 59 || sec < 0 || sec > 59)
        return 0;
    *t = charon_civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    return 1;
}
