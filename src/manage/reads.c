/*
 * reads.c: the management API's lists and documents.  Lists are read by
 * keyset (statements_manage.h): the cursor is the last slug or id of a
 * page.  Filters the SQL does not apply (a slug pattern, the key's own
 * patterns, on or off) are applied here, to the rows read: a page may
 * then hold fewer than asked, and next_cursor says where to go on.
 */
#include "manage/charon_manage.h"

#include "apr_fnmatch.h"
#include "apr_hash.h"
#include "apr_strings.h"

/* A step that lets the route go on; anything else is the answer sent. */
#define GO_ON 1

#define DEFAULT_LIMIT  50
#define MAX_LIMIT      200
#define MESSAGES_LIMIT 100
#define MESSAGES_MAX   1000
#define EVENTS_MAX     (CHARON_MGR_EVENTS_LIMIT - 1)

static int unavailable(request_rec *r)
{
    return charon_manage_unavailable(r, "the database cannot be reached");
}

static const char *cron_json(apr_pool_t *p, const char *const *row,
                             const char **etag)
{
    charon_crondoc_t c;
    const char *json;

    charon_crondoc_from_row(row, &c);
    json = charon_crondoc_json(p, &c);
    if (etag) {
        *etag = json ? charon_etag(p, json) : NULL;
    }
    return json;
}

/* Rows read past the cursor, kept while keep() says so, up to limit:
 * the list and its next cursor. */
typedef int keep_fn(charon_mreq_t *m, const charon_query_t *q,
                    const char *const *row);

static const char *page(charon_mreq_t *m, const charon_query_t *q,
                        const charon_rows_t *rows, int read_max, int key_col,
                        keep_fn *keep,
                        const char *(*doc)(apr_pool_t *, const char *const *))
{
    charon_list *l = charon_list_make();
    const char *next = NULL;
    int i, n = 0;

    for (i = 0; i < rows->nrows; i++) {
        const char *const *row = rows->rows[i];

        if (n == q->limit) {
            next = rows->rows[i - 1][key_col]; /* a row follows */
            break;
        }
        if (keep(m, q, row)) {
            charon_list_add(l, doc(m->r->pool, row));
            n++;
        }
    }
    if (!next && rows->nrows == read_max && rows->nrows) {
        /* Every row read was looked at, and there may be more. */
        next = rows->rows[rows->nrows - 1][key_col];
    }
    return charon_list_json(m->r->pool, l, next);
}

/* ---- crons ---------------------------------------------------------------- */

static int keep_cron(charon_mreq_t *m, const charon_query_t *q,
                     const char *const *row)
{
    const char *slug = row[AC_SLUG];
    int on = row[AC_ON] && !strcmp(row[AC_ON], "1");

    return charon_manage_sees(m, slug)
           && (!q->slug || apr_fnmatch(q->slug, slug, 0) == APR_SUCCESS)
           && (!q->state || on == !strcmp(q->state, "on"));
}

static const char *cron_doc(apr_pool_t *p, const char *const *row)
{
    return cron_json(p, row, NULL);
}

int charon_manage_list_crons(charon_mreq_t *m)
{
    charon_query_t q;
    charon_rows_t rows;
    charon_db *db;
    const char *args[ONE_NARGS];
    int rc;

    if (!charon_manage_query(m, CHARON_Q_PAGE | CHARON_Q_SLUG | CHARON_Q_STATE,
                             DEFAULT_LIMIT, MAX_LIMIT, &q, &rc)
        || !(db = charon_manage_db(m, &rc))) {
        return rc;
    }
    args[ONE_ARG] = q.cursor ? q.cursor : "";
    if (charon_op_read(db, ST_ADM_CRONS, args, CHARON_ADM_ROWS, &rows)
        != CHARON_DB_OK) {
        return unavailable(m->r);
    }
    return charon_manage_doc(
        m->r, HTTP_OK,
        page(m, &q, &rows, CHARON_ADM_ROWS, AC_SLUG, keep_cron, cron_doc));
}

