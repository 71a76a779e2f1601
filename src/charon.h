/*
 * charon.h: the private header of mod_charon.
 *
 * Every struct, the config accessors and the prototypes shared by the
 * module's files.  Including it declares APLOG_USE_MODULE(charon), so each
 * file obeys `LogLevel charon:debug`.
 */
#ifndef CHARON_H
#define CHARON_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "apr_dbd.h"
#include "mod_dbd.h"

#include "charon_core.h"

#ifndef CHARON_NO_LOG_DECL
APLOG_USE_MODULE(charon);
#endif
extern module AP_MODULE_DECLARE_DATA charon_module;

/* Every log line of the module carries a tag of its own. */
#define CHARON_LOGNO(n) "CHARON" #n ": "

#define CHARON_HANDLER "charon"
#define CHARON_DEFAULT_MAX_BODY    65536
#define CHARON_DEFAULT_MAX_MESSAGE 65536
#define CHARON_LIMIT_CEILING       (64 * 1024 * 1024) /* bodies live in memory */
#define CHARON_RETRY_AFTER         "5"                /* seconds, on 503 */

/* ---- configuration (charon_config.c) --------------------------------- */

/* Per-directory configuration: server, <VirtualHost> and <Location>.
 * -1 marks a limit that was not set at this level; defaults are applied
 * when the value is read, after the merge. */
typedef struct {
    apr_array_header_t *keys;   /* charon_key_t *, child replaces same name */
    apr_off_t max_body;
    apr_off_t max_message;
} charon_dir_conf;

/* Per-server configuration: what the watchdog does for the server's
 * database, and the Idempotency-Key window.  -1: not set here. */
typedef struct {
    apr_int64_t interval;       /* seconds between watchdog ticks */
    apr_int64_t idem_window;    /* seconds */
    int retention_set;
    charon_retention_t retention;
} charon_server_conf;

#define CHARON_DEFAULT_INTERVAL    60
#define CHARON_DEFAULT_IDEM_WINDOW (24 * 3600)

extern const command_rec charon_cmds[];
void *charon_create_server_conf(apr_pool_t *p, server_rec *s);
void *charon_merge_server_conf(apr_pool_t *p, void *base, void *add);
apr_interval_time_t charon_watchdog_interval(server_rec *s);
apr_int64_t charon_idempotency_window(server_rec *s);
/* NULL when nothing is to be purged. */
const charon_retention_t *charon_retention(server_rec *s);
void *charon_create_dir_conf(apr_pool_t *p, char *dir);
void *charon_merge_dir_conf(apr_pool_t *p, void *base, void *add);
apr_off_t charon_max_body(const charon_dir_conf *conf);
apr_off_t charon_max_message(const charon_dir_conf *conf);

/* ---- startup checks and mounts (charon_mount.c) ---------------------- */

/* Reads the parsed configuration tree once at startup: refuses a server
 * that uses the handler without mod_dbd or a database, and records the
 * <Location> paths that carry `SetHandler charon`. */
int charon_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                        apr_pool_t *ptemp, server_rec *s);
/* The request's path under its mount ("7/start"), or NULL when the URI
 * is not under the mount. */
const char *charon_route_path(request_rec *r);
int charon_translate_name(request_rec *r);
/* 1 when the handler is mounted somewhere in server s. */
int charon_server_mounted(server_rec *s);
int charon_map_to_storage(request_rec *r);

/* ---- waiting for the database (charon_gate.c) ----------------------- */

typedef struct charon_gate charon_gate;

typedef enum {
    CHARON_GATE_OPEN,           /* holds a ticket until the request ends */
    CHARON_GATE_BUSY,           /* every connection stayed busy too long */
    CHARON_GATE_DOWN            /* the database was unreachable just now */
} charon_gate_e;

void charon_gate_child_init(apr_pool_t *pchild, server_rec *s);
/* The gate of the request's database pool, or NULL. */
charon_gate *charon_gate_for(request_rec *r);
/* Waits (boundedly) for a ticket.  *probe is set when this request is the
 * one allowed to try a database that was just found unreachable. */
charon_gate_e charon_gate_enter(charon_gate *gate, request_rec *r, int *probe);
/* The pool's size (DBDMax), 0 when connections are not pooled. */
int charon_gate_size(const charon_gate *gate);
/* Reports whether a connection could be had. */
void charon_gate_result(charon_gate *gate, int probe, int connected);
/* What identifies server s's mod_dbd pool: the same for servers that
 * share one.  Valid after mod_dbd's post_config. */
const void *charon_dbd_pool_id(server_rec *s);

/* ---- housekeeping (charon_watchdog.c) -------------------------------- */

/* Registers one mod_watchdog callback per database pool the handler
 * uses (post_config, after mod_dbd's). */
int charon_watchdog_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s);

/* ---- SQL, per database (charon_sql.c) ------------------------------- */

