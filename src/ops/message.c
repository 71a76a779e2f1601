/*
 * message.c: a message of an execution, running or ended (late log lines
 * are still information).
 */
#include "ops/charon_ops.h"

typedef struct {
    const charon_call_t *call;
    charon_outcome_t *o;
} message_t;

static charon_db_e message(charon_db *db, void *baton)
{
    message_t *m = baton;
    const char *args[MSG_NARGS];

    args[MSG_ARG_TYPE] = charon_type_name(m->call->body.type);
    args[MSG_ARG_TEXT] = m->call->body.message;
    args[MSG_ARG_EXECUTION] = charon_db_num(db, m->call->id);
    if (!charon_db_insert(db, ST_MESSAGE, args, &m->o->id)) {
        return CHARON_DB_FAILED;
    }
    m->o->what = m->o->id ? CHARON_MESSAGE_ADDED : CHARON_NO_EXECUTION;
    return CHARON_DB_OK;
}

charon_db_e charon_op_message(charon_db *db, const charon_call_t *call,
                              charon_outcome_t *o)
{
    message_t m = {call, o};

    memset(o, 0, sizeof(*o));
    return charon_db_run(db, 0, message, &m);
}
