/*
 * alert_channel.c: a CharonAlert line, NAME URL [OPTION=VALUE ...]: the
 * kind its URL's scheme picks, its options, the URL shown redacted,
 * which crons and events go to it, and how long to wait between tries.
 *
 * Every error below ends up in Apache's error log: none quotes the URL,
 * a token or any option's value (a secret typed in the wrong place is
 * still a secret); the channel's name and option names are quoted only
 * once checked to be plain words.
 */
#include "lib/alert_parts.h"
#include "lib/charon_lib.h"

#include <string.h>

#include <apr_fnmatch.h>
#include <apr_network_io.h>
#include <apr_strings.h>

#define NAME_MAX_LEN  64
#define BACKOFF_FIRST 10   /* seconds: the first retry's delay */
#define BACKOFF_CAP   3600 /* no retry waits longer than an hour */
#define GIVE_UP       86400

static const char *const format_names[] = {
    [CHARON_FORMAT_JSON] = "json",
    [CHARON_FORMAT_SLACK] = "slack",
    [CHARON_FORMAT_MATTERMOST] = "mattermost",
    [CHARON_FORMAT_TEAMS] = "teams",
    [CHARON_FORMAT_DISCORD] = "discord",
    [CHARON_FORMAT_NTFY] = "ntfy",
    [CHARON_FORMAT_GOTIFY] = "gotify",
    [CHARON_FORMAT_PAGERDUTY] = "pagerduty",
    [CHARON_FORMAT_OPSGENIE] = "opsgenie",
};

#define N_FORMATS ((int)(sizeof(format_names) / sizeof(format_names[0])))

const char *charon_format_name(charon_format_e f)
{
    return (int)f >= 0 && (int)f < N_FORMATS ? format_names[f] : NULL;
}

/* [A-Za-z0-9_.-]{1,max}: safe to quote in a message. */
static int plain_word(const char *s, apr_size_t max)
{
    apr_size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
                             "qrstuvwxyz0123456789_.-");
    return n > 0 && n <= max && s[n] == '\0';
}

/* Splits "a,b,c" into its non-empty parts; 0 when a part is empty. */
static int split_list(apr_pool_t *p, const char *v, apr_array_header_t *out)
{
    char *copy = apr_pstrdup(p, v), *next;

    for (;;) {
        next = strchr(copy, ',');
        if (next)
            *next = '\0';
        if (*copy == '\0')
            return 0;
        APR_ARRAY_PUSH(out, const char *) = copy;
        if (!next)
            return 1;
        copy = next + 1;
    }
}

/* events=: down, up, realert, test, all; "down" brings its realerts
 * along (a realert is a down event again, and a channel that pages on
 * down wants the reminder), "-realert" (or -up ...) takes one away. */
static const char *parse_events(apr_pool_t *p, const char *v, unsigned *out)
{
    apr_array_header_t *words = apr_array_make(p, 4, sizeof(const char *));
    unsigned add = 0, drop = 0, bit;
    charon_event_e e;
    int i;

    if (!split_list(p, v, words))
        return "events= takes a list such as down,up (down, up, realert, "
               "test, all; -realert takes realerts away)";
    for (i = 0; i < words->nelts; i++) {
        const char *w = APR_ARRAY_IDX(words, i, const char *);
        int minus = w[0] == '-';

        if (strcmp(w + minus, "all") == 0)
            bit = CHARON_EVENTS_ALL;
        else if (charon_event_parse(w + minus, &e))
            bit = 1u << e;
        else
            return "events= knows down, up, realert, test and all (-realert "
                   "takes realerts away)";
        if (!minus && bit == 1u << CHARON_EVENT_DOWN)
            bit |= 1u << CHARON_EVENT_REALERT;
        if (minus)
            drop |= bit;
        else
            add |= bit;
    }
    if ((add & ~drop) == 0)
        return "events= leaves no event to send";
    *out = add & ~drop;
    return NULL;
}

/* A whole number of seconds, or a duration ("2m"), within lo..hi. */
static const char *parse_secs(apr_pool_t *p, const char *opt, const char *v,
                              apr_int64_t lo, apr_int64_t hi, int *out)
{
    apr_int64_t secs;
    const char *why = charon_parse_duration(p, v, lo, hi, &secs);

    if (why)
        return apr_pstrcat(p, opt, "= ", why, NULL);
    *out = (int)secs;
    return NULL;
}

