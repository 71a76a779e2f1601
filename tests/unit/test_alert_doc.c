/*
 * test_alert_doc.c: the event document itself (src/lib/alert_payload.c,
 * alert_text.c): its one-line summary, its JSON read back into the same
 * event, the documents it refuses, the bounds of what it holds, and the
 * durations and times as the texts write them.  The events are
 * alert_fixtures.c's.
 */
#include "test.h"
#include "lib/alert.h"
#include "lib/alert_parts.h"

#include <json-c/json.h>

static void test_summary(void)
{
    charon_alert_doc_t d = alert_doc_down();
    charon_alert_run_t one = alert_runs_down[0];

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
    d = alert_doc_up();
    CHECK(streq(charon_alert_summary(pool, &d),
                "cron backup-db is up again: 1 run succeeded"),
          "up: %s", charon_alert_summary(pool, &d));
    d = alert_doc_test();
    CHECK(
        streq(charon_alert_summary(pool, &d), "test alert for cron backup-db"),
        "test: %s", charon_alert_summary(pool, &d));
    d.slug = NULL;
    CHECK(streq(charon_alert_summary(pool, &d), "test alert from mod_charon"),
          "test of a channel: %s", charon_alert_summary(pool, &d));
    d = alert_doc_down();
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

    docs[0] = alert_doc_down();
    docs[1] = alert_doc_up();
    docs[2] = alert_doc_test();
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
              && d.runs[0].duration < 0 && d.runs[0].slot == ALERT_T10
              && d.url == NULL && d.event == CHARON_EVENT_TEST,
          "a missed slot's run, nulls and all");
}

static void test_bounds(void)
{
    charon_alert_msg_t many[8];
    charon_alert_run_t run;
    charon_alert_doc_t d = alert_doc_down(), back;
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
        many[i].at = ALERT_T10 + i;
    }
    memset(&run, 0, sizeof(run));
    run.execution_id = 7;
    run.outcome = CHARON_OUTCOME_LOST;
    run.started_at = ALERT_T10;
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
        charon_alert_doc_t dd = alert_doc_down();
        json_object *o, *v;
        const char *ct, *body;
        apr_array_header_t *h;

        for (i = 0; i < 5; i++) {
            big[i].type = "error";
            big[i].message = long_text;
            big[i].at = ALERT_T10;
        }
        for (i = 0; i < 40; i++) {
            runs[i] = run;
            runs[i].msgs = big;
            runs[i].nmsgs = 5;
        }
        dd.runs = runs;
        dd.nruns = 40;
        body = charon_alert_payload(
            pool, alert_format_channel(CHARON_FORMAT_DISCORD), &dd, &ct, &h);
        o = json_tokener_parse(body);
        v = json_object_object_get(
            json_object_array_get_idx(json_object_object_get(o, "embeds"), 0),
            "description");
        CHECK(v && json_object_get_string_len(v) <= 4000,
              "discord's description is cut: %d",
              v ? json_object_get_string_len(v) : -1);
        json_object_put(o);
        body = charon_alert_payload(
            pool, alert_format_channel(CHARON_FORMAT_NTFY), &dd, &ct, &h);
        CHECK(strlen(body) <= 4000, "ntfy's body stays under 4 KiB: %lu",
              (unsigned long)strlen(body));
    }
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

void test_alert_doc(void)
{
    test_text();
    test_summary();
    test_round_trip();
    test_parse_refuses();
    test_bounds();
}
