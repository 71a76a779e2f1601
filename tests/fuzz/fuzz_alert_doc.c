/*
 * fuzz_alert_doc.c: the alert event document read back from the store,
 * charon_alert_document_parse, and written again, charon_alert_document
 * (src/lib/alert_payload.c, with alert_text.c); then every payload made
 * of what was read (alert_chat.c, alert_presets.c, alert_mail.c).
 *
 * Input: bytes, read as a C string (up to the first NUL byte): what
 * charon_alert_event.document might hold.  Checked:
 *   - nothing crashes, whatever the bytes;
 *   - a document that parses (d1) is written again (s1): s1 is valid
 *     UTF-8 without a control byte (so one line of a file: channel), and
 *     parses (d2); d2 is d1 as the writer keeps it: the same event, time,
 *     muted, cron id, runs, outcomes, execution ids (> 0; none else),
 *     times (null for none), durations to the millisecond (none when
 *     negative), the last CHARON_ALERT_MAX_MSGS messages of each run; its
 *     strings are d1's cleaned (charon_alert_clean, cut to the writer's
 *     bounds), a URL "" as none.  When d1 is already in that form, d2 is
 *     d1 exactly;
 *   - written again, d2 gives s1 again: the round trip is a fixed point;
 *   - every format's payload of d1 (charon_alert_payload,
 *     charon_alert_target) is valid UTF-8, and the JSON ones parse as
 *     JSON; the mail (charon_alert_mail) has CRLF lines only, no body
 *     line starting with "." or "From ", no header line over 998 bytes.
 */
#include "fuzz.h"
#include "lib/alert_parts.h" /* charon_alert_clean, _seconds */

/* The writer's bounds (alert_payload.c). */
#define ID_MAX       64
#define TYPE_MAX     16
#define SLUG_MAX     255
#define DOC_NAME_MAX 1000
#define URL_MAX      2000

/* Channels of every format, and a mail channel: built once. */
static apr_pool_t *chan_pool;
static charon_channel_t *channels[10];
static int nchannels;

static const char *const channel_lines[] = {
    "json https://hooks.example.com/charon",
    "slack https://hooks.slack.com/services/T0/B0/XXXXXXXXXXXXXXXXXXXXXXXX "
    "format=slack",
    "mm https://mm.example.com/hooks/xi3ebz7ctbrnbp1d9o7y6gm4kc "
    "format=mattermost",
    "teams https://acme.webhook.office.com/webhookb2/x format=teams",
    "discord https://discord.com/api/webhooks/1/abc format=discord",
    "ntfy https://ntfy.sh/charon format=ntfy token=tk_abc",
    "gotify https://gotify.example.com/message format=gotify token=AbC",
    "pd https://events.pagerduty.com/v2/enqueue format=pagerduty "
    "token=R0UT1NGKEY",
    "og https://api.opsgenie.com/v2/alerts format=opsgenie token=k",
    "mail mailto:ops@example.org,oncall@example.net from=charon@example.com",
};

/* s as the writer keeps a string: cleaned, cut to max. */
static const char *kept(const char *s, size_t max)
{
    return charon_alert_clean(fuzz_pool, s, max, 0);
}

/* A duration as the writer keeps it: to the millisecond, -1 for none. */
static double kept_duration(double secs)
{
    const char *s = charon_alert_seconds(fuzz_pool, secs);
    return s ? strtod(s, NULL) : -1;
}

static int64_t kept_time(int64_t t)
{
    return t >= 0 ? t : -1;
}

