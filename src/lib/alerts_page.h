/*
 * alerts_page.h: what the manager says of alerts, and its alert forms'
 * checks, without httpd (the pages themselves are src/admin/).
 *
 *   alerts_form.c  a cron's alert policy form, and how long a mute lasts.
 *   alerts_view.c  the words for a channel's kind, an event, a delivery's
 *                  state and where a cron's streak stands.
 */
#ifndef CHARON_LIB_ALERTS_PAGE_H
#define CHARON_LIB_ALERTS_PAGE_H

#include <apr_pools.h>

#include "lib/alert.h"

/* ---- alerts_form.c ------------------------------------------------------ */

/* What the schemas accept (the CHECKs of charon_cron). */
#define CHARON_THRESHOLD_MAX 1000
#define CHARON_REALERT_MIN   60
#define CHARON_REALERT_MAX   31536000 /* 365 days */
#define CHARON_MUTE_MIN      60
#define CHARON_MUTE_MAX      31622400 /* 366 days */

typedef struct {
    int failure_threshold;
    int recovery_threshold;
    const char *realert_every; /* seconds as text, "" for off */
} charon_alert_form_t;

/* Trimmed fields: NULL and *out, or the sentence and *field (its name). */
const char *charon_alert_policy_form(apr_pool_t *p, const char *failure,
                                     const char *recovery, const char *realert,
                                     charon_alert_form_t *out,
                                     const char **field);
/* A mute's length ("1h", "1d", "90m"): NULL and *secs, or why not. */
const char *charon_alert_mute_for(apr_pool_t *p, const char *s,
                                  apr_int64_t *secs);

/* ---- alerts_view.c ------------------------------------------------------ */

/* "webhook", "mail", "exec", "file". */
const char *charon_channel_kind_name(charon_channel_kind_e kind);
/* An event's name as stored ("down"...) as a class name: itself when it
 * is one of the four, else "other". */
const char *charon_event_class(const char *event);
/* A delivery's state as stored: "pending", "delivered", "given-up" (a
 * class name), or "other". */
const char *charon_delivery_class(const char *state);
/* Where a cron's streak stands against its thresholds, in words:
 * "2 bad runs in a row (down at 3)". */
const char *charon_alert_streak(apr_pool_t *p, int down, long bad, long good,
                                long failure_threshold,
                                long recovery_threshold);

/* A cron's policy in words; realert: seconds as text, NULL or "" for
 * none. */
const char *charon_alert_policy_text(apr_pool_t *p, long failure_threshold,
                                     long recovery_threshold,
                                     const char *realert);

#endif /* CHARON_LIB_ALERTS_PAGE_H */
