/*
 * fuzz_manage_query.h: fuzz_manage.c's contract for the body of off, the
 * query strings, the routes and If-Match (src/lib/manage_query.c,
 * cron_doc.c), written again here: each check_* holds the library to it.
 * Included by fuzz_manage.c only, after its field helpers.
 */
#ifndef CHARON_FUZZ_MANAGE_QUERY_H
#define CHARON_FUZZ_MANAGE_QUERY_H

#include "fuzz.h"

/* ---- off ----------------------------------------------------------------- */

static void check_off(const char *buf, size_t len)
{
    const char *reason = "poison", *first_bad = NULL;
    apr_int64_t until = -7, want_until = 0;
    charon_error_t err = {-1, NULL, NULL};
    int r = charon_off_parse(fuzz_pool, buf, len, &reason, &until, &err);
    json_object *obj;
    int all_ok = 1;
    const char *want_reason = NULL;

    if (len == 0) {
        FUZZ_CHECK(r == 1 && !reason && until == 0, "an empty off body");
        return;
    }
    if (!r && err.status == 400) {
        FUZZ_CHECK(err.field == NULL && err.detail, "400 names %s", err.field);
        return;
    }
    obj = strict_object(buf, len);
    FUZZ_CHECK(obj != NULL, "off: not a strict JSON object, yet %s",
               r ? "taken" : "a 422");
    {
        json_object_object_foreach(obj, k, v)
        {
            if (!all_ok)
                break;
            if (!strcmp(k, "reason")) {
                want_reason = NULL;
                if (v && !ref_text(v, 1000))
                    all_ok = 0;
                else if (v)
                    want_reason =
                        apr_pstrdup(fuzz_pool, json_object_get_string(v));
            }
            else if (!strcmp(k, "until")) {
                want_until = 0;
                if (v && !ref_time(v, &want_until))
                    all_ok = 0;
            }
            else
                all_ok = 0;
            if (!all_ok)
                first_bad = apr_pstrdup(fuzz_pool, k);
        }
    }
    json_object_put(obj);
    FUZZ_CHECK(r == all_ok, "off: %s, the contract says %s",
               r ? "taken" : "refused", all_ok ? "taken" : "refused");
    if (r)
        FUZZ_CHECK(fuzz_str_eq(reason, want_reason) && until == want_until,
                   "off: reason %s until %" APR_INT64_T_FMT
                   ", want %s %" APR_INT64_T_FMT,
                   reason ? reason : "-", until,
                   want_reason ? want_reason : "-", want_until);
    else
        FUZZ_CHECK(err.status == 422 && err.field
                       && !strcmp(err.field, first_bad),
                   "off: %d naming %s, want %s", err.status,
                   err.field ? err.field : "none", first_bad);
}

/* ---- query strings ------------------------------------------------------- */

/* charon_parse_id's contract: digits, 1 to 2^63-1. */
static int ref_id(const char *s, apr_int64_t *out)
{
    size_t n = strlen(s);
    const char *d = s;

    if (!n || strspn(s, "0123456789") != n)
        return 0;
    while (*d == '0')
        d++;
    n = strlen(d);
    if (!n || n > 19 || (n == 19 && strcmp(d, "9223372036854775807") > 0))
        return 0;
    *out = (apr_int64_t)strtoll(d, NULL, 10);
    return 1;
}

/* A slug as the manager takes it. */
static int ref_slug(const char *s)
{
    size_t n = strlen(s), i;

    if (!n || n > 255 || !ref_utf8_valid((const unsigned char *)s, n)
        || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, ".."))
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return 0;
    return 1;
}

static int one_of(const char *v, const char *const *set)
{
    for (; *set; set++)
        if (!strcmp(v, *set))
            return 1;
    return 0;
}

