/*
 * test_alert_payload.c: the event document and what each preset and the
 * mail make of it (src/lib/alert_payload.c, alert_text.c, alert_chat.c,
 * alert_presets.c, alert_mail.c).
 *
 * The golden files in tests/unit/golden_alerts/ hold, byte for byte, what
 * a fixed event becomes: "Content-Type: ...", the extra headers, a blank
 * line, the body (a mail: the whole message).  A change of wording shows
 * up as a failed test and a diff to review; to write them again after a
 * wanted change, run `CHARON_GOLDEN_WRITE=1 ./build/test_core` from the
 * top of the tree (it fails on purpose), and review `git diff`.
 */
#include "test.h"
#include "lib/alert.h"
#include "lib/alert_parts.h"

#include <json-c/json.h>

#define GOLDEN_DIR "tests/unit/golden_alerts/"

/* 2026-12-07T10:00:00Z */
#define T10  1796637600LL
#define HOUR 3600LL

static const charon_alert_msg_t msgs41[] = {
    {"info", "starting pg_dump of \"main\"", T10 - 3 * HOUR + 1},
    {"error",
     "pg_dump: connection to <localhost:5432> failed & will not retry",
     T10 - 3 * HOUR + 12},
};

static const charon_alert_msg_t msgs42[] = {
    {"warning", "disk 91% full", T10 - HOUR + 1},
    {"error", "pg_dump: connection refused\nexit status 1", T10 - HOUR + 3},
};

static const charon_alert_run_t runs_down[] = {
    {41, CHARON_OUTCOME_FAILED, T10 - 3 * HOUR, T10 - 3 * HOUR + 12, 12.5,
     T10 - 3 * HOUR, msgs41, 2},
    {42, CHARON_OUTCOME_FAILED, T10 - HOUR, T10 - HOUR + 3, 3.0, T10 - HOUR,
     msgs42, 2},
    {0, CHARON_OUTCOME_MISSED, -1, -1, -1, T10, NULL, 0},
};

static const charon_alert_msg_t msgs_up[] = {
    {"success", "dump written: 1.2 GB", T10 + 2 * HOUR + 40},
};

static const charon_alert_run_t runs_up[] = {
    {43, CHARON_OUTCOME_SUCCEEDED, T10 + 2 * HOUR, T10 + 2 * HOUR + 41, 41.25,
     T10 + 2 * HOUR, msgs_up, 1},
};

static charon_alert_doc_t doc_down(void)
{
    charon_alert_doc_t d;

    memset(&d, 0, sizeof(d));
    d.id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    d.event = CHARON_EVENT_DOWN;
    d.at = T10 + 300;
    d.cron_id = 12;
    d.slug = "backup-db";
    d.name = "Backup database \xE2\x80\x94 main"; /* an em dash */
    d.url = "https://charon.example.com/manager/cron/12";
    d.runs = runs_down;
    d.nruns = 3;
    return d;
}

static charon_alert_doc_t doc_up(void)
{
    charon_alert_doc_t d = doc_down();

    d.id = "0b7e9d14-2c3f-4a51-9e6d-7f8a9b0c1d2e";
    d.event = CHARON_EVENT_UP;
    d.at = T10 + 2 * HOUR + 41;
    d.runs = runs_up;
    d.nruns = 1;
    return d;
}

static charon_alert_doc_t doc_test(void)
{
    charon_alert_doc_t d = doc_down();

    d.id = "d2c1b0a9-8f7e-4d6c-b5a4-93827160f5e4";
    d.event = CHARON_EVENT_TEST;
    d.url = NULL;
    d.runs = NULL;
    d.nruns = 0;
    return d;
}

static charon_channel_t *channel(const char *l)
{
    charon_channel_t *c = NULL;
    const char *err = NULL;

    if (charon_channel_parse_line(pool, l, &c, &err) != 1) {
        fprintf(stderr, "test_alert_payload: %s: %s\n", l, show(err));
        abort();
    }
    return c;
}

