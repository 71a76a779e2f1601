/*
 * cancel.c: a bound on how long a statement waits.
 *
 * statement_timeout bounds a statement's work but not the wait at commit
 * for a synchronous standby: the server turns the timeout off before it
 * commits, and a primary whose standby is gone (or a promoted standby
 * that still names one) holds every write for ever.  A thread of each
 * child cancels (PQcancel) a statement still running CHARON_CANCEL_AFTER
 * after it began.  The commit then completes on the primary alone, and
 * apr_dbd drops the server's warning that says so: the module knows only
 * that it cancelled, and answers 503, not confirmed (an Idempotency-Key
 * retry gets the first answer).
 *
 * MySQL: a server that stops answering after the connection opened (a
 * Galera node frozen, a host gone without a reset) holds the read for
 * ever, and apr_dbd_mysql passes no read timeout to the client library.
 * The thread shuts the connection's socket down instead: the read fails
 * (2013), the connection is dropped, the unit is answered 503, not
 * confirmed.
 *
 * libpq and the MySQL client are reached through the symbols apr_dbd's
 * drivers loaded (dlsym): a site needs neither library for the other's
 * sake, and SQLite sites need none.
 */
#include "db/internal.h"

#include <dlfcn.h>
#include <sys/socket.h>

#include "apr_thread_mutex.h"
#include "apr_thread_cond.h"

#define CHARON_CANCEL_AFTER apr_time_from_sec(CHARON_CANCEL_AFTER_SECS)

typedef void pq_cancel_t;
static pq_cancel_t *(*pq_get_cancel)(void *conn);
static void (*pq_free_cancel)(pq_cancel_t *c);
static int (*pq_cancel)(pq_cancel_t *c, char *errbuf, int size);
static int (*my_get_socket)(void *mysql); /* mysql_get_socket() */

static apr_thread_mutex_t *mutex;
static apr_thread_cond_t *fired_cond;
static charon_watch *watched;

void charon_cancel_child_init(apr_pool_t *pchild, server_rec *s)
{
    (void)s;
    /* The lock before the functions: the tick may already run. */
    if (apr_thread_mutex_create(&mutex, APR_THREAD_MUTEX_DEFAULT, pchild)
            != APR_SUCCESS
        || apr_thread_cond_create(&fired_cond, pchild) != APR_SUCCESS) {
        return;
    }
    pq_free_cancel =
        (void (*)(pq_cancel_t *))dlsym(RTLD_DEFAULT, "PQfreeCancel");
    pq_cancel =
        (int (*)(pq_cancel_t *, char *, int))dlsym(RTLD_DEFAULT, "PQcancel");
    if (pq_free_cancel && pq_cancel) {
        /* no libpq here: nothing to bound */
        pq_get_cancel =
            (pq_cancel_t * (*)(void *)) dlsym(RTLD_DEFAULT, "PQgetCancel");
    }
    my_get_socket = (int (*)(void *))dlsym(RTLD_DEFAULT, "mysql_get_socket");
}

int charon_cancel_ready(void)
{
    return pq_get_cancel || my_get_socket;
}

void charon_watch_begin(charon_db *db, charon_watch *w)
{
    void *conn;

    w->cancel = NULL;
    w->fd = -1;
    w->armed = 0;
    if (!mutex
        || !(conn = apr_dbd_native_handle(db->dbd->driver, db->dbd->handle))) {
        return;
    }
    switch (db->conn->dialect->cancellable) {
    case CHARON_CANCEL_PQ:
        if (!pq_get_cancel || !(w->cancel = pq_get_cancel(conn))) {
            return;
        }
        break;
    case CHARON_CANCEL_SOCKET:
        if (!my_get_socket || (w->fd = my_get_socket(conn)) < 0) {
            return;
        }
        break;
    default: return;
    }
    w->armed = 1;
    w->deadline = apr_time_now() + CHARON_CANCEL_AFTER;
    w->firing = w->fired = 0;
    apr_thread_mutex_lock(mutex);
    w->next = watched;
    watched = w;
    apr_thread_mutex_unlock(mutex);
}

void charon_watch_end(charon_db *db, charon_watch *w)
{
    charon_watch **p;

    if (!w->armed) {
        return;
    }
    apr_thread_mutex_lock(mutex);
    while (w->firing) {
        apr_thread_cond_wait(fired_cond, mutex);
    }
    for (p = &watched; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    apr_thread_mutex_unlock(mutex);
    if (w->cancel) {
        pq_free_cancel(w->cancel);
        w->cancel = NULL;
    }
    w->armed = 0;
    if (w->fired) {
        db->cancelled = 1;
        db->cancel_why = w->fd >= 0 ? "a server that stopped answering? its "
                                      "connection was closed"
                                    : "a synchronous standby that is gone?";
    }
}

void charon_cancel_tick(server_rec *s)
{
    apr_time_t now = apr_time_now();
    charon_watch *w;
    char err[256];

    if (!mutex) {
        return;
    }
    apr_thread_mutex_lock(mutex);
again:
    for (w = watched; w; w = w->next) {
        if (w->fired || w->firing || now < w->deadline) {
            continue;
        }
        /* PQcancel opens a connection of its own: not under the lock. */
        w->firing = 1;
        apr_thread_mutex_unlock(mutex);
        err[0] = '\0';
        if (w->fd >= 0) {
            /* The request's thread holds the connection, blocked in its
             * read: the socket stays open (its fd is not reused) until
             * the read fails and the thread drops the connection. */
            shutdown(w->fd, SHUT_RDWR);
        }
        else if (!pq_cancel(w->cancel, err, sizeof(err))) {
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         CHARON_LOGNO(120) "cancelling a statement that "
                                           "waited too long failed: %s",
                         err);
        }
        apr_thread_mutex_lock(mutex);
        w->firing = 0;
        w->fired = 1;
        apr_thread_cond_broadcast(fired_cond);
        goto again; /* the list may have changed meanwhile */
    }
    apr_thread_mutex_unlock(mutex);
}
