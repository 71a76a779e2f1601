/*
 * charon_gate.c: how long a request may wait for the database.
 *
 * mod_dbd's pool has no acquire timeout: a request that finds every
 * connection busy waits in apr_reslist_acquire() for as long as it takes,
 * and a connection that cannot be opened is retried by every waiting
 * request in turn, each for the driver's whole connect timeout.  Requests
 * then pile up behind a slow or absent database.
 *
 * The gate sits in front of ap_dbd_acquire(), one per mod_dbd pool in each
 * child process.  It hands out as many tickets as the pool has connections
 * (DBDMax) and waits at most CHARON_GATE_WAIT for one, so a request never
 * blocks inside the pool; and once a connection could not be opened, it
 * answers "unavailable" at once, letting one request a CHARON_GATE_RETRY
 * try again.  Every refusal becomes a 503 with Retry-After.
 */
#include "db/internal.h"

#include "mod_dbd.h"

#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_thread_cond.h"

#define CHARON_GATE_WAIT  apr_time_from_sec(5)
#define CHARON_GATE_RETRY apr_time_from_sec(1)

struct charon_gate {
    apr_thread_mutex_t *mutex;
    apr_thread_cond_t *freed;
    apr_thread_cond_t *settled; /* a try to connect has ended */
    int max;                    /* tickets: DBDMax, or 0 for no pool */
    int in_use;
    int down;            /* the last attempt to connect failed */
    int probing;         /* requests trying to connect */
    apr_time_t retry_at; /* when down: the next try */
    apr_time_t down_at;  /* when down: when it was found so */
    int dead;            /* connections found dead and gone back to the pool */
};

/* server_rec * -> charon_gate *, built in child_init, read-only after. */
static apr_hash_t *gates;

/* mod_dbd keeps its per-server configuration in a private struct whose
 * first member is the public dbd_cfg_t and whose second is the pool the
 * server shares with others of the same settings (mod_dbd.c: svr_cfg,
 * unchanged through httpd 2.4).  Reading these two fields is what lets
 * one gate serve exactly one pool with its real size. */
typedef struct {
    dbd_cfg_t *cfg;
    void *group;
} dbd_svr_view;

void charon_gate_child_init(apr_pool_t *pchild, server_rec *s)
{
    module *dbd = ap_find_linked_module("mod_dbd.c");
    apr_hash_t *by_group = apr_hash_make(pchild);

    gates = apr_hash_make(pchild);
    for (; dbd && s; s = s->next) {
        dbd_svr_view *svr = ap_get_module_config(s->module_config, dbd);
        charon_gate *gate;
        const void *key;

        if (!svr || !svr->cfg) {
            continue;
        }
        /* Servers that share a pool share its gate. */
        key = svr->group ? svr->group : (const void *)s;
        gate = apr_hash_get(by_group, &key, sizeof(key));
        if (!gate) {
            gate = apr_pcalloc(pchild, sizeof(*gate));
            if (apr_thread_mutex_create(&gate->mutex, APR_THREAD_MUTEX_DEFAULT,
                                        pchild)
                    != APR_SUCCESS
                || apr_thread_cond_create(&gate->freed, pchild) != APR_SUCCESS
                || apr_thread_cond_create(&gate->settled, pchild)
                       != APR_SUCCESS) {
                ap_log_error(
                    APLOG_MARK, APLOG_CRIT, 0, s,
                    CHARON_LOGNO(201) "cannot create the database gate");
                continue;
            }
#if APR_HAS_THREADS
            gate->max = svr->cfg->persist ? svr->cfg->nmax : 0;
#endif
            apr_hash_set(by_group, apr_pmemdup(pchild, &key, sizeof(key)),
                         sizeof(key), gate);
        }
        /* Keyed by the pointer's value: a copy of it, kept in pchild. */
        apr_hash_set(gates, apr_pmemdup(pchild, &s, sizeof(s)), sizeof(s),
                     gate);
    }
}

charon_gate *charon_gate_for(request_rec *r)
{
    return gates ? apr_hash_get(gates, &r->server, sizeof(r->server)) : NULL;
}