static charon_channel_t *format_channel(charon_format_e f)
{
    static const char *const lines[] = {
        [CHARON_FORMAT_JSON] = "j https://hooks.example.com/charon",
        [CHARON_FORMAT_SLACK] = "s https://hooks.slack.com/services/T0/B0/"
                                "XXXXXXXXXXXXXXXXXXXXXXXX format=slack",
        [CHARON_FORMAT_MATTERMOST] = "m https://mm.example.com/hooks/"
                                     "xi3ebz7ctbrnbp1d9o7y6gm4kc "
                                     "format=mattermost",
        [CHARON_FORMAT_TEAMS] = "t https://acme.webhook.office.com/x "
                                "format=teams",
        [CHARON_FORMAT_DISCORD] = "d https://discord.com/api/webhooks/1/x "
                                  "format=discord",
        [CHARON_FORMAT_NTFY] = "n https://ntfy.sh/charon format=ntfy "
                               "token=tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2",
        [CHARON_FORMAT_GOTIFY] = "g https://gotify.example.com/message "
                                 "format=gotify token=AqvRbN3Wy5FeO.x",
        [CHARON_FORMAT_PAGERDUTY] =
            "p https://events.pagerduty.com/v2/enqueue "
            "format=pagerduty "
            "token=R0UT1NGKEY0123456789abcdefabcdef",
        [CHARON_FORMAT_OPSGENIE] =
            "o https://api.opsgenie.com/v2/alerts "
            "format=opsgenie "
            "token=eb243592-faa2-4ba2-a551-1afdf565c889",
    };
    return channel(lines[f]);
}

/* Content type, headers, blank line, body: what a golden file holds. */
static const char *rendering(const charon_channel_t *c,
                             const charon_alert_doc_t *d)
{
    const char *ct = NULL, *body, *s;
    apr_array_header_t *h = NULL;
    int i;

    body = charon_alert_payload(pool, c, d, &ct, &h);
    s = apr_pstrcat(pool, "Content-Type: ", show(ct), "\n", NULL);
    for (i = 0; h && i < h->nelts; i++)
        s = apr_pstrcat(pool, s, APR_ARRAY_IDX(h, i, const char *), "\n",
                        NULL);
    return apr_pstrcat(pool, s, "\n", show(body), NULL);
}

