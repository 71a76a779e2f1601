/*
 * alerts.c: delivering alert events, in every child of every server.
 *
 * One mod_watchdog instance per channel (a thread per channel in each
 * child), so that a channel whose receiver hangs holds back only its
 * own deliveries.  Each second the thread claims a few of its channel's
 * due deliveries with a lease (ops/alerts.c), sends them one after the
 * other (send/), and records each attempt.  A child killed mid-send
 * loses nothing: the lease runs out and another child, of any server,
 * sends it again, under the same event id (at least once).
 *
 * The requests never wait on any of this: it runs in the watchdog's
 * threads, with its own connections.
 */
#include "server/ticking.h"

#include "apr_strings.h"
#include "http_core.h"
#include "mod_watchdog.h"
#include "send/charon_send.h"

/* How often each channel's thread looks for due deliveries, and how long
 * it goes on claiming while it finds full claims (a backlog). */
#define POLL   apr_time_from_sec(1)
#define BUDGET apr_time_from_sec(5)

/* After the database failed, a channel's thread waits this long before it
 * claims again, rather than logging the failure every second. */
#define QUIET apr_time_from_sec(30)

/* One per channel and pool; each child's thread writes only its own
 * process's copy of quiet_until. */
typedef struct {
    server_rec *s;
    const charon_channel_t *c;
    apr_time_t quiet_until;
} deliver_job_t;

/* The lease covers a whole claim sent one by one, with room to record. */
static int lease_for(const charon_channel_t *c)
{
    int per = (c->timeout_ms + c->connect_timeout_ms) / 1000 + 1;

    return CHARON_AL_CLAIM * per + 10;
}

static const char *owner_token(apr_pool_t *p)
{
    unsigned char b[8];

    if (apr_generate_random_bytes(b, sizeof(b)) != APR_SUCCESS) {
        apr_uint64_t t = (apr_uint64_t)apr_time_now() ^ (apr_uint64_t)getpid();
        int i;

        for (i = 0; i < 8; i++) {
            b[i] = (unsigned char)(t >> (8 * i));
        }
    }
    return apr_psprintf(p, "%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1],
                        b[2], b[3], b[4], b[5], b[6], b[7]);
}

static void attempt_of(const charon_channel_t *c, const char *const *row,
                       const charon_send_result_t *r,
                       charon_alert_attempt_t *a)
{
    apr_int64_t attempts = apr_atoi64(row[ACD_COL_ATTEMPTS]);
    apr_int64_t age = apr_atoi64(row[ACD_COL_AGE]);
    apr_uint32_t rnd = 0;

    memset(a, 0, sizeof(*a));
    a->status = r->status;
    a->error = r->error;
    a->ms = r->ms;
    if (r->ok) {
        a->result = CHARON_ATTEMPT_OK;
        return;
    }
    if (!r->retry) {
        a->result = CHARON_ATTEMPT_FAILED;
        return;
    }
    apr_generate_random_bytes((unsigned char *)&rnd, sizeof(rnd));
    a->delay = charon_alert_backoff_from(c->backoff, (int)attempts, rnd);
    a->result = age + a->delay > c->give_up ? CHARON_ATTEMPT_GIVEN_UP
                                            : CHARON_ATTEMPT_RETRY;
}

