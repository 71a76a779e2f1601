/*
 * test_send.h: what the tests of src/send/ share.
 *
 * build/test_send sends real events to real receivers: the webhook and
 * SMTP sinks of harness/sinks.py and the sendmail stand-in, which
 * harness/send_test.py starts and names on the command line (see
 * usage() in test_send.c).  Every CHECK is one test; the last line is
 * "send: N passed, M failed".  The tests run in a thread that blocks
 * every signal, in a process that ignores SIGPIPE, as a watchdog thread
 * of a threaded httpd child does.
 */
#ifndef CHARON_TEST_SEND_H
#define CHARON_TEST_SEND_H

#include "send/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <json-c/json.h>

/* ---- checks ---------------------------------------------------------- */

extern int passed, failed;

void check_(int ok, const char *file, int line, const char *expr,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define CHECK(cond, ...) \
    check_((cond) ? 1 : 0, __FILE__, __LINE__, #cond, __VA_ARGS__)

#define HERE __FILE__, __LINE__

/* One CHECK of ok, retry and status together, with the result's error
 * in the message. */
void expect_(const charon_send_result_t *r, int ok, int retry, int status,
             const char *file, int line);
#define EXPECT(r, ok, retry, status) expect_(r, ok, retry, status, HERE)

/* ---- where the receivers are (the command line) ----------------------- */

typedef struct {
    int webhook;                   /* the webhook sink's port */
    int smtp;                      /* the SMTP sink's port */
    const char *smtp_dir;          /* where it saves messages */
    const char *sendmail;          /* the stand-in's wrapper */
    const char *sendmail_tempfail; /* one that exits 75 */
    const char *sendmail_dir;      /* where the stand-in saves */
    const char *tmp;               /* scratch, removed by the harness */
} test_env_t;

extern test_env_t E;
extern apr_pool_t *pool; /* the test thread's */

/* ---- helpers ----------------------------------------------------------- */

const charon_alert_doc_t *sample_doc(void);
/* A channel as charon_channel_parse() would make it, defaults and all. */
charon_channel_t *channel(charon_channel_kind_e kind, const char *url);
int streq(const char *a, const char *b);
int has(const char *s, const char *part); /* s non-NULL and holds part */
const char *show(const char *s);
/* A whole file, NUL-terminated; NULL when it cannot be read. */
char *slurp(const char *path, apr_size_t *len);
/* A script in E.tmp, mode 0755; its path. */
const char *script(const char *name, const char *text);
/* The number of files named *.eml in dir. */
int count_eml(const char *dir);

/* The webhook sink's control API: GET /_sink/<what> as JSON (NULL when
 * it fails; freed with json_object_put), POST /_sink/plan. */
json_object *sink_get(const char *what);
int sink_plan(const char *path, const char *answers_json);
/* Its requests to path, and one request's header (lower-case name). */
json_object *sink_received(const char *path);
const char *req_header(json_object *req, const char *name);
const char *req_str(json_object *req, const char *key);
int sink_count(const char *path);

/* ---- the groups, in the order main runs them --------------------------- */

void test_webhook(void);
void test_mail(void);
void test_exec(void);
void test_spawn(void);
void test_file(void);

#endif
