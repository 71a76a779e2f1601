/*
 * schedule_ref.h: a cron grammar and a calendar written here, independent
 * of src/lib/schedule.c and civil.c, for fuzz_schedule.c to judge the
 * module's schedules by: the five fields of Debian's cron, the nicknames
 * and @every recognized from their description; leap years, weekdays and
 * day counts by plain counting.  Static functions, as fuzz.h's and
 * json_ref.h's: each harness is one translation unit.
 */
#ifndef CHARON_SCHEDULE_REF_H
#define CHARON_SCHEDULE_REF_H

#include "fuzz.h"

/* ---- a calendar of this file ------------------------------------------ */

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Sakamoto's: 0..6, Sunday 0. */
static int weekday(int y, int m, int d)
{
    static const int t[12] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3)
        y--;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

/* Days since 1970-01-01 by counting years and months (slow and plain). */
static int64_t days_of(int y, int m, int d)
{
    int64_t n = 0;
    int k;
    for (k = 1970; k < y; k++)
        n += leap(k) ? 366 : 365;
    for (k = 1970; k > y; k--)
        n -= leap(k - 1) ? 366 : 365;
    for (k = 1; k < m; k++)
        n += month_days(y, k);
    return n + d - 1;
}

/* ---- the grammar, recognized here ------------------------------------- */

typedef struct {
    uint64_t bits[5];
    int star[5]; /* the field's text starts with '*' */
    int64_t every;
} ref_t;

static const struct {
    int low, high;
} lim[5] = {{0, 59}, {0, 23}, {1, 31}, {1, 12}, {0, 7}};

static const char *const ref_months[12] = {"jan", "feb", "mar", "apr",
                                           "may", "jun", "jul", "aug",
                                           "sep", "oct", "nov", "dec"};
static const char *const ref_days[7] = {"sun", "mon", "tue", "wed",
                                        "thu", "fri", "sat"};

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* 1 to 4 digits, or a name of the field (3 letters, any case): the
 * value, or -1. */
static int ref_atom(int f, const char *s, size_t n)
{
    size_t i;
    int v = 0;

    if (n >= 1 && n <= 4 && strspn(s, "0123456789") >= n) {
        for (i = 0; i < n; i++)
            v = v * 10 + (s[i] - '0');
        return v;
    }
    if (n == 3 && (f == 3 || f == 4)) {
        const char *const *names = f == 3 ? ref_months : ref_days;
        int count = f == 3 ? 12 : 7;
        for (v = 0; v < count; v++)
            if (lower(s[0]) == names[v][0] && lower(s[1]) == names[v][1]
                && lower(s[2]) == names[v][2])
                return f == 3 ? v + 1 : v;
    }
    return -1;
}

/* ELEMENT = ("*" | ATOM | ATOM "-" ATOM) ["/" DIGITS], no step after a
 * lone ATOM. */
static int ref_element(int f, const char *s, size_t n, uint64_t *bits)
{
    const char *slash = memchr(s, '/', n);
    size_t head = slash ? (size_t)(slash - s) : n, i;
    int high = lim[f].high == 7 ? 6 : lim[f].high;
    int64_t from, to, step = 1, v;

    if (slash) {
        if (head + 1 == n)
            return 0;
        step = 0;
        for (i = head + 1; i < n; i++) {
            if (s[i] < '0' || s[i] > '9')
                return 0;
            if (step < 100000)
                step = step * 10 + (s[i] - '0');
        }
        if (step < 1 || step > lim[f].high - lim[f].low + 1)
            return 0;
    }
    if (head == 1 && s[0] == '*') {
        from = lim[f].low;
        to = high;
    }
    else {
        const char *dash = memchr(s, '-', head);
        if (!dash) {
            if (slash)
                return 0;
            from = to = ref_atom(f, s, head);
        }
        else {
            from = ref_atom(f, s, (size_t)(dash - s));
            to = ref_atom(f, dash + 1, head - (size_t)(dash - s) - 1);
        }
        if (from < 0 || to < 0 || from < lim[f].low || to > lim[f].high
            || from > to)
            return 0;
    }
    for (v = from; v <= to; v += step)
        *bits |= (uint64_t)1 << (f == 4 && v == 7 ? 0 : v);
    return 1;
}

