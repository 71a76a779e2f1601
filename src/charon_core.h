/*
 * charon_core.h: the parts of mod_charon that need no httpd.
 *
 * Route and id parsing, request-body parsing and validation, API key
 * matching, and the JSON documents the API answers with.  Only APR,
 * json-c and OpenSSL's SHA-256 are used here, so this code is unit-tested
 * and fuzzed without a server (tests/unit/).
 */
#ifndef CHARON_CORE_H
#define CHARON_CORE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#define CHARON_DIGEST_LEN 32          /* SHA-256 */
#define CHARON_MIN_KEY_LEN 16         /* clear keys shorter than this are refused */

/* ---- ids and routes ------------------------------------------------- */

/* Parses a decimal id in 1 .. 2^63-1 made of digits only.  Returns 1 and
 * sets *out when valid, 0 otherwise ("abc", "-1", "1.5", "0x10", "0",
 * "", "+1", " 1", leading zeros are accepted as decimal: "007" is 7). */
int charon_parse_id(const char *s, apr_int64_t *out);

typedef enum {
    CHARON_VERB_NONE = 0,
    CHARON_VERB_CAN_START,
    CHARON_VERB_START,
    CHARON_VERB_END,
    CHARON_VERB_MESSAGE
} charon_verb_e;

/* Splits the path under the mount ("nightly-backup/can-start", no leading
 * slash) into target and verb.  The shape must be exactly "{x}/{verb}"
 * with x non-empty and free of '/', verb one of can-start, start, end,
 * message.  Returns 1 and fills *verb and *target (allocated in p) on
 * success, 0 for any other shape. */
int charon_parse_route(apr_pool_t *p, const char *rest,
                       charon_verb_e *verb, const char **target);

const char *charon_verb_name(charon_verb_e verb);

/* ---- request bodies -------------------------------------------------- */

typedef enum {
    CHARON_TYPE_INVALID = -1,
    CHARON_TYPE_WARNING = 0,
    CHARON_TYPE_INFO,
    CHARON_TYPE_SUCCESS,
    CHARON_TYPE_ERROR
} charon_type_e;

/* "warning", "info", "success", "error"; NULL for anything else. */
const char *charon_type_name(charon_type_e type);

/* A parsed and validated body of `end` or `message`. */
typedef struct {
    int has_message;            /* 0 when absent (or null, for end) */
    const char *message;        /* NUL-terminated copy in the pool */
    apr_size_t message_len;     /* bytes, without the terminator */
    charon_type_e type;
    int success;                /* 0 or 1; end only */
} charon_body_t;

/* Why a body was refused: status is 400 (not a JSON object) or 422 (a
 * field is missing, of the wrong type or out of range).  field is the
 * field's name for 422, NULL for 400.  detail is a sentence for people. */
typedef struct {
    int status;
    const char *detail;
    const char *field;
} charon_error_t;

/* Parse and validate the body of `end` (type and success required,
 * message optional) or `message` (message and type required).  Rules:
 * the body must be one JSON object and nothing else but white space;
 * unknown fields are ignored; type is one of the four names exactly;
 * success is true/false, 0/1, "true"/"false"/"0"/"1"; message is a
 * string of valid UTF-8 with no NUL, at most max_message bytes.
 * Returns 1 on success, 0 with *err filled otherwise. */
int charon_parse_end_body(apr_pool_t *p, const char *buf, apr_size_t len,
                          apr_size_t max_message, charon_body_t *out,
                          charon_error_t *err);
int charon_parse_message_body(apr_pool_t *p, const char *buf, apr_size_t len,
                              apr_size_t max_message, charon_body_t *out,
                              charon_error_t *err);

/* 1 when buf[0..len) is valid UTF-8 (no overlongs, no surrogates, no
 * code point past U+10FFFF), 0 otherwise. */
int charon_utf8_valid(const char *buf, apr_size_t len);

/* ---- API keys -------------------------------------------------------- */

typedef struct {
    const char *name;                        /* the application's name */
    unsigned char digest[CHARON_DIGEST_LEN]; /* SHA-256 of the secret */
    apr_array_header_t *patterns;            /* const char *, may be empty */
} charon_key_t;

void charon_sha256(const void *data, apr_size_t len,
                   unsigned char out[CHARON_DIGEST_LEN]);

/* Turns a configured secret into its digest: "sha256:" followed by 64 hex
 * digits (either case) is taken as the digest itself; anything else is a
 * clear key of at least CHARON_MIN_KEY_LEN bytes, hashed here.  Returns
 * NULL on success or an error sentence (which never quotes the secret). */
const char *charon_key_digest(apr_pool_t *p, const char *secret,
                              unsigned char out[CHARON_DIGEST_LEN]);

/* Checks a key name: 1 to 64 characters of [A-Za-z0-9._-].  Returns NULL
 * or an error sentence. */
const char *charon_key_name_check(apr_pool_t *p, const char *name);

/* Finds the key whose digest equals SHA-256(presented).  Every key is
 * compared in constant time and the loop never stops early, so the time
 * taken says nothing about which key (if any) matched.  keys holds
 * charon_key_t *.  Returns NULL when none matches or presented is NULL. */
const charon_key_t *charon_key_find(const apr_array_header_t *keys,
                                    const char *presented, apr_size_t len);

/* 1 when the key may touch the cron with this slug: it has no patterns,
 * or one of its shell-style patterns (apr_fnmatch, no flags) matches. */
