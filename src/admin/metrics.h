/*
 * metrics.h: what the Prometheus handler's files share (metrics.c,
 * metrics_alerts.c).
 */
#ifndef CHARON_ADMIN_METRICS_H
#define CHARON_ADMIN_METRICS_H

#include "admin/charon_admin.h"

#include "apr_buckets.h"

/* The alert families: deliveries by channel and result (rows by
 * MAS_COL_), the queue (one row by MAQ_COL_). */
void charon_metrics_alerts(request_rec *r, apr_bucket_brigade *bb,
                           const charon_rows_t *stats,
                           const charon_rows_t *queue);

#endif /* CHARON_ADMIN_METRICS_H */
