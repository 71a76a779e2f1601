/*
 * ticking.h: the server layer's own, shared by its files (ticking.c).
 */
#ifndef CHARON_SERVER_TICKING_H
#define CHARON_SERVER_TICKING_H

#include "server/charon_server.h"

/* A watchdog callback's work runs between enter (0: the child is ending,
 * do nothing) and leave; the child's end waits for all of them. */
int charon_watchdog_enter(void);
void charon_watchdog_leave(void);
int charon_watchdog_stopping(void);

/* The servers with a mount, one per mod_dbd pool (after mod_dbd's
 * post_config), in ptemp. */
apr_array_header_t *charon_server_pools(apr_pool_t *ptemp, server_rec *s);

#endif /* CHARON_SERVER_TICKING_H */
