/*
 * fuzz_alert_line.c: one CharonAlert line: charon_channel_parse_line
 * (src/lib/alert_line.c), charon_channel_parse (alert_channel.c), the URL
 * checks and charon_alert_redact (alert_url.c), charon_channel_wants.
 *
 * Input: text, read as a C string (up to its first NUL byte): the line,
 * as in CharonAlertFile.  Checked against oracles written here (most
 * in alert_line_ref.h):
 *   - the words: the line split again as httpd's ap_getword_conf splits a
 *     directive's arguments (written from httpd's code, not from
 *     alert_line.c); charon_channel_parse on those words gives what the
 *     line gave: the same result, the same error, the same channel.  A
 *     quote left open is refused;
 *   - 0 exactly for a blank or '#' line; -1 with *err non-NULL and
 *     printable ASCII; 1 with a channel whose name is the first word
 *     (1 to 64 of [A-Za-z0-9_.-]) and url the second; the kind the
 *     scheme's; a webhook's target is its URL and shown is
 *     charon_alert_redact(url); a mail channel's recipients are the
 *     addresses after mailto:, shown as written; exec:/file: a path
 *     without control characters; events a non-empty subset of
 *     CHARON_EVENTS_ALL; timeouts, backoff, give_up within their bounds;
 *     a token only on a webhook of a format that takes one, and always
 *     for pagerduty and opsgenie; smtp_shown is smtp= redacted;
 *   - secrets: the token= value, the password of the URL and of smtp=
 *     (http(s):// and smtp(s):// URLs, userinfo before the authority's
 *     last '@', after its first ':'), their query values and fragment:
 *       (1) with every letter and digit of the secrets (and of crons=,
 *           from=, sendmail=, unknown options' values and words that are
 *           not OPTION=VALUE) changed into another of its class, the
 *           words give the same result, the same error and the same
 *           shown and smtp_shown: none of them depends on a secret;
 *       (2) no secret of 4 or more bytes (without '*') is in shown or
 *           smtp_shown unless the URL holds it outside the secrets too
 *           (shown is the URL with parts replaced by "***": any piece of
 *           it without '*' is a piece of the URL that is shown);
 *   - *err quotes no value: no 25-byte piece without a blank of the URL
 *     or of a word after it (its value, for OPTION=VALUE) is in *err,
 *     unless it is in what an error may quote: the name ('NAME':) and
 *     the option names ('OPTION', OPTION=).  The fixed text of the
 *     errors has no 25 bytes without a blank, so a piece found elsewhere
 *     was copied from the line;
 *   - which URLs are taken: the URL word alone (and each smtp= alone
 *     on a mail channel) is taken exactly when oracles written here from
 *     the rules take it: mailto: addresses (dot-atom@LDH labels, no
 *     ?query), exec:/file: absolute paths without controls, http(s):// and
 *     smtp(s):// with no blank or control, a host name or [IPv6], a port
 *     1 to 65535 (required for smtp=, which takes no query);
 *   - charon_channel_wants: an event outside events= is not wanted; a
 *     cron's event is wanted when crons= is empty or a pattern matches
 *     (apr_fnmatch); no cron (NULL) only for a test.
 */
#include "fuzz.h"
#include "alert_line_ref.h"

#define WINDOW    25 /* bytes of a value that *err may not hold */
#define MIN_SHOWN 4  /* bytes of a secret looked for in shown */

/* The URL word alone, and each smtp= word alone on a mail channel: taken
 * exactly when the oracles above take them. */
static void check_urls(const char **w, int n)
{
    const char *argv[3];
    charon_channel_t *c;
    const char *err;
    int i, rc;

    if (n < 2)
        return;
    argv[0] = "n";
    argv[1] = w[1];
    rc = charon_channel_parse(fuzz_pool, 2, argv, &c, &err);
    FUZZ_CHECK((rc == 0) == ref_url_ok(w[1]), "the URL \"%s\" is %s", w[1],
               rc == 0 ? "taken" : err);
    argv[1] = "mailto:a@example.com";
    for (i = 2; i < n; i++) {
        if (strncmp(w[i], "smtp=", 5) != 0)
            continue;
        argv[2] = w[i];
        rc = charon_channel_parse(fuzz_pool, 3, argv, &c, &err);
        FUZZ_CHECK((rc == 0) == ref_smtp_ok(w[i] + 5), "\"%s\" is %s", w[i],
                   rc == 0 ? "taken" : err);
    }
}

/* ---- checks ------------------------------------------------------------ */

static int plain(const char *s, size_t max)
{
    size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                         "0123456789_.-");
    return n >= 1 && n <= max && s[n] == '\0';
}