/* The URL: the kind, the target or the recipients, what is shown. */
static const char *parse_url(apr_pool_t *p, charon_channel_t *c)
{
    const char *u = c->url, *why;

    if (strncasecmp(u, "mailto:", 7) == 0) {
        int i;

        c->kind = CHARON_CHANNEL_MAIL;
        /* RFC 6068 allows ?subject=, ?cc=, ?body=: refused rather than
         * ignored, so a mail never goes where the line seemed to say. */
        if (strpbrk(u + 7, "?#"))
            return "a mailto: URL takes addresses only, no ?query";
        if (!split_list(p, u + 7, c->rcpts))
            return "mailto: needs one or more addresses, separated by commas";
        for (i = 0; i < c->rcpts->nelts; i++)
            if (!charon_alert_addr_ok(APR_ARRAY_IDX(c->rcpts, i, char *)))
                return "mailto: holds something that is not a mail address "
                       "(local@domain)";
        c->shown = apr_pstrcat(p, "mailto:", u + 7, NULL);
        return NULL;
    }
    if (strncasecmp(u, "exec:", 5) == 0 || strncasecmp(u, "file:", 5) == 0) {
        const char *path = u + 5;
        const unsigned char *k;

        c->kind = strncasecmp(u, "exec:", 5) == 0 ? CHARON_CHANNEL_EXEC
                                                  : CHARON_CHANNEL_FILE;
        /* file:///path (RFC 8089) is file:/path; no host, no shell. */
        if (c->kind == CHARON_CHANNEL_FILE && strncmp(path, "///", 3) == 0)
            path += 2;
        if (path[0] != '/' || path[1] == '/' || path[1] == '\0')
            return c->kind == CHARON_CHANNEL_EXEC
                       ? "exec: needs an absolute program path, exec:/path "
                         "(no shell runs it, no PATH is searched)"
                       : "file: needs an absolute path, file:/path";
        for (k = (const unsigned char *)path; *k; k++)
            if (*k < 0x20 || *k == 0x7F)
                return "the path holds a control character";
        c->target = path;
        c->shown = apr_pstrcat(
            p, c->kind == CHARON_CHANNEL_EXEC ? "exec:" : "file:", path, NULL);
        return NULL;
    }
    if ((why = charon_alert_check_http(u)) != NULL)
        return why;
    c->kind = CHARON_CHANNEL_WEBHOOK;
    c->target = u;
    c->shown = charon_alert_redact(p, u);
    return NULL;
}

/* The options that take a token, and those that need one: PagerDuty's
 * routing key and Opsgenie's API key live in no URL.  Slack, Mattermost,
 * Teams and Discord carry theirs in the URL. */
static int format_takes_token(charon_format_e f)
{
    return f == CHARON_FORMAT_JSON || f == CHARON_FORMAT_NTFY
           || f == CHARON_FORMAT_GOTIFY || f == CHARON_FORMAT_PAGERDUTY
           || f == CHARON_FORMAT_OPSGENIE;
}

enum {
    OPT_FORMAT,
    OPT_CRONS,
    OPT_EVENTS,
    OPT_SMTP,
    OPT_FROM,
    OPT_TOKEN,
    OPT_TIMEOUT,
    OPT_CONNECT_TIMEOUT,
    OPT_BACKOFF,
    OPT_GIVE_UP,
    OPT_SENDMAIL,
    OPT_COUNT
};

static const char *const option_names[OPT_COUNT] = {
    [OPT_FORMAT] = "format",     [OPT_CRONS] = "crons",
    [OPT_EVENTS] = "events",     [OPT_SMTP] = "smtp",
    [OPT_FROM] = "from",         [OPT_TOKEN] = "token",
    [OPT_TIMEOUT] = "timeout",   [OPT_CONNECT_TIMEOUT] = "connect_timeout",
    [OPT_BACKOFF] = "backoff",   [OPT_GIVE_UP] = "give_up",
    [OPT_SENDMAIL] = "sendmail",
};

