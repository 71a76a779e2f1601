/*
 * alert_text.c: the words of an event, shared by the presets and the
 * mail: its summary, its details in plain text, and the cleaning every
 * piece of data goes through first.  Slugs, names and messages are
 * whatever the crons sent: they may hold any bytes, line breaks where a
 * header ends, or escape sequences for a terminal.
 */
#include "lib/alert_parts.h"
#include "lib/charon_lib.h"

#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#define ELLIPSIS     "\xE2\x80\xA6" /* U+2026 */
#define REPLACEMENT  "\xEF\xBF\xBD" /* U+FFFD */
#define SLUG_MAX     200            /* bytes of a slug in a headline */
#define LAST_MSG_MAX 120            /* bytes of the message a summary quotes */
#define SECS_MAX     1e12 /* seconds (31,700 years): no run lasts as long */

const char *charon_alert_clean(apr_pool_t *p, const char *s, apr_size_t max,
                               int flat)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    apr_size_t len = strlen((const char *)u), i = 0, n, cut;
    char *out = apr_palloc(p, len * 3 + 1), *o = out;

    while (i < len) {
        n = charon_utf8_seq(u + i, len - i);
        if (n == 0) {
            memcpy(o, REPLACEMENT, 3);
            o += 3;
            i++;
            continue;
        }
        if (u[i] == '\r') {
            /* CR LF is one line break: one LF, or one blank when flat
             * (flat text is then the same made from the raw text as
             * from the text the document keeps). */
            if (u[i + 1] != '\n')
                *o++ = flat ? ' ' : '\n';
        }
        else if (u[i] < 0x20 || u[i] == 0x7F)
            *o++ = !flat && (u[i] == '\n' || u[i] == '\t') ? (char)u[i] : ' ';
        else {
            memcpy(o, u + i, n);
            o += n;
        }
        i += n;
    }
    *o = '\0';
    if ((apr_size_t)(o - out) <= max)
        return out;
    /* Cut on a character's first byte, leaving room for the ellipsis. */
    cut = max < 3 ? 0 : max - 3;
    while (cut > 0 && ((unsigned char)out[cut] & 0xC0) == 0x80)
        cut--;
    if (max < 3) {
        out[0] = '\0';
        return out;
    }
    memcpy(out + cut, ELLIPSIS, 4);
    return out;
}

const char *charon_alert_iso(apr_pool_t *p, int64_t t)
{
    char buf[CHARON_ISO_LEN];

    return apr_pstrdup(p, charon_iso_utc(t, buf));
}

const char *charon_alert_state_name(charon_event_e e)
{
    return e == CHARON_EVENT_UP                                  ? "up"
           : e == CHARON_EVENT_DOWN || e == CHARON_EVENT_REALERT ? "down"
                                                                 : NULL;
}

const char *charon_alert_event_id(apr_pool_t *p, const charon_alert_doc_t *d)
{
    return charon_alert_clean(p, d->id, 64, 1);
}

const char *charon_alert_headline(apr_pool_t *p, const charon_alert_doc_t *d)
{
    const char *slug = charon_alert_clean(p, d->slug, SLUG_MAX, 1);

    switch (d->event) {
    case CHARON_EVENT_DOWN: return apr_psprintf(p, "cron %s is down", slug);
    case CHARON_EVENT_REALERT:
        return apr_psprintf(p, "cron %s is still down", slug);
    case CHARON_EVENT_UP: return apr_psprintf(p, "cron %s is up again", slug);
    default:
        return *slug ? apr_psprintf(p, "test alert for cron %s", slug)
                     : "test alert from mod_charon";
    }
}

/* "3 runs failed, 1 slot was missed": the runs counted by outcome, in
 * the order the outcomes first appear. */
