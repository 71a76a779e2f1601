/*
 * alert_state.c: a cron's alert state machine.  Outcomes come in one by
 * one (charon_alert_step), time passes (charon_alert_tick); each change
 * of state is one event.  The clock is always given, so every case can
 * be replayed in a unit test and the database's time is the only time.
 */
#include "lib/alert.h"

#include <limits.h>
#include <string.h>

/* Bounds of a policy (charon_alert_policy_check).  A threshold past 1000
 * runs is a typo, not a policy; a realert more often than once a minute
 * would outpace the watchdog's tick and flood the channel, and one less
 * often than once a year is the same as none. */
#define THRESHOLD_MAX 1000
#define REALERT_MIN   60
#define REALERT_MAX   31536000 /* 365 days */

static const char *const outcome_names[] = {
    [CHARON_OUTCOME_SUCCEEDED] = "succeeded",
    [CHARON_OUTCOME_FAILED] = "failed",
    [CHARON_OUTCOME_LOST] = "lost",
    [CHARON_OUTCOME_TOO_SHORT] = "too_short",
    [CHARON_OUTCOME_MISSED] = "missed",
};

static const char *const event_names[] = {
    [CHARON_EVENT_DOWN] = "down",
    [CHARON_EVENT_UP] = "up",
    [CHARON_EVENT_REALERT] = "realert",
    [CHARON_EVENT_TEST] = "test",
};

#define N_NAMES(a) ((int)(sizeof(a) / sizeof((a)[0])))

const char *charon_outcome_name(charon_run_outcome_e o)
{
    return (int)o >= 0 && (int)o < N_NAMES(outcome_names) ? outcome_names[o]
                                                          : NULL;
}

int charon_outcome_parse(const char *name, charon_run_outcome_e *o)
{
    int i;

    for (i = 0; name != NULL && i < N_NAMES(outcome_names); i++) {
        if (strcmp(name, outcome_names[i]) == 0) {
            *o = (charon_run_outcome_e)i;
            return 1;
        }
    }
    return 0;
}

int charon_outcome_bad(charon_run_outcome_e o)
{
    return o == CHARON_OUTCOME_FAILED || o == CHARON_OUTCOME_LOST
           || o == CHARON_OUTCOME_TOO_SHORT || o == CHARON_OUTCOME_MISSED;
}

const char *charon_event_name(charon_event_e e)
{
    /* NONE has no name: it is never stored nor sent. */
    return (int)e > 0 && (int)e < N_NAMES(event_names) ? event_names[e] : NULL;
}

int charon_event_parse(const char *name, charon_event_e *e)
{
    int i;

    for (i = 1; name != NULL && i < N_NAMES(event_names); i++) {
        if (strcmp(name, event_names[i]) == 0) {
            *e = (charon_event_e)i;
            return 1;
        }
    }
    return 0;
}

void charon_alert_state_init(charon_alert_state_t *s)
{
    memset(s, 0, sizeof(*s));
    s->changed_at = -1;
    s->alerted_at = -1;
}

/* A threshold below 1 (a row written by hand) is taken as 1, so that an
 * unchecked policy cannot make a cron go down on no bad run at all. */
static int threshold(int t)
{
    return t < 1 ? 1 : t;
}

/* Streaks stop counting at INT_MAX instead of overflowing: a cron may
 * fail every minute for years. */
static void count(int *streak)
{
    if (*streak < INT_MAX)
        (*streak)++;
}

static void set_muted(const charon_alert_policy_t *p, charon_event_e e,
                      int64_t now, int *muted)
{
    if (muted != NULL)
        *muted = e != CHARON_EVENT_NONE && p->mute_until >= 0
                 && now < p->mute_until;
}

charon_event_e charon_alert_step(const charon_alert_policy_t *p,
                                 charon_alert_state_t *s,
                                 charon_run_outcome_e o, int64_t now,
                                 int *muted)
{
    charon_event_e e = CHARON_EVENT_NONE;

    if (charon_outcome_name(o) == NULL) {
        set_muted(p, e, now, muted);
        return e; /* not an outcome: the state is left as it was */
    }
    if (charon_outcome_bad(o)) {
        count(&s->bad_streak);
        s->good_streak = 0;
        /* Already down: no event; repeating it is the tick's job, by
         * time, so a cron failing every minute does not page every
         * minute. */
        if (!s->down && s->bad_streak >= threshold(p->failure_threshold)) {
            s->down = 1;
            s->changed_at = now;
            s->alerted_at = now;
            e = CHARON_EVENT_DOWN;
        }
    }
    else {
        count(&s->good_streak);
        s->bad_streak = 0;
        if (s->down && s->good_streak >= threshold(p->recovery_threshold)) {
            s->down = 0;
            s->changed_at = now;
            e = CHARON_EVENT_UP;
        }
    }
    set_muted(p, e, now, muted);
    return e;
}

charon_event_e charon_alert_tick(const charon_alert_policy_t *p,
                                 charon_alert_state_t *s, int64_t now,
                                 int *muted)
{
    charon_event_e e = CHARON_EVENT_NONE;
    /* A down state with no alerted_at (a row from before alerts were
     * recorded) counts from its change; with neither, it is overdue. */
    int64_t since = s->alerted_at >= 0 ? s->alerted_at : s->changed_at;

    if (s->down && p->realert_every > 0
        && (since < 0 || now - since >= p->realert_every)) {
        s->alerted_at = now;
        e = CHARON_EVENT_REALERT;
    }
    set_muted(p, e, now, muted);
    return e;
}

const char *charon_alert_policy_check(const charon_alert_policy_t *p)
{
    if (p->failure_threshold < 1 || p->failure_threshold > THRESHOLD_MAX)
        return "the failure threshold must be a whole number from 1 to 1000";
    if (p->recovery_threshold < 1 || p->recovery_threshold > THRESHOLD_MAX)
        return "the recovery threshold must be a whole number from 1 to "
               "1000";
    if (p->realert_every != 0
        && (p->realert_every < REALERT_MIN || p->realert_every > REALERT_MAX))
        return "realert must be 0 (off) or from 60 seconds to 365 days";
    if (p->mute_until < -1)
        return "mute_until must be -1 (not muted) or a time";
    return NULL;
}
