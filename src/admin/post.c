/*
 * post.c: the manager page's changes, `POST <mount>`.
 *
 * Order: the origin (before the body is read), the body (a bounded
 * application/x-www-form-urlencoded form), the nonce, then the action's
 * fields, all checked before the database is touched.  A refused check
 * changes nothing: 403 for the CSRF checks, 400 (409 for a slug taken)
 * with the page shown again and the message in .error.  A change that
 * went through answers 303 See Other to the page to show (POST, redirect,
 * GET: a reload does not send the form again).
 */
#include "admin/post.h"
#include "admin/csrf.h"

#include "apr_strings.h"

#define MAX_BODY         32768 /* a form, bytes */
#define NAME_MAX_CHARS   255
#define REASON_MAX_CHARS 1000

/* ---- the body --------------------------------------------------------- */

/* The whole body (charon_read_body, as the API reads its own): OK, or
 * the status to answer. */
static int read_body(request_rec *r, const char **out)
{
    char *data;
    apr_size_t used;
    int rc = charon_read_body(r, MAX_BODY, &data, &used);

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
const char *mgr_trimmed(apr_pool_t *p, const char *s)
{
    const char *end;

    if (!s) {
        return "";
    }
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
        s++;
    }
    end = s + strlen(s);
    while (end > s
           && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'
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

static const char *text_check(const char *what, const char *s, apr_size_t max,
                              apr_pool_t *p)
{
    if (!*s) {
        return apr_psprintf(p, "The %s is required.", what);
    }
    if (chars(s) > max) {
        return apr_psprintf(
            p, "The %s is longer than %" APR_SIZE_T_FMT " characters.", what,
            max);
    }
    if (has_control(s)) {
        return apr_psprintf(p,
                            "The %s cannot contain control characters "
                            "(line breaks, tabs).",
                            what);
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
        return apr_pstrcat(p, "The max runtime ", why,
                           "; or empty for "
                           "none.",
                           NULL);
    }
    *out = apr_psprintf(p, "%" APR_INT64_T_FMT, secs);
    return NULL;
}

/* ---- answers ------------------------------------------------------------ */

static int refuse(request_rec *r, const char *why)
{
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  CHARON_LOGNO(610) "manager: refused a POST from %s: %s",
                  r->useragent_ip, why);
    return mgr_send_message(r, HTTP_FORBIDDEN, "Forbidden",
                            apr_pstrcat(r->pool, "Nothing was changed: ", why,
                                        ". Load the page again and "
                                        "send the form from it.",
                                        NULL));
}

/* ---- the actions -------------------------------------------------------- */

charon_db *mgr_post_db(mgr_post_t *ps)
{
    const char *why;

    if (!ps->db) {
        ps->db = charon_db_open(ps->r, &why);
    }
    return ps->db;
}

int mgr_reshow(mgr_post_t *ps, int status, const char *error,
               const char *field)
{
    request_rec *r = ps->r;
    mgr_view_t v;

    memset(&v, 0, sizeof(v));
    v.query = apr_table_make(r->pool, 1);
    v.error = error;
    v.error_field = field;
    v.status = status;
    v.form = ps->form;
    v.form_action = ps->action;
    if (!mgr_post_db(ps)) {
        return mgr_send_unavailable(r);
    }
    if (ps->alerts) {
        return mgr_alerts_page(r, ps->db, &v);
    }
    return ps->cron_id ? mgr_cron_page(r, ps->db, ps->cron_id, &v)
                       : mgr_list_page(r, ps->db, &v);
}

static int reshow(mgr_post_t *ps, int status, const char *error)
{
    return mgr_reshow(ps, status, error, NULL);
}

int mgr_changed(mgr_post_t *ps, charon_db_e rv, charon_change_e out,
                const char *what)
{
    request_rec *r = ps->r;

    if (rv != CHARON_DB_OK) {
        return mgr_send_unavailable(r);
    }
    if (out == CHARON_CHANGE_NO_CRON) {
        return mgr_send_message(r, HTTP_NOT_FOUND, "No such cron",
                                "No cron has this id (it may have been "
                                "deleted): nothing was changed.");
    }
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  CHARON_LOGNO(621) "manager: %s changed cron %s: %s",
                  r->user ? r->user : "-", ps->cron, what);
    return mgr_redirect(r, apr_pstrcat(r->pool, "cron=", ps->cron,
                                       "&done=", ps->action, NULL));
}

static int do_create(mgr_post_t *ps)
{
    request_rec *r = ps->r;
    const char *slug = MGR_FIELD(ps, "slug"), *name = MGR_FIELD(ps, "name");
    const char *conc = apr_table_get(ps->form, "concurrency");
    const char *max, *why, *id_text;
    charon_change_e out;
    charon_db *db;
    apr_int64_t id;

    conc = conc ? conc : "allow";
    if ((why = charon_slug_check(slug)) != NULL
        || (why = text_check("name", name, NAME_MAX_CHARS, r->pool))
        || (why = concurrency_check(conc)) != NULL
        || (why = max_runtime_check(r->pool, MGR_FIELD(ps, "max_runtime"),
                                    &max))) {
        return reshow(ps, HTTP_BAD_REQUEST, why);
    }
    if (!(db = mgr_post_db(ps))
        || charon_op_create(db, slug, name, conc, max, &out, &id)
               != CHARON_DB_OK) {
        return mgr_send_unavailable(r);
    }
    if (out == CHARON_CHANGE_SLUG_TAKEN) {
        return reshow(ps, HTTP_CONFLICT,
                      apr_pstrcat(r->pool,
                                  "A cron with "
                                  "the slug \"",
                                  slug,
                                  "\" exists already: nothing was "
                                  "created.",
                                  NULL));
    }
    id_text = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, id);
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r,
                  CHARON_LOGNO(620) "manager: %s created cron %s (%s)",
                  r->user ? r->user : "-", id_text, slug);
    return mgr_redirect(
        r, apr_pstrcat(r->pool, "cron=", id_text, "&done=create", NULL));
}

