/*
 * test_alert_channel.c: CharonAlert lines (src/lib/alert_channel.c,
 * alert_url.c, alert_line.c): kinds, options, the URL shown redacted,
 * errors that never quote a secret, which crons and events a channel
 * wants, and the retry backoff.
 */
#include "test.h"
#include "lib/alert.h"

/* Parses a line; NULL on error, with the error in *err. */
static charon_channel_t *line(const char *text, const char **err)
{
    charon_channel_t *c = NULL;
    const char *e = NULL;
    int rc = charon_channel_parse_line(pool, text, &c, &e);

    if (err)
        *err = e;
    return rc == 1 ? c : NULL;
}

/* A line that must parse. */
static charon_channel_t *line_ok_(const char *text, const char *file, int n)
{
    const char *err = NULL;
    charon_channel_t *c = line(text, &err);

    check_(c != NULL, file, n, "parses", "%s: %s", text, show(err));
    return c;
}
#define OK_LINE(text) line_ok_(text, HERE)

/* A line that must be refused, with an error that quotes no secret: the
 * lines below put S3CR3T wherever a secret could be. */
static void line_bad_(const char *text, const char *want, const char *file,
                      int n)
{
    const char *err = NULL;
    charon_channel_t *c = line(text, &err);

    check_(c == NULL && err != NULL, file, n, "refused", "%s", text);
    check_(err == NULL
               || (!strstr(err, "S3CR3T") && !strstr(err, "example.com")),
           file, n, "no secret in the error", "%s", show(err));
    if (want != NULL)
        check_(err != NULL && strstr(err, want) != NULL, file, n,
               "the error says", "'%s' not in '%s'", want, show(err));
}
#define BAD_LINE(text, want) line_bad_(text, want, HERE)

#define SHOWN(url, want)                                                      \
    CHECK(streq(charon_alert_redact(pool, url), want), "%s shown as %s", url, \
          charon_alert_redact(pool, url))

static void test_redact(void)
{
    SHOWN("https://hooks.slack.com/services/T00000000/B00000000/"
          "XXXXXXXXXXXXXXXXXXXXXXXX",
          "https://hooks.slack.com/services/T00000000/B00000000/***");
    SHOWN("https://discord.com/api/webhooks/123456789012345678/"
          "abcDEF_ghiJKL-mnoPQRstuVWXyz0123456789",
          "https://discord.com/api/webhooks/***/***");
    SHOWN("https://alice:s3cret@ntfy.example.com/alerts",
          "https://alice:***@ntfy.example.com/alerts");
    SHOWN("https://:tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2@ntfy.sh/cron",
          "https://:***@ntfy.sh/cron");
    SHOWN("https://tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2@ntfy.sh/cron",
          "https://***@ntfy.sh/cron");
    SHOWN("https://ntfy.sh/charon_alerts_7f3a9c2e11", "https://ntfy.sh/***");
    SHOWN("https://events.pagerduty.com/v2/enqueue",
          "https://events.pagerduty.com/v2/enqueue");
    SHOWN("https://events.pagerduty.com/integration/"
          "0123456789abcdef0123456789abcdef/enqueue",
          "https://events.pagerduty.com/integration/***/enqueue");
    SHOWN("https://api.opsgenie.com/v2/alerts",
          "https://api.opsgenie.com/v2/alerts");
    SHOWN("https://gotify.example.com/message?token=AbCdEf123",
          "https://gotify.example.com/message?token=***");
    SHOWN("https://h.example.com/x?a=1&b=&c&d=2#frag",
          "https://h.example.com/x?a=***&b=&***&d=***#***");
    SHOWN("https://mm.example.com/hooks/xi3ebz7ctbrnbp1d9o7y6gm4kc",
          "https://mm.example.com/hooks/***");
    SHOWN("https://acme.webhook.office.com/webhookb2/"
          "3f8a1c2e-1111-2222-3333-444455556666@aaaabbbb-cccc-dddd-eeee-"
          "ffff00001111/IncomingWebhook/0123456789abcdef0123456789abcdef/"
          "3f8a1c2e-1111-2222-3333-444455556666",
          "https://acme.webhook.office.com/webhookb2/***/IncomingWebhook/"
          "***/***");
    SHOWN("http://127.0.0.1:8080/hook/", "http://127.0.0.1:8080/hook/");
    /* 16 token characters are a token, 15 are a word. */
    SHOWN("https://h.example.com/abcdefghijklmnop/abcdefghijklmno",
          "https://h.example.com/***/abcdefghijklmno");
    SHOWN("smtp://mailer:pa55word@mail.example.com:587",
          "smtp://mailer:***@mail.example.com:587");
    CHECK(streq(charon_alert_redact(pool, NULL), ""), "NULL shown as \"\"");
}

