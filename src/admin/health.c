/*
 * health.c: one line for load balancers and Nagios-style checks.
 *
 * `SetHandler charon-health`.  Two modes, chosen by the query string:
 *   (none)         200 "OK: database answers", or 503 "CRITICAL: ..." when
 *                  the database or the schema does not answer;
 *   ?crons         adds the crons whose latest run failed or was lost,
 *                  those that missed their latest slot, and alert
 *                  deliveries late or given up: 200 "WARNING: ..."
 *                  listing them (a check reads the word);
 *   ?crons&strict  the same, but WARNING is a 503 (for checks that read
 *                  only the status).
 * Anything else in the query string is 400 "UNKNOWN: ...", so that a typo
 * in a check's URL does not pass for a check of the crons.
 * The body is one line whose first word is Nagios's status word; every
 * answer is text/plain and no-store.
 */
#include "admin/charon_admin.h"

#include "apr_strings.h"

/* Crons whose latest outcome is a failure or a loss (the triggers keep
 * both times in charon_cron_stats: no execution is read), or whose latest
 * slot judged was missed (charon_cron_watch): the first
 * CHARON_HEALTH_LISTED named, and how many there are in all. */
typedef struct {
    charon_stmt_e st;
    int max; /* rows kept; 0: CHARON_HEALTH_LISTED */
    charon_rows_t rows;
} read_t;

static charon_db_e read_rows(charon_db *db, void *baton)
{
    read_t *q = baton;

    return charon_db_rows(db, q->st, NULL,
                          q->max ? q->max : CHARON_HEALTH_LISTED, &q->rows)
               ? CHARON_DB_OK
               : CHARON_DB_FAILED;
}

static int send_line(request_rec *r, int status, const char *line)
{
    return charon_send_body(r, status, "text/plain; charset=utf-8",
                            apr_pstrcat(r->pool, line, "\n", NULL));
}

/* No connection (unreachable, or every connection stayed busy), or a
 * query that failed (a missing schema, the database gone meanwhile). */
static int send_critical(request_rec *r, int connected, const char *why)
{
    apr_table_setn(r->headers_out, "Retry-After", CHARON_RETRY_AFTER);
    return send_line(
        r, HTTP_SERVICE_UNAVAILABLE,
        connected ? "CRITICAL: the database did not answer the query (is "
                    "the schema loaded?)"
        : why == charon_db_schema_incomplete
            ? apr_pstrcat(r->pool, "CRITICAL: ", why, NULL)
            : "CRITICAL: database unavailable");
}

/* Reads the query string: 1 when it is one the handler knows. */
static int parse_args(request_rec *r, int *crons, int *strict)
{
    char *args = apr_pstrdup(r->pool, r->args ? r->args : ""), *last;
    const char *tok;

    *crons = *strict = 0;
    for (tok = apr_strtok(args, "&", &last); tok;
         tok = apr_strtok(NULL, "&", &last)) {
        if (!strcmp(tok, "crons")) {
            *crons = 1;
        }
        else if (!strcmp(tok, "strict")) {
            *strict = 1;
        }
        else {
            return 0;
        }
    }
    return !*strict || *crons;
}

/* "N crons <what>: a, b and M more", or NULL when there are none; one
 * is "1 cron <what_one>: a". */
static const char *listed(request_rec *r, const charon_rows_t *rows,
                          const char *what, const char *what_one)
{
    const char *list = "";
    long total;
    int i;

    if (rows->nrows == 0) {
        return NULL;
    }
    total = rows->rows[0][FAILING_COL_TOTAL]
                ? atol(rows->rows[0][FAILING_COL_TOTAL])
                : rows->nrows;
    for (i = 0; i < rows->nrows; i++) {
        list = apr_pstrcat(
            r->pool, list, i ? ", " : "",
            charon_one_line(r->pool, rows->rows[i][FAILING_COL_SLUG]), NULL);
    }
    if (total > rows->nrows) {
        list = apr_psprintf(r->pool, "%s and %ld more", list,
                            total - rows->nrows);
    }
    return apr_psprintf(r->pool, "%ld cron%s %s: %s", total,
                        total == 1 ? "" : "s", total == 1 ? what_one : what,
                        list);
}

