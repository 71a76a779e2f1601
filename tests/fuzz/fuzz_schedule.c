/*
 * fuzz_schedule.c: charon_schedule_parse and, for the schedules it takes,
 * charon_schedule_next in UTC and in one zone with daylight saving time
 * (with charon_zone_local, charon_iso_utc and charon_iso_offset); also
 * charon_grace_parse and charon_zone_open.
 *
 * Input: the schedule, as text up to the first NUL byte.  After the NUL,
 * each optional: 8 bytes that pick the instant to start from (1973 to
 * 2098), 1 byte the zone, 2 bytes the instants between slots that are
 * tried, then text used as a grace and as a zone name.  Without them the
 * instant and the zone follow from the schedule's length, among instants
 * next to transitions (Paris, Apia's lost day, Sao Paulo's midnight).
 *
 * Checked against oracles of its own (the grammar and the calendar in
 * schedule_ref.h, the rest here):
 *   - the grammar (Debian cron's five fields, the nicknames, @every) by a
 *     recognizer of its own: the same schedules accepted, the same bits
 *     for each field, the same star flags, and "never happens" decided by
 *     walking every day of a 28-year cycle; a refusal is a non-empty
 *     sentence, printable when the schedule is;
 *   - a schedule accepted, written back as five fields of plain numbers,
 *     ranges, names, "*" or "* / n" (the style picked by the input), parses
 *     to the same schedule; @every written back likewise;
 *   - slots: strictly increasing, on a whole minute; @every's are the
 *     multiples of its duration; a slot's local time (charon_zone_local)
 *     matches the fields, and a fixed-time schedule's slot is no second
 *     copy of a repeated time, unless the slot ends a gap (the offset
 *     grows at that instant) and the schedule is fixed-time; from any
 *     instant between two slots (the last second before a slot, one the
 *     input picks) the next slot is the same; when slots are at most 3
 *     hours apart, no minute between them matches (but second copies, for
 *     fixed-time schedules);
 *   - charon_iso_utc and charon_iso_offset read back (by sscanf and
 *     schedule_ref.h's day count) give the slot;
 *   - charon_grace_parse: digits with at most one of s m h d w after them,
 *     1 s to 366 days;
 *   - charon_zone_open refuses names with characters outside
 *     [A-Za-z0-9/_+-] or of 64 bytes and more; a zone it opens has a
 *     printable canonical name and a local time.
 */
#include "fuzz.h"
#include "schedule_ref.h"

#include <inttypes.h>

#define STEPS     6
#define MAX_GAP   (3 * 3600) /* brute force between slots this close */
#define T_LOW     94694400   /* 1973-01-01: whole-minute offsets since */
#define T_HIGH    4070908800 /* 2099-01-01 */
#define NAME_MAX_ 64

static const char *const zone_names[] = {
    "Europe/Paris",      "America/New_York", "Australia/Lord_Howe",
    "America/Sao_Paulo", "Pacific/Apia",     "Asia/Kathmandu",
    "Africa/Casablanca", "Antarctica/Troll", "Europe/Dublin",
    "America/St_Johns",  "Asia/Tehran",      "Pacific/Chatham",
    "America/Havana",    "Europe/Moscow",    "Australia/Adelaide",
    "America/Santiago",
};
#define N_ZONES (sizeof(zone_names) / sizeof(zone_names[0]))

/* Instants next to transitions, for inputs that give none. */
static const int64_t default_after[] = {
    1774656000, /* 2026-03-28, Paris springs forward the next night */
    1792800000, /* 2026-10-24, and falls back */
    1325116800, /* 2011-12-29, Apia loses December 30th */
    1541203200, /* 2018-11-03, Sao Paulo skips midnight */
    1775304000, /* 2026-04-04 12:00, Lord Howe's half hour back */
    1767225600, /* 2026-01-01 */
};
#define N_AFTER (sizeof(default_after) / sizeof(default_after[0]))

