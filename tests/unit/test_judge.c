/*
 * test_judge.c: which slots the watchdog judges, which starts belong to
 * each, and what a slot without one comes to (src/lib/judge.c), with the
 * clock given: every case is a fixed time.
 */
#include "test.h"

/* 2026-12-07T10:00:00Z */
#define T10 1796637600LL
#define MIN 60LL

static charon_judge_in_t input(int64_t checked_until, int64_t now)
{
    charon_judge_in_t in;

    memset(&in, 0, sizeof(in));
    in.grace = 300;
    in.checked_until = checked_until;
    in.starts_until = checked_until - 300;
    in.now = now;
    in.off_seen = -1;
    in.interval = 60;
    return in;
}

static int judge(const char *sched, const char *zone,
                 const charon_judge_in_t *in, charon_judgment_t *out)
{
    charon_schedule_t s;
    charon_zone_t *z;
    const char *why;
    char buf[256];
    int ok;

    if (charon_schedule_parse(sched, &s, buf, sizeof(buf))
        || !(z = charon_zone_open(zone, &why))) {
        return 0;
    }
    ok = charon_judge(&s, z, in, out);
    charon_zone_close(z);
    return ok;
}

#define SLOT_IS(j, i, s, l, h, f)                                           \
    CHECK((j).n > (i) && (j).slots[i].slot == (s) && (j).slots[i].lo == (l) \
              && (j).slots[i].hi == (h) && (j).slots[i].fallback == (f),    \
          "slot %d: %lld [%lld, %lld] %d", i,                               \
          (long long)((j).n > (i) ? (j).slots[i].slot - T10 : -1),          \
          (long long)((j).n > (i) ? (j).slots[i].lo - T10 : -1),            \
          (long long)((j).n > (i) ? (j).slots[i].hi - T10 : -1),            \
          (j).n > (i) ? (j).slots[i].fallback : -1)

static void test_every_ten(void)
{
    charon_judge_in_t in = input(T10, T10 + 31 * MIN);
    charon_judgment_t j;

    /* Deadlines 10:05, 10:15, 10:25 are past at 10:31. */
    CHECK(judge("*/10 * * * *", "UTC", &in, &j) && j.n == 3, "3 slots: %d",
          j.n);
    SLOT_IS(j, 0, T10, T10 - MIN, T10 + 300, CHARON_SLOT_MISSED);
    SLOT_IS(j, 1, T10 + 10 * MIN, T10 + 9 * MIN, T10 + 15 * MIN,
            CHARON_SLOT_MISSED);
    SLOT_IS(j, 2, T10 + 20 * MIN, T10 + 19 * MIN, T10 + 25 * MIN,
            CHARON_SLOT_MISSED);
    CHECK(j.checked_until == T10 + 25 * MIN, "checked until 10:25");
    CHECK(j.starts_until == T10 + 25 * MIN + 1,
          "starts up to 10:25:00 are final: %lld",
          (long long)(j.starts_until - T10));
    CHECK(j.next_deadline == T10 + 35 * MIN, "next deadline 10:35");
    CHECK(j.next_slot == T10 + 40 * MIN, "next slot 10:40");

    /* The same tick again: nothing left to judge. */
    in = input(j.checked_until, T10 + 31 * MIN);
    in.starts_until = j.starts_until;
    CHECK(judge("*/10 * * * *", "UTC", &in, &j) && j.n == 0
              && j.checked_until == T10 + 25 * MIN
              && j.starts_until == T10 + 25 * MIN + 1,
          "judged once");
    /* A deadline exactly now is judged. */
    in.now = T10 + 35 * MIN;
    CHECK(judge("*/10 * * * *", "UTC", &in, &j) && j.n == 1
              && j.slots[0].slot == T10 + 30 * MIN,
          "the 10:30 slot at 10:35");
}