/* The date y-m-d is one the fields name: its month, and its day of
 * month and day of week both when either field starts with '*', else
 * either. */
static int ref_day(const ref_t *r, int y, int m, int d)
{
    int dom = (int)(r->bits[2] >> d & 1);
    int dow = (int)(r->bits[4] >> weekday(y, m, d) & 1);
    int day = r->star[2] || r->star[4] ? dom && dow : dom || dow;

    return (r->bits[3] >> m & 1) && day;
}

/* The local time y-m-d h:mi is one the fields name. */
static int ref_matches(const ref_t *r, int y, int m, int d, int h, int mi)
{
    return (r->bits[0] >> mi & 1) && (r->bits[1] >> h & 1)
           && ref_day(r, y, m, d);
}

/* Some day of a 28-year cycle (every date on every weekday; no century
 * year without a leap day in 2000..2027) is one the fields name (every
 * field has a value, so that day has a time too). */
static int ref_ever(const ref_t *r)
{
    int y, m, d;
    for (y = 2000; y < 2028; y++)
        for (m = 1; m <= 12; m++)
            for (d = 1; d <= month_days(y, m); d++)
                if (ref_day(r, y, m, d))
                    return 1;
    return 0;
}

/* "15m", "90": seconds, or -1 (no bound but 64 bits). */
static int64_t ref_duration(const char *s, size_t n)
{
    static const char units[] = "smhdw";
    static const int64_t secs[] = {1, 60, 3600, 86400, 604800};
    int64_t v = 0, mult = 1;
    size_t i, digits = n;

    if (n && s[n - 1] && strchr(units, s[n - 1])) {
        mult = secs[strchr(units, s[n - 1]) - units];
        digits = n - 1;
    }
    if (!digits)
        return -1;
    for (i = 0; i < digits; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (v > INT64_MAX / 10 / 604800)
            return -1; /* out of every range anyway */
        v = v * 10 + (s[i] - '0');
    }
    return v * mult;
}

/* Fills r; 1 when the grammar takes text. */
static int ref_parse(const char *text, ref_t *r)
{
    static const struct {
        const char *nick, *fields;
    } nicks[] = {
        {"@hourly", "0 * * * *"},   {"@daily", "0 0 * * *"},
        {"@midnight", "0 0 * * *"}, {"@weekly", "0 0 * * 0"},
        {"@monthly", "0 0 1 * *"},  {"@yearly", "0 0 1 1 *"},
        {"@annually", "0 0 1 1 *"},
    };
    const char *s = text, *end;
    size_t i, n;
    int f;

    memset(r, 0, sizeof(*r));
    while (is_blank(*s))
        s++;
    end = s + strlen(s);
    while (end > s && is_blank(end[-1]))
        end--;
    n = (size_t)(end - s);
    if (n >= 6 && !strncmp(s, "@every", 6) && (n == 6 || is_blank(s[6]))) {
        const char *d = s + 6;
        while (d < end && is_blank(*d))
            d++;
        /* one word, which the module reads up to 31 bytes of */
        for (i = 0; d + i < end; i++)
            if (is_blank(d[i]))
                return 0;
        r->every = i <= 31 ? ref_duration(d, i) : -1;
        return r->every >= 60 && r->every <= 366 * 86400;
    }
    for (i = 0; i < sizeof(nicks) / sizeof(nicks[0]); i++)
        if (n == strlen(nicks[i].nick) && !strncmp(s, nicks[i].nick, n))
            return ref_parse(nicks[i].fields, r);
    for (f = 0; f < 5; f++) {
        const char *a = s, *b, *e;
        while (a < end && is_blank(*a))
            a++;
        for (b = a; b < end && !is_blank(*b); b++)
            ;
        if (a == b)
            return 0;
        r->star[f] = *a == '*';
        for (e = a; e <= b; e++) {
            const char *comma = memchr(e, ',', (size_t)(b - e));
            const char *stop = comma ? comma : b;
            if (stop == e
                || !ref_element(f, e, (size_t)(stop - e), &r->bits[f]))
                return 0;
            e = stop;
        }
        s = b;
    }
    while (s < end && is_blank(*s))
        s++;
    if (s != end)
        return 0;
    return ref_ever(r);
}

#endif
