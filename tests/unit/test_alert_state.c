/*
 * test_alert_state.c: a cron's alert state machine (src/lib/alert_state.c)
 * with the clock given: thresholds, recovery, realerts, mutes, and the
 * names of outcomes and events.
 */
#include "test.h"
#include "lib/alert.h"

/* 2026-12-07T10:00:00Z */
#define T10 1796637600LL
#define MIN 60LL

#define F          CHARON_OUTCOME_FAILED
#define OK         CHARON_OUTCOME_SUCCEEDED
#define EV_NONE    CHARON_EVENT_NONE
#define EV_DOWN    CHARON_EVENT_DOWN
#define EV_UP      CHARON_EVENT_UP
#define EV_REALERT CHARON_EVENT_REALERT

static charon_alert_policy_t policy(int fail, int recover, int64_t realert)
{
    charon_alert_policy_t p;

    p.failure_threshold = fail;
    p.recovery_threshold = recover;
    p.realert_every = realert;
    p.mute_until = -1;
    return p;
}

/* Feeds outcomes a minute apart from T10; the events, as a string of
 * letters: '.' none, 'D' down, 'U' up, 'R' realert. */
static const char *feed(const charon_alert_policy_t *p,
                        charon_alert_state_t *s, const charon_run_outcome_e *o,
                        int n)
{
    static char out[64];
    int i, muted;

    for (i = 0; i < n && i < 63; i++) {
        charon_event_e e =
            charon_alert_step(p, s, o[i], T10 + i * MIN, &muted);
        out[i] = e == EV_DOWN      ? 'D'
                 : e == EV_UP      ? 'U'
                 : e == EV_REALERT ? 'R'
                 : e               ? '?'
                                   : '.';
    }
    out[i] = '\0';
    return out;
}

#define FEED(p, s, expect, ...)                                             \
    do {                                                                    \
        static const charon_run_outcome_e o_[] = {__VA_ARGS__};             \
        const char *got_ = feed(p, s, o_, (int)N_ELEMS(o_));                \
        CHECK(streq(got_, expect), "events %s, expected %s", got_, expect); \
    } while (0)

static void test_names(void)
{
    charon_run_outcome_e o;
    charon_event_e e;
    int i;
    static const char *const outcomes[] = {"succeeded", "failed", "lost",
                                           "too_short", "missed"};
    static const char *const events[] = {"down", "up", "realert", "test"};

    for (i = 0; i < (int)N_ELEMS(outcomes); i++) {
        CHECK(charon_outcome_parse(outcomes[i], &o) && (int)o == i
                  && streq(charon_outcome_name(o), outcomes[i]),
              "outcome %s round trip", outcomes[i]);
        CHECK(charon_outcome_bad(o) == (i != 0), "%s is %s", outcomes[i],
              i ? "bad" : "good");
    }
    CHECK(!charon_outcome_parse("Failed", &o) && !charon_outcome_parse("", &o)
              && !charon_outcome_parse(NULL, &o),
          "outcome names are exact");
    CHECK(charon_outcome_name((charon_run_outcome_e)5) == NULL
              && charon_outcome_name((charon_run_outcome_e)-1) == NULL,
          "no name out of range");
    for (i = 0; i < (int)N_ELEMS(events); i++)
        CHECK(charon_event_parse(events[i], &e) && (int)e == i + 1
                  && streq(charon_event_name(e), events[i]),
              "event %s round trip", events[i]);
    CHECK(charon_event_name(EV_NONE) == NULL && !charon_event_parse("none", &e)
              && !charon_event_parse("DOWN", &e),
          "NONE has no name");
}