static void test_webhook(void)
{
    charon_channel_t *c;
    static const char *const formats[] = {"json",   "slack",     "mattermost",
                                          "teams",  "discord",   "ntfy",
                                          "gotify", "pagerduty", "opsgenie"};
    int i;

    c = OK_LINE("ops https://hooks.example.com/x");
    CHECK(c && streq(c->name, "ops") && c->kind == CHARON_CHANNEL_WEBHOOK
              && c->format == CHARON_FORMAT_JSON
              && streq(c->target, "https://hooks.example.com/x")
              && streq(c->url, c->target) && streq(c->shown, c->target)
              && c->events == CHARON_EVENTS_ALL && c->timeout_ms == 10000
              && c->connect_timeout_ms == 5000 && c->backoff == 10
              && c->give_up == 86400 && c->crons && c->crons->nelts == 0
              && c->token == NULL && c->smtp == NULL && c->smtp_shown == NULL,
          "a webhook's defaults");
    CHECK(c && c->sendmail == NULL && c->from == NULL && c->rcpts
              && c->rcpts->nelts == 0,
          "no mail settings on a webhook");
    for (i = 0; i < (int)N_ELEMS(formats); i++) {
        const char *l =
            apr_psprintf(pool, "n%d https://h.example.com/ format=%s%s", i,
                         formats[i], i >= 7 ? " token=k" : "");
        c = OK_LINE(l);
        CHECK(c && (int)c->format == i
                  && streq(charon_format_name(c->format), formats[i]),
              "format=%s", formats[i]);
    }
    CHECK(charon_format_name((charon_format_e)9) == NULL, "no tenth format");

    c = OK_LINE("pd https://events.pagerduty.com/v2/enqueue format=pagerduty "
                "token=R0UT1NGKEYR0UT1NGKEY0123456789ab");
    CHECK(c && streq(c->token, "R0UT1NGKEYR0UT1NGKEY0123456789ab")
              && !strstr(c->shown, "R0UT1NG"),
          "the token is kept, not shown");
    c = OK_LINE("a.b_c-9 HTTPS://h.example.com:8443 timeout=2m "
                "connect_timeout=60 backoff=30 give_up=2h");
    CHECK(c && c->timeout_ms == 120000 && c->connect_timeout_ms == 60000
              && c->backoff == 30 && c->give_up == 7200,
          "durations");
    c = OK_LINE("v6 http://[::1]:8080/hook");
    CHECK(c != NULL, "an IPv6 literal");
    c = OK_LINE("g https://gotify.example.com/message format=gotify");
    CHECK(c && c->token == NULL, "gotify may carry its token in the URL");
    c = OK_LINE("n https://ntfy.sh/x format=ntfy token=tk_abc");
    CHECK(c && streq(c->token, "tk_abc"), "ntfy takes a token");
}

static void test_mail_exec_file(void)
{
    charon_channel_t *c;

    c = OK_LINE("mail mailto:ops@example.org,Jane.Doe+cron@mail.example.net");
    CHECK(c && c->kind == CHARON_CHANNEL_MAIL && c->rcpts->nelts == 2
              && streq(APR_ARRAY_IDX(c->rcpts, 0, char *), "ops@example.org")
              && streq(APR_ARRAY_IDX(c->rcpts, 1, char *),
                       "Jane.Doe+cron@mail.example.net")
              && streq(c->shown, "mailto:ops@example.org,"
                                 "Jane.Doe+cron@mail.example.net")
              && c->smtp == NULL && c->from
              && strncmp(c->from, "charon@", 7) == 0,
          "mailto: two recipients, from charon@%s",
          c && c->from ? c->from : "?");
    c = OK_LINE("mail mailto:root@localhost "
                "smtp=smtps://cron:pa55word@mail.example.com:465 "
                "from=charon@example.com");
    CHECK(c && streq(c->smtp, "smtps://cron:pa55word@mail.example.com:465")
              && streq(c->smtp_shown, "smtps://cron:***@mail.example.com:465")
              && streq(c->from, "charon@example.com")
              && streq(c->shown, "mailto:root@localhost"),
          "smtp= and from=");

    c = OK_LINE("mail mailto:root@localhost sendmail=/usr/lib/sendmail");
    CHECK(c && streq(c->sendmail, "/usr/lib/sendmail") && c->smtp == NULL,
          "sendmail=");
    c = OK_LINE("run exec:/usr/local/bin/page-me timeout=30");
    CHECK(c && c->kind == CHARON_CHANNEL_EXEC
              && streq(c->target, "/usr/local/bin/page-me")
              && streq(c->shown, "exec:/usr/local/bin/page-me")
              && c->timeout_ms == 30000,
          "exec:");
    c = OK_LINE("log file:/var/log/charon/alerts.jsonl");
    CHECK(c && c->kind == CHARON_CHANNEL_FILE
              && streq(c->target, "/var/log/charon/alerts.jsonl"),
          "file:");
    c = OK_LINE("log file:///tmp/alerts.jsonl");
    CHECK(c && streq(c->target, "/tmp/alerts.jsonl")
              && streq(c->shown, "file:/tmp/alerts.jsonl"),
          "file:///path");
}

