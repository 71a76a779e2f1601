/*
 * watchdog.c: the module's own housekeeping, with no cron and no
 * outside daemon.
 *
 * mod_watchdog calls a singleton callback: in one child process of the
 * server at a time (the children take turns holding its mutex), every
 * CharonWatchdogInterval.  There is one callback per database pool that
 * the handler uses.  Each tick, in bounded batches:
 *   - records that the module is looking, and judges the slots of the
 *     scheduled crons whose deadline has passed (ops/slots.c);
 *   - marks lost the runs past their cron's max_runtime;
 *   - switches back on the crons whose off_until has passed;
 *   - deletes Idempotency-Key answers past their window;
 *   - applies CharonRetention.
 * Every statement changes nothing when run twice, and a cron's slots are
 * judged in a transaction that claims them first, so several Apache
 * servers on one database need no other coordination.
 *
 * The requests do not depend on it: whether a cron is on, and whether a
 * lock is held, is computed at each request; the watchdog only makes the
 * tables say it too, and purges.
 */
#include "server/ticking.h"

#include "apr_strings.h"
#include "http_core.h"
#include "mod_watchdog.h"

#define CHARON_WATCHDOG "_charon_"

/* Batches of CHARON_DB_BATCH rows per task and tick (and crons whose
 * runs retention looks at per tick): a backlog is worked off over several
 * ticks rather than in one long stretch. */
#define MAX_BATCHES     CHARON_WD_MAX_BATCHES
#define RETENTION_CRONS CHARON_WD_RETENTION_CRONS

/* A tick stops starting batches after half the interval, so it never
 * runs into the next one nor holds a connection for minutes: a first
 * retention pass over millions of runs took 2 to 4.5 minutes of 10-batch
 * ticks on PostgreSQL.  The rest waits for the next tick. */
#define TICK_SHARE 2

/* One callback per database pool. */
typedef struct {
    server_rec *s;
    apr_int64_t cursor;  /* retention: the last cron looked at */
    apr_time_t deadline; /* of this tick's batches */
    apr_pool_t *tick;    /* this tick's pool */
} job_t;

#define STOPPING() charon_watchdog_stopping()

static int child_stopping(void)
{
    return STOPPING();
}

/* At least one batch per task and tick, so a tick always makes progress;
 * none once the child is ending. */
#define OUT_OF_TIME(job, b) \
    (STOPPING() || ((b) > 0 && apr_time_now() > (job)->deadline))

typedef charon_db_e task_fn(charon_db *db, job_t *job, int *count);

/* Runs one batch statement until it changes less than a batch. */
static charon_db_e batches(charon_db *db, job_t *job, int *count,
                           charon_db_e (*batch)(charon_db *, job_t *, int *))
{
    int b, n;

    *count = 0;
    for (b = 0; b < MAX_BATCHES && !OUT_OF_TIME(job, b); b++) {
        if (batch(db, job, &n) != CHARON_DB_OK) {
            return CHARON_DB_FAILED;
        }
        *count += n;
        if (n < CHARON_DB_BATCH) {
            break;
        }
    }
    return CHARON_DB_OK;
}

static charon_db_e lose_batch(charon_db *db, job_t *job, int *n)
{
    (void)job;
    return charon_op_lose_overdue(db, n);
}

static charon_db_e idempotency_batch(charon_db *db, job_t *job, int *n)
{
    return charon_op_purge_idempotency(db, charon_idempotency_window(job->s),
                                       n);
}

static int out_of_time(void *baton)
{
    return OUT_OF_TIME((job_t *)baton, 1);
}

static charon_db_e watch_batches(charon_db *db, job_t *job, int *count,
                                 charon_db_e (*op)(charon_db *, int *))
{
    int b, n;

    *count = 0;
    for (b = 0; b < MAX_BATCHES && !OUT_OF_TIME(job, b); b++) {
        if (op(db, &n) != CHARON_DB_OK) {
            return CHARON_DB_FAILED;
        }
        *count += n;
        if (n < CHARON_DB_BATCH) {
            break;
        }
    }
    return CHARON_DB_OK;
}

/* The heartbeat first, whatever else fails: it is what tells a slot
 * missed from one the module could not look at.  Then the watch rows
 * follow the crons, and the due slots are judged. */
