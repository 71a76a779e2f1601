/*
 * judge.h: the judgment of a cron's slots (judge.c), for the watchdog.
 */
#ifndef CHARON_JUDGE_H
#define CHARON_JUDGE_H

#include "lib/schedule.h"

/* Slots judged per cron and tick at most: a long outage is worked off
 * over several ticks. */
#define CHARON_JUDGE_MAX 100

/* What a slot with no start comes to. */
enum { CHARON_SLOT_MISSED, CHARON_SLOT_UNKNOWN, CHARON_SLOT_SKIP };

typedef struct {
    int64_t grace;         /* seconds */
    int64_t checked_until; /* slots whose deadline is up to here are judged */
    int64_t starts_until;  /* starts before here are bound or unscheduled */
    int64_t now;           /* the database's clock, this tick */
    int64_t off_seen;      /* the cron was seen switched off then; -1 never */
    int64_t outage_from;   /* the module's last outage, or 0 and 0 */
    int64_t outage_to;
    int64_t interval; /* between watchdog ticks, seconds */
} charon_judge_in_t;

typedef struct {
    int64_t slot;
    int64_t lo, hi; /* starts in [lo, hi] (seconds) belong to it */
    int fallback;   /* what it is when no start belongs to it */
} charon_slot_t;

typedef struct {
    int n;
    charon_slot_t slots[CHARON_JUDGE_MAX]; /* in order */
    int64_t checked_until; /* what the watch row holds afterwards */
    int64_t starts_until;
    int64_t next_deadline; /* -1: the schedule has no slot left */
    int64_t next_slot;     /* the first slot after now */
} charon_judgment_t;

int charon_judge(const charon_schedule_t *s, charon_zone_t *z,
                 const charon_judge_in_t *in, charon_judgment_t *out);

#endif /* CHARON_JUDGE_H */
