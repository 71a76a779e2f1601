/*
 * charon_ops.c: what each API call and each housekeeping task does to the
 * database, in terms of the statements of charon_sql.c.
 *
 * Every operation is written so that, when it fails, nothing it wrote
 * stays (a single statement, or a transaction rolled back), which is what
 * lets charon_db_may_retry() run it once more after a recoverable error.
 */
#include "charon.h"

#include "apr_strings.h"

#define NARGS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Tries of a start whose insert was skipped although the cron is on and
 * nobody holds its lock (the holder ended, or overran, just then). */
#define START_TRIES 3

static const char *num(charon_db *db, apr_int64_t n)
{
    return apr_psprintf(charon_db_pool(db), "%" APR_INT64_T_FMT, n);
}

/* Ids come back from the database as text: anything but an id is a
 * database we do not understand, answered as unavailable. */
static int read_id(charon_db *db, const char *s, apr_int64_t *out)
{
    if (s && charon_parse_id(s, out)) {
        return 1;
    }
    charon_db_log(db, APLOG_ERR, CHARON_LOGNO(107)
                  "the database returned an id that is not one: '%s'",
                  s ? s : "(null)");
    return 0;
}

/* ---- crons and executions --------------------------------------------- */

static charon_db_status_e op_cron(charon_db *db, charon_stmt_e s,
                                  const char *arg, charon_cron_t *cron)
{
    const char *row[6];
    const char *args[] = { arg };
    int found;

    if (!charon_db_select(db, s, NARGS(args), args, 6, row, &found)) {
        return CHARON_DB_UNAVAILABLE;
    }
    if (!found) {
        return CHARON_DB_NOT_FOUND;
    }
    cron->running_id = 0;
    if (!read_id(db, row[0], &cron->id)
        || (*row[5] && !read_id(db, row[5], &cron->running_id))) {
        return CHARON_DB_UNAVAILABLE;
    }
    cron->slug = row[1];
    cron->on = !strcmp(row[2], "1");
    cron->off_reason = row[3];
    cron->off_until = row[4];
    return CHARON_DB_OK;
}

static charon_db_status_e op_execution_slug(charon_db *db, apr_int64_t id,
                                            const char **slug)
{
    const char *args[] = { num(db, id) };
    int found;

    if (!charon_db_select(db, ST_EXECUTION_SLUG, NARGS(args), args, 1, slug,
                          &found)) {
        return CHARON_DB_UNAVAILABLE;
    }
    return found ? CHARON_DB_OK : CHARON_DB_NOT_FOUND;
}

/* Inserts with ST_START or ST_MESSAGE and reads the new row's id: from
 * RETURNING where the dialect has it, else from LAST_INSERT_ID().  A
 * statement that inserts nothing leaves *found at 0. */
static int insert_returning(charon_db *db, charon_stmt_e s, int *found,
                            apr_int64_t *id, const char *a, const char *b,
                            const char *ids)
{
    const char *row[1];
    const char *args[] = { a, b, ids };
    int nrows = 0;

    if (charon_db_dialect(db)->insert_returning) {
        if (!charon_db_select(db, s, NARGS(args), args, 1, row, found)) {
            return 0;
        }
    }
    else {
        /* Two statements: in one transaction, so that a connection lost
         * between them leaves no row behind that the client never heard
         * of (and would create again when it retries). */
        if (!charon_db_begin(db)) {
            return 0;
        }
        if (!charon_db_query(db, s, &nrows, NARGS(args), args)) {
            charon_db_rollback(db);
            return 0;
        }
        *found = nrows > 0;
        if (*found && !charon_db_select(db, ST_LAST_ID, 0, NULL, 1, row,
                                        found)) {
            charon_db_rollback(db);
            return 0;
        }
        if (!charon_db_commit(db)) {
            return 0;
        }
    }
    return !*found || read_id(db, row[0], id);
}

/* Counts a refused start on the cron.  The count is part of the answer:
 * when it cannot be written, neither is the refusal given. */
static charon_db_status_e refuse(charon_db *db, charon_stmt_e counter,
                                 const char *ids, charon_db_status_e why)
{
    const char *args[] = { ids };
    int nrows;

    return charon_db_query(db, counter, &nrows, NARGS(args), args)
           ? why : CHARON_DB_UNAVAILABLE;
}