static int do_rename(mgr_post_t *ps)
{
    const char *name = MGR_FIELD(ps, "name"), *why;
    charon_change_e out = CHARON_CHANGED;
    charon_db_e rv;
    charon_db *db;

    if ((why = text_check("name", name, NAME_MAX_CHARS, ps->r->pool))) {
        return reshow(ps, HTTP_BAD_REQUEST, why);
    }
    if (!(db = mgr_post_db(ps))) {
        return mgr_send_unavailable(ps->r);
    }
    rv = charon_op_rename(db, ps->cron_id, name, &out);
    return mgr_changed(ps, rv, out, "renamed");
}

static int do_switch_off(mgr_post_t *ps)
{
    request_rec *r = ps->r;
    const char *reason = MGR_FIELD(ps, "reason"),
               *until = MGR_FIELD(ps, "until");
    const char *why;
    charon_change_e out = CHARON_CHANGED;
    charon_db_e rv;
    apr_time_t t = 0;
    charon_db *db;

    if ((why = text_check("reason", reason, REASON_MAX_CHARS, r->pool))
        || (*until && (why = charon_parse_until(until, &t)) != NULL)) {
        return reshow(ps, HTTP_BAD_REQUEST, why);
    }
    if (*until && t <= apr_time_now()) {
        return reshow(ps, HTTP_BAD_REQUEST,
                      "The end of the switch-off is "
                      "not in the future (times are UTC).");
    }
    if (!(db = mgr_post_db(ps))) {
        return mgr_send_unavailable(r);
    }
    rv = charon_op_switch_off(db, ps->cron_id, reason, t, &out);
    return mgr_changed(ps, rv, out, "switched off");
}

static int do_switch_on(mgr_post_t *ps)
{
    charon_change_e out = CHARON_CHANGED;
    charon_db_e rv;
    charon_db *db;

    if (!(db = mgr_post_db(ps))) {
        return mgr_send_unavailable(ps->r);
    }
    rv = charon_op_switch_on(db, ps->cron_id, &out);
    return mgr_changed(ps, rv, out, "switched on");
}

static int do_policy(mgr_post_t *ps)
{
    const char *conc = apr_table_get(ps->form, "concurrency");
    const char *max, *why;
    charon_change_e out = CHARON_CHANGED;
    charon_db_e rv;
    charon_db *db;

    if ((why = concurrency_check(conc)) != NULL
        || (why = max_runtime_check(ps->r->pool, MGR_FIELD(ps, "max_runtime"),
                                    &max))
               != NULL) {
        return reshow(ps, HTTP_BAD_REQUEST, why);
    }
    if (!(db = mgr_post_db(ps))) {
        return mgr_send_unavailable(ps->r);
    }
    rv = charon_op_policy(db, ps->cron_id, conc, max, &out);
    return mgr_changed(ps, rv, out, "policy");
}

static int do_schedule(mgr_post_t *ps)
{
    charon_sched_form_t f;
    const char *why, *field;
    charon_change_e out = CHARON_CHANGED;
    charon_db_e rv;
    charon_db *db;

    if ((why = charon_schedule_form(
             ps->r->pool, MGR_FIELD(ps, "schedule"), MGR_FIELD(ps, "timezone"),
             MGR_FIELD(ps, "grace"), MGR_FIELD(ps, "min_runtime"), &f,
             &field))) {
        return mgr_reshow(ps, HTTP_BAD_REQUEST, why, field);
    }
    if (!(db = mgr_post_db(ps))) {
        return mgr_send_unavailable(ps->r);
    }
    rv = charon_op_schedule(db, ps->cron_id, f.schedule, f.timezone, f.grace,
                            f.min_runtime, &out);
    return mgr_changed(ps, rv, out, "schedule");
}

static const struct {
    const char *name;
    int needs_cron;
    int (*run)(mgr_post_t *ps);
} actions[] = {
    {"create", 0, do_create},
    {"rename", 1, do_rename},
    {"switch-off", 1, do_switch_off},
    {"switch-on", 1, do_switch_on},
    {"policy", 1, do_policy},
    {"schedule", 1, do_schedule},
    {"alert-policy", 1, mgr_do_alert_policy},
    {"mute", 1, mgr_do_mute},
    {"unmute", 1, mgr_do_unmute},
    {"alert-test", 0, mgr_do_alert_test},
};

int mgr_post(request_rec *r)
{
    const char *why, *body = NULL, *action, *cron;
    mgr_post_t ps;
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
        return rc; /* httpd has answered (LimitRequestBody) */
    }
    if (rc != OK) {
        return mgr_send_message(r, rc,
                                rc == HTTP_REQUEST_ENTITY_TOO_LARGE
                                    ? "Form too large"
                                    : "Bad request",
                                "The form could not be read; nothing was "
                                "changed.");
    }
    memset(&ps, 0, sizeof(ps));
    ps.r = r;
    if ((why = charon_parse_form(r->pool, body, &ps.form)) != NULL) {
        return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request",
                                apr_pstrcat(r->pool,
                                            "The form could not be "
                                            "read (",
                                            why,
                                            "); nothing was "
                                            "changed.",
                                            NULL));
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
