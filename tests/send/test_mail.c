/*
 * test_mail.c: mailto: channels: through the SMTP sink (aiosmtpd), and
 * through sendmail (the stand-in, named by sendmail=).
 */
#include "test_send.h"

/* The Subject header of a message, folded lines and all. */
static const char *subject_of(const char *msg)
{
    const char *s = msg ? strstr(msg, "Subject: ") : NULL, *e;

    if (!s) {
        return NULL;
    }
    for (e = s; *e; e++) {
        if (*e == '\n' && e[1] != ' ' && e[1] != '\t') {
            break;
        }
    }
    return apr_pstrmemdup(pool, s, e - s);
}

/* The same text with CR removed: a message as the stand-in stored it
 * and as SMTP carried it compare equal. */
static const char *no_cr(const char *s)
{
    char *out = apr_pstrdup(pool, s), *o = out;

    for (; *s; s++) {
        if (*s != '\r') {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

static charon_channel_t *mailto(const char *smtp, const char *rcpt)
{
    charon_channel_t *c =
        channel(CHARON_CHANNEL_MAIL, apr_pstrcat(pool, "mailto:", rcpt, NULL));

    APR_ARRAY_PUSH(c->rcpts, const char *) = rcpt;
    c->smtp = smtp;
    c->from = "charon-test@example.org";
    return c;
}

static const char *smtp_url(void)
{
    return apr_psprintf(pool, "smtp://127.0.0.1:%d", E.smtp);
}

static void smtp_delivered(void)
{
    charon_channel_t *c = mailto(smtp_url(), "ops@example.com");
    charon_send_result_t r;
    const char *want, *eml, *meta;
    int n = count_eml(E.smtp_dir);

    APR_ARRAY_PUSH(c->rcpts, const char *) = "team@example.com";
    want = charon_alert_mail(pool, c, sample_doc());
    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 1, 0, 250);
    CHECK(count_eml(E.smtp_dir) == n + 1, "%d messages",
          count_eml(E.smtp_dir));
    eml = slurp(apr_psprintf(pool, "%s/%d.eml", E.smtp_dir, n + 1), NULL);
    meta = slurp(apr_psprintf(pool, "%s/%d.json", E.smtp_dir, n + 1), NULL);
    CHECK(subject_of(want) && streq(subject_of(eml), subject_of(want)), "%s",
          show(eml));
    CHECK(has(eml, "X-Charon-Event-Id: "), "%s", show(eml));
    CHECK(eml && streq(no_cr(eml), no_cr(want)), "%s", show(eml));
    CHECK(has(meta, "\"mail_from\": \"charon-test@example.org\""), "%s",
          show(meta));
    CHECK(has(meta, "\"ops@example.com\"")
              && has(meta, "\"team@example.com\""),
          "%s", show(meta));
}

static void smtp_refused(void)
{
    charon_send_result_t r;
    /* The sink refuses local parts "reject*" (550) and "defer*" (451). */
    charon_channel_t *c = mailto(smtp_url(), "reject-me@example.com");

    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 0, 0, 550);
    c = mailto(smtp_url(), "defer-me@example.com");
    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 0, 1, 451);

    /* No server there. */
    c = mailto("smtp://127.0.0.1:1", "ops@example.com");
    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 0, 1, 0);

    /* The password of smtp= stays out of the error text. */
    c = mailto(
        apr_psprintf(pool, "smtp://bob:SMTP-PASS-42@127.0.0.1:%d", E.smtp),
        "reject-me@example.com");
    charon_send(pool, c, sample_doc(), &r);
    CHECK(!r.ok && !has(r.error, "SMTP-PASS-42"), "%s", show(r.error));

    /* An address that would smuggle a command. */
    c = mailto(smtp_url(), "ops@example.com\r\nRCPT TO:<x@example.com>");
    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 0, 0, 0);
}

static void sendmail_delivered(void)
{
    charon_channel_t *c = mailto(NULL, "ops@example.com");
    charon_send_result_t r;
    const char *want, *eml, *meta;
    int n = count_eml(E.sendmail_dir);

    c->sendmail = E.sendmail;
    want = charon_alert_mail(pool, c, sample_doc());
    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 1, 0, 0);
    CHECK(count_eml(E.sendmail_dir) == n + 1, "%d messages",
          count_eml(E.sendmail_dir));
    eml = slurp(apr_psprintf(pool, "%s/%d.eml", E.sendmail_dir, n + 1), NULL);
    meta =
        slurp(apr_psprintf(pool, "%s/%d.json", E.sendmail_dir, n + 1), NULL);
    /* A local program gets the local line ends. */
    CHECK(eml && !strchr(eml, '\r') && streq(eml, no_cr(want)), "%s",
          show(eml));
    CHECK(has(eml, "Subject: ") && has(eml, "\nTo: ops@example.com\n"), "%s",
          show(eml));
    CHECK(streq(meta, "{\"argv\": [\"-t\", \"-i\"]}"), "%s", show(meta));

    c->sendmail = E.sendmail_tempfail;
    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 0, 1, 75);
    CHECK(has(r.error, "exit 75: sendmail_standin: failing with 75"), "%s",
          show(r.error));

    c->sendmail = "/nonexistent/sendmail";
    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 0, 0, 0);
    CHECK(has(r.error, "cannot run /nonexistent/sendmail: No such file"), "%s",
          show(r.error));
}

void test_mail(void)
{
    smtp_delivered();
    smtp_refused();
    sendmail_delivered();
}
