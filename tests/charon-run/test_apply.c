/*
 * test_apply.c: unit tests of `charon-run apply`'s pure parts: the file
 * of crons (tools/charon_run_apply_file.c: a good file, each mistake with
 * its line, durations) and its documents (tools/charon_run_apply_doc.c:
 * the PUT body, the changes between two cron documents, a list page).
 * The expected texts are written out here as literals.
 */
#include "test_cr.h"

/* Parses text as the file "f.ini": the number of mistakes; *errs their
 * lines (malloc'ed, "" for none). */
static int parse(const char *text, cr_defs_t *defs, char **errs)
{
    cr_buf_t e = {0};
    cr_buf_add(&e, "", 0);
    memset(defs, 0, sizeof(*defs));
    int n = cr_defs_parse("f.ini", text, strlen(text), defs, &e);
    *errs = e.data;
    return n;
}

static int field(const char *name)
{
    for (int f = 0; f < CR_NFIELDS; f++)
        if (!strcmp(cr_fields[f].name, name))
            return f;
    return -1;
}

static const char *text_of(const cr_def_t *d, const char *name)
{
    const char *t = d->text[field(name)];
    return t ? t : "(default)";
}

/* ---- the file: a good one --------------------------------------------- */

void test_apply_file_good(void)
{
    static const char text[] =
        "\xEF\xBB\xBF# comments and blank lines are ignored\n"
        "\n"
        "[nightly-backup]\n"
        "name = Nightly backup\n"
        "schedule = 0 3 * * *\n"
        "timezone = Europe/Paris\n"
        "grace = 10m\n"
        "concurrency = forbid\n"
        "max_runtime = 1h\n"
        "min_runtime = 30s\n"
        "failure_threshold = 2\n"
        "recovery_threshold = 1\n"
        "realert_every = 1h\n"
        "   # an indented comment\r\n"
        "[ sync stock ]\r\n"
        "  schedule\t=\t*/5  *  * * mon-fri  \r\n"
        "name = Stock = shop # not a comment\r\n"
        "timezone =\r\n"
        "max-runtime = 90\r\n"
        "[bare]";
    cr_defs_t defs;
    char *errs;
    int n = parse(text, &defs, &errs);

    CHECK(n == 0 && !*errs, "good file: %d mistakes:\n%s", n, errs);
    CHECK(defs.n == 3, "good file: %zu crons", defs.n);
    if (defs.n == 3) {
        cr_def_t *a = &defs.v[0], *b = &defs.v[1], *c = &defs.v[2];
        CHECK(!strcmp(a->slug, "nightly-backup") && a->line == 3,
              "first: %s at %d", a->slug, a->line);
        CHECK(!strcmp(text_of(a, "name"), "Nightly backup")
                  && !strcmp(text_of(a, "schedule"), "0 3 * * *")
                  && !strcmp(text_of(a, "timezone"), "Europe/Paris")
                  && !strcmp(text_of(a, "concurrency"), "forbid"),
              "first's texts: %s / %s / %s / %s", text_of(a, "name"),
              text_of(a, "schedule"), text_of(a, "timezone"),
              text_of(a, "concurrency"));
        CHECK(a->num[field("grace")] == 600
                  && a->num[field("max_runtime")] == 3600
                  && a->num[field("min_runtime")] == 30
                  && a->num[field("failure_threshold")] == 2
                  && a->num[field("recovery_threshold")] == 1
                  && a->num[field("realert_every")] == 3600,
              "first's numbers: %lld %lld %lld %lld %lld %lld",
              a->num[field("grace")], a->num[field("max_runtime")],
              a->num[field("min_runtime")], a->num[field("failure_threshold")],
              a->num[field("recovery_threshold")],
              a->num[field("realert_every")]);
        CHECK(a->set_at[field("name")] == 4
                  && a->set_at[field("realert_every")] == 13,
              "first's lines: %d %d", a->set_at[field("name")],
              a->set_at[field("realert_every")]);

        /* blanks around the slug, CRLF, tabs, '=' and '#' in a value,
         * an empty value, '-' for '_' */
        CHECK(!strcmp(b->slug, "sync stock") && b->line == 15,
              "second: '%s' at %d", b->slug, b->line);
        CHECK(!strcmp(text_of(b, "schedule"), "*/5  *  * * mon-fri"),
              "second's schedule: '%s'", text_of(b, "schedule"));
        CHECK(!strcmp(text_of(b, "name"), "Stock = shop # not a comment"),
              "second's name: '%s'", text_of(b, "name"));
        CHECK(!b->text[field("timezone")]
                  && b->set_at[field("timezone")] == 18,
              "an empty timezone is the default: %s", text_of(b, "timezone"));
        CHECK(b->num[field("max_runtime")] == 90
                  && !strcmp(text_of(b, "max_runtime"), "90"),
              "max-runtime: %lld", b->num[field("max_runtime")]);
        CHECK(!b->text[field("grace")] && !b->set_at[field("grace")],
              "second's grace absent");

        /* the last line without '\n'; a cron with no key at all */
        CHECK(!strcmp(c->slug, "bare") && c->line == 20, "third: %s at %d",
              c->slug, c->line);
        int any = 0;
        for (int f = 0; f < CR_NFIELDS; f++)
            any |= c->set_at[f] || c->text[f];
        CHECK(!any, "third has no field");
    }
    cr_defs_free(&defs);
    free(errs);

    /* nothing at all is a file of no cron, not a mistake */
    n = parse("# nothing yet\n\n", &defs, &errs);
    CHECK(n == 0 && defs.n == 0 && !*errs, "empty file: %d, %zu", n, defs.n);
    cr_defs_free(&defs);
    free(errs);
}

