/*
 * manage_query.c: the query parameters of the management API's routes.
 * A parameter a route does not take is refused rather than ignored: a
 * misspelt filter would otherwise answer everything.
 */
#include "lib/charon_lib.h"

#include <string.h>

#include <apr_strings.h>

charon_mroute_e charon_manage_route(apr_pool_t *p, const char *path,
                                    const char **arg)
{
    const char *slash, *rest;
    apr_int64_t id;

    *arg = NULL;
    if (!strcmp(path, "crons")) {
        return CHARON_MR_CRONS;
    }
    if (!strcmp(path, "alerts")) {
        return CHARON_MR_ALERTS;
    }
    if (!strcmp(path, "audit")) {
        return CHARON_MR_AUDIT;
    }
    if (!strncmp(path, "executions/", 11)) {
        *arg = path + 11;
        return charon_parse_id(*arg, &id) ? CHARON_MR_EXECUTION
                                          : CHARON_MR_NONE;
    }
    if (strncmp(path, "crons/", 6) || !path[6] || path[6] == '/') {
        return CHARON_MR_NONE;
    }
    path += 6;
    slash = strchr(path, '/');
    if (!slash) {
        *arg = path;
        return CHARON_MR_CRON;
    }
    *arg = apr_pstrmemdup(p, path, (apr_size_t)(slash - path));
    rest = slash + 1;
    return !strcmp(rest, "off")          ? CHARON_MR_CRON_OFF
           : !strcmp(rest, "on")         ? CHARON_MR_CRON_ON
           : !strcmp(rest, "executions") ? CHARON_MR_CRON_EXECS
                                         : CHARON_MR_NONE;
}

static const char *const outcomes[] = {"running", "success", "failure", "lost",
                                       "missed",  "unknown", NULL};

static int one_of(const char *v, const char *const *set)
{
    for (; *set; set++) {
        if (!strcmp(v, *set)) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    apr_pool_t *p;
    int allowed, max_limit;
    charon_query_t *q;
    const char *why, *param;
} walk_t;

static int limit_value(walk_t *w, const char *v)
{
    apr_int64_t n;

    if (!charon_parse_id(v, &n) || n > w->max_limit) {
        w->why = apr_psprintf(w->p, "limit must be a number from 1 to %d",
                              w->max_limit);
        return 0;
    }
    w->q->limit = (int)n;
    return 1;
}

static int time_param(walk_t *w, const char *k, const char *v,
                      apr_int64_t *out)
{
    apr_time_t t;

    if (charon_parse_until(v, &t)) {
        w->why = apr_pstrcat(
            w->p, k, " must be a time like 2026-12-31T23:59:00Z", NULL);
        return 0;
    }
    *out = apr_time_sec(t);
    return 1;
}

static int param(void *baton, const char *k, const char *v)
{
    walk_t *w = baton;
    charon_query_t *q = w->q;
    apr_int64_t id;
    int ok = 0;

    w->param = k;
    if (!strcmp(k, "limit") && (w->allowed & CHARON_Q_PAGE)) {
        ok = limit_value(w, v);
    }
    else if (!strcmp(k, "cursor") && (w->allowed & CHARON_Q_PAGE)) {
        ok = (w->allowed & CHARON_Q_ID_CURSOR) ? charon_parse_id(v, &id)
                                               : !charon_slug_check(v);
        q->cursor = v;
        if (!ok) {
            w->why = "cursor is not one this API gave";
        }
    }
    else if (!strcmp(k, "slug") && (w->allowed & CHARON_Q_SLUG)) {
        ok = *v && strlen(v) <= 255 && charon_utf8_valid(v, strlen(v));
        q->slug = v;
        if (!ok) {
            w->why = "slug must be a pattern of 1 to 255 bytes of UTF-8";
        }
    }
    else if (!strcmp(k, "state") && (w->allowed & CHARON_Q_STATE)) {
        ok = !strcmp(v, "on") || !strcmp(v, "off");
        q->state = v;
        if (!ok) {
            w->why = "state must be on or off";
        }
    }
    else if (!strcmp(k, "outcome") && (w->allowed & CHARON_Q_OUTCOME)) {
        ok = one_of(v, outcomes);
        q->outcome = v;
        if (!ok) {
            w->why = "outcome must be one of running, success, failure, "
                     "lost, missed, unknown";
        }
    }
    else if (!strcmp(k, "since") && (w->allowed & CHARON_Q_TIMES)) {
        ok = time_param(w, k, v, &q->since);
    }
    else if (!strcmp(k, "until") && (w->allowed & CHARON_Q_TIMES)) {
        ok = time_param(w, k, v, &q->until);
    }
    else if (!strcmp(k, "dry_run") && (w->allowed & CHARON_Q_DRY_RUN)) {
        ok = !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "0")
             || !strcmp(v, "false");
        q->dry_run = v[0] == '1' || v[0] == 't';
        if (!ok) {
            w->why = "dry_run must be 1 or 0";
        }
    }
    else if (!strcmp(k, "executions") && (w->allowed & CHARON_Q_EXECUTIONS)) {
        ok = !strcmp(v, "delete");
        q->delete_executions = ok;
        if (!ok) {
            w->why = "executions must be delete";
        }
    }
    else {
        w->why =
            apr_pstrcat(w->p, "this route takes no parameter '", k, "'", NULL);
    }
    return ok;
}

const char *charon_query_parse(apr_pool_t *p, const char *args, int allowed,
                               int def_limit, int max_limit, charon_query_t *q,
                               const char **param_out)
{
    apr_table_t *t;
    const char *why;
    walk_t w = {p, allowed, max_limit, q, NULL, NULL};

    memset(q, 0, sizeof(*q));
    q->limit = def_limit;
    *param_out = NULL;
    if (!args || !*args) {
        return NULL;
    }
    if ((why = charon_parse_form(p, args, &t))) {
        return apr_pstrcat(p, "the query string is not understood: ", why,
                           NULL);
    }
    apr_table_do(param, &w, t, NULL);
    if (w.why) {
        *param_out = apr_pstrdup(p, w.param);
    }
    else if (q->since && q->until && q->since >= q->until) {
        *param_out = "since";
        return "since must come before until";
    }
    return w.why;
}