static charon_db_status_e op_start(charon_db *db, apr_int64_t cron_id,
                                   const char *key_name,
                                   const char *remote_addr,
                                   apr_int64_t *execution_id,
                                   charon_cron_t *cron)
{
    const char *ids = num(db, cron_id);
    const char *args[] = { ids };
    int tries, found, nrows;
    charon_db_status_e st;

    for (tries = 0; tries < START_TRIES; tries++) {
        if (!insert_returning(db, ST_START, &found, execution_id, key_name,
                              remote_addr, ids)) {
            return CHARON_DB_UNAVAILABLE;
        }
        if (found) {
            return CHARON_DB_OK;
        }
        /* Nothing was created: no such cron, off, or locked. */
        if ((st = op_cron(db, ST_CRON_BY_ID, ids, cron)) != CHARON_DB_OK) {
            return st;
        }
        if (!cron->on) {
            return refuse(db, ST_REFUSED_INACTIVE, ids, CHARON_DB_INACTIVE);
        }
        if (cron->running_id) {
            return refuse(db, ST_REFUSED_LOCKED, ids, CHARON_DB_LOCKED);
        }
        /* On, and no live holder: the index is held by a run past its
         * max_runtime that the watchdog has not marked yet, or the holder
         * ended just now.  Mark this cron's overdue runs, and try again. */
        if (!charon_db_query(db, ST_LOSE_OVERDUE, &nrows, NARGS(args), args)) {
            return CHARON_DB_UNAVAILABLE;
        }
    }
    charon_db_log(db, APLOG_WARNING, CHARON_LOGNO(112)
                  "start of cron %s: the lock kept changing hands; "
                  "answering 503", ids);
    return CHARON_DB_UNAVAILABLE;
}

/* Tells 404 from 409 once an end changed nothing. */
static charon_db_status_e why_not_ended(charon_db *db, const char *ids)
{
    const char *row[1];
    const char *args[] = { ids };
    int found;

    if (!charon_db_select(db, ST_EXECUTION_ENDED, NARGS(args), args, 1, row,
                          &found)) {
        return CHARON_DB_UNAVAILABLE;
    }
    return found ? CHARON_DB_CONFLICT : CHARON_DB_NOT_FOUND;
}

/* The end itself, and the execution's lost_at ("" when never lost). */
static int end_row(charon_db *db, const char **args, int *ended,
                   const char **lost_at)
{
    const char *row[1] = { "" };
    int nrows = 0, found;

    if (charon_db_dialect(db)->update_returning) {
        if (!charon_db_select(db, ST_END, 3, args, 1, row, ended)) {
            return 0;
        }
    }
    else {
        /* lost_at cannot change once the execution has ended. */
        if (!charon_db_query(db, ST_END, &nrows, 3, args)) {
            return 0;
        }
        *ended = nrows > 0;
        if (*ended && !charon_db_select(db, ST_END_LOST, 1, args + 2, 1, row,
                                        &found)) {
            return 0;
        }
    }
    *lost_at = row[0];
    return 1;
}

static charon_db_status_e op_end(charon_db *db, apr_int64_t execution_id,
                                 const charon_body_t *body,
                                 const char **lost_at)
{
    const char *ids = num(db, execution_id);
    const char *type = charon_type_name(body->type);
    const char *end_args[] = { body->success ? "1" : "0", type, ids };
    const char *msg_args[] = { type, body->message, ids };
    int ended = 0, nrows = 0;

    *lost_at = "";
    /* The end and its message are written together or not at all: in
     * one statement where the database can (one round trip), else in a
     * transaction. */
    if (body->has_message && charon_db_dialect(db)->sql[ST_END_WITH_MESSAGE]) {
        const char *args[] = { end_args[0], type, ids, type, body->message };
        const char *row[1];

        if (!charon_db_select(db, ST_END_WITH_MESSAGE, NARGS(args), args, 1,
                              row, &ended)) {
            return CHARON_DB_UNAVAILABLE;
        }
        if (ended) {
            *lost_at = row[0];
            return CHARON_DB_OK;
        }
        return why_not_ended(db, ids);
    }
    if (body->has_message && !charon_db_begin(db)) {
        return CHARON_DB_UNAVAILABLE;
    }
    if (!end_row(db, end_args, &ended, lost_at)
        || (ended && body->has_message
            && !charon_db_query(db, ST_END_MESSAGE, &nrows, NARGS(msg_args),
                                msg_args))) {
        charon_db_rollback(db);
        return CHARON_DB_UNAVAILABLE;
    }
    if (body->has_message && !charon_db_commit(db)) {
        return CHARON_DB_UNAVAILABLE;
    }
    return ended ? CHARON_DB_OK : why_not_ended(db, ids);
}

