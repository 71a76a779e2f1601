/*
 * charon_ops.h: what each API call, each change of the manager and each
 * housekeeping task does to the database, in domain terms.
 *
 * An API call comes to an outcome (lib: charon_outcome_t), whose answer
 * lib builds; with an Idempotency-Key, that answer is stored with the
 * call's writes, in one transaction, and replayed as it was.  Every
 * function runs through charon_db_run(): CHARON_DB_FAILED means the
 * database failed (a 503), never a domain refusal.
 */
#ifndef CHARON_OPS_H
#define CHARON_OPS_H

#include "db/charon_db.h"

/* ---- cron.c: looking up -------------------------------------------- */

/* *found 0 when no cron has this slug (id). */
charon_db_e charon_op_cron_by_slug(charon_db *db, const char *slug,
                                   charon_cron_t *cron, int *found);
charon_db_e charon_op_cron_by_id(charon_db *db, apr_int64_t id,
                                 charon_cron_t *cron, int *found);
/* The slug of an execution's cron; *slug NULL when there is none. */
charon_db_e charon_op_execution_slug(charon_db *db, apr_int64_t id,
                                     const char **slug);
/* can-start: CHARON_CAN_START with the cron, or CHARON_NO_SLUG. */
charon_db_e charon_op_can_start(charon_db *db, const char *slug,
                                charon_outcome_t *o);

/* ---- call.c: start, end, message -------------------------------------- */

typedef struct {
    charon_verb_e verb;      /* START, END or MESSAGE */
    apr_int64_t id;          /* the cron's for START, else the run's */
    const char *key_name;    /* START: the application, recorded */
    const char *remote_addr; /* START: recorded */
    charon_body_t body;      /* END, MESSAGE */
    charon_sched_t sched;    /* START: the schedule it sent, if any */
} charon_call_t;

/* An Idempotency-Key and what it is bound to. */
typedef struct {
    const char *key_name; /* the API key's name */
    const char *key;      /* the header's value */
    const char *request;  /* charon_request_fingerprint() */
    apr_int64_t window;   /* seconds an answer is kept */
} charon_idem_t;

typedef enum {
    CHARON_IDEM_NEW,       /* the call ran, its answer is stored */
    CHARON_IDEM_REPLAYED,  /* the stored answer, nothing ran */
    CHARON_IDEM_KEY_REUSED /* the key was used for another call */
} charon_idem_e;

/* Runs the call: what it came to. */
charon_db_e charon_op_outcome(charon_db *db, const charon_call_t *call,
                              charon_outcome_t *o);

/* start.c, end.c, message.c: one call each. */
charon_db_e charon_op_start(charon_db *db, const charon_call_t *call,
                            charon_outcome_t *o);
charon_db_e charon_op_end(charon_db *db, const charon_call_t *call,
                          charon_outcome_t *o);
charon_db_e charon_op_message(charon_db *db, const charon_call_t *call,
                              charon_outcome_t *o);

/* ---- idempotency.c ---------------------------------------------------- */

/* The answer of the call, once per key: replayed when one is stored,
 * else built by running it, and stored in the same transaction as its
 * writes.  The answer is opaque here: a status and a document. */
charon_db_e charon_op_idempotent(charon_db *db, const charon_idem_t *idem,
                                 const charon_call_t *call,
                                 charon_answer_t *answer, charon_idem_e *how);

/* ---- change.c: the manager's changes ---------------------------------- */

typedef enum {
    CHARON_CHANGED,
    CHARON_CHANGE_NO_CRON,   /* no cron has this id */
    CHARON_CHANGE_SLUG_TAKEN /* create: a cron has this slug */
} charon_change_e;

/* max_runtime: seconds as text, "" for none. *id: the new cron's. */
charon_db_e charon_op_create(charon_db *db, const char *slug, const char *name,
                             const char *concurrency, const char *max_runtime,
                             charon_change_e *out, apr_int64_t *id);
charon_db_e charon_op_rename(charon_db *db, apr_int64_t id, const char *name,
                             charon_change_e *out);
/* until: 0 for none. */
charon_db_e charon_op_switch_off(charon_db *db, apr_int64_t id,
                                 const char *reason, apr_time_t until,
                                 charon_change_e *out);
