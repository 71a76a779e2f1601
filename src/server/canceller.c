/*
 * canceller.c: the thread that bounds statements (the db layer's
 * cancel.c), one per child, through mod_watchdog, a few times a second.
 * Where only SQLite is used it finds nothing to do.
 */
#include "server/charon_server.h"

#include "http_core.h"
#include "mod_watchdog.h"

#define TICK apr_time_from_msec(250)

static apr_status_t cancel_callback(int state, void *data, apr_pool_t *pool)
{
    (void)pool;
    if (state == AP_WATCHDOG_STATE_RUNNING) {
        charon_cancel_tick(data);
    }
    return APR_SUCCESS;
}

int charon_canceller_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_watchdog_get_instance) *get_instance =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_get_instance);
    APR_OPTIONAL_FN_TYPE(ap_watchdog_register_callback) *register_callback =
        APR_RETRIEVE_OPTIONAL_FN(ap_watchdog_register_callback);
    ap_watchdog_t *wd;
    apr_status_t rv;

    (void)plog;
    (void)ptemp;
    /* httpd reads its configuration twice at startup: the thread is for
     * the second; without mod_watchdog the watchdog says what it costs. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
        || !get_instance || !register_callback) {
        return OK;
    }
    rv = get_instance(&wd, "_charon_cancel", 0, 0, pconf);
    if (rv == APR_SUCCESS) {
        rv = register_callback(wd, TICK, s, cancel_callback);
    }
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     CHARON_LOGNO(122) "no thread to bound statements: a "
                                       "commit waiting for a standby that "
                                       "is gone, or a MySQL server that "
                                       "stopped answering, holds its "
                                       "request for ever");
    }
    return OK;
}
