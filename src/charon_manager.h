/*
 * charon_manager.h: what the files of the manager page share.
 *
 *   charon_manager.c       the handler: routing, answers, the page's frame,
 *                          escaping, the CSRF nonce and the origin check
 *   charon_manager_sql.c   its statements, once per database
 *   charon_manager_list.c  the list of crons (GET <mount>)
 *   charon_manager_cron.c  one cron and its executions (GET <mount>?cron=N)
 *   charon_manager_post.c  the changes (POST <mount>)
 */
#ifndef CHARON_MANAGER_H
#define CHARON_MANAGER_H

#include "charon.h"

#include "apr_buckets.h"
#include "apr_tables.h"

#define MGR_CRONS_PER_PAGE  50      /* the list */
#define MGR_EXECS_PER_PAGE  50      /* a cron's executions */
#define MGR_HISTORY         20      /* runs in a sparkline */
#define MGR_MESSAGES        100     /* messages shown per execution */
#define MGR_MESSAGE_CHARS   2000    /* characters shown per message */
#define MGR_MESSAGE_COUNT_CAP 10000 /* "N more" is counted up to this */
#define MGR_MAX_PAGE        1000000 /* page=N: far past any real list */
#define MGR_MAX_BODY        32768   /* a POST's form, bytes */
#define MGR_NAME_MAX_CHARS  255
#define MGR_REASON_MAX_CHARS 1000

/* A page being written: everything goes to a brigade, sent at the end
 * with its length (or thrown away when a read is retried). */
typedef struct {
    request_rec *r;
    apr_bucket_brigade *bb;
    const char *base;           /* the page's path, URL-escaped, for HTML */
    const char *nonce;          /* of this page, for its forms */
    const char *title;          /* plain text, escaped when written */
} mgr_page_t;

/* What a page shows besides its data: a message, the status it goes out
 * with, and after a refused POST the fields as they were sent. */
typedef struct {
    apr_table_t *query;         /* the query string's fields */
    const char *error;          /* shown in .error, or NULL */
    const char *notice;         /* shown in .notice, or NULL */
    int status;
    apr_table_t *form;          /* a refused POST's fields, or NULL */
    const char *form_action;    /* which form they belong to */
} mgr_view_t;

/* What rendering a page from the database came to. */
typedef enum {
    MGR_OK,
    MGR_DB_FAILED,              /* a statement failed (logged) */
    MGR_NOT_FOUND               /* no such cron */
} mgr_result_e;

/* ---- charon_manager.c ------------------------------------------------- */