/* 1 when k=v is taken by a route taking `allowed`; applies it to *q. */
static int ref_param(const char *k, const char *v, int allowed, int max,
                     charon_query_t *q)
{
    static const char *const outcomes[] = {
        "running", "success", "failure", "lost", "missed", "unknown", NULL};
    static const char *const dry[] = {"1", "true", "0", "false", NULL};
    apr_int64_t n;
    apr_time_t t;

    if (!strcmp(k, "limit") && (allowed & CHARON_Q_PAGE)) {
        if (!ref_id(v, &n) || n > max)
            return 0;
        q->limit = (int)n;
        return 1;
    }
    if (!strcmp(k, "cursor") && (allowed & CHARON_Q_PAGE)) {
        q->cursor = v;
        return (allowed & CHARON_Q_ID_CURSOR) ? ref_id(v, &n) : ref_slug(v);
    }
    if (!strcmp(k, "slug") && (allowed & CHARON_Q_SLUG)) {
        q->slug = v;
        return *v && strlen(v) <= 255;
    }
    if (!strcmp(k, "state") && (allowed & CHARON_Q_STATE)) {
        q->state = v;
        return !strcmp(v, "on") || !strcmp(v, "off");
    }
    if (!strcmp(k, "outcome") && (allowed & CHARON_Q_OUTCOME)) {
        q->outcome = v;
        return one_of(v, outcomes);
    }
    if ((!strcmp(k, "since") || !strcmp(k, "until"))
        && (allowed & CHARON_Q_TIMES)) {
        if (charon_parse_until(v, &t))
            return 0;
        *(k[0] == 's' ? &q->since : &q->until) = apr_time_sec(t);
        return 1;
    }
    if (!strcmp(k, "dry_run") && (allowed & CHARON_Q_DRY_RUN)) {
        q->dry_run = !strcmp(v, "1") || !strcmp(v, "true");
        return one_of(v, dry);
    }
    if (!strcmp(k, "executions") && (allowed & CHARON_Q_EXECUTIONS)) {
        q->delete_executions = 1;
        return !strcmp(v, "delete");
    }
    return 0;
}

static void check_query(const char *args, int allowed, int def, int max)
{
    charon_query_t q, want;
    const char *param = "poison", *why, *bad = NULL;
    apr_table_t *t;
    const apr_array_header_t *a;
    int i;

    why = charon_query_parse(fuzz_pool, args, allowed, def, max, &q, &param);
    memset(&want, 0, sizeof(want));
    want.limit = def;
    if (charon_parse_form(fuzz_pool, args, &t)) {
        FUZZ_CHECK(why && !param, "a query string that is not a form: %s",
                   why ? why : "taken");
        return;
    }
    a = apr_table_elts(t);
    for (i = 0; i < a->nelts && !bad; i++) {
        const apr_table_entry_t *e = &APR_ARRAY_IDX(a, i, apr_table_entry_t);

        if (!ref_param(e->key, e->val, allowed, max, &want))
            bad = e->key;
    }
    if (!bad && want.since && want.until && want.since >= want.until)
        bad = "since";
    if (bad) {
        FUZZ_CHECK(why && param && !strcmp(param, bad),
                   "query %s: %s naming %s, want %s", args,
                   why ? why : "taken", param ? param : "none", bad);
        return;
    }
    FUZZ_CHECK(!why && !param, "query %s refused: %s (%s)", args, why,
               param ? param : "none");
    FUZZ_CHECK(q.limit == want.limit && fuzz_str_eq(q.cursor, want.cursor)
                   && fuzz_str_eq(q.slug, want.slug)
                   && fuzz_str_eq(q.state, want.state)
                   && fuzz_str_eq(q.outcome, want.outcome)
                   && q.since == want.since && q.until == want.until
                   && q.dry_run == want.dry_run
                   && q.delete_executions == want.delete_executions,
               "query %s: limit %d cursor %s slug %s state %s outcome %s "
               "dry_run %d delete %d",
               args, q.limit, q.cursor ? q.cursor : "-", q.slug ? q.slug : "-",
               q.state ? q.state : "-", q.outcome ? q.outcome : "-", q.dry_run,
               q.delete_executions);
    FUZZ_CHECK(q.limit >= 1 && q.limit <= max, "limit %d", q.limit);
}

/* ---- routes -------------------------------------------------------------- */

