/*
 * charon_lib.h: the layer that needs no httpd.
 *
 * What the API receives (routes, ids, bodies, keys, settings) is parsed
 * and checked here, the JSON documents it answers with are built here, and
 * so is the escaping of the operator's pages.  APR, json-c and OpenSSL's
 * SHA-256 only, so every file is unit-tested (tests/unit/) and the parsers
 * are fuzzed (tests/fuzz/) without a server.  One line per function here;
 * the rules are written where each is defined.
 */
#ifndef CHARON_LIB_H
#define CHARON_LIB_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* schedule.c, slots.c: schedules, time zones and slots; judge.c: what
 * became of them. */
#include "lib/judge.h"
#include "lib/schedule.h"
#include "lib/alert.h"
#include "lib/alerts_page.h"

/* ---- route.c: ids and routes ----------------------------------------- */

typedef enum {
    CHARON_VERB_NONE = 0,
    CHARON_VERB_CAN_START,
    CHARON_VERB_START,
    CHARON_VERB_END,
    CHARON_VERB_MESSAGE
} charon_verb_e;

/* 1 and *out for decimal digits in 1 .. 2^63-1, else 0. */
int charon_parse_id(const char *s, apr_int64_t *out);
/* "{target}/{verb}" under the mount: 1 with both set, 0 for any other. */
int charon_parse_route(apr_pool_t *p, const char *rest, charon_verb_e *verb,
                       const char **target);
const char *charon_verb_name(charon_verb_e verb);

/* ---- utf8.c ------------------------------------------------------------ */

/* 1 when buf[0..len) is well-formed UTF-8 (Unicode table 3-7). */
int charon_utf8_valid(const char *buf, apr_size_t len);
/* The length of the well-formed sequence at s (n bytes left), 0 if none. */
apr_size_t charon_utf8_seq(const unsigned char *s, apr_size_t n);

/* ---- body.c: bodies of end and message -------------------------------- */

typedef enum {
    CHARON_TYPE_INVALID = -1,
    CHARON_TYPE_WARNING = 0,
    CHARON_TYPE_INFO,
    CHARON_TYPE_SUCCESS,
    CHARON_TYPE_ERROR
} charon_type_e;

/* "warning", "info", "success", "error"; NULL for anything else. */
const char *charon_type_name(charon_type_e type);

typedef struct {
    int has_message;        /* 0 when absent (or null, for end) */
    const char *message;    /* NUL-terminated copy in the pool */
    apr_size_t message_len; /* bytes, without the terminator */
    charon_type_e type;
    int success; /* 0 or 1; end only */
} charon_body_t;

/* Why a body was refused: 400 (not a JSON object, field NULL) or 422
 * (field names the first wrong field). */
typedef struct {
    int status;
    const char *detail;
    const char *field;
} charon_error_t;

/* 1 with *out filled, or 0 with *err filled. */
int charon_parse_end_body(apr_pool_t *p, const char *buf, apr_size_t len,
                          apr_size_t max_message, charon_body_t *out,
                          charon_error_t *err);
int charon_parse_message_body(apr_pool_t *p, const char *buf, apr_size_t len,
                              apr_size_t max_message, charon_body_t *out,
                              charon_error_t *err);

/* ---- start_body.c: the schedule a start may carry -------------------- */

typedef struct {
    int given;            /* the body named a schedule (or null) */
    const char *schedule; /* NULL: unscheduled */
    const char *timezone; /* NULL: the default zone */
    apr_int64_t grace;    /* seconds */
} charon_sched_t;

/* 1 with *out (out->given 0 for an empty body), or 0 with *err. */
int charon_parse_start_body(apr_pool_t *p, const char *buf, apr_size_t len,
                            charon_sched_t *out, charon_error_t *err);
/* NULL, or why the text cannot be a schedule (a sentence). */
const char *charon_schedule_check(apr_pool_t *p, const char *text);
/* NULL, or why the name is not a time zone. */
const char *charon_zone_check(const char *name);

/* ---- answer.c: what the API answers ----------------------------------- */

/* A cron as the API sees it now. */
typedef struct {
    apr_int64_t id;
    const char *slug;
    int on;                 /* active, or off_until has passed */
    const char *off_reason; /* "" when none */
    const char *off_until;  /* ISO 8601 UTC, "" when none */
    apr_int64_t running_id; /* the run holding the lock, 0 when none */
} charon_cron_t;

/* What an API call came to, as the database decided it. */
typedef enum {
    CHARON_CAN_START,     /* cron: its state, on or off */
    CHARON_STARTED,       /* id: the new execution */
    CHARON_ENDED,         /* id, lost_at ("" if it was never lost) */
    CHARON_MESSAGE_ADDED, /* id: the new message */
    CHARON_NO_SLUG,
    CHARON_NO_CRON,
    CHARON_NO_EXECUTION,
    CHARON_ALREADY_ENDED,
    CHARON_REFUSED_OFF,   /* cron: switched off */
    CHARON_REFUSED_LOCKED /* cron: another run holds the lock */
} charon_outcome_e;