static charon_db_status_e op_message(charon_db *db, apr_int64_t execution_id,
                                     const charon_body_t *body,
                                     apr_int64_t *message_id)
{
    int found;

    if (!insert_returning(db, ST_MESSAGE, &found, message_id,
                          charon_type_name(body->type), body->message,
                          num(db, execution_id))) {
        return CHARON_DB_UNAVAILABLE;
    }
    return found ? CHARON_DB_OK : CHARON_DB_NOT_FOUND;
}

/* ---- the public calls: each runs once more after a recoverable error -- */

#define WITH_RECOVERY(db, call) do {                                        \
        charon_db_status_e st_ = (call);                                    \
        if (st_ == CHARON_DB_UNAVAILABLE && charon_db_may_retry(db)) {      \
            st_ = (call);                                                   \
        }                                                                   \
        return st_;                                                         \
    } while (0)

charon_db_status_e charon_db_cron_by_slug(charon_db *db, const char *slug,
                                          charon_cron_t *cron)
{
    WITH_RECOVERY(db, op_cron(db, ST_CRON_BY_SLUG, slug, cron));
}

charon_db_status_e charon_db_cron_by_id(charon_db *db, apr_int64_t id,
                                        charon_cron_t *cron)
{
    WITH_RECOVERY(db, op_cron(db, ST_CRON_BY_ID, num(db, id), cron));
}

charon_db_status_e charon_db_execution_slug(charon_db *db, apr_int64_t id,
                                            const char **slug)
{
    WITH_RECOVERY(db, op_execution_slug(db, id, slug));
}

charon_db_status_e charon_db_start(charon_db *db, apr_int64_t cron_id,
                                   const char *key_name,
                                   const char *remote_addr,
                                   apr_int64_t *execution_id,
                                   charon_cron_t *cron)
{
    WITH_RECOVERY(db, op_start(db, cron_id, key_name, remote_addr,
                               execution_id, cron));
}

charon_db_status_e charon_db_end(charon_db *db, apr_int64_t execution_id,
                                 const charon_body_t *body,
                                 const char **lost_at)
{
    WITH_RECOVERY(db, op_end(db, execution_id, body, lost_at));
}

charon_db_status_e charon_db_message(charon_db *db, apr_int64_t execution_id,
                                     const charon_body_t *body,
                                     apr_int64_t *message_id)
{
    WITH_RECOVERY(db, op_message(db, execution_id, body, message_id));
}

/* ---- Idempotency-Key -------------------------------------------------- */

/* The answers the database decided; the others (bad input, 503) say
 * nothing about what a retry would find, and are not kept. */
static int storable(int status)
{
    return status == HTTP_OK || status == HTTP_NOT_FOUND
           || status == HTTP_CONFLICT || status == 418;
}

typedef enum { ROUND_DONE, ROUND_AGAIN, ROUND_FAILED } round_e;

/* Runs after a recoverable failure (a deadlock, a locked SQLite). */
#define IDEM_RETRIES 2

/* One try: replay a stored answer, or run op and store its answer in the
 * same transaction.  ROUND_AGAIN when a concurrent request with the same
 * key stored its answer first: ours is rolled back, theirs is replayed. */
static round_e idem_round(charon_db *db, const charon_idem_t *idem,
                          charon_db_op_fn *op, void *baton,
                          charon_answer_t *answer, int *replayed,
                          charon_db_status_e *status)
{
    const char *win = num(db, idem->window);
    const char *get_args[] = { win, idem->key_name, idem->key };
    const char *expire_args[] = { idem->key_name, idem->key, win };
    const char *row[4];
    int found, nrows;

    if (!charon_db_select(db, ST_IDEM_GET, NARGS(get_args), get_args, 4, row,
                          &found)) {
        return ROUND_FAILED;
    }
    if (found && strcmp(row[3], "1")) {
        *replayed = 1;
        answer->status = atoi(row[1]);
        answer->json = row[2];
        *status = strcmp(row[0], idem->request) ? CHARON_DB_CONFLICT
                                                : CHARON_DB_OK;
        return ROUND_DONE;
    }
    if (!charon_db_begin(db)) {
        return ROUND_FAILED;
    }
    /* An answer past the window frees its key. */
    if (found && !charon_db_query(db, ST_IDEM_EXPIRE, &nrows,
                                  NARGS(expire_args), expire_args)) {
        return ROUND_FAILED;
    }
    charon_db_pin(db, 1);
    *status = op(db, baton, answer);
    charon_db_pin(db, 0);
    if (*status == CHARON_DB_UNAVAILABLE) {
        return ROUND_FAILED;
    }
    if (storable(answer->status)) {
        const char *put_args[] = {
            idem->key_name, idem->key, idem->request,
            apr_itoa(charon_db_pool(db), answer->status), answer->json
        };

        if (!charon_db_query(db, ST_IDEM_PUT, &nrows, NARGS(put_args),
                             put_args)) {
            return ROUND_FAILED;
        }
        if (nrows == 0) {
            charon_db_rollback(db);
            return ROUND_AGAIN;
        }
    }
    return charon_db_commit(db) ? ROUND_DONE : ROUND_FAILED;
}

