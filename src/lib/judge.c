/*
 * judge.c: which slots of a cron are due to be judged, which starts
 * belong to each, and what a slot with no start comes to.  Pure: the
 * watchdog runs the statements this decides (src/ops/slots.c).
 *
 * A start between slot - 60 s and slot + grace belongs to that slot;
 * where the windows of two slots overlap, to the nearer one (the earlier
 * on a tie).  A slot with no start by slot + grace (its deadline) is
 * missed, unless
 *   - the cron was switched off at or after it (no missed slots while
 *     off): skipped;
 *   - its deadline fell inside an outage of the module (no watchdog tick
 *     for longer than its grace beyond the interval: the module could not
 *     look, and a start may have been refused because of it): unknown.
 * Slots come from the schedule itself, never from the runs, so one late
 * run does not move the next deadline.
 */
#include "lib/judge.h"

#include <string.h>

#define EARLY 60 /* seconds a start may come before its slot */

/* The last second (inclusive) of a's part of the starts, b its next. */
static int64_t boundary(int64_t a, int64_t b, int64_t grace)
{
    int64_t mid = a + (b - a) / 2;

    if (b - EARLY > a + grace) {
        return a + grace; /* the windows do not meet */
    }
    /* Both windows hold the time between b - 60 and a + grace: the
     * nearer slot takes it, the earlier on a tie. */
    if (mid < b - EARLY - 1) {
        mid = b - EARLY - 1;
    }
    return mid < a + grace ? mid : a + grace;
}

static int fallback(const charon_judge_in_t *in, int64_t slot)
{
    int64_t deadline = slot + in->grace;

    if (in->off_seen >= 0 && slot <= in->off_seen) {
        return CHARON_SLOT_SKIP;
    }
    if (in->outage_to > in->outage_from
        && in->outage_to - in->outage_from - in->interval > in->grace
        && deadline > in->outage_from && deadline <= in->outage_to) {
        return CHARON_SLOT_UNKNOWN;
    }
    return CHARON_SLOT_MISSED;
}

int charon_judge(const charon_schedule_t *s, charon_zone_t *z,
                 const charon_judge_in_t *in, charon_judgment_t *out)
{
    int64_t prev = 0, cur, next;
    int have_prev = 0;

    memset(out, 0, sizeof(*out));
    out->checked_until = in->checked_until;
    out->starts_until = in->starts_until;
    if (!charon_schedule_next(s, z, in->checked_until - in->grace, &cur)) {
        out->next_deadline = -1; /* no slot in the next ten years */
        return 1;
    }
    while (cur + in->grace <= in->now && out->n < CHARON_JUDGE_MAX) {
        charon_slot_t *sl = &out->slots[out->n++];

        if (!charon_schedule_next(s, z, cur, &next)) {
            next = INT64_MAX / 2;
        }
        /* From cur - 60: the starts of that time nearer to the slot before
         * were bound to it when it was judged. */
        sl->slot = cur;
        sl->lo = cur - EARLY;
        sl->hi = boundary(cur, next, in->grace);
        sl->fallback = fallback(in, cur);
        out->checked_until = cur + in->grace;
        prev = cur;
        have_prev = 1;
        cur = next;
    }
    /* Every start before the first that could still belong to a slot not
     * judged yet is final: bound, or unscheduled. */
    if (have_prev) {
        out->starts_until = boundary(prev, cur, in->grace) + 1;
    }
    if (out->starts_until < in->starts_until) {
        out->starts_until = in->starts_until;
    }
    out->next_deadline = cur + in->grace;
    /* For people: the next slot still to come. */
    out->next_slot = cur;
    while (out->next_slot <= in->now
           && charon_schedule_next(s, z, out->next_slot, &next)) {
        out->next_slot = next;
    }
    return 1;
}