static void test_threshold(void)
{
    charon_alert_policy_t p = policy(1, 1, 0);
    charon_alert_state_t s;

    /* The default: the first bad run is down, the first good one up. */
    charon_alert_state_init(&s);
    CHECK(!s.down && s.changed_at == -1 && s.alerted_at == -1
              && s.bad_streak == 0 && s.good_streak == 0,
          "the initial state is up, never changed");
    FEED(&p, &s, ".D..U.", OK, F, F, F, OK, OK);

    /* Three failures needed; a success in between starts over. */
    p = policy(3, 1, 0);
    charon_alert_state_init(&s);
    FEED(&p, &s, "........D", F, F, OK, F, F, OK, F, F, F);
    CHECK(s.down && s.bad_streak == 3 && s.changed_at == T10 + 8 * MIN
              && s.alerted_at == T10 + 8 * MIN,
          "down at the third failure in a row: %d %lld", s.bad_streak,
          (long long)(s.changed_at - T10));

    /* Every bad outcome counts toward the threshold, mixed. */
    charon_alert_state_init(&s);
    FEED(&p, &s, "..D", CHARON_OUTCOME_LOST, CHARON_OUTCOME_MISSED,
         CHARON_OUTCOME_TOO_SHORT);

    /* Bad outcomes while down make no event (realert is the tick's). */
    FEED(&p, &s, "....", F, F, CHARON_OUTCOME_LOST, F);
    CHECK(s.down && s.bad_streak == 7 && s.alerted_at == T10 + 2 * MIN,
          "still down, alerted once: streak %d", s.bad_streak);
}

static void test_recovery(void)
{
    charon_alert_policy_t p = policy(1, 3, 0);
    charon_alert_state_t s;

    charon_alert_state_init(&s);
    FEED(&p, &s, "D........U", F, OK, OK, F, OK, OK, F, OK, OK, OK);
    CHECK(!s.down && s.good_streak == 3 && s.bad_streak == 0
              && s.changed_at == T10 + 9 * MIN,
          "up at the third success in a row: %d", s.good_streak);
    /* Up again: a failure is down at once (threshold 1). */
    FEED(&p, &s, "D", F);
    /* Successes while up make no event. */
    charon_alert_state_init(&s);
    FEED(&p, &s, "....", OK, OK, OK, OK);
    CHECK(s.good_streak == 4 && s.changed_at == -1, "up stays up");
}

static void test_realert(void)
{
    charon_alert_policy_t p = policy(1, 1, 30 * MIN);
    charon_alert_state_t s;
    int muted = -1;

    charon_alert_state_init(&s);
    /* Up: no realert, whatever the time. */
    CHECK(charon_alert_tick(&p, &s, T10 + 1000 * MIN, &muted) == EV_NONE
              && muted == 0,
          "tick when up does nothing");
    CHECK(charon_alert_step(&p, &s, F, T10, &muted) == EV_DOWN,
          "down at 10:00");
    CHECK(charon_alert_tick(&p, &s, T10 + 30 * MIN - 1, &muted) == EV_NONE,
          "no realert a second early");
    CHECK(charon_alert_tick(&p, &s, T10 + 30 * MIN, &muted) == EV_REALERT
              && s.alerted_at == T10 + 30 * MIN && muted == 0,
          "realert at 10:30 exactly");
    CHECK(charon_alert_tick(&p, &s, T10 + 31 * MIN, &muted) == EV_NONE,
          "the next one counts from the realert");
    CHECK(charon_alert_tick(&p, &s, T10 + 75 * MIN, &muted) == EV_REALERT
              && s.alerted_at == T10 + 75 * MIN,
          "a late tick realerts once, from now");
    CHECK(charon_alert_tick(&p, &s, T10 + 75 * MIN, &muted) == EV_NONE,
          "the same tick again: nothing");
    /* Bad outcomes do not push the realert back. */
    charon_alert_step(&p, &s, F, T10 + 100 * MIN, &muted);
    CHECK(charon_alert_tick(&p, &s, T10 + 105 * MIN, &muted) == EV_REALERT,
          "realert is by time only");
    /* Up: no more realerts. */
    CHECK(charon_alert_step(&p, &s, OK, T10 + 110 * MIN, &muted) == EV_UP,
          "up");
    CHECK(charon_alert_tick(&p, &s, T10 + 500 * MIN, &muted) == EV_NONE,
          "no realert once up");
    /* realert_every 0: off. */
    p.realert_every = 0;
    charon_alert_step(&p, &s, F, T10, &muted);
    CHECK(charon_alert_tick(&p, &s, T10 + 100000 * MIN, &muted) == EV_NONE,
          "realert 0 is off");
    /* A down row with no alerted_at counts from changed_at. */
    p.realert_every = 30 * MIN;
    s.alerted_at = -1;
    s.changed_at = T10;
    CHECK(charon_alert_tick(&p, &s, T10 + 29 * MIN, &muted) == EV_NONE
              && charon_alert_tick(&p, &s, T10 + 30 * MIN, &muted)
                     == EV_REALERT,
          "no alerted_at: from changed_at");
}