static charon_zone_t *utc, *zones[N_ZONES];

/* ---- a schedule written back ------------------------------------------ */

static void put(char *buf, size_t *n, size_t cap, const char *text)
{
    size_t l = strlen(text);
    FUZZ_CHECK(*n + l < cap, "written back: too long");
    memcpy(buf + *n, text, l + 1);
    *n += l;
}

static void put_value(char *buf, size_t *n, size_t cap, int f, int v,
                      unsigned style)
{
    char t[8];
    if (style & 1 && f == 3)
        snprintf(t, sizeof(t), "%s", ref_months[v - 1]);
    else if (style & 1 && f == 4)
        snprintf(t, sizeof(t), "%s", ref_days[v]);
    else if (style & 4 && f == 4 && v == 0)
        snprintf(t, sizeof(t), "7");
    else
        snprintf(t, sizeof(t), "%d", v);
    if (style & 8)
        for (char *p = t; *p; p++)
            if (*p >= 'a' && *p <= 'z')
                *p = (char)(*p - 'a' + 'A');
    put(buf, n, cap, t);
}

/* One field from its bits: "*", "* / n,a,b" (n selecting the lowest
 * value only), or values and ranges. */
static void put_field(char *buf, size_t *n, size_t cap, int f, uint64_t bits,
                      int star, unsigned style)
{
    int low = lim[f].low, high = lim[f].high == 7 ? 6 : lim[f].high, v;
    uint64_t full = 0;
    char t[16];
    int first = 1;

    for (v = low; v <= high; v++)
        full |= (uint64_t)1 << v;
    FUZZ_CHECK((bits & ~full) == 0 && bits, "field %d: bits %" PRIx64, f,
               bits);
    if (star) {
        /* A field starting with '*' always holds its lowest value. */
        FUZZ_CHECK(bits >> low & 1, "field %d starts with * but lacks %d", f,
                   low);
        if (bits == full) {
            put(buf, n, cap, "*");
            return;
        }
        snprintf(t, sizeof(t), "*/%d", lim[f].high - lim[f].low + 1);
        put(buf, n, cap, t);
        first = 0;
        bits &= ~((uint64_t)1 << low);
    }
    for (v = low; v <= high; v++) {
        int to = v;
        if (!(bits >> v & 1))
            continue;
        /* Sunday as 7 goes last, alone: "1-5,7" */
        if (style & 4 && f == 4 && v == 0 && !(style & 1)) {
            continue;
        }
        if (style & 2)
            while (to < high && bits >> (to + 1) & 1)
                to++;
        if (!first)
            put(buf, n, cap, ",");
        first = 0;
        put_value(buf, n, cap, f, v, style);
        if (to > v) {
            put(buf, n, cap, "-");
            put_value(buf, n, cap, f, to, style);
        }
        v = to;
    }
    if (style & 4 && f == 4 && !(style & 1) && bits & 1) {
        if (!first)
            put(buf, n, cap, ",");
        put(buf, n, cap, "7");
    }
}

static void same_schedule(const charon_schedule_t *a,
                          const charon_schedule_t *b, const char *text,
                          const char *again)
{
    FUZZ_CHECK(a->minutes == b->minutes && a->hours == b->hours
                   && a->days == b->days && a->months == b->months
                   && a->weekdays == b->weekdays && a->dom_star == b->dom_star
                   && a->dow_star == b->dow_star && a->fixed == b->fixed
                   && a->every == b->every,
               "\"%s\" written back as \"%s\" parses otherwise", text, again);
}

