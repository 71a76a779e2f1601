/*
 * charon_server.h: what runs in the server outside requests.
 */
#ifndef CHARON_SERVER_H
#define CHARON_SERVER_H

#include "ops/charon_ops.h"

/* watchdog.c: one mod_watchdog callback per database pool the handler
 * uses (post_config, after mod_dbd's). */
int charon_watchdog_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s);
/* Lets a child end only between two of the watchdog's statements
 * (ticking.c). */
void charon_watchdog_child_init(apr_pool_t *pchild, server_rec *s);
/* alerts.c: a delivery thread per alert channel in every child, one set
 * per database pool; libcurl's global state (post_config, after mod_dbd's,
 * before mod_watchdog starts its threads). */
int charon_alerts_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s);
/* canceller.c: a thread per child that cancels PostgreSQL statements run
 * past their bound (post_config, before mod_watchdog's). */
int charon_canceller_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                 apr_pool_t *ptemp, server_rec *s);

#endif /* CHARON_SERVER_H */