charon_db_status_e charon_db_idempotent(charon_db *db,
                                        const charon_idem_t *idem,
                                        charon_db_op_fn *op, void *baton,
                                        charon_answer_t *answer,
                                        int *replayed)
{
    charon_db_status_e st = CHARON_DB_UNAVAILABLE;
    int rounds, retries = 0;

    *replayed = 0;
    for (rounds = 0; rounds < 6; rounds++) {
        switch (idem_round(db, idem, op, baton, answer, replayed, &st)) {
        case ROUND_DONE:
            return st;
        case ROUND_AGAIN:
            continue;
        case ROUND_FAILED:
            charon_db_pin(db, 0);
            charon_db_rollback(db);
            /* Same-key duplicates meet head-on here: a deadlock victim
             * may be picked twice in a row. */
            if (retries++ == IDEM_RETRIES || !charon_db_may_retry(db)) {
                return CHARON_DB_UNAVAILABLE;
            }
        }
    }
    return CHARON_DB_UNAVAILABLE;
}

/* ---- housekeeping (the watchdog) -------------------------------------- */

static charon_db_status_e op_batch(charon_db *db, charon_stmt_e s, int nargs,
                                   const char **args, int *count)
{
    *count = 0;
    return charon_db_query(db, s, count, nargs, args) ? CHARON_DB_OK
                                                      : CHARON_DB_UNAVAILABLE;
}

charon_db_status_e charon_db_lose_overdue(charon_db *db, int *count)
{
    WITH_RECOVERY(db, op_batch(db, ST_WD_LOSE, 0, NULL, count));
}

charon_db_status_e charon_db_reopen_crons(charon_db *db, int *count)
{
    WITH_RECOVERY(db, op_batch(db, ST_WD_REOPEN, 0, NULL, count));
}

charon_db_status_e charon_db_purge_idempotency(charon_db *db,
                                               apr_int64_t window,
                                               int *count)
{
    const char *args[] = { num(db, window) };

    WITH_RECOVERY(db, op_batch(db, ST_WD_IDEM_PURGE, NARGS(args), args,
                               count));
}

static charon_db_status_e op_next_cron(charon_db *db, apr_int64_t after,
                                      apr_int64_t *cron_id)
{
    const char *args[] = { num(db, after) };
    const char *row[1];
    int found;

    if (!charon_db_select(db, ST_WD_NEXT_CRON, NARGS(args), args, 1, row,
                          &found)) {
        return CHARON_DB_UNAVAILABLE;
    }
    if (!found || !*row[0]) {
        return CHARON_DB_NOT_FOUND;     /* MIN() of nothing is NULL */
    }
    return read_id(db, row[0], cron_id) ? CHARON_DB_OK
                                        : CHARON_DB_UNAVAILABLE;
}

charon_db_status_e charon_db_next_cron(charon_db *db, apr_int64_t after,
                                       apr_int64_t *cron_id)
{
    WITH_RECOVERY(db, op_next_cron(db, after, cron_id));
}

charon_db_status_e charon_db_purge_executions(charon_db *db,
                                              const charon_retention_t *rt,
                                              apr_int64_t cron_id,
                                              int *count)
{
    const char *keep = num(db, rt->keep);
    const char *age = num(db, rt->max_age);
    const char *args[] = { num(db, cron_id), keep, keep, age, age,
                           num(db, rt->keep_failures) };

    WITH_RECOVERY(db, op_batch(db, ST_WD_RETENTION, NARGS(args), args,
                               count));
}