static void test_overlap(void)
{
    charon_judge_in_t in = input(T10 + 5 * MIN, T10 + 8 * MIN);
    charon_judgment_t j;
    int ok;

    /* Every minute, grace 5 min: the windows overlap; each slot takes the
     * starts nearer to it, the earlier one on a tie. */
    ok = judge("* * * * *", "UTC", &in, &j);
    CHECK(ok && j.n == 3, "3 slots: %d", j.n);
    SLOT_IS(j, 0, T10 + MIN, T10, T10 + MIN + 30, CHARON_SLOT_MISSED);
    SLOT_IS(j, 1, T10 + 2 * MIN, T10 + MIN, T10 + 2 * MIN + 30,
            CHARON_SLOT_MISSED);
    SLOT_IS(j, 2, T10 + 3 * MIN, T10 + 2 * MIN, T10 + 3 * MIN + 30,
            CHARON_SLOT_MISSED);
    CHECK(j.starts_until == T10 + 3 * MIN + 31, "final up to 10:03:30");

    /* Every 7 min, grace 5 min: the windows do not meet, each keeps its
     * grace; with a grace of 6 min they meet at slot + 6 min, which is
     * nearer to the next slot. */
    in = input(T10, T10 + 14 * MIN);
    ok = judge("@every 7m", "UTC", &in, &j);
    CHECK(ok && j.n >= 1 && j.slots[0].hi == j.slots[0].slot + 5 * MIN,
          "windows apart keep their grace");
    in.grace = 6 * MIN;
    ok = judge("@every 7m", "UTC", &in, &j);
    CHECK(ok && j.n >= 1 && j.slots[0].hi == j.slots[0].slot + 6 * MIN - 1,
          "the second where they meet goes to the nearer slot");
}

static void test_off_and_outage(void)
{
    charon_judge_in_t in = input(T10, T10 + 31 * MIN);
    charon_judgment_t j;

    in.off_seen = T10 + 15 * MIN;
    judge("*/10 * * * *", "UTC", &in, &j);
    CHECK(j.n == 3 && j.slots[0].fallback == CHARON_SLOT_SKIP
              && j.slots[1].fallback == CHARON_SLOT_SKIP
              && j.slots[2].fallback == CHARON_SLOT_MISSED,
          "off until 10:15: no missed slot before");

    /* No tick from 09:50 to 10:26: 36 min, past a minute's interval and
     * 5 min of grace: the deadlines inside are unknown (the CHECK's
     * message reads j before the call: each call is made first). */
    in = input(T10, T10 + 31 * MIN);
    in.outage_from = T10 - 10 * MIN;
    in.outage_to = T10 + 26 * MIN;
    judge("*/10 * * * *", "UTC", &in, &j);
    CHECK(j.n == 3 && j.slots[0].fallback == CHARON_SLOT_UNKNOWN
              && j.slots[2].fallback == CHARON_SLOT_UNKNOWN,
          "an outage: unknown");
    /* The deadline at its very start is not inside it. */
    in.outage_from = T10 + 5 * MIN;
    judge("*/10 * * * *", "UTC", &in, &j);
    CHECK(j.slots[0].fallback == CHARON_SLOT_MISSED
              && j.slots[1].fallback == CHARON_SLOT_UNKNOWN,
          "deadline at the outage's start");
    /* Four minutes without a tick are within the grace: missed. */
    in.outage_from = T10 + 11 * MIN;
    in.outage_to = T10 + 16 * MIN;
    judge("*/10 * * * *", "UTC", &in, &j);
    CHECK(j.slots[1].fallback == CHARON_SLOT_MISSED,
          "a short gap is not an outage");
}

static void test_limits(void)
{
    charon_judge_in_t in = input(T10 - 86400, T10);
    charon_judgment_t j;

    /* A day behind, every minute: a tick judges CHARON_JUDGE_MAX. */
    CHECK(judge("* * * * *", "UTC", &in, &j) && j.n == CHARON_JUDGE_MAX,
          "at most %d slots a tick: %d", CHARON_JUDGE_MAX, j.n);
    CHECK(j.checked_until == j.slots[CHARON_JUDGE_MAX - 1].slot + in.grace,
          "checked up to the last one judged");
    CHECK(j.next_deadline == j.checked_until + MIN, "the next is due at once");

    /* Daylight saving time: 02:30 does not exist in New York on
     * 2021-03-14; the slot is at 03:00 EDT (07:00Z), judged at 07:05Z. */
    in = input(1615698000 /* 2021-03-14T05:00Z */, 1615705500);
    judge("30 2 * * *", "America/New_York", &in, &j);
    CHECK(j.n == 1 && j.slots[0].slot == 1615705200,
          "the slot after the gap: %lld",
          (long long)(j.n ? j.slots[0].slot : 0));
}

void test_judge(void)
{
    test_every_ten();
    test_overlap();
    test_off_and_outage();
    test_limits();
}