static const char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = apr_palloc(pool, (apr_size_t)n + 1);
    n = (long)fread(buf, 1, (size_t)n, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The first byte where a and b differ, for the failure message. */
static const char *first_difference(const char *a, const char *b)
{
    apr_size_t i = 0;

    while (a[i] && a[i] == b[i])
        i++;
    return apr_psprintf(pool, "at byte %lu: got \"%s\", want \"%s\"",
                        (unsigned long)i,
                        bytes(a + i, strlen(a + i) > 60 ? 60 : strlen(a + i)),
                        bytes(b + i, strlen(b + i) > 60 ? 60 : strlen(b + i)));
}

static void golden_(const char *name, const char *got, const char *file,
                    int line)
{
    const char *path = apr_pstrcat(pool, GOLDEN_DIR, name, NULL);
    const char *want;

    if (getenv("CHARON_GOLDEN_WRITE")) {
        FILE *f = fopen(path, "wb");

        if (f) {
            fputs(got, f);
            fclose(f);
        }
        check_(0, file, line, name, "written to %s: review, then run again",
               path);
        return;
    }
    want = read_file(path);
    check_(want != NULL, file, line, name,
           "%s is missing (run from the top of the tree)", path);
    if (want != NULL)
        check_(strcmp(got, want) == 0, file, line, name, "%s differs %s", path,
               first_difference(got, want));
}
#define GOLDEN(name, got) golden_(name, got, HERE)

static void test_goldens(void)
{
    charon_alert_doc_t down = doc_down(), up = doc_up(), t = doc_test();
    charon_channel_t *mail =
        channel("mail mailto:ops@example.org,oncall@example.org "
                "from=charon@cron.example.org");
    int f;

    for (f = CHARON_FORMAT_JSON; f <= CHARON_FORMAT_OPSGENIE; f++) {
        charon_channel_t *c = format_channel((charon_format_e)f);
        const char *name = charon_format_name((charon_format_e)f);

        GOLDEN(apr_pstrcat(pool, name, "_down.txt", NULL),
               rendering(c, &down));
    }
    GOLDEN("slack_up.txt",
           rendering(format_channel(CHARON_FORMAT_SLACK), &up));
    GOLDEN("ntfy_up.txt", rendering(format_channel(CHARON_FORMAT_NTFY), &up));
    GOLDEN("pagerduty_up.txt",
           rendering(format_channel(CHARON_FORMAT_PAGERDUTY), &up));
    GOLDEN("pagerduty_test.txt",
           rendering(format_channel(CHARON_FORMAT_PAGERDUTY), &t));
    GOLDEN("opsgenie_up.txt",
           rendering(format_channel(CHARON_FORMAT_OPSGENIE), &up));
    GOLDEN("json_test.txt", rendering(format_channel(CHARON_FORMAT_JSON), &t));
    GOLDEN("mail_down.eml", charon_alert_mail(pool, mail, &down));
    up.slug = "sauvegarde-\xC3\xA9t\xC3\xA9";
    up.name = "Nom\r\nBcc: victim@example.com";
    GOLDEN("mail_up_utf8.eml", charon_alert_mail(pool, mail, &up));
}

static void test_summary(void)
{
    charon_alert_doc_t d = doc_down();
    charon_alert_run_t one = runs_down[0];

    CHECK(streq(charon_alert_summary(pool, &d),
                "cron backup-db is down: 2 runs failed, 1 slot was missed "
                "(pg_dump: connection refused exit status 1)"),
          "down: %s", charon_alert_summary(pool, &d));
    d.event = CHARON_EVENT_REALERT;
    d.runs = &one;
    d.nruns = 1;
    CHECK(streq(charon_alert_summary(pool, &d),
                "cron backup-db is still down: 1 run failed (pg_dump: "
                "connection to <localhost:5432> failed & will not retry)"),
          "realert: %s", charon_alert_summary(pool, &d));
    d.nruns = 0;
    CHECK(
        streq(charon_alert_summary(pool, &d), "cron backup-db is still down"),
        "realert without runs: %s", charon_alert_summary(pool, &d));
    d = doc_up();
    CHECK(streq(charon_alert_summary(pool, &d),
                "cron backup-db is up again: 1 run succeeded"),
          "up: %s", charon_alert_summary(pool, &d));
    d = doc_test();
    CHECK(
        streq(charon_alert_summary(pool, &d), "test alert for cron backup-db"),
        "test: %s", charon_alert_summary(pool, &d));
    d.slug = NULL;
    CHECK(streq(charon_alert_summary(pool, &d), "test alert from mod_charon"),
          "test of a channel: %s", charon_alert_summary(pool, &d));
    d = doc_down();
    d.slug = "evil\r\nX-Injected: 1";
    CHECK(!strpbrk(charon_alert_summary(pool, &d), "\r\n"),
          "a summary is one line");
}

/* Two documents alike, member by member. */
static int same_doc(const charon_alert_doc_t *a, const charon_alert_doc_t *b)
{
    int i, k;

    if (!streq(a->id, b->id) || a->event != b->event || a->at != b->at
        || a->cron_id != b->cron_id || !streq(a->slug, b->slug)
        || !streq(a->name, b->name) || !!a->muted != !!b->muted
        || a->nruns != b->nruns || (a->url == NULL) != (b->url == NULL)
        || (a->url && !streq(a->url, b->url)))
        return 0;
    for (i = 0; i < a->nruns; i++) {
        const charon_alert_run_t *x = &a->runs[i], *y = &b->runs[i];

        if (x->execution_id != y->execution_id || x->outcome != y->outcome
            || x->started_at != y->started_at || x->ended_at != y->ended_at
            || x->slot != y->slot || x->nmsgs != y->nmsgs
            || (x->duration < 0) != (y->duration < 0)
            || (x->duration >= 0 && x->duration != y->duration))
            return 0;
        for (k = 0; k < x->nmsgs; k++)
            if (!streq(x->msgs[k].type, y->msgs[k].type)
                || !streq(x->msgs[k].message, y->msgs[k].message)
                || x->msgs[k].at != y->msgs[k].at)
                return 0;
    }
    return 1;
}

static void test_round_trip(void)
{
    charon_alert_doc_t docs[3], back;
    const char *json;
    int i;

    docs[0] = doc_down();
    docs[1] = doc_up();
    docs[2] = doc_test();
    docs[1].muted = 1;
    for (i = 0; i < 3; i++) {
        json = charon_alert_document(pool, &docs[i]);
        memset(&back, 0, sizeof(back));
        CHECK(json && charon_alert_document_parse(pool, json, &back) == 0
                  && same_doc(&docs[i], &back),
              "document %d parses back as it was: %s", i, show(json));
        CHECK(streq(charon_alert_document(pool, &back), json),
              "document %d: the same document again", i);
    }
    json = charon_alert_document(pool, &docs[2]);
    CHECK(streq(json, "{\"id\":\"d2c1b0a9-8f7e-4d6c-b5a4-93827160f5e4\","
                      "\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
                      "\"muted\":false,\"cron\":{\"id\":12,\"slug\":"
                      "\"backup-db\",\"name\":\"Backup database \xE2\x80\x94"
                      " main\"},\"state\":null,\"summary\":\"test alert for "
                      "cron backup-db\",\"runs\":[]}"),
          "a test's document: %s", show(json));
}

static void test_parse_refuses(void)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "null",
        "{\"id\":\"x\"}",
        /* the good test document, with one thing wrong each */
        "{\"id\":\"\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[]}",
        "{\"id\":\"x\",\"event\":\"none\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07 10:05:00\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-02-30T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":0,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":\"12\",\"slug\":\"a\",\"name\":"
        "\"b\"},\"runs\":[]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\","
        "\"url\":5},\"runs\":[]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":{}}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[{\"execution_id\":\"41\",\"outcome\":\"failed\","
        "\"started_at\":null,\"ended_at\":null,\"duration\":null,\"slot\":"
        "null,\"messages\":[]}]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[{\"execution_id\":41,\"outcome\":\"ok\","
        "\"started_at\":null,\"ended_at\":null,\"duration\":null,\"slot\":"
        "null,\"messages\":[]}]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[{\"execution_id\":41,\"outcome\":\"failed\","
        "\"started_at\":null,\"ended_at\":null,\"duration\":\"1\",\"slot\":"
        "null,\"messages\":[]}]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[{\"execution_id\":41,\"outcome\":\"failed\","
        "\"started_at\":null,\"ended_at\":null,\"duration\":null,\"slot\":"
        "null,\"messages\":[{\"type\":\"error\",\"message\":\"m\"}]}]}",
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[]} trailing",
    };
    static const char good[] =
        "{\"id\":\"x\",\"event\":\"test\",\"at\":\"2026-12-07T10:05:00Z\","
        "\"muted\":false,\"cron\":{\"id\":12,\"slug\":\"a\",\"name\":\"b\"},"
        "\"runs\":[{\"execution_id\":null,\"outcome\":\"missed\","
        "\"started_at\":null,\"ended_at\":null,\"duration\":null,\"slot\":"
        "\"2026-12-07T10:00:00Z\",\"messages\":[]}]}";
    charon_alert_doc_t d;
    int i;

    for (i = 0; i < (int)N_ELEMS(bad); i++)
        CHECK(charon_alert_document_parse(pool, bad[i], &d) == -1,
              "not a document: %s", bad[i]);
    CHECK(charon_alert_document_parse(pool, NULL, &d) == -1, "NULL");
    CHECK(charon_alert_document_parse(pool, good, &d) == 0 && d.nruns == 1
              && d.runs[0].execution_id == 0 && d.runs[0].started_at == -1
              && d.runs[0].duration < 0 && d.runs[0].slot == T10
              && d.url == NULL && d.event == CHARON_EVENT_TEST,
          "a missed slot's run, nulls and all");
}

