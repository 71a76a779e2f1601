/*
 * alerts_form.c: the manager's alert policy form, checked field by field
 * before anything is written, within the bounds the schemas' CHECKs
 * hold (so a refusal is a sentence on the page, not a failed UPDATE);
 * and the length of a mute.
 */
#include "lib/charon_lib.h"

#include <apr_strings.h>

static const char *refuse(const char **field, const char *name,
                          const char *why)
{
    *field = name;
    return why;
}

/* Digits only, 1 to CHARON_THRESHOLD_MAX: no unit here, where "5m"
 * would be read as 300 runs. */
static int threshold(const char *s, int *out)
{
    int v = 0;

    if (*s < '0' || *s > '9') {
        return 0;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        v = v * 10 + (*s - '0');
        if (v > CHARON_THRESHOLD_MAX) {
            return 0;
        }
    }
    if (*s || v < 1) {
        return 0;
    }
    *out = v;
    return 1;
}

const char *charon_alert_policy_form(apr_pool_t *p, const char *failure,
                                     const char *recovery, const char *realert,
                                     charon_alert_form_t *out,
                                     const char **field)
{
    apr_int64_t secs;
    const char *why;

    failure = failure ? failure : "";
    recovery = recovery ? recovery : "";
    realert = realert ? realert : "";
    *field = NULL;
    if (!threshold(failure, &out->failure_threshold)) {
        return refuse(field, "failure_threshold",
                      "The failure threshold must be a whole number from 1 "
                      "to 1000 (bad runs in a row before the cron is down).");
    }
    if (!threshold(recovery, &out->recovery_threshold)) {
        return refuse(field, "recovery_threshold",
                      "The recovery threshold must be a whole number from 1 "
                      "to 1000 (good runs in a row before it is up again).");
    }
    out->realert_every = "";
    if (!*realert || !strcmp(realert, "0")) {
        return NULL;
    }
    if ((why = charon_parse_duration(p, realert, CHARON_REALERT_MIN,
                                     CHARON_REALERT_MAX, &secs))) {
        return refuse(field, "realert_every",
                      apr_pstrcat(p, "The realert interval ", why,
                                  "; or empty or 0 for none.", NULL));
    }
    out->realert_every = apr_psprintf(p, "%" APR_INT64_T_FMT, secs);
    return NULL;
}

const char *charon_alert_mute_for(apr_pool_t *p, const char *s,
                                  apr_int64_t *secs)
{
    const char *why = charon_parse_duration(p, s ? s : "", CHARON_MUTE_MIN,
                                            CHARON_MUTE_MAX, secs);

    return why ? apr_pstrcat(p, "A mute ", why, ".", NULL) : NULL;
}
