/*
 * test_schedule_view.c: what the manager says of a schedule
 * (src/lib/schedule_view.c): the state of a cron's slots from its
 * columns, and its next slots in a zone and in UTC.  The instants
 * expected were worked out by hand from the zone's rules (Europe/Paris
 * goes from 02:00 CET to 03:00 CEST on 2026-03-29) and checked with
 * Python's calendar.timegm, not with this code.
 */
#include "test.h"

typedef struct {
    const char *what;
    charon_sched_in_t in;
    charon_sched_state_e want;
    const char *why_has; /* a part of *why, or NULL for no why */
} state_case_t;

static void test_states(void)
{
    /* schedule, zone, on, watched, watch_error, last_state, due */
    static const state_case_t cases[] = {
        {"no schedule",
         {NULL, "UTC", 1, 0, NULL, NULL, 0},
         CHARON_SCHED_NONE,
         NULL},
        {"an empty schedule",
         {"", "UTC", 1, 1, NULL, "missed", 1},
         CHARON_SCHED_NONE,
         NULL},
        {"on time",
         {"@daily", "UTC", 1, 1, NULL, "ok", 0},
         CHARON_SCHED_ON_TIME,
         NULL},
        {"watched, nothing judged yet",
         {"@daily", "UTC", 1, 1, NULL, NULL, 0},
         CHARON_SCHED_ON_TIME,
         NULL},
        {"due",
         {"@daily", "UTC", 1, 1, NULL, "ok", 1},
         CHARON_SCHED_DUE,
         NULL},
        {"due beats an older miss",
         {"@daily", "UTC", 1, 1, NULL, "missed", 1},
         CHARON_SCHED_DUE,
         NULL},
        {"missed",
         {"@daily", "UTC", 1, 1, NULL, "missed", 0},
         CHARON_SCHED_MISSED,
         NULL},
        {"unknown",
         {"@daily", "UTC", 1, 1, NULL, "unknown", 0},
         CHARON_SCHED_UNKNOWN,
         NULL},
        {"not watched yet",
         {"@daily", "UTC", 1, 0, NULL, "missed", 1},
         CHARON_SCHED_NOT_WATCHED,
         NULL},
        {"off",
         {"@daily", "UTC", 0, 1, NULL, "missed", 1},
         CHARON_SCHED_OFF,
         NULL},
        {"a schedule that does not parse",
         {"61 * * * *", "UTC", 1, 1, NULL, "ok", 0},
         CHARON_SCHED_INVALID,
         "the schedule: "},
        {"a zone ICU does not know",
         {"@daily", "Mars/Olympus", 1, 1, NULL, "ok", 0},
         CHARON_SCHED_INVALID,
         "Mars/Olympus"},
        {"the watchdog's reason, for this schedule",
         {"@daily", "UTC", 1, 1, "no slot in ten years", "ok", 0},
         CHARON_SCHED_INVALID,
         "no slot in ten years"},
        {"the watchdog's reason even when off",
         {"@daily", "UTC", 0, 1, "broken", NULL, 0},
         CHARON_SCHED_INVALID,
         "broken"},
        {"an old reason, for another schedule",
         {"@daily", "UTC", 1, 0, "broken", NULL, 0},
         CHARON_SCHED_NOT_WATCHED,
         NULL},
        {"invalid even while off",
         {"@reboot", "UTC", 0, 0, NULL, NULL, 0},
         CHARON_SCHED_INVALID,
         "the schedule: "},
    };
    apr_size_t i;

    for (i = 0; i < N_ELEMS(cases); i++) {
        const state_case_t *c = &cases[i];
        const char *why = "poison";
        charon_sched_state_e got = charon_sched_state(pool, &c->in, &why);

        CHECK(got == c->want, "%s: state %s, not %s", c->what,
              charon_sched_state_name(got), charon_sched_state_name(c->want));
        CHECK(c->why_has ? why && strstr(why, c->why_has) != NULL : !why,
              "%s: why %s", c->what, show(why));
    }
    CHECK(
        streq(charon_sched_state_name(CHARON_SCHED_NOT_WATCHED), "not-watched")
            && streq(charon_sched_state_label(CHARON_SCHED_NOT_WATCHED),
                     "not watched yet")
            && streq(charon_sched_state_name(CHARON_SCHED_ON_TIME), "on-time")
            && streq(charon_sched_state_label(CHARON_SCHED_ON_TIME),
                     "on time"),
        "class names and words");
    CHECK(streq(charon_sched_state_name((charon_sched_state_e)99), "invalid"),
          "a state out of range is no index past the table");
}

