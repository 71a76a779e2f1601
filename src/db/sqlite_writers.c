/*
 * sqlite_writers.c: SQLite's writers queue instead of colliding.
 *
 * SQLite lets one writer at a time hold a database file.  apr-util's
 * sqlite3 driver answers SQLITE_BUSY by sleeping 100 ms and trying again,
 * up to 15 times, holding the pooled connection all the while; within one
 * child its process-wide mutex already serialises every call, but the
 * writers of two children meet at the file lock, and at minute 0 of the
 * hour one request in ten slept.  So each SQLite database file that
 * DBDParams names gets one global mutex (httpd's Mutex directive, name
 * "charon-sqlite"), made before the children fork and taken around every
 * write unit: BEGIN IMMEDIATE .. COMMIT or ROLLBACK, or one write
 * statement on its own.  A writer then waits for the one before it and
 * wakes as soon as it is done.  Reads take nothing: in WAL mode (what
 * sql/sqlite.sql sets) they never wait for a writer.
 *
 * Every connection gets a busy handler (on_busy) that counts each
 * SQLITE_BUSY, charon_sqlite_busy_total in the metrics: whether anything
 * still meets the lock, a writer outside httpd (the sqlite3 shell, a
 * script, another httpd on the file) or a database not in WAL mode.  The
 * head of the queue waits for such a writer in 1 ms steps for up to 1 s
 * before the driver's 100 ms steps; anyone else is left to the driver.
 */
#include "db/internal.h"

#include "apr_atomic.h"
#include "apr_global_mutex.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "util_mutex.h"

#include <sqlite3.h>

#define MUTEX_TYPE         "charon-sqlite"
/* How long a write waits for the writers before it: far more than a
 * queue of writers needs (in a burst of 10,000 starts from 200 clients
 * the slowest request took 0.3 s in all), and with the driver's ~1.6 s
 * behind a writer outside httpd, within the module's 6 s bound on a
 * statement. */
#define CHARON_SQLITE_WAIT apr_time_from_msec(2500)
/* How long the head of the queue looks for a gap in an outside writer's
 * hold, a millisecond at a time (on_busy), before the driver's own 1.6 s
 * of 100 ms steps: the three within the 6 s bound on a statement. */
#define CHARON_SQLITE_HEAD apr_time_from_sec(1)

typedef struct {
    apr_global_mutex_t *m;
    const char *path; /* DBDParams */
    int child_ready;  /* its mutex is ready in this child */
    int mode_checked; /* this child asked its journal mode */
} sqlite_file_t;

/* server_rec * -> sqlite_file_t *, built in post_config, read-only after
 * child_init. */
static apr_hash_t *files;
/* SQLITE_BUSY met by any connection of any child, in shared memory. */
static volatile apr_uint32_t *busy;

int charon_sqlite_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ap_mutex_register(pconf, MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0);
}

/* Kept in the parent's process pool: a restart keeps the count. */
static volatile apr_uint32_t *busy_cell(server_rec *s)
{
    static const char key[] = "charon_sqlite_busy_shm";
    apr_pool_t *pproc = s->process->pool;
    apr_shm_t *shm = NULL;

    apr_pool_userdata_get((void **)&shm, key, pproc);
    if (!shm) {
        if (apr_shm_create(&shm, sizeof(apr_uint32_t), NULL, pproc)
            != APR_SUCCESS) {
            return NULL;
        }
        memset(apr_shm_baseaddr_get(shm), 0, sizeof(apr_uint32_t));
        apr_pool_userdata_set(shm, key, apr_pool_cleanup_null, pproc);
    }
    return apr_shm_baseaddr_get(shm);
}

int charon_sqlite_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    apr_hash_t *by_path = apr_hash_make(ptemp);
    server_rec *v;
    int n = 0;

    (void)plog;
    files = apr_hash_make(pconf);
    for (v = s; v; v = v->next) {
        const dbd_cfg_t *cfg = charon_dbd_cfg(v);
        sqlite_file_t *f;
        apr_status_t rv;

        if (!cfg || !cfg->name || strcmp(cfg->name, "sqlite3") || !cfg->params
            || !*cfg->params) {
            continue;
        }
        if (!(f = apr_hash_get(by_path, cfg->params, APR_HASH_KEY_STRING))) {
            f = apr_pcalloc(pconf, sizeof(*f));
            f->path = apr_pstrdup(pconf, cfg->params);
            rv = ap_global_mutex_create(&f->m, NULL, MUTEX_TYPE,
                                        apr_itoa(ptemp, n++), s, pconf, 0);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, rv, v,
                             CHARON_LOGNO(130) "no lock for the writers of "
                                               "SQLite database %s: they "
                                               "collide and sleep",
                             f->path);
                f->m = NULL;
            }
            apr_hash_set(by_path, f->path, APR_HASH_KEY_STRING, f);
        }
        apr_hash_set(files, apr_pmemdup(pconf, &v, sizeof(v)), sizeof(v), f);
    }
    if (n) {
        busy = busy_cell(s);
    }
    return OK;
}