/* One OPTION=VALUE into c. */
static const char *parse_option(apr_pool_t *p, charon_channel_t *c, int o,
                                const char *v)
{
    const unsigned char *k;
    const char *why;
    int secs = 0, i;

    switch (o) {
    case OPT_FORMAT:
        for (i = 0; i < N_FORMATS; i++)
            if (strcmp(v, format_names[i]) == 0)
                break;
        if (i == N_FORMATS)
            return "format= must be one of json, slack, mattermost, teams, "
                   "discord, ntfy, gotify, pagerduty, opsgenie";
        c->format = (charon_format_e)i;
        return NULL;
    case OPT_CRONS:
        if (!split_list(p, v, c->crons))
            return "crons= takes shell patterns separated by commas";
        return NULL;
    case OPT_EVENTS: return parse_events(p, v, &c->events);
    case OPT_SMTP:
        c->smtp = v;
        c->smtp_shown = charon_alert_redact(p, v);
        return charon_alert_check_smtp(v);
    case OPT_FROM:
        c->from = v;
        return charon_alert_addr_ok(v) ? NULL
                                       : "from= must be a mail address "
                                         "(local@domain)";
    case OPT_TOKEN:
        /* It goes into a header: printable ASCII, no blank. */
        for (k = (const unsigned char *)v; *k; k++)
            if (*k <= 0x20 || *k >= 0x7F)
                return "token= must be printable ASCII with no blank";
        c->token = v;
        return *v ? NULL : "token= is empty";
    case OPT_TIMEOUT:
        why = parse_secs(p, "timeout", v, 1, 300, &secs);
        c->timeout_ms = why ? c->timeout_ms : secs * 1000;
        return why;
    case OPT_CONNECT_TIMEOUT:
        why = parse_secs(p, "connect_timeout", v, 1, 60, &secs);
        c->connect_timeout_ms = why ? c->connect_timeout_ms : secs * 1000;
        return why;
    case OPT_BACKOFF:
        return parse_secs(p, "backoff", v, 1, BACKOFF_CAP, &c->backoff);
    case OPT_SENDMAIL:
        /* Run as PATH -t -i, with no shell: absolute, one word. */
        c->sendmail = v;
        for (k = (const unsigned char *)v; *k; k++)
            if (*k < 0x20 || *k == 0x7F)
                return "sendmail= holds a control character";
        return v[0] == '/' && v[1] != '/' && v[1] != '\0'
                   ? NULL
                   : "sendmail= needs an absolute program path";
    default: return parse_secs(p, "give_up", v, 1, 7 * 86400, &c->give_up);
    }
}

/* What no option may break once all are read: each option belongs to
 * some kinds and formats only. */
static const char *check_options(const charon_channel_t *c, const int *seen)
{
    int mail = c->kind == CHARON_CHANNEL_MAIL;

    if (seen[OPT_FORMAT] && c->kind != CHARON_CHANNEL_WEBHOOK)
        return "format= is for http:// and https:// channels only";
    if ((seen[OPT_SMTP] || seen[OPT_FROM] || seen[OPT_SENDMAIL]) && !mail)
        return "smtp=, sendmail= and from= are for mailto: channels only";
    if (seen[OPT_SMTP] && seen[OPT_SENDMAIL])
        return "smtp= and sendmail= are two ways to send: give one";
    if (seen[OPT_TOKEN] && c->kind != CHARON_CHANNEL_WEBHOOK)
        return "token= is for http:// and https:// channels only";
    if (seen[OPT_TOKEN] && !format_takes_token(c->format))
        return "token= is for format=json, ntfy, gotify, pagerduty and "
               "opsgenie (the others carry their key in the URL)";
    if (!seen[OPT_TOKEN] && c->format == CHARON_FORMAT_PAGERDUTY)
        return "format=pagerduty needs token= (the routing key)";
    if (!seen[OPT_TOKEN] && c->format == CHARON_FORMAT_OPSGENIE)
        return "format=opsgenie needs token= (the API key)";
    return NULL;
}

