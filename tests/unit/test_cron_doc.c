/*
 * test_cron_doc.c: a cron's document in the management API (src/lib/
 * cron_doc.c): its exact text, its ETag and If-Match, the comparison of
 * two definitions, the body of `off`, and UTC times.
 */
#include "manage_fixtures.h"

/* ---- the document and its ETag ------------------------------------------- */

#define DOC_FULL                                                           \
    "{\"id\":7,\"slug\":\"nightly-backup\",\"name\":\"Nightly backup\","   \
    "\"created_at\":\"2026-12-01T10:00:00Z\",\"active\":false,"            \
    "\"off_reason\":\"disk full\",\"off_until\":\"2026-12-08T06:00:00Z\"," \
    "\"concurrency\":\"forbid\",\"max_runtime\":3600,"                     \
    "\"schedule\":\"0 3 * * *\",\"timezone\":\"Europe/Paris\","            \
    "\"grace\":600,\"min_runtime\":10,\"failure_threshold\":2,"            \
    "\"recovery_threshold\":3,\"realert_every\":3600,"                     \
    "\"mute_until\":\"2026-12-07T12:00:00Z\"}"

/* docs/MANAGEMENT.md's example, written without blanks. */
#define DOC_EXAMPLE                                                        \
    "{\"id\":7,\"slug\":\"nightly-backup\",\"name\":\"Nightly backup\","   \
    "\"created_at\":\"2026-12-01T10:00:00Z\",\"active\":false,"            \
    "\"off_reason\":\"disk full\",\"off_until\":\"2026-12-08T06:00:00Z\"," \
    "\"concurrency\":\"forbid\",\"max_runtime\":3600,"                     \
    "\"schedule\":\"0 3 * * *\",\"timezone\":\"Europe/Paris\","            \
    "\"grace\":300,\"min_runtime\":null,\"failure_threshold\":2,"          \
    "\"recovery_threshold\":1,\"realert_every\":3600,"                     \
    "\"mute_until\":null}"

#define DOC_NULLS                                                         \
    "{\"id\":8,\"slug\":\"ad-hoc\",\"name\":\"Ad hoc \\\"job\\\" / "      \
    "\xc3\xa9\",\"created_at\":\"2026-12-01T10:00:00Z\",\"active\":true," \
    "\"off_reason\":null,\"off_until\":null,\"concurrency\":\"allow\","   \
    "\"max_runtime\":null,\"schedule\":null,\"timezone\":null,"           \
    "\"grace\":300,\"min_runtime\":null,\"failure_threshold\":1,"         \
    "\"recovery_threshold\":1,\"realert_every\":null,"                    \
    "\"mute_until\":null}"

static charon_crondoc_t full_doc(void)
{
    charon_crondoc_t c;

    c.id = 7;
    c.slug = "nightly-backup";
    c.created_at = T_CREATED;
    c.def = off_cron();
    return c;
}

static int is_etag(const char *t)
{
    size_t i;

    if (!t || strlen(t) != 34 || t[0] != '"' || t[33] != '"')
        return 0;
    for (i = 1; i < 33; i++)
        if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f')))
            return 0;
    return 1;
}

static void test_doc_json(void)
{
    charon_crondoc_t c = full_doc();
    const char *json = charon_crondoc_json(pool, &c);

    CHECK(streq(json, DOC_FULL), "full document:\n got %s\nwant %s",
          show(json), DOC_FULL);

    c.def.grace = 300;
    c.def.min_runtime = 0;
    c.def.recovery_threshold = 1;
    c.def.mute_until = 0;
    json = charon_crondoc_json(pool, &c);
    CHECK(streq(json, DOC_EXAMPLE),
          "the documented example:\n got %s\nwant %s", show(json),
          DOC_EXAMPLE);

    c.id = 8;
    c.slug = "ad-hoc";
    c.def = dflt("Ad hoc \"job\" / \xc3\xa9");
    json = charon_crondoc_json(pool, &c);
    CHECK(streq(json, DOC_NULLS), "document with nulls:\n got %s\nwant %s",
          show(json), DOC_NULLS);
}