static int channels_equal(const charon_channel_t *a, const charon_channel_t *b)
{
    int i;

    if (!fuzz_str_eq(a->name, b->name) || a->kind != b->kind
        || !fuzz_str_eq(a->url, b->url) || !fuzz_str_eq(a->shown, b->shown)
        || a->format != b->format || !fuzz_str_eq(a->target, b->target)
        || !fuzz_str_eq(a->smtp, b->smtp) || !fuzz_str_eq(a->from, b->from)
        || !fuzz_str_eq(a->sendmail, b->sendmail)
        || !fuzz_str_eq(a->token, b->token) || a->events != b->events
        || a->timeout_ms != b->timeout_ms
        || a->connect_timeout_ms != b->connect_timeout_ms
        || a->backoff != b->backoff || a->give_up != b->give_up
        || !fuzz_str_eq(a->smtp_shown, b->smtp_shown)
        || a->rcpts->nelts != b->rcpts->nelts
        || a->crons->nelts != b->crons->nelts)
        return 0;
    for (i = 0; i < a->rcpts->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(a->rcpts, i, const char *),
                   APR_ARRAY_IDX(b->rcpts, i, const char *)))
            return 0;
    for (i = 0; i < a->crons->nelts; i++)
        if (strcmp(APR_ARRAY_IDX(a->crons, i, const char *),
                   APR_ARRAY_IDX(b->crons, i, const char *)))
            return 0;
    return 1;
}

/* A secret s (n bytes) in `shown`: only where the masked URL shows it. */
static void check_not_shown(const char *shown, const char *masked,
                            const char *s, size_t n, const char *what)
{
    char *needle;

    if (shown == NULL || n < MIN_SHOWN || memchr(s, '*', n) != NULL)
        return;
    needle = apr_pstrmemdup(fuzz_pool, s, n);
    FUZZ_CHECK(strstr(shown, needle) == NULL || strstr(masked, needle) != NULL,
               "%s \"%s\" shown in \"%s\"", what, needle, shown);
}

static void check_secrets_not_shown(const charon_channel_t *c)
{
    span_t sp[MAX_SPANS];
    const char *masked = mask_url(c->url, 0);
    int ns = url_secrets(c->url, 0, sp), i;

    for (i = 0; i < ns; i++)
        check_not_shown(c->shown, masked, c->url + sp[i].off, sp[i].len,
                        "a URL secret");
    if (c->token)
        check_not_shown(c->shown, c->url, c->token, strlen(c->token),
                        "the token");
    if (c->smtp) {
        masked = mask_url(c->smtp, 1);
        ns = url_secrets(c->smtp, 1, sp);
        for (i = 0; i < ns; i++)
            check_not_shown(c->smtp_shown, masked, c->smtp + sp[i].off,
                            sp[i].len, "an smtp= secret");
    }
}

/* No 25-byte piece of a value (without a blank) in err, outside what err
 * may quote. */
static void check_err_quotes_no_value(const char *err, const char **w, int n)
{
    const char *quotable = "";
    int i;

    if (n > 0)
        quotable = apr_pstrcat(fuzz_pool, "'", w[0], "':", NULL);
    for (i = 2; i < n; i++) {
        const char *k = key_of(w[i]);
        quotable =
            apr_pstrcat(fuzz_pool, quotable, "\n'", k, "'\n", k, "=", NULL);
    }
    for (i = 1; i < n; i++) {
        const char *v = i == 1 ? w[1] : value_of(w[i]);
        size_t len = strlen(v), j, k;

        for (j = 0; j + WINDOW <= len; j++) {
            char *piece = apr_pstrmemdup(fuzz_pool, v + j, WINDOW);

            for (k = 0; k < WINDOW && !ref_space((unsigned char)piece[k]); k++)
                ;
            if (k < WINDOW)
                continue;
            FUZZ_CHECK(strstr(err, piece) == NULL
                           || strstr(quotable, piece) != NULL,
                       "the error quotes \"%s\": %s", piece, err);
        }
    }
}