void mgr_puts(mgr_page_t *pg, const char *s);
void mgr_printf(mgr_page_t *pg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s as HTML text or attribute value: <>&"' escaped, invalid UTF-8 and
 * control characters replaced by U+FFFD.  NULL is "". */
const char *mgr_html(apr_pool_t *p, const char *s);
void mgr_esc(mgr_page_t *pg, const char *s);
/* s form-encoded, for a URL's query (only unreserved characters kept). */
const char *mgr_urlenc(apr_pool_t *p, const char *s);
/* A time from the database (ISO 8601 with Z), as <time>, or dash. */
void mgr_time(mgr_page_t *pg, const char *iso);
/* Seconds as people read them: "0.25 s", "4 min 05 s", "2 h 03 min". */
const char *mgr_duration(apr_pool_t *p, const char *secs);
/* A database's 0/1 (or t/f) column. */
int mgr_flag(const char *v);
/* The hidden fields every POST form carries. */
void mgr_form_hidden(mgr_page_t *pg, const char *action, const char *cron);
/* The value to show in a form field: the refused POST's, else dflt. */
const char *mgr_field(const mgr_view_t *v, const char *action,
                      const char *name, const char *dflt);

/* Renders a page from the database: on a failed statement, once more
 * when charon_db_may_retry() allows, else 503; MGR_NOT_FOUND is 404. */
typedef mgr_result_e mgr_render_fn(mgr_page_t *pg, charon_db *db,
                                   const mgr_view_t *v, void *baton);
int mgr_show(request_rec *r, charon_db *db, const mgr_view_t *v,
             mgr_render_fn *render, void *baton);
/* A page without data: 400, 403, 404, 405, 413, 415, 503. */
int mgr_send_message(request_rec *r, int status, const char *title,
                     const char *text);
int mgr_send_unavailable(request_rec *r);
/* 303 See Other to the mount with this query (already encoded). */
int mgr_redirect(request_rec *r, const char *query);

/* Parses application/x-www-form-urlencoded text into *out; NULL, or why
 * not (a field twice, a bad escape, invalid UTF-8, too many fields). */
const char *mgr_parse_form(apr_pool_t *p, const char *text,
                           apr_table_t **out);
/* The CSRF checks of a POST: NULL when both pass, else why not. */
const char *mgr_check_origin(request_rec *r);
const char *mgr_check_nonce(request_rec *r, const char *nonce);

/* ---- charon_manager_list.c, charon_manager_cron.c --------------------- */

int mgr_list_page(request_rec *r, charon_db *db, const mgr_view_t *v);
/* Parts of a cron's row (the MC_ columns) that both pages show. */
void mgr_state_text(mgr_page_t *pg, const char *const *row);
void mgr_policy_text(mgr_page_t *pg, const char *const *row);
const char *mgr_rate(apr_pool_t *p, const char *const *row);
/* The durations of a cron's latest runs (mgr_q_history) as inline SVG. */
void mgr_sparkline(mgr_page_t *pg, const charon_rows_t *history);
/* A run's outcome (ME_OUTCOME) as one of running, success, failure, lost. */
const char *mgr_outcome(const char *s);
int mgr_cron_page(request_rec *r, charon_db *db, apr_int64_t cron_id,
                  const mgr_view_t *v);
/* The GET pages, from the query string (opens the database itself). */
int mgr_get(request_rec *r, apr_table_t *query);

/* ---- charon_manager_post.c -------------------------------------------- */

int mgr_post(request_rec *r);

/* ---- charon_manager_sql.c --------------------------------------------- */

typedef enum {
    MGR_STATE_ALL, MGR_STATE_FAILING, MGR_STATE_RUNNING, MGR_STATE_OFF,
    MGR_STATE_LOST, MGR_STATE_COUNT
} mgr_state_e;

/* Columns of the cron statements (list and cron page). */
enum {
    MC_ID, MC_SLUG, MC_NAME, MC_ON, MC_OFF_REASON, MC_OFF_UNTIL,
    MC_CONCURRENCY, MC_MAX_RUNTIME, MC_SUCCEEDED, MC_FAILED, MC_LOST,
    MC_REFUSED_INACTIVE, MC_REFUSED_LOCKED, MC_FAILING, MC_RUNNING,
    MC_LIST_COLS,
    /* the cron page only */
    MC_CREATED = MC_LIST_COLS, MC_LAST_SUCCESS, MC_LAST_FAILURE,
    MC_LAST_ENDED, MC_LAST_DURATION, MC_CRON_COLS
};
/* Columns of the execution statements (history and executions). */
enum {
    ME_ID, ME_STARTED, ME_ENDED, ME_LOST, ME_OUTCOME, ME_DURATION, ME_TYPE,
    ME_KEY, ME_ADDR, ME_COLS
};
/* Columns of the message statement. */
enum { MM_ID, MM_TYPE, MM_TEXT, MM_LENGTH, MM_CREATED, MM_COLS };

/* The list's page, one statement per state filter: args slug pattern
 * (LIKE, '!' escapes), offset. */
extern const charon_view_stmt_t mgr_q_list[MGR_STATE_COUNT];
/* A cron's latest MGR_HISTORY runs, newest first: arg cron id. */
extern const charon_view_stmt_t mgr_q_history;
/* One cron: arg id. */
extern const charon_view_stmt_t mgr_q_cron;
/* A cron's executions, newest first, MGR_EXECS_PER_PAGE + 1: arg cron
 * id; and after execution `before`: args cron id, before, before,
 * before. */
extern const charon_view_stmt_t mgr_q_execs_first;
extern const charon_view_stmt_t mgr_q_execs_before;
/* An execution's first MGR_MESSAGES + 1 messages: arg execution id;
 * and how many it has, up to MGR_MESSAGE_COUNT_CAP + 1. */
extern const charon_view_stmt_t mgr_q_messages;
extern const charon_view_stmt_t mgr_q_message_count;
/* Writes.  create: slug, name, concurrency, max_runtime ('' for none);
 * rename: name, id; off: reason, until ('' for none), id; on: id;
 * policy: concurrency, max_runtime, id; by slug / exists: one column. */
extern const charon_view_stmt_t mgr_q_create;
extern const charon_view_stmt_t mgr_q_id_by_slug;
extern const charon_view_stmt_t mgr_q_exists;
extern const charon_view_stmt_t mgr_q_rename;
extern const charon_view_stmt_t mgr_q_off;
extern const charon_view_stmt_t mgr_q_on;
extern const charon_view_stmt_t mgr_q_policy;
/* PostgreSQL: plan each statement of this transaction for its arguments
 * (elsewhere a no-op). */
extern const charon_view_stmt_t mgr_q_custom_plans;

#endif /* CHARON_MANAGER_H */
