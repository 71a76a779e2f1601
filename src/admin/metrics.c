/*
 * metrics.c: the Prometheus text exposition (format 0.0.4).
 *
 * `SetHandler charon-metrics`.  One statement reads every cron with what
 * the triggers keep in charon_cron_stats (counters, last success and
 * failure, last duration: one row per cron, by key) and two index probes
 * per cron into charon_execution
 * (its latest start, its open runs): the cost grows with the number of
 * crons, never with the number of executions.  A scheduled cron's next
 * slot is the watchdog's (charon_cron_watch), computed here only when
 * that one has passed.  Two more statements read the alerts' counters
 * and queue (metrics_alerts.c).  The API's request counts
 * come from shared memory (http/counters.c).  Who may read it is
 * httpd's business (`Require`): the handler checks nothing.
 *
 * A database that does not answer is a 503: Prometheus marks the target
 * down (`up` 0), which is what the operator needs to see.
 */
#include "admin/metrics.h"

#include "apr_strings.h"
#include "util_filter.h"

#define CTYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CTYPE_TEXT    "text/plain; charset=utf-8"

/* Far above any real number of crons; only bounds the memory of one
 * answer should charon_cron be filled by mistake. */
#define MAX_CRONS 100000

typedef struct {
    const char *name;
    const char *type;
    const char *help;
    int col;
} family_t;

/* One sample per cron each; a NULL value (no such run yet) has none. */
static const family_t gauges[] = {
    {"charon_cron_on", "gauge",
     "1 when the cron may start now (active, or switched off until a "
     "time that has passed), 0 when it is switched off.",
     METRICS_COL_ON},
    {"charon_cron_running_executions", "gauge",
     "Executions of the cron started and neither ended nor marked lost.",
     METRICS_COL_RUNNING},
    {"charon_cron_last_start_timestamp_seconds", "gauge",
     "Start of the cron's latest execution, Unix time.",
     METRICS_COL_LAST_START},
    {"charon_cron_last_success_timestamp_seconds", "gauge",
     "End of the cron's latest successful execution, Unix time.",
     METRICS_COL_LAST_SUCCESS},
    {"charon_cron_last_failure_timestamp_seconds", "gauge",
     "End of the cron's latest failed execution, or when a run was marked "
     "lost, Unix time.",
     METRICS_COL_LAST_FAILURE},
    {"charon_cron_last_duration_seconds", "gauge",
     "Duration of the cron's execution that ended last.",
     METRICS_COL_LAST_DURATION},
    {"charon_cron_alert_down", "gauge",
     "1 when the cron's alert state is down (failure_threshold bad runs in "
     "a row, and not recovery_threshold good ones since), else 0.",
     METRICS_COL_ALERT_DOWN},
};

static const struct {
    const char *outcome;
    int col;
} outcomes[] = {
    {"success", METRICS_COL_SUCCEEDED}, {"failure", METRICS_COL_FAILED},
    {"lost", METRICS_COL_LOST},         {"skipped", METRICS_COL_SKIPPED},
    {"missed", METRICS_COL_MISSED},     {"unknown", METRICS_COL_UNKNOWN},
};

/* A value the database gave as text, if it is a number (NULL comes back
 * as NULL, or as "" from the pgsql driver).  Checked by its characters,
 * not strtod(), which would follow the process's locale. */
/* The next slot of each scheduled cron: the watchdog's when it is still
 * to come, else computed now (the watchdog has not looked since it
 * passed, or not yet at this schedule).  NULL: unscheduled, or a
 * schedule that cannot be used. */
static const char **next_slots(request_rec *r, const charon_rows_t *rows)
{
    const char **next = apr_pcalloc(r->pool, sizeof(*next) * rows->nrows);
    apr_int64_t now = apr_time_sec(r->request_time), slot;
    charon_slots *sl = NULL;
    int i;

    for (i = 0; i < rows->nrows; i++) {
        const char *const *row = rows->rows[i];
        const char *known = charon_number_text(row[METRICS_COL_NEXT_SLOT]);

        if (!row[METRICS_COL_SCHEDULE]) {
            continue;
        }
        if (known && apr_atoi64(known) > now) {
            next[i] = known;
            continue;
        }
        if (!sl) {
            sl = charon_slots_make(r->pool, charon_default_zone(r->server), 0);
        }
        if (charon_slots_next(sl, row[METRICS_COL_SCHEDULE],
                              row[METRICS_COL_TIMEZONE], now, &slot)) {
            next[i] = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, slot);
        }
    }
    return next;
}

static void write_next_slots(apr_bucket_brigade *bb, const char **slugs,
                             const char **next, int n)
{
    int i;

    apr_brigade_puts(bb, NULL, NULL,
                     "# HELP charon_cron_next_slot_timestamp_seconds The "
                     "cron's next slot (when its schedule says it should "
                     "start), Unix time; scheduled crons only.\n"
                     "# TYPE charon_cron_next_slot_timestamp_seconds "
                     "gauge\n");
    for (i = 0; i < n; i++) {
        if (next[i]) {
            apr_brigade_printf(bb, NULL, NULL,
                               "charon_cron_next_slot_timestamp_seconds{"
                               "slug=\"%s\"} %s\n",
                               slugs[i], next[i]);
        }
    }
}

static int send_text(request_rec *r, int status, const char *line)
{
    return charon_send_body(r, status, CTYPE_TEXT, line);
}

/* What a scrape reads: the crons, the alert attempts by channel and
 * result, and the alert queue. */
typedef struct {
    charon_rows_t crons;
    charon_rows_t stats;
    charon_rows_t queue;
} reads_t;