charon_db_e charon_op_switch_on(charon_db *db, apr_int64_t id,
                                charon_change_e *out);
charon_db_e charon_op_policy(charon_db *db, apr_int64_t id,
                             const char *concurrency, const char *max_runtime,
                             charon_change_e *out);

/* realert_every: seconds as text, "" for NULL (off). */
charon_db_e charon_op_alert_policy(charon_db *db, apr_int64_t id,
                                   int failure_threshold,
                                   int recovery_threshold,
                                   const char *realert_every,
                                   charon_change_e *out);
/* Muted until the database's now plus secs; unmuted. */
charon_db_e charon_op_mute(charon_db *db, apr_int64_t id, apr_int64_t secs,
                           charon_change_e *out);
charon_db_e charon_op_unmute(charon_db *db, apr_int64_t id,
                             charon_change_e *out);

/* schedule, timezone, min_runtime: "" for NULL (unscheduled, the default
 * zone, none); grace in seconds. */
charon_db_e charon_op_schedule(charon_db *db, apr_int64_t id,
                               const char *schedule, const char *timezone,
                               apr_int64_t grace, const char *min_runtime,
                               charon_change_e *out);

/* ---- housekeeping.c: the watchdog's tasks, a batch each --------------- */

/* *count: the rows changed. */
charon_db_e charon_op_lose_overdue(charon_db *db, int *count);
charon_db_e charon_op_reopen_crons(charon_db *db, int *count);
charon_db_e charon_op_purge_idempotency(charon_db *db, apr_int64_t window,
                                        int *count);
/* The first cron after `after`; *found 0 past the last. */
charon_db_e charon_op_next_cron(charon_db *db, apr_int64_t after,
                                apr_int64_t *cron_id, int *found);
charon_db_e charon_op_purge_executions(charon_db *db,
                                       const charon_retention_t *rt,
                                       apr_int64_t cron_id, int *count);

/* The watched crons: those given a schedule are watched from now on,
 * those whose schedule, zone or grace changed start afresh, unscheduled
 * ones are forgotten (a batch each); every watched cron switched off is
 * seen off now (all at once). */
charon_db_e charon_op_watch_new(charon_db *db, int *count);
charon_db_e charon_op_watch_reset(charon_db *db, int *count);
charon_db_e charon_op_watch_gone(charon_db *db, int *count);
charon_db_e charon_op_watch_off(charon_db *db, int *count);

/* ---- slots.c: the judgment of scheduled crons' slots ------------------- */

/* The database's clock this tick and the module's last outage (0 and 0
 * when none), Unix seconds. */
typedef struct {
    apr_int64_t now;
    apr_int64_t outage_from;
    apr_int64_t outage_to;
} charon_clock_t;

/* Records this tick (an outage when the last tick of any server was more
 * than gap seconds ago), then reads the clock. */
charon_db_e charon_op_heartbeat(charon_db *db, apr_int64_t gap,
                                charon_clock_t *clock);

/* What the tick's judgments came to. */
typedef struct {
    int crons;       /* judged here */
    int bound;       /* starts bound to their slot */
    int missed;      /* slots missed */
    int unknown;     /* slots the module could not look at */
    int unscheduled; /* starts that fit no slot */
    int skipped;     /* slots while the cron was off */
    apr_int64_t last_missed;
} charon_slot_counts_t;

/* The schedules and zones a tick has read, in pool p. */
typedef struct charon_slots charon_slots;
charon_slots *charon_slots_make(apr_pool_t *p, const char *default_zone,
                                apr_int64_t interval);
/* The first slot of a schedule after `after`: 1 and *slot, or 0 when the
 * schedule or the zone (NULL: the default) cannot be used or has none. */
int charon_slots_next(charon_slots *sl, const char *schedule,
                      const char *timezone, apr_int64_t after,
                      apr_int64_t *slot);
/* Judges a batch of the crons whose slots are due, cron by cron until
 * stop(baton) says so; *crons: the rows of the batch looked at. */
charon_db_e charon_op_judge_batch(charon_db *db, charon_slots *sl,
                                  const charon_clock_t *clock,
                                  int (*stop)(void *), void *baton, int *crons,
                                  charon_slot_counts_t *counts);

