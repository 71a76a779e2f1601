/*
 * end.c: ending an execution, exactly once, with its message.
 *
 * The UPDATE's condition on ended_at makes ending exactly-once: of two
 * concurrent ends, one changes the row.  The end and its message are
 * written together or not at all: in one statement where the database
 * can, else in a transaction.
 */
#include "ops/charon_ops.h"

typedef struct {
    const charon_call_t *call;
    charon_outcome_t *o;
    const char *id; /* the execution's, as text */
    const char *success;
    const char *type;
} end_t;

/* Tells "no such execution" from "already ended" once an end changed
 * nothing. */
static charon_db_e why_not_ended(charon_db *db, end_t *e)
{
    const char *args[ONE_NARGS];
    const char *const *row;

    args[ONE_ARG] = e->id;
    if (!charon_db_row(db, ST_EXECUTION_ENDED, args, &row)) {
        return CHARON_DB_FAILED;
    }
    e->o->what = row ? CHARON_ALREADY_ENDED : CHARON_NO_EXECUTION;
    return CHARON_DB_OK;
}

/* The end and its message in one statement (END_WITH_MESSAGE). */
static charon_db_e end_with_message(charon_db *db, void *baton)
{
    end_t *e = baton;
    const char *args[ENDM_NARGS];
    const char *const *row;

    args[ENDM_ARG_SUCCESS] = e->success;
    args[ENDM_ARG_TYPE] = e->type;
    args[ENDM_ARG_ID] = e->id;
    args[ENDM_ARG_MSG_TYPE] = e->type;
    args[ENDM_ARG_MESSAGE] = e->call->body.message;
    if (!charon_db_row(db, ST_END_WITH_MESSAGE, args, &row)) {
        return CHARON_DB_FAILED;
    }
    if (!row) {
        return why_not_ended(db, e);
    }
    e->o->lost_at = row[ONE_COL] ? row[ONE_COL] : "";
    return CHARON_DB_OK;
}

/* The end's row, and its lost_at: returned by the UPDATE, or read after
 * it (END_LOST; lost_at cannot change once the execution has ended). */
static int end_row(charon_db *db, end_t *e, int *ended)
{
    const char *args[END_NARGS], *lost[ONE_NARGS];
    const char *const *row = NULL;
    int n = 0;

    args[END_ARG_SUCCESS] = e->success;
    args[END_ARG_TYPE] = e->type;
    args[END_ARG_ID] = e->id;
    if (!charon_db_has(db, ST_END_LOST)) {
        if (!charon_db_row(db, ST_END, args, &row)) {
            return 0;
        }
        *ended = row != NULL;
    }
    else {
        lost[ONE_ARG] = e->id;
        if (!charon_db_exec(db, ST_END, args, &n)) {
            return 0;
        }
        *ended = n > 0;
        if (*ended && !charon_db_row(db, ST_END_LOST, lost, &row)) {
            return 0;
        }
    }
    e->o->lost_at = row && row[ONE_COL] ? row[ONE_COL] : "";
    return 1;
}

static charon_db_e end(charon_db *db, void *baton)
{
    end_t *e = baton;
    const char *args[MSG_NARGS];
    int ended = 0;

    if (!end_row(db, e, &ended)) {
        return CHARON_DB_FAILED;
    }
    if (!ended) {
        return why_not_ended(db, e);
    }
    if (!e->call->body.has_message) {
        return CHARON_DB_OK;
    }
    args[MSG_ARG_TYPE] = e->type;
    args[MSG_ARG_TEXT] = e->call->body.message;
    args[MSG_ARG_EXECUTION] = e->id;
    return charon_db_exec(db, ST_END_MESSAGE, args, NULL) ? CHARON_DB_OK
                                                          : CHARON_DB_FAILED;
}

charon_db_e charon_op_end(charon_db *db, const charon_call_t *call,
                          charon_outcome_t *o)
{
    end_t e = {call, o, charon_db_num(db, call->id),
               call->body.success ? "1" : "0",
               charon_type_name(call->body.type)};

    memset(o, 0, sizeof(*o));
    o->what = CHARON_ENDED;
    o->id = call->id;
    if (call->body.has_message && charon_db_has(db, ST_END_WITH_MESSAGE)) {
        return charon_db_run(db, 0, end_with_message, &e);
    }
    return charon_db_run(db, call->body.has_message ? CHARON_DB_TX : 0, end,
                         &e);
}