/* The cron's row, read: GO_ON with *row (NULL: none), or the answer sent. */
static int cron_row(charon_mreq_t *m, charon_db *db, const char *const **row)
{
    const char *args[ONE_NARGS];
    charon_rows_t rows;

    *row = NULL;
    args[ONE_ARG] = m->arg;
    if (charon_op_read(db, ST_ADM_CRON, args, 1, &rows) != CHARON_DB_OK) {
        return unavailable(m->r);
    }
    if (rows.nrows) {
        *row = rows.rows[0];
    }
    return GO_ON;
}

int charon_manage_get_cron(charon_mreq_t *m)
{
    const char *const *row;
    const char *json, *etag;
    charon_query_t q;
    charon_db *db;
    int rc;

    if (!charon_manage_query(m, 0, 0, 0, &q, &rc)
        || !(db = charon_manage_db(m, &rc))
        || (rc = cron_row(m, db, &row)) != GO_ON) {
        return rc;
    }
    if (!row) {
        return charon_manage_problem(m->r, HTTP_NOT_FOUND,
                                     "no cron has this slug", NULL);
    }
    json = cron_json(m->r->pool, row, &etag);
    if (etag) {
        apr_table_setn(m->r->headers_out, "ETag", etag);
    }
    return charon_manage_doc(m->r, HTTP_OK, json);
}

/* ---- executions ------------------------------------------------------------ */

static const char *exec_doc_with(apr_pool_t *p, const char *const *row,
                                 const char *messages)
{
    charon_exec_row_t e;

    e.id = row[ME_ID];
    e.cron = row[AX_CRON];
    e.started_at = row[ME_STARTED];
    e.ended_at = row[ME_ENDED];
    e.outcome = row[ME_OUTCOME];
    e.success = row[AX_SUCCESS];
    e.type = row[ME_TYPE];
    e.duration = row[ME_DURATION];
    e.application = row[ME_KEY];
    e.remote_addr = row[ME_ADDR];
    e.lost_at = row[ME_LOST];
    e.slot = row[ME_SLOT];
    return charon_exec_json(p, &e, messages);
}

static const char *exec_doc(apr_pool_t *p, const char *const *row)
{
    return exec_doc_with(p, row, NULL);
}

static int keep_all(charon_mreq_t *m, const charon_query_t *q,
                    const char *const *row)
{
    (void)m;
    (void)q;
    (void)row;
    return 1;
}

int charon_manage_executions(charon_mreq_t *m)
{
    const char *args[AXS_NARGS];
    const char *const *row;
    charon_query_t q;
    charon_rows_t rows;
    charon_db *db;
    int rc;

    if (!charon_manage_query(m,
                             CHARON_Q_PAGE | CHARON_Q_ID_CURSOR
                                 | CHARON_Q_OUTCOME | CHARON_Q_TIMES,
                             DEFAULT_LIMIT, MAX_LIMIT, &q, &rc)
        || !(db = charon_manage_db(m, &rc))
        || (rc = cron_row(m, db, &row)) != GO_ON) {
        return rc;
    }
    if (!row) {
        return charon_manage_problem(m->r, HTTP_NOT_FOUND,
                                     "no cron has this slug", NULL);
    }
    args[AXS_ARG_CRON] = row[AC_ID];
    args[AXS_ARG_BEFORE] = q.cursor ? q.cursor : "";
    args[AXS_ARG_OUTCOME] = q.outcome ? q.outcome : "";
    args[AXS_ARG_SINCE] = q.since ? charon_db_num(db, q.since) : "";
    args[AXS_ARG_UNTIL] = q.until ? charon_db_num(db, q.until) : "";
    if (charon_op_read(db, ST_ADM_EXECS, args, q.limit + 1, &rows)
        != CHARON_DB_OK) {
        return unavailable(m->r);
    }
    return charon_manage_doc(
        m->r, HTTP_OK,
        page(m, &q, &rows, q.limit + 1, ME_ID, keep_all, exec_doc));
}

