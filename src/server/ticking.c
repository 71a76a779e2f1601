/*
 * ticking.c: what the watchdog's ticks (watchdog.c) and the alert
 * deliveries (alerts.c) share: the child's end waits for them, and the
 * servers they work for, one per database pool.
 */
#include "server/ticking.h"

#include "apr_atomic.h"
#include "apr_hash.h"
#include "apr_strings.h"
#include "apr_thread_rwlock.h"

/* A child's end, with a tick under way: mod_watchdog stops its thread
 * only after the child's pool is gone, and mod_dbd's pools of connections
 * with it; the tick's connection then belonged to a pool that no longer
 * was (an assertion in apr_reslist, a core dump).  The child's end waits,
 * before any of that, for the tick to finish the statement it is in. */
static apr_thread_rwlock_t *ticking;
static volatile apr_uint32_t stopping;

/* Ticks and deliveries (alerts.c) hold it to read, all at once; the
 * child's end takes it to write, after them. */
static apr_status_t stop_ticks(void *data)
{
    (void)data;
    apr_atomic_set32(&stopping, 1);
    apr_thread_rwlock_wrlock(ticking);
    apr_thread_rwlock_unlock(ticking);
    return APR_SUCCESS;
}

void charon_watchdog_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_atomic_set32(&stopping, 0);
    if (apr_thread_rwlock_create(&ticking, pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                     CHARON_LOGNO(307) "cannot create the watchdog's mutex: "
                                       "no housekeeping "
                                       "in this process");
        ticking = NULL;
        return;
    }
    apr_pool_pre_cleanup_register(pchild, NULL, stop_ticks);
}

#define STOPPING() (apr_atomic_read32(&stopping) != 0)

int charon_watchdog_stopping(void)
{
    return STOPPING();
}

int charon_watchdog_enter(void)
{
    if (!ticking || STOPPING()) {
        return 0;
    }
    apr_thread_rwlock_rdlock(ticking);
    if (STOPPING()) {
        apr_thread_rwlock_unlock(ticking);
        return 0;
    }
    return 1;
}

void charon_watchdog_leave(void)
{
    apr_thread_rwlock_unlock(ticking);
}

apr_array_header_t *charon_server_pools(apr_pool_t *ptemp, server_rec *s)
{
    apr_array_header_t *out = apr_array_make(ptemp, 2, sizeof(server_rec *));
    apr_hash_t *pools = apr_hash_make(ptemp);

    for (; s; s = s->next) {
        const void *id;

        if (!charon_server_mounted(s)) {
            continue;
        }
        /* Servers that share a pool share the work: it is done once. */
        id = charon_dbd_pool_id(s);
        if (apr_hash_get(pools, &id, sizeof(id))) {
            continue;
        }
        apr_hash_set(pools, apr_pmemdup(ptemp, &id, sizeof(id)), sizeof(id),
                     s);
        APR_ARRAY_PUSH(out, server_rec *) = s;
    }
    return out;
}