static void check_written_back(const char *text, const charon_schedule_t *s,
                               const ref_t *r, unsigned style)
{
    char buf[1024], why[256];
    size_t n = 0;
    charon_schedule_t again;
    const char *bad;
    int f;

    buf[0] = '\0';
    if (s->every) {
        static const int64_t unit[] = {604800, 86400, 3600, 60, 1};
        static const char name[] = "wdhms";
        int u = (int)(style % 6);
        while (u < 5 && s->every % unit[u])
            u++;
        if (u >= 5)
            snprintf(buf, sizeof(buf), "@every %" PRId64, s->every);
        else
            snprintf(buf, sizeof(buf), "@every %" PRId64 "%c",
                     s->every / unit[u], name[u]);
    }
    else {
        for (f = 0; f < 5; f++) {
            if (f)
                put(buf, &n, sizeof(buf), style & 16 ? "\t" : " ");
            put_field(buf, &n, sizeof(buf), f, r->bits[f], r->star[f], style);
        }
    }
    bad = charon_schedule_parse(buf, &again, why, sizeof(why));
    FUZZ_CHECK(bad == NULL, "\"%s\" written back as \"%s\": refused: %s", text,
               buf, bad);
    same_schedule(s, &again, text, buf);
}

/* ---- slots ------------------------------------------------------------- */

static int same_wall(const charon_local_t *a, const charon_local_t *b)
{
    return a->year == b->year && a->month == b->month && a->day == b->day
           && a->hour == b->hour && a->minute == b->minute
           && a->second == b->second;
}

static void local_of(charon_zone_t *z, int64_t t, charon_local_t *l)
{
    FUZZ_CHECK(charon_zone_local(z, t, l), "no local time for %" PRId64, t);
}

/* t's local time happened before already (an overlap's second copy):
 * the earlier copy had a larger offset, within the day before. */
static int second_copy(charon_zone_t *z, int64_t t)
{
    charon_local_t w, p, x;
    int h;

    local_of(z, t, &w);
    for (h = 1; h <= 26; h++) {
        local_of(z, t - (int64_t)h * 3600, &p);
        if (p.offset > w.offset) {
            local_of(z, t - (p.offset - w.offset), &x);
            if (same_wall(&x, &w))
                return 1;
        }
    }
    return 0;
}

static int wall_matches(const ref_t *r, const charon_local_t *l)
{
    return l->second == 0
           && ref_matches(r, l->year, l->month, l->day, l->hour, l->minute);
}