typedef struct {
    charon_outcome_e what;
    apr_int64_t id;
    const char *lost_at;
    charon_cron_t cron;
} charon_outcome_t;

/* An answer, built once: sent, or stored for an Idempotency-Key. */
typedef struct {
    int status;
    const char *json; /* NULL only when json-c ran out of memory */
} charon_answer_t;

/* The status and document docs/API.md gives for an outcome. */
void charon_answer_for(apr_pool_t *p, const charon_outcome_t *o,
                       charon_answer_t *a);
/* An RFC 9457 problem document; field may be NULL. */
const char *charon_json_problem(apr_pool_t *p, int status, const char *title,
                                const char *detail, const char *field);
/* The reason phrase of each status the API answers with. */
const char *charon_status_title(int status);
/* The documents, one by one (charon_answer_for composes them). */
const char *charon_json_can_start(apr_pool_t *p, const char *slug,
                                  int can_start, apr_int64_t cron_id);
const char *charon_json_id(apr_pool_t *p, apr_int64_t id);
const char *charon_json_end(apr_pool_t *p, apr_int64_t id,
                            const char *lost_at);

/* Why a cron may not start now; absent parts are NULL or 0. */
typedef struct {
    const char *refusal; /* "inactive" or "locked" */
    const char *reason;
    const char *until;
    apr_int64_t running_id;
} charon_refusal_t;

const char *charon_json_cannot_start(apr_pool_t *p, const char *slug,
                                     apr_int64_t cron_id,
                                     const charon_refusal_t *why);
const char *charon_json_refused(apr_pool_t *p, int status, const char *title,
                                const char *detail,
                                const charon_refusal_t *why);

/* ---- keys.c: API keys -------------------------------------------------- */

#define CHARON_DIGEST_LEN  32 /* SHA-256 */
#define CHARON_MIN_KEY_LEN 16 /* clear keys shorter than this are refused */

typedef struct {
    const char *name;                        /* the application's name */
    unsigned char digest[CHARON_DIGEST_LEN]; /* SHA-256 of the secret */
    apr_array_header_t *patterns;            /* const char *, may be empty */
    int admin; /* CHARON_ADMIN_*: its rights on the management API */
} charon_key_t;

#define CHARON_ADMIN_NONE  0 /* the run API only */
#define CHARON_ADMIN_READ  1
#define CHARON_ADMIN_WRITE 2

void charon_sha256(const void *data, apr_size_t len,
                   unsigned char out[CHARON_DIGEST_LEN]);
/* "sha256:<64 hex>" or a clear key: NULL, or why not (never the secret). */
const char *charon_key_digest(apr_pool_t *p, const char *secret,
                              unsigned char out[CHARON_DIGEST_LEN]);
const char *charon_key_name_check(apr_pool_t *p, const char *name);
/* The key whose digest matches, compared in constant time, or NULL. */
const charon_key_t *charon_key_find(const apr_array_header_t *keys,
                                    const char *presented, apr_size_t len);
/* 1 when the key has no patterns or one matches the slug. */
int charon_key_allows(const charon_key_t *key, const char *slug);
/* A word after NAME and KEY: admin=read, admin=write, or a slug pattern;
 * NULL, or why not. */
const char *charon_key_word(apr_pool_t *p, charon_key_t *key,
                            const char *word);
/* One CharonApiKeyFile line: NULL and *out (NULL for none), or why not. */
const char *charon_keyfile_line(apr_pool_t *p, const char *line,
                                charon_key_t **out);

/* ---- settings.c: durations, retention, run control -------------------- */

/* "90", "15m", "30d": NULL and *secs when in min..max, or why not. */
const char *charon_parse_duration(apr_pool_t *p, const char *s,
                                  apr_int64_t min, apr_int64_t max,
                                  apr_int64_t *secs);

typedef struct {
    int enabled;               /* 0: nothing is ever purged */
    apr_int64_t max_age;       /* seconds; 0: no age limit */
    apr_int64_t keep;          /* runs kept per cron; 0: no count limit */
    apr_int64_t keep_failures; /* latest failures always kept per cron */
} charon_retention_t;

#define CHARON_DEFAULT_KEEP_FAILURES 10

/* CharonRetention's words: NULL with *out, or why not. */
const char *charon_parse_retention(apr_pool_t *p, int argc, char *const argv[],
                                   charon_retention_t *out);

#define CHARON_IDEMPOTENCY_KEY_MAX 255

/* 1 for 1 to CHARON_IDEMPOTENCY_KEY_MAX printable ASCII bytes. */
int charon_idempotency_key_valid(const char *s);
/* Hex SHA-256 of verb, target and body, each delimited unambiguously. */
const char *charon_request_fingerprint(apr_pool_t *p, charon_verb_e verb,
                                       const char *target, const char *body,
                                       apr_size_t len);
