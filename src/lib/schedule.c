/*
 * schedule.c: cron schedules as Debian's cron reads them, and the local
 * times they name.
 *
 * Five fields (minute, hour, day of month, month, day of week) of numbers,
 * ranges (a-b), lists (a,b), steps (* / n, a-b/n) and `*`, with month and
 * weekday names (jan, mon: any case) and 7 for Sunday; the nicknames
 * @hourly @daily @midnight @weekly @monthly @yearly @annually; and
 * @every DURATION for jobs run by loops or timers.  When the day of month
 * or the day of week starts with `*`, a day must match both; otherwise
 * either.  A schedule that never happens (February 30) is refused.
 */
#include "lib/schedule.h"

#include <stdio.h>
#include <string.h>

#include "lib/civil.h"

typedef struct {
    const char *name;         /* for messages */
    int low, high;            /* the values the field takes */
    const char *const *names; /* three-letter names from low, or NULL */
    int n_names;
} field_t;

static const char *const month_names[] = {"jan", "feb", "mar", "apr",
                                          "may", "jun", "jul", "aug",
                                          "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed",
                                        "thu", "fri", "sat"};

static const field_t fields[5] = {
    {"minute", 0, 59, NULL, 0},
    {"hour", 0, 23, NULL, 0},
    {"day of month", 1, 31, NULL, 0},
    {"month", 1, 12, month_names, 12},
    /* 7 is Sunday too: folded into bit 0 once parsed. */
    {"day of week", 0, 7, day_names, 7},
};

