/*
 * alerts_view.c: the words the manager shows for alerts.  Values come
 * from the database, where anything may have been written by hand: an
 * unknown one becomes "other", never a class name made from it.
 */
#include "lib/charon_lib.h"

#include <apr_strings.h>

const char *charon_channel_kind_name(charon_channel_kind_e kind)
{
    switch (kind) {
    case CHARON_CHANNEL_WEBHOOK: return "webhook";
    case CHARON_CHANNEL_MAIL: return "mail";
    case CHARON_CHANNEL_EXEC: return "exec";
    case CHARON_CHANNEL_FILE: return "file";
    }
    return "other";
}

const char *charon_event_class(const char *event)
{
    charon_event_e e;

    return event && charon_event_parse(event, &e) ? charon_event_name(e)
                                                  : "other";
}

const char *charon_delivery_class(const char *state)
{
    if (state && !strcmp(state, "pending")) {
        return "pending";
    }
    if (state && !strcmp(state, "delivered")) {
        return "delivered";
    }
    if (state && !strcmp(state, "given_up")) {
        return "given-up";
    }
    return "other";
}

static const char *runs(apr_pool_t *p, long n, const char *what)
{
    return apr_psprintf(p, "%ld %s run%s in a row", n, what,
                        n == 1 ? "" : "s");
}

/* Counts past the threshold are possible (a threshold lowered since):
 * the cron changes state at its next outcome, which the words say. */
const char *charon_alert_streak(apr_pool_t *p, int down, long bad, long good,
                                long failure_threshold,
                                long recovery_threshold)
{
    if (!down) {
        if (bad <= 0) {
            return apr_psprintf(p, "no bad run in a row (down after %ld)",
                                failure_threshold);
        }
        return apr_psprintf(p, "%s (down after %ld)", runs(p, bad, "bad"),
                            failure_threshold);
    }
    if (good <= 0) {
        return apr_psprintf(p, "no good run since (up after %ld)",
                            recovery_threshold);
    }
    return apr_psprintf(p, "%s (up after %ld)", runs(p, good, "good"),
                        recovery_threshold);
}

const char *charon_alert_policy_text(apr_pool_t *p, long failure_threshold,
                                     long recovery_threshold,
                                     const char *realert)
{
    const char *again = "no alert again while down";

    if (realert && *realert) {
        again = apr_pstrcat(p, "a down alert again every ",
                            charon_human_duration(p, realert), " while down",
                            NULL);
    }
    return apr_psprintf(p,
                        "down after %ld bad run%s in a row, up after %ld "
                        "good one%s; %s",
                        failure_threshold, failure_threshold == 1 ? "" : "s",
                        recovery_threshold, recovery_threshold == 1 ? "" : "s",
                        again);
}
