/*
 * idempotency.c: a call made with an Idempotency-Key runs once per (key
 * name, key): its answer is stored in the same transaction as its writes,
 * and a retry gets that answer again, whether the first answer reached the
 * client or not.  The answer is opaque here: a status and a document.
 *
 * Concurrent duplicates meet at the stored answer's primary key: the one
 * that stores second rolls its call back and replays the first one's.
 */
#include "ops/charon_ops.h"

#include "apr_strings.h"

typedef struct {
    const charon_idem_t *idem;
    const charon_call_t *call;
    charon_answer_t *answer;
    charon_idem_e how;
    const char *window;
    int expired; /* a stored answer past the window */
} idem_t;

/* The call, and its answer stored with its writes (in the transaction). */
static charon_db_e run_and_store(charon_db *db, void *baton)
{
    idem_t *m = baton;
    const char *expire[IDEM_EXP_NARGS], *put[IDEM_PUT_NARGS];
    charon_outcome_t o;
    charon_db_e rv;
    int stored = 0;

    /* An answer past the window frees its key.  (Only when there is one:
     * on MySQL, deleting a row that is not there locks the gap where
     * concurrent duplicates insert, and deadlocks.) */
    expire[IDEM_EXP_ARG_KEY_NAME] = m->idem->key_name;
    expire[IDEM_EXP_ARG_KEY] = m->idem->key;
    expire[IDEM_EXP_ARG_WINDOW] = m->window;
    if (m->expired && !charon_db_exec(db, ST_IDEM_EXPIRE, expire, NULL)) {
        return CHARON_DB_FAILED;
    }
    if ((rv = charon_op_outcome(db, m->call, &o)) != CHARON_DB_OK) {
        return rv;
    }
    charon_answer_for(charon_db_pool(db), &o, m->answer);
    if (!m->answer->json) {
        return CHARON_DB_FAILED;
    }
    put[IDEM_PUT_ARG_KEY_NAME] = m->idem->key_name;
    put[IDEM_PUT_ARG_KEY] = m->idem->key;
    put[IDEM_PUT_ARG_REQUEST] = m->idem->request;
    put[IDEM_PUT_ARG_STATUS] = apr_itoa(charon_db_pool(db), m->answer->status);
    put[IDEM_PUT_ARG_RESPONSE] = m->answer->json;
    if (!charon_db_exec(db, ST_IDEM_PUT, put, &stored)) {
        return CHARON_DB_FAILED;
    }
    /* A concurrent duplicate stored its answer first: ours is rolled
     * back, and the next run replays theirs. */
    m->how = CHARON_IDEM_NEW;
    return stored ? CHARON_DB_OK : CHARON_DB_AGAIN;
}

/* A stored answer's status, as it was stored. */
static int stored_status(const char *s, int *status)
{
    apr_int64_t v;
    char *end;

    if (!s || !*s) {
        return 0;
    }
    v = apr_strtoi64(s, &end, 10);
    if (*end || v < 100 || v > 599) {
        return 0;
    }
    *status = (int)v;
    return 1;
}

static charon_db_e replay_or_run(charon_db *db, void *baton)
{
    idem_t *m = baton;
    const char *args[IDEM_GET_NARGS];
    const char *const *row;

    args[IDEM_GET_ARG_WINDOW] = m->window;
    args[IDEM_GET_ARG_KEY_NAME] = m->idem->key_name;
    args[IDEM_GET_ARG_KEY] = m->idem->key;
    if (!charon_db_row(db, ST_IDEM_GET, args, &row)) {
        return CHARON_DB_FAILED;
    }
    m->expired =
        row && row[IDEM_COL_EXPIRED] && !strcmp(row[IDEM_COL_EXPIRED], "1");
    if (!row || m->expired) {
        return charon_db_run(db, CHARON_DB_TX, run_and_store, m);
    }
    if (!row[IDEM_COL_RESPONSE]
        || !stored_status(row[IDEM_COL_STATUS], &m->answer->status)) {
        charon_db_log(
            db, APLOG_ERR,
            CHARON_LOGNO(108) "a stored Idempotency-Key answer is unreadable");
        return CHARON_DB_FAILED;
    }
    m->answer->json = row[IDEM_COL_RESPONSE];
    m->how = row[IDEM_COL_REQUEST]
                     && !strcmp(row[IDEM_COL_REQUEST], m->idem->request)
                 ? CHARON_IDEM_REPLAYED
                 : CHARON_IDEM_KEY_REUSED;
    return CHARON_DB_OK;
}

charon_db_e charon_op_idempotent(charon_db *db, const charon_idem_t *idem,
                                 const charon_call_t *call,
                                 charon_answer_t *answer, charon_idem_e *how)
{
    idem_t m;
    charon_db_e rv;

    memset(&m, 0, sizeof(m));
    m.idem = idem;
    m.call = call;
    m.answer = answer;
    m.window = charon_db_num(db, idem->window);
    rv = charon_db_run(db, 0, replay_or_run, &m);
    *how = m.how;
    return rv;
}
