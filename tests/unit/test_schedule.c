/*
 * test_schedule.c: the schedule parser (src/lib/schedule.c) on valid and
 * invalid forms and every field's limits, the slots (src/lib/slots.c)
 * against golden tables across daylight saving time (golden_slots.h,
 * written by an independent brute-force oracle over Python's zoneinfo),
 * and the civil calendar (src/lib/civil.c).
 */
#include "test.h"

#include "lib/civil.h"

static int parses(const char *text, charon_schedule_t *s)
{
    char buf[256];

    return charon_schedule_parse(text, s, buf, sizeof(buf)) == NULL;
}

static const char *refusal(const char *text)
{
    static char buf[256];
    charon_schedule_t s;
    const char *why = charon_schedule_parse(text, &s, buf, sizeof(buf));

    return why ? why : "(accepted)";
}

#define OK(text) CHECK(parses(text, &s), "%s refused: %s", text, refusal(text))
#define BAD(text, part)                                     \
    CHECK(!parses(text, &s) && strstr(refusal(text), part), \
          "%s: %s (wanted \"%s\")", text, refusal(text), part)

static void test_parse(void)
{
    charon_schedule_t s;

    OK("* * * * *");
    CHECK(s.minutes == ((uint64_t)1 << 60) - 1 && s.hours == (1u << 24) - 1
              && s.days == 0xFFFFFFFEu && s.months == 0x1FFE
              && s.weekdays == 0x7F && s.dom_star && s.dow_star && !s.fixed
              && s.every == 0,
          "every field of * * * * *");
    OK("0 0 1 1 0");
    CHECK(s.minutes == 1 && s.hours == 1 && s.days == 2 && s.months == 2
              && s.weekdays == 1 && s.fixed && !s.dom_star && !s.dow_star,
          "0 0 1 1 0");
    OK("59 23 31 12 7");
    CHECK(s.minutes == (uint64_t)1 << 59 && s.hours == 1u << 23
              && s.days == 1u << 31 && s.months == 1u << 12 && s.weekdays == 1,
          "the upper limits; 7 is Sunday");
    OK("*/15 1-5/2 1,15 jan-mar MON-fri");
    CHECK(s.minutes == (1 | 1 << 15 | (uint64_t)1 << 30 | (uint64_t)1 << 45)
              && s.hours == (1 << 1 | 1 << 3 | 1 << 5)
              && s.days == (1 << 1 | 1 << 15) && s.months == 0xE
              && s.weekdays == 0x3E && !s.fixed && s.dow_star == 0,
          "steps, ranges, lists and names");
    OK("0 12 * * sun,7");
    CHECK(s.weekdays == 1, "sun and 7 are one day");
    OK("5-7 0 * * 5-7");
    CHECK(s.weekdays == (1 | 1 << 5 | 1 << 6), "5-7 is Friday to Sunday");
    OK("  30\t2 * * *  ");
    CHECK(s.fixed, "blanks around and between");
    OK("*/5 2 * * *");
    CHECK(!s.fixed, "a minute field starting with * is a wildcard");
    OK("0 */2 * * *");
    CHECK(!s.fixed, "an hour field starting with * is a wildcard");
    OK("0-59 2 * * *");
    CHECK(s.fixed, "0-59 does not start with *");
    OK("0 0 */2 * mon");
    CHECK(s.dom_star && !s.dow_star, "*/2 starts with *");
    OK("*/60 * * * *");
    CHECK(s.minutes == 1, "a step as long as the range");
    OK("0059 0023 0031 0012 0007");
    CHECK(s.minutes == (uint64_t)1 << 59 && s.hours == 1u << 23
              && s.days == 1u << 31 && s.months == 1u << 12 && s.weekdays == 1,
          "numbers of four digits, leading zeros (five are refused)");

    OK("@hourly");
    CHECK(s.minutes == 1 && s.hours == (1u << 24) - 1 && !s.fixed,
          "@hourly is 0 * * * *");
    OK("@daily");
    CHECK(s.minutes == 1 && s.hours == 1 && s.fixed, "@daily is 0 0 * * *");
    OK("@midnight");
    OK("@weekly");
    CHECK(s.weekdays == 1 && !s.dow_star, "@weekly is on Sunday");
    OK("@monthly");
    CHECK(s.days == 2, "@monthly is on the first");
    OK("@yearly");
    CHECK(s.days == 2 && s.months == 2, "@yearly is on January 1st");
    OK("@annually");
    OK("@every 15m");
    CHECK(s.every == 900, "@every 15m");
    OK("@every 1m");
    OK("@every 366d");
    OK("@every 2h ");
    CHECK(s.every == 7200, "@every 2h");
    OK("@every 90");
    CHECK(s.every == 90, "@every 90 (seconds)");

    BAD("", "five fields");
    BAD("* * * *", "five fields");
    BAD("* * * * * *", "five fields");
    BAD("* * * * * /bin/true", "five fields");
    BAD("60 * * * *", "minute field");
    BAD("-1 * * * *", "minute field");
    BAD("* 24 * * *", "hour field");
    BAD("* * 0 * *", "day of month field");
    BAD("* * 32 * *", "day of month field");
    BAD("* * * 0 *", "month field");
    BAD("* * * 13 *", "month field");
    BAD("* * * * 8", "day of week field");
    BAD("* * * foo *", "month field");
    BAD("* * * * mo", "day of week field");
    BAD("* * * * sunday", "day of week field");
    BAD("* 5-1 * * *", "hour field");
    BAD("*/0 * * * *", "step");
    BAD("*/61 * * * *", "step");
    BAD("5/10 * * * *", "a step goes after * or a range");
    BAD("1,,2 * * * *", "empty element");
    BAD(",1 * * * *", "empty element");
    BAD("1, * * * *", "empty element");
    BAD("*/ * * * *", "step");
    BAD("1-* * * * *", "minute field");
    BAD("** * * * *", "minute field");
    BAD("00001 * * * *", "minute field");
    BAD("0 0 30 2 *", "never happens");
    BAD("0 0 31 4,6,9,11 *", "never happens");
    BAD("@reboot", "five fields");
    BAD("@hourly x", "five fields");
    BAD("@HOURLY", "five fields");
    BAD("@every", "@every takes");
    BAD("@every 30s", "@every takes");
    BAD("@every 367d", "@every takes");
    BAD("@every 15 m", "@every takes");
    BAD("@every 15x", "@every takes");
    BAD("@every -5m", "@every takes");
    BAD("@every 99999999999999999999m", "@every takes");
}

