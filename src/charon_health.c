/*
 * charon_health.c: one line for load balancers and Nagios-style checks.
 *
 * `SetHandler charon-health`.  Two modes, chosen by the query string:
 *   (none)         200 "OK: database answers", or 503 "CRITICAL: ..." when
 *                  the database or the schema does not answer;
 *   ?crons         adds the crons whose latest run failed or was lost:
 *                  200 "WARNING: ..." listing them (a check reads the word);
 *   ?crons&strict  the same, but WARNING is a 503 (for checks that read
 *                  only the status).
 * Anything else in the query string is 400 "UNKNOWN: ...", so that a typo
 * in a check's URL does not pass for a check of the crons.
 * The body is one line whose first word is Nagios's status word; every
 * answer is text/plain and no-store.
 */
#include "charon.h"

#include "apr_strings.h"

/* Slugs named in a WARNING; the rest are counted. */
#define MAX_LISTED 20
#define STR(x) STR_(x)
#define STR_(x) #x

/* The database answers, and charon_cron is there. */
static const charon_view_stmt_t q_alive = {
    "health alive",
    "SELECT 1 FROM charon_cron LIMIT 1",
    "SELECT 1 FROM charon_cron LIMIT 1",
    "SELECT 1 FROM charon_cron LIMIT 1"
};

/* Crons whose latest outcome is a failure or a loss (the triggers keep
 * both times in charon_cron_stats: no execution is read), and how many
 * there are in all.  A read of charon_cron_stats, one row per cron that
 * has had an outcome, and the cron of each row by its key. */
#define FAILING(T)                                                           \
    "SELECT c.slug, COUNT(*) OVER () FROM charon_cron_stats s JOIN "         \
    "charon_cron c ON c.id = s.cron_id WHERE s.last_failure_at IS NOT NULL " \
    "AND (s.last_success_at IS NULL OR " T("s.last_failure_at") " > "        \
    T("s.last_success_at") ") ORDER BY c.slug LIMIT " STR(MAX_LISTED)
#define AS_IS(t) t
/* SQLite's times are text: compared as times, whatever their form. */
#define SQ_TIME(t) "julianday(" t ")"
static const charon_view_stmt_t q_failing = {
    "health failing crons", FAILING(AS_IS), FAILING(AS_IS), FAILING(SQ_TIME)
};

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
    return send_line(r, HTTP_SERVICE_UNAVAILABLE, connected
                     ? "CRITICAL: the database did not answer the query (is "
                       "the schema loaded?)"
                     : "CRITICAL: database unavailable");
}

/* A slug fit for the one line: valid UTF-8 is kept, control characters
 * and bytes outside a valid sequence become '?'. */
static const char *one_line(apr_pool_t *p, const char *s)
{
    apr_size_t len = strlen(s), i = 0;
    char *out = apr_palloc(p, len + 1), *o = out;

    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        apr_size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2
                     : c >= 0xE0 && c <= 0xEF ? 3
                     : c >= 0xF0 && c <= 0xF4 ? 4 : 0;

        if (n == 0 || c < 0x20 || c == 0x7F
            || (n > 1 && (len - i < n || !charon_utf8_valid(s + i, n)))) {
            *o++ = '?';
            i++;
            continue;
        }
        memcpy(o, s + i, n);
        o += n;
        i += n;
    }
    *o = '\0';
    return out;
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


int charon_health_handler(request_rec *r)
{
    charon_db *db;
    charon_rows_t rows;
    const char *why, *list;
    long total;
    int crons, strict, i;

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
        return send_line(r, HTTP_BAD_REQUEST, "UNKNOWN: the query string may "
                         "be empty, crons, or crons&strict");
    }
    if (!(db = charon_db_open(r, &why))) {
        return send_critical(r, 0);
    }
    if (!crons) {
        if (!charon_db_view_rows(db, &q_alive, 0, NULL, 1, &rows)) {
            return send_critical(r, 1);
        }
        return send_line(r, HTTP_OK, "OK: database answers");
    }
    if (!charon_db_view_rows(db, &q_failing, 0, NULL, MAX_LISTED, &rows)) {
        return send_critical(r, 1);
    }
    if (rows.nrows == 0) {
        return send_line(r, HTTP_OK, "OK: database answers, no cron's "
                         "latest run failed or was lost");
    }
    total = rows.rows[0][1] ? atol(rows.rows[0][1]) : rows.nrows;
    list = one_line(r->pool, rows.rows[0][0] ? rows.rows[0][0] : "");
    for (i = 1; i < rows.nrows; i++) {
        list = apr_pstrcat(r->pool, list, ", ",
                           one_line(r->pool, rows.rows[i][0]
                                             ? rows.rows[i][0] : ""), NULL);
    }
    if (total > rows.nrows) {
        list = apr_psprintf(r->pool, "%s and %ld more", list,
                            total - rows.nrows);
    }
    return send_line(r, strict ? HTTP_SERVICE_UNAVAILABLE : HTTP_OK,
                     apr_psprintf(r->pool, "WARNING: %ld cron%s whose latest "
                                  "run failed or was lost: %s", total,
                                  total == 1 ? "" : "s", list));
}