static void check_channel(const charon_channel_t *c, const char **w, int n)
{
    static const char *const slugs[] = {"backup-db", "db-1", "nightly", "a/b",
                                        ""};
    int e, i, k;

    FUZZ_CHECK(n >= 2, "a channel from %d words", n);
    FUZZ_CHECK(plain(c->name, 64) && strcmp(c->name, w[0]) == 0, "name \"%s\"",
               c->name);
    FUZZ_CHECK(strcmp(c->url, w[1]) == 0, "url \"%s\" from \"%s\"", c->url,
               w[1]);
    FUZZ_CHECK(c->shown != NULL && *c->shown, "shown");
    switch (c->kind) {
    case CHARON_CHANNEL_WEBHOOK:
        FUZZ_CHECK(strncasecmp(c->url, "http://", 7) == 0
                       || strncasecmp(c->url, "https://", 8) == 0,
                   "a webhook at \"%s\"", c->url);
        FUZZ_CHECK(strcmp(c->target, c->url) == 0, "webhook target");
        FUZZ_CHECK(strcmp(c->shown, charon_alert_redact(fuzz_pool, c->url))
                       == 0,
                   "shown \"%s\"", c->shown);
        FUZZ_CHECK(c->rcpts->nelts == 0, "recipients on a webhook");
        break;
    case CHARON_CHANNEL_MAIL:
        FUZZ_CHECK(strncasecmp(c->url, "mailto:", 7) == 0, "mail at \"%s\"",
                   c->url);
        FUZZ_CHECK(c->rcpts->nelts >= 1 && c->from != NULL, "mail settings");
        FUZZ_CHECK(strcmp(c->shown + 7, c->url + 7) == 0, "mail shown \"%s\"",
                   c->shown);
        {
            const char *all = "";
            for (i = 0; i < c->rcpts->nelts; i++)
                all = apr_pstrcat(fuzz_pool, all, i ? "," : "",
                                  APR_ARRAY_IDX(c->rcpts, i, const char *),
                                  NULL);
            FUZZ_CHECK(strcmp(all, c->url + 7) == 0, "recipients \"%s\"", all);
        }
        break;
    case CHARON_CHANNEL_EXEC:
    case CHARON_CHANNEL_FILE:
        FUZZ_CHECK(
            strncasecmp(c->url,
                        c->kind == CHARON_CHANNEL_EXEC ? "exec:" : "file:", 5)
                == 0,
            "a path channel at \"%s\"", c->url);
        FUZZ_CHECK(c->target[0] == '/' && c->target[1] != '/'
                       && c->target[1] != '\0',
                   "path \"%s\"", c->target);
        for (k = 0; c->target[k]; k++)
            FUZZ_CHECK((unsigned char)c->target[k] >= 0x20
                           && c->target[k] != 0x7F,
                       "a control character in the path");
        FUZZ_CHECK(strcmp(c->shown + 5, c->target) == 0, "path shown \"%s\"",
                   c->shown);
        break;
    default: FUZZ_CHECK(0, "kind %d", (int)c->kind);
    }
    FUZZ_CHECK(c->format == CHARON_FORMAT_JSON
                   || c->kind == CHARON_CHANNEL_WEBHOOK,
               "format= off a webhook");
    FUZZ_CHECK(charon_format_name(c->format) != NULL, "format %d",
               (int)c->format);
    FUZZ_CHECK(c->events != 0 && (c->events & ~CHARON_EVENTS_ALL) == 0,
               "events %x", c->events);
    FUZZ_CHECK(c->timeout_ms >= 1000 && c->timeout_ms <= 300000
                   && c->timeout_ms % 1000 == 0,
               "timeout %d", c->timeout_ms);
    FUZZ_CHECK(c->connect_timeout_ms >= 1000 && c->connect_timeout_ms <= 60000,
               "connect_timeout %d", c->connect_timeout_ms);
    FUZZ_CHECK(c->backoff >= 1 && c->backoff <= 3600, "backoff %d",
               c->backoff);
    FUZZ_CHECK(c->give_up >= 1 && c->give_up <= 7 * 86400, "give_up %d",
               c->give_up);
    if (c->token != NULL) {
        FUZZ_CHECK(c->kind == CHARON_CHANNEL_WEBHOOK && *c->token,
                   "a token off a webhook");
        for (k = 0; c->token[k]; k++)
            FUZZ_CHECK((unsigned char)c->token[k] > 0x20
                           && (unsigned char)c->token[k] < 0x7F,
                       "a blank or a control in the token");
        FUZZ_CHECK(c->format == CHARON_FORMAT_JSON
                       || c->format == CHARON_FORMAT_NTFY
                       || c->format == CHARON_FORMAT_GOTIFY
                       || c->format == CHARON_FORMAT_PAGERDUTY
                       || c->format == CHARON_FORMAT_OPSGENIE,
                   "a token for format %d", (int)c->format);
    }
    FUZZ_CHECK(c->token != NULL
                   || (c->format != CHARON_FORMAT_PAGERDUTY
                       && c->format != CHARON_FORMAT_OPSGENIE),
               "pagerduty or opsgenie without a token");
    FUZZ_CHECK((c->smtp == NULL) == (c->smtp_shown == NULL), "smtp_shown");
    if (c->smtp != NULL) {
        FUZZ_CHECK(c->kind == CHARON_CHANNEL_MAIL && c->sendmail == NULL,
                   "smtp= off mail, or with sendmail=");
        FUZZ_CHECK(
            strcmp(c->smtp_shown, charon_alert_redact(fuzz_pool, c->smtp))
                == 0,
            "smtp shown \"%s\"", c->smtp_shown);
    }
    if (c->sendmail != NULL)
        FUZZ_CHECK(c->kind == CHARON_CHANNEL_MAIL && c->sendmail[0] == '/',
                   "sendmail= \"%s\"", c->sendmail);
    for (i = 0; i < c->crons->nelts; i++)
        FUZZ_CHECK(*APR_ARRAY_IDX(c->crons, i, const char *), "empty pattern");
    check_secrets_not_shown(c);

    /* Which events and crons it wants. */
    for (e = CHARON_EVENT_NONE; e <= CHARON_EVENT_TEST + 1; e++) {
        int on = e >= CHARON_EVENT_DOWN && e <= CHARON_EVENT_TEST
                 && (c->events & (1u << e));

        FUZZ_CHECK(charon_channel_wants(c, NULL, (charon_event_e)e)
                       == (on && e == CHARON_EVENT_TEST),
                   "no cron, event %d", e);
        for (i = 0; i < (int)(sizeof(slugs) / sizeof(slugs[0])); i++) {
            int want = 0;

            if (on) {
                want = c->crons->nelts == 0;
                for (k = 0; k < c->crons->nelts && !want; k++)
                    want =
                        apr_fnmatch(APR_ARRAY_IDX(c->crons, k, const char *),
                                    slugs[i], 0)
                        == APR_SUCCESS;
            }
            FUZZ_CHECK(charon_channel_wants(c, slugs[i], (charon_event_e)e)
                           == want,
                       "cron %s, event %d", slugs[i], e);
        }
    }
}