/* "N alert deliveries <what> (a: 2, b: 1)" over the channels' counts in
 * column col (HA_COL_), or NULL when they are all 0. */
static const char *alert_part(request_rec *r, const charon_rows_t *rows,
                              int col, const char *what)
{
    const char *list = "";
    long total = 0, n;
    int i;

    for (i = 0; i < rows->nrows; i++) {
        n = rows->rows[i][col] ? atol(rows->rows[i][col]) : 0;
        if (n <= 0) {
            continue;
        }
        total += n;
        list = apr_psprintf(
            r->pool, "%s%s%s: %ld", list, *list ? ", " : "",
            charon_one_line(r->pool, rows->rows[i][HA_COL_CHANNEL]), n);
    }
    if (total == 0) {
        return NULL;
    }
    return apr_psprintf(r->pool, "%ld alert deliver%s %s (%s)", total,
                        total == 1 ? "y" : "ies", what, list);
}

static const char *joined(request_rec *r, const char *const *parts, int n)
{
    const char *out = NULL;
    int i;

    for (i = 0; i < n; i++) {
        if (parts[i]) {
            out = out ? apr_pstrcat(r->pool, out, "; ", parts[i], NULL)
                      : parts[i];
        }
    }
    return out;
}

int charon_health_handler(request_rec *r)
{
    read_t q, m, a;
    charon_db *db;
    const char *why, *parts[4], *warning;
    int crons, strict;

    if (!r->handler || strcmp(r->handler, CHARON_HEALTH_HANDLER)) {
        return DECLINED;
    }
    r->allowed = AP_METHOD_BIT << M_GET;
    if (r->method_number != M_GET) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return send_line(r, HTTP_METHOD_NOT_ALLOWED,
                         "UNKNOWN: charon-health accepts GET, HEAD");
    }
    if (!parse_args(r, &crons, &strict)) {
        return send_line(r, HTTP_BAD_REQUEST,
                         "UNKNOWN: the query string may "
                         "be empty, crons, or crons&strict");
    }
    if (!(db = charon_db_open(r, &why))) {
        return send_critical(r, 0, why);
    }
    q.st = crons ? ST_HEALTH_FAILING : ST_HEALTH_ALIVE;
    m.st = ST_HEALTH_MISSED;
    a.st = ST_HEALTH_ALERTS;
    q.max = m.max = 0;
    a.max = 1000; /* one row a channel: every one counts in the totals */
    if (charon_db_run(db, 0, read_rows, &q) != CHARON_DB_OK
        || (crons && charon_db_run(db, 0, read_rows, &m) != CHARON_DB_OK)
        || (crons && charon_db_run(db, 0, read_rows, &a) != CHARON_DB_OK)) {
        return send_critical(r, 1, NULL);
    }
    if (!crons) {
        return send_line(r, HTTP_OK, "OK: database answers");
    }
    parts[0] = listed(r, &q.rows, "whose latest run failed or was lost",
                      "whose latest run failed or was lost");
    parts[1] = listed(r, &m.rows, "that missed their latest slot",
                      "that missed its latest slot");
    parts[2] = alert_part(r, &a.rows, HA_COL_LATE,
                          "undelivered for more than 5 minutes");
    parts[3] =
        alert_part(r, &a.rows, HA_COL_GAVE_UP, "given up in the last 24 h");
    if (!(warning = joined(r, parts, 4))) {
        return send_line(r, HTTP_OK,
                         "OK: database answers, no cron's "
                         "latest run failed or was lost");
    }
    return send_line(r, strict ? HTTP_SERVICE_UNAVAILABLE : HTTP_OK,
                     apr_pstrcat(r->pool, "WARNING: ", warning, NULL));
}