static void test_etag(void)
{
    charon_crondoc_t c = full_doc(), c2 = full_doc();
    const char *json = charon_crondoc_json(pool, &c);
    const char *tag = charon_etag(pool, json);
    const char *tag2, *other;
    size_t i;

    CHECK(is_etag(tag), "a quoted 32-digit hex tag: %s", show(tag));
    /* Same document, same tag: another copy built on its own. */
    c2.slug = apr_pstrdup(pool, "nightly-backup");
    c2.def.name = apr_pstrdup(pool, "Nightly backup");
    tag2 = charon_etag(pool, charon_crondoc_json(pool, &c2));
    CHECK(streq(tag, tag2), "same document, same tag: %s %s", show(tag),
          show(tag2));
    CHECK(streq(charon_etag(pool, DOC_FULL), tag),
          "the tag is of the document's text");
    other = charon_etag(pool, DOC_EXAMPLE);
    CHECK(is_etag(other) && !streq(other, tag), "another text, another tag");
    CHECK(is_etag(charon_etag(pool, "")), "the empty text has a tag");

    /* Any one field changed changes the tag. */
    for (i = 0; i < N_ELEMS(fields); i++) {
        charon_crondoc_t x = full_doc();

        switch (fields[i].type) {
        case F_TEXT:
            TEXT_AT(&x.def, i) =
                !strcmp(fields[i].name, "concurrency") ? "allow" : "changed";
            break;
        case F_INT: INT_AT(&x.def, i) += 1; break;
        default: BOOL_AT(&x.def, i) = !BOOL_AT(&x.def, i);
        }
        tag2 = charon_etag(pool, charon_crondoc_json(pool, &x));
        CHECK(is_etag(tag2) && !streq(tag2, tag), "%s changed: the tag %s",
              fields[i].name, show(tag2));
        /* A field set to none (null) changes it too. */
        x = full_doc();
        if (fields[i].type == F_TEXT && strcmp(fields[i].name, "name")
            && strcmp(fields[i].name, "concurrency")) {
            TEXT_AT(&x.def, i) = NULL;
            tag2 = charon_etag(pool, charon_crondoc_json(pool, &x));
            CHECK(!streq(tag2, tag), "%s null: the tag changes",
                  fields[i].name);
        }
        else if (fields[i].type == F_INT && strcmp(fields[i].name, "grace")
                 && strcmp(fields[i].name, "failure_threshold")
                 && strcmp(fields[i].name, "recovery_threshold")) {
            INT_AT(&x.def, i) = 0;
            tag2 = charon_etag(pool, charon_crondoc_json(pool, &x));
            CHECK(!streq(tag2, tag), "%s null: the tag changes",
                  fields[i].name);
        }
    }
    c2 = full_doc();
    c2.id = 8;
    CHECK(!streq(charon_etag(pool, charon_crondoc_json(pool, &c2)), tag),
          "id changes the tag");
    c2 = full_doc();
    c2.slug = "nightly-backup2";
    CHECK(!streq(charon_etag(pool, charon_crondoc_json(pool, &c2)), tag),
          "slug changes the tag");
    c2 = full_doc();
    c2.created_at += 1;
    CHECK(!streq(charon_etag(pool, charon_crondoc_json(pool, &c2)), tag),
          "created_at changes the tag");
}

static void match_(const char *header, const char *etag, int want,
                   const char *file, int line)
{
    int got = charon_etag_matches(header, etag);

    check_(got == want, file, line, "charon_etag_matches",
           "(%s, %s) = %d, want %d", header, show(etag), got, want);
}

#define MATCH(h, e, w) match_(h, e, w, HERE)