static void test_bounds(void)
{
    charon_alert_msg_t many[8];
    charon_alert_run_t run;
    charon_alert_doc_t d = doc_down(), back;
    char *long_text = apr_palloc(pool, 601), *c;
    const char *json, *m;
    int i;

    /* 300 two-byte characters: 600 bytes. */
    for (c = long_text, i = 0; i < 300; i++, c += 2)
        memcpy(c, "\xC3\xA9", 2);
    *c = '\0';
    for (i = 0; i < 8; i++) {
        many[i].type = "info";
        many[i].message = i == 7 ? long_text : apr_psprintf(pool, "m%d", i);
        many[i].at = T10 + i;
    }
    memset(&run, 0, sizeof(run));
    run.execution_id = 7;
    run.outcome = CHARON_OUTCOME_LOST;
    run.started_at = T10;
    run.ended_at = -1;
    run.duration = -1;
    run.slot = -1;
    run.msgs = many;
    run.nmsgs = 8;
    d.runs = &run;
    d.nruns = 1;
    d.name = "bad \xFF byte";
    json = charon_alert_document(pool, &d);
    CHECK(json && charon_alert_document_parse(pool, json, &back) == 0
              && back.nruns == 1 && back.runs[0].nmsgs == CHARON_ALERT_MAX_MSGS
              && streq(back.runs[0].msgs[0].message, "m3"),
          "the last 5 messages are kept: %s", show(json));
    m = back.runs[0].nmsgs == 5 ? back.runs[0].msgs[4].message : "";
    CHECK(strlen(m) <= CHARON_ALERT_MAX_MSG_LEN && strlen(m) >= 490
              && charon_utf8_valid(m, strlen(m))
              && strcmp(m + strlen(m) - 3, "\xE2\x80\xA6") == 0,
          "a long message is cut on a character, with an ellipsis: %lu",
          (unsigned long)strlen(m));
    CHECK(streq(back.name, "bad \xEF\xBF\xBD byte"),
          "bad UTF-8 becomes U+FFFD: %s", show(back.name));
    CHECK(charon_utf8_valid(json, strlen(json)), "the document is UTF-8");

    /* Many runs: Discord's description stays within its limit. */
    {
        charon_alert_run_t runs[40];
        charon_alert_msg_t big[5];
        charon_alert_doc_t dd = doc_down();
        json_object *o, *v;
        const char *ct, *body;
        apr_array_header_t *h;

        for (i = 0; i < 5; i++) {
            big[i].type = "error";
            big[i].message = long_text;
            big[i].at = T10;
        }
        for (i = 0; i < 40; i++) {
            runs[i] = run;
            runs[i].msgs = big;
            runs[i].nmsgs = 5;
        }
        dd.runs = runs;
        dd.nruns = 40;
        body = charon_alert_payload(
            pool, format_channel(CHARON_FORMAT_DISCORD), &dd, &ct, &h);
        o = json_tokener_parse(body);
        v = json_object_object_get(
            json_object_array_get_idx(json_object_object_get(o, "embeds"), 0),
            "description");
        CHECK(v && json_object_get_string_len(v) <= 4000,
              "discord's description is cut: %d",
              v ? json_object_get_string_len(v) : -1);
        json_object_put(o);
        body = charon_alert_payload(pool, format_channel(CHARON_FORMAT_NTFY),
                                    &dd, &ct, &h);
        CHECK(strlen(body) <= 4000, "ntfy's body stays under 4 KiB: %lu",
              (unsigned long)strlen(body));
    }
}