static void test_refused(void)
{
    /* Names. */
    BAD_LINE("https://S3CR3T.example.com/hook ops", "name");
    BAD_LINE("a/b https://h.example.com/", "name");
    BAD_LINE(
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
        "https://h.example.com/",
        "name");
    CHECK(line("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
               "aa "
               "https://h.example.com/",
               NULL)
              != NULL,
          "a name of 64");
    BAD_LINE("ops", "a name, a URL");
    /* URLs. */
    BAD_LINE("ops ftp://u:S3CR3T@h.example.com/", "http://");
    BAD_LINE("ops hooks.example.com/S3CR3T", "http://");
    BAD_LINE("ops https:///S3CR3T", "no host");
    BAD_LINE("ops https://u:S3CR3T@/x", "no host");
    BAD_LINE("ops https://h.example.com:0/S3CR3T", "port");
    BAD_LINE("ops https://h.example.com:99999/S3CR3T", "port");
    BAD_LINE("ops https://h.exa$mple.com/S3CR3T", "host name");
    BAD_LINE("ops \"https://h.example.com/S3CR3T x\"", "blank");
    BAD_LINE("ops \"https://h.example.com/S3CR3T\r\nX: y\"", "blank");
    BAD_LINE("ops mailto:a@example.com?cc=S3CR3T@example.com", "?query");
    BAD_LINE("ops mailto:S3CR3T", "mail address");
    BAD_LINE("ops mailto:S3CR3T@", "mail address");
    BAD_LINE("ops mailto:@S3CR3T.example.com", "mail address");
    BAD_LINE("ops mailto:S3CR3T..x@example.com", "mail address");
    BAD_LINE("ops mailto:x@-S3CR3T.example.com", "mail address");
    BAD_LINE("ops mailto:x@S3CR3T.example.com-", "mail address");
    BAD_LINE("ops \"mailto:x@example.com\r\nBcc: S3CR3T@example.com\"",
             "mail address");
    BAD_LINE("ops mailto:a@example.com,,b@example.com", "addresses");
    BAD_LINE("ops exec:bin/S3CR3T", "absolute");
    BAD_LINE("ops exec:/", "absolute");
    BAD_LINE("ops file://S3CR3T.example.com/x", "absolute");
    /* Options. */
    BAD_LINE("ops https://h.example.com/ tokn=S3CR3T",
             "unknown option 'tokn'");
    BAD_LINE("ops https://h.example.com/ S3CR3T", "OPTION=VALUE");
    BAD_LINE("ops https://h.example.com/ \"S3CR3T x=1\"", "OPTION=VALUE");
    BAD_LINE("ops https://h.example.com/ format=S3CR3T", "format=");
    BAD_LINE("ops https://h.example.com/ format=slack format=json", "twice");
    BAD_LINE("ops https://h.example.com/ events=S3CR3T", "events=");
    BAD_LINE("ops https://h.example.com/ events=down,,up", "events=");
    BAD_LINE("ops https://h.example.com/ events=-realert", "no event");
    BAD_LINE("ops https://h.example.com/ crons=", "crons=");
    BAD_LINE("ops https://h.example.com/ crons=a,", "crons=");
    BAD_LINE("ops https://h.example.com/ timeout=S3CR3T", "timeout=");
    BAD_LINE("ops https://h.example.com/ timeout=0", "timeout=");
    BAD_LINE("ops https://h.example.com/ timeout=301", "timeout=");
    BAD_LINE("ops https://h.example.com/ connect_timeout=61",
             "connect_timeout=");
    BAD_LINE("ops https://h.example.com/ backoff=2h", "backoff=");
    BAD_LINE("ops https://h.example.com/ give_up=0", "give_up=");
    BAD_LINE("ops https://hooks.example.com/x format=slack token=S3CR3T",
             "token=");
    BAD_LINE("ops https://events.example.com/ format=pagerduty", "token=");
    BAD_LINE("ops https://api.example.com/ format=opsgenie", "token=");
    BAD_LINE("ops https://api.example.com/ format=opsgenie \"token=S3 CR3T\"",
             "printable");
    BAD_LINE("ops https://api.example.com/ format=json token=", "empty");
    BAD_LINE("ops mailto:a@example.com format=slack", "format=");
    BAD_LINE("ops mailto:a@example.com token=S3CR3T", "token=");
    BAD_LINE("ops https://h.example.com/ smtp=smtp://u:S3CR3T@h:25", "smtp=");
    BAD_LINE("ops exec:/bin/true from=a@example.com", "from=");
    BAD_LINE("ops mailto:a@example.com smtp=http://u:S3CR3T@h.example.com:25",
             "smtp=");
    BAD_LINE("ops mailto:a@example.com smtp=smtp://u:S3CR3T@h.example.com",
             "port");
    BAD_LINE("ops mailto:a@example.com smtp=smtp://h.example.com:25?S3CR3T",
             "query");
    BAD_LINE("ops mailto:a@example.com from=S3CR3T", "from=");
    BAD_LINE("ops mailto:a@example.com sendmail=S3CR3T", "sendmail=");
    BAD_LINE("ops mailto:a@example.com \"sendmail=/usr/S3CR3T\tx\"",
             "sendmail=");
    BAD_LINE("ops https://h.example.com/ sendmail=/usr/sbin/sendmail",
             "sendmail=");
    BAD_LINE("ops mailto:a@example.com sendmail=/usr/sbin/sendmail "
             "smtp=smtp://u:S3CR3T@h.example.com:25",
             "give one");
    /* Quotes. */
    BAD_LINE("ops \"https://h.example.com/S3CR3T", "quote");
}