typedef enum {
    ST_CRON_BY_SLUG,
    ST_CRON_BY_ID,
    ST_EXECUTION_SLUG,
    ST_EXECUTION_ENDED,
    ST_START,
    ST_LOSE_OVERDUE,
    ST_REFUSED_INACTIVE,
    ST_REFUSED_LOCKED,
    ST_END,
    ST_END_LOST,
    ST_END_WITH_MESSAGE,
    ST_MESSAGE,
    ST_END_MESSAGE,
    ST_IDEM_GET,
    ST_IDEM_EXPIRE,
    ST_IDEM_PUT,
    ST_WD_LOSE,
    ST_WD_REOPEN,
    ST_WD_IDEM_PURGE,
    ST_WD_NEXT_CRON,
    ST_WD_RETENTION,
    ST_LAST_ID,
    ST_COUNT
} charon_stmt_e;

typedef struct {
    const char *driver;         /* apr_dbd_name() */
    int mariadb;                /* mysql driver, MariaDB 10.5 or later */
    int insert_returning;       /* INSERT ... RETURNING works */
    int update_returning;       /* UPDATE ... RETURNING works */
    const char *begin;          /* opens a write transaction */
    const char *init[5];        /* once per connection, NULL-terminated */
    const char *sql[ST_COUNT];  /* NULL: not in this dialect */
} charon_dialect_t;

/* Ends with an entry whose driver is NULL. */
extern const charon_dialect_t charon_dialects[];
extern const char *const charon_last_id_sql;

/* ---- database (charon_db.c) ------------------------------------------ */

typedef enum {
    CHARON_DB_OK = 0,
    CHARON_DB_NOT_FOUND,        /* no such cron or execution */
    CHARON_DB_INACTIVE,         /* start: the cron is switched off */
    CHARON_DB_LOCKED,           /* start: another run holds the lock */
    CHARON_DB_CONFLICT,         /* end: already ended; idempotency: the key
                                 * was used for another request */
    CHARON_DB_UNAVAILABLE       /* connection or statement failed: 503 */
} charon_db_status_e;

typedef struct charon_db charon_db;

/* A cron as the API sees it now. */
typedef struct {
    apr_int64_t id;
    const char *slug;
    int on;                     /* active, or off_until has passed */
    const char *off_reason;     /* "" when none */
    const char *off_until;      /* ISO 8601 UTC, "" when none */
    apr_int64_t running_id;     /* the run holding the lock, 0 when none */
} charon_cron_t;

/* Acquires the request's pooled connection, waiting a bounded time; NULL
 * (logged, and *why set for the answer) when none can be had. */
charon_db *charon_db_open(request_rec *r, const char **why);
/* A connection of server s's pool for work outside requests (the
 * watchdog); give it back with charon_db_close. */
charon_db *charon_db_open_server(apr_pool_t *p, server_rec *s);
void charon_db_close(charon_db *db);

charon_db_status_e charon_db_cron_by_slug(charon_db *db, const char *slug,
                                          charon_cron_t *cron);
charon_db_status_e charon_db_cron_by_id(charon_db *db, apr_int64_t id,
                                        charon_cron_t *cron);
/* The slug of the cron an execution belongs to. */
charon_db_status_e charon_db_execution_slug(charon_db *db, apr_int64_t id,
                                            const char **slug);
/* Creates an execution unless the cron is off (INACTIVE) or locked
 * (LOCKED); either refusal is counted on the cron and described in
 * *cron. */
charon_db_status_e charon_db_start(charon_db *db, apr_int64_t cron_id,
                                   const char *key_name,
                                   const char *remote_addr,
                                   apr_int64_t *execution_id,
                                   charon_cron_t *cron);
/* *lost_at is the ISO time the execution was marked lost, "" if never. */
charon_db_status_e charon_db_end(charon_db *db, apr_int64_t execution_id,
                                 const charon_body_t *body,
                                 const char **lost_at);
charon_db_status_e charon_db_message(charon_db *db, apr_int64_t execution_id,
                                     const charon_body_t *body,
                                     apr_int64_t *message_id);

/* The answer to a request, built before it is sent, so that it can be
 * stored for Idempotency-Key. */
typedef struct {
    int status;
    const char *json;
} charon_answer_t;

typedef struct {
    const char *key_name;       /* the API key's name */
    const char *key;            /* the Idempotency-Key header */
    const char *request;        /* charon_request_fingerprint() */
    apr_int64_t window;         /* seconds */
} charon_idem_t;

typedef charon_db_status_e charon_db_op_fn(charon_db *db, void *baton,
                                           charon_answer_t *answer);

/* Runs op once per (key name, Idempotency-Key): in one transaction with
 * the stored answer, or not at all when an answer is stored (*replayed,
 * answer filled).  CONFLICT when the key was used for another request. */
charon_db_status_e charon_db_idempotent(charon_db *db,
                                        const charon_idem_t *idem,
                                        charon_db_op_fn *op, void *baton,
                                        charon_answer_t *answer,
                                        int *replayed);