static void slots_are(const char *schedule, const char *zone, int64_t after,
                      int n, const int64_t *at, const char *const *local,
                      const char *file, int line)
{
    charon_slot_view_t got[8];
    const char *why = NULL;
    char iso[CHARON_ISO_LEN];
    int k,
        count = charon_next_slots(pool, schedule, zone, after, n, got, &why);

    check_(count == n, file, line, "count", "%s in %s: %d slots (%s)",
           schedule, show(zone), count, show(why));
    for (k = 0; k < count && k < n; k++) {
        check_(
            got[k].at == at[k] && streq(got[k].utc, charon_iso_utc(at[k], iso))
                && streq(got[k].local, local[k]),
            file, line, "slot", "%s in %s, slot %d: %lld %s %s, not %lld %s",
            schedule, show(zone), k, (long long)got[k].at, got[k].utc,
            got[k].local, (long long)at[k], local[k]);
    }
}

static void test_next_slots(void)
{
    /* After 2026-03-27T12:00:00Z, across Paris's spring gap: 02:30 does
     * not exist on the 29th, so that day's slot is 03:00 CEST. */
    static const int64_t paris[] = {1774661400, 1774746000, 1774830600,
                                    1774917000, 1775003400};
    static const char *const paris_local[] = {
        "Sat 2026-03-28 02:30:00 +01:00", "Sun 2026-03-29 03:00:00 +02:00",
        "Mon 2026-03-30 02:30:00 +02:00", "Tue 2026-03-31 02:30:00 +02:00",
        "Wed 2026-04-01 02:30:00 +02:00"};
    /* @every 90s from the epoch, shown in Kolkata (+05:30), seconds kept. */
    static const int64_t every[] = {1080, 1170, 1260};
    static const char *const every_local[] = {
        "Thu 1970-01-01 05:48:00 +05:30", "Thu 1970-01-01 05:49:30 +05:30",
        "Thu 1970-01-01 05:51:00 +05:30"};
    /* NULL zone is UTC. */
    static const int64_t utc[] = {1774656000, 1774742400};
    static const char *const utc_local[] = {"Sat 2026-03-28 00:00:00 +00:00",
                                            "Sun 2026-03-29 00:00:00 +00:00"};
    charon_slot_view_t got[2];
    const char *why;

    slots_are("30 2 * * *", "Europe/Paris", 1774612800, 5, paris, paris_local,
              HERE);
    slots_are("@every 90s", "Asia/Kolkata", 1000, 3, every, every_local, HERE);
    slots_are("@daily", NULL, 1774612800, 2, utc, utc_local, HERE);
    /* Strictly after: a slot is not its own next. */
    slots_are("30 2 * * *", "Europe/Paris", 1774661400, 1, paris + 1,
              paris_local + 1, HERE);

    why = NULL;
    CHECK(charon_next_slots(pool, "0 25 * * *", "UTC", 0, 2, got, &why) == -1
              && why && strstr(why, "hour"),
          "a schedule that does not parse: -1 and why (%s)", show(why));
    why = NULL;
    CHECK(charon_next_slots(pool, "@daily", "Mars/Olympus", 0, 2, got, &why)
                  == -1
              && why && strstr(why, "time zone"),
          "a zone ICU does not know: -1 and why (%s)", show(why));
    why = NULL;
    CHECK(charon_next_slots(pool, NULL, "UTC", 0, 2, got, &why) == -1 && why,
          "no schedule: -1 and why");
    CHECK(charon_next_slots(pool, "@daily", "UTC", 0, 0, got, &why) == 0,
          "none asked, none given");
}

void test_schedule_view(void)
{
    test_states();
    test_next_slots();
}
