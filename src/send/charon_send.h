/*
 * charon_send.h: one alert event to one channel, now (issue 14).
 *
 * The delivery task calls charon_send() from a watchdog thread of an httpd
 * child, for an event taken from the store, records what came of it and,
 * when retry says so, tries again later (charon_alert_backoff()).  One
 * call, one attempt: nothing here retries, queues or keeps state between
 * calls, so a child that ends mid-send loses nothing the store does not
 * hold.
 *
 *   send.c     the dispatch by kind; the result's time and error text
 *   curl.c     what webhooks and SMTP share of libcurl
 *   webhook.c  http(s)://: a POST of charon_alert_payload()
 *   mail.c     mailto:: SMTP with smtp=, else sendmail -t -i
 *   program.c  exec: and sendmail: a program run with a time limit
 *   file.c     file:: the document appended as one line
 *
 * How long a call blocks: a webhook or SMTP, the channel's timeout_ms
 * (libcurl's total); a program, timeout_ms, then one second between
 * SIGTERM and SIGKILL; a file, one write(2).
 *
 * No httpd here (tests/send/ runs it without a server).  The process must
 * ignore SIGPIPE, as httpd does: a program may close its stdin early.
 */
#ifndef CHARON_SEND_H
#define CHARON_SEND_H

#include "lib/charon_lib.h"

#include <apr_pools.h>

typedef struct {
    int ok;     /* delivered */
    int retry;  /* not delivered; 1: worth another try, 0: permanent (a
                  4xx but 408/429, an SMTP 5xx, a program that cannot run
                  or exits 64-68, 77, 78) */
    int status; /* the HTTP status, the last SMTP reply code, a program's
                   exit status; 0 when there was none */
    const char *error; /* NULL when ok; else one line of at most about
                          CHARON_SEND_ERROR_MAX bytes, with no URL, token
                          or password of the channel in it */
    long ms;           /* how long the call took */
} charon_send_result_t;

#define CHARON_SEND_ERROR_MAX 300

/* The sendmail of a mailto: channel without smtp= or sendmail=. */
#define CHARON_SENDMAIL "/usr/sbin/sendmail"

/* libcurl's global state: once, in the parent (post_config), before any
 * thread exists; undone when pconf is cleared.  Not APR_SUCCESS: libcurl
 * could not start, and webhooks and SMTP will fail (with retry). */
apr_status_t charon_send_init(apr_pool_t *pconf);

/* Sends event d to channel c, once; *out says what came of it.  Whatever
 * the call needs lives and dies in a subpool of p; out->error is in p. */
void charon_send(apr_pool_t *p, const charon_channel_t *c,
                 const charon_alert_doc_t *d, charon_send_result_t *out);

#endif
