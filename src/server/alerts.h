/*
 * alerts.h: the server layer's own: alert deliveries (alerts.c) and what
 * they share with the watchdog (watchdog.c).
 */
#ifndef CHARON_SERVER_ALERTS_H
#define CHARON_SERVER_ALERTS_H

#include "server/charon_server.h"

/* A watchdog callback's work runs between enter (0: the child is ending,
 * do nothing) and leave; the child's end waits for all of them. */
int charon_watchdog_enter(void);
void charon_watchdog_leave(void);
int charon_watchdog_stopping(void);

/* A delivery thread per alert channel of server s (once per pool). */
int charon_alerts_post_config(apr_pool_t *pconf, server_rec *s);

#endif /* CHARON_SERVER_ALERTS_H */