/* Every format and event: JSON that parses, the event id in the body,
 * the token in the right place only. */
static void test_every_payload(void)
{
    charon_alert_doc_t docs[4];
    int f, i, k;

    docs[0] = doc_down();
    docs[1] = doc_up();
    docs[2] = doc_down();
    docs[2].event = CHARON_EVENT_REALERT;
    docs[3] = doc_test();
    for (f = CHARON_FORMAT_JSON; f <= CHARON_FORMAT_OPSGENIE; f++) {
        charon_channel_t *c = format_channel((charon_format_e)f);

        for (i = 0; i < 4; i++) {
            const char *ct = NULL, *body, *all = "";
            apr_array_header_t *h = NULL;
            json_object *o;

            body = charon_alert_payload(pool, c, &docs[i], &ct, &h);
            for (k = 0; h && k < h->nelts; k++) {
                const char *hd = APR_ARRAY_IDX(h, k, const char *);
                all = apr_pstrcat(pool, all, hd, "\n", NULL);
                CHECK(!strpbrk(hd, "\r\n") && strchr(hd, ':'),
                      "%s: a header is one line: %s",
                      charon_format_name(c->format), hd);
            }
            CHECK(body && strstr(body, docs[i].id),
                  "%s %s: the event id is in the body",
                  charon_format_name(c->format),
                  charon_event_name(docs[i].event));
            if (f == CHARON_FORMAT_NTFY) {
                CHECK(streq(ct, "text/plain; charset=utf-8"), "ntfy: text");
                continue;
            }
            o = body ? json_tokener_parse(body) : NULL;
            CHECK(streq(ct, "application/json")
                      && json_object_is_type(o, json_type_object),
                  "%s %s: a JSON object", charon_format_name(c->format),
                  charon_event_name(docs[i].event));
            json_object_put(o);
            if (f == CHARON_FORMAT_PAGERDUTY)
                CHECK(strstr(body, c->token) && !strstr(all, c->token),
                      "pagerduty: the routing key in the body only");
            if (f == CHARON_FORMAT_OPSGENIE)
                CHECK(!strstr(body, c->token)
                          && strstr(all, apr_pstrcat(
                                             pool, "Authorization: GenieKey ",
                                             c->token, "\n", NULL)),
                      "opsgenie: the key in the header only");
            if (f == CHARON_FORMAT_GOTIFY)
                CHECK(!strstr(body, c->token)
                          && strstr(all, apr_pstrcat(pool, "X-Gotify-Key: ",
                                                     c->token, "\n", NULL)),
                      "gotify: the key in X-Gotify-Key only");
        }
    }
    {
        charon_channel_t *g =
            channel("g https://gotify.example.com/message?token=x "
                    "format=gotify");
        charon_channel_t *j =
            channel("j https://h.example.com/ token=Zm9vYmFy");
        const char *ct;
        apr_array_header_t *h;

        charon_alert_payload(pool, g, &docs[0], &ct, &h);
        CHECK(h->nelts == 0, "gotify without token=: no header");
        charon_alert_payload(pool, j, &docs[0], &ct, &h);
        CHECK(h->nelts == 1
                  && streq(APR_ARRAY_IDX(h, 0, char *),
                           "Authorization: Bearer Zm9vYmFy"),
              "json with token=: a bearer token");
    }
}