static const char *describe_runs(apr_pool_t *p, const charon_alert_doc_t *d)
{
    static const char *const one[] = {
        [CHARON_OUTCOME_SUCCEEDED] = "run succeeded",
        [CHARON_OUTCOME_FAILED] = "run failed",
        [CHARON_OUTCOME_LOST] = "run was lost",
        [CHARON_OUTCOME_TOO_SHORT] = "run ended too soon",
        [CHARON_OUTCOME_MISSED] = "slot was missed",
    };
    static const char *const many[] = {
        [CHARON_OUTCOME_SUCCEEDED] = "runs succeeded",
        [CHARON_OUTCOME_FAILED] = "runs failed",
        [CHARON_OUTCOME_LOST] = "runs were lost",
        [CHARON_OUTCOME_TOO_SHORT] = "runs ended too soon",
        [CHARON_OUTCOME_MISSED] = "slots were missed",
    };
    const char *out = "";
    int i, j, n, done;

    for (i = 0; i < d->nruns; i++) {
        charon_run_outcome_e o = d->runs[i].outcome;

        if (charon_outcome_name(o) == NULL)
            continue;
        for (j = 0, done = 0; j < i; j++)
            done |= d->runs[j].outcome == o;
        if (done)
            continue;
        for (j = i, n = 0; j < d->nruns; j++)
            n += d->runs[j].outcome == o;
        out = apr_psprintf(p, "%s%s%d %s", out, *out ? ", " : "", n,
                           n == 1 ? one[o] : many[o]);
    }
    return out;
}

/* The most telling message of the latest run that has any: its last
 * error, else its last warning, else its last message. */
static const char *telling_message(const charon_alert_doc_t *d)
{
    static const char *const rank[] = {"error", "warning", NULL};
    const charon_alert_run_t *r = NULL;
    int k, i, first;

    for (i = d->nruns - 1; i >= 0 && r == NULL; i--)
        if (d->runs[i].nmsgs > 0)
            r = &d->runs[i];
    if (r == NULL)
        return NULL;
    /* Only the messages the document keeps, so that a stored document
     * read back has the summary it was written with. */
    first = r->nmsgs > CHARON_ALERT_MAX_MSGS ? r->nmsgs - CHARON_ALERT_MAX_MSGS
                                             : 0;
    for (k = 0; k < 3; k++)
        for (i = r->nmsgs - 1; i >= first; i--)
            if (rank[k] == NULL
                || (r->msgs[i].type && !strcmp(r->msgs[i].type, rank[k])))
                return r->msgs[i].message;
    return NULL;
}

const char *charon_alert_summary(apr_pool_t *p, const charon_alert_doc_t *d)
{
    const char *s = charon_alert_headline(p, d), *runs, *msg;

    if (d->event == CHARON_EVENT_TEST)
        return s;
    runs = describe_runs(p, d);
    if (*runs)
        s = apr_pstrcat(p, s, ": ", runs, NULL);
    /* Why it went down; for up, the good run's chatter says nothing. */
    msg = d->event == CHARON_EVENT_UP ? NULL : telling_message(d);
    if (msg && *msg)
        s = apr_pstrcat(p, s, " (",
                        charon_alert_clean(p, msg, LAST_MSG_MAX, 1), ")",
                        NULL);
    return s;
}

const char *charon_alert_seconds(apr_pool_t *p, double secs)
{
    char *s, *e;

    /* None for NaN, infinities and what no run lasts: APR's %f writes
     * "nan" and "inf" (not JSON) and, from 1e80 on, only zeros, which
     * the loop below would strip past the start of s. */
    if (!(secs >= 0 && secs < SECS_MAX))
        return NULL;
    s = apr_psprintf(p, "%.3f", secs);
    for (e = s + strlen(s) - 1; *e == '0'; e--)
        *e = '\0';
    if (*e == '.')
        *e = '\0';
    return s;
}

/* A message's text, indented under its run: every line of it. */
static const char *indent_message(apr_pool_t *p, const char *text)
{
    const char *s = charon_alert_clean(p, text, CHARON_ALERT_MAX_MSG_LEN, 0);
    char *out = apr_palloc(p, strlen(s) * 7 + 1), *o = out;

    for (; *s; s++) {
        *o++ = *s == '\t' ? ' ' : *s;
        if (*s == '\n') {
            memcpy(o, "      ", 6);
            o += 6;
        }
    }
    *o = '\0';
    return out;
}