static void test_mute(void)
{
    charon_alert_policy_t p = policy(1, 1, 10 * MIN);
    charon_alert_state_t s;
    int muted = -1;

    p.mute_until = T10 + 20 * MIN;
    charon_alert_state_init(&s);
    CHECK(charon_alert_step(&p, &s, F, T10, &muted) == EV_DOWN && muted == 1
              && s.down,
          "muted down is still made and recorded");
    CHECK(charon_alert_tick(&p, &s, T10 + 10 * MIN, &muted) == EV_REALERT
              && muted == 1,
          "muted realert");
    CHECK(charon_alert_tick(&p, &s, T10 + 20 * MIN, &muted) == EV_REALERT
              && muted == 0,
          "at mute_until the mute is over");
    CHECK(charon_alert_step(&p, &s, OK, T10 + 20 * MIN - 1, &muted) == EV_UP
              && muted == 1,
          "a second before mute_until: muted");
    muted = -1;
    CHECK(charon_alert_step(&p, &s, OK, T10, &muted) == EV_NONE && muted == 0,
          "no event: not muted");
    p.mute_until = -1;
    CHECK(charon_alert_step(&p, &s, F, T10, &muted) == EV_DOWN && muted == 0,
          "-1: never muted");
    CHECK(charon_alert_step(&p, &s, F, T10, NULL) == EV_NONE,
          "muted may be NULL");
}

static void test_policy_check(void)
{
    charon_alert_policy_t p = policy(1, 1, 0);
    charon_alert_state_t s;

    CHECK(charon_alert_policy_check(&p) == NULL, "defaults are good");
    p = policy(1000, 1000, 31536000);
    CHECK(charon_alert_policy_check(&p) == NULL, "the upper bounds");
    p = policy(1, 1, 60);
    CHECK(charon_alert_policy_check(&p) == NULL, "a minute");
    p = policy(0, 1, 0);
    CHECK(charon_alert_policy_check(&p) != NULL, "failure threshold 0");
    p = policy(1001, 1, 0);
    CHECK(charon_alert_policy_check(&p) != NULL, "failure threshold 1001");
    p = policy(1, 0, 0);
    CHECK(charon_alert_policy_check(&p) != NULL, "recovery threshold 0");
    p = policy(1, 1001, 0);
    CHECK(charon_alert_policy_check(&p) != NULL, "recovery threshold 1001");
    p = policy(1, 1, 59);
    CHECK(charon_alert_policy_check(&p) != NULL, "realert 59 s");
    p = policy(1, 1, 31536001);
    CHECK(charon_alert_policy_check(&p) != NULL, "realert over a year");
    p = policy(1, 1, -60);
    CHECK(charon_alert_policy_check(&p) != NULL, "negative realert");
    p = policy(1, 1, 0);
    p.mute_until = -2;
    CHECK(charon_alert_policy_check(&p) != NULL, "mute_until -2");

    /* An unchecked threshold of 0 still needs one bad run. */
    p = policy(0, 0, 0);
    charon_alert_state_init(&s);
    FEED(&p, &s, ".DU", OK, F, OK);
    /* Not an outcome: nothing changes. */
    CHECK(charon_alert_step(&p, &s, (charon_run_outcome_e)42, T10, NULL)
                  == EV_NONE
              && s.good_streak == 1 && s.bad_streak == 0,
          "an unknown outcome is ignored");
}

void test_alert_state(void)
{
    test_names();
    test_threshold();
    test_recovery();
    test_realert();
    test_mute();
    test_policy_check();
}
