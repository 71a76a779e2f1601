/*
 * charon_conf.h: what the operator configured, for every layer that
 * serves a request: the directives and their merged values, and where the
 * handler is mounted.  The lowest layer that speaks httpd, so it also
 * carries what every such file shares: the module's log tag.
 *
 * Including it declares APLOG_USE_MODULE(charon): every file obeys
 * `LogLevel charon:debug`.
 */
#ifndef CHARON_CONF_H
#define CHARON_CONF_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "lib/charon_lib.h"

#ifndef CHARON_NO_LOG_DECL
APLOG_USE_MODULE(charon);
#endif
extern module AP_MODULE_DECLARE_DATA charon_module;

/* Every log line of the module carries a tag of its own. */
#define CHARON_LOGNO(n) "CHARON" #n ": "

#define CHARON_HANDLER         "charon"
#define CHARON_MANAGER_HANDLER "charon-manager"
#define CHARON_METRICS_HANDLER "charon-metrics"
#define CHARON_HEALTH_HANDLER  "charon-health"
#define CHARON_ADMIN_HANDLER   "charon-admin" /* the management API */

#define CHARON_RETRY_AFTER "5" /* seconds, on every 503 */

/* ---- config.c: per-directory and per-server values ------------------- */

/* Server, <VirtualHost> and <Location>; -1: not set at this level (the
 * default applies after the merge). */
typedef struct {
    apr_array_header_t *keys; /* charon_key_t *, child replaces same name */
    apr_off_t max_body;
    apr_off_t max_message;
} charon_dir_conf;

/* Per server: the watchdog's work and the Idempotency-Key window. */
typedef struct {
    apr_int64_t interval;    /* seconds between watchdog ticks */
    apr_int64_t idem_window; /* seconds */
    int retention_set;
    charon_retention_t retention;
    const char *default_zone;     /* NULL: not set here */
    apr_array_header_t *channels; /* charon_channel_t *: CharonAlert */
    const char *manager_url;      /* CharonManagerURL; NULL: not set */
} charon_server_conf;

void *charon_create_dir_conf(apr_pool_t *p, char *dir);
void *charon_merge_dir_conf(apr_pool_t *p, void *base, void *add);
void *charon_create_server_conf(apr_pool_t *p, server_rec *s);
void *charon_merge_server_conf(apr_pool_t *p, void *base, void *add);

const charon_dir_conf *charon_dir_config(const request_rec *r);
charon_server_conf *charon_server_config(server_rec *s);
apr_off_t charon_max_body(const charon_dir_conf *conf);
apr_off_t charon_max_message(const charon_dir_conf *conf);
apr_interval_time_t charon_watchdog_interval(server_rec *s);
apr_int64_t charon_idempotency_window(server_rec *s);
/* CharonDefaultTimezone: the zone of crons that name none. */
const char *charon_default_zone(server_rec *s);
/* The alert channels (charon_channel_t *), never NULL; a virtual host
 * with none of its own has the main server's. */
const apr_array_header_t *charon_alert_channels(server_rec *s);
const charon_channel_t *charon_alert_channel(server_rec *s, const char *name);
/* CharonManagerURL, no trailing slash; NULL when not set. */
const char *charon_manager_url(server_rec *s);
/* NULL when nothing is to be purged. */
const charon_retention_t *charon_retention(server_rec *s);

/* ---- directives.c ----------------------------------------------------- */

extern const command_rec charon_cmds[];

/* ---- mount.c: what the configuration tree says ------------------------ */

/* Refuses a server that uses the handler without mod_dbd or a database,
 * and records the <Location>s that carry `SetHandler charon`. */
int charon_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s);
/* The request's path under its mount ("7/start"), or NULL. */
const char *charon_route_path(request_rec *r);
int charon_translate_name(request_rec *r);
int charon_map_to_storage(request_rec *r);
/* 1 when the handler is mounted somewhere in server s. */
int charon_server_mounted(server_rec *s);

#endif /* CHARON_CONF_H */
