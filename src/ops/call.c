/*
 * call.c: an API call that writes, whichever it is.
 */
#include "ops/charon_ops.h"

charon_db_e charon_op_outcome(charon_db *db, const charon_call_t *call,
                              charon_outcome_t *o)
{
    switch (call->verb) {
    case CHARON_VERB_START: return charon_op_start(db, call, o);
    case CHARON_VERB_END: return charon_op_end(db, call, o);
    case CHARON_VERB_MESSAGE: return charon_op_message(db, call, o);
    default: return CHARON_DB_FAILED;
    }
}