/* The ISO forms read back give t. */
static void check_iso(charon_zone_t *z, int64_t t)
{
    char utc[CHARON_ISO_LEN], loc[CHARON_ISO_LEN], sign;
    int y, mo, d, h, mi, s, oh, om, os = 0, got;
    charon_local_t l;
    int64_t back;

    charon_iso_utc(t, utc);
    got = sscanf(utc, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &d, &h, &mi, &s);
    back = days_of(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    FUZZ_CHECK(got == 6 && back == t && strlen(utc) == 20,
               "charon_iso_utc(%" PRId64 ") = %s", t, utc);
    local_of(z, t, &l);
    charon_iso_offset(&l, loc);
    got = sscanf(loc, "%4d-%2d-%2dT%2d:%2d:%2d%c%2d:%2d:%2d", &y, &mo, &d, &h,
                 &mi, &s, &sign, &oh, &om, &os);
    FUZZ_CHECK(got >= 9 && (sign == '+' || sign == '-'),
               "charon_iso_offset: %s", loc);
    back = days_of(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
           - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60 + os);
    FUZZ_CHECK(back == t && (got == 10) == (l.offset % 60 != 0),
               "charon_iso_offset of %" PRId64 " in %s: %s", t,
               charon_zone_name(z), loc);
}

static void check_slots(const char *text, const charon_schedule_t *s,
                        const ref_t *r, charon_zone_t *z, int64_t after,
                        unsigned pick)
{
    int64_t prev = after, slot, again, m;
    int k;

    for (k = 0; k < STEPS; k++) {
        charon_local_t l, before;
        if (!charon_schedule_next(s, z, prev, &slot)) {
            /* the module looks ten years ahead: only a five-field
             * schedule may have nothing there */
            FUZZ_CHECK(!s->every, "\"%s\": @every gave no slot", text);
            return;
        }
        FUZZ_CHECK(slot > prev,
                   "\"%s\" in %s: slot %" PRId64 " not after %" PRId64, text,
                   charon_zone_name(z), slot, prev);
        if (s->every) {
            int64_t k0 = prev / s->every - (prev % s->every < 0);
            FUZZ_CHECK(slot == (k0 + 1) * s->every,
                       "\"%s\": slot %" PRId64 " after %" PRId64, text, slot,
                       prev);
            prev = slot;
            continue;
        }
        FUZZ_CHECK(slot % 60 == 0,
                   "\"%s\" in %s: slot %" PRId64 " not on a minute", text,
                   charon_zone_name(z), slot);
        check_iso(z, slot);
        local_of(z, slot, &l);
        if (wall_matches(r, &l)) {
            FUZZ_CHECK(!s->fixed || !second_copy(z, slot),
                       "\"%s\" in %s: slot %" PRId64
                       " is the second copy of a repeated time",
                       text, charon_zone_name(z), slot);
        }
        else {
            /* only a fixed time in a gap runs at another local time: at
             * the gap's end, where the offset grows */
            local_of(z, slot - 1, &before);
            FUZZ_CHECK(s->fixed && before.offset < l.offset,
                       "\"%s\" in %s: slot %" PRId64 " (%04d-%02d-%02d "
                       "%02d:%02d:%02d) is not a time of the schedule",
                       text, charon_zone_name(z), slot, l.year, l.month, l.day,
                       l.hour, l.minute, l.second);
        }
        /* from any instant in [prev, slot), the same slot */
        FUZZ_CHECK(charon_schedule_next(s, z, slot - 1, &again)
                       && again == slot,
                   "\"%s\" in %s: from %" PRId64 ", %" PRId64 " not %" PRId64,
                   text, charon_zone_name(z), slot - 1, again, slot);
        m = prev + (int64_t)(pick * 2654435761u % (uint64_t)(slot - prev));
        FUZZ_CHECK(charon_schedule_next(s, z, m, &again) && again == slot,
                   "\"%s\" in %s: from %" PRId64 " (between %" PRId64
                   " and %" PRId64 "), %" PRId64,
                   text, charon_zone_name(z), m, prev, slot, again);
        if (slot - prev <= MAX_GAP) {
            for (m = (prev / 60 + 1) * 60; m < slot; m += 60) {
                charon_local_t w;
                local_of(z, m, &w);
                FUZZ_CHECK(!wall_matches(r, &w)
                               || (s->fixed && second_copy(z, m)),
                           "\"%s\" in %s: %" PRId64 " matches, between "
                           "slots %" PRId64 " and %" PRId64,
                           text, charon_zone_name(z), m, prev, slot);
            }
        }
        prev = slot;
        pick = pick * 1103515245u + 12345u;
    }
}

/* ---- grace and zone names ---------------------------------------------- */

static void check_grace(const char *text)
{
    size_t n = strlen(text);
    int64_t want = ref_duration(text, n), got = -42;
    int ok = charon_grace_parse(text, &got);

    if (want < 1 || want > 31622400)
        FUZZ_CHECK(!ok && got == -42, "grace \"%s\" accepted: %" PRId64, text,
                   got);
    else
        FUZZ_CHECK(ok && got == want, "grace \"%s\": %d, %" PRId64, text, ok,
                   got);
}

static void check_zone_name(const char *name)
{
    const char *why = NULL;
    size_t n = strlen(name);
    charon_zone_t *z;
    charon_local_t l;

    if (!n)
        return;
    z = charon_zone_open(name, &why);
    if (n >= NAME_MAX_
        || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                        "0123456789/_+-")
               != n) {
        FUZZ_CHECK(!z && why && *why, "zone \"%s\" opened", name);
        return;
    }
    if (!z) {
        FUZZ_CHECK(why && *why && fuzz_printable(why), "zone \"%s\": no why",
                   name);
        return;
    }
    FUZZ_CHECK(*charon_zone_name(z) && fuzz_printable(charon_zone_name(z))
                   && strlen(charon_zone_name(z)) < NAME_MAX_,
               "zone \"%s\": name \"%s\"", name, charon_zone_name(z));
    FUZZ_CHECK(charon_zone_local(z, 1774656000, &l) && l.month == 3
                   && l.offset > -86400 && l.offset < 86400,
               "zone \"%s\": no sensible local time", name);
    charon_zone_close(z);
}

