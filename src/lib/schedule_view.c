/*
 * schedule_view.c: what the manager page says of a cron's schedule: the
 * one word for where its slots stand (from the columns the watchdog keeps
 * in charon_cron_watch), and its next slots in its zone and in UTC.
 *
 * Here rather than in src/admin/ so that both are unit-tested without a
 * server; the page only writes them out.
 */
#include "lib/charon_lib.h"

#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

static const char *const state_names[] = {
    [CHARON_SCHED_NONE] = "unscheduled",
    [CHARON_SCHED_INVALID] = "invalid",
    [CHARON_SCHED_OFF] = "off",
    [CHARON_SCHED_NOT_WATCHED] = "not-watched",
    [CHARON_SCHED_DUE] = "due",
    [CHARON_SCHED_MISSED] = "missed",
    [CHARON_SCHED_UNKNOWN] = "unknown",
    [CHARON_SCHED_ON_TIME] = "on-time",
};

static const char *const state_labels[] = {
    [CHARON_SCHED_NONE] = "no schedule",
    [CHARON_SCHED_INVALID] = "invalid",
    [CHARON_SCHED_OFF] = "not judged while off",
    [CHARON_SCHED_NOT_WATCHED] = "not watched yet",
    [CHARON_SCHED_DUE] = "due",
    [CHARON_SCHED_MISSED] = "missed",
    [CHARON_SCHED_UNKNOWN] = "unknown",
    [CHARON_SCHED_ON_TIME] = "on time",
};

const char *charon_sched_state_name(charon_sched_state_e s)
{
    return (unsigned)s <= CHARON_SCHED_ON_TIME ? state_names[s] : "invalid";
}

const char *charon_sched_state_label(charon_sched_state_e s)
{
    return (unsigned)s <= CHARON_SCHED_ON_TIME ? state_labels[s] : "invalid";
}

/* The order says what matters most: a schedule that cannot be used must
 * be fixed, whatever else is true; a cron switched off has no slot judged
 * (docs/API.md), so what the watch row says of its slots is old news; a
 * watch row kept for an earlier schedule says nothing of this one; a slot
 * passed with no start yet is newer than the latest slot judged. */
charon_sched_state_e charon_sched_state(apr_pool_t *p,
                                        const charon_sched_in_t *in,
                                        const char **why)
{
    const char *bad;

    *why = NULL;
    if (!in->schedule || !*in->schedule) {
        return CHARON_SCHED_NONE;
    }
    /* Parsed afresh: a schedule written by SQL may never have been
     * read by the watchdog, or read under another name of the zone. */
    if ((bad = charon_schedule_check(p, in->schedule)) != NULL) {
        *why = apr_pstrcat(p, "the schedule: ", bad, NULL);
        return CHARON_SCHED_INVALID;
    }
    if ((bad = charon_zone_check(in->zone)) != NULL) {
        *why = apr_pstrcat(p, "the time zone \"", in->zone ? in->zone : "",
                           "\" ", bad, NULL);
        return CHARON_SCHED_INVALID;
    }
    /* The watchdog's reason is about the schedule it judged: only when
     * that is this one. */
    if (in->watched && in->watch_error && *in->watch_error) {
        *why = apr_pstrdup(p, in->watch_error);
        return CHARON_SCHED_INVALID;
    }
    if (!in->on) {
        return CHARON_SCHED_OFF;
    }
    if (!in->watched) {
        return CHARON_SCHED_NOT_WATCHED;
    }
    if (in->due) {
        return CHARON_SCHED_DUE;
    }
    if (in->last_state && !strcmp(in->last_state, "missed")) {
        return CHARON_SCHED_MISSED;
    }
    if (in->last_state && !strcmp(in->last_state, "unknown")) {
        return CHARON_SCHED_UNKNOWN;
    }
    return CHARON_SCHED_ON_TIME;
}

/* "Mon 2026-12-07 11:00:00 +01:00": the weekday, because weekly
 * schedules are read by it, and the seconds, because @every 90s has
 * slots between minutes. */
static void local_text(const charon_local_t *l, char *buf)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    int off = l->offset < 0 ? -l->offset : l->offset;

    snprintf(buf, CHARON_ISO_LEN,
             "%s %04d-%02d-%02d %02d:%02d:%02d %c%02d:%02d",
             l->weekday >= 0 && l->weekday < 7 ? days[l->weekday] : "?",
             l->year, l->month, l->day, l->hour, l->minute, l->second,
             l->offset < 0 ? '-' : '+', off / 3600, off / 60 % 60);
}

int charon_next_slots(apr_pool_t *p, const char *schedule, const char *zone,
                      int64_t after, int n, charon_slot_view_t *out,
                      const char **why)
{
    charon_schedule_t s;
    charon_zone_t *z;
    char buf[160];
    const char *bad;
    int64_t t = after;
    int i;

    *why = NULL;
    if (!schedule || strlen(schedule) > CHARON_SCHEDULE_MAX) {
        *why = "it is not a schedule";
        return -1;
    }
    if ((bad = charon_schedule_parse(schedule, &s, buf, sizeof(buf)))) {
        *why = apr_pstrdup(p, bad);
        return -1;
    }
    /* Opened for this call and closed: an ICU calendar belongs to one
     * thread (PITFALLS), and a page asks for one zone. */
    if (!(z = charon_zone_open(zone, &bad))) {
        *why = apr_pstrcat(p, "the time zone ", bad, NULL);
        return -1;
    }
    for (i = 0; i < n && charon_schedule_next(&s, z, t, &t); i++) {
        charon_local_t l;

        if (!charon_zone_local(z, t, &l)) {
            break;
        }
        out[i].at = t;
        charon_iso_utc(t, out[i].utc);
        local_text(&l, out[i].local);
    }
    charon_zone_close(z);
    return i;
}
