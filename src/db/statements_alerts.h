/*
 * statements_alerts.h: the alert statements' arguments and columns (issue
 * 14), part of statements.h's contract, which includes it: the watchdog's
 * (outcomes, states, events, deliveries) and the manager's, the metrics'
 * and health's.
 */
#ifndef CHARON_STATEMENTS_ALERTS_H
#define CHARON_STATEMENTS_ALERTS_H

/* ---- the watchdog: alerts ------------------------------------------- */

/* Deliveries one claim takes at most (one channel, one child). */
#define CHARON_AL_CLAIM    4
/* Outcomes one cron's transaction moves its state through at most. */
#define CHARON_AL_OUTCOMES 100
/* Messages of a run an event carries (lib's CHARON_ALERT_MAX_MSGS). */
#define CHARON_ALERT_MSGS  5

/* AL_OUTCOME_CRONS: crons with outcomes waiting (a batch).
 * AL_REALERT_CRONS: crons down whose realert_every has passed since
 * their last down event (a batch).  One column: the cron. */
/* One cron's alert transaction.  AL_STATE_ENSURE (arg: cron): its state
 * row, up, unless there is one.  AL_STATE_LOCK (arg: cron): takes the
 * row's lock (changes nothing), so that one server at a time moves a
 * cron's state.  AL_STATE (arg: cron): */
enum {
    AS_COL_DOWN, /* 1: down */
    AS_COL_BAD,
    AS_COL_GOOD,
    AS_COL_CHANGED, /* Unix seconds; NULL: never */
    AS_COL_ALERTED, /* Unix seconds; NULL: never */
    AS_COL_FAILURE_THRESHOLD,
    AS_COL_RECOVERY_THRESHOLD,
    AS_COL_REALERT,    /* seconds; NULL: off */
    AS_COL_MUTE_UNTIL, /* Unix seconds; NULL: not muted */
    AS_COL_SLUG,
    AS_COL_NAME,
    AS_COL_NOW, /* the database's clock, Unix seconds */
    AS_NCOLS
};
/* AL_OUTCOMES (arg: cron): its waiting outcomes, oldest first, with their
 * runs (at most CHARON_AL_OUTCOMES). */
enum {
    AO_COL_ID,
    AO_COL_OUTCOME,
    AO_COL_EXECUTION,
    AO_COL_AT,      /* Unix seconds */
    AO_COL_STARTED, /* Unix seconds; NULL: the run was purged */
    AO_COL_ENDED,
    AO_COL_DURATION, /* seconds, a decimal */
    AO_COL_SLOT,
    AO_NCOLS
};
/* AL_MESSAGES (arg: execution): its last CHARON_ALERT_MAX_MSGS messages,
 * newest first. */
enum { AM_COL_TYPE, AM_COL_MESSAGE, AM_COL_AT, AM_NCOLS };
/* AL_OUTCOMES_DONE: deletes one outcome read.  Not "up to an id": ids
 * are not given in commit order (Galera's nodes interleave them, and an
 * insert with a lower id may commit later), and such a delete would take
 * an outcome never read. */
enum { AOD_ARG_ID, AOD_NARGS };
/* AL_STATE_SET: times are Unix seconds, '' for NULL. */
enum {
    ASET_ARG_STATE, /* 'up' or 'down' */
    ASET_ARG_BAD,
    ASET_ARG_GOOD,
    ASET_ARG_CHANGED,
    ASET_ARG_ALERTED,
    ASET_ARG_CRON,
    ASET_NARGS
};
/* AL_EVENT: an event; returns its id (absent LAST_ID).  cron '' for a
 * test event. */
enum {
    AE_ARG_UID,
    AE_ARG_CRON,
    AE_ARG_EVENT,
    AE_ARG_MUTED,
    AE_ARG_DOCUMENT,
    AE_NARGS
};
/* AL_DELIVERY: the event's delivery to a channel, due now. */
enum { AD_ARG_EVENT, AD_ARG_CHANNEL, AD_NARGS };
/* AL_CLAIM: leases up to CHARON_AL_CLAIM due deliveries of the channel
 * whose lease, if any, has run out, to owner, for lease seconds; counts
 * the attempt.  SKIP LOCKED where the database has it. */
enum { ACL_ARG_OWNER, ACL_ARG_LEASE, ACL_ARG_CHANNEL, ACL_NARGS };
/* AL_CLAIM_IDS (arg: channel): the ids AL_CLAIM would take, read
 * without locking; then AL_CLAIM_BY_IDS takes those of them still due,
 * by primary key.  Present where a range UPDATE's locks deadlock with the
 * inserts and updates of other servers (InnoDB's next-key locks); absent:
 * AL_CLAIM.  Ids past the ones found are 0. */
enum {
    ACB_ARG_OWNER,
    ACB_ARG_LEASE,
    ACB_ARG_ID1,
    ACB_ARG_ID2,
    ACB_ARG_ID3,
    ACB_ARG_ID4, /* CHARON_AL_CLAIM of them */
    ACB_NARGS
};
/* AL_CLAIMED (arg: owner): what it leased. */
enum {
    ACD_COL_ID,
    ACD_COL_ATTEMPTS, /* this one included */
    ACD_COL_AGE,      /* seconds since the event was made */
    ACD_COL_UID,
    ACD_COL_DOCUMENT,
    ACD_NCOLS
};
/* AL_DONE: what an attempt came to.  state 'pending' (again after delay
 * seconds), 'delivered' or 'given_up'; a delivery whose lease passed to
 * another is left to it, unless this attempt delivered it. */
