/*
 * schedule_form.c: the manager's schedule form, checked field by field
 * before anything is written.  The same rules as a start's JSON body
 * (start_body.c), in the words of a form: an empty field means what an
 * absent member means there (no schedule, the default zone, the default
 * grace), and min_runtime, which only the form sets, is empty for none.
 */
#include "lib/charon_lib.h"

#include <apr_strings.h>

/* The schemas' INTEGER, as for max_runtime. */
#define MIN_RUNTIME_MAX 2147483647

static const char *refuse(const char **field, const char *name,
                          const char *why)
{
    *field = name;
    return why;
}

const char *charon_schedule_form(apr_pool_t *p, const char *schedule,
                                 const char *timezone, const char *grace,
                                 const char *min_runtime,
                                 charon_sched_form_t *out, const char **field)
{
    const char *why;
    apr_int64_t secs;

    schedule = schedule ? schedule : "";
    timezone = timezone ? timezone : "";
    grace = grace ? grace : "";
    min_runtime = min_runtime ? min_runtime : "";
    *field = NULL;
    if (*schedule && (why = charon_schedule_check(p, schedule)) != NULL) {
        return refuse(field, "schedule",
                      apr_pstrcat(p, "The schedule is not one: ", why,
                                  " (leave it empty for none).", NULL));
    }
    if (*timezone && (why = charon_zone_check(timezone)) != NULL) {
        return refuse(field, "timezone",
                      apr_pstrcat(p, "The time zone \"", timezone, "\" ", why,
                                  "; leave it empty for the default.", NULL));
    }
    out->grace = CHARON_GRACE_DEFAULT;
    if (*grace
        && (why = charon_parse_duration(p, grace, CHARON_GRACE_MIN,
                                        CHARON_GRACE_MAX, &out->grace))) {
        return refuse(field, "grace",
                      apr_pstrcat(p, "The grace ", why,
                                  "; or empty for the default, 300 s.", NULL));
    }
    out->min_runtime = "";
    if (*min_runtime) {
        if ((why = charon_parse_duration(p, min_runtime, 1, MIN_RUNTIME_MAX,
                                         &secs))) {
            return refuse(field, "min_runtime",
                          apr_pstrcat(p, "The minimum runtime ", why,
                                      "; or empty for none.", NULL));
        }
        out->min_runtime = apr_psprintf(p, "%" APR_INT64_T_FMT, secs);
    }
    out->schedule = schedule;
    out->timezone = timezone;
    return NULL;
}
