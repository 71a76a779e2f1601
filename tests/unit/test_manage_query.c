/*
 * test_manage_query.c: the management API's routes and the query
 * parameters of its lists (src/lib/manage_query.c).
 */
#include "test.h"

/* ---- routes ---------------------------------------------------------------- */

static void route_(const char *path, charon_mroute_e want,
                   const char *want_arg, const char *file, int line)
{
    const char *arg = "poison";
    charon_mroute_e got = charon_manage_route(pool, path, &arg);

    check_(got == want
               && (want == CHARON_MR_NONE
                   || (want_arg ? streq(arg, want_arg) : arg == NULL)),
           file, line, "charon_manage_route",
           "\"%s\" -> %d arg %s, want %d %s", path, (int)got, show(arg),
           (int)want, show(want_arg));
}

#define ROUTE(path, want, arg) route_(path, want, arg, HERE)
#define NOT_A_ROUTE(path)      route_(path, CHARON_MR_NONE, NULL, HERE)

static void test_manage_route(void)
{
    ROUTE("crons", CHARON_MR_CRONS, NULL);
    ROUTE("crons/nightly-backup", CHARON_MR_CRON, "nightly-backup");
    ROUTE("crons/nightly-backup/off", CHARON_MR_CRON_OFF, "nightly-backup");
    ROUTE("crons/nightly-backup/on", CHARON_MR_CRON_ON, "nightly-backup");
    ROUTE("crons/nightly-backup/executions", CHARON_MR_CRON_EXECS,
          "nightly-backup");
    ROUTE("executions/1234", CHARON_MR_EXECUTION, "1234");
    ROUTE("executions/9223372036854775807", CHARON_MR_EXECUTION,
          "9223372036854775807");
    ROUTE("alerts", CHARON_MR_ALERTS, NULL);
    ROUTE("audit", CHARON_MR_AUDIT, NULL);
    /* Slugs as sent (already percent-decoded): any byte but '/'. */
    ROUTE("crons/a b", CHARON_MR_CRON, "a b");
    ROUTE("crons/\xc3\xa9t\xc3\xa9/off", CHARON_MR_CRON_OFF,
          "\xc3\xa9t\xc3\xa9");
    ROUTE("crons/off", CHARON_MR_CRON, "off");
    ROUTE("crons/crons/on", CHARON_MR_CRON_ON, "crons");
    ROUTE("crons/x", CHARON_MR_CRON, "x");

    NOT_A_ROUTE("");
    NOT_A_ROUTE("crons/");
    NOT_A_ROUTE("crons//off");
    NOT_A_ROUTE("crons//");
    NOT_A_ROUTE("crons/x/");
    NOT_A_ROUTE("crons/x/y/z");
    NOT_A_ROUTE("crons/x/off/");
    NOT_A_ROUTE("crons/x/off/x");
    NOT_A_ROUTE("crons/x/OFF");
    NOT_A_ROUTE("crons/x/execution");
    NOT_A_ROUTE("crons/x/executions/1");
    NOT_A_ROUTE("executions/abc");
    NOT_A_ROUTE("executions/0");
    NOT_A_ROUTE("executions/");
    NOT_A_ROUTE("executions/-1");
    NOT_A_ROUTE("executions/1.5");
    NOT_A_ROUTE("executions/12/messages");
    NOT_A_ROUTE("executions/9223372036854775808");
    NOT_A_ROUTE("executions");
    NOT_A_ROUTE("audit/x");
    NOT_A_ROUTE("audit/");
    NOT_A_ROUTE("alerts/");
    NOT_A_ROUTE("alerts/x");
    NOT_A_ROUTE("cron");
    NOT_A_ROUTE("crons2");
    NOT_A_ROUTE("Crons");
    NOT_A_ROUTE("/crons");
    NOT_A_ROUTE("crons ");

    /* The slug before a verb is a copy, not a pointer into the path. */
    {
        char path[] = "crons/abc/off";
        const char *arg = NULL;

        CHECK(charon_manage_route(pool, path, &arg) == CHARON_MR_CRON_OFF
                  && arg && (arg < path || arg > path + sizeof(path))
                  && streq(arg, "abc"),
              "the slug is copied: %s", show(arg));
    }
}