static void test_target(void)
{
    charon_alert_doc_t down = doc_down(), up = doc_up();
    charon_channel_t *o = format_channel(CHARON_FORMAT_OPSGENIE);
    charon_channel_t *eu =
        channel("o https://api.eu.opsgenie.com/v2/alerts/?x=1 format=opsgenie "
                "token=k");
    charon_channel_t *p = format_channel(CHARON_FORMAT_PAGERDUTY);

    CHECK(streq(charon_alert_target(pool, o, &down),
                "https://api.opsgenie.com/v2/alerts"),
          "opsgenie down: create");
    CHECK(streq(charon_alert_target(pool, o, &up),
                "https://api.opsgenie.com/v2/alerts/charon-cron-12/close"
                "?identifierType=alias"),
          "opsgenie up: close by alias: %s",
          charon_alert_target(pool, o, &up));
    CHECK(streq(charon_alert_target(pool, eu, &up),
                "https://api.eu.opsgenie.com/v2/alerts/charon-cron-12/close"
                "?identifierType=alias"),
          "opsgenie EU, trailing slash and query: %s",
          charon_alert_target(pool, eu, &up));
    CHECK(streq(charon_alert_target(pool, p, &up),
                "https://events.pagerduty.com/v2/enqueue"),
          "pagerduty up: the same URL");
}