static apr_status_t ticket_release(void *data)
{
    charon_gate *gate = data;

    apr_thread_mutex_lock(gate->mutex);
    gate->in_use--;
    apr_thread_cond_signal(gate->freed);
    apr_thread_mutex_unlock(gate->mutex);
    return APR_SUCCESS;
}

int charon_gate_size(const charon_gate *gate)
{
    return gate->max;
}

charon_gate_e charon_gate_enter(charon_gate *gate, request_rec *r, int *probe)
{
    apr_time_t deadline = apr_time_now() + CHARON_GATE_WAIT;

    *probe = 0;
    apr_thread_mutex_lock(gate->mutex);
    if (gate->down && gate->probing > 0 && apr_time_now() < gate->retry_at) {
        /* A try is under way: its answer is worth waiting for (briefly),
         * since the first requests after the database is back would
         * otherwise get 503 while it connects. */
        apr_thread_cond_timedwait(gate->settled, gate->mutex,
                                  gate->retry_at - apr_time_now());
    }
    if (gate->down) {
        /* One try a second: a try that is still under way after a second
         * (a slow connect) does not keep the others waiting longer. */
        if (apr_time_now() < gate->retry_at) {
            apr_thread_mutex_unlock(gate->mutex);
            return CHARON_GATE_DOWN;
        }
        gate->retry_at = apr_time_now() + CHARON_GATE_RETRY;
        gate->probing++;
        *probe = 1;
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                      CHARON_LOGNO(202) "database was unreachable: this "
                                        "request tries again");
    }
    while (gate->max > 0 && gate->in_use >= gate->max) {
        apr_time_t left = deadline - apr_time_now();

        if (left <= 0
            || apr_thread_cond_timedwait(gate->freed, gate->mutex, left)
                   == APR_TIMEUP) {
            if (gate->in_use < gate->max) {
                break;
            }
            if (*probe) {
                gate->probing--;
            }
            apr_thread_mutex_unlock(gate->mutex);
            return CHARON_GATE_BUSY;
        }
    }
    gate->in_use++;
    apr_thread_mutex_unlock(gate->mutex);
    /* Registered before mod_dbd registers its own release on the same
     * pool, so it runs after it: the ticket comes back only once the
     * connection is back in the pool. */
    apr_pool_cleanup_register(r->pool, gate, ticket_release,
                              apr_pool_cleanup_null);
    return CHARON_GATE_OPEN;
}

void charon_gate_result(charon_gate *gate, int probe, int connected)
{
    apr_thread_mutex_lock(gate->mutex);
    if (probe) {
        gate->probing--;
    }
    if (connected) {
        gate->down = 0;
    }
    else {
        gate->down = 1;
        gate->down_at = apr_time_now();
        gate->retry_at = gate->down_at + CHARON_GATE_RETRY;
    }
    apr_thread_cond_broadcast(gate->settled);
    apr_thread_mutex_unlock(gate->mutex);
}

apr_time_t charon_gate_down_at(const charon_gate *gate)
{
    /* Read without the lock: a stale answer costs one 503, or one try. */
    return gate->down ? gate->down_at : 0;
}

void charon_gate_dead(charon_gate *gate)
{
    apr_thread_mutex_lock(gate->mutex);
    if (gate->dead < gate->max) {
        gate->dead++;
    }
    apr_thread_mutex_unlock(gate->mutex);
}

int charon_gate_take_dead(charon_gate *gate)
{
    int n;

    apr_thread_mutex_lock(gate->mutex);
    n = gate->dead;
    gate->dead = 0;
    apr_thread_mutex_unlock(gate->mutex);
    return n;
}

static dbd_svr_view *dbd_view(server_rec *s)
{
    module *dbd = ap_find_linked_module("mod_dbd.c");

    return dbd ? ap_get_module_config(s->module_config, dbd) : NULL;
}

const dbd_cfg_t *charon_dbd_cfg(server_rec *s)
{
    dbd_svr_view *svr = dbd_view(s);

    return svr ? svr->cfg : NULL;
}

const void *charon_dbd_pool_id(server_rec *s)
{
    dbd_svr_view *svr = dbd_view(s);

    return svr && svr->group ? svr->group : (const void *)s;
}
