/*
 * charon_manager_post.c: the manager page's changes, `POST <mount>`.
 *
 * Order: the origin (before the body is read), the body (a bounded
 * application/x-www-form-urlencoded form), the nonce, then the action's
 * fields, all checked before the database is touched.  A refused check
 * changes nothing: 403 for the CSRF checks, 400 (409 for a slug taken)
 * with the page shown again and the message in .error.  A change that
 * went through answers 303 See Other to the page to show (POST, redirect,
 * GET: a reload does not send the form again).
 */
#include "charon_manager.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "util_filter.h"

/* ---- the body --------------------------------------------------------- */

/* The whole body (charon_read_body, as the API reads its own): OK, or
 * the status to answer. */
static int read_body(request_rec *r, const char **out)
{
    char *data;
    apr_size_t used;
    int rc = charon_read_body(r, MGR_MAX_BODY, &data, &used);

    if (rc != OK) {
        return rc;
    }
    /* A NUL inside would cut the form short without a word. */
    if (strlen(data) != used) {
        return HTTP_BAD_REQUEST;
    }
    *out = data;
    return OK;
}

static int is_form(const char *ctype)
{
    static const char form[] = "application/x-www-form-urlencoded";
    apr_size_t n = sizeof(form) - 1;

    return ctype && !strncasecmp(ctype, form, n)
           && (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ');
}

/* ---- checking fields --------------------------------------------------- */

/* s without blanks around it (a form's text field). */
static const char *trimmed(apr_pool_t *p, const char *s)
{
    const char *end;

    if (!s) {
        return "";
    }
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
        s++;
    }
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'
                       || end[-1] == '\n')) {
        end--;
    }
    return apr_pstrmemdup(p, s, (apr_size_t)(end - s));
}

/* Characters (code points) of valid UTF-8. */
static apr_size_t chars(const char *s)
{
    apr_size_t n = 0;

    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

static int has_control(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7F) {
            return 1;
        }
    }
    return 0;
}

static const char *text_check(const char *what, const char *s,
                              apr_size_t max, apr_pool_t *p)
{
    if (!*s) {
        return apr_psprintf(p, "The %s is required.", what);
    }
    if (chars(s) > max) {
        return apr_psprintf(p, "The %s is longer than %" APR_SIZE_T_FMT
                            " characters.", what, max);
    }
    if (has_control(s)) {
        return apr_psprintf(p, "The %s cannot contain control characters "
                            "(line breaks, tabs).", what);
    }
    return NULL;
}

static const char *concurrency_check(const char *c)
{
    if (!c || (strcmp(c, "allow") && strcmp(c, "forbid"))) {
        return "Concurrency must be allow or forbid.";
    }
    return NULL;
}

/* "" (none) or a whole number of seconds, as the database's INTEGER
 * holds it; a unit (15m, 2h) is taken as CharonRetention takes it. */
static const char *max_runtime_check(apr_pool_t *p, const char *s,
                                     const char **out)
{
    apr_int64_t secs;
    const char *why;

    *out = "";
    if (!*s) {
        return NULL;
    }
    if ((why = charon_parse_duration(p, s, 1, 2147483647, &secs)) != NULL) {
        return apr_pstrcat(p, "The max runtime ", why, "; or empty for "
                           "none.", NULL);
    }
    *out = apr_psprintf(p, "%" APR_INT64_T_FMT, secs);
    return NULL;
}

/* t in the form each database stores times in, UTC. */
static const char *db_time(apr_pool_t *p, charon_db *db, apr_time_t t)
{
    const char *driver = charon_db_dialect(db)->driver;
    apr_time_exp_t x;

    apr_time_exp_gmt(&x, t);
    return apr_psprintf(p, "%04d-%02d-%02d %02d:%02d:%02d%s",
                        x.tm_year + 1900, x.tm_mon + 1, x.tm_mday, x.tm_hour,
                        x.tm_min, x.tm_sec,
                        !strcmp(driver, "pgsql") ? "+00"
                        : !strcmp(driver, "sqlite3") ? ".000" : "");
}

/* ---- answers ------------------------------------------------------------ */

static int refuse(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, CHARON_LOGNO(610)
                  "manager: refused a POST from %s: %s",
                  r->useragent_ip, why);
    return mgr_send_message(r, HTTP_FORBIDDEN, "Forbidden",
                            apr_pstrcat(r->pool, "Nothing was changed: ",
                                        why, ". Load the page again and "
                                        "send the form from it.", NULL));
}

/* ---- the actions -------------------------------------------------------- */

typedef struct {
    request_rec *r;
    apr_table_t *form;
    const char *action;
    apr_int64_t cron_id;        /* 0 for create */
    const char *cron;           /* its text */
    charon_db *db;              /* opened once: each open takes a ticket */
} post_t;