static charon_db_e read_rows(charon_db *db, void *baton)
{
    reads_t *q = baton;

    return charon_db_rows(db, ST_METRICS_CRONS, NULL, MAX_CRONS, &q->crons)
                   && charon_db_rows(db, ST_METRICS_ALERT_STATS, NULL,
                                     MAX_CRONS, &q->stats)
                   && charon_db_rows(db, ST_METRICS_ALERT_QUEUE, NULL, 1,
                                     &q->queue)
               ? CHARON_DB_OK
               : CHARON_DB_FAILED;
}

/* 1 when everything was read; else *why says what failed. */
static int read_all(request_rec *r, reads_t *rows, const char **why)
{
    charon_db *db = charon_db_open(r, why);

    if (!db) {
        return 0;
    }
    *why = "the database did not answer the query (is the schema loaded?)";
    return charon_db_run(db, 0, read_rows, rows) == CHARON_DB_OK;
}

int charon_metrics_handler(request_rec *r)
{
    reads_t q;
    charon_rows_t rows;
    apr_bucket_brigade *bb;
    const char **slugs, **next, *why;
    apr_off_t len = 0;
    apr_uint64_t busy;
    apr_size_t f, o;
    int i;

    if (!r->handler || strcmp(r->handler, CHARON_METRICS_HANDLER)) {
        return DECLINED;
    }
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return send_text(r, HTTP_METHOD_NOT_ALLOWED,
                         "charon-metrics accepts GET, HEAD\n");
    }
    if (!read_all(r, &q, &why)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      CHARON_LOGNO(510) "metrics: answering 503: %s", why);
        apr_table_setn(r->headers_out, "Retry-After", CHARON_RETRY_AFTER);
        return send_text(
            r, HTTP_SERVICE_UNAVAILABLE,
            apr_pstrcat(r->pool, "charon-metrics: ", why, "\n", NULL));
    }
    rows = q.crons;
    if (rows.nrows == MAX_CRONS) {
        ap_log_rerror(
            APLOG_MARK, APLOG_WARNING, 0, r,
            CHARON_LOGNO(511) "metrics: only the first %d crons are shown",
            MAX_CRONS);
    }

    slugs = apr_palloc(r->pool, sizeof(*slugs) * (rows.nrows + 1));
    for (i = 0; i < rows.nrows; i++) {
        slugs[i] =
            charon_label_value(r->pool, rows.rows[i][METRICS_COL_SLUG]
                                            ? rows.rows[i][METRICS_COL_SLUG]
                                            : "");
    }

    next = next_slots(r, &rows);

    /* Families are written whole, one after the other, as the format
     * requires. */
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    for (f = 0; f < sizeof(gauges) / sizeof(gauges[0]); f++) {
        const family_t *fm = &gauges[f];

        apr_brigade_printf(bb, NULL, NULL, "# HELP %s %s\n# TYPE %s %s\n",
                           fm->name, fm->help, fm->name, fm->type);
        for (i = 0; i < rows.nrows; i++) {
            const char *v = charon_number_text(rows.rows[i][fm->col]);

            if (v) {
                apr_brigade_printf(bb, NULL, NULL, "%s{slug=\"%s\"} %s\n",
                                   fm->name, slugs[i], v);
            }
        }
    }
    apr_brigade_puts(bb, NULL, NULL,
                     "# HELP charon_cron_executions_total Executions of the "
                     "cron by outcome: success, failure (ended "
                     "unsuccessfully), lost (marked lost; not counted again "
                     "if it ends late), skipped (start refused: switched "
                     "off, or locked by a running execution), missed (a "
                     "slot of its schedule with no start by slot + grace), "
                     "unknown (a slot the module could not look at: it was "
                     "down).\n"
                     "# TYPE charon_cron_executions_total counter\n");
    for (i = 0; i < rows.nrows; i++) {
        for (o = 0; o < sizeof(outcomes) / sizeof(outcomes[0]); o++) {
            const char *v = charon_number_text(rows.rows[i][outcomes[o].col]);

            apr_brigade_printf(bb, NULL, NULL,
                               "charon_cron_executions_total{slug=\"%s\","
                               "outcome=\"%s\"} %s\n",
                               slugs[i], outcomes[o].outcome, v ? v : "0");
        }
    }
    apr_brigade_puts(bb, NULL, NULL,
                     "# HELP charon_cron_unscheduled_starts_total Starts of "
                     "the scheduled cron that belong to no slot of its "
                     "schedule.\n"
                     "# TYPE charon_cron_unscheduled_starts_total counter\n");
    for (i = 0; i < rows.nrows; i++) {
        const char *v =
            charon_number_text(rows.rows[i][METRICS_COL_UNSCHEDULED]);

        apr_brigade_printf(bb, NULL, NULL,
                           "charon_cron_unscheduled_starts_total{slug=\"%s\"}"
                           " %s\n",
                           slugs[i], v ? v : "0");
    }
    write_next_slots(bb, slugs, next, rows.nrows);
    charon_metrics_alerts(r, bb, &q.stats, &q.queue);
    charon_counters_write(bb);
    if (charon_sqlite_busy(&busy)) {
        apr_brigade_printf(
            bb, NULL, NULL,
            "# HELP charon_sqlite_busy_total Times a SQLite "
            "statement found the database locked by another "
            "writer (the write then waits for it, up to 2.6 s)\n"
            "# TYPE charon_sqlite_busy_total counter\n"
            "charon_sqlite_busy_total %" APR_UINT64_T_FMT "\n",
            busy);
    }

    r->status = HTTP_OK;
    ap_set_content_type(r, CTYPE_METRICS);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_brigade_length(bb, 1, &len);
    ap_set_content_length(r, len);
    if (r->header_only) {
        apr_brigade_cleanup(bb);
        return OK;
    }
    return ap_pass_brigade(r->output_filters, bb) == APR_SUCCESS
               ? OK
               : AP_FILTER_ERROR;
}
