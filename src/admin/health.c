/*
 * health.c: one line for load balancers and Nagios-style checks.
 *
 * `SetHandler charon-health`.  Two modes, chosen by the query string:
 *   (none)         200 "OK: database answers", or 503 "CRITICAL: ..." when
 *                  the database or the schema does not answer;
 *   ?crons         adds the crons whose latest run failed or was lost,
 *                  and those that missed their latest slot: 200
 *                  "WARNING: ..." listing them (a check reads the word);
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
    charon_rows_t rows;
} read_t;

static charon_db_e read_rows(charon_db *db, void *baton)
{
    read_t *q = baton;

    return charon_db_rows(db, q->st, NULL, CHARON_HEALTH_LISTED, &q->rows)
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
static int send_critical(request_rec *r, int connected)
{
    apr_table_setn(r->headers_out, "Retry-After", CHARON_RETRY_AFTER);
    return send_line(
        r, HTTP_SERVICE_UNAVAILABLE,
        connected ? "CRITICAL: the database did not answer the query (is "
                    "the schema loaded?)"
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

int charon_health_handler(request_rec *r)
{
    read_t q, m;
    charon_db *db;
    const char *why, *failing, *missed;
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
        return send_critical(r, 0);
    }
    q.st = crons ? ST_HEALTH_FAILING : ST_HEALTH_ALIVE;
    m.st = ST_HEALTH_MISSED;
    if (charon_db_run(db, 0, read_rows, &q) != CHARON_DB_OK
        || (crons && charon_db_run(db, 0, read_rows, &m) != CHARON_DB_OK)) {
        return send_critical(r, 1);
    }
    if (!crons) {
        return send_line(r, HTTP_OK, "OK: database answers");
    }
    failing = listed(r, &q.rows, "whose latest run failed or was lost",
                     "whose latest run failed or was lost");
    missed = listed(r, &m.rows, "that missed their latest slot",
                    "that missed its latest slot");
    if (!failing && !missed) {
        return send_line(r, HTTP_OK,
                         "OK: database answers, no cron's "
                         "latest run failed or was lost");
    }
    return send_line(r, strict ? HTTP_SERVICE_UNAVAILABLE : HTTP_OK,
                     apr_pstrcat(r->pool, "WARNING: ", failing ? failing : "",
                                 failing && missed ? "; " : "",
                                 missed ? missed : "", NULL));
}