/* ---- the file: each mistake, with its line ---------------------------- */

void test_apply_file_errors(void)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"[a]\nschedule = @daily\ncolour = blue\n",
         "f.ini:3: 'colour' is not a key of a cron (name, schedule, "
         "timezone, grace, concurrency, max_runtime, min_runtime, "
         "failure_threshold, recovery_threshold, realert_every)\n"},
        {"[a]\n\n[b]\n[a]\nname = A again\n",
         "f.ini:4: the cron 'a' is already defined at line 1\n"},
        {"[a]\ngrace = 1m\n# again\ngrace = 2m\n",
         "f.ini:4: grace is already set at line 2 for the cron 'a'\n"},
        {"[a]\ngrace =\ngrace = 2m\n",
         "f.ini:3: grace is already set at line 2 for the cron 'a'\n"},
        {"# crons\nschedule = @daily\n[a]\n",
         "f.ini:2: schedule is outside a section: start each cron with "
         "[slug]\n"},
        {"[a/b]\nname = x\n",
         "f.ini:1: 'a/b' is not a slug: a slug cannot contain '/' (the "
         "API's URLs could not name the cron)\n"},
        {"[..]\n", "f.ini:1: '..' is not a slug: a slug cannot be '.' or "
                   "'..' (the API's URLs could not name the cron)\n"},
        {"[a]\n[ ]\n", "f.ini:2: '' is not a slug: the slug is empty\n"},
        {"[a]\n[b\n", "f.ini:2: '[b' is not a section: write [slug]\n"},
        {"[a\x01]\n", "f.ini:1: 'a\\x01' is not a slug: a slug cannot "
                      "contain control characters\n"},
        {"[\xff]\n", "f.ini:1: '\xff' is not a slug: a slug is valid "
                     "UTF-8\n"},
        {"[a]\nfailure_threshold = two\n",
         "f.ini:2: failure_threshold 'two' must be a whole number from 1 "
         "to 1000\n"},
        {"[a]\nrecovery_threshold = 1001\n",
         "f.ini:2: recovery_threshold '1001' must be a whole number from 1 "
         "to 1000\n"},
        {"[a]\nfailure_threshold = 0\n",
         "f.ini:2: failure_threshold '0' must be a whole number from 1 to "
         "1000\n"},
        {"[a]\nfailure_threshold = -1\n",
         "f.ini:2: failure_threshold '-1' must be a whole number from 1 to "
         "1000\n"},
        {"[a]\ngrace = 10x\n",
         "f.ini:2: grace '10x' must be a duration from 1s to 366d: whole "
         "seconds, or a number followed by s, m, h, d or w (90s, 10m, 2h, "
         "1d)\n"},
        {"[a]\ngrace = 367d\n",
         "f.ini:2: grace '367d' must be a duration from 1s to 366d: whole "
         "seconds, or a number followed by s, m, h, d or w (90s, 10m, 2h, "
         "1d)\n"},
        {"[a]\nrealert_every = 30s\n",
         "f.ini:2: realert_every '30s' must be a duration from 1m to 365d: "
         "whole seconds, or a number followed by s, m, h, d or w (90s, "
         "10m, 2h, 1d)\n"},
        {"[a]\nmax_runtime = 1.5h\n",
         "f.ini:2: max_runtime '1.5h' must be a duration from 1s to "
         "2147483647s: whole seconds, or a number followed by s, m, h, d "
         "or w (90s, 10m, 2h, 1d)\n"},
        {"[a]\nmin_runtime = 0\n",
         "f.ini:2: min_runtime '0' must be a duration from 1s to "
         "2147483647s: whole seconds, or a number followed by s, m, h, d "
         "or w (90s, 10m, 2h, 1d)\n"},
        {"[a]\nschedule = 61 * * * *\n",
         "f.ini:2: schedule '61 * * * *' is not a schedule: the minute "
         "field: 61 is not within 0-59\n"},
        {"[a]\ntimezone = Mars/Olympus\n",
         "f.ini:2: timezone 'Mars/Olympus' is not a time zone ICU knows "
         "(IANA names, such as Europe/Paris or America/New_York)\n"},
        {"[a]\nconcurrency = maybe\n",
         "f.ini:2: concurrency 'maybe' must be allow or forbid\n"},
        {"[a]\nname = tab\there\n",
         "f.ini:2: name 'tab\\x09here' cannot contain control characters\n"},
        {"[a]\nname = caf\xe9\n",
         "f.ini:2: name 'caf\xe9' is not valid UTF-8\n"},
        {"[a]\nschedule @daily\n",
         "f.ini:2: 'schedule @daily' is neither 'key = value' nor [slug]\n"},
        /* a bad section's keys are skipped: one mistake, one message */
        {"[a/b]\ncolour = blue\nname = x\n[c]\nname = ok\n",
         "f.ini:1: 'a/b' is not a slug: a slug cannot contain '/' (the "
         "API's URLs could not name the cron)\n"},
        /* several mistakes: each, in order */
        {"x = 1\n[a]\ngrace = soon\n[a]\n[b]\nconcurrency = none\n",
         "f.ini:1: x is outside a section: start each cron with [slug]\n"
         "f.ini:3: grace 'soon' must be a duration from 1s to 366d: whole "
         "seconds, or a number followed by s, m, h, d or w (90s, 10m, 2h, "
         "1d)\n"
         "f.ini:4: the cron 'a' is already defined at line 2\n"
         "f.ini:6: concurrency 'none' must be allow or forbid\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_defs_t defs;
        char *errs;
        size_t len = strlen(cases[i].text);
        cr_buf_t e = {0};
        cr_buf_add(&e, "", 0);
        memset(&defs, 0, sizeof(defs));
        int n = cr_defs_parse("f.ini", cases[i].text, len, &defs, &e);
        errs = e.data;
        int lines = 0;
        for (const char *p = cases[i].want; *p; p++)
            lines += *p == '\n';
        CHECK(n == lines && !strcmp(errs, cases[i].want),
              "case %zu: %d mistakes (not %d):\n%s--- wanted:\n%s", i, n,
              lines, errs, cases[i].want);
        cr_defs_free(&defs);
        free(errs);
    }

    /* a NUL byte: that line refused, the next ones still read */
    static const char nul[] = "[a]\nname = x\0y\n[b]\nbad\n";
    cr_defs_t defs;
    char *errs;
    cr_buf_t e = {0};
    cr_buf_add(&e, "", 0);
    memset(&defs, 0, sizeof(defs));
    int n = cr_defs_parse("f.ini", nul, sizeof(nul) - 1, &defs, &e);
    CHECK(n == 2
              && !strcmp(e.data,
                         "f.ini:2: a NUL byte: this is not a text file\n"
                         "f.ini:4: 'bad' is neither 'key = value' nor "
                         "[slug]\n"),
          "NUL: %d\n%s", n, e.data);
    cr_defs_free(&defs);
    cr_buf_free(&e);

    /* a name of 255 characters (not bytes: é is two) and not 256 */
    cr_buf_t t = {0};
    cr_buf_adds(&t, "[a]\nname = ");
    for (int i = 0; i < 255; i++)
        cr_buf_adds(&t, "\xc3\xa9");
    n = parse(t.data, &defs, &errs);
    CHECK(n == 0, "255 characters: %s", errs);
    cr_defs_free(&defs);
    free(errs);
    cr_buf_adds(&t, "e");
    n = parse(t.data, &defs, &errs);
    CHECK(n == 1
              && !strcmp(errs, "f.ini:2: name is longer than 255 "
                               "characters\n"),
          "256 characters: %s", errs);
    cr_defs_free(&defs);
    free(errs);
    cr_buf_free(&t);

    /* 20 mistakes, then it stops and says so */
    for (int i = 0; i < 30; i++)
        cr_buf_printf(&t, "[a/%d]\n", i);
    n = parse(t.data, &defs, &errs);
    CHECK(n == 20 && strstr(errs, "f.ini:20: 'a/19' is not a slug")
              && !strstr(errs, "f.ini:21:")
              && strstr(errs, "f.ini: too many mistakes, the rest was not "
                              "read\n"),
          "30 mistakes: %d\n%s", n, errs);
    cr_defs_free(&defs);
    free(errs);
    cr_buf_free(&t);

    /* the path is printed as it is safe to print */
    memset(&defs, 0, sizeof(defs));
    n = cr_defs_parse("a\nb.ini", "oops\n", 5, &defs, &e);
    CHECK(n == 1 && e.data
              && !strcmp(e.data, "a\\x0ab.ini:1: 'oops' is neither 'key = "
                                 "value' nor [slug]\n"),
          "path: %s", e.data ? e.data : "(none)");
    cr_defs_free(&defs);
    cr_buf_free(&e);
}

