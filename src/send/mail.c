/*
 * mail.c: a mailto: channel: the message of charon_alert_mail(), through
 * the SMTP server of smtp= (libcurl), or else handed to sendmail -t -i
 * (the channel's sendmail=, or /usr/sbin/sendmail), which reads the
 * recipients from the message's own To: header.
 *
 * SMTP's reply codes decide: a 4xx is worth another try, a 5xx is not.
 * smtp:// upgrades to TLS when the server offers STARTTLS and goes on in
 * the clear when it does not; smtps:// is TLS from the start.
 */
#include "send/internal.h"

#include <string.h>
#include <strings.h>

#include <apr_network_io.h>
#include <apr_strings.h>

typedef struct {
    const char *s;
    size_t left;
} reader_t;

static size_t on_read(char *buf, size_t size, size_t n, void *data)
{
    reader_t *r = data;
    size_t len = size * n < r->left ? size * n : r->left;

    memcpy(buf, r->s, len);
    r->s += len;
    r->left -= len;
    return len;
}

/* The text with each line's end as SMTP wants it (CRLF) or as a local
 * program does (LF), whichever charon_alert_mail() wrote. */
static const char *line_ends(apr_pool_t *p, const char *s, int crlf)
{
    char *out = apr_palloc(p, 2 * strlen(s) + 1), *o = out;

    for (; *s; s++) {
        if (*s == '\r' && s[1] == '\n') {
            continue;
        }
        if (*s == '\n' && crlf) {
            *o++ = '\r';
        }
        *o++ = *s;
    }
    *o = '\0';
    return out;
}

static const char *sender(apr_pool_t *p, const charon_channel_t *c)
{
    char host[APRMAXHOSTLEN + 1];

    if (c->from) {
        return c->from;
    }
    if (apr_gethostname(host, sizeof(host), p) != APR_SUCCESS) {
        apr_cpystrn(host, "localhost", sizeof(host));
    }
    return apr_pstrcat(p, "charon@", host, NULL);
}

/* An address as libcurl passes it to MAIL FROM or RCPT TO, or NULL when
 * a line break in it would start a command of its own. */
static const char *envelope(apr_pool_t *p, const char *addr)
{
    if (strpbrk(addr, "\r\n")) {
        return NULL;
    }
    return addr[0] == '<' ? addr : apr_pstrcat(p, "<", addr, ">", NULL);
}

static void smtp(apr_pool_t *p, const charon_channel_t *c, const char *msg,
                 charon_send_result_t *out)
{
    reader_t *r = apr_palloc(p, sizeof(*r));
    const char *from = envelope(p, sender(p, c));
    charon_curl_t *k;
    CURLcode rc;
    long code = 0;
    int i;

    k = charon_send_curl(p, c, c->smtp, "smtp,smtps");
    if (!k) {
        charon_send_fail(out, 1, 0, "libcurl could not make a handle");
        return;
    }
    for (i = 0; c->rcpts && i < c->rcpts->nelts; i++) {
        const char *to = envelope(p, APR_ARRAY_IDX(c->rcpts, i, const char *));
        struct curl_slist *l;

        if (!to) {
            charon_send_fail(out, 0, 0, "an address holds a line break");
            return;
        }
        if (!(l = curl_slist_append(k->rcpts, to))) {
            charon_send_fail(out, 1, 0, "out of memory");
            return;
        }
        k->rcpts = l;
    }
    if (!k->rcpts || !from) {
        charon_send_fail(out, 0, 0,
                         from ? "no recipient" : "from= holds a line break");
        return;
    }
    if (strncasecmp(c->smtp, "smtp:", 5) == 0) {
        curl_easy_setopt(k->h, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
    }
    r->s = line_ends(p, msg, 1);
    r->left = strlen(r->s);
    curl_easy_setopt(k->h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(k->h, CURLOPT_MAIL_RCPT, k->rcpts);
    curl_easy_setopt(k->h, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(k->h, CURLOPT_READDATA, r);
    curl_easy_setopt(k->h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(k->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->left);

    rc = curl_easy_perform(k->h);
    /* The last reply the server gave, whichever command it answered. */
    curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_OK) {
        out->ok = 1;
        out->status = (int)code;
    }
    else if (code >= 400 && code <= 599) {
        charon_send_fail(out, code < 500, (int)code,
                         k->err[0] ? k->err : curl_easy_strerror(rc));
    }
    else {
        charon_send_curl_failed(k, rc, code, out);
    }
}

static void sendmail(apr_pool_t *p, const charon_channel_t *c, const char *msg,
                     charon_send_result_t *out)
{
    const char *path = c->sendmail ? c->sendmail : CHARON_SENDMAIL;
    const char *argv[] = {path, "-t", "-i", NULL};
    const char *env[] = {"PATH=/usr/bin:/bin", NULL};
    charon_spawn_t s;
    charon_spawned_t r;

    s.path = path;
    s.argv = argv;
    s.env = env;
    s.input = line_ends(p, msg, 0);
    s.input_len = strlen(s.input);
    s.timeout_ms = charon_send_timeout_ms(c);
    charon_send_spawn(p, &s, &r);
    charon_send_spawn_result(p, &s, &r, out);
}

void charon_send_mail(apr_pool_t *p, const charon_channel_t *c,
                      const charon_alert_doc_t *d, charon_send_result_t *out)
{
    const char *msg = charon_alert_mail(p, c, d);

    if (!msg) {
        charon_send_fail(out, 0, 0, "no mail message for this event");
    }
    else if (c->smtp) {
        smtp(p, c, msg, out);
    }
    else {
        sendmail(p, c, msg, out);
    }
}