enum {
    ADN_ARG_STATE,
    ADN_ARG_DELAY,
    ADN_ARG_ERROR,     /* '' for none */
    ADN_ARG_DELIVERED, /* the state again: delivered_at */
    ADN_ARG_ID,
    ADN_ARG_OWNER,
    ADN_ARG_STATE_OK, /* the state again: whose lease */
    ADN_NARGS
};
/* AL_PURGE (arg: max_age seconds): a batch of events older than that
 * whose deliveries are all done (CharonRetention max-age); never one
 * still to send. */
/* AL_ATTEMPT: one attempt, recorded. */
enum {
    AAT_ARG_DELIVERY,
    AAT_ARG_RESULT, /* 'ok', 'retry', 'failed', 'given_up' */
    AAT_ARG_STATUS, /* '' for none */
    AAT_ARG_ERROR,  /* '' for none */
    AAT_ARG_MS,
    AAT_NARGS
};

/* ---- the manager, metrics and health: alerts ------------------------- */

/* The alerts page: events, one row more than shown; their deliveries,
 * read for the whole page at once, at most this many. */
#define CHARON_MGR_EVENTS_LIMIT     51
#define CHARON_MGR_DELIVERIES_LIMIT 2000
/* Health ?crons: a delivery still pending this long after it was queued
 * is late; one given up this recently is reported (seconds). */
#define CHARON_HEALTH_ALERT_LATE    300
#define CHARON_HEALTH_ALERT_GAVE_UP 86400

/* MGR_ALERT (arg: cron): its alert state (no row: up) and policy; times
 * ISO 8601. */
enum {
    MA_COL_STATE,   /* 'up' or 'down' */
    MA_COL_CHANGED, /* NULL: never */
    MA_COL_BAD,     /* bad outcomes in a row */
    MA_COL_GOOD,    /* good outcomes in a row */
    MA_COL_ALERTED, /* the last down or realert event; NULL: never */
    MA_COL_FAILURE_THRESHOLD,
    MA_COL_RECOVERY_THRESHOLD,
    MA_COL_REALERT, /* seconds; NULL: off */
    MA_COL_MUTE_UNTIL,
    MA_COL_MUTED, /* 1: mute_until is still to come */
    MA_NCOLS
};
/* MGR_ALERT_POLICY: realert '' for NULL (off). */
enum {
    APOL_ARG_FAILURE,
    APOL_ARG_RECOVERY,
    APOL_ARG_REALERT,
    APOL_ARG_ID,
    APOL_NARGS
};
/* MGR_MUTE: muted for secs from the database's now.  MGR_UNMUTE (arg:
 * cron). */
enum { MUTE_ARG_SECS, MUTE_ARG_ID, MUTE_NARGS };
/* MGR_EVENTS_FIRST: the newest events; MGR_EVENTS_BEFORE (arg: event):
 * those older than it (by id). */
enum {
    EV_COL_ID,
    EV_COL_UID,
    EV_COL_CRON,  /* NULL: a test event */
    EV_COL_SLUG,  /* NULL: a test event, or the cron was deleted */
    EV_COL_EVENT, /* down, up, realert, test */
    EV_COL_MUTED, /* 1: recorded, not sent */
    EV_COL_CREATED,
    EV_COL_DOCUMENT, /* the JSON sent */
    EV_NCOLS
};
/* MGR_EVENT_DELIVERIES: the deliveries of the events lo..hi, newest
 * event first, by channel. */
enum { EVD_ARG_LO, EVD_ARG_HI, EVD_NARGS };
enum {
    EVD_COL_EVENT,
    EVD_COL_CHANNEL,
    EVD_COL_STATE, /* pending, delivered, given_up */
    EVD_COL_ATTEMPTS,
    EVD_COL_DUE, /* the next attempt, when pending */
    EVD_COL_DELIVERED,
    EVD_COL_ERROR,   /* the last attempt's; NULL: none */
    EVD_COL_SENDING, /* 1: leased to a watchdog now */
    EVD_NCOLS
};
/* METRICS_ALERT_STATS: attempts by channel and result
 * (charon_alert_stats). */
enum { MAS_COL_CHANNEL, MAS_COL_RESULT, MAS_COL_ATTEMPTS, MAS_NCOLS };
/* METRICS_ALERT_QUEUE: one row, the pending deliveries and the age of
 * the oldest one's event (seconds; 0 when none). */
enum { MAQ_COL_PENDING, MAQ_COL_OLDEST, MAQ_NCOLS };
/* HEALTH_ALERTS: per channel, deliveries pending for more than
 * CHARON_HEALTH_ALERT_LATE and deliveries given up (an attempt failed
 * for good or gave up) in the last CHARON_HEALTH_ALERT_GAVE_UP. */
enum { HA_COL_CHANNEL, HA_COL_LATE, HA_COL_GAVE_UP, HA_NCOLS };

#endif /* CHARON_STATEMENTS_ALERTS_H */