/* The header part of a message: up to the first empty line. */
static void test_mail(void)
{
    charon_channel_t *c = channel("mail mailto:ops@example.org");
    charon_alert_doc_t d = doc_down();
    charon_alert_msg_t evil[] = {
        {"error", ".\r\n.hidden\nFrom here\n\rBcc: x@example.com", T10},
    };
    charon_alert_run_t run = runs_down[0];
    const char *m, *s, *body;
    int bare_lf = 0, dot_line = 0, bcc = 0, long_line = 0;
    apr_size_t len;

    run.msgs = evil;
    run.nmsgs = 1;
    d.runs = &run;
    d.nruns = 1;
    d.name = "name\r\nBcc: victim@example.com";
    d.slug = "slug\nCc: victim@example.com";
    d.id = "6f1c2a3b\r\nBcc: x@y";
    m = charon_alert_mail(pool, c, &d);
    body = strstr(m, "\r\n\r\n");
    CHECK(body != NULL, "headers, blank line, body");
    for (s = m; *s; s++) {
        if (*s == '\n' && (s == m || s[-1] != '\r'))
            bare_lf++;
        if (s == m || s[-1] == '\n') {
            len = strcspn(s, "\r\n");
            dot_line += *s == '.';
            long_line += len > 998;
            bcc += (body == NULL || s < body)
                   && (strncasecmp(s, "Bcc:", 4) == 0
                       || strncasecmp(s, "Cc:", 3) == 0);
        }
    }
    CHECK(bare_lf == 0, "CRLF lines only: %d bare LF", bare_lf);
    CHECK(dot_line == 0, "no line starts with a dot");
    CHECK(bcc == 0, "no header from data:\n%s", m);
    CHECK(long_line == 0, "no line over 998 bytes");
    CHECK(strstr(m, "\r\nSubject: [charon] cron slug Cc: victim@example.com "
                    "is down\r\n"),
          "the subject, flattened");
    CHECK(strstr(m, "\r\nMessage-ID: <6f1c2a3b--Bcc--x-y@charon>\r\n"),
          "the Message-ID keeps to safe characters");
}