int charon_channel_parse(apr_pool_t *p, int argc, const char *const *argv,
                         charon_channel_t **out, const char **err)
{
    charon_channel_t *c;
    int seen[OPT_COUNT] = {0}, i, o;
    const char *why;
    char host[APRMAXHOSTLEN + 1];

    if (argc < 2) {
        *err = "an alert channel takes a name, a URL, then OPTION=VALUE "
               "words";
        return -1;
    }
    if (!plain_word(argv[0], NAME_MAX_LEN)) {
        /* Not quoted: a URL written first would be quoted otherwise. */
        *err = "an alert channel's name must be 1 to 64 letters, digits, "
               "'_', '.' or '-' (and come before the URL)";
        return -1;
    }
    c = apr_pcalloc(p, sizeof(*c));
    c->name = apr_pstrdup(p, argv[0]);
    c->url = apr_pstrdup(p, argv[1]);
    c->rcpts = apr_array_make(p, 2, sizeof(const char *));
    c->crons = apr_array_make(p, 2, sizeof(const char *));
    c->format = CHARON_FORMAT_JSON;
    c->events = CHARON_EVENTS_ALL;
    c->timeout_ms = 10000;
    c->connect_timeout_ms = 5000;
    c->backoff = BACKOFF_FIRST;
    c->give_up = GIVE_UP;
    why = parse_url(p, c);
    for (i = 2; why == NULL && i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        char *opt =
            eq ? apr_pstrmemdup(p, argv[i], (apr_size_t)(eq - argv[i])) : NULL;

        for (o = 0; opt && o < OPT_COUNT; o++)
            if (strcmp(opt, option_names[o]) == 0)
                break;
        if (opt == NULL || !plain_word(opt, 32))
            why = "a word after the URL is not OPTION=VALUE";
        else if (o == OPT_COUNT)
            why = apr_psprintf(p,
                               "unknown option '%s' (format, crons, events, "
                               "smtp, sendmail, from, token, timeout, "
                               "connect_timeout, backoff, give_up)",
                               opt);
        else if (seen[o]++)
            why = apr_psprintf(p, "%s= is given twice", opt);
        else
            why = parse_option(p, c, o, apr_pstrdup(p, eq + 1));
    }
    if (why == NULL)
        why = check_options(c, seen);
    if (why != NULL) {
        *err = apr_psprintf(p, "alert channel '%s': %s", c->name, why);
        return -1;
    }
    if (c->kind == CHARON_CHANNEL_MAIL && c->from == NULL)
        c->from = apr_pstrcat(
            p, "charon@",
            apr_gethostname(host, sizeof(host), p) == APR_SUCCESS && *host
                ? host
                : "localhost",
            NULL);
    *out = c;
    return 0;
}

int charon_channel_wants(const charon_channel_t *c, const char *slug,
                         charon_event_e e)
{
    int i;

    if (charon_event_name(e) == NULL || !(c->events & (1u << e)))
        return 0;
    /* A test sent from the channel itself names no cron: it goes. */
    if (slug == NULL)
        return e == CHARON_EVENT_TEST;
    if (c->crons == NULL || c->crons->nelts == 0)
        return 1;
    for (i = 0; i < c->crons->nelts; i++)
        if (apr_fnmatch(APR_ARRAY_IDX(c->crons, i, const char *), slug, 0)
            == APR_SUCCESS)
            return 1;
    return 0;
}

int64_t charon_alert_backoff_from(int64_t first, int attempts, uint32_t rnd)
{
    int64_t d = first < 1 ? 1 : first > BACKOFF_CAP ? BACKOFF_CAP : first;
    int64_t lo;
    int i;

    for (i = 1; i < attempts && d < BACKOFF_CAP; i++)
        d *= 2;
    if (d > BACKOFF_CAP)
        d = BACKOFF_CAP;
    /* Jitter over [d/2, d], so that channels that failed together do not
     * retry together; a retry is never immediate. */
    lo = d / 2 < 1 ? 1 : d / 2;
    return lo + (int64_t)(((uint64_t)rnd * (uint64_t)(d - lo + 1)) >> 32);
}

int64_t charon_alert_backoff(int attempts, uint32_t rnd)
{
    return charon_alert_backoff_from(BACKOFF_FIRST, attempts, rnd);
}