static charon_db *post_db(post_t *ps)
{
    const char *why;

    if (!ps->db) {
        ps->db = charon_db_open(ps->r, &why);
    }
    return ps->db;
}

/* The page the form was on, again, with the message and what was sent. */
static int reshow(post_t *ps, int status, const char *error)
{
    request_rec *r = ps->r;
    mgr_view_t v;

    memset(&v, 0, sizeof(v));
    v.query = apr_table_make(r->pool, 1);
    v.error = error;
    v.status = status;
    v.form = ps->form;
    v.form_action = ps->action;
    if (!post_db(ps)) {
        return mgr_send_unavailable(r);
    }
    return ps->cron_id ? mgr_cron_page(r, ps->db, ps->cron_id, &v)
                       : mgr_list_page(r, ps->db, &v);
}


#define FIELD(ps, name) trimmed((ps)->r->pool,                               \
                                apr_table_get((ps)->form, (name)))

static int do_create(post_t *ps)
{
    request_rec *r = ps->r;
    const char *slug = FIELD(ps, "slug"), *name = FIELD(ps, "name");
    const char *conc = apr_table_get(ps->form, "concurrency");
    const char *max, *why, *args[4];
    charon_db *db;
    charon_rows_t id;
    int nrows = 0, attempt;

    conc = conc ? conc : "allow";
    if ((why = charon_slug_check(slug)) != NULL
        || (why = text_check("name", name, MGR_NAME_MAX_CHARS, r->pool))
        || (why = concurrency_check(conc)) != NULL
        || (why = max_runtime_check(r->pool, FIELD(ps, "max_runtime"), &max))) {
        return reshow(ps, HTTP_BAD_REQUEST, why);
    }
    if (!(db = post_db(ps))) {
        return mgr_send_unavailable(r);
    }
    args[0] = slug;
    args[1] = name;
    args[2] = conc;
    args[3] = max;
    /* The new cron's id comes from its slug, in the same transaction. */
    for (attempt = 0; ; attempt++) {
        if (charon_db_begin(db)
            && charon_db_view_exec(db, &mgr_q_create, 4, args, &nrows)
            && (nrows == 0
                || charon_db_view_rows(db, &mgr_q_id_by_slug, 1, args, 1,
                                       &id))
            && charon_db_commit(db)) {
            break;
        }
        charon_db_rollback(db);
        if (attempt > 0 || !charon_db_may_retry(db)) {
            return mgr_send_unavailable(r);
        }
    }
    if (nrows == 0) {
        return reshow(ps, HTTP_CONFLICT, apr_pstrcat(r->pool, "A cron with "
                      "the slug \"", slug, "\" exists already: nothing was "
                      "created.", NULL));
    }
    if (id.nrows != 1 || !id.rows[0][0]) {
        return mgr_send_unavailable(r);
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, CHARON_LOGNO(620)
                  "manager: %s created cron %s (%s)",
                  r->user ? r->user : "-", id.rows[0][0], slug);
    return mgr_redirect(r, apr_pstrcat(r->pool, "cron=",
                                       mgr_urlenc(r->pool, id.rows[0][0]),
                                       "&done=create", NULL));
}

/* An UPDATE of the cron ps->cron_id: 404 when there is none, else 303 to
 * its page.  (MySQL counts the rows changed, not found: 0 rows is also
 * a change to the same value, so the cron is looked up then.) */
