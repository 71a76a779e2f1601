/*
 * test_alert_payload.c: what each preset and the mail make of an event
 * (src/lib/alert_payload.c, alert_chat.c, alert_presets.c, alert_mail.c);
 * the events and channels are alert_fixtures.c's, the document itself is
 * test_alert_doc.c's.
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
    charon_alert_doc_t down = alert_doc_down(), up = alert_doc_up(),
                       t = alert_doc_test();
    charon_channel_t *mail =
        alert_channel("mail mailto:ops@example.org,oncall@example.org "
                      "from=charon@cron.example.org");
    int f;

    for (f = CHARON_FORMAT_JSON; f <= CHARON_FORMAT_OPSGENIE; f++) {
        charon_channel_t *c = alert_format_channel((charon_format_e)f);
        const char *name = charon_format_name((charon_format_e)f);

        GOLDEN(apr_pstrcat(pool, name, "_down.txt", NULL),
               rendering(c, &down));
    }
    GOLDEN("slack_up.txt",
           rendering(alert_format_channel(CHARON_FORMAT_SLACK), &up));
    GOLDEN("ntfy_up.txt",
           rendering(alert_format_channel(CHARON_FORMAT_NTFY), &up));
    GOLDEN("pagerduty_up.txt",
           rendering(alert_format_channel(CHARON_FORMAT_PAGERDUTY), &up));
    GOLDEN("pagerduty_test.txt",
           rendering(alert_format_channel(CHARON_FORMAT_PAGERDUTY), &t));
    GOLDEN("opsgenie_up.txt",
           rendering(alert_format_channel(CHARON_FORMAT_OPSGENIE), &up));
    GOLDEN("json_test.txt",
           rendering(alert_format_channel(CHARON_FORMAT_JSON), &t));
    GOLDEN("mail_down.eml", charon_alert_mail(pool, mail, &down));
    up.slug = "sauvegarde-\xC3\xA9t\xC3\xA9";
    up.name = "Nom\r\nBcc: victim@example.com";
    GOLDEN("mail_up_utf8.eml", charon_alert_mail(pool, mail, &up));
}

/* Every format and event: JSON that parses, the event id in the body,
 * the token in the right place only. */
static void test_every_payload(void)
{
    charon_alert_doc_t docs[4];
    int f, i, k;

    docs[0] = alert_doc_down();
    docs[1] = alert_doc_up();
    docs[2] = alert_doc_down();
    docs[2].event = CHARON_EVENT_REALERT;
    docs[3] = alert_doc_test();
    for (f = CHARON_FORMAT_JSON; f <= CHARON_FORMAT_OPSGENIE; f++) {
        charon_channel_t *c = alert_format_channel((charon_format_e)f);

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
            alert_channel("g https://gotify.example.com/message?token=x "
                          "format=gotify");
        charon_channel_t *j =
            alert_channel("j https://h.example.com/ token=Zm9vYmFy");
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
    charon_alert_doc_t down = alert_doc_down(), up = alert_doc_up();
    charon_channel_t *o = alert_format_channel(CHARON_FORMAT_OPSGENIE);
    charon_channel_t *eu = alert_channel(
        "o https://api.eu.opsgenie.com/v2/alerts/?x=1 format=opsgenie "
        "token=k");
    charon_channel_t *p = alert_format_channel(CHARON_FORMAT_PAGERDUTY);

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
    charon_channel_t *c = alert_channel("mail mailto:ops@example.org");
    charon_alert_doc_t d = alert_doc_down();
    charon_alert_msg_t evil[] = {
        {"error", ".\r\n.hidden\nFrom here\n\rBcc: x@example.com", ALERT_T10},
    };
    charon_alert_run_t run = alert_runs_down[0];
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

void test_alert_payload(void)
{
    test_goldens();
    test_every_payload();
    test_target();
    test_mail();
}
