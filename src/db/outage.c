/*
 * outage.c: one line when a database cannot be used, one when it can
 * again, for all of httpd's children together.
 *
 * While a database is away every request fails the same way; a line per
 * request (or per child) buries what matters.  Each mod_dbd pool has a
 * cell in shared memory made before the children fork: the first failure
 * of an outage claims the cell (compare-and-swap) and logs why, the
 * others only count; the first success afterwards logs how long it lasted
 * and how many requests were answered 503.  A success costs one atomic
 * read.  mod_dbd still logs each of its own failed tries (once a second
 * per child, the gate's pace).
 */
#include "db/internal.h"

#include "apr_atomic.h"
#include "apr_shm.h"
#include "apr_strings.h"

struct charon_outage {
    volatile apr_uint64_t since;   /* usec since the epoch, 0: no outage */
    volatile apr_uint64_t refused; /* requests answered 503 meanwhile */
    volatile apr_uint64_t back;    /* when the last outage ended */
};

/* pool id -> charon_outage *, built in post_config, read-only after. */
static apr_hash_t *cells;

int charon_outage_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *ids = apr_hash_make(ptemp);
    apr_shm_t *shm;
    server_rec *v;
    charon_outage *base;
    apr_size_t n = 0;
    apr_status_t rv;

    (void)plog;
    for (v = s; v; v = v->next) {
        const void *id = charon_dbd_pool_id(v);

        if (!apr_hash_get(ids, &id, sizeof(id))) {
            apr_hash_set(ids, apr_pmemdup(ptemp, &id, sizeof(id)), sizeof(id),
                         (void *)(n++ + 1));
        }
    }
    cells = apr_hash_make(pconf);
    rv = apr_shm_create(&shm, n * sizeof(*base), NULL, pconf);
    if (rv != APR_SUCCESS) {
        /* Outages are then told per child, with no count. */
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     CHARON_LOGNO(117) "no shared memory for the outage "
                                       "log: each child tells its own");
        return OK;
    }
    base = apr_shm_baseaddr_get(shm);
    memset(base, 0, n * sizeof(*base));
    for (v = s; v; v = v->next) {
        const void *id = charon_dbd_pool_id(v);
        apr_size_t i = (apr_size_t)apr_hash_get(ids, &id, sizeof(id)) - 1;

        apr_hash_set(cells, apr_pmemdup(pconf, &id, sizeof(id)), sizeof(id),
                     base + i);
    }
    return OK;
}

charon_outage *charon_outage_for(server_rec *s)
{
    const void *id = charon_dbd_pool_id(s);

    return cells ? apr_hash_get(cells, &id, sizeof(id)) : NULL;
}

/* Which database: that of the main server or of a virtual host, named by
 * where it is configured (a pool may serve several: the first). */
static const char *whose(const charon_db *db)
{
    const server_rec *s = db->s;

    if (s->is_virtual && s->defn_name) {
        return apr_psprintf(db->pool, "of the virtual host at %s:%u",
                            s->defn_name, s->defn_line_number);
    }
    return "of the main server";
}

void charon_outage_refused(const charon_db *db, const char *why)
{
    charon_outage *o = db->outage;
    apr_uint64_t now = (apr_uint64_t)apr_time_now();

    if (o) {
        if (db->r) {
            apr_atomic_inc64(&o->refused);
        }
        if (apr_atomic_read64(&o->since)
            || apr_atomic_cas64(&o->since, now, 0) != 0) {
            return; /* said already, by whoever began this outage */
        }
    }
    charon_db_log(db, APLOG_ERR,
                  CHARON_LOGNO(118) "the database %s cannot be used: %s; "
                                    "answering 503 until it can (one line "
                                    "when it is back)",
                  whose(db), why);
}

void charon_outage_over(const charon_db *db)
{
    charon_outage *o = db->outage;
    apr_uint64_t since, refused;

    if (!o || !(since = apr_atomic_read64(&o->since))
        || apr_atomic_cas64(&o->since, 0, since) != since) {
        return;
    }
    apr_atomic_set64(&o->back, (apr_uint64_t)apr_time_now());
    refused = apr_atomic_xchg64(&o->refused, 0);
    charon_db_log(db, APLOG_WARNING,
                  CHARON_LOGNO(119) "the database %s can be used again "
                                    "after %.1f s; %" APR_UINT64_T_FMT
                                    " requests were answered 503 meanwhile",
                  whose(db),
                  (double)((apr_uint64_t)apr_time_now() - since) / 1e6,
                  refused);
}

int charon_outage_back_after(const charon_db *db, apr_time_t t)
{
    return db->outage && t
           && apr_atomic_read64(&db->outage->back) > (apr_uint64_t)t;
}