/* d2 is d1 as the writer keeps it. */
static void check_kept(const charon_alert_doc_t *d1,
                       const charon_alert_doc_t *d2)
{
    int i, j;

    FUZZ_CHECK(d2->event == d1->event && d2->at == d1->at
                   && d2->muted == d1->muted && d2->cron_id == d1->cron_id
                   && d2->nruns == d1->nruns,
               "the document's head changed");
    FUZZ_CHECK(strcmp(d2->id, kept(d1->id, ID_MAX)) == 0, "id \"%s\"", d2->id);
    FUZZ_CHECK(strcmp(d2->slug, kept(d1->slug, SLUG_MAX)) == 0, "slug \"%s\"",
               d2->slug);
    FUZZ_CHECK(strcmp(d2->name, kept(d1->name, DOC_NAME_MAX)) == 0,
               "name \"%s\"", d2->name);
    if (d1->url == NULL || *d1->url == '\0')
        FUZZ_CHECK(d2->url == NULL, "url \"%s\" from none", d2->url);
    else
        FUZZ_CHECK(d2->url && strcmp(d2->url, kept(d1->url, URL_MAX)) == 0,
                   "url \"%s\"", d2->url ? d2->url : "(none)");
    for (i = 0; i < d1->nruns; i++) {
        const charon_alert_run_t *a = &d1->runs[i], *b = &d2->runs[i];
        int skip = a->nmsgs > CHARON_ALERT_MAX_MSGS
                       ? a->nmsgs - CHARON_ALERT_MAX_MSGS
                       : 0;

        FUZZ_CHECK(b->outcome == a->outcome
                       && b->execution_id
                              == (a->execution_id > 0 ? a->execution_id : 0)
                       && b->started_at == kept_time(a->started_at)
                       && b->ended_at == kept_time(a->ended_at)
                       && b->slot == kept_time(a->slot),
                   "run %d changed", i);
        FUZZ_CHECK(b->duration == kept_duration(a->duration),
                   "run %d: duration %.17g from %.17g", i, b->duration,
                   a->duration);
        FUZZ_CHECK(b->nmsgs == a->nmsgs - skip, "run %d: %d messages of %d", i,
                   b->nmsgs, a->nmsgs);
        for (j = 0; j < b->nmsgs; j++) {
            const charon_alert_msg_t *m = &a->msgs[skip + j], *n = &b->msgs[j];
            FUZZ_CHECK(n->at == m->at, "run %d message %d: at", i, j);
            FUZZ_CHECK(strcmp(n->type, kept(m->type, TYPE_MAX)) == 0,
                       "run %d message %d: type \"%s\"", i, j, n->type);
            FUZZ_CHECK(
                strcmp(n->message, kept(m->message, CHARON_ALERT_MAX_MSG_LEN))
                    == 0,
                "run %d message %d: message \"%s\"", i, j, n->message);
        }
    }
}

/* 1 when d1 is in the writer's form already (it came back as it was). */
static int canonical(const charon_alert_doc_t *d)
{
    int i, j;

    if (strcmp(d->id, kept(d->id, ID_MAX))
        || strcmp(d->slug, kept(d->slug, SLUG_MAX))
        || strcmp(d->name, kept(d->name, DOC_NAME_MAX))
        || (d->url && (!*d->url || strcmp(d->url, kept(d->url, URL_MAX)))))
        return 0;
    for (i = 0; i < d->nruns; i++) {
        const charon_alert_run_t *r = &d->runs[i];

        if (r->nmsgs > CHARON_ALERT_MAX_MSGS || r->execution_id < 0
            || r->duration != kept_duration(r->duration) || r->started_at < -1
            || r->ended_at < -1 || r->slot < -1)
            return 0;
        for (j = 0; j < r->nmsgs; j++)
            if (strcmp(r->msgs[j].type, kept(r->msgs[j].type, TYPE_MAX))
                || strcmp(r->msgs[j].message,
                          kept(r->msgs[j].message, CHARON_ALERT_MAX_MSG_LEN)))
                return 0;
    }
    return 1;
}

/* The same document, field by field (d2 against d3). */
static void check_same(const charon_alert_doc_t *a,
                       const charon_alert_doc_t *b)
{
    int i, j;

    FUZZ_CHECK(!strcmp(a->id, b->id) && a->event == b->event && a->at == b->at
                   && a->muted == b->muted && a->cron_id == b->cron_id
                   && !strcmp(a->slug, b->slug) && !strcmp(a->name, b->name)
                   && fuzz_str_eq(a->url, b->url) && a->nruns == b->nruns,
               "not the same document's head");
    for (i = 0; i < a->nruns; i++) {
        const charon_alert_run_t *r = &a->runs[i], *s = &b->runs[i];

        FUZZ_CHECK(r->execution_id == s->execution_id
                       && r->outcome == s->outcome
                       && r->started_at == s->started_at
                       && r->ended_at == s->ended_at && r->slot == s->slot
                       && r->duration == s->duration && r->nmsgs == s->nmsgs,
                   "not the same run %d", i);
        for (j = 0; j < r->nmsgs; j++)
            FUZZ_CHECK(!strcmp(r->msgs[j].type, s->msgs[j].type)
                           && !strcmp(r->msgs[j].message, s->msgs[j].message)
                           && r->msgs[j].at == s->msgs[j].at,
                       "not the same message %d of run %d", j, i);
    }
}

static int no_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F)
            return 0;
    return 1;
}

