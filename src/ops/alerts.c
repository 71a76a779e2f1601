/*
 * alerts.c: each cron's alert state, moved by what its runs came to, and
 * the events that makes, with their deliveries (an outbox).
 *
 * The database writes an outcome row in the transaction of the run's own
 * change (sql/: the charon_execution_alert triggers).  Here, one
 * transaction per cron takes the cron's state row's lock, runs its
 * waiting outcomes through the state machine (lib/alert_state.c), writes
 * each event with a delivery per channel that wants it, deletes the
 * outcomes and stores the state: a crash anywhere leaves either all of it
 * or none, and two servers moving the same cron wait for each other on
 * the lock, the second finding nothing left to do.
 *
 * Deliveries are claimed with a lease (an UPDATE that takes only rows
 * whose lease has run out) and their attempts recorded; the sending is
 * the watchdog's (server/alerts.c, send/).
 */
#include "ops/charon_ops.h"

#include <stdlib.h>
#include <string.h>

#include "apr_strings.h"

/* Runs an event names: those of the streak that made it. */
#define MAX_RUNS 10

typedef struct {
    apr_int64_t cron;
    int realert; /* 0: outcomes; 1: time passing */
    const charon_alert_ctx_t *ctx;
    charon_alert_counts_t *counts;
} cron_tx_t;

static int num(const char *s, apr_int64_t *out)
{
    char *end;

    if (!s || !*s) {
        return 0;
    }
    *out = apr_strtoi64(s, &end, 10);
    return *end == '\0' || *end == '.';
}

static apr_int64_t num_or(const char *s, apr_int64_t dflt)
{
    apr_int64_t v;

    return num(s, &v) ? v : dflt;
}