static int update(post_t *ps, const charon_view_stmt_t *q, int nargs,
                  const char **args, const char *what)
{
    request_rec *r = ps->r;
    const char *cron = ps->cron;
    charon_db *db;
    charon_rows_t found;
    int nrows = 0;

    if (!(db = post_db(ps))) {
        return mgr_send_unavailable(r);
    }
    if (!charon_db_view_exec(db, q, nargs, args, &nrows)) {
        return mgr_send_unavailable(r);
    }
    if (nrows == 0) {
        if (!charon_db_view_rows(db, &mgr_q_exists, 1, &cron, 1, &found)) {
            return mgr_send_unavailable(r);
        }
        if (found.nrows == 0) {
            return mgr_send_message(r, HTTP_NOT_FOUND, "No such cron",
                                    "No cron has this id (it may have been "
                                    "deleted): nothing was changed.");
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, CHARON_LOGNO(621)
                  "manager: %s changed cron %s: %s",
                  r->user ? r->user : "-", cron, what);
    return mgr_redirect(r, apr_pstrcat(r->pool, "cron=", cron, "&done=",
                                       ps->action, NULL));
}

static int do_rename(post_t *ps)
{
    const char *name = FIELD(ps, "name"), *why, *args[2];

    if ((why = text_check("name", name, MGR_NAME_MAX_CHARS, ps->r->pool))) {
        return reshow(ps, HTTP_BAD_REQUEST, why);
    }
    args[0] = name;
    args[1] = ps->cron;
    return update(ps, &mgr_q_rename, 2, args, "renamed");
}

static int do_switch_off(post_t *ps)
{
    request_rec *r = ps->r;
    const char *reason = FIELD(ps, "reason"), *until = FIELD(ps, "until");
    const char *why, *args[3];
    apr_time_t t = 0;
    charon_db *db;

    if ((why = text_check("reason", reason, MGR_REASON_MAX_CHARS, r->pool))
        || (*until && (why = charon_parse_until(until, &t)) != NULL)) {
        return reshow(ps, HTTP_BAD_REQUEST, why);
    }
    if (*until && t <= apr_time_now()) {
        return reshow(ps, HTTP_BAD_REQUEST, "The end of the switch-off is "
                      "not in the future (times are UTC).");
    }
    /* The database's own time format needs its driver: a connection. */
    if (!(db = post_db(ps))) {
        return mgr_send_unavailable(r);
    }
    args[0] = reason;
    args[1] = *until ? db_time(r->pool, db, t) : "";
    args[2] = ps->cron;
    return update(ps, &mgr_q_off, 3, args, "switched off");
}

static int do_switch_on(post_t *ps)
{
    const char *args[1];

    args[0] = ps->cron;
    return update(ps, &mgr_q_on, 1, args, "switched on");
}

static int do_policy(post_t *ps)
{
    const char *conc = apr_table_get(ps->form, "concurrency");
    const char *max, *why, *args[3];

    if ((why = concurrency_check(conc)) != NULL
        || (why = max_runtime_check(ps->r->pool, FIELD(ps, "max_runtime"),
                                    &max)) != NULL) {
        return reshow(ps, HTTP_BAD_REQUEST, why);
    }
    args[0] = conc;
    args[1] = max;
    args[2] = ps->cron;
    return update(ps, &mgr_q_policy, 3, args, "policy");
}

static const struct {
    const char *name;
    int needs_cron;
    int (*run)(post_t *ps);
} actions[] = {
    { "create", 0, do_create },
    { "rename", 1, do_rename },
    { "switch-off", 1, do_switch_off },
    { "switch-on", 1, do_switch_on },
    { "policy", 1, do_policy },
};

int mgr_post(request_rec *r)
{
    const char *why, *body = NULL, *action, *cron;
    post_t ps;
    apr_size_t i;
    int rc;

    /* A foreign site's request is refused before its body is read. */
    if ((why = mgr_check_origin(r)) != NULL) {
        return refuse(r, why);
    }
    if (!is_form(apr_table_get(r->headers_in, "Content-Type"))) {
        return mgr_send_message(r, HTTP_UNSUPPORTED_MEDIA_TYPE,
                                "Unsupported form",
                                "The page's forms send "
                                "application/x-www-form-urlencoded; nothing "
                                "was changed.");
    }
    rc = read_body(r, &body);
    if (rc == AP_FILTER_ERROR) {
        return rc;              /* httpd has answered (LimitRequestBody) */
    }
    if (rc != OK) {
        return mgr_send_message(r, rc, rc == HTTP_REQUEST_ENTITY_TOO_LARGE
                                ? "Form too large" : "Bad request",
                                "The form could not be read; nothing was "
                                "changed.");
    }
    memset(&ps, 0, sizeof(ps));
    ps.r = r;
    if ((why = mgr_parse_form(r->pool, body, &ps.form)) != NULL) {
        return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request",
                                apr_pstrcat(r->pool, "The form could not be "
                                            "read (", why, "); nothing was "
                                            "changed.", NULL));
    }
    if ((why = mgr_check_nonce(r, apr_table_get(ps.form, "nonce"))) != NULL) {
        return refuse(r, why);
    }
    action = apr_table_get(ps.form, "action");
    cron = apr_table_get(ps.form, "cron");
    for (i = 0; action && i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (strcmp(action, actions[i].name)) {
            continue;
        }
        ps.action = actions[i].name;
        if (actions[i].needs_cron) {
            if (!cron || !charon_parse_id(cron, &ps.cron_id)) {
                return mgr_send_message(r, HTTP_NOT_FOUND, "No such cron",
                                        "The form names no cron: nothing "
                                        "was changed.");
            }
            ps.cron = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, ps.cron_id);
        }
        return actions[i].run(&ps);
    }
    return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request",
                            "The form asks for no known change: nothing was "
                            "changed.");
}