static void test_etag_matches(void)
{
    const char *t = charon_etag(pool, DOC_FULL);
    const char *bare = apr_pstrndup(pool, t + 1, 32);
    char upper[35];
    size_t i;

    MATCH(t, t, 1);
    MATCH(apr_pstrcat(pool, "\"a\", ", t, NULL), t, 1);
    MATCH(apr_pstrcat(pool, t, ", \"b\"", NULL), t, 1);
    MATCH(apr_pstrcat(pool, "\"a\",", t, ",\"b\"", NULL), t, 1);
    MATCH(apr_pstrcat(pool, "  ", t, "  ", NULL), t, 1);
    MATCH(apr_pstrcat(pool, "\"a\" ,\t", t, NULL), t, 1);
    MATCH(apr_pstrcat(pool, "\"a\" ", t, NULL), t, 1);
    MATCH("\"a\", \"b\"", t, 0);
    MATCH("\"a\"", "\"a\"", 1);
    MATCH("\"a\", \"b\"", "\"b\"", 1);
    MATCH("\"a\", \"b\"", "\"c\"", 0);
    MATCH("\"a,b\"", "\"b\"", 0);
    MATCH("\"a,b\"", "\"a,b\"", 1);
    MATCH("\"ab\"", "\"a\"", 0);
    MATCH("\"a\"", "\"ab\"", 0);
    /* Weak tags never match (strong comparison). */
    MATCH(apr_pstrcat(pool, "W/", t, NULL), t, 0);
    MATCH(apr_pstrcat(pool, "W/", t, ", \"x\"", NULL), t, 0);
    MATCH(apr_pstrcat(pool, "w/", t, NULL), t, 0);
    MATCH(apr_pstrcat(pool, "W/", t, ", ", t, NULL), t, 1);
    /* "*": any current document, none when there is none. */
    MATCH("*", t, 1);
    MATCH(" * ", t, 1);
    MATCH("\"x\", *", t, 1);
    MATCH("*", NULL, 0);
    MATCH("\"x\", *", NULL, 0);
    MATCH(t, NULL, 0);
    MATCH("\"*\"", t, 0);
    /* Garbage. */
    MATCH("", t, 0);
    MATCH("   ", t, 0);
    MATCH(",,,", t, 0);
    MATCH("\"", t, 0);
    MATCH("\"\"", t, 0);
    MATCH("W/", t, 0);
    MATCH(bare, t, 0);
    MATCH(apr_pstrndup(pool, t, 33), t, 0);
    MATCH(apr_pstrcat(pool, "\"", t, NULL), t, 0);
    MATCH("garbage", t, 0);
    memcpy(upper, t, 35);
    for (i = 1; i < 33; i++)
        if (upper[i] >= 'a' && upper[i] <= 'f')
            upper[i] = (char)(upper[i] - 'a' + 'A');
    if (strcmp(upper, t))
        MATCH(upper, t, 0);
    else
        CHECK(0, "the tag %s has no letter: change DOC_FULL", t);
}

/* ---- equal and diff ------------------------------------------------------ */

static void test_equal_diff(void)
{
    charon_crondef_t a = off_cron(), b = off_cron();
    size_t i;

    CHECK(charon_crondef_equal(&a, &b), "a definition equals its copy");
    CHECK(streq(charon_crondef_diff(pool, &a, &b), ""), "no difference: %s",
          show(charon_crondef_diff(pool, &a, &b)));
    /* Texts are compared, not pointers. */
    b.name = apr_pstrdup(pool, a.name);
    b.off_reason = apr_pstrdup(pool, a.off_reason);
    b.schedule = apr_pstrdup(pool, a.schedule);
    b.timezone = apr_pstrdup(pool, a.timezone);
    b.concurrency = apr_pstrdup(pool, a.concurrency);
    CHECK(charon_crondef_equal(&a, &b), "texts compared by content");
    CHECK(streq(charon_crondef_diff(pool, &a, &b), ""),
          "texts compared by content: %s",
          show(charon_crondef_diff(pool, &a, &b)));
    a = dflt("n");
    b = dflt("n");
    CHECK(charon_crondef_equal(&a, &b), "NULL texts are equal");

    for (i = 0; i < N_ELEMS(fields); i++) {
        const char *f = fields[i].name, *diff;

        a = off_cron();
        b = off_cron();
        switch (fields[i].type) {
        case F_TEXT: TEXT_AT(&b, i) = "changed"; break;
        case F_INT: INT_AT(&b, i) += 1; break;
        default: BOOL_AT(&b, i) = !BOOL_AT(&b, i);
        }
        diff = charon_crondef_diff(pool, &a, &b);
        CHECK(!charon_crondef_equal(&a, &b), "%s changed: not equal", f);
        CHECK(streq(diff, f), "%s changed: diff %s", f, show(diff));
        CHECK(streq(charon_crondef_diff(pool, &b, &a), f),
              "%s changed: diff both ways", f);
        if (fields[i].type == F_TEXT) {
            TEXT_AT(&b, i) = NULL;
            diff = charon_crondef_diff(pool, &a, &b);
            CHECK(!charon_crondef_equal(&a, &b) && streq(diff, f),
                  "%s NULL: diff %s", f, show(diff));
            TEXT_AT(&a, i) = NULL;
            CHECK(charon_crondef_equal(&a, &b)
                      && streq(charon_crondef_diff(pool, &a, &b), ""),
                  "%s NULL on both sides: equal", f);
        }
    }
    a = off_cron();
    b = off_cron();
    b.mute_until = 0;
    b.grace = 1;
    b.name = "x";
    CHECK(streq(charon_crondef_diff(pool, &a, &b), "name, grace, mute_until"),
          "three fields, in the document's order: %s",
          show(charon_crondef_diff(pool, &a, &b)));
    a = dflt("n");
    b = on_cron();
    CHECK(streq(charon_crondef_diff(pool, &a, &b),
                "name, concurrency, max_runtime, schedule, timezone, grace, "
                "min_runtime, failure_threshold, recovery_threshold, "
                "realert_every, mute_until"),
          "defaults against a switched-on cron: %s",
          show(charon_crondef_diff(pool, &a, &b)));
}