/* One claim, sent one by one; the number of deliveries it took. */
static int deliver_claim(deliver_job_t *job, charon_db *db, apr_pool_t *p,
                         int (*stopping)(void))
{
    const charon_channel_t *c = job->c;
    const char *owner = owner_token(p);
    charon_rows_t rows;
    int i;

    if (charon_op_alert_claim(db, c->name, owner, lease_for(c), &rows)
        != CHARON_DB_OK) {
        return -1;
    }
    for (i = 0; i < rows.nrows && !stopping(); i++) {
        const char *const *row = rows.rows[i];
        charon_alert_doc_t doc;
        charon_send_result_t r;
        charon_alert_attempt_t a;
        apr_int64_t id = apr_atoi64(row[ACD_COL_ID]);

        memset(&r, 0, sizeof(r));
        if (charon_alert_document_parse(p, row[ACD_COL_DOCUMENT], &doc) != 0) {
            r.error = "the stored event is not an event document";
        }
        else {
            charon_send(p, c, &doc, &r);
        }
        attempt_of(c, row, &r, &a);
        if (a.result != CHARON_ATTEMPT_OK) {
            ap_log_error(
                APLOG_MARK,
                a.result == CHARON_ATTEMPT_RETRY ? APLOG_INFO : APLOG_WARNING,
                0, job->s,
                CHARON_LOGNO(320) "alert %s to channel %s (%s): attempt %s "
                                  "failed: %s; %s",
                row[ACD_COL_UID], c->name, c->shown, row[ACD_COL_ATTEMPTS],
                r.error ? r.error : "?",
                a.result == CHARON_ATTEMPT_RETRY ? apr_psprintf(
                    p, "again in %" APR_INT64_T_FMT " s", a.delay)
                : a.result == CHARON_ATTEMPT_FAILED
                    ? "not tried again (the receiver refused it)"
                    : "given up (past the channel's give_up window)");
        }
        else {
            ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, job->s,
                         CHARON_LOGNO(321) "alert %s delivered to channel %s "
                                           "in %ld ms",
                         row[ACD_COL_UID], c->name, r.ms);
        }
        if (charon_op_alert_done(db, id, owner, &a) != CHARON_DB_OK) {
            /* The lease runs out and it is sent again: at least once. */
            return -1;
        }
    }
    return rows.nrows;
}

static void deliver(deliver_job_t *job, apr_pool_t *p, int (*stopping)(void))
{
    charon_db *db;
    apr_time_t until = apr_time_now() + BUDGET;
    apr_pool_t *claim;
    int n;

    if (apr_time_now() < job->quiet_until) {
        return;
    }
    if (!(db = charon_db_open_server(p, job->s))) {
        job->quiet_until = apr_time_now() + QUIET; /* mod_dbd said why */
        return;
    }
    charon_db_set_stopping(db, stopping);
    if (apr_pool_create(&claim, p) != APR_SUCCESS) {
        charon_db_close(db);
        return;
    }
    do {
        apr_pool_clear(claim);
        charon_db_use_pool(db, claim);
        n = deliver_claim(job, db, claim, stopping);
    } while (n == CHARON_AL_CLAIM && !stopping() && apr_time_now() < until);
    if (n < 0) {
        job->quiet_until = apr_time_now() + QUIET;
    }
    charon_db_use_pool(db, p);
    charon_db_close(db);
}

static apr_status_t deliver_callback(int state, void *data, apr_pool_t *pool)
{
    apr_pool_t *p;

    if (state != AP_WATCHDOG_STATE_RUNNING) {
        return APR_SUCCESS;
    }
    if (!charon_watchdog_enter()) {
        return APR_SUCCESS;
    }
    if (apr_pool_create(&p, pool) == APR_SUCCESS) {
        deliver(data, p, charon_watchdog_stopping);
        apr_pool_destroy(p);
    }
    charon_watchdog_leave();
    return APR_SUCCESS;
}

/* One channel's threads, for server s's pool. */
static int register_channels(apr_pool_t *pconf, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_callback =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    const apr_array_header_t *chs = charon_alert_channels(s);
    int i;

    if (!get_instance || !register_callback) {
        return OK; /* watchdog.c says what that costs */
    }
    for (i = 0; i < chs->nelts; i++) {
        deliver_job_t *job = apr_pcalloc(pconf, sizeof(*job));
        ap_watchdog_t *wd;
        apr_status_t rv;

        job->s = s;
        job->c = APR_ARRAY_IDX(chs, i, charon_channel_t *);
        rv = get_instance(
            &wd, apr_pstrcat(pconf, "_charon_alert_", job->c->name, NULL), 0,
            0, pconf);
        if (rv == APR_SUCCESS) {
            rv = register_callback(wd, POLL, job, deliver_callback);
        }
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                         CHARON_LOGNO(322) "cannot start the deliveries of "
                                           "alert channel %s",
                         job->c->name);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}

int charon_alerts_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *pools;
    int i;

    (void)plog;
    /* httpd reads its configuration twice at startup; the threads are for
     * the second. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    /* libcurl's global state, in the parent before any thread. */
    if (charon_send_init(pconf) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                     CHARON_LOGNO(324) "libcurl could not start: alerts to "
                                       "webhooks and SMTP will fail");
    }
    pools = charon_server_pools(ptemp, s);
    for (i = 0; i < pools->nelts; i++) {
        if (register_channels(pconf, APR_ARRAY_IDX(pools, i, server_rec *))
            != OK) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    return OK;
}