static charon_db_e task_schedules(charon_db *db, job_t *job, int *count)
{
    apr_int64_t interval = apr_time_sec(charon_watchdog_interval(job->s));
    charon_slot_counts_t c;
    charon_clock_t clock;
    charon_slots *sl;
    int b, n;

    *count = 0;
    if (charon_op_heartbeat(db, 2 * interval, &clock) != CHARON_DB_OK
        || watch_batches(db, job, &n, charon_op_watch_new) != CHARON_DB_OK
        || watch_batches(db, job, &n, charon_op_watch_reset) != CHARON_DB_OK
        || watch_batches(db, job, &n, charon_op_watch_gone) != CHARON_DB_OK
        || charon_op_watch_off(db, &n) != CHARON_DB_OK) {
        return CHARON_DB_FAILED;
    }
    memset(&c, 0, sizeof(c));
    sl = charon_slots_make(job->tick, charon_default_zone(job->s), interval);
    for (b = 0; b < CHARON_WD_JUDGE_BATCHES && !OUT_OF_TIME(job, b); b++) {
        if (charon_op_judge_batch(db, sl, &clock, out_of_time, job, &n, &c)
            != CHARON_DB_OK) {
            return CHARON_DB_FAILED;
        }
        if (n < CHARON_DB_BATCH) {
            break;
        }
    }
    /* What went wrong with the crons is news; the rest is for debugging. */
    if (c.crons) {
        ap_log_error(APLOG_MARK,
                     c.missed || c.unknown || c.unscheduled ? APLOG_INFO
                                                            : APLOG_DEBUG,
                     0, job->s,
                     CHARON_LOGNO(308) "watchdog: slots of %d crons judged: "
                                       "%d missed, %d unknown (the module "
                                       "could not look), %d starts "
                                       "unscheduled",
                     c.crons, c.missed, c.unknown, c.unscheduled);
    }
    *count = c.crons;
    return CHARON_DB_OK;
}

static charon_db_e task_lose(charon_db *db, job_t *job, int *count)
{
    return batches(db, job, count, lose_batch);
}

/* The crons with outcomes waiting, then those due a realert: each moved
 * through its alert state, its events queued (ops/alerts.c). */
static charon_db_e task_alerts(charon_db *db, job_t *job, int *count)
{
    charon_alert_counts_t c;
    charon_alert_ctx_t ctx;
    int realert, b, n;

    memset(&c, 0, sizeof(c));
    ctx.channels = charon_alert_channels(job->s);
    ctx.manager_url = charon_manager_url(job->s);
    ctx.only = NULL;
    for (realert = 0; realert < 2; realert++) {
        for (b = 0; b < MAX_BATCHES && !OUT_OF_TIME(job, b); b++) {
            if (charon_op_alert_batch(db, &ctx, realert, out_of_time, job, &n,
                                      &c)
                != CHARON_DB_OK) {
                return CHARON_DB_FAILED;
            }
            if (n < CHARON_DB_BATCH) {
                break;
            }
        }
    }
    if (c.events) {
        ap_log_error(APLOG_MARK, APLOG_INFO, 0, job->s,
                     CHARON_LOGNO(323) "watchdog: %d alert events (%d muted), "
                                       "%d deliveries queued",
                     c.events, c.muted, c.deliveries);
    }
    *count = c.crons;
    return CHARON_DB_OK;
}

static charon_db_e task_reopen(charon_db *db, job_t *job, int *count)
{
    (void)job;
    return charon_op_reopen_crons(db, count);
}

static charon_db_e task_idempotency(charon_db *db, job_t *job, int *count)
{
    return batches(db, job, count, idempotency_batch);
}

/* The next RETENTION_CRONS crons after the cursor, each to below a batch
 * or MAX_BATCHES batches; past the last cron, the next tick starts over.
 * A cron cut short by the deadline is taken up again by the next tick. */
static charon_db_e task_retention(charon_db *db, job_t *job, int *count)
{
    const charon_retention_t *rt = charon_retention(job->s);
    apr_int64_t cron_id;
    int c, b, n, found;

    *count = 0;
    for (c = 0; rt && c < RETENTION_CRONS && !OUT_OF_TIME(job, c); c++) {
        if (charon_op_next_cron(db, job->cursor, &cron_id, &found)
            != CHARON_DB_OK) {
            return CHARON_DB_FAILED;
        }
        if (!found) {
            job->cursor = 0;
            return CHARON_DB_OK;
        }
        for (b = 0; b < MAX_BATCHES; b++) {
            if (OUT_OF_TIME(job, b + c)) {
                return CHARON_DB_OK;
            }
            if (charon_op_purge_executions(db, rt, cron_id, &n)
                != CHARON_DB_OK) {
                return CHARON_DB_FAILED;
            }
            *count += n;
            if (n < CHARON_DB_BATCH) {
                break;
            }
        }
        job->cursor = cron_id;
    }
    return CHARON_DB_OK;
}