/* ---- off, times ------------------------------------------------------------ */

static void off_ok_(const char *body, apr_size_t len, const char *reason,
                    apr_int64_t until, const char *file, int line)
{
    const char *r = "poison";
    apr_int64_t u = -7;
    charon_error_t e = {.status = -1, .detail = NULL, .field = "unset"};
    int ok = charon_off_parse(pool, body, len, &r, &u, &e);

    check_(ok == 1 && (reason ? streq(r, reason) : r == NULL) && u == until,
           file, line, "off body accepted",
           "%s -> %d reason=%s until=%" APR_INT64_T_FMT " (%s)",
           bytes(body, len), ok, ok ? show(r) : "-", u, show(e.detail));
}

static void off_bad_(const char *body, int status, const char *field,
                     const char *in_detail, const char *file, int line)
{
    const char *r = "poison";
    apr_int64_t u = -7;
    charon_error_t e = {.status = -1, .detail = NULL, .field = "unset"};
    int ok = charon_off_parse(pool, body, strlen(body), &r, &u, &e);

    check_(ok == 0 && e.status == status && e.detail
               && (field ? streq(e.field, field) : e.field == NULL)
               && (!in_detail || strstr(e.detail, in_detail)),
           file, line, "off body refused",
           "%s -> %d status=%d field=%s detail=%s", body, ok, e.status,
           show(e.field), show(e.detail));
}

#define OFF_OK(lit, reason, until) \
    off_ok_(lit, sizeof(lit) - 1, reason, until, HERE)
#define OFF_BAD(lit, status, field, detail) \
    off_bad_(lit, status, field, detail, HERE)