static void test_civil(void)
{
    charon_civil_t c, back;
    int64_t m;
    int y, mo, d;

    CHECK(charon_civil_days(1970, 1, 1) == 0, "the epoch");
    CHECK(charon_civil_days(2000, 3, 1) == 11017, "2000-03-01");
    CHECK(charon_civil_days(1969, 12, 31) == -1, "before the epoch");
    CHECK(charon_civil_weekday(2026, 12, 7) == 1, "2026-12-07 is a Monday");
    CHECK(charon_civil_weekday(1969, 12, 28) == 0, "1969-12-28, a Sunday");
    CHECK(charon_civil_days_in_month(2024, 2) == 29
              && charon_civil_days_in_month(2100, 2) == 28
              && charon_civil_days_in_month(2000, 2) == 29,
          "February in leap and common years");
    for (m = -1000000; m < 60000000; m += 999983) {
        charon_civil_from_minutes(m, &c);
        back = c;
        CHECK(charon_civil_minutes(&back) == m, "minutes %lld round trip",
              (long long)m);
    }
    charon_civil_from_days(charon_civil_days(2011, 12, 30), &y, &mo, &d);
    CHECK(y == 2011 && mo == 12 && d == 30, "a day count round trip");
}

/* The golden tables: each case's slots, one after the other. */
typedef struct {
    const char *zone, *schedule;
    int64_t from;
    const char *want[12];
    int n;
} golden_t;

#define GOLDEN(zone, sched, from, ...) {zone, sched, from, __VA_ARGS__},
static const golden_t golden[] = {
#include "golden_slots.h"
};

static void test_golden(void)
{
    size_t i;
    int k;

    for (i = 0; i < N_ELEMS(golden); i++) {
        const golden_t *g = &golden[i];
        charon_schedule_t s;
        charon_zone_t *z;
        const char *why;
        int64_t t = g->from, slot;
        char iso[CHARON_ISO_LEN];

        if (!parses(g->schedule, &s)
            || !(z = charon_zone_open(g->zone, &why))) {
            CHECK(0, "%s in %s: not parsed or no zone", g->schedule, g->zone);
            continue;
        }
        for (k = 0; k < g->n; k++) {
            if (!charon_schedule_next(&s, z, t, &slot)) {
                CHECK(0, "%s in %s: no slot after %s", g->schedule, g->zone,
                      charon_iso_utc(t, iso));
                break;
            }
            CHECK(streq(charon_iso_utc(slot, iso), g->want[k]),
                  "%s in %s, slot %d: %s, not %s", g->schedule, g->zone, k,
                  iso, g->want[k]);
            t = slot;
        }
        charon_zone_close(z);
    }
}