/* ---- durations -------------------------------------------------------- */

void test_duration(void)
{
    static const struct {
        const char *text;
        long long want; /* -1: refused */
    } cases[] = {
        {"0", 0},
        {"1", 1},
        {"600", 600},
        {"90s", 90},
        {"10m", 600},
        {"2h", 7200},
        {"1d", 86400},
        {"1w", 604800},
        {"366d", 31622400},
        {"9223372036854775807", 9223372036854775807LL},
        {"9223372036854775808", -1},
        {"99999999999999999999", -1},
        {"1537228672809129302w", -1}, /* overflows once multiplied */
        {"", -1},
        {"s", -1},
        {"10 m", -1},
        {" 10m", -1},
        {"10m ", -1},
        {"10M", -1},
        {"10ms", -1},
        {"1h30m", -1},
        {"-1", -1},
        {"+1", -1},
        {"1.5h", -1},
        {"1e3", -1},
        {"0x10", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long v = -7;
        int ok = cr_duration_parse(cases[i].text, &v);
        if (cases[i].want >= 0)
            CHECK(ok && v == cases[i].want, "duration '%s': %d, %lld",
                  cases[i].text, ok, v);
        else
            CHECK(!ok && v == -7, "duration '%s' accepted: %lld",
                  cases[i].text, v);
    }
}

/* ---- the PUT body ----------------------------------------------------- */

static cr_def_t *one(const char *text, cr_defs_t *defs)
{
    char *errs;
    int n = parse(text, defs, &errs);
    CHECK(n == 0 && defs->n == 1, "%s: %s", text, errs);
    free(errs);
    return defs->n == 1 ? &defs->v[0] : NULL;
}

void test_put_body(void)
{
    static const struct {
        const char *file, *body, *doc;
    } cases[] = {
        /* every field, in the document's order whatever the file's */
        {"[nightly-backup]\n"
         "realert_every = 1h\n"
         "recovery_threshold = 1\n"
         "failure_threshold = 2\n"
         "min_runtime = 30s\n"
         "max_runtime = 1h\n"
         "concurrency = forbid\n"
         "grace = 10m\n"
         "timezone = Europe/Paris\n"
         "schedule = 0 3 * * *\n"
         "name = Nightly backup\n",
         "{\"name\":\"Nightly backup\",\"concurrency\":\"forbid\","
         "\"max_runtime\":3600,\"schedule\":\"0 3 * * *\","
         "\"timezone\":\"Europe/Paris\",\"grace\":600,\"min_runtime\":30,"
         "\"failure_threshold\":2,\"recovery_threshold\":1,"
         "\"realert_every\":3600}",
         NULL},
        /* nothing given: the name is the slug, the rest the defaults */
        {"[bare]\n", "{\"name\":\"bare\"}",
         "{\"name\":\"bare\",\"concurrency\":\"allow\",\"max_runtime\":null,"
         "\"schedule\":null,\"timezone\":null,\"grace\":300,"
         "\"min_runtime\":null,\"failure_threshold\":1,"
         "\"recovery_threshold\":1,\"realert_every\":null}"},
        /* empty values are left out too; a name that needs escaping */
        {"[q]\nname = say \"hi\" \\ bye\ntimezone =\ngrace = 90\n",
         "{\"name\":\"say \\\"hi\\\" \\\\ bye\",\"grace\":90}",
         "{\"name\":\"say \\\"hi\\\" \\\\ bye\",\"concurrency\":\"allow\","
         "\"max_runtime\":null,\"schedule\":null,\"timezone\":null,"
         "\"grace\":90,\"min_runtime\":null,\"failure_threshold\":1,"
         "\"recovery_threshold\":1,\"realert_every\":null}"},
        {"[s]\nschedule = @every 15m\n",
         "{\"name\":\"s\",\"schedule\":\"@every 15m\"}", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_defs_t defs;
        cr_def_t *d = one(cases[i].file, &defs);
        cr_buf_t b = {0}, full = {0};
        if (d) {
            cr_def_body(&b, d);
            cr_def_doc(&full, d);
        }
        CHECK(b.data && !strcmp(b.data, cases[i].body),
              "body %zu: %s\n  not %s", i, b.data ? b.data : "(none)",
              cases[i].body);
        if (cases[i].doc)
            CHECK(full.data && !strcmp(full.data, cases[i].doc),
                  "doc %zu: %s\n  not %s", i, full.data ? full.data : "",
                  cases[i].doc);
        /* never the operator's switches */
        static const char *const switches[] = {"active", "off_reason",
                                               "off_until", "mute_until"};
        for (int k = 0; k < 4 && b.data; k++)
            CHECK(cr_json_member(b.data, b.len, switches[k], NULL)
                      == CR_JSON_ABSENT,
                  "body %zu has %s", i, switches[k]);
        /* the name the server reads back */
        char *v = NULL;
        CHECK(b.data
                  && cr_json_member(b.data, b.len, "name", &v)
                         == CR_JSON_STRING
                  && d
                  && !strcmp(v, d->text[CR_F_NAME] ? d->text[CR_F_NAME]
                                                   : d->slug),
              "name read back: %s", v ? v : "(none)");
        free(v);
        /* a body's document against itself: nothing changed */
        cr_buf_t ch = {0};
        CHECK(full.data
                  && cr_doc_changes(full.data, full.len, full.data, full.len,
                                    &ch)
                         == 0
                  && ch.data && !*ch.data,
              "doc %zu against itself: %s", i, ch.data ? ch.data : "");
        cr_buf_free(&ch);
        cr_buf_free(&b);
        cr_buf_free(&full);
        cr_defs_free(&defs);
    }
}

/* ---- the change summary ----------------------------------------------- */

#define DOC_BEFORE                                                         \
    "{\"id\": 7, \"slug\": \"nightly-backup\", \"name\": \"Nightly "       \
    "backup\",\n \"created_at\": \"2026-12-01T10:00:00Z\",\n \"active\": " \
    "false, \"off_reason\": \"disk full\", \"off_until\": "                \
    "\"2026-12-08T06:00:00Z\",\n \"concurrency\": \"forbid\", "            \
    "\"max_runtime\": 3600,\n \"schedule\": \"0 3 * * *\", \"timezone\": " \
    "\"Europe/Paris\", \"grace\": 300,\n \"min_runtime\": null,\n "        \
    "\"failure_threshold\": 2, \"recovery_threshold\": 1, "                \
    "\"realert_every\": 3600,\n \"mute_until\": null}"

void test_changes(void)
{
    static const struct {
        const char *before, *after, *want;
        int n;
    } cases[] = {
        /* the same document: nothing */
        {DOC_BEFORE, DOC_BEFORE, "", 0},
        /* the same fields in another order, other switches, another id
         * and created_at: the definition is the same */
        {DOC_BEFORE,
         "{\"realert_every\":3600,\"recovery_threshold\":1,"
         "\"failure_threshold\":2,\"grace\":300,\"timezone\":\"Europe/Paris\","
         "\"schedule\":\"0 3 * * *\",\"max_runtime\":3600,"
         "\"concurrency\":\"forbid\",\"name\":\"Nightly backup\",\"id\":8,"
         "\"slug\":\"nightly-backup\",\"active\":true,\"off_reason\":null,"
         "\"created_at\":\"2027-01-01T00:00:00Z\",\"mute_until\":"
         "\"2026-12-09T00:00:00Z\"}",
         "", 0},
        /* three fields, in the document's order; null, numbers, strings
         * as JSON */
        {DOC_BEFORE,
         "{\"id\":7,\"slug\":\"nightly-backup\",\"name\":\"Nightly backup\","
         "\"active\":false,\"concurrency\":\"allow\",\"max_runtime\":null,"
         "\"schedule\":\"30 2 * * *\",\"timezone\":\"Europe/Paris\","
         "\"grace\":300,\"min_runtime\":null,\"failure_threshold\":2,"
         "\"recovery_threshold\":1,\"realert_every\":3600}",
         "concurrency \"forbid\" -> \"allow\", max_runtime 3600 -> null, "
         "schedule \"0 3 * * *\" -> \"30 2 * * *\"",
         3},
        /* absent is null; a zone's '/' not escaped; a quote escaped */
        {"{\"name\":\"a\",\"timezone\":null}",
         "{\"name\":\"a \\\"b\\\"\",\"timezone\":\"America/New_York\","
         "\"grace\":600}",
         "name \"a\" -> \"a \\\"b\\\"\", timezone null -> "
         "\"America/New_York\", grace null -> 600",
         3},
        /* a number is not its text */
        {"{\"grace\":300}", "{\"grace\":\"300\"}", "grace 300 -> \"300\"", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_buf_t out = {0};
        int n = cr_doc_changes(cases[i].before, strlen(cases[i].before),
                               cases[i].after, strlen(cases[i].after), &out);
        CHECK(n == cases[i].n && out.data && !strcmp(out.data, cases[i].want),
              "changes %zu: %d, '%s'\n  not %d, '%s'", i, n,
              out.data ? out.data : "(none)", cases[i].n, cases[i].want);
        cr_buf_free(&out);
    }

    /* what is not a cron's document */
    static const char *const bad[] = {
        "",
        "[]",
        "null",
        "\"x\"",
        "{\"name\":",
        "{\"name\":\"a\"} x",
        "<html>404</html>",
        "{\"name\":\"a\"}{}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_buf_t out = {0};
        int n1 = cr_doc_changes(bad[i], strlen(bad[i]), DOC_BEFORE,
                                strlen(DOC_BEFORE), &out);
        int n2 = cr_doc_changes(DOC_BEFORE, strlen(DOC_BEFORE), bad[i],
                                strlen(bad[i]), &out);
        CHECK(n1 == -1 && n2 == -1 && !out.data, "'%s': %d, %d", bad[i], n1,
              n2);
        cr_buf_free(&out);
    }
    /* trailing blanks are fine */
    cr_buf_t out = {0};
    CHECK(cr_doc_changes("{}\r\n", 4, "{} ", 3, &out) == 0,
          "blanks after the object");
    cr_buf_free(&out);

    /* the file's definition against the server's document (a retried PUT
     * checked): the defaults written out match what the server holds */
    cr_defs_t defs;
    cr_def_t *d = one("[nightly-backup]\nname = Nightly backup\n"
                      "concurrency = forbid\nmax_runtime = 1h\n"
                      "schedule = 0 3 * * *\ntimezone = Europe/Paris\n"
                      "failure_threshold = 2\nrealert_every = 60m\n",
                      &defs);
    cr_buf_t want = {0};
    if (d)
        cr_def_doc(&want, d);
    CHECK(want.data
              && cr_doc_changes(want.data, want.len, DOC_BEFORE,
                                strlen(DOC_BEFORE), &out)
                     == 0,
          "the file's definition is the document's: %s",
          out.data ? out.data : "");
    cr_buf_free(&out);
    cr_buf_free(&want);
    cr_defs_free(&defs);
}

/* ---- a page of GET crons ---------------------------------------------- */

void test_list_page(void)
{
    cr_strs_t s = {0};
    char *next = (char *)"untouched";
    static const char page1[] =
        "{\"items\": [" DOC_BEFORE ", {\"id\": 8, \"slug\": \"sync/\\u00e9\", "
        "\"name\": \"x\"}], \"next_cursor\": \"c2x0\\/Zw==\"}";
    int rc = cr_list_page(page1, strlen(page1), &s, &next);
    CHECK(rc == 0 && s.n == 2 && !strcmp(s.v[0], "nightly-backup")
              && !strcmp(s.v[1], "sync/\xc3\xa9") && next
              && !strcmp(next, "c2x0/Zw=="),
          "page 1: %d, %zu slugs, next %s", rc, s.n, next ? next : "null");
    free(next);

    static const char page2[] = "{\"items\":[{\"slug\":\"z\"}],"
                                "\"next_cursor\":null}";
    next = (char *)"untouched";
    rc = cr_list_page(page2, strlen(page2), &s, &next);
    CHECK(rc == 0 && s.n == 3 && !strcmp(s.v[2], "z") && next == NULL,
          "last page: %d, %zu, %s", rc, s.n, next ? next : "null");
    next = (char *)"untouched";
    rc = cr_list_page("{\"items\":[]}", 12, &s, &next);
    CHECK(rc == 0 && s.n == 3 && next == NULL, "empty page: %d", rc);

    static const char *const bad[] = {
        "",
        "{}",
        "{\"items\":{}}",
        "{\"items\":[{\"slug\":\"a\"},{\"id\":1}]}",
        "{\"items\":[{\"slug\":\"a\"},{\"slug\":2}]}",
        "{\"items\":[\"a\"]}",
        "{\"items\":[{\"slug\":\"a\"}],\"next_cursor\":5}",
        "{\"items\":[{\"slug\":\"a\"}]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        next = (char *)"untouched";
        rc = cr_list_page(bad[i], strlen(bad[i]), &s, &next);
        CHECK(rc == -1 && s.n == 3 && !strcmp(next, "untouched"),
              "bad page '%s': %d, %zu", bad[i], rc, s.n);
    }
    cr_strs_free(&s);
}
