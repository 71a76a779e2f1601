/*
 * charon_metrics.c: the Prometheus text exposition (format 0.0.4).
 *
 * `SetHandler charon-metrics`.  One statement reads every cron with what
 * the triggers keep in charon_cron_stats (counters, last success and
 * failure, last duration: one row per cron, by key) and two index probes
 * per cron into charon_execution
 * (its latest start, its open runs): the cost grows with the number of
 * crons, never with the number of executions.  The API's request counts
 * come from shared memory (charon_counters.c).  Who may read it is
 * httpd's business (`Require`): the handler checks nothing.
 *
 * A database that does not answer is a 503: Prometheus marks the target
 * down (`up` 0), which is what the operator needs to see.
 */
#include "charon.h"

#include "apr_strings.h"
#include "util_filter.h"

#define CTYPE_METRICS "text/plain; version=0.0.4; charset=utf-8"
#define CTYPE_TEXT    "text/plain; charset=utf-8"

/* Far above any real number of crons; only bounds the memory of one
 * answer should charon_cron be filled by mistake. */
#define MAX_CRONS 100000

/* charon_counters.c */

/* Columns of the statement below. */
enum {
    COL_SLUG, COL_ON, COL_RUNNING, COL_LAST_START, COL_LAST_SUCCESS,
    COL_LAST_FAILURE, COL_LAST_DURATION, COL_SUCCEEDED, COL_FAILED,
    COL_LOST, COL_SKIPPED, N_COLS
};

/* The cron's latest start: one probe, backwards, into the index on
 * (cron_id, started_at).  (A correlated MAX() is not turned into that
 * probe by every database.) */
#define LAST_START                                                           \
    "(SELECT e.started_at FROM charon_execution e WHERE e.cron_id = c.id "   \
    "ORDER BY e.started_at DESC LIMIT 1)"
/* Open runs, through the partial index charon_execution_open (cron_id)
 * of PostgreSQL and SQLite: the predicate is the index's own. */
#define RUNNING_PROBE                                                        \
    "(SELECT COUNT(*) FROM charon_execution e WHERE e.cron_id = c.id AND "   \
    "e.ended_at IS NULL AND e.lost_at IS NULL)"
/* MySQL's charon_execution_open is (ended_at, lost_at), which a probe by
 * cron cannot seek: the open runs are read once, through it, and grouped
 * (a probe by cron would read every run of the cron instead). */
#define MY_RUNNING_JOIN                                                      \
    " LEFT JOIN (SELECT cron_id, COUNT(*) AS n FROM charon_execution "       \
    "WHERE ended_at IS NULL AND lost_at IS NULL GROUP BY cron_id) o "        \
    "ON o.cron_id = c.id"

/* One row per cron, in the order of the enum above.  EPOCH(t): t as Unix
 * seconds, NULL when t is; ON: the cron may start now. */
#define CRON_ROWS(ON, EPOCH, RUNNING, JOIN)                                  \
    "SELECT c.slug, CASE WHEN " ON " THEN 1 ELSE 0 END, " RUNNING ", "       \
    EPOCH(LAST_START) ", " EPOCH("s.last_success_at") ", "                   \
    EPOCH("s.last_failure_at") ", s.last_duration, "                         \
    "COALESCE(s.runs_succeeded, 0), COALESCE(s.runs_failed, 0), "            \
    "COALESCE(s.runs_lost, 0), c.refused_inactive + c.refused_locked "       \
    "FROM charon_cron c LEFT JOIN charon_cron_stats s ON s.cron_id = c.id"   \
    JOIN " ORDER BY c.id"

#define PG_EPOCH(t) "EXTRACT(EPOCH FROM " t ")"
/* DATETIME holds UTC and has no time zone: UNIX_TIMESTAMP() would read it
 * in the session's zone, the difference from the epoch does not. */
#define MY_EPOCH(t) "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', " t  \
                    ") / 1e6"
/* The text is stored to the millisecond; the rounding drops the noise of
 * julianday()'s floating point. */
#define SQ_EPOCH(t) "ROUND((julianday(" t ") - 2440587.5) * 86400.0, 3)"

static const charon_view_stmt_t q_crons = {
    "metrics crons",
    CRON_ROWS("c.active OR (c.off_until IS NOT NULL AND "
              "c.off_until <= now())", PG_EPOCH, RUNNING_PROBE, ""),
    CRON_ROWS("c.active OR (c.off_until IS NOT NULL AND "
              "c.off_until <= UTC_TIMESTAMP(6))", MY_EPOCH,
              "COALESCE(o.n, 0)", MY_RUNNING_JOIN),
    CRON_ROWS("c.active OR (c.off_until IS NOT NULL AND "
              "julianday(c.off_until) <= julianday('now'))", SQ_EPOCH,
              RUNNING_PROBE, "")
};

typedef struct {
    const char *name;
    const char *type;
    const char *help;
    int col;
} family_t;