/* ---- alerts.c: alert states, events and their deliveries ------------ */

typedef struct {
    const apr_array_header_t *channels; /* charon_channel_t *: CharonAlert */
    const char *manager_url;            /* NULL: no links */
    const char *only; /* a test alert: this channel only; else NULL */
} charon_alert_ctx_t;

typedef struct {
    int crons;      /* whose state was looked at */
    int events;     /* made */
    int muted;      /* of them, muted (recorded, not sent) */
    int deliveries; /* queued */
} charon_alert_counts_t;

/* A batch of alert events older than max_age seconds, all their
 * deliveries done (CharonRetention max-age). */
charon_db_e charon_op_purge_alerts(charon_db *db, apr_int64_t max_age,
                                   int *count);
/* A fresh event id (a random UUID), in p. */
const char *charon_alert_uid(apr_pool_t *p);
/* A batch of the crons with outcomes waiting (realert 0), or due a
 * realert (1): each moved through its state in its own transaction, its
 * events written with their deliveries; until stop(baton) says so. */
charon_db_e charon_op_alert_batch(charon_db *db, const charon_alert_ctx_t *ctx,
                                  int realert, int (*stop)(void *),
                                  void *baton, int *ncrons,
                                  charon_alert_counts_t *counts);
/* A test event, queued for ctx->only; *uid its id. */
charon_db_e charon_op_alert_test(charon_db *db, const charon_alert_ctx_t *ctx,
                                 const char **uid);
/* Leases the channel's due deliveries to owner for lease seconds: rows
 * by statements.h's ACD_COL_. */
charon_db_e charon_op_alert_claim(charon_db *db, const char *channel,
                                  const char *owner, int lease,
                                  charon_rows_t *rows);

typedef enum {
    CHARON_ATTEMPT_OK = 0,  /* delivered */
    CHARON_ATTEMPT_RETRY,   /* again after delay seconds */
    CHARON_ATTEMPT_FAILED,  /* for good: the receiver refused it */
    CHARON_ATTEMPT_GIVEN_UP /* past the channel's give_up window */
} charon_attempt_e;

typedef struct {
    charon_attempt_e result;
    apr_int64_t delay; /* RETRY: seconds until the next attempt */
    int status;        /* HTTP status, exit status; 0: none */
    const char *error; /* no secret in it; NULL: none */
    long ms;
} charon_alert_attempt_t;

/* Records an attempt and what it makes of the delivery. */
charon_db_e charon_op_alert_done(charon_db *db, apr_int64_t delivery,
                                 const char *owner,
                                 const charon_alert_attempt_t *a);

/* ---- manage.c: the management API -------------------------------------- */

/* A cron's document from the columns of statements_manage.h's AC_. */
void charon_crondoc_from_row(const char *const *row, charon_crondoc_t *c);

typedef enum {
    CHARON_ACT_PUT,
    CHARON_ACT_PATCH,
    CHARON_ACT_DELETE,
    CHARON_ACT_OFF,
    CHARON_ACT_ON
} charon_act_e;

typedef struct {
    charon_act_e act;
    const char *slug;
    const char *who;           /* "key:NAME" or "user:NAME", recorded */
    const char *if_match;      /* NULL: none */
    const char *if_none_match; /* NULL: none; "*": create only */
    int dry_run;               /* rolled back */
    int delete_executions;
    const char *body; /* PUT, PATCH */
    apr_size_t len;
    const char *reason; /* OFF; NULL: none */
    apr_int64_t until;  /* OFF; 0: none */
} charon_change_req_t;

typedef struct {
    int status;                 /* 200, 201, 204, or a refusal's */
    const char *detail, *field; /* a refusal's */
    const char *json, *etag;    /* the cron after it: 200, 201 */
} charon_change_res_t;

/* Runs a change in one transaction with its record (docs/MANAGEMENT.md). */
charon_db_e charon_op_manage(charon_db *db, const charon_change_req_t *q,
                             charon_change_res_t *res);
/* One statement's rows (through charon_db_run's retries). */
charon_db_e charon_op_read(charon_db *db, charon_stmt_e st,
                           const char *const *args, int max_rows,
                           charon_rows_t *rows);

#endif /* CHARON_OPS_H */
