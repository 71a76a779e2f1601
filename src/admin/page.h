/*
 * page.h: a page of the manager being written, and how it goes out.
 */
#ifndef CHARON_ADMIN_PAGE_H
#define CHARON_ADMIN_PAGE_H

#include "admin/charon_admin.h"

#include "apr_buckets.h"

#define MGR_CRONS_PER_PAGE    (CHARON_MGR_CRONS_LIMIT - 1)
#define MGR_EXECS_PER_PAGE    (CHARON_MGR_EXECS_LIMIT - 1)
#define MGR_MESSAGES          (CHARON_MGR_MESSAGES_LIMIT - 1)
#define MGR_MESSAGE_COUNT_CAP (CHARON_MGR_COUNT_LIMIT - 1)
#define MGR_MAX_PAGE          1000000 /* page=N: far past any real list */

/* Everything goes to a brigade, sent at the end with its length (or
 * thrown away when the reads are run again). */
typedef struct {
    request_rec *r;
    apr_bucket_brigade *bb;
    const char *base;  /* the page's path, URL-escaped, for HTML */
    const char *nonce; /* of this page, for its forms */
    const char *title; /* plain text, escaped when written */
} mgr_page_t;

/* What a page shows besides its data: a message, the status it goes out
 * with, and after a refused POST the fields as they were sent. */
typedef struct {
    apr_table_t *query;      /* the query string's fields */
    const char *error;       /* shown in .error, or NULL */
    const char *error_field; /* the form field it is about, or NULL */
    const char *notice;      /* shown in .notice, or NULL */
    int status;
    apr_table_t *form;       /* a refused POST's fields, or NULL */
    const char *form_action; /* which form they belong to */
} mgr_view_t;

typedef enum {
    MGR_OK,
    MGR_DB_FAILED, /* a statement failed (logged) */
    MGR_NOT_FOUND  /* no such cron */
} mgr_result_e;

void mgr_puts(mgr_page_t *pg, const char *s);
void mgr_printf(mgr_page_t *pg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* s escaped (charon_html). */
void mgr_esc(mgr_page_t *pg, const char *s);
/* The page's message and notice, if any. */
void mgr_messages(mgr_page_t *pg, const mgr_view_t *v);

/* Renders a page from the database, run again as charon_db_run decides;
 * 503 when it gives up, 404 for MGR_NOT_FOUND. */
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
/* The same to another path (not yet escaped). */
int mgr_redirect_path(request_rec *r, const char *path, const char *query);

#endif /* CHARON_ADMIN_PAGE_H */