/* One sample per cron each; a NULL value (no such run yet) has none. */
static const family_t gauges[] = {
    { "charon_cron_on", "gauge",
      "1 when the cron may start now (active, or switched off until a "
      "time that has passed), 0 when it is switched off.", COL_ON },
    { "charon_cron_running_executions", "gauge",
      "Executions of the cron started and neither ended nor marked lost.",
      COL_RUNNING },
    { "charon_cron_last_start_timestamp_seconds", "gauge",
      "Start of the cron's latest execution, Unix time.", COL_LAST_START },
    { "charon_cron_last_success_timestamp_seconds", "gauge",
      "End of the cron's latest successful execution, Unix time.",
      COL_LAST_SUCCESS },
    { "charon_cron_last_failure_timestamp_seconds", "gauge",
      "End of the cron's latest failed execution, or when a run was marked "
      "lost, Unix time.", COL_LAST_FAILURE },
    { "charon_cron_last_duration_seconds", "gauge",
      "Duration of the cron's execution that ended last.",
      COL_LAST_DURATION },
};

static const struct {
    const char *outcome;
    int col;
} outcomes[] = {
    { "success", COL_SUCCEEDED },
    { "failure", COL_FAILED },
    { "lost", COL_LOST },
    { "skipped", COL_SKIPPED },
};

/* A label value as the exposition format wants it: backslash, double
 * quote and line feed escaped.  Label values must be UTF-8: a byte that
 * is not part of a valid sequence is written as the four characters
 * \xHH (so that two such slugs stay apart). */
static const char *label_value(apr_pool_t *p, const char *s)
{
    apr_size_t len = strlen(s), i = 0;
    char *out = apr_palloc(p, len * 5 + 1), *o = out;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        apr_size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2
                     : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4 : 0;

        if (n > 1 && (len - i < n || !charon_utf8_valid(s + i, n))) {
            n = 0;
        }
        if (n == 0) {
            o += apr_snprintf(o, 6, "\\\\x%02X", c);
            i++;
        }
        else if (c == '\\' || c == '"' || c == '\n') {
            *o++ = '\\';
            *o++ = c == '\n' ? 'n' : (char)c;
            i++;
        }
        else {
            memcpy(o, s + i, n);
            o += n;
            i += n;
        }
    }
    *o = '\0';
    return out;
}

/* A value the database gave as text, if it is a number (NULL comes back
 * as NULL, or as "" from the pgsql driver).  Checked by its characters,
 * not strtod(), which would follow the process's locale. */
static const char *number(const char *v)
{
    if (!v || !*v) {
        return NULL;
    }
    return v[strspn(v, "0123456789.-+eE")] ? NULL : v;
}

static int send_text(request_rec *r, int status, const char *line)
{
    return charon_send_body(r, status, CTYPE_TEXT, line);
}

/* 1 when the crons were read; else *why says what failed. */
static int read_crons(request_rec *r, charon_rows_t *rows, const char **why)
{
    charon_db *db = charon_db_open(r, why);

    if (!db) {
        return 0;
    }
    *why = "the database did not answer the query (is the schema loaded?)";
    return charon_db_view_rows(db, &q_crons, 0, NULL, MAX_CRONS, rows);
}

int charon_metrics_handler(request_rec *r)
{
    charon_rows_t rows;
    apr_bucket_brigade *bb;
    const char **slugs, *why;
    apr_off_t len = 0;
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
    if (!read_crons(r, &rows, &why)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, CHARON_LOGNO(510)
                      "metrics: answering 503: %s", why);
        apr_table_setn(r->headers_out, "Retry-After", CHARON_RETRY_AFTER);
        return send_text(r, HTTP_SERVICE_UNAVAILABLE,
                         apr_pstrcat(r->pool, "charon-metrics: ", why, "\n",
                                     NULL));
    }
    if (rows.nrows == MAX_CRONS) {
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, CHARON_LOGNO(511)
                      "metrics: only the first %d crons are shown",
                      MAX_CRONS);
    }

    slugs = apr_palloc(r->pool, sizeof(*slugs) * (rows.nrows + 1));
    for (i = 0; i < rows.nrows; i++) {
        slugs[i] = label_value(r->pool, rows.rows[i][COL_SLUG]
                                        ? rows.rows[i][COL_SLUG] : "");
    }

    /* Families are written whole, one after the other, as the format
     * requires. */
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    for (f = 0; f < sizeof(gauges) / sizeof(gauges[0]); f++) {
        const family_t *fm = &gauges[f];

        apr_brigade_printf(bb, NULL, NULL, "# HELP %s %s\n# TYPE %s %s\n",
                           fm->name, fm->help, fm->name, fm->type);
        for (i = 0; i < rows.nrows; i++) {
            const char *v = number(rows.rows[i][fm->col]);

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
                     "off, or locked by a running execution).\n"
                     "# TYPE charon_cron_executions_total counter\n");
    for (i = 0; i < rows.nrows; i++) {
        for (o = 0; o < sizeof(outcomes) / sizeof(outcomes[0]); o++) {
            const char *v = number(rows.rows[i][outcomes[o].col]);

            apr_brigade_printf(bb, NULL, NULL,
                               "charon_cron_executions_total{slug=\"%s\","
                               "outcome=\"%s\"} %s\n", slugs[i],
                               outcomes[o].outcome, v ? v : "0");
        }
    }
    charon_counters_write(bb);

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
           ? OK : AP_FILTER_ERROR;
}
