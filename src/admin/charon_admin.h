/*
 * charon_admin.h: the operator's handlers: the manager page
 * (`SetHandler charon-manager`), the metrics (`charon-metrics`) and the
 * health check (`charon-health`).  Who may use them is httpd's business
 * (Require, AuthType).
 */
#ifndef CHARON_ADMIN_H
#define CHARON_ADMIN_H

#include "http/charon_http.h"

/* manager.c */
int charon_manager_handler(request_rec *r);
/* csrf.c: the secret the manager's forms are signed with, made before
 * the children fork. */
int charon_manager_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s);
/* metrics.c */
int charon_metrics_handler(request_rec *r);
/* health.c */
int charon_health_handler(request_rec *r);

#endif /* CHARON_ADMIN_H */