/* ---- the harness ------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *why;
    size_t i;

    (void)argc;
    (void)argv;
    fuzz_init();
    utc = charon_zone_open("UTC", &why);
    FUZZ_CHECK(utc != NULL, "UTC: %s", why);
    for (i = 0; i < N_ZONES; i++) {
        zones[i] = charon_zone_open(zone_names[i], &why);
        FUZZ_CHECK(zones[i] != NULL, "%s: %s", zone_names[i], why);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_str(data, size), why[256];
    size_t len = strlen(text), rest = len < size ? size - len - 1 : 0;
    const uint8_t *tail = data + (size - rest);
    charon_schedule_t s, again;
    const char *bad;
    ref_t r;
    int want, again_ok, printable = fuzz_printable(text);
    int64_t after = default_after[len % N_AFTER];
    unsigned zi = (unsigned)(len / N_AFTER % N_ZONES), pick = 77;
    unsigned style = (unsigned)len * 7u;

    if (rest >= 8) {
        uint64_t u;
        memcpy(&u, tail, 8);
        after = T_LOW + (int64_t)(u % (uint64_t)(T_HIGH - T_LOW));
        style = (unsigned)(u >> 40);
        tail += 8;
        rest -= 8;
    }
    if (rest >= 1) {
        zi = tail[0] % N_ZONES;
        tail++;
        rest--;
    }
    if (rest >= 2) {
        pick = (unsigned)tail[0] << 8 | tail[1];
        tail += 2;
        rest -= 2;
    }

    memset(why, 'x', sizeof(why));
    bad = charon_schedule_parse(text, &s, why, sizeof(why));
    want = ref_parse(text, &r);
    FUZZ_CHECK((bad == NULL) == want, "\"%s\": module %s, oracle %s", text,
               bad ? bad : "accepts", want ? "accepts" : "refuses");
    again_ok = charon_schedule_parse(text, &again, why, sizeof(why)) == NULL;
    FUZZ_CHECK(again_ok == !bad, "\"%s\": a second parse differs", text);
    check_grace(text);
    if (bad) {
        FUZZ_CHECK(*bad && strlen(bad) < 400, "\"%s\": empty refusal", text);
        FUZZ_CHECK(!printable || fuzz_printable(bad),
                   "\"%s\": refusal not printable: %s", text, bad);
    }
    else {
        same_schedule(&s, &again, text, text);
        if (r.every) {
            FUZZ_CHECK(s.every == r.every,
                       "\"%s\": every %" PRId64 ", oracle %" PRId64, text,
                       s.every, r.every);
        }
        else {
            FUZZ_CHECK(s.every == 0 && s.minutes == r.bits[0]
                           && s.hours == r.bits[1] && s.days == r.bits[2]
                           && s.months == r.bits[3] && s.weekdays == r.bits[4]
                           && s.dom_star == r.star[2]
                           && s.dow_star == r.star[4]
                           && s.fixed == (!r.star[0] && !r.star[1]),
                       "\"%s\": fields differ from the oracle's", text);
        }
        check_written_back(text, &s, &r, style);
        check_slots(text, &s, &r, utc, after, pick);
        check_slots(text, &s, &r, zones[zi], after, pick ^ 0x5555u);
    }

    if (rest) {
        char *extra = fuzz_str(tail, rest);
        check_grace(extra);
        check_zone_name(extra);
        free(extra);
    }
    free(text);
    apr_pool_clear(fuzz_pool);
    return 0;
}