static const char *run_line(apr_pool_t *p, const charon_alert_run_t *r)
{
    const char *s, *secs = charon_alert_seconds(p, r->duration);
    int i;

    s = r->execution_id > 0
            ? apr_psprintf(p, "  execution %" APR_INT64_T_FMT ": %s",
                           r->execution_id, charon_outcome_name(r->outcome))
            : apr_psprintf(p, "  %s", charon_outcome_name(r->outcome));
    if (r->slot >= 0)
        s = apr_pstrcat(p, s, ", slot ", charon_alert_iso(p, r->slot), NULL);
    if (r->started_at >= 0)
        s = apr_pstrcat(p, s, ", started ", charon_alert_iso(p, r->started_at),
                        NULL);
    if (r->ended_at >= 0)
        s = apr_pstrcat(p, s, ", ended ", charon_alert_iso(p, r->ended_at),
                        NULL);
    if (secs)
        s = apr_pstrcat(p, s, ", took ", secs, " s", NULL);
    s = apr_pstrcat(p, s, "\n", NULL);
    i = r->nmsgs > CHARON_ALERT_MAX_MSGS ? r->nmsgs - CHARON_ALERT_MAX_MSGS
                                         : 0;
    for (; i < r->nmsgs; i++)
        s = apr_pstrcat(p, s, "    ",
                        charon_alert_clean(p, r->msgs[i].type, 16, 1), " ",
                        charon_alert_iso(p, r->msgs[i].at), ": ",
                        indent_message(p, r->msgs[i].message), "\n", NULL);
    return s;
}

const char *charon_alert_runs_text(apr_pool_t *p, const charon_alert_doc_t *d)
{
    const char *s = "";
    int i;

    for (i = 0; i < d->nruns; i++)
        s = apr_pstrcat(p, s, run_line(p, &d->runs[i]), NULL);
    return s;
}

const char *charon_alert_details(apr_pool_t *p, const charon_alert_doc_t *d)
{
    const char *s;

    s = apr_psprintf(p, "Cron: %s (%s, id %" APR_INT64_T_FMT ")\n",
                     charon_alert_clean(p, d->name, SLUG_MAX, 1),
                     charon_alert_clean(p, d->slug, SLUG_MAX, 1), d->cron_id);
    /* Under a mail body line's 998 bytes. */
    if (d->url && *d->url)
        s = apr_pstrcat(p, s, "Page: ", charon_alert_clean(p, d->url, 900, 1),
                        "\n", NULL);
    if (d->nruns > 0)
        s = apr_pstrcat(p, s, d->nruns == 1 ? "Run:\n" : "Runs:\n",
                        charon_alert_runs_text(p, d), NULL);
    return apr_pstrcat(p, s, "Event: ", charon_event_name(d->event), " at ",
                       charon_alert_iso(p, d->at), ", id ",
                       charon_alert_clean(p, d->id, 64, 1), "\n", NULL);
}

static void base64(const unsigned char *in, apr_size_t n, char *out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    apr_size_t i;

    for (i = 0; i + 2 < n; i += 3, out += 4) {
        out[0] = abc[in[i] >> 2];
        out[1] = abc[(in[i] & 3) << 4 | in[i + 1] >> 4];
        out[2] = abc[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
        out[3] = abc[in[i + 2] & 63];
    }
    if (i < n) {
        out[0] = abc[in[i] >> 2];
        out[1] = abc[(in[i] & 3) << 4 | (i + 1 < n ? in[i + 1] >> 4 : 0)];
        out[2] = i + 1 < n ? abc[(in[i + 1] & 15) << 2] : '=';
        out[3] = '=';
        out += 4;
    }
    *out = '\0';
}

const char *charon_alert_rfc2047(apr_pool_t *p, const char *s, const char *sep)
{
    const char *c, *out = "";
    apr_size_t len = strlen(s), i = 0, n;
    char word[64];

    for (c = s; (unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7F; c++)
        ;
    if (*c == '\0')
        return s;
    /* Words of at most 45 bytes (60 in base64, 72 with the frame: under
     * RFC 2047's 75), each ending on a whole character. */
    while (i < len) {
        n = len - i < 45 ? len - i : 45;
        while (n > 0 && i + n < len
               && ((unsigned char)s[i + n] & 0xC0) == 0x80)
            n--;
        if (n == 0) /* not UTF-8 after all: a byte at a time */
            n = 1;
        base64((const unsigned char *)s + i, n, word);
        out = apr_pstrcat(p, out, *out ? sep : "", "=?UTF-8?B?", word,
                          "?=", NULL);
        i += n;
    }
    return out;
}
