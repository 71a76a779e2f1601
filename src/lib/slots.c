/*
 * slots.c: a schedule's slots, the UTC instants of the local times it
 * names in a time zone, through ICU's calendar.
 *
 * The local times come in order (schedule.c); each is turned into its
 * instants, taking daylight saving time as Debian's cron does:
 *   - a time that does not exist (a gap): a fixed-time schedule runs at
 *     the first instant after the gap, a wildcard one does not run;
 *   - a time that happens twice (an overlap): a fixed-time schedule runs
 *     at its first occurrence, a wildcard one at both.
 * ICU's wall-time options say which: UCAL_SKIPPED_WALL_TIME NEXT_VALID
 * gives the instant after a gap, UCAL_REPEATED_WALL_TIME FIRST and LAST
 * the two occurrences.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr(), RTLD_NODELETE */
#endif
#include "lib/schedule.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "lib/civil.h"

struct charon_zone {
    UCalendar *cal;
    char name[64];
};

/* How far back an overlap can reach: the second copy of a repeated local
 * time comes after later local times, so the search starts this much
 * before `after` near a transition. */
#define LOOKBACK_MINUTES (26 * 60)
#define HORIZON_YEARS    10

charon_zone_t *charon_zone_open(const char *name, const char **why)
{
    UChar id[64], canon[64];
    UErrorCode st = U_ZERO_ERROR;
    UBool system = 0;
    charon_zone_t *z;
    int32_t n;
    size_t i, len;

    name = name && *name ? name : "UTC";
    len = strlen(name);
    *why = "is not a time zone ICU knows (IANA names, such as "
           "Europe/Paris or America/New_York)";
    if (len >= sizeof(id) / sizeof(id[0])) {
        return NULL;
    }
    for (i = 0; i < len; i++) {
        char c = name[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '-'
              || c == '+')) {
            return NULL;
        }
    }
    /* Invariant characters only (checked above): no converter, whose
     * default would depend on the process's locale. */
    u_charsToUChars(name, id, (int32_t)len + 1);
    n = ucal_getCanonicalTimeZoneID(id, -1, canon, 64, &system, &st);
    if (U_FAILURE(st) || !system || n <= 0 || n >= 64) {
        return NULL;
    }
    if (!(z = calloc(1, sizeof(*z)))) {
        *why = "out of memory";
        return NULL;
    }
    z->cal = ucal_open(id, -1, "en_US_POSIX", UCAL_GREGORIAN, &st);
    if (U_FAILURE(st)) {
        free(z);
        *why = "could not be opened by ICU";
        return NULL;
    }
    /* Proleptic Gregorian: no Julian dates before 1582. */
    ucal_setGregorianChange(z->cal, -8.64e15, &st);
    u_UCharsToChars(canon, z->name, n); /* n < 64: it fits, with its NUL */
    z->name[n] = '\0';
    return z;
}

/* ICU keeps caches for the life of the process (zone data, week data,
 * the default locale) that only u_cleanup() frees, and a module may not
 * call that: another module in the same httpd (PHP's intl) may be using
 * ICU. httpd unloads the module at every restart, and ICU with it, which
 * would leak those caches each time; pinned, ICU stays loaded and its
 * caches are reused. Best effort: without dladdr() nothing changes. */
void charon_zone_pin(void)
{
#if defined(RTLD_NODELETE) && defined(RTLD_NOLOAD)
    /* One function of each library: libicui18n, libicuuc. */
    void *const in[] = {(void *)ucal_open, (void *)u_charsToUChars};
    size_t i;

    for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        Dl_info info;

        if (dladdr(in[i], &info) && info.dli_fname) {
            /* The handle is dropped on purpose: it is the pin. */
            (void)dlopen(info.dli_fname,
                         RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
        }
    }
#endif
}

void charon_zone_close(charon_zone_t *z)
{
    if (z) {
        ucal_close(z->cal);
        free(z);
    }
}

const char *charon_zone_name(const charon_zone_t *z)
{
    return z->name;
}

int charon_zone_local(charon_zone_t *z, int64_t t, charon_local_t *out)
{
    UErrorCode st = U_ZERO_ERROR;

    ucal_setMillis(z->cal, (UDate)t * 1000.0, &st);
    out->year = ucal_get(z->cal, UCAL_EXTENDED_YEAR, &st);
    out->month = ucal_get(z->cal, UCAL_MONTH, &st) + 1;
    out->day = ucal_get(z->cal, UCAL_DATE, &st);
    out->hour = ucal_get(z->cal, UCAL_HOUR_OF_DAY, &st);
    out->minute = ucal_get(z->cal, UCAL_MINUTE, &st);
    out->second = ucal_get(z->cal, UCAL_SECOND, &st);
    out->weekday = ucal_get(z->cal, UCAL_DAY_OF_WEEK, &st) - UCAL_SUNDAY;
    out->offset = (ucal_get(z->cal, UCAL_ZONE_OFFSET, &st)
                   + ucal_get(z->cal, UCAL_DST_OFFSET, &st))
                  / 1000;
    return U_SUCCESS(st);
}