int charon_key_allows(const charon_key_t *key, const char *slug);

/* Parses one line of a CharonApiKeyFile: "NAME KEY [PATTERN ...]",
 * fields separated by blanks, '#' starts a comment line, blank lines are
 * skipped.  Returns NULL and sets *out (NULL for a line with no key), or
 * an error sentence. */
const char *charon_keyfile_line(apr_pool_t *p, const char *line,
                                charon_key_t **out);

/* ---- JSON answers ---------------------------------------------------- */

/* {"slug":"...","canStart":true,"cronId":7} */
const char *charon_json_can_start(apr_pool_t *p, const char *slug,
                                  int can_start, apr_int64_t cron_id);
/* {"id":1234} */
const char *charon_json_id(apr_pool_t *p, apr_int64_t id);
/* RFC 9457 problem document: {"type":"about:blank","title":...,
 * "status":...,"detail":...[,"field":...]}; field may be NULL. */
const char *charon_json_problem(apr_pool_t *p, int status, const char *title,
                                const char *detail, const char *field);

/* Why a cron may not start now: switched off, or held by the overlap
 * lock.  Absent parts are NULL or 0. */
typedef struct {
    const char *refusal;        /* "inactive" or "locked" */
    const char *reason;         /* the operator's off_reason, or for a lock
                                 * a sentence naming the running execution */
    const char *until;          /* off_until, ISO 8601 UTC */
    apr_int64_t running_id;     /* the execution holding the lock */
} charon_refusal_t;

/* {"slug":...,"canStart":false,"cronId":7,"refusal":...[,"reason":...]
 * [,"until":...][,"runningExecutionId":...]} */
const char *charon_json_cannot_start(apr_pool_t *p, const char *slug,
                                     apr_int64_t cron_id,
                                     const charon_refusal_t *why);
/* A problem document (as charon_json_problem, no field) with the
 * refusal's members added: RFC 9457 extension members. */
const char *charon_json_refused(apr_pool_t *p, int status, const char *title,
                                const char *detail,
                                const charon_refusal_t *why);
/* {"id":1234}, or {"id":1234,"late":true,"lostAt":...} for the end of an
 * execution that had been marked lost (lost_at not NULL). */
const char *charon_json_end(apr_pool_t *p, apr_int64_t id,
                            const char *lost_at);

/* ---- run-control settings (charon_settings.c) ------------------------- */

/* Parses a duration: decimal digits, optionally followed by one unit of
 * s, m, h, d or w (no unit: seconds), e.g. "90", "15m", "30d".  Returns
 * NULL and sets *secs when the value is in min..max seconds, or an error
 * sentence (naming the bounds) otherwise. */
const char *charon_parse_duration(apr_pool_t *p, const char *s,
                                  apr_int64_t min, apr_int64_t max,
                                  apr_int64_t *secs);

/* ---- the manager page's fields (charon_settings.c) --------------------- */

/* NULL when slug may name a cron, or the sentence saying why not.  The API
 * finds a cron by the slug in its URL, {mount}{slug}/can-start: so a slug
 * is what one path segment can carry (httpd refuses %2F and %00 in a path
 * and resolves "." and ".." away); 1 to 255 bytes (VARBINARY(255) on
 * MySQL) of valid UTF-8 (the API compares nothing else), no control
 * characters. */
const char *charon_slug_check(const char *slug);

/* "YYYY-MM-DDTHH:MM[:SS[.fff]]" (what <input type=datetime-local> sends,
 * taken as UTC), or the same with "Z" or "+HH:MM"/"-HH:MM"; a space may
 * stand for the T.  NULL and *t, or the sentence saying why not. */
const char *charon_parse_until(const char *s, apr_time_t *t);

typedef struct {
    int enabled;                /* 0: nothing is ever purged */
    apr_int64_t max_age;        /* seconds; 0: no age limit */
    apr_int64_t keep;           /* runs kept per cron; 0: no count limit */
    apr_int64_t keep_failures;  /* latest failures always kept per cron */
} charon_retention_t;

#define CHARON_DEFAULT_KEEP_FAILURES 10

/* Parses the arguments of CharonRetention: "off" alone, or words
 * max-age=DURATION (at least 60 s), keep=N (1 .. 10^9) and
 * keep-failures=N (0 .. 10^9) in any order, each at most once, with at
 * least one of max-age and keep.  keep-failures defaults to
 * CHARON_DEFAULT_KEEP_FAILURES.  Returns NULL with *out filled, or an
 * error sentence. */
const char *charon_parse_retention(apr_pool_t *p, int argc,
                                   char *const argv[],
                                   charon_retention_t *out);

#define CHARON_IDEMPOTENCY_KEY_MAX 255

/* 1 when an Idempotency-Key header value is acceptable: 1 to
 * CHARON_IDEMPOTENCY_KEY_MAX bytes, each printable ASCII (0x20..0x7E). */
int charon_idempotency_key_valid(const char *s);

/* What identifies a request for Idempotency-Key: the lower-case hex
 * SHA-256 (64 characters) of the verb's name, the target (id) and the
 * body, each unambiguously delimited, so the same key sent with another
 * route or another body can be told apart. */
const char *charon_request_fingerprint(apr_pool_t *p, charon_verb_e verb,
                                       const char *target, const char *body,
                                       apr_size_t len);

#endif /* CHARON_CORE_H */