static const char *message_doc(apr_pool_t *p, const char *const *row)
{
    return charon_message_json(p, row[AM_ID], row[AM_TYPE], row[AM_TEXT],
                               row[AM_CREATED]);
}

int charon_manage_execution(charon_mreq_t *m)
{
    const char *args[AMS_NARGS];
    charon_query_t q;
    charon_rows_t rows, msgs;
    charon_db *db;
    int rc;

    if (!charon_manage_query(m, CHARON_Q_PAGE | CHARON_Q_ID_CURSOR,
                             MESSAGES_LIMIT, MESSAGES_MAX, &q, &rc)
        || !(db = charon_manage_db(m, &rc))) {
        return rc;
    }
    args[ONE_ARG] = m->arg;
    if (charon_op_read(db, ST_ADM_EXEC, args, 1, &rows) != CHARON_DB_OK) {
        return unavailable(m->r);
    }
    if (!rows.nrows) {
        return charon_manage_problem(m->r, HTTP_NOT_FOUND,
                                     "no execution has this id", NULL);
    }
    if (!charon_manage_sees(m, rows.rows[0][AX_CRON])) {
        return charon_manage_problem(
            m->r, HTTP_FORBIDDEN, "this API key is not allowed for this cron",
            NULL);
    }
    args[AMS_ARG_EXEC] = m->arg;
    args[AMS_ARG_AFTER] = q.cursor ? q.cursor : "";
    if (charon_op_read(db, ST_ADM_MESSAGES, args, q.limit + 1, &msgs)
        != CHARON_DB_OK) {
        return unavailable(m->r);
    }
    return charon_manage_doc(
        m->r, HTTP_OK,
        exec_doc_with(
            m->r->pool, rows.rows[0],
            page(m, &q, &msgs, q.limit + 1, AM_ID, keep_all, message_doc)));
}

/* ---- alerts ---------------------------------------------------------------- */

static const char *const kinds[] = {"webhook", "mail", "exec", "file"};

static void channels_doc(charon_mreq_t *m, apr_array_header_t **out)
{
    const apr_array_header_t *chs = charon_alert_channels(m->r->server);
    int i;

    *out = apr_array_make(m->r->pool, chs->nelts, sizeof(const char *));
    for (i = 0; i < chs->nelts; i++) {
        const charon_channel_t *c =
            APR_ARRAY_IDX(chs, i, const charon_channel_t *);

        APR_ARRAY_PUSH(*out, const char *) =
            charon_channel_json(m->r->pool, c->name, kinds[c->kind], c->shown);
    }
}

/* The deliveries of events lo..hi, by event id. */
static apr_hash_t *deliveries(charon_mreq_t *m, charon_db *db,
                              const charon_rows_t *ev, int n, int *ok)
{
    apr_hash_t *by = apr_hash_make(m->r->pool);
    const char *args[EVD_NARGS];
    charon_rows_t d;
    int i;

    *ok = 1;
    if (!n) {
        return by;
    }
    args[EVD_ARG_LO] = ev->rows[n - 1][EV_COL_ID];
    args[EVD_ARG_HI] = ev->rows[0][EV_COL_ID];
    if (charon_op_read(db, ST_MGR_EVENT_DELIVERIES, args,
                       CHARON_MGR_DELIVERIES_LIMIT, &d)
        != CHARON_DB_OK) {
        *ok = 0;
        return by;
    }
    for (i = 0; i < d.nrows; i++) {
        const char *const *row = d.rows[i];
        const char *id = row[EVD_COL_EVENT];
        apr_array_header_t *a = apr_hash_get(by, id, APR_HASH_KEY_STRING);
        charon_delivery_row_t *x;

        if (!a) {
            a = apr_array_make(m->r->pool, 2, sizeof(charon_delivery_row_t));
            apr_hash_set(by, id, APR_HASH_KEY_STRING, a);
        }
        x = apr_array_push(a);
        x->channel = row[EVD_COL_CHANNEL];
        x->state = row[EVD_COL_STATE];
        x->attempts = row[EVD_COL_ATTEMPTS];
        x->due_at = row[EVD_COL_DUE];
        x->delivered_at = row[EVD_COL_DELIVERED];
        x->error = row[EVD_COL_ERROR];
    }
    return by;
}