/* The instant of local time c with ICU's wall-time options; -1 on error. */
static int64_t instant(charon_zone_t *z, const charon_civil_t *c,
                       UCalendarWallTimeOption repeated, int *exists)
{
    UErrorCode st = U_ZERO_ERROR;
    charon_local_t back;
    int64_t t;

    ucal_clear(z->cal);
    ucal_setAttribute(z->cal, UCAL_REPEATED_WALL_TIME, repeated);
    ucal_setAttribute(z->cal, UCAL_SKIPPED_WALL_TIME,
                      UCAL_WALLTIME_NEXT_VALID);
    ucal_set(z->cal, UCAL_EXTENDED_YEAR, c->year);
    ucal_set(z->cal, UCAL_MONTH, c->month - 1);
    ucal_set(z->cal, UCAL_DATE, c->day);
    ucal_set(z->cal, UCAL_HOUR_OF_DAY, c->hour);
    ucal_set(z->cal, UCAL_MINUTE, c->minute);
    t = (int64_t)(ucal_getMillis(z->cal, &st) / 1000.0);
    if (U_FAILURE(st) || !charon_zone_local(z, t, &back)) {
        return -1;
    }
    *exists = back.year == c->year && back.month == c->month
              && back.day == c->day && back.hour == c->hour
              && back.minute == c->minute;
    return t;
}

/* 1 when the zone's offset changes within a lookback of t. */
static int near_transition(charon_zone_t *z, int64_t t)
{
    charon_local_t a, b, c;
    int64_t span = (int64_t)LOOKBACK_MINUTES * 60;

    return !charon_zone_local(z, t - span, &a) || !charon_zone_local(z, t, &b)
           || !charon_zone_local(z, t + span, &c) || a.offset != b.offset
           || b.offset != c.offset;
}

static int next_every(int64_t every, int64_t after, int64_t *slot)
{
    int64_t k = after / every - (after % every < 0);

    *slot = (k + 1) * every;
    return 1;
}

int charon_schedule_next(const charon_schedule_t *s, charon_zone_t *z,
                         int64_t after, int64_t *slot)
{
    charon_local_t l;
    charon_civil_t c;
    int64_t best = INT64_MAX, first, second, m;
    int exists, again, last_year;

    if (s->every > 0) {
        return next_every(s->every, after, slot);
    }
    if (!charon_zone_local(z, after, &l)) {
        return 0;
    }
    c.year = l.year;
    c.month = l.month;
    c.day = l.day;
    c.hour = l.hour;
    c.minute = l.minute;
    m = charon_civil_minutes(&c);
    if (near_transition(z, after)) {
        m -= LOOKBACK_MINUTES;
    }
    /* charon_schedule_next_local looks strictly after c. */
    charon_civil_from_minutes(m - 1, &c);
    last_year = l.year + HORIZON_YEARS;
    while (charon_schedule_next_local(s, &c, last_year)) {
        first = instant(z, &c, UCAL_WALLTIME_FIRST, &exists);
        if (first < 0) {
            return 0;
        }
        if (exists) {
            second = instant(z, &c, UCAL_WALLTIME_LAST, &again);
            if (second < 0) {
                return 0;
            }
            if (first > after && first < best) {
                best = first;
            }
            /* Twice: a wildcard schedule runs both. */
            if (!s->fixed && second > first && second > after
                && second < best) {
                best = second;
            }
        }
        else if (s->fixed && first > after && first < best) {
            best = first; /* in a gap: the first instant after it */
        }
        /* Later local times give instants from their first on: none can
         * come before best once first has reached it. */
        if (best <= first) {
            break;
        }
    }
    if (best == INT64_MAX) {
        return 0;
    }
    *slot = best;
    return 1;
}

const char *charon_iso_utc(int64_t t, char *buf)
{
    charon_civil_t c;
    int64_t minutes = t / 60 - (t % 60 < 0);
    int sec = (int)(t - minutes * 60);

    charon_civil_from_minutes(minutes, &c);
    snprintf(buf, CHARON_ISO_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year,
             c.month, c.day, c.hour, c.minute, sec);
    return buf;
}

const char *charon_iso_local(const charon_local_t *l, char *buf)
{
    int off = l->offset < 0 ? -l->offset : l->offset;

    snprintf(buf, CHARON_ISO_LEN, "%04d-%02d-%02d %02d:%02d %c%02d:%02d",
             l->year, l->month, l->day, l->hour, l->minute,
             l->offset < 0 ? '-' : '+', off / 3600, off / 60 % 60);
    return buf;
}

const char *charon_iso_offset(const charon_local_t *l, char *buf)
{
    int off = l->offset < 0 ? -l->offset : l->offset;
    int n = snprintf(buf, CHARON_ISO_LEN,
                     "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", l->year,
                     l->month, l->day, l->hour, l->minute, l->second,
                     l->offset < 0 ? '-' : '+', off / 3600, off / 60 % 60);

    if (off % 60 && n > 0 && n < CHARON_ISO_LEN) {
        snprintf(buf + n, CHARON_ISO_LEN - (size_t)n, ":%02d", off % 60);
    }
    return buf;
}