/* Housekeeping, one bounded batch each; *count is the rows changed. */
charon_db_status_e charon_db_lose_overdue(charon_db *db, int *count);
charon_db_status_e charon_db_reopen_crons(charon_db *db, int *count);
charon_db_status_e charon_db_purge_idempotency(charon_db *db,
                                               apr_int64_t window,
                                               int *count);
/* The first cron after id `after` (NOT_FOUND past the last). */
charon_db_status_e charon_db_next_cron(charon_db *db, apr_int64_t after,
                                       apr_int64_t *cron_id);
charon_db_status_e charon_db_purge_executions(charon_db *db,
                                              const charon_retention_t *rt,
                                              apr_int64_t cron_id,
                                              int *count);
#define CHARON_DB_BATCH 1000

/* ---- database internals, for charon_ops.c (charon_db.c) -------------- */

/* Logs against the request, or the server outside requests. */
void charon_db_log(const charon_db *db, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
apr_pool_t *charon_db_pool(const charon_db *db);
const charon_dialect_t *charon_db_dialect(const charon_db *db);
/* Run one prepared statement with one string per placeholder: a statement
 * returning no rows (*nrows: rows changed), or at most one row of ncols
 * columns copied into out[] (*found).  0 on failure (logged). */
int charon_db_query(charon_db *db, charon_stmt_e s, int *nrows, int nargs,
                    const char **args);
int charon_db_select(charon_db *db, charon_stmt_e s, int nargs,
                     const char **args, int ncols, const char **out,
                     int *found);
int charon_db_begin(charon_db *db);
int charon_db_commit(charon_db *db);
void charon_db_rollback(charon_db *db);
/* After a failure: may the whole operation run once more? */
int charon_db_may_retry(charon_db *db);
/* While pinned, charon_db_may_retry says no: the caller retries. */
void charon_db_pin(charon_db *db, int pinned);

/* ---- the operator's views: manager, metrics, health (charon_db.c) --- */

/* A statement in each database's SQL, prepared on first use on each
 * connection and kept with it, as the API's are.  Each file declares its
 * own as static const: the address identifies the statement.  Placeholders
 * as for apr_dbd (%s, %d, %lld; %% for a percent sign). */
typedef struct {
    const char *name;           /* for the log */
    const char *pgsql;
    const char *mysql;          /* MySQL 8 and MariaDB */
    const char *sqlite3;
} charon_view_stmt_t;

typedef struct {
    int ncols;
    int nrows;
    const char ***rows;         /* rows[i][c]; NULL for SQL NULL */
} charon_rows_t;

/* 0 on failure (logged).  Outside a transaction a failed statement has
 * already been run once more when charon_db_may_retry() allowed it; in a
 * transaction the caller decides, with charon_db_may_retry(). */
int charon_db_view_exec(charon_db *db, const charon_view_stmt_t *q,
                        int nargs, const char **args, int *nrows);
int charon_db_view_rows(charon_db *db, const charon_view_stmt_t *q,
                        int nargs, const char **args, int max_rows,
                        charon_rows_t *out);

/* ---- HTTP (charon_handler.c) ----------------------------------------- */

int charon_handler(request_rec *r);
/* Sends body whole with this status and Content-Type, Cache-Control
 * no-store and its length (no body for HEAD).  Returns OK. */
int charon_send_body(request_rec *r, int status, const char *ctype,
                     const char *body);
/* Reads the whole body, at most max bytes (counted while reading: a
 * chunked body has no length), NUL-terminated.  OK, or the status to
 * answer (413 when too large; the connection is then closed). */
int charon_read_body(request_rec *r, apr_off_t max, char **buf,
                     apr_size_t *len);

/* ---- the operator's handlers ----------------------------------------- */

#define CHARON_MANAGER_HANDLER "charon-manager"
#define CHARON_METRICS_HANDLER "charon-metrics"
#define CHARON_HEALTH_HANDLER  "charon-health"

/* charon_manager.c: the HTML manager page. */
int charon_manager_handler(request_rec *r);
int charon_manager_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s);
/* charon_metrics.c: Prometheus text exposition. */
int charon_metrics_handler(request_rec *r);
/* charon_health.c: for load balancers and Nagios-style checks. */
int charon_health_handler(request_rec *r);
/* charon_counters.c: module-wide API request counts by endpoint and
 * status, in shared memory created before the children fork. */
int charon_counters_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s);
void charon_counters_child_init(apr_pool_t *pchild, server_rec *s);
void charon_count_request(request_rec *r, int status);
/* The note in which the API handler names the endpoint it routed to. */
#define CHARON_VERB_NOTE "charon-verb"
/* The counts, in the Prometheus text format (charon_metrics.c). */
void charon_counters_write(apr_bucket_brigade *bb);

#endif /* CHARON_H */