static charon_db_e alert_purge_batch(charon_db *db, job_t *job, int *n)
{
    return charon_op_purge_alerts(db, charon_retention(job->s)->max_age, n);
}

/* Events past CharonRetention's max-age go too, once delivered or given
 * up: nothing queued is ever deleted. */
static charon_db_e task_alert_retention(charon_db *db, job_t *job, int *count)
{
    const charon_retention_t *rt = charon_retention(job->s);

    *count = 0;
    if (!rt || rt->max_age <= 0) {
        return CHARON_DB_OK;
    }
    return batches(db, job, count, alert_purge_batch);
}

static const struct {
    const char *done; /* "%d <done>" is logged */
    task_fn *run;
} tasks[] = {
    {NULL, task_schedules},
    {"runs marked lost (past max_runtime)", task_lose},
    {NULL, task_alerts},
    {"crons switched back on (off_until passed)", task_reopen},
    {"Idempotency-Key answers expired", task_idempotency},
    {"executions purged (CharonRetention)", task_retention},
    {"alert events purged (CharonRetention max-age)", task_alert_retention},
};

static void tick(job_t *job, apr_pool_t *p)
{
    charon_db *db = charon_db_open_server(p, job->s);
    apr_time_t began;
    apr_size_t t;

    job->deadline =
        apr_time_now() + charon_watchdog_interval(job->s) / TICK_SHARE;
    job->tick = p;
    if (!db) {
        /* mod_dbd has said why; the next tick tries again. */
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, job->s,
                     CHARON_LOGNO(301) "watchdog: no database connection, "
                                       "skipping this tick");
        return;
    }
    charon_db_set_stopping(db, child_stopping);
    began = apr_time_now();
    for (t = 0; t < sizeof(tasks) / sizeof(tasks[0]) && !STOPPING(); t++) {
        int count = 0;

        if (tasks[t].run(db, job, &count) != CHARON_DB_OK) {
            ap_log_error(
                APLOG_MARK, APLOG_WARNING, 0, job->s,
                CHARON_LOGNO(302) "watchdog: the database failed "
                                  "(see above); trying again next tick");
            break;
        }
        if (count && tasks[t].done) {
            ap_log_error(APLOG_MARK, APLOG_INFO, 0, job->s,
                         CHARON_LOGNO(303) "watchdog: %d %s", count,
                         tasks[t].done);
        }
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, job->s,
                 CHARON_LOGNO(309) "watchdog: tick of %" APR_TIME_T_FMT
                                   " ms, %ld statements",
                 apr_time_as_msec(apr_time_now() - began),
                 charon_db_statements(db));
    charon_db_close(db);
}

static apr_status_t watchdog_callback(int state, void *data, apr_pool_t *pool)
{
    job_t *job = data;
    apr_pool_t *p;

    if (state != AP_WATCHDOG_STATE_RUNNING) {
        return APR_SUCCESS;
    }
    if (!charon_watchdog_enter()) {
        return APR_SUCCESS;
    }
    if (apr_pool_create(&p, pool) == APR_SUCCESS) {
        tick(job, p);
        apr_pool_destroy(p);
    }
    charon_watchdog_leave();
    return APR_SUCCESS;
}

int charon_watchdog_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_callback =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    apr_array_header_t *pools;
    ap_watchdog_t *wd = NULL;
    apr_status_t rv;
    int i;

    (void)plog;
    /* httpd reads its configuration twice at startup; the watchdog only
     * acts on the second. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    /* One callback per database pool: servers that share one need it
     * done once. */
    pools = charon_server_pools(ptemp, s);
    for (i = 0; i < pools->nelts; i++) {
        job_t *job;

        s = APR_ARRAY_IDX(pools, i, server_rec *);
        if (!get_instance || !register_callback) {
            ap_log_error(
                APLOG_MARK, APLOG_WARNING, 0, s,
                CHARON_LOGNO(
                    304) "mod_watchdog is not loaded: runs past max_runtime "
                         "are marked lost only when a start meets them, no "
                         "slot of a schedule is judged, no alert is sent, "
                         "and CharonRetention purges nothing");
            return OK;
        }
        if (!wd
            && (rv = get_instance(&wd, CHARON_WATCHDOG, 0, 1, pconf))
                   != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         CHARON_LOGNO(305) "cannot create the watchdog");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        job = apr_pcalloc(pconf, sizeof(*job));
        job->s = s;
        rv = register_callback(wd, charon_watchdog_interval(s), job,
                               watchdog_callback);
        if (rv != APR_SUCCESS) {
            ap_log_error(
                APLOG_MARK, APLOG_CRIT, rv, s,
                CHARON_LOGNO(306) "cannot register the watchdog callback");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}
