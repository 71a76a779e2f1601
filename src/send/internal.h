/*
 * internal.h: what the files of src/send/ share; not seen outside it.
 *
 * Each transport fills ok, retry, status and error of the result; its
 * error text may be raw (a response body, a program's output): send.c
 * makes it one short line and removes the channel's secrets from it.
 */
#ifndef CHARON_SEND_INTERNAL_H
#define CHARON_SEND_INTERNAL_H

#include "send/charon_send.h"

#include <curl/curl.h>

/* Defaults for a channel built without charon_channel_parse() (tests). */
#define SEND_TIMEOUT_MS         10000
#define SEND_CONNECT_TIMEOUT_MS 5000

/* ---- result.c ---------------------------------------------------------- */

/* A monotonic clock, in milliseconds: timeouts ignore changes of the
 * time of day. */
apr_int64_t charon_send_clock_ms(void);
int charon_send_timeout_ms(const charon_channel_t *c);
/* Fills *out as failed. */
void charon_send_fail(charon_send_result_t *out, int retry, int status,
                      const char *error);

/* ---- the transports ---------------------------------------------------- */

void charon_send_webhook(apr_pool_t *p, const charon_channel_t *c,
                         const charon_alert_doc_t *d,
                         charon_send_result_t *out);
void charon_send_mail(apr_pool_t *p, const charon_channel_t *c,
                      const charon_alert_doc_t *d, charon_send_result_t *out);
void charon_send_exec(apr_pool_t *p, const charon_channel_t *c,
                      const charon_alert_doc_t *d, charon_send_result_t *out);
void charon_send_file(apr_pool_t *p, const charon_channel_t *c,
                      const charon_alert_doc_t *d, charon_send_result_t *out);

/* ---- curl.c ------------------------------------------------------------ */

typedef struct {
    CURL *h;
    struct curl_slist *headers, *rcpts; /* freed with the handle */
    char err[CURL_ERROR_SIZE];
} charon_curl_t;

/* An easy handle for url, limited to protocols ("http,https"), with the
 * channel's timeouts and what a threaded server needs; released by a
 * cleanup of p.  NULL when libcurl cannot make one. */
charon_curl_t *charon_send_curl(apr_pool_t *p, const charon_channel_t *c,
                                const char *url, const char *protocols);
/* A transfer that failed with rc (not CURLE_OK): retry or not, and why. */
void charon_send_curl_failed(const charon_curl_t *k, CURLcode rc, long status,
                             charon_send_result_t *out);

/* ---- program.c: a program run to its end or its time limit ------------ */

/* The output kept, the last bytes of stdout and stderr together. */
#define SEND_OUTPUT_MAX 1024

typedef struct {
    const char *path;        /* absolute: no PATH search, no shell */
    const char *const *argv; /* argv[0] included, NULL-terminated */
    const char *const *env;  /* the whole environment, NULL-terminated */
    const char *input;       /* on stdin, then EOF */
    apr_size_t input_len;
    int timeout_ms;
} charon_spawn_t;

typedef struct {
    int started; /* 0: it could not run, errno in err */
    int err;
    int timed_out;      /* killed at its time limit */
    int signo;          /* ended by this signal; 0: exited */
    int code;           /* its exit status; -1 when it is not known */
    const char *output; /* the last SEND_OUTPUT_MAX bytes, NUL-ended */
} charon_spawned_t;

void charon_send_spawn(apr_pool_t *p, const charon_spawn_t *s,
                       charon_spawned_t *r);
/* What a run came to as a result: exit 0 is ok; sysexits' codes say
 * which failures are permanent. */
void charon_send_spawn_result(apr_pool_t *p, const charon_spawn_t *s,
                              const charon_spawned_t *r,
                              charon_send_result_t *out);

#endif