static void test_off_body(void)
{
    off_ok_(NULL, 0, NULL, 0, HERE);
    OFF_OK("", NULL, 0);
    OFF_OK("{}", NULL, 0);
    OFF_OK(" { } ", NULL, 0);
    OFF_OK("{\"reason\": \"disk full\"}", "disk full", 0);
    OFF_OK("{\"until\": \"2026-12-08T06:00:00Z\"}", NULL, T_OFF);
    OFF_OK("{\"until\": \"2026-12-08T07:00+01:00\"}", NULL, T_OFF);
    OFF_OK("{\"reason\": \"disk full\", \"until\": \"2026-12-08T06:00Z\"}",
           "disk full", T_OFF);
    OFF_OK("{\"until\": \"2026-12-08T06:00Z\", \"reason\": \"disk full\"}",
           "disk full", T_OFF);
    OFF_OK("{\"reason\": null, \"until\": null}", NULL, 0);
    OFF_OK("{\"reason\": \"\\u00e9t\\u00e9\"}", "\xc3\xa9t\xc3\xa9", 0);

    OFF_BAD("{\"why\": \"x\"}", 422, "why", "'why'");
    OFF_BAD("{\"reason\": \"x\", \"active\": false}", 422, "active",
            "reason, until");
    OFF_BAD("{\"until\": \"soon\"}", 422, "until", "2026-12-31T23:59:00Z");
    OFF_BAD("{\"until\": \"2026-02-30T00:00Z\"}", 422, "until", NULL);
    OFF_BAD("{\"until\": \"1970-01-01T00:00:00Z\"}", 422, "until", NULL);
    OFF_BAD("{\"until\": 1796709600}", 422, "until", NULL);
    OFF_BAD("{\"reason\": \"\"}", 422, "reason", NULL);
    OFF_BAD("{\"reason\": 5}", 422, "reason", "string");
    OFF_BAD("{\"reason\": \"a\\u0001\"}", 422, "reason", "control");
    OFF_BAD(apr_psprintf(pool, "{\"reason\": \"%s\"}", repeat("r", 1001)), 422,
            "reason", "1 to 1000");
    /* A NUL inside: 422, as in test_text_fields. */
    OFF_BAD("{\"until\": \"2026-12-08T06:00:00Z\\u0000x\"}", 422, "until",
            NULL);
    OFF_BAD("[]", 400, NULL, "not a JSON object");
    OFF_BAD("null", 400, NULL, "not a JSON object");
    OFF_BAD("{", 400, NULL, "not a JSON object");
    OFF_BAD("\"disk full\"", 400, NULL, "not a JSON object");
    off_ok_(apr_psprintf(pool, "{\"reason\": \"%s\"}", repeat("r", 1000)),
            strlen("{\"reason\": \"\"}") + 1000, repeat("r", 1000), 0, HERE);
}

static void test_iso(void)
{
    static const struct {
        apr_int64_t secs;
        const char *iso;
    } t[] = {
        {0, "1970-01-01T00:00:00Z"},
        {1, "1970-01-01T00:00:01Z"},
        {T_CREATED, "2026-12-01T10:00:00Z"},
        {T_OFF, "2026-12-08T06:00:00Z"},
        {1835481599, "2028-02-29T23:59:59Z"},
        {2147483647, "2038-01-19T03:14:07Z"},
        {2147483648LL, "2038-01-19T03:14:08Z"},
        {253402300799LL, "9999-12-31T23:59:59Z"},
    };
    static const char *const bad[] = {
        "",
        "garbage",
        "2026-12-07",
        "2026-02-30T00:00:00Z",
        "2026-12-07T10:00:00Q",
        "1969-12-31T23:59:59Z",
    };
    size_t i;
    apr_int64_t s;

    for (i = 0; i < N_ELEMS(t); i++) {
        const char *iso = charon_iso_text(pool, t[i].secs);

        CHECK(streq(iso, t[i].iso),
              "charon_iso_text(%" APR_INT64_T_FMT ") = %s, want %s", t[i].secs,
              show(iso), t[i].iso);
        s = -7;
        CHECK(charon_iso_seconds(t[i].iso, &s) == 1 && s == t[i].secs,
              "charon_iso_seconds(%s) = %" APR_INT64_T_FMT, t[i].iso, s);
        s = -7;
        CHECK(charon_iso_seconds(iso, &s) == 1
                  && streq(charon_iso_text(pool, s), iso),
              "round trip of %s", show(iso));
    }
    /* What a database may write: a blank for the T, no seconds, an
     * offset. */
    s = -7;
    CHECK(charon_iso_seconds("2026-12-08 06:00:00", &s) == 1 && s == T_OFF,
          "a blank for T: %" APR_INT64_T_FMT, s);
    s = -7;
    CHECK(charon_iso_seconds("2026-12-08T07:00+01:00", &s) == 1 && s == T_OFF,
          "an offset: %" APR_INT64_T_FMT, s);
    for (i = 0; i < N_ELEMS(bad); i++) {
        s = -7;
        CHECK(charon_iso_seconds(bad[i], &s) == 0, "charon_iso_seconds(%s)",
              bad[i]);
    }
    CHECK(charon_iso_seconds(NULL, &s) == 0, "charon_iso_seconds(NULL)");
}
void test_cron_doc(void)
{
    test_doc_json();
    test_etag();
    test_etag_matches();
    test_equal_diff();
    test_off_body();
    test_iso();
}
