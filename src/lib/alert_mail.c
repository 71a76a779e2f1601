/*
 * alert_mail.c: an event as a mail message, RFC 5322 with CRLF lines,
 * ready for `sendmail -t -i` or for libcurl's SMTP (which dot-stuffs).
 * A header's value is built from cleaned data only: a cron's name with a
 * line break in it cannot add a header (Bcc: ...), and text that is not
 * ASCII goes as RFC 2047 encoded-words.
 */
#include "lib/alert_parts.h"
#include "lib/civil.h"

#include <string.h>

#include <apr_strings.h>

/* "Mon, 07 Dec 2026 10:00:00 +0000": RFC 5322's date-time, with a
 * numeric zone (GMT is obsolete syntax there). */
static const char *mail_date(apr_pool_t *p, int64_t t)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                       "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    int64_t day = t / 86400 - (t % 86400 < 0), secs = t - day * 86400;
    int y, m, d;

    charon_civil_from_days(day, &y, &m, &d);
    return apr_psprintf(p, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                        days[charon_civil_weekday(y, m, d)], d, months[m - 1],
                        y, (int)(secs / 3600), (int)(secs / 60 % 60),
                        (int)(secs % 60));
}

/* The event id as a Message-ID's left part: letters, digits, '-', '.'
 * and '_' only (a UUID passes unchanged). */
static const char *id_part(apr_pool_t *p, const char *id)
{
    char *s = apr_pstrndup(p, id ? id : "", 64), *c;

    for (c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
              || (*c >= '0' && *c <= '9') || *c == '-' || *c == '.'
              || *c == '_'))
            *c = '-';
    return *s ? s : "none";
}

/* The recipients, folded one a line once the line would pass 78. */
static const char *to_header(apr_pool_t *p, const charon_channel_t *c)
{
    const char *s = "To: ";
    apr_size_t line = 4;
    int i;

    for (i = 0; c->rcpts != NULL && i < c->rcpts->nelts; i++) {
        const char *a = APR_ARRAY_IDX(c->rcpts, i, const char *);
        int fold = i > 0 && line + strlen(a) + 2 > 78;

        s = apr_pstrcat(p, s, i == 0 ? "" : fold ? ",\r\n " : ", ", a, NULL);
        line = (fold ? 1 : line + (i ? 2 : 0)) + strlen(a);
    }
    return s;
}

/* LF lines to CRLF lines. */
static const char *crlf(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 2 + 1), *o = out;

    for (; *s; s++) {
        if (*s == '\n')
            *o++ = '\r';
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

const char *charon_alert_mail(apr_pool_t *p, const charon_channel_t *c,
                              const charon_alert_doc_t *d)
{
    const char *id = id_part(p, d->id);
    const char *subject = charon_alert_rfc2047(
        p, apr_pstrcat(p, "[charon] ", charon_alert_headline(p, d), NULL),
        "\r\n ");
    /* The body's lines that come from data are indented (details), and
     * the summary starts with "cron" or "test": no line starts with "."
     * or "From ". */
    const char *body =
        apr_pstrcat(p, charon_alert_summary(p, d), "\n\n",
                    charon_alert_details(p, d), "\n-- \nmod_charon\n", NULL);

    return apr_pstrcat(
        p, "From: ",
        c->from && *c->from ? charon_alert_clean(p, c->from, 254, 1)
                            : "charon@localhost",
        "\r\n", to_header(p, c), "\r\n", "Subject: ", subject, "\r\n",
        "Date: ", mail_date(p, d->at), "\r\n", "Message-ID: <", id,
        "@charon>\r\n", "X-Charon-Event-Id: ", id, "\r\n",
        "Auto-Submitted: auto-generated\r\n", "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "Content-Transfer-Encoding: 8bit\r\n", "\r\n", crlf(p, body), NULL);
}
