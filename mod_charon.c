/*
 * mod_charon: knows and controls what cron jobs do.
 *
 * This file is glue only: the module record and its hooks.  The sources
 * are in folders by layer, each with its own header, each including only
 * the layers below it:
 *
 *   src/lib/     parsing, validation, JSON, escaping: no httpd
 *   src/conf/    the directives, their values, the handler's mounts
 *   src/db/      connections, statements per database, the retry policy
 *   src/ops/     what each API call, change and housekeeping task does
 *   src/http/    the API's handler, and answering over HTTP
 *   src/admin/   the manager page, the metrics, the health check
 *   src/server/  the watchdog
 */
/* AP_DECLARE_MODULE declares the log index itself. */
#define CHARON_NO_LOG_DECL
#include "admin/charon_admin.h"
#include "manage/charon_manage.h"
#include "lib/charon_lib.h"
#include "server/charon_server.h"

static void charon_register_hooks(apr_pool_t *p)
{
    static const char *const dbd[] = {"mod_dbd.c", NULL};
    static const char *const watchdog[] = {"mod_watchdog.c", NULL};

    (void)p;
    /* Before the directives, the first to use ICU (CharonDefaultTimezone). */
    charon_zone_pin();
    /* mod_dbd must be loaded and a database configured: refuse to start
     * (and fail `apachectl configtest`) rather than 503 every request. */
    ap_hook_check_config(charon_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* The Mutex directive's names are known before it is read. */
    ap_hook_pre_config(charon_sqlite_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    /* The API's URLs are not files: keep core from mapping them to paths
     * (after mod_rewrite and mod_alias, which may know better). */
    ap_hook_translate_name(charon_translate_name, NULL, NULL, APR_HOOK_LAST);
    ap_hook_map_to_storage(charon_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
    /* After mod_dbd has grouped servers into pools, before mod_watchdog
     * starts the callbacks registered. */
    ap_hook_post_config(charon_watchdog_post_config, dbd, watchdog,
                        APR_HOOK_MIDDLE);
    ap_hook_post_config(charon_alerts_post_config, dbd, watchdog,
                        APR_HOOK_MIDDLE);
    ap_hook_post_config(charon_canceller_post_config, NULL, watchdog,
                        APR_HOOK_MIDDLE);
    /* Shared memory and secrets, made before the children fork (the
     * outage cells after mod_dbd has grouped servers into pools). */
    ap_hook_post_config(charon_outage_post_config, dbd, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(charon_sqlite_post_config, dbd, NULL, APR_HOOK_MIDDLE);

    ap_hook_post_config(charon_counters_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    ap_hook_post_config(charon_manager_post_config, NULL, NULL,
                        APR_HOOK_MIDDLE);
    /* After mod_dbd's post_config has grouped servers into pools. */
    ap_hook_child_init(charon_gate_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(charon_sqlite_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(charon_cancel_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(charon_watchdog_child_init, NULL, NULL,
                       APR_HOOK_MIDDLE);
    ap_hook_handler(charon_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(charon_manager_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(charon_metrics_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(charon_health_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(charon_manage_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(charon) = {STANDARD20_MODULE_STUFF,
                             charon_create_dir_conf, /* per-directory config */
                             charon_merge_dir_conf,  /* merge per-directory */
                             charon_create_server_conf, /* per-server config */
                             charon_merge_server_conf,  /* merge per-server */
                             charon_cmds,               /* directives */
                             charon_register_hooks,
                             AP_MODULE_FLAG_NONE};
