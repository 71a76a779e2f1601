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

extern const command_rec charon_cmds[];
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

/* ---- database (charon_db.c) ------------------------------------------ */

typedef enum {
    CHARON_DB_OK = 0,
    CHARON_DB_NOT_FOUND,        /* no such cron or execution */
    CHARON_DB_INACTIVE,         /* start: the cron is switched off */
    CHARON_DB_CONFLICT,         /* end: already ended */
    CHARON_DB_UNAVAILABLE       /* connection or statement failed: 503 */
} charon_db_status_e;

typedef struct charon_db charon_db;

/* Acquires the request's pooled connection, waiting a bounded time; NULL
 * (logged, and *why set for the answer) when none can be had. */
charon_db *charon_db_open(request_rec *r, const char **why);

charon_db_status_e charon_db_cron_by_slug(charon_db *db, const char *slug,
                                          apr_int64_t *id, int *active);
/* Looks a cron up by id: its slug and active flag. */
charon_db_status_e charon_db_cron_by_id(charon_db *db, apr_int64_t id,
                                        const char **slug, int *active);
/* The slug of the cron an execution belongs to. */
charon_db_status_e charon_db_execution_slug(charon_db *db, apr_int64_t id,
                                            const char **slug);
charon_db_status_e charon_db_start(charon_db *db, apr_int64_t cron_id,
                                   const char *key_name,
                                   const char *remote_addr,
                                   apr_int64_t *execution_id);
charon_db_status_e charon_db_end(charon_db *db, apr_int64_t execution_id,
                                 const charon_body_t *body);
charon_db_status_e charon_db_message(charon_db *db, apr_int64_t execution_id,
                                     const charon_body_t *body,
                                     apr_int64_t *message_id);

/* ---- HTTP (charon_handler.c) ----------------------------------------- */

int charon_handler(request_rec *r);

#endif /* CHARON_H */