/* NULL when slug may name a cron, or the sentence saying why not. */
const char *charon_slug_check(const char *slug);
/* A switch-off's end, UTC: NULL and *t, or the sentence saying why not. */
const char *charon_parse_until(const char *s, apr_time_t *t);

/* ---- html.c: the manager page's text ---------------------------------- */

/* s escaped for HTML text and attributes; bad UTF-8 and controls U+FFFD. */
const char *charon_html(apr_pool_t *p, const char *s);
/* s with every byte but [A-Za-z0-9-._~] as %XX, for a URL's query. */
const char *charon_urlencode(apr_pool_t *p, const char *s);
/* Seconds ("12.5") as people read them ("12.5 s", "4 min 05 s"), or NULL. */
const char *charon_human_duration(apr_pool_t *p, const char *secs);

/* ---- schedule_view.c: a cron's schedule on the manager page ---------- */

/* Where a cron's slots stand, most pressing first. */
typedef enum {
    CHARON_SCHED_NONE,        /* no schedule */
    CHARON_SCHED_INVALID,     /* it cannot be used (and why) */
    CHARON_SCHED_OFF,         /* switched off: no slot is judged */
    CHARON_SCHED_NOT_WATCHED, /* the watchdog has not taken it in yet */
    CHARON_SCHED_DUE,         /* a slot has passed, no start came yet */
    CHARON_SCHED_MISSED,      /* the latest slot judged had no start */
    CHARON_SCHED_UNKNOWN,     /* ... fell while the module could not look */
    CHARON_SCHED_ON_TIME
} charon_sched_state_e;

/* A cron's columns (statements.h: MC_SCHEDULE .. MC_DUE, MC_ON). */
typedef struct {
    const char *schedule;    /* NULL or "": unscheduled */
    const char *zone;        /* the zone in force (the default's name too) */
    int on;                  /* switched on now */
    int watched;             /* the watch row is for this schedule */
    const char *watch_error; /* the watchdog's reason, or NULL */
    const char *last_state;  /* ok, missed, unknown, or NULL */
    int due;
} charon_sched_in_t;

/* The state; *why (for INVALID) says what is wrong with it. */
charon_sched_state_e charon_sched_state(apr_pool_t *p,
                                        const charon_sched_in_t *in,
                                        const char **why);
/* "on-time", "not-watched"...: a class name; and the words shown. */
const char *charon_sched_state_name(charon_sched_state_e s);
const char *charon_sched_state_label(charon_sched_state_e s);

typedef struct {
    int64_t at;                 /* Unix seconds */
    char utc[CHARON_ISO_LEN];   /* "2026-12-07T10:00:00Z" */
    char local[CHARON_ISO_LEN]; /* "Mon 2026-12-07 11:00:00 +01:00" */
} charon_slot_view_t;

/* The first n slots strictly after `after` in zone (NULL: UTC) into out:
 * how many (fewer when the schedule has no more), or -1 and *why. */
int charon_next_slots(apr_pool_t *p, const char *schedule, const char *zone,
                      int64_t after, int n, charon_slot_view_t *out,
                      const char **why);

/* ---- schedule_form.c: the manager's schedule form -------------------- */

typedef struct {
    const char *schedule;    /* "" for none */
    const char *timezone;    /* "" for the default zone */
    apr_int64_t grace;       /* seconds */
    const char *min_runtime; /* seconds as text, "" for none */
} charon_sched_form_t;

/* Trimmed fields: NULL and *out, or the sentence and *field (its name). */
const char *charon_schedule_form(apr_pool_t *p, const char *schedule,
                                 const char *timezone, const char *grace,
                                 const char *min_runtime,
                                 charon_sched_form_t *out, const char **field);

/* ---- form.c: application/x-www-form-urlencoded ------------------------ */

#define CHARON_FORM_MAX_FIELDS 64

/* NULL and *out, or why not (a field twice, a bad escape, %00, bad
 * UTF-8, too many fields). */
const char *charon_parse_form(apr_pool_t *p, const char *text,
                              apr_table_t **out);

/* ---- text.c: plain-text answers ---------------------------------------- */

/* s on one line: controls and bytes outside valid UTF-8 become '?'. */
const char *charon_one_line(apr_pool_t *p, const char *s);
/* s as a Prometheus label value: \\ \" \n escaped, bad bytes \xHH. */
const char *charon_label_value(apr_pool_t *p, const char *s);
/* v if the database's text is a number (digits, sign, point, exponent),
 * else NULL: a metric's value is never anything else. */
const char *charon_number_text(const char *v);

/* manage.c, manage_query.c, manage_json.c: the management API. */
#include "lib/manage.h"

#endif /* CHARON_LIB_H */