static void check_route(const char *path)
{
    const char *arg = "poison", *want_arg = NULL, *slash;
    charon_mroute_e want = CHARON_MR_NONE, got;
    apr_int64_t id;

    if (!strcmp(path, "crons"))
        want = CHARON_MR_CRONS;
    else if (!strcmp(path, "alerts"))
        want = CHARON_MR_ALERTS;
    else if (!strcmp(path, "audit"))
        want = CHARON_MR_AUDIT;
    else if (!strncmp(path, "executions/", 11) && ref_id(path + 11, &id)) {
        want = CHARON_MR_EXECUTION;
        want_arg = path + 11;
    }
    else if (!strncmp(path, "crons/", 6) && path[6] && path[6] != '/') {
        slash = strchr(path + 6, '/');
        want_arg = slash ? apr_pstrndup(fuzz_pool, path + 6,
                                        (size_t)(slash - path - 6))
                         : path + 6;
        want = !slash                          ? CHARON_MR_CRON
               : !strcmp(slash, "/off")        ? CHARON_MR_CRON_OFF
               : !strcmp(slash, "/on")         ? CHARON_MR_CRON_ON
               : !strcmp(slash, "/executions") ? CHARON_MR_CRON_EXECS
                                               : CHARON_MR_NONE;
    }
    got = charon_manage_route(fuzz_pool, path, &arg);
    FUZZ_CHECK(got == want, "route %s: %d, want %d", path, (int)got,
               (int)want);
    if (want != CHARON_MR_NONE)
        FUZZ_CHECK(fuzz_str_eq(arg, want_arg), "route %s: arg %s, want %s",
                   path, arg ? arg : "NULL", want_arg ? want_arg : "NULL");
}

/* ---- If-Match ------------------------------------------------------------ */

#define ETAG "\"0123456789abcdef0123456789abcdef\""

/* An entity-tag of RFC 9110: [W/] DQUOTE *etagc DQUOTE. */
static int ref_entity_tag(const char *el)
{
    size_t n, i;

    if (!strncmp(el, "W/", 2))
        el += 2;
    n = strlen(el);
    if (n < 2 || el[0] != '"' || el[n - 1] != '"')
        return 0;
    for (i = 1; i + 1 < n; i++) {
        unsigned char c = (unsigned char)el[i];
        if (c < 0x21 || c == '"' || c == 0x7F)
            return 0;
    }
    return 1;
}

/* An If-Match value as RFC 9110 reads it: 1 when one of its elements,
 * blanks around them dropped, is the (strong) tag or "*", 0 when none is,
 * -1 when an element is neither an entity-tag nor "*". */
static int ref_matches(const char *h, const char *etag)
{
    char *copy = apr_pstrdup(fuzz_pool, h), *el, *state = NULL;
    int found = 0;

    for (el = apr_strtok(copy, ",", &state); el;
         el = apr_strtok(NULL, ",", &state)) {
        size_t n;

        el += strspn(el, " \t");
        n = strlen(el);
        while (n && (el[n - 1] == ' ' || el[n - 1] == '\t'))
            n--;
        el[n] = '\0';
        if (!n)
            continue;
        if (strcmp(el, "*") && !ref_entity_tag(el))
            return -1;
        found |= !strcmp(el, "*") || !strcmp(el, etag);
    }
    return found;
}

/* No header matches when there is no current document; a header that
 * names the tag (or "*") matches it; and one that matches holds the tag
 * or a "*". */
static void check_etag_header(const char *h)
{
    int got = charon_etag_matches(h, ETAG);
    int ref = ref_matches(h, ETAG);

    FUZZ_CHECK(!charon_etag_matches(h, NULL),
               "If-Match %s matches no document", h);
    if (ref >= 0)
        FUZZ_CHECK(got == ref, "If-Match %s: %d, want %d", h, got, ref);
    if (got)
        FUZZ_CHECK(strstr(h, ETAG) || strchr(h, '*'), "If-Match %s matches %s",
                   h, ETAG);
}

#endif /* CHARON_FUZZ_MANAGE_QUERY_H */
