/*
 * charon_http.h: answering over HTTP: the API's handler, and the helpers
 * every handler of the module answers with (read a body, send a body,
 * send a problem document), with the API's answers counted.
 */
#ifndef CHARON_HTTP_H
#define CHARON_HTTP_H

#include "ops/charon_ops.h"

#include "apr_buckets.h"

/* ---- respond.c -------------------------------------------------------- */

/* Sends body whole with this status and Content-Type, Cache-Control
 * no-store and its length (no body for HEAD).  Returns OK. */
int charon_send_body(request_rec *r, int status, const char *ctype,
                     const char *body);
/* Sends an API answer (counted), problem+json unless it is a 200. */
int charon_send_answer(request_rec *r, const charon_answer_t *a);
/* Sends an RFC 9457 problem (counted); 503 gets Retry-After. */
int charon_send_problem(request_rec *r, int status, const char *detail,
                        const char *field);
/* Reads the whole body, at most max bytes (counted while reading: a
 * chunked body has no length), NUL-terminated.  OK, or the status to
 * answer (413 when too large; the connection is then closed). */
int charon_read_body(request_rec *r, apr_off_t max, char **buf,
                     apr_size_t *len);
/* A body that was not read is not taken for the next request. */
void charon_drop_body(request_rec *r);

/* ---- api.c ------------------------------------------------------------- */

int charon_handler(request_rec *r);

/* ---- counters.c: the API's answers by endpoint and status ------------- */

/* The note in which the API handler names the endpoint it routed to. */
#define CHARON_VERB_NOTE "charon-verb"

int charon_counters_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s);
void charon_count_request(request_rec *r, int status);
/* The counts, in the Prometheus text format. */
void charon_counters_write(apr_bucket_brigade *bb);

#endif /* CHARON_HTTP_H */