/* ---- query parameters ---------------------------------------------------- */

#define Q_ALL                                                          \
    (CHARON_Q_PAGE | CHARON_Q_SLUG | CHARON_Q_STATE | CHARON_Q_OUTCOME \
     | CHARON_Q_TIMES | CHARON_Q_DRY_RUN | CHARON_Q_EXECUTIONS)
#define Q_CRONS (CHARON_Q_PAGE | CHARON_Q_SLUG | CHARON_Q_STATE)
#define Q_EXECS \
    (CHARON_Q_PAGE | CHARON_Q_OUTCOME | CHARON_Q_TIMES | CHARON_Q_ID_CURSOR)

static const char *qparse(const char *args, int allowed, int max,
                          charon_query_t *q, const char **param)
{
    memset(q, 0x5A, sizeof(*q));
    q->cursor = q->slug = q->state = q->outcome = "poison";
    *param = "poison";
    return charon_query_parse(pool, args, allowed, 50, max, q, param);
}

/* Accepted; *q left for the caller to look at. */
static int q_ok_(const char *args, int allowed, int max, charon_query_t *q,
                 const char *file, int line)
{
    const char *param, *why = qparse(args, allowed, max, q, &param);

    check_(why == NULL && param == NULL, file, line, "query accepted",
           "%s (allowed %d) -> %s (param %s)", show(args), allowed, show(why),
           show(param));
    return why == NULL;
}

/* Refused, naming param (NULL: none), the reason holding in_why. */
static void q_bad_(const char *args, int allowed, int max, const char *param,
                   const char *in_why, const char *file, int line)
{
    charon_query_t q;
    const char *got, *why = qparse(args, allowed, max, &q, &got);

    check_(why != NULL && (param ? streq(got, param) : got == NULL)
               && (!in_why || strstr(why, in_why)),
           file, line, "query refused",
           "%s (allowed %d) -> %s (param %s), want param %s: %s", show(args),
           allowed, show(why), show(got), show(param), show(in_why));
}

#define Q_OK(args, allowed, q) q_ok_(args, allowed, 200, q, HERE)
#define Q_BAD(args, allowed, param, why) \
    q_bad_(args, allowed, 200, param, why, HERE)

static int q_empty(const charon_query_t *q, int limit)
{
    return q->limit == limit && !q->cursor && !q->slug && !q->state
           && !q->outcome && !q->since && !q->until && !q->dry_run
           && !q->delete_executions;
}