static void check_mail(const char *m)
{
    const char *line = m, *end;
    int body = 0;

    for (;;) {
        end = strstr(line, "\r\n");
        FUZZ_CHECK(end != NULL, "the mail's last line has no CRLF");
        FUZZ_CHECK(memchr(line, '\n', (size_t)(end - line)) == NULL
                       && memchr(line, '\r', (size_t)(end - line)) == NULL,
                   "a bare CR or LF in the mail");
        if (body)
            FUZZ_CHECK(line[0] != '.' && strncmp(line, "From ", 5) != 0,
                       "a body line starts with \".\" or \"From \"");
        else
            FUZZ_CHECK(end - line <= 998, "a header line of %ld bytes",
                       (long)(end - line));
        if (end == line)
            body = 1;
        line = end + 2;
        if (*line == '\0')
            break;
    }
    FUZZ_CHECK(body, "the mail has no body");
}

static void check_payloads(const charon_alert_doc_t *d)
{
    int i, k;

    for (i = 0; i < nchannels; i++) {
        const charon_channel_t *c = channels[i];
        const char *ct = NULL, *body, *target;
        apr_array_header_t *h = NULL;

        if (c->kind == CHARON_CHANNEL_MAIL) {
            check_mail(charon_alert_mail(fuzz_pool, c, d));
            continue;
        }
        body = charon_alert_payload(fuzz_pool, c, d, &ct, &h);
        FUZZ_CHECK(body != NULL && ct != NULL && h != NULL, "no payload (%s)",
                   charon_format_name(c->format));
        FUZZ_CHECK(charon_utf8_valid(body, strlen(body)),
                   "the %s payload is not UTF-8",
                   charon_format_name(c->format));
        if (strncmp(ct, "application/json", 16) == 0) {
            json_object *o = json_tokener_parse(body);
            FUZZ_CHECK(o != NULL, "the %s payload is not JSON",
                       charon_format_name(c->format));
            json_object_put(o);
        }
        for (k = 0; k < h->nelts; k++) {
            const char *v = APR_ARRAY_IDX(h, k, const char *);
            FUZZ_CHECK(no_control(v) && charon_utf8_valid(v, strlen(v)),
                       "a %s header with a control byte",
                       charon_format_name(c->format));
        }
        target = charon_alert_target(fuzz_pool, c, d);
        FUZZ_CHECK(target != NULL && no_control(target),
                   "the %s target has a control byte",
                   charon_format_name(c->format));
    }
    {
        const char *s = charon_alert_summary(fuzz_pool, d);
        FUZZ_CHECK(no_control(s) && charon_utf8_valid(s, strlen(s)),
                   "the summary is not one line of UTF-8");
    }
}

static void check_doc(const char *in)
{
    charon_alert_doc_t d1, d2, d3;
    const char *s1, *s2, *s3;

    memset(&d1, 0, sizeof(d1));
    if (charon_alert_document_parse(fuzz_pool, in, &d1) != 0)
        return;
    s1 = charon_alert_document(fuzz_pool, &d1);
    FUZZ_CHECK(s1 != NULL, "a parsed document is not written");
    FUZZ_CHECK(charon_utf8_valid(s1, strlen(s1)) && no_control(s1),
               "the document written is not one line of UTF-8: %s", s1);
    memset(&d2, 0, sizeof(d2));
    FUZZ_CHECK(charon_alert_document_parse(fuzz_pool, s1, &d2) == 0,
               "the document written does not parse: %s", s1);
    check_kept(&d1, &d2);
    if (canonical(&d1))
        check_same(&d1, &d2);
    s2 = charon_alert_document(fuzz_pool, &d2);
    FUZZ_CHECK(s2 != NULL && strcmp(s1, s2) == 0,
               "written again, another document:\n%s\n%s", s1,
               s2 ? s2 : "(none)");
    memset(&d3, 0, sizeof(d3));
    FUZZ_CHECK(charon_alert_document_parse(fuzz_pool, s2, &d3) == 0,
               "the document written twice does not parse");
    check_same(&d2, &d3);
    s3 = charon_alert_document(fuzz_pool, &d3);
    FUZZ_CHECK(strcmp(s2, s3) == 0, "not a fixed point");
    check_payloads(&d1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;

    (void)argc;
    (void)argv;
    fuzz_init();
    if (apr_pool_create(&chan_pool, NULL) != APR_SUCCESS)
        abort();
    for (i = 0; i < sizeof(channel_lines) / sizeof(channel_lines[0]); i++) {
        const char *err = NULL;
        if (charon_channel_parse_line(chan_pool, channel_lines[i],
                                      &channels[nchannels], &err)
            != 1) {
            fprintf(stderr, "fuzz_alert_doc: %s: %s\n", channel_lines[i],
                    err ? err : "?");
            abort();
        }
        nchannels++;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_str(data, size);

    check_doc(in);
    apr_pool_clear(fuzz_pool);
    free(in);
    return 0;
}
