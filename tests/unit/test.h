/*
 * test.h: what the unit tests of src/lib/ (and the dialects) share.
 *
 * A single program with no framework, built from every .c file in
 * tests/unit.  Every CHECK (and every call of a helper that ends in
 * check_) is one test; test_main.c runs the groups below in order and
 * prints the last line, "unit: N passed, M failed".  Failures go to
 * stderr with file and line.
 *
 * The shared state and helpers declared here are defined in test_main.c,
 * except the body helpers (run, ok_, bad_), defined in test_body.c.
 */
#ifndef CHARON_TEST_H
#define CHARON_TEST_H

#include "lib/charon_lib.h"
#include "lib/alert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

/* ---- checks ---------------------------------------------------------- */

extern int passed, failed;

/* Counts one test; on failure prints file, line, expression and message. */
void check_(int ok, const char *file, int line, const char *expr,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#define CHECK(cond, ...) \
    check_((cond) ? 1 : 0, __FILE__, __LINE__, #cond, __VA_ARGS__)

/* Where a helper was called from: helpers take (const char *file, int
 * line) last, and callers pass HERE. */
#define HERE __FILE__, __LINE__

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- shared helpers --------------------------------------------------- */

extern apr_pool_t *pool; /* one pool for the whole run */

int streq(const char *a, const char *b);        /* both non-NULL */
const char *show(const char *s);                /* NULL -> "(null)" */
const char *bytes(const char *s, apr_size_t n); /* printable form */

/* xorshift64*: deterministic, so a failure can be replayed.  One stream
 * for the whole run: the groups must keep their order in main. */
apr_uint64_t rng(void);

/* ---- request bodies (test_body.c, test_malformed.c, test_json.c) ------ */

#define MAXMSG 65536

typedef int (*parse_fn)(apr_pool_t *, const char *, apr_size_t, apr_size_t,
                        charon_body_t *, charon_error_t *);

/* Calls fn with *b poisoned and *e unset. */
int run(parse_fn fn, const char *buf, apr_size_t len, apr_size_t max,
        charon_body_t *b, charon_error_t *e);

/* A body that must be accepted with these fields (msg NULL: no message). */
void ok_(parse_fn fn, const char *buf, apr_size_t len, apr_size_t max,
         charon_type_e type, int success, const char *msg, apr_size_t msg_len,
         const char *file, int line);

/* A body that must be refused with this status, field and detail (NULL
 * detail: not checked; for 400 the detail must start as documented). */
void bad_(parse_fn fn, const char *buf, apr_size_t len, apr_size_t max,
          int status, const char *field, const char *detail, const char *file,
          int line);

/* String-literal forms; sizeof keeps embedded NUL bytes. */
#define END_OK(lit, type, succ)                                          \
    ok_(charon_parse_end_body, lit, sizeof(lit) - 1, MAXMSG, type, succ, \
        NULL, 0, HERE)
#define END_OK_MSG(lit, type, succ, msg)                                      \
    ok_(charon_parse_end_body, lit, sizeof(lit) - 1, MAXMSG, type, succ, msg, \
        sizeof(msg) - 1, HERE)
#define END_BAD(lit, status, field, detail)                                  \
    bad_(charon_parse_end_body, lit, sizeof(lit) - 1, MAXMSG, status, field, \
         detail, HERE)
#define END_OK_MAX(lit, max, type, succ, msg)                              \
    ok_(charon_parse_end_body, lit, sizeof(lit) - 1, max, type, succ, msg, \
        sizeof(msg) - 1, HERE)
#define END_BAD_MAX(lit, max, detail)                                      \
    bad_(charon_parse_end_body, lit, sizeof(lit) - 1, max, 422, "message", \
         detail, HERE)
#define MSG_OK(lit, type, msg)                                            \
    ok_(charon_parse_message_body, lit, sizeof(lit) - 1, MAXMSG, type, 0, \
        msg, sizeof(msg) - 1, HERE)
#define MSG_BAD(lit, status, field, detail)                               \
    bad_(charon_parse_message_body, lit, sizeof(lit) - 1, MAXMSG, status, \
         field, detail, HERE)

#define D_NOT_JSON_NUMBER                                                \
    "body is not a JSON object: a number is not written as JSON writes " \
    "numbers"
#define D_TYPE_REQ "field 'type' is required"
#define D_TYPE_BAD "field 'type' must be one of warning, info, success, error"
#define D_SUCC_REQ "field 'success' is required"
#define D_SUCC_BAD                                            \
    "field 'success' must be true or false (0, 1, \"true\", " \
    "\"false\", \"0\" and \"1\" are accepted too)"
#define D_MSG_REQ  "field 'message' is required"
#define D_MSG_STR  "field 'message' must be a string"
#define D_MSG_UTF8 "field 'message' must be valid UTF-8"
#define D_MSG_NUL  "field 'message' must not contain NUL characters"

#define W CHARON_TYPE_WARNING
#define I CHARON_TYPE_INFO
#define S CHARON_TYPE_SUCCESS
#define E CHARON_TYPE_ERROR

/* ---- the groups, in the order main runs them -------------------------- */

void test_ids(void); /* test_route.c */
void test_routes(void);
void test_utf8(void);              /* test_utf8.c */
void test_end_success_field(void); /* test_body.c */
void test_end_type_field(void);
void test_end_message_field(void);
void test_end_order_and_extras(void);
void test_message_is_copied(void);
void test_not_an_object(void); /* test_malformed.c */
void test_depth(void);
void test_truncation(void);
void test_message_endpoint(void); /* test_body.c */
void test_fuzz(void);             /* test_malformed.c */
void test_sha256(void);           /* test_keys.c */
void test_key_digest(void);
void test_key_names(void);
void test_key_find(void);
void test_key_allows(void);
void test_keyfile(void);
void test_key_admin(void);
void test_json(void);       /* test_json.c */
void test_answer(void);     /* test_answer.c */
void test_html(void);       /* test_html.c */
void test_form(void);       /* test_form.c */
void test_dialects(void);   /* test_dialects.c */
void test_schedule(void);   /* test_schedule.c */
void test_judge(void);      /* test_judge.c */
void test_start_body(void); /* test_start_body.c */

/* test_schedule_view.c: what the manager says of a schedule;
 * test_schedule_form.c: its schedule form. */
void test_schedule_view(void);
void test_schedule_form(void);

/* test_alerts_page.c: the manager's alert policy form, mute lengths and
 * words for alerts (src/lib/alerts_form.c, alerts_view.c). */
void test_alerts_page(void);

/* test_alert_state.c, test_alert_channel.c, test_alert_doc.c,
 * test_alert_payload.c: alerts (src/lib/alert*.c); the payloads against
 * tests/unit/golden_alerts/. */
void test_alert_state(void);
void test_alert_channel(void);
void test_alert_doc(void);
void test_alert_payload(void);

/* test_manage.c: a cron's document, its ETag and the PUT, PATCH and off
 * bodies of the management API (src/lib/cron_doc.c); test_manage_query.c:
 * its routes, query parameters and other documents (manage_query.c,
 * manage_json.c). */
void test_manage(void);
void test_manage_fields(void);
void test_cron_doc(void);
void test_manage_query(void);
void test_manage_json(void);

/* alert_fixtures.c: events (down, up, test) and channels to render them
 * with: a parsed CharonAlert line (aborts when it does not parse), and one
 * of each preset format. */
charon_alert_doc_t alert_doc_down(void);
charon_alert_doc_t alert_doc_up(void);
charon_alert_doc_t alert_doc_test(void);
charon_channel_t *alert_channel(const char *line);
charon_channel_t *alert_format_channel(charon_format_e f);
/* The events' time: 2026-12-07T10:00:00Z; the down event's runs. */
#define ALERT_T10 1796637600LL
extern const charon_alert_run_t alert_runs_down[3];

#endif