static const struct {
    const char *nick;
    const char *fields;
} nicknames[] = {
    {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"},  {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
};

static const char usage[] =
    "a schedule is five fields (minute hour day-of-month month "
    "day-of-week), or @hourly, @daily, @midnight, @weekly, @monthly, "
    "@yearly, @annually, or @every DURATION";

/* A number, or one of the field's names; *end past it.  -1 if neither. */
static int value(const field_t *f, const char *s, const char **end)
{
    int v = 0, i, n = 0;

    if (*s >= '0' && *s <= '9') {
        while (*s >= '0' && *s <= '9' && n++ < 4) {
            v = v * 10 + (*s++ - '0');
        }
        *end = s;
        return *s >= '0' && *s <= '9' ? -1 : v;
    }
    for (i = 0; i < f->n_names; i++) {
        const char *name = f->names[i];

        if ((s[0] | 0x20) == name[0] && (s[1] | 0x20) == name[1]
            && (s[2] | 0x20) == name[2]) {
            *end = s + 3;
            return f->low + i;
        }
    }
    return -1;
}

/* One comma-separated element into *bits; NULL, or why not. */
static const char *element(const field_t *f, const char *s, const char *e,
                           uint64_t *bits, char *buf, size_t len)
{
    int from, to, step = 1, v;
    const char *p = s;

    if (p < e && *p == '*') {
        from = f->low;
        to = f->high == 7 ? 6 : f->high;
        p++;
    }
    else {
        if ((from = value(f, p, &p)) < 0) {
            goto bad;
        }
        to = from;
        if (p < e && *p == '-') {
            if ((to = value(f, p + 1, &p)) < 0) {
                goto bad;
            }
        }
        else if (p < e && *p == '/') {
            /* Debian's cron takes a step after * or a range only. */
            snprintf(buf, len,
                     "the %s field: a step goes after * or a "
                     "range (*/n, a-b/n), not after one value",
                     f->name);
            return buf;
        }
    }
    if (p < e && *p == '/') {
        const char *q = p + 1;

        step = 0;
        while (q < e && *q >= '0' && *q <= '9' && step < 1000) {
            step = step * 10 + (*q++ - '0');
        }
        if (q == p + 1 || step < 1 || step > f->high - f->low + 1) {
            snprintf(buf, len,
                     "the %s field: a step must be a number from "
                     "1 to %d",
                     f->name, f->high - f->low + 1);
            return buf;
        }
        p = q;
    }
    if (p != e) {
        goto bad;
    }
    if (from < f->low || to > f->high || from > to) {
        snprintf(buf, len, "the %s field: %.*s is not within %d-%d", f->name,
                 (int)(e - s), s, f->low, f->high);
        return buf;
    }
    for (v = from; v <= to; v += step) {
        *bits |= (uint64_t)1 << (f->high == 7 && v == 7 ? 0 : v);
    }
    return NULL;

bad:
    snprintf(buf, len,
             "the %s field: '%.*s' is not a number%s, a range, "
             "a list or *",
             f->name, (int)(e - s), s, f->names ? " or a name" : "");
    return buf;
}

static const char *field(const field_t *f, const char *s, const char *e,
                         uint64_t *bits, char *buf, size_t len)
{
    const char *comma, *why;

    *bits = 0;
    do {
        comma = memchr(s, ',', (size_t)(e - s));
        if (!comma) {
            comma = e;
        }
        if (comma == s) {
            snprintf(buf, len, "the %s field has an empty element", f->name);
            return buf;
        }
        if ((why = element(f, s, comma, bits, buf, len)) != NULL) {
            return why;
        }
        s = comma + 1;
    } while (comma < e);
    return NULL;
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

/* "15m", "1h", "90": seconds, or -1.  Digits past max are refused before
 * they can overflow (the largest unit times max fits 64 bits). */
static int64_t duration(const char *s, int64_t max)
{
    static const struct {
        char unit;
        int64_t secs;
    } units[] = {
        {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    int64_t v = 0;
    size_t i;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > max) {
            return -1;
        }
        v = v * 10 + (*s - '0');
    }
    if (!*s) {
        return v;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (s[0] == units[i].unit && !s[1]) {
            return v * units[i].secs;
        }
    }
    return -1;
}

static const char *every(const char *s, charon_schedule_t *out, char *buf,
                         size_t len)
{
    char d[32];
    size_t n = 0;

    while (blank(*s)) {
        s++;
    }
    while (*s && !blank(*s) && n < sizeof(d) - 1) {
        d[n++] = *s++;
    }
    d[n] = '\0';
    while (blank(*s)) {
        s++;
    }
    out->every = *s ? -1 : duration(d, CHARON_EVERY_MAX);
    if (out->every < CHARON_EVERY_MIN || out->every > CHARON_EVERY_MAX) {
        snprintf(buf, len,
                 "@every takes one duration from 1m to 366d, "
                 "such as 15m or 2h");
        return buf;
    }
    return NULL;
}

int charon_grace_parse(const char *text, int64_t *secs)
{
    int64_t v = text ? duration(text, CHARON_GRACE_MAX) : -1;

    if (v < CHARON_GRACE_MIN || v > CHARON_GRACE_MAX) {
        return 0;
    }
    *secs = v;
    return 1;
}

const char *charon_schedule_parse(const char *text, charon_schedule_t *out,
                                  char *buf, size_t len)
{
    const char *s = text ? text : "", *start[5], *end[5], *why;
    uint64_t bits[5];
    charon_civil_t c;
    size_t i;
    int k;

    memset(out, 0, sizeof(*out));
    while (blank(*s)) {
        s++;
    }
    if (!strncmp(s, "@every", 6) && (blank(s[6]) || !s[6])) {
        return every(s + 6, out, buf, len);
    }
    for (i = 0; *s == '@' && i < sizeof(nicknames) / sizeof(nicknames[0]);
         i++) {
        size_t nl = strlen(nicknames[i].nick);

        if (!strncmp(s, nicknames[i].nick, nl)) {
            const char *rest = s + nl;

            while (blank(*rest)) {
                rest++;
            }
            if (!*rest) {
                return charon_schedule_parse(nicknames[i].fields, out, buf,
                                             len);
            }
        }
    }
    for (k = 0; k < 5; k++) {
        while (blank(*s)) {
            s++;
        }
        start[k] = s;
        while (*s && !blank(*s)) {
            s++;
        }
        end[k] = s;
        if (start[k] == end[k]) {
            return usage;
        }
    }
    while (blank(*s)) {
        s++;
    }
    if (*s) {
        return usage;
    }
    for (k = 0; k < 5; k++) {
        if ((why = field(&fields[k], start[k], end[k], &bits[k], buf, len))) {
            return why;
        }
    }
    out->minutes = bits[0];
    out->hours = (uint32_t)bits[1];
    out->days = (uint32_t)bits[2];
    out->months = (uint16_t)bits[3];
    out->weekdays = (uint8_t)bits[4];
    out->dom_star = *start[2] == '*';
    out->dow_star = *start[4] == '*';
    out->fixed = *start[0] != '*' && *start[1] != '*';
    /* A 28-year span holds every date on every weekday. */
    c.year = 2000;
    c.month = 1;
    c.day = 1;
    c.hour = c.minute = 0;
    if (!charon_schedule_next_local(out, &c, 2000 + 28)) {
        snprintf(buf, len, "this schedule never happens (no such date)");
        return buf;
    }
    return NULL;
}

/* ---- the local times a schedule names -------------------------------- */

/* The lowest bit of bits at or above from (below 64), or -1. */
static int next_bit(uint64_t bits, int from)
{
    for (; from < 64; from++) {
        if (bits >> from & 1) {
            return from;
        }
    }
    return -1;
}

static int day_matches(const charon_schedule_t *s, const charon_civil_t *c)
{
    int dom = s->days >> c->day & 1;
    int dow =
        s->weekdays >> charon_civil_weekday(c->year, c->month, c->day) & 1;

    return s->dom_star || s->dow_star ? dom && dow : dom || dow;
}

/* c at the start of the next day (hour and minute 0). */
static void next_day(charon_civil_t *c)
{
    c->hour = c->minute = 0;
    if (++c->day > charon_civil_days_in_month(c->year, c->month)) {
        c->day = 1;
        if (++c->month > 12) {
            c->month = 1;
            c->year++;
        }
    }
}

int charon_schedule_next_local(const charon_schedule_t *s, charon_civil_t *c,
                               int last_year)
{
    int h, m;

    charon_civil_from_minutes(charon_civil_minutes(c) + 1, c);
    while (c->year <= last_year) {
        if (!(s->months >> c->month & 1)) {
            c->day = charon_civil_days_in_month(c->year, c->month);
            next_day(c);
            continue;
        }
        if (!day_matches(s, c)) {
            next_day(c);
            continue;
        }
        if ((h = next_bit(s->hours, c->hour)) < 0 || h > 23) {
            next_day(c);
            continue;
        }
        if (h > c->hour) {
            c->hour = h;
            c->minute = 0;
        }
        if ((m = next_bit(s->minutes, c->minute)) < 0 || m > 59) {
            c->minute = 0;
            if (++c->hour > 23) {
                next_day(c);
            }
            continue;
        }
        c->minute = m;
        return 1;
    }
    return 0;
}
