/*
 * metrics_alerts.c: the alert families of the Prometheus text.
 *
 * Attempts by channel and result come from charon_alert_stats, which a
 * trigger keeps as each attempt is recorded: they never go down when old
 * attempts are deleted.  Every channel this server has shows its four
 * results, at 0 until they happen (so that rate() sees the first); a
 * channel no longer configured shows what it had.  The queue is one
 * count and one age, over the pending deliveries.
 */
#include "admin/metrics.h"

#include "apr_strings.h"

static const char *const results[] = {"ok", "retry", "failed", "given_up"};
#define N_RESULTS (int)(sizeof(results) / sizeof(results[0]))

/* The count of this channel's result, "0" when it has none. */
static const char *attempts(const charon_rows_t *stats, const char *channel,
                            const char *result)
{
    int i;

    for (i = 0; i < stats->nrows; i++) {
        const char *const *row = stats->rows[i];
        const char *v;

        if (row[MAS_COL_CHANNEL] && row[MAS_COL_RESULT]
            && !strcmp(row[MAS_COL_CHANNEL], channel)
            && !strcmp(row[MAS_COL_RESULT], result)) {
            v = charon_number_text(row[MAS_COL_ATTEMPTS]);
            return v ? v : "0";
        }
    }
    return "0";
}

static void channel_samples(apr_pool_t *p, apr_bucket_brigade *bb,
                            const charon_rows_t *stats, const char *channel)
{
    const char *label = charon_label_value(p, channel);
    int k;

    for (k = 0; k < N_RESULTS; k++) {
        apr_brigade_printf(bb, NULL, NULL,
                           "charon_alert_deliveries_total{channel=\"%s\","
                           "result=\"%s\"} %s\n",
                           label, results[k],
                           attempts(stats, channel, results[k]));
    }
}

/* Rows of one channel follow each other (the statement orders them):
 * a channel's first row is the one whose predecessor names another. */
static int first_of_channel(const charon_rows_t *stats, int i)
{
    const char *c = stats->rows[i][MAS_COL_CHANNEL];

    return c
           && (i == 0 || !stats->rows[i - 1][MAS_COL_CHANNEL]
               || strcmp(stats->rows[i - 1][MAS_COL_CHANNEL], c));
}

void charon_metrics_alerts(request_rec *r, apr_bucket_brigade *bb,
                           const charon_rows_t *stats,
                           const charon_rows_t *queue)
{
    const apr_array_header_t *chs = charon_alert_channels(r->server);
    const char *pending = NULL, *oldest = NULL;
    int i;

    apr_brigade_puts(bb, NULL, NULL,
                     "# HELP charon_alert_deliveries_total Delivery attempts "
                     "by alert channel and result: ok (delivered), retry "
                     "(to be tried again), failed (refused for good), "
                     "given_up (past the channel's give_up window).\n"
                     "# TYPE charon_alert_deliveries_total counter\n");
    for (i = 0; i < chs->nelts; i++) {
        channel_samples(r->pool, bb, stats,
                        APR_ARRAY_IDX(chs, i, charon_channel_t *)->name);
    }
    for (i = 0; i < stats->nrows; i++) {
        const char *c = stats->rows[i][MAS_COL_CHANNEL];

        if (first_of_channel(stats, i)
            && !charon_alert_channel(r->server, c)) {
            channel_samples(r->pool, bb, stats, c);
        }
    }
    if (queue->nrows == 1) {
        pending = charon_number_text(queue->rows[0][MAQ_COL_PENDING]);
        oldest = charon_number_text(queue->rows[0][MAQ_COL_OLDEST]);
    }
    /* Two clocks (the database's, the event's writer's) can make a fresh
     * event's age a little negative: an age is never below 0. */
    if (!oldest || *oldest == '-') {
        oldest = "0";
    }
    apr_brigade_printf(
        bb, NULL, NULL,
        "# HELP charon_alert_undelivered Alert deliveries pending (not yet "
        "delivered, not given up).\n"
        "# TYPE charon_alert_undelivered gauge\n"
        "charon_alert_undelivered %s\n"
        "# HELP charon_alert_oldest_undelivered_age_seconds Age of the "
        "oldest pending delivery's event, in seconds; 0 when none is "
        "pending.\n"
        "# TYPE charon_alert_oldest_undelivered_age_seconds gauge\n"
        "charon_alert_oldest_undelivered_age_seconds %s\n",
        pending ? pending : "0", oldest);
}