static void test_query(void)
{
    static const struct {
        const char *args;
        int bit;
    } each[] = {
        {"limit=10", CHARON_Q_PAGE},
        {"cursor=nightly-backup", CHARON_Q_PAGE},
        {"slug=nightly-*", CHARON_Q_SLUG},
        {"state=off", CHARON_Q_STATE},
        {"outcome=failure", CHARON_Q_OUTCOME},
        {"since=2026-12-07T10:00:00Z", CHARON_Q_TIMES},
        {"until=2026-12-07T10:00:00Z", CHARON_Q_TIMES},
        {"dry_run=1", CHARON_Q_DRY_RUN},
        {"executions=delete", CHARON_Q_EXECUTIONS},
    };
    static const char *const outcomes[] = {"running", "success", "failure",
                                           "lost",    "missed",  "unknown"};
    charon_query_t q;
    size_t i;

    /* None: the defaults. */
    if (Q_OK(NULL, Q_ALL, &q))
        CHECK(q_empty(&q, 50), "no query: defaults");
    if (Q_OK("", Q_ALL, &q))
        CHECK(q_empty(&q, 50), "empty query: defaults");
    if (Q_OK("", 0, &q))
        CHECK(q_empty(&q, 50), "empty query, no parameters: defaults");

    /* Each parameter taken where its bit is, refused where it is not,
     * naming itself. */
    for (i = 0; i < N_ELEMS(each); i++) {
        const char *name =
            apr_pstrndup(pool, each[i].args, strcspn(each[i].args, "="));

        Q_OK(each[i].args, each[i].bit, &q);
        Q_OK(each[i].args, Q_ALL, &q);
        Q_BAD(each[i].args, Q_ALL & ~each[i].bit, name,
              apr_psprintf(pool, "this route takes no parameter '%s'", name));
        Q_BAD(each[i].args, 0, name, name);
        Q_BAD(apr_pstrcat(pool, "foo=1&", each[i].args, NULL), Q_ALL, "foo",
              "'foo'");
    }
    Q_BAD("foo=1", Q_ALL, "foo", "this route takes no parameter 'foo'");
    Q_BAD("LIMIT=5", Q_ALL, "LIMIT", "'LIMIT'");
    Q_BAD("limit=10&Limit=5", Q_ALL, NULL, "given twice");
    Q_BAD("limit=10&dryrun=1", Q_ALL, "dryrun", "'dryrun'");
    Q_BAD("cursor=12", CHARON_Q_ID_CURSOR, "cursor", NULL);

    /* limit: 1 to the route's maximum; default the route's. */
    if (Q_OK("limit=1", CHARON_Q_PAGE, &q))
        CHECK(q.limit == 1, "limit=1: %d", q.limit);
    if (Q_OK("limit=200", CHARON_Q_PAGE, &q))
        CHECK(q.limit == 200, "limit=200: %d", q.limit);
    if (Q_OK("limit=007", CHARON_Q_PAGE, &q))
        CHECK(q.limit == 7, "limit=007: %d", q.limit);
    Q_BAD("limit=201", CHARON_Q_PAGE, "limit", "from 1 to 200");
    Q_BAD("limit=0", CHARON_Q_PAGE, "limit", "from 1 to 200");
    Q_BAD("limit=-1", CHARON_Q_PAGE, "limit", NULL);
    Q_BAD("limit=", CHARON_Q_PAGE, "limit", NULL);
    Q_BAD("limit", CHARON_Q_PAGE, "limit", NULL);
    Q_BAD("limit=abc", CHARON_Q_PAGE, "limit", NULL);
    Q_BAD("limit=1.5", CHARON_Q_PAGE, "limit", NULL);
    Q_BAD("limit=%2010", CHARON_Q_PAGE, "limit", NULL);
    Q_BAD("limit=99999999999999999999", CHARON_Q_PAGE, "limit", NULL);
    if (q_ok_("limit=1000", CHARON_Q_PAGE, 1000, &q, HERE))
        CHECK(q.limit == 1000, "limit=1000 of 1000: %d", q.limit);
    q_bad_("limit=1001", CHARON_Q_PAGE, 1000, "limit", "from 1 to 1000", HERE);
    q_bad_("limit=51", CHARON_Q_PAGE, 50, "limit", "from 1 to 50", HERE);
    if (q_ok_("cursor=x", CHARON_Q_PAGE, 1000, &q, HERE))
        CHECK(q.limit == 50, "the default limit: %d", q.limit);

    /* cursor: an id where the route's pages go by id, else a slug. */
    if (Q_OK("cursor=1234", CHARON_Q_PAGE | CHARON_Q_ID_CURSOR, &q))
        CHECK(streq(q.cursor, "1234"), "id cursor: %s", show(q.cursor));
    Q_BAD("cursor=nightly-backup", CHARON_Q_PAGE | CHARON_Q_ID_CURSOR,
          "cursor", "cursor is not one this API gave");
    Q_BAD("cursor=0", CHARON_Q_PAGE | CHARON_Q_ID_CURSOR, "cursor", NULL);
    Q_BAD("cursor=-5", CHARON_Q_PAGE | CHARON_Q_ID_CURSOR, "cursor", NULL);
    Q_BAD("cursor=", CHARON_Q_PAGE | CHARON_Q_ID_CURSOR, "cursor", NULL);
    if (Q_OK("cursor=nightly-backup", CHARON_Q_PAGE, &q))
        CHECK(streq(q.cursor, "nightly-backup"), "slug cursor: %s",
              show(q.cursor));
    if (Q_OK("cursor=1234", CHARON_Q_PAGE, &q))
        CHECK(streq(q.cursor, "1234"), "a slug of digits: %s", show(q.cursor));
    if (Q_OK("cursor=a+b%C3%A9", CHARON_Q_PAGE, &q))
        CHECK(streq(q.cursor, "a b\xc3\xa9"), "a decoded slug cursor: %s",
              show(q.cursor));
    Q_BAD("cursor=a%2Fb", CHARON_Q_PAGE, "cursor", "not one this API gave");
    Q_BAD("cursor=", CHARON_Q_PAGE, "cursor", NULL);
    Q_BAD("cursor=..", CHARON_Q_PAGE, "cursor", NULL);
    Q_BAD("cursor=a%01", CHARON_Q_PAGE, "cursor", NULL);

    /* slug: a pattern of 1 to 255 bytes. */
    if (Q_OK("slug=billing-%2A", CHARON_Q_SLUG, &q))
        CHECK(streq(q.slug, "billing-*"), "slug: %s", show(q.slug));
    if (Q_OK(apr_pstrcat(pool, "slug=", apr_psprintf(pool, "%0255d", 0), NULL),
             CHARON_Q_SLUG, &q))
        CHECK(q.slug && strlen(q.slug) == 255, "a slug of 255 bytes");
    Q_BAD(apr_pstrcat(pool, "slug=", apr_psprintf(pool, "%0256d", 0), NULL),
          CHARON_Q_SLUG, "slug", "1 to 255 bytes");
    Q_BAD("slug=", CHARON_Q_SLUG, "slug", "1 to 255 bytes");

    /* state: on or off. */
    if (Q_OK("state=on", CHARON_Q_STATE, &q))
        CHECK(streq(q.state, "on"), "state=on: %s", show(q.state));
    if (Q_OK("state=off", CHARON_Q_STATE, &q))
        CHECK(streq(q.state, "off"), "state=off: %s", show(q.state));
    Q_BAD("state=ON", CHARON_Q_STATE, "state", "on or off");
    Q_BAD("state=", CHARON_Q_STATE, "state", "on or off");
    Q_BAD("state=paused", CHARON_Q_STATE, "state", "on or off");

    /* outcome: one of six. */
    for (i = 0; i < N_ELEMS(outcomes); i++)
        if (Q_OK(apr_pstrcat(pool, "outcome=", outcomes[i], NULL),
                 CHARON_Q_OUTCOME, &q))
            CHECK(streq(q.outcome, outcomes[i]), "outcome=%s: %s", outcomes[i],
                  show(q.outcome));
    Q_BAD("outcome=ok", CHARON_Q_OUTCOME, "outcome", "one of running");
    Q_BAD("outcome=Success", CHARON_Q_OUTCOME, "outcome", NULL);
    Q_BAD("outcome=", CHARON_Q_OUTCOME, "outcome", NULL);

    /* since and until: times, since before until. */
    if (Q_OK("since=2026-12-07T10:00:00Z&until=2026-12-08T10:00:00Z",
             CHARON_Q_TIMES, &q))
        CHECK(q.since == 1796637600 && q.until == 1796724000,
              "since %" APR_INT64_T_FMT " until %" APR_INT64_T_FMT, q.since,
              q.until);
    if (Q_OK("since=2026-12-08T07:00%2B01:00", CHARON_Q_TIMES, &q))
        CHECK(q.since == 1796709600 && q.until == 0,
              "an offset: %" APR_INT64_T_FMT, q.since);
    if (Q_OK("until=2026-12-08T06:00", CHARON_Q_TIMES, &q))
        CHECK(q.until == 1796709600 && q.since == 0,
              "no seconds: %" APR_INT64_T_FMT, q.until);
    Q_BAD("since=2026-12-07T10:00:00Z&until=2026-12-07T10:00:00Z",
          CHARON_Q_TIMES, "since", "since must come before until");
    Q_BAD("until=2026-12-07T10:00:00Z&since=2026-12-08T10:00:00Z",
          CHARON_Q_TIMES, "since", "since must come before until");
    Q_BAD("since=yesterday", CHARON_Q_TIMES, "since", "since must be a time");
    Q_BAD("until=2026-02-30T00:00Z", CHARON_Q_TIMES, "until", NULL);
    Q_BAD("since=", CHARON_Q_TIMES, "since", NULL);

    /* dry_run: 1, true, 0, false. */
    if (Q_OK("dry_run=1", CHARON_Q_DRY_RUN, &q))
        CHECK(q.dry_run == 1, "dry_run=1");
    if (Q_OK("dry_run=true", CHARON_Q_DRY_RUN, &q))
        CHECK(q.dry_run == 1, "dry_run=true");
    if (Q_OK("dry_run=0", CHARON_Q_DRY_RUN, &q))
        CHECK(q.dry_run == 0, "dry_run=0");
    if (Q_OK("dry_run=false", CHARON_Q_DRY_RUN, &q))
        CHECK(q.dry_run == 0, "dry_run=false");
    if (Q_OK("executions=delete", CHARON_Q_DRY_RUN | CHARON_Q_EXECUTIONS, &q))
        CHECK(q.dry_run == 0 && q.delete_executions == 1,
              "no dry_run: %d, executions=delete: %d", q.dry_run,
              q.delete_executions);
    Q_BAD("dry_run=yes", CHARON_Q_DRY_RUN, "dry_run", "1 or 0");
    Q_BAD("dry_run=", CHARON_Q_DRY_RUN, "dry_run", NULL);
    Q_BAD("dry_run", CHARON_Q_DRY_RUN, "dry_run", NULL);
    Q_BAD("dry_run=2", CHARON_Q_DRY_RUN, "dry_run", NULL);
    Q_BAD("dry_run=10", CHARON_Q_DRY_RUN, "dry_run", NULL);
    Q_BAD("dry_run=TRUE", CHARON_Q_DRY_RUN, "dry_run", NULL);

    /* executions=delete, nothing else. */
    if (Q_OK("executions=delete&dry_run=1",
             CHARON_Q_DRY_RUN | CHARON_Q_EXECUTIONS, &q))
        CHECK(q.delete_executions == 1 && q.dry_run == 1,
              "executions=delete and dry_run=1");
    Q_BAD("executions=keep", CHARON_Q_EXECUTIONS, "executions", "delete");
    Q_BAD("executions=del", CHARON_Q_EXECUTIONS, "executions", NULL);
    Q_BAD("executions=deleted", CHARON_Q_EXECUTIONS, "executions", NULL);
    Q_BAD("executions=DELETE", CHARON_Q_EXECUTIONS, "executions", NULL);
    Q_BAD("executions=", CHARON_Q_EXECUTIONS, "executions", NULL);

    /* A whole query of a route. */
    if (Q_OK("outcome=failure&since=2026-12-07T10:00:00Z&limit=10&"
             "cursor=123",
             Q_EXECS, &q))
        CHECK(q.limit == 10 && streq(q.cursor, "123")
                  && streq(q.outcome, "failure") && q.since == 1796637600
                  && q.until == 0 && !q.slug && !q.state && !q.dry_run,
              "the executions' query");
    if (Q_OK("slug=nightly-%3F&state=on&limit=2", Q_CRONS, &q))
        CHECK(q.limit == 2 && streq(q.slug, "nightly-?")
                  && streq(q.state, "on") && !q.cursor && !q.outcome,
              "the crons' query");
    Q_BAD("slug=x&outcome=failure", Q_CRONS, "outcome", NULL);

    /* The query string itself not understood: no parameter named. */
    Q_BAD("limit=%zz", Q_ALL, NULL, "the query string is not understood");
    Q_BAD("limit=%", Q_ALL, NULL, "the query string is not understood");
    Q_BAD("slug=%00", Q_ALL, NULL, "the query string is not understood");
    Q_BAD("slug=%FF", Q_ALL, NULL, "the query string is not understood");
    Q_BAD("%zz=1", Q_ALL, NULL, "the query string is not understood");
    Q_BAD("limit=1&limit=2", Q_ALL, NULL,
          "the query string is not "
          "understood");
    /* Empty pairs are nothing. */
    if (Q_OK("&&limit=3&", Q_ALL, &q))
        CHECK(q.limit == 3, "empty pairs: limit %d", q.limit);
}

void test_manage_query(void)
{
    test_manage_route();
    test_query();
}