const char *charon_alert_uid(apr_pool_t *p)
{
    unsigned char b[16];
    apr_uint64_t t = (apr_uint64_t)apr_time_now();
    int i;

    if (apr_generate_random_bytes(b, sizeof(b)) != APR_SUCCESS) {
        /* Unique enough without the random source: time and address. */
        for (i = 0; i < 8; i++) {
            b[i] = (unsigned char)(t >> (8 * i));
            b[8 + i] = (unsigned char)((apr_uintptr_t)b >> (8 * i));
        }
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    return apr_psprintf(
        p,
        "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
        b[11], b[12], b[13], b[14], b[15]);
}

/* A run's last messages, oldest first. */
static charon_db_e run_messages(charon_db *db, charon_alert_run_t *run)
{
    const char *args[ONE_NARGS];
    charon_alert_msg_t *m;
    charon_rows_t rows;
    int i;

    run->msgs = NULL;
    run->nmsgs = 0;
    if (run->execution_id <= 0) {
        return CHARON_DB_OK;
    }
    args[ONE_ARG] = charon_db_num(db, run->execution_id);
    if (!charon_db_rows(db, ST_AL_MESSAGES, args, CHARON_ALERT_MAX_MSGS,
                        &rows)) {
        return CHARON_DB_FAILED;
    }
    m = apr_pcalloc(charon_db_pool(db), sizeof(*m) * (rows.nrows + 1));
    for (i = 0; i < rows.nrows; i++) {
        const char *const *r = rows.rows[rows.nrows - 1 - i];

        m[i].type = r[AM_COL_TYPE];
        m[i].message = r[AM_COL_MESSAGE];
        m[i].at = num_or(r[AM_COL_AT], 0);
    }
    run->msgs = m;
    run->nmsgs = rows.nrows;
    return CHARON_DB_OK;
}

/* Writes one event and its deliveries. */
static charon_db_e make_event(charon_db *db, const cron_tx_t *t,
                              charon_alert_doc_t *doc)
{
    apr_pool_t *p = charon_db_pool(db);
    const apr_array_header_t *chs = t->ctx->channels;
    const char *args[AE_NARGS];
    apr_int64_t event_id;
    int i;

    for (i = 0; i < doc->nruns; i++) {
        if (run_messages(db, (charon_alert_run_t *)&doc->runs[i])
            != CHARON_DB_OK) {
            return CHARON_DB_FAILED;
        }
    }
    doc->id = charon_alert_uid(p);
    doc->url = t->ctx->manager_url && doc->cron_id
                   ? apr_psprintf(p, "%s/cron/%" APR_INT64_T_FMT,
                                  t->ctx->manager_url, doc->cron_id)
                   : NULL;
    args[AE_ARG_UID] = doc->id;
    args[AE_ARG_CRON] = doc->cron_id ? charon_db_num(db, doc->cron_id) : "";
    args[AE_ARG_EVENT] = charon_event_name(doc->event);
    args[AE_ARG_MUTED] = doc->muted ? "1" : "0";
    args[AE_ARG_DOCUMENT] = charon_alert_document(p, doc);
    if (!charon_db_insert(db, ST_AL_EVENT, args, &event_id) || !event_id) {
        return CHARON_DB_FAILED;
    }
    t->counts->events++;
    if (doc->muted) {
        t->counts->muted++;
        return CHARON_DB_OK;
    }
    for (i = 0; chs && i < chs->nelts; i++) {
        const charon_channel_t *c = APR_ARRAY_IDX(chs, i, charon_channel_t *);
        const char *dargs[AD_NARGS];

        if (t->ctx->only && strcmp(t->ctx->only, c->name)) {
            continue;
        }
        if (!charon_channel_wants(
                c, doc->event == CHARON_EVENT_TEST ? NULL : doc->slug,
                doc->event)) {
            continue;
        }
        dargs[AD_ARG_EVENT] = charon_db_num(db, event_id);
        dargs[AD_ARG_CHANNEL] = c->name;
        if (!charon_db_exec(db, ST_AL_DELIVERY, dargs, NULL)) {
            return CHARON_DB_FAILED;
        }
        t->counts->deliveries++;
    }
    return CHARON_DB_OK;
}

static const char *secs_or_empty(charon_db *db, apr_int64_t t)
{
    return t < 0 ? "" : charon_db_num(db, t);
}

static charon_db_e cron_tx(charon_db *db, void *baton)
{
    cron_tx_t *t = baton;
    const char *args[ONE_NARGS], *sargs[ASET_NARGS], *dargs[AOD_NARGS];
    const char *const *row;
    charon_alert_policy_t policy;
    charon_alert_state_t st;
    charon_alert_run_t runs[MAX_RUNS];
    charon_alert_doc_t doc;
    charon_rows_t out;
    apr_int64_t now;
    int i, nruns = 0, muted;

    args[ONE_ARG] = charon_db_num(db, t->cron);
    if (!charon_db_exec(db, ST_AL_STATE_ENSURE, args, NULL)
        || !charon_db_exec(db, ST_AL_STATE_LOCK, args, NULL)
        || !charon_db_row(db, ST_AL_STATE, args, &row)) {
        return CHARON_DB_FAILED;
    }
    if (!row) {
        return CHARON_DB_OK; /* the cron was deleted */
    }
    charon_alert_state_init(&st);
    st.down = row[AS_COL_DOWN] && !strcmp(row[AS_COL_DOWN], "1");
    st.bad_streak = (int)num_or(row[AS_COL_BAD], 0);
    st.good_streak = (int)num_or(row[AS_COL_GOOD], 0);
    st.changed_at = num_or(row[AS_COL_CHANGED], -1);
    st.alerted_at = num_or(row[AS_COL_ALERTED], -1);
    policy.failure_threshold = (int)num_or(row[AS_COL_FAILURE_THRESHOLD], 1);
    policy.recovery_threshold = (int)num_or(row[AS_COL_RECOVERY_THRESHOLD], 1);
    policy.realert_every = num_or(row[AS_COL_REALERT], 0);
    policy.mute_until = num_or(row[AS_COL_MUTE_UNTIL], -1);
    now = num_or(row[AS_COL_NOW], apr_time_sec(apr_time_now()));

    memset(&doc, 0, sizeof(doc));
    doc.cron_id = t->cron;
    doc.slug = row[AS_COL_SLUG];
    doc.name = row[AS_COL_NAME];
    doc.at = now;

    if (t->realert) {
        doc.event = charon_alert_tick(&policy, &st, now, &muted);
        if (doc.event != CHARON_EVENT_NONE) {
            doc.muted = muted;
            if (make_event(db, t, &doc) != CHARON_DB_OK) {
                return CHARON_DB_FAILED;
            }
        }
    }
    else {
        if (!charon_db_rows(db, ST_AL_OUTCOMES, args, CHARON_AL_OUTCOMES,
                            &out)) {
            return CHARON_DB_FAILED;
        }
        for (i = 0; i < out.nrows; i++) {
            const char *const *r = out.rows[i];
            charon_run_outcome_e o;
            charon_alert_run_t *run;
            int was_bad_streak = st.bad_streak, was_good = st.good_streak;

            dargs[AOD_ARG_ID] = r[AO_COL_ID];
            if (!charon_db_exec(db, ST_AL_OUTCOMES_DONE, dargs, NULL)) {
                return CHARON_DB_FAILED;
            }
            if (!charon_outcome_parse(r[AO_COL_OUTCOME], &o)) {
                continue;
            }
            doc.event = charon_alert_step(&policy, &st, o, now, &muted);
            /* The runs of the streak under way: a new streak starts the
             * list over. */
            if ((charon_outcome_bad(o) && was_bad_streak == 0)
                || (!charon_outcome_bad(o) && was_good == 0)) {
                nruns = 0;
            }
            if (nruns == MAX_RUNS) {
                memmove(runs, runs + 1, sizeof(runs[0]) * (MAX_RUNS - 1));
                nruns--;
            }
            run = &runs[nruns++];
            memset(run, 0, sizeof(*run));
            run->execution_id = num_or(r[AO_COL_EXECUTION], 0);
            run->outcome = o;
            run->started_at = num_or(r[AO_COL_STARTED], -1);
            run->ended_at = num_or(r[AO_COL_ENDED], -1);
            run->duration =
                r[AO_COL_DURATION] ? strtod(r[AO_COL_DURATION], NULL) : -1;
            run->slot = num_or(r[AO_COL_SLOT], -1);
            if (o == CHARON_OUTCOME_MISSED) {
                run->started_at = run->ended_at = -1;
                run->duration = -1;
                run->execution_id = 0;
            }
            if (doc.event == CHARON_EVENT_NONE) {
                continue;
            }
            doc.muted = muted;
            doc.runs =
                apr_pmemdup(charon_db_pool(db), runs, sizeof(runs[0]) * nruns);
            doc.nruns = nruns;
            if (make_event(db, t, &doc) != CHARON_DB_OK) {
                return CHARON_DB_FAILED;
            }
            nruns = 0;
        }
    }
    sargs[ASET_ARG_STATE] = st.down ? "down" : "up";
    sargs[ASET_ARG_BAD] = charon_db_num(db, st.bad_streak);
    sargs[ASET_ARG_GOOD] = charon_db_num(db, st.good_streak);
    sargs[ASET_ARG_CHANGED] = secs_or_empty(db, st.changed_at);
    sargs[ASET_ARG_ALERTED] = secs_or_empty(db, st.alerted_at);
    sargs[ASET_ARG_CRON] = args[ONE_ARG];
    return charon_db_exec(db, ST_AL_STATE_SET, sargs, NULL) ? CHARON_DB_OK
                                                            : CHARON_DB_FAILED;
}

typedef struct {
    charon_stmt_e st;
    charon_rows_t rows;
} crons_t;

static charon_db_e crons(charon_db *db, void *baton)
{
    crons_t *c = baton;

    return charon_db_rows(db, c->st, NULL, CHARON_DB_BATCH, &c->rows)
               ? CHARON_DB_OK
               : CHARON_DB_FAILED;
}

charon_db_e charon_op_alert_batch(charon_db *db, const charon_alert_ctx_t *ctx,
                                  int realert, int (*stop)(void *),
                                  void *baton, int *ncrons,
                                  charon_alert_counts_t *counts)
{
    crons_t c;
    cron_tx_t t;
    int i;

    *ncrons = 0;
    c.st = realert ? ST_AL_REALERT_CRONS : ST_AL_OUTCOME_CRONS;
    if (charon_db_run(db, 0, crons, &c) != CHARON_DB_OK) {
        return CHARON_DB_FAILED;
    }
    t.realert = realert;
    t.ctx = ctx;
    t.counts = counts;
    for (i = 0; i < c.rows.nrows; i++) {
        if (i > 0 && stop && stop(baton)) {
            break;
        }
        if (!charon_db_id(db, c.rows.rows[i][ONE_COL], &t.cron)) {
            continue;
        }
        if (charon_db_run(db, CHARON_DB_TX, cron_tx, &t) != CHARON_DB_OK) {
            return CHARON_DB_FAILED;
        }
        counts->crons++;
    }
    *ncrons = c.rows.nrows;
    return CHARON_DB_OK;
}

/* ---- a test alert ---------------------------------------------------- */

typedef struct {
    cron_tx_t t;
    charon_alert_doc_t doc;
} test_tx_t;

static charon_db_e test_tx(charon_db *db, void *baton)
{
    test_tx_t *x = baton;

    x->t.counts->events = x->t.counts->deliveries = 0;
    return make_event(db, &x->t, &x->doc);
}

charon_db_e charon_op_alert_test(charon_db *db, const charon_alert_ctx_t *ctx,
                                 const char **uid)
{
    charon_alert_counts_t counts;
    test_tx_t x;

    memset(&x, 0, sizeof(x));
    memset(&counts, 0, sizeof(counts));
    x.t.ctx = ctx;
    x.t.counts = &counts;
    x.doc.event = CHARON_EVENT_TEST;
    x.doc.at = apr_time_sec(apr_time_now());
    x.doc.slug = "";
    x.doc.name = "a test alert";
    if (charon_db_run(db, CHARON_DB_TX, test_tx, &x) != CHARON_DB_OK) {
        return CHARON_DB_FAILED;
    }
    *uid = x.doc.id;
    return CHARON_DB_OK;
}

/* ---- deliveries ------------------------------------------------------ */

typedef struct {
    const char *const *args;
    charon_rows_t *rows;
} claim_t;

/* Where a range UPDATE would deadlock (statements.h, AL_CLAIM_IDS): the
 * candidates read without a lock, then taken by primary key if still
 * due; a candidate another server took meanwhile is left to it. */
static int claim_by_ids(charon_db *db, const char *const *args)
{
    const char *cargs[ONE_NARGS], *bargs[ACB_NARGS];
    charon_rows_t ids;
    int i;

    cargs[ONE_ARG] = args[ACL_ARG_CHANNEL];
    if (!charon_db_rows(db, ST_AL_CLAIM_IDS, cargs, CHARON_AL_CLAIM, &ids)) {
        return 0;
    }
    if (!ids.nrows) {
        return 1;
    }
    bargs[ACB_ARG_OWNER] = args[ACL_ARG_OWNER];
    bargs[ACB_ARG_LEASE] = args[ACL_ARG_LEASE];
    for (i = 0; i < CHARON_AL_CLAIM; i++) {
        bargs[ACB_ARG_ID1 + i] = i < ids.nrows ? ids.rows[i][ONE_COL] : "0";
    }
    return charon_db_exec(db, ST_AL_CLAIM_BY_IDS, bargs, NULL);
}

static charon_db_e claim(charon_db *db, void *baton)
{
    claim_t *c = baton;
    const char *owner[ONE_NARGS];

    if (!(charon_db_has(db, ST_AL_CLAIM_IDS)
              ? claim_by_ids(db, c->args)
              : charon_db_exec(db, ST_AL_CLAIM, c->args, NULL))) {
        return CHARON_DB_FAILED;
    }
    owner[ONE_ARG] = c->args[ACL_ARG_OWNER];
    return charon_db_rows(db, ST_AL_CLAIMED, owner, CHARON_AL_CLAIM, c->rows)
               ? CHARON_DB_OK
               : CHARON_DB_FAILED;
}

charon_db_e charon_op_alert_claim(charon_db *db, const char *channel,
                                  const char *owner, int lease,
                                  charon_rows_t *rows)
{
    const char *args[ACL_NARGS];
    claim_t c;

    args[ACL_ARG_OWNER] = owner;
    args[ACL_ARG_LEASE] = charon_db_num(db, lease);
    args[ACL_ARG_CHANNEL] = channel;
    c.args = args;
    c.rows = rows;
    return charon_db_run(db, CHARON_DB_TX, claim, &c);
}

typedef struct {
    const char *const *done;
    const char *const *attempt;
} done_t;

static charon_db_e done(charon_db *db, void *baton)
{
    done_t *d = baton;

    return charon_db_exec(db, ST_AL_DONE, d->done, NULL)
                   && charon_db_exec(db, ST_AL_ATTEMPT, d->attempt, NULL)
               ? CHARON_DB_OK
               : CHARON_DB_FAILED;
}

charon_db_e charon_op_alert_done(charon_db *db, apr_int64_t delivery,
                                 const char *owner,
                                 const charon_alert_attempt_t *a)
{
    static const char *const states[] = {"delivered", "pending", "given_up",
                                         "given_up"};
    static const char *const results[] = {"ok", "retry", "failed", "given_up"};
    const char *dargs[ADN_NARGS], *aargs[AAT_NARGS];
    const char *error = a->error ? a->error : "";
    done_t d;

    if (strlen(error) > 500) {
        error = apr_pstrndup(charon_db_pool(db), error, 500);
    }
    dargs[ADN_ARG_STATE] = states[a->result];
    dargs[ADN_ARG_DELAY] = charon_db_num(db, a->delay);
    dargs[ADN_ARG_ERROR] = error;
    dargs[ADN_ARG_DELIVERED] = states[a->result];
    dargs[ADN_ARG_ID] = charon_db_num(db, delivery);
    dargs[ADN_ARG_OWNER] = owner;
    dargs[ADN_ARG_STATE_OK] = states[a->result];
    aargs[AAT_ARG_DELIVERY] = dargs[ADN_ARG_ID];
    aargs[AAT_ARG_RESULT] = results[a->result];
    aargs[AAT_ARG_STATUS] = a->status ? charon_db_num(db, a->status) : "";
    aargs[AAT_ARG_ERROR] = error;
    aargs[AAT_ARG_MS] = charon_db_num(db, a->ms);
    d.done = dargs;
    d.attempt = aargs;
    return charon_db_run(db, CHARON_DB_TX, done, &d);
}