static void check_line(const char *line)
{
    apr_array_header_t *words = apr_array_make(fuzz_pool, 8, sizeof(char *));
    const char *s = line + strspn(line, " \t\r\n\f\v");
    const char **w, **rw, *err = NULL, *err2 = NULL, *err3 = NULL;
    charon_channel_t *c = NULL, *c2 = NULL, *c3 = NULL;
    int rc, rc2, rc3, closed, n;

    rc = charon_channel_parse_line(fuzz_pool, line, &c, &err);
    if (*s == '\0' || *s == '#') {
        FUZZ_CHECK(rc == 0, "a blank or # line gave %d", rc);
        return;
    }
    FUZZ_CHECK(rc == 1 || rc == -1, "result %d", rc);
    FUZZ_CHECK(rc == 1 ? c != NULL : err != NULL, "no %s",
               rc == 1 ? "channel" : "error");
    if (rc == -1)
        FUZZ_CHECK(fuzz_printable(err), "the error is not printable ASCII");

    closed = ref_words(line, words);
    w = (const char **)words->elts;
    n = words->nelts;
    if (!closed) {
        FUZZ_CHECK(rc == -1, "a quote left open, and yet a channel");
        return;
    }
    check_urls(w, n);
    rc2 = charon_channel_parse(fuzz_pool, n, w, &c2, &err2);
    FUZZ_CHECK((rc == 1 && rc2 == 0) || (rc == -1 && rc2 == -1),
               "the line gave %d, its words %d (%s)", rc, rc2,
               rc2 ? err2 : "a channel");
    if (rc == -1) {
        FUZZ_CHECK(strcmp(err, err2) == 0, "the line: %s; its words: %s", err,
                   err2);
        check_err_quotes_no_value(err, w, n);
    }
    else {
        FUZZ_CHECK(channels_equal(c, c2),
                   "the line and its words give other channels");
        check_channel(c, w, n);
    }

    /* The same with the secrets changed: the same answer. */
    rw = rotated_words(w, n);
    rc3 = charon_channel_parse(fuzz_pool, n, rw, &c3, &err3);
    FUZZ_CHECK(rc3 == rc2, "secrets changed: %d, not %d (%s)", rc3, rc2,
               rc3 ? err3 : err2);
    if (rc3 == -1)
        FUZZ_CHECK(strcmp(err2, err3) == 0,
                   "secrets changed, the error changed: %s / %s", err2, err3);
    else
        FUZZ_CHECK(strcmp(c2->shown, c3->shown) == 0
                       && fuzz_str_eq(c2->smtp_shown, c3->smtp_shown),
                   "secrets changed, shown changed: %s / %s", c2->shown,
                   c3->shown);
}

FUZZ_INITIALIZE_POOL_ONLY()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_str(data, size);

    fuzz_init();
    check_line(in);
    apr_pool_clear(fuzz_pool);
    free(in);
    return 0;
}