static void test_events_option(void)
{
    static const struct {
        const char *value;
        unsigned bits;
    } cases[] = {
        {"down", 1u << CHARON_EVENT_DOWN | 1u << CHARON_EVENT_REALERT},
        {"down,-realert", 1u << CHARON_EVENT_DOWN},
        {"up", 1u << CHARON_EVENT_UP},
        {"realert", 1u << CHARON_EVENT_REALERT},
        {"down,up", CHARON_EVENTS_ALL & ~(1u << CHARON_EVENT_TEST)},
        {"test", 1u << CHARON_EVENT_TEST},
        {"all", CHARON_EVENTS_ALL},
        {"all,-test", CHARON_EVENTS_ALL & ~(1u << CHARON_EVENT_TEST)},
        {"-realert,down,up", 1u << CHARON_EVENT_DOWN | 1u << CHARON_EVENT_UP},
    };
    int i;

    for (i = 0; i < (int)N_ELEMS(cases); i++) {
        charon_channel_t *c = OK_LINE(apr_pstrcat(
            pool, "e https://h.example.com/ events=", cases[i].value, NULL));
        CHECK(c && c->events == cases[i].bits, "events=%s: %x", cases[i].value,
              c ? c->events : 0);
    }
}

static void test_wants(void)
{
    charon_channel_t *c =
        OK_LINE("w https://h.example.com/ crons=backup-*,db-? events=down");
    charon_channel_t *all = OK_LINE("all https://h.example.com/");

    if (c == NULL || all == NULL)
        return;
    CHECK(c->crons->nelts == 2, "two patterns");
    CHECK(charon_channel_wants(c, "backup-db", CHARON_EVENT_DOWN),
          "backup-* matches");
    CHECK(charon_channel_wants(c, "db-1", CHARON_EVENT_REALERT),
          "db-? matches, down brings realert");
    CHECK(!charon_channel_wants(c, "db-12", CHARON_EVENT_DOWN),
          "db-? is one character");
    CHECK(!charon_channel_wants(c, "nightly", CHARON_EVENT_DOWN),
          "no pattern matches");
    CHECK(!charon_channel_wants(c, "backup-db", CHARON_EVENT_UP),
          "up not asked for");
    CHECK(!charon_channel_wants(c, "backup-db", CHARON_EVENT_TEST),
          "test not asked for");
    CHECK(charon_channel_wants(all, "a/b", CHARON_EVENT_UP)
              && charon_channel_wants(all, "x", CHARON_EVENT_TEST),
          "no crons=: every cron");
    CHECK(!charon_channel_wants(all, "x", CHARON_EVENT_NONE)
              && !charon_channel_wants(all, "x", (charon_event_e)7),
          "no event, no send");
    CHECK(charon_channel_wants(all, NULL, CHARON_EVENT_TEST)
              && !charon_channel_wants(all, NULL, CHARON_EVENT_DOWN),
          "a channel's own test names no cron");
}