void charon_sqlite_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_hash_index_t *hi;

    (void)s;
    for (hi = files ? apr_hash_first(pchild, files) : NULL; hi;
         hi = apr_hash_next(hi)) {
        void *v;
        sqlite_file_t *f;

        apr_hash_this(hi, NULL, NULL, &v);
        f = v;
        /* Servers sharing a file share f: each f once. */
        if (f->m && !f->child_ready) {
            f->child_ready = 1;
            if (apr_global_mutex_child_init(
                    &f->m, apr_global_mutex_lockfile(f->m), pchild)
                != APR_SUCCESS) {
                f->m = NULL;
            }
        }
    }
}

static sqlite_file_t *file_of(const charon_db *db)
{
    if (!files || !db->conn || strcmp(db->conn->dialect->driver, "sqlite3")) {
        return NULL;
    }
    return apr_hash_get(files, &db->s, sizeof(db->s));
}

/* apr-util's process-wide mutex around every SQLite call (apr_dbd.c):
 * exported, not in its public headers. */
apr_status_t apr_dbd_mutex_lock(void);
apr_status_t apr_dbd_mutex_unlock(void);

/* Counts each SQLITE_BUSY once.  A connection that holds the writers'
 * lock is at the head of this httpd's queue, behind a writer outside it
 * (the sqlite3 shell, another httpd on the file): it tries again every
 * millisecond for a while, the driver's mutex released meanwhile as the
 * driver itself does, so that a gap between the other's transactions is
 * found.  Left to the driver, it would look every 100 ms and nearly
 * never find one, with every writer of this httpd queued behind it.
 * Anyone else gets the driver's answer: 0, no wait. */
static int on_busy(void *baton, int tries)
{
    charon_conn_t *st = baton;

    if (tries == 0 && busy) {
        apr_atomic_inc32(busy);
    }
    if (!st->sqlite_wait_until || apr_time_now() >= st->sqlite_wait_until) {
        return 0;
    }
    apr_dbd_mutex_unlock();
    apr_sleep(apr_time_from_msec(1));
    apr_dbd_mutex_lock();
    return 1;
}

int charon_sqlite_busy(apr_uint64_t *n)
{
    if (!busy) {
        return 0;
    }
    *n = apr_atomic_read32(busy);
    return 1;
}

void charon_sqlite_conn_new(charon_db *db)
{
    sqlite_file_t *f;
    sqlite3 *h;
    const char *mode;

    /* The native handle is the driver's own type: SQLite's only here. */
    if (strcmp(db->conn->dialect->driver, "sqlite3")) {
        return;
    }
    if ((h = apr_dbd_native_handle(db->dbd->driver, db->dbd->handle))) {
        sqlite3_busy_handler(h, on_busy, db->conn);
    }
    f = file_of(db);
    if (!f || f->mode_checked) {
        return;
    }
    /* Once a child: a read, no lock.  Not switched here: WAL needs shared
     * memory beside the file, which a network file system may not give. */
    f->mode_checked = 1;
    mode = charon_conn_ask(db, "PRAGMA journal_mode");
    if (mode && strcasecmp(mode, "wal") && strcasecmp(mode, "memory")) {
        charon_db_log(db, APLOG_WARNING,
                      CHARON_LOGNO(131) "SQLite database %s is in journal "
                                        "mode %s: reads wait for writers; "
                                        "switch it to WAL once with "
                                        "sqlite3 %s 'PRAGMA journal_mode = "
                                        "WAL' (docs/PERFORMANCE.md)",
                      f->path, mode, f->path);
    }
}

int charon_sqlite_lock(charon_db *db, const char *what)
{
    sqlite_file_t *f;
    apr_status_t rv;

    if (db->sqlite_held || !(f = file_of(db)) || !f->m) {
        return 1;
    }
    rv = apr_global_mutex_timedlock(f->m, CHARON_SQLITE_WAIT);
    if (rv == APR_ENOTIMPL) {
        /* Every mechanism of Debian's APR 1.7 has it (measured); an
         * older one would otherwise refuse every write. */
        rv = apr_global_mutex_lock(f->m);
    }
    if (rv == APR_SUCCESS) {
        db->sqlite_held = f->m;
        db->conn->sqlite_wait_until = apr_time_now() + CHARON_SQLITE_HEAD;
        return 1;
    }
    /* Bounded: a writer outside httpd can hold the file, and the writer
     * this one queues behind then waits out the driver's retries. */
    charon_db_failed_own(
        db, what, CHARON_RV_WRITERS_WAIT,
        apr_psprintf(
            db->pool,
            rv == APR_TIMEUP ? "the other writers of the SQLite database held "
                               "its lock (Mutex charon-sqlite) for over %d ms"
                             : "the lock of the SQLite database's writers "
                               "(Mutex charon-sqlite) failed (%d)",
            rv == APR_TIMEUP ? (int)apr_time_as_msec(CHARON_SQLITE_WAIT)
                             : rv));
    return 0;
}

void charon_sqlite_unlock(charon_db *db)
{
    if (db->sqlite_held) {
        db->conn->sqlite_wait_until = 0;
        apr_global_mutex_unlock(db->sqlite_held);
        db->sqlite_held = NULL;
    }
}