static void test_zones(void)
{
    charon_schedule_t s;
    charon_zone_t *z;
    charon_local_t l;
    const char *why;
    char iso[CHARON_ISO_LEN];
    int64_t slot;

    CHECK((z = charon_zone_open(NULL, &why)) != NULL, "no zone is UTC");
    CHECK(z && streq(charon_zone_name(z), "Etc/UTC"), "UTC's name: %s",
          z ? charon_zone_name(z) : "");
    charon_zone_close(z);
    z = charon_zone_open("Asia/Kolkata", &why);
    CHECK(z && charon_zone_local(z, 0, &l) && l.offset == 19800
              && streq(charon_iso_local(&l, iso), "1970-01-01 05:30 +05:30"),
          "Kolkata's offset: %s", iso);
    charon_zone_close(z);
    CHECK(!charon_zone_open("Mars/Olympus", &why), "an unknown zone");
    CHECK(!charon_zone_open("Europe/Paris; rm -rf /", &why),
          "a name with other characters");
    CHECK(!charon_zone_open("../../etc/passwd", &why), "a path");
    CHECK(!charon_zone_open("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                            "xxxxxxxxxxxxxxxxxxxxxxx",
                            &why),
          "a name too long");
    /* @every counts from the epoch, whatever the zone. */
    parses("@every 15m", &s);
    z = charon_zone_open("Australia/Lord_Howe", &why);
    CHECK(z && charon_schedule_next(&s, z, 1000, &slot) && slot == 1800,
          "@every 15m after 1000 s is 1800");
    CHECK(z && charon_schedule_next(&s, z, 1800, &slot) && slot == 2700,
          "strictly after a slot");
    CHECK(z && charon_schedule_next(&s, z, -1, &slot) && slot == 0,
          "before the epoch");
    charon_zone_close(z);
    CHECK(streq(charon_iso_utc(-1, iso), "1969-12-31T23:59:59Z"),
          "before the epoch, ISO: %s", iso);
}

/* charon_iso_offset, against Python's isoformat() of the same instants
 * (zoneinfo, the system's tz database): whole offsets, negative ones, and
 * the local mean times whose offsets have seconds. */
static void test_iso_offset(void)
{
    static const struct {
        const char *zone;
        int64_t t;
        const char *want;
    } cases[] = {
        {"Europe/Paris", 1774746000, "2026-03-29T03:00:00+02:00"},
        {"Europe/Paris", -2208988800, "1900-01-01T00:09:21+00:09:21"},
        {"America/New_York", -2808604800, "1880-12-30T19:03:58-04:56:02"},
        {"America/New_York", 1767225600, "2025-12-31T19:00:00-05:00"},
        {"Asia/Kolkata", 0, "1970-01-01T05:30:00+05:30"},
        {"UTC", 0, "1970-01-01T00:00:00+00:00"},
    };
    size_t i;

    for (i = 0; i < N_ELEMS(cases); i++) {
        const char *why;
        charon_zone_t *z = charon_zone_open(cases[i].zone, &why);
        charon_local_t l;
        char iso[CHARON_ISO_LEN] = "";

        CHECK(z && charon_zone_local(z, cases[i].t, &l)
                  && streq(charon_iso_offset(&l, iso), cases[i].want),
              "%s at %lld: %s, not %s", cases[i].zone, (long long)cases[i].t,
              iso, cases[i].want);
        charon_zone_close(z);
    }
}

static void test_grace(void)
{
    static const struct {
        const char *text;
        int64_t want; /* 0: refused */
    } cases[] = {
        {"1", 1},
        {"600", 600},
        {"90s", 90},
        {"10m", 600},
        {"2h", 7200},
        {"1d", 86400},
        {"2w", 1209600},
        {"366d", 31622400},
        {"31622400", 31622400},
        {"0000600", 600},
        {"0", 0},
        {"0s", 0},
        {"31622401", 0},
        {"367d", 0},
        {"53w", 0},
        {"99999999999999999999", 0},
        {"9999999999w", 0},
        {"", 0},
        {"m", 0},
        {"10M", 0},
        {"10 m", 0},
        {" 10m", 0},
        {"10m ", 0},
        {"10mm", 0},
        {"1h30m", 0},
        {"-5", 0},
        {"+5", 0},
        {"1.5h", 0},
        {"0x10", 0},
    };
    size_t i;
    int64_t v;

    for (i = 0; i < N_ELEMS(cases); i++) {
        v = -7;
        if (cases[i].want) {
            CHECK(charon_grace_parse(cases[i].text, &v) && v == cases[i].want,
                  "grace '%s': %lld, not %lld", cases[i].text, (long long)v,
                  (long long)cases[i].want);
        }
        else {
            CHECK(!charon_grace_parse(cases[i].text, &v) && v == -7,
                  "grace '%s' accepted (%lld) or written", cases[i].text,
                  (long long)v);
        }
    }
    CHECK(!charon_grace_parse(NULL, &v), "no grace");
}

void test_schedule(void)
{
    test_parse();
    test_civil();
    test_golden();
    test_zones();
    test_iso_offset();
    test_grace();
}