static void test_parse_line(void)
{
    charon_channel_t *c = NULL;
    const char *err = NULL;

    CHECK(charon_channel_parse_line(pool, "", &c, &err) == 0
              && charon_channel_parse_line(pool, "  \t \r\n", &c, &err) == 0
              && charon_channel_parse_line(pool, "# ops https://h/", &c, &err)
                     == 0
              && charon_channel_parse_line(pool, "   #x", &c, &err) == 0,
          "blank and # lines");
    BAD_LINE("  ops\t'https://h.example.com/a b' \"crons=nightly x,db\"  ",
             "blank");
    c = OK_LINE("ops 'https://h.example.com/ab' \"crons=nightly x,d\\\"b\" "
                "'events=up'");
    CHECK(c && streq(c->url, "https://h.example.com/ab")
              && c->crons->nelts == 2
              && streq(APR_ARRAY_IDX(c->crons, 0, char *), "nightly x")
              && streq(APR_ARRAY_IDX(c->crons, 1, char *), "d\"b")
              && c->events == 1u << CHARON_EVENT_UP,
          "quotes and escapes as httpd reads them");
    c = OK_LINE("ops https://h.example.com/ \"crons=a\"events=up");
    CHECK(c && c->crons->nelts == 1 && c->events == 1u << CHARON_EVENT_UP,
          "a word ends at its closing quote");
    c = OK_LINE("ops https://h.example.com/ crons=a\\\\b");
    CHECK(c && streq(APR_ARRAY_IDX(c->crons, 0, char *), "a\\b"),
          "\\\\ outside quotes is one backslash");
    c = OK_LINE("ops https://h.example.com/ 'crons=it\\'s'");
    CHECK(c && streq(APR_ARRAY_IDX(c->crons, 0, char *), "it's"),
          "\\' inside single quotes");
}

static void test_backoff(void)
{
    static const struct {
        int attempts;
        int64_t d;
    } cases[] = {{1, 10},   {2, 20},    {3, 40},      {4, 80},
                 {9, 2560}, {10, 3600}, {1000, 3600}, {0, 10},
                 {-5, 10},  {31, 3600}, {64, 3600}};
    int i, k;

    for (i = 0; i < (int)N_ELEMS(cases); i++) {
        int64_t d = cases[i].d;
        int64_t lo = charon_alert_backoff(cases[i].attempts, 0);
        int64_t hi = charon_alert_backoff(cases[i].attempts, 0xFFFFFFFFu);
        int inside = 1;

        CHECK(lo == d / 2 && hi == d,
              "attempt %d: [%lld, %lld], not [%lld, %lld]", cases[i].attempts,
              (long long)lo, (long long)hi, (long long)(d / 2), (long long)d);
        for (k = 0; k < 200; k++) {
            int64_t v = charon_alert_backoff(cases[i].attempts,
                                             (uint32_t)(rng() >> 32));
            inside &= v >= d / 2 && v <= d;
        }
        CHECK(inside, "attempt %d: jitter within [d/2, d]", cases[i].attempts);
    }
    CHECK(charon_alert_backoff(1, 0x80000000u) == 8, "the middle of [5, 10]");
    CHECK(charon_alert_backoff_from(60, 1, 0) == 30
              && charon_alert_backoff_from(60, 2, 0xFFFFFFFFu) == 120
              && charon_alert_backoff_from(7200, 1, 0xFFFFFFFFu) == 3600,
          "backoff= first delays");
    CHECK(charon_alert_backoff_from(1, 1, 0) == 1
              && charon_alert_backoff_from(0, 1, 0xFFFFFFFFu) == 1,
          "never immediate");
}

void test_alert_channel(void)
{
    test_redact();
    test_webhook();
    test_mail_exec_file();
    test_refused();
    test_events_option();
    test_wants();
    test_parse_line();
    test_backoff();
}