/* The text helpers the presets share (alert_parts.h). */
static void test_text(void)
{
    char slug[121];
    const char *subject, *s;
    int i, words = 0, longest = 0, n;

    CHECK(streq(charon_alert_rfc2047(pool, "plain ASCII", " "), "plain ASCII"),
          "ASCII stays");
    CHECK(
        streq(charon_alert_rfc2047(pool, "\xC3\xA9", " "), "=?UTF-8?B?w6k=?="),
        "two bytes: one pad");
    CHECK(streq(charon_alert_rfc2047(pool, "\xC3\xA9\xC3\xA9", " "),
                "=?UTF-8?B?w6nDqQ==?="),
          "four bytes: two pads");
    CHECK(streq(charon_alert_rfc2047(pool, "\xC3\xA9\xC3\xA9\xC3\xA9", " "),
                "=?UTF-8?B?w6nDqcOp?="),
          "six bytes: no pad");
    CHECK(streq(charon_alert_rfc2047(pool, "tab\there", " "),
                "=?UTF-8?B?dGFiCWhlcmU=?="),
          "a control is encoded, not sent");
    for (i = 0; i < 60; i++)
        memcpy(slug + 2 * i, "\xC3\xA9", 2);
    slug[120] = '\0';
    subject = charon_alert_rfc2047(pool, slug, "\r\n ");
    for (s = subject; *s; s += n) {
        n = (int)strcspn(s, "\r");
        words++;
        longest = n > longest ? n : longest;
        CHECK(strncmp(s, "=?UTF-8?B?", 10) == 0
                  && strncmp(s + n - 2, "?=", 2) == 0,
              "word %d framed", words);
        if (s[n] == '\r') {
            CHECK(strncmp(s + n, "\r\n ", 3) == 0, "folded with CRLF SP");
            n += 3;
        }
    }
    CHECK(words == 3 && longest <= 75, "3 words of at most 75: %d, %d", words,
          longest);

    CHECK(streq(charon_alert_clean(pool,
                                   "a\r\nb\rc\td\x01"
                                   "e",
                                   CHARON_ALERT_NO_MAX, 0),
                "a\nb\nc\td e"),
          "clean: CR LF is LF, tab kept, controls blank");
    CHECK(streq(charon_alert_clean(pool, "a\r\nb\tc", CHARON_ALERT_NO_MAX, 1),
                "a b c"),
          "flat: one line, CR LF one blank");
    CHECK(streq(charon_alert_clean(pool,
                                   "ab\xC3\xA9"
                                   "cd",
                                   6, 1),
                "ab\xC3\xA9"
                "cd"),
          "no cut when it fits");
    CHECK(streq(charon_alert_clean(pool,
                                   "ab\xC3\xA9"
                                   "cd",
                                   5, 1),
                "ab\xE2\x80\xA6"),
          "cut before a character: %s",
          charon_alert_clean(pool,
                             "ab\xC3\xA9"
                             "cd",
                             5, 1));
    CHECK(streq(charon_alert_clean(pool,
                                   "ab\xC3\xA9"
                                   "cdef",
                                   6, 0),
                "ab\xE2\x80\xA6"),
          "a cut inside a character goes back to its start: %s",
          charon_alert_clean(pool,
                             "ab\xC3\xA9"
                             "cdef",
                             6, 0));
    CHECK(streq(charon_alert_clean(pool,
                                   "ab\xC3\xA9"
                                   "cdef",
                                   7, 0),
                "ab\xC3\xA9\xE2\x80\xA6"),
          "cut after the character");
    CHECK(streq(charon_alert_clean(pool, "abcdef", 2, 0), ""),
          "no room for the ellipsis: nothing");
    CHECK(streq(charon_alert_clean(pool, "\xC3(\xED\xA0\x80",
                                   CHARON_ALERT_NO_MAX, 1),
                "\xEF\xBF\xBD(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"),
          "bad bytes, a surrogate: U+FFFD each");
    CHECK(streq(charon_alert_seconds(pool, 12.5), "12.5")
              && streq(charon_alert_seconds(pool, 3.0), "3")
              && streq(charon_alert_seconds(pool, 0.0004), "0")
              && streq(charon_alert_seconds(pool, 1.0006), "1.001")
              && charon_alert_seconds(pool, -1) == NULL
              && charon_alert_seconds(pool, 0.0 / 0.0) == NULL
              && charon_alert_seconds(pool, 1e300) == NULL,
          "seconds as the document writes them (none for NaN, 1e300)");
}

void test_alert_payload(void)
{
    test_text();
    test_goldens();
    test_summary();
    test_round_trip();
    test_parse_refuses();
    test_bounds();
    test_every_payload();
    test_target();
    test_mail();
}