int charon_manage_alerts(charon_mreq_t *m)
{
    const char *args[ONE_NARGS], *next = NULL;
    apr_array_header_t *channels;
    charon_query_t q;
    charon_rows_t ev;
    charon_list *l;
    apr_hash_t *by;
    charon_db *db;
    int rc, i, n, ok;

    if (!charon_manage_query(m, CHARON_Q_PAGE | CHARON_Q_ID_CURSOR, EVENTS_MAX,
                             EVENTS_MAX, &q, &rc)
        || !(db = charon_manage_db(m, &rc))) {
        return rc;
    }
    args[ONE_ARG] = q.cursor;
    if (charon_op_read(db,
                       q.cursor ? ST_MGR_EVENTS_BEFORE : ST_MGR_EVENTS_FIRST,
                       args, q.limit + 1, &ev)
        != CHARON_DB_OK) {
        return unavailable(m->r);
    }
    n = ev.nrows > q.limit ? q.limit : ev.nrows;
    by = deliveries(m, db, &ev, n, &ok);
    if (!ok) {
        return unavailable(m->r);
    }
    l = charon_list_make();
    for (i = 0; i < n; i++) {
        const char *const *row = ev.rows[i];

        if (!charon_manage_sees(m, row[EV_COL_SLUG])) {
            continue;
        }
        charon_list_add(
            l, charon_event_json(
                   m->r->pool, row[EV_COL_UID], row[EV_COL_SLUG],
                   row[EV_COL_EVENT],
                   row[EV_COL_MUTED] && !strcmp(row[EV_COL_MUTED], "1"),
                   row[EV_COL_CREATED],
                   apr_hash_get(by, row[EV_COL_ID], APR_HASH_KEY_STRING)));
    }
    if (ev.nrows > q.limit) {
        next = ev.rows[q.limit - 1][EV_COL_ID];
    }
    channels_doc(m, &channels);
    return charon_manage_doc(
        m->r, HTTP_OK,
        charon_alerts_json(m->r->pool, channels,
                           charon_list_json(m->r->pool, l, next)));
}

/* ---- audit ------------------------------------------------------------------ */

static int keep_audit(charon_mreq_t *m, const charon_query_t *q,
                      const char *const *row)
{
    (void)q;
    return charon_manage_sees(m, row[AU_SLUG]);
}

static const char *audit_doc(apr_pool_t *p, const char *const *row)
{
    return charon_audit_json(p, row[AU_ID], row[AU_AT], row[AU_WHO],
                             row[AU_ACTION], row[AU_SLUG], row[AU_BEFORE],
                             row[AU_AFTER]);
}

int charon_manage_audit(charon_mreq_t *m)
{
    const char *args[AUD_NARGS];
    charon_query_t q;
    charon_rows_t rows;
    charon_db *db;
    int rc;

    if (!charon_manage_query(
            m, CHARON_Q_PAGE | CHARON_Q_ID_CURSOR | CHARON_Q_SLUG,
            DEFAULT_LIMIT, MAX_LIMIT, &q, &rc)
        || !(db = charon_manage_db(m, &rc))) {
        return rc;
    }
    args[AUD_ARG_SLUG] = q.slug ? q.slug : "";
    args[AUD_ARG_BEFORE] = q.cursor ? q.cursor : "";
    if (charon_op_read(db, ST_ADM_AUDIT, args, CHARON_ADM_ROWS, &rows)
        != CHARON_DB_OK) {
        return unavailable(m->r);
    }
    return charon_manage_doc(
        m->r, HTTP_OK,
        page(m, &q, &rows, CHARON_ADM_ROWS, AU_ID, keep_audit, audit_doc));
}
