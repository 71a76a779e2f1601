/*
 * fuzz_body.c: charon_parse_end_body and charon_parse_message_body.
 *
 * Input: one byte that picks max_message (0..239 bytes as is, 240..255
 * from a table of edge values up to APR_SIZE_MAX), then the body, passed
 * in a heap buffer of exactly its length (no terminator).  Both parsers
 * run on it; then checks:
 *   - each result alone: 0 or 1; on success a known type, success 0/1,
 *     a message that is valid UTF-8 (independent decoder), NUL-free,
 *     terminated, at most max_message bytes; on failure the body cleared,
 *     400 without field or 422 naming a field of that endpoint, and a
 *     detail of printable ASCII;
 *   - end against message: they share the JSON reading (same 400), check
 *     fields in different orders, and must agree on type and message;
 *   - max_message: with no limit the result differs only by the length
 *     rule; a message of L bytes passes at max L and fails at L - 1 with
 *     the "longer than" 422;
 *   - a 400 never gives json-c's "success" as its reason, and names the
 *     kind of a complete JSON value that is not an object;
 *   - against an RFC 8259 recognizer written here: a JSON object (up to
 *     json-c's depth) is never a 400; anything else is, but for what the
 *     source documents that json-c lets through (raw control characters
 *     and bad UTF-8 in strings, NaN, Infinity);
 *   - white space (JSON's four) before or after the body changes nothing;
 *     a NUL byte after an accepted body makes it a 400;
 *   - an accepted body, written again by json-c, reads back the same;
 *   - start's body (charon_parse_start_body) shares the JSON reading: a
 *     400 exactly when end's is (but for the empty body, which is no
 *     body to start); a 422 names schedule, timezone or grace; what it
 *     accepts is a schedule that parses, a zone ICU opens and a grace in
 *     range, and a refused body sets nothing.
 */
#include "fuzz.h"

#include <json-c/json.h>

typedef int (*parse_fn)(apr_pool_t *, const char *, apr_size_t, apr_size_t,
                        charon_body_t *, charon_error_t *);

typedef struct {
    int ok;
    charon_body_t b;
    charon_error_t e;
} result_t;

static const apr_size_t max_table[16] = {0,
                                         1,
                                         2,
                                         3,
                                         4,
                                         255,
                                         256,
                                         1023,
                                         1024,
                                         4095,
                                         4096,
                                         65535,
                                         65536,
                                         (apr_size_t)1 << 20,
                                         APR_SIZE_MAX - 1,
                                         APR_SIZE_MAX};

static apr_size_t pick_max(uint8_t b)
{
    return b < 0xF0 ? (apr_size_t)b : max_table[b - 0xF0];
}

/* Runs fn on a heap copy of exactly len bytes, *out poisoned first. */
static result_t run(parse_fn fn, const char *buf, apr_size_t len,
                    apr_size_t max)
{
    result_t r;
    char *copy = fuzz_dup((const uint8_t *)buf, len);

    memset(&r, 0x5A, sizeof(r));
    r.e.status = -1;
    r.e.detail = NULL;
    r.e.field = NULL;
    r.ok = fn(fuzz_pool, copy, len, max, &r.b, &r.e);
    free(copy);
    return r;
}

static void check_alone(const char *what, const result_t *r, apr_size_t max,
                        int is_end)
{
    const charon_body_t *b = &r->b;
    const charon_error_t *e = &r->e;

    FUZZ_CHECK(r->ok == 0 || r->ok == 1, "%s returned %d", what, r->ok);
    if (r->ok) {
        FUZZ_CHECK(charon_type_name(b->type) != NULL,
                   "%s: accepted with type %d", what, (int)b->type);
        FUZZ_CHECK(b->has_message == 0 || b->has_message == 1,
                   "%s: has_message %d", what, b->has_message);
        if (is_end)
            FUZZ_CHECK(b->success == 0 || b->success == 1, "%s: success %d",
                       what, b->success);
        else
            FUZZ_CHECK(b->has_message, "%s: accepted without message", what);
        if (b->has_message) {
            FUZZ_CHECK(b->message != NULL, "%s: message NULL", what);
            FUZZ_CHECK(b->message_len <= max,
                       "%s: message of %" APR_SIZE_T_FMT
                       " bytes over max %" APR_SIZE_T_FMT,
                       what, b->message_len, max);
            FUZZ_CHECK(b->message[b->message_len] == '\0',
                       "%s: message not terminated", what);
            FUZZ_CHECK(memchr(b->message, '\0', b->message_len) == NULL,
                       "%s: message holds a NUL", what);
            FUZZ_CHECK(ref_utf8_valid((const unsigned char *)b->message,
                                      b->message_len),
                       "%s: accepted message is not valid UTF-8", what);
        }
        else
            FUZZ_CHECK(b->message == NULL && b->message_len == 0,
                       "%s: no message but message/len set", what);
        return;
    }
    FUZZ_CHECK(b->has_message == 0 && b->message == NULL && b->message_len == 0
                   && b->type == CHARON_TYPE_INVALID && b->success == 0,
               "%s: refused body not cleared", what);
    FUZZ_CHECK(e->status == 400 || e->status == 422, "%s: status %d", what,
               e->status);
    FUZZ_CHECK(e->detail != NULL && e->detail[0] != '\0', "%s: no detail",
               what);
    FUZZ_CHECK(fuzz_printable(e->detail), "%s: detail not printable ASCII: %s",
               what, e->detail);
    if (e->status == 400)
        FUZZ_CHECK(e->field == NULL, "%s: 400 with field %s", what, e->field);
    else
        FUZZ_CHECK(
            fuzz_str_eq(e->field, "type") || fuzz_str_eq(e->field, "message")
                || (is_end && fuzz_str_eq(e->field, "success")),
            "%s: 422 with field %s", what, e->field ? e->field : "(null)");
}

static int same_body(const charon_body_t *a, const charon_body_t *b,
                     int is_end)
{
    if (a->type != b->type || a->has_message != b->has_message)
        return 0;
    if (is_end && a->success != b->success)
        return 0;
    if (a->has_message
        && (a->message_len != b->message_len
            || memcmp(a->message, b->message, a->message_len) != 0))
        return 0;
    return 1;
}

/* Same outcome; for two refusals, same status and, for 422, the same field
 * and detail (a 400's wording may differ: "123" is incomplete, "123 " is a
 * number). */
static int same_outcome(const result_t *a, const result_t *b, int is_end)
{
    if (a->ok != b->ok)
        return 0;
    if (a->ok)
        return same_body(&a->b, &b->b, is_end);
    if (a->e.status != b->e.status)
        return 0;
    if (a->e.status == 422)
        return fuzz_str_eq(a->e.field, b->e.field)
               && fuzz_str_eq(a->e.detail, b->e.detail);
    return 1;
}

static int is_longer_than(const result_t *r, apr_size_t max)
{
    return !r->ok && r->e.status == 422 && fuzz_str_eq(r->e.field, "message")
           && fuzz_str_eq(r->e.detail,
                          apr_psprintf(fuzz_pool,
                                       "field 'message' is longer than "
                                       "%" APR_SIZE_T_FMT " bytes",
                                       max));
}

/* The result at max against the one without a limit (big). */
static void check_max(const char *what, parse_fn fn, const char *buf,
                      apr_size_t len, apr_size_t max, const result_t *r,
                      const result_t *big, int is_end)
{
    if (r->ok) {
        FUZZ_CHECK(big->ok && same_body(&r->b, &big->b, is_end),
                   "%s: accepted at max %" APR_SIZE_T_FMT
                   " but not the same without a limit",
                   what, max);
    }
    else if (big->ok) {
        FUZZ_CHECK(big->b.has_message && big->b.message_len > max
                       && is_longer_than(r, max),
                   "%s: refused at max %" APR_SIZE_T_FMT " (%d %s: %s) but "
                   "accepted without a limit",
                   what, max, r->e.status, r->e.field ? r->e.field : "-",
                   r->e.detail);
    }
    else if (!same_outcome(r, big, is_end)) {
        /* message refused as too long, then type refused (message body) */
        FUZZ_CHECK(!is_end && is_longer_than(r, max) && big->e.status == 422
                       && fuzz_str_eq(big->e.field, "type"),
                   "%s: refusals differ at max %" APR_SIZE_T_FMT
                   " (%d %s) and without a limit (%d %s)",
                   what, max, r->e.status, r->e.field ? r->e.field : "-",
                   big->e.status, big->e.field ? big->e.field : "-");
    }

    /* The boundary: a message of L bytes passes at L, fails at L - 1. */
    if (big->ok && big->b.has_message) {
        apr_size_t l = big->b.message_len;
        result_t at = run(fn, buf, len, l);

        FUZZ_CHECK(at.ok && same_body(&at.b, &big->b, is_end),
                   "%s: message of %" APR_SIZE_T_FMT " bytes refused at "
                   "max_message %" APR_SIZE_T_FMT,
                   what, l, l);
        if (l > 0) {
            result_t under = run(fn, buf, len, l - 1);
            FUZZ_CHECK(is_longer_than(&under, l - 1),
                       "%s: message of %" APR_SIZE_T_FMT " bytes not refused "
                       "as too long at max_message %" APR_SIZE_T_FMT,
                       what, l, l - 1);
        }
    }
}

/* end against message, on the same body and max. */
static void check_pair(const result_t *end, const result_t *msg)
{
    FUZZ_CHECK((end->e.status == 400) == (msg->e.status == 400)
                   && (end->e.status != 400
                       || fuzz_str_eq(end->e.detail, msg->e.detail)),
               "end and message read the JSON differently: %d %s / %d %s",
               end->e.status, end->e.detail ? end->e.detail : "-",
               msg->e.status, msg->e.detail ? msg->e.detail : "-");
    if (end->ok && end->b.has_message)
        FUZZ_CHECK(
            msg->ok && msg->b.type == end->b.type
                && msg->b.message_len == end->b.message_len
                && memcmp(msg->b.message, end->b.message, end->b.message_len)
                       == 0,
            "end accepted type and message, message did not agree");
    if (end->ok && !end->b.has_message)
        FUZZ_CHECK(!msg->ok && msg->e.status == 422
                       && fuzz_str_eq(msg->e.field, "message"),
                   "end accepted no message, message endpoint did not "
                   "refuse it as required");
    if (msg->ok)
        FUZZ_CHECK(
            (end->ok && end->b.type == msg->b.type && end->b.has_message)
                || (!end->ok && end->e.status == 422
                    && fuzz_str_eq(end->e.field, "success")),
            "message accepted, end refused it for %s",
            end->e.field ? end->e.field : "(400)");
    if (!end->ok && end->e.status == 422
        && fuzz_str_eq(end->e.field, "message"))
        FUZZ_CHECK(!msg->ok && msg->e.status == 422
                       && fuzz_str_eq(msg->e.field, "message")
                       && fuzz_str_eq(msg->e.detail, end->e.detail),
                   "end refused the message, message endpoint did not the "
                   "same way");
    if (!msg->ok && msg->e.status == 422 && fuzz_str_eq(msg->e.field, "type"))
        FUZZ_CHECK(!end->ok && end->e.status == 422
                       && fuzz_str_eq(end->e.field, "type")
                       && fuzz_str_eq(end->e.detail, msg->e.detail),
                   "message refused the type, end did not the same way");
}

#include "json_ref.h"

/* The deepest level json-c takes with JSON_TOKENER_DEFAULT_DEPTH (32):
 * values at level 32 pass, at 33 are refused.  So 31 objects nested with a
 * number in the last pass, 32 do not ("an object nested 32 deep is
 * refused" in src/lib/body.c), and 32 arrays nested pass when the last is
 * empty. */
#define JSONC_DEPTH_OK 32

/* charon reads JSON as RFC 8259 does, give or take what it documents:
 * a JSON object (not too deep) is never a 400, and what is not a 400 is a
 * JSON object but for the documented leniencies of json-c. */
static void check_grammar(const char *what, const char *buf, apr_size_t len,
                          const result_t *r)
{
    int depth, too_deep, strict, lenient;

    strict = jv_object_text(buf, len, 0, &depth, &too_deep);
    if (strict && depth <= JSONC_DEPTH_OK)
        FUZZ_CHECK(r->ok || r->e.status != 400,
                   "%s: a JSON object (%d levels) refused with 400: %s", what,
                   depth, r->e.detail);
    if (r->ok || r->e.status != 400) {
        lenient = jv_object_text(buf, len, 1, &depth, &too_deep);
        FUZZ_CHECK(lenient || too_deep,
                   "%s: not a JSON object, but not refused with 400 "
                   "(%s %d %s)",
                   what, r->ok ? "accepted" : "refused",
                   r->ok ? 0 : r->e.status,
                   r->ok || !r->e.field ? "" : r->e.field);
        FUZZ_CHECK(depth <= JSONC_DEPTH_OK,
                   "%s: values %d levels deep not refused", what, depth);
    }
}

/* What json-c (strict) makes of the whole body, independently of charon:
 * NULL when it is not one complete JSON value followed by nothing but
 * JSON white space, "object" for an object, else the kind of the value as
 * the 400 names it (last word of "it is a boolean", "it is null"...). */
static const char *value_kind(const char *buf, apr_size_t len)
{
    struct json_tokener *tok;
    json_object *o;
    const char *kind = NULL;
    size_t end;

    if (len == 0 || len > 1 << 20)
        return NULL;
    tok = json_tokener_new();
    FUZZ_CHECK(tok != NULL, "json-c out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    o = json_tokener_parse_ex(tok, buf, (int)len);
    if (json_tokener_get_error(tok) == json_tokener_success) {
        end = json_tokener_get_parse_end(tok);
        while (end < len
               && (buf[end] == ' ' || buf[end] == '\t' || buf[end] == '\n'
                   || buf[end] == '\r'))
            end++;
        if (end == len) {
            switch (json_object_get_type(o)) {
            case json_type_null: kind = "null"; break;
            case json_type_boolean: kind = "boolean"; break;
            case json_type_double:
            case json_type_int: kind = "number"; break;
            case json_type_string: kind = "string"; break;
            case json_type_array: kind = "array"; break;
            case json_type_object: kind = "object"; break;
            }
        }
    }
    json_object_put(o);
    json_tokener_free(tok);
    return kind;
}

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* A 400 says why in words: it never gives json-c's "success" as the
 * reason, and a complete JSON value that is not an object is named. */
static void check_400(const char *what, const char *buf, apr_size_t len,
                      const result_t *r)
{
    const char *kind;

    if (r->ok || r->e.status != 400)
        return;
    FUZZ_CHECK(
        tolerate_known
            || !ends_with(r->e.detail, apr_pstrcat(fuzz_pool, ": ",
                                                   json_tokener_error_desc(
                                                       json_tokener_success),
                                                   NULL)),
        "%s: refused with 400 \"%s\"", what, r->e.detail);
    kind = value_kind(buf, len);
    /* json-c calls "1." a number; charon refuses it for what it is. */
    FUZZ_CHECK(kind == NULL || strcmp(kind, "object") == 0
                   || ends_with(r->e.detail, kind)
                   || (!jv_value_text(buf, len)
                       && ends_with(r->e.detail, "as JSON writes numbers"))
                   || (tolerate_known && strcmp(kind, "null") == 0),
               "%s: body is a complete JSON %s, 400 says \"%s\"", what, kind,
               r->e.detail);
}

/* An accepted body written again by json-c must read back the same. */
static void check_rewrite(const char *what, parse_fn fn, const result_t *big,
                          int is_end)
{
    json_object *o = json_object_new_object();
    const char *text;
    result_t again;

    FUZZ_CHECK(o != NULL, "json-c out of memory");
    json_object_object_add(
        o, "type", json_object_new_string(charon_type_name(big->b.type)));
    if (is_end)
        json_object_object_add(o, "success",
                               json_object_new_boolean(big->b.success));
    if (big->b.has_message)
        json_object_object_add(o, "message",
                               json_object_new_string_len(
                                   big->b.message, (int)big->b.message_len));
    text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    FUZZ_CHECK(text != NULL, "json-c out of memory");
    again = run(fn, text, strlen(text), APR_SIZE_MAX);
    FUZZ_CHECK(again.ok && same_body(&again.b, &big->b, is_end),
               "%s: accepted body, written again as %s, reads differently",
               what, text);
    json_object_put(o);
}

/* White space around the body changes nothing; a NUL after it refuses. */
static void check_wrapping(const char *what, parse_fn fn, const char *buf,
                           apr_size_t len, const result_t *big, int is_end,
                           uint8_t pick)
{
    static const char *const ws[] = {" ", "\t", "\r\n", "\n \t\r"};
    const char *w = ws[pick & 3];
    apr_size_t wl = strlen(w);
    char *tmp = malloc(len + wl + 1);
    result_t r;

    if (tmp == NULL)
        abort();
    if (len)
        memcpy(tmp, buf, len);
    memcpy(tmp + len, w, wl);
    r = run(fn, tmp, len + wl, APR_SIZE_MAX);
    FUZZ_CHECK(same_outcome(&r, big, is_end),
               "%s: white space after the body changed the outcome "
               "(%d -> %d, %d -> %d)",
               what, big->ok, r.ok, big->e.status, r.e.status);

    memcpy(tmp, w, wl);
    if (len)
        memcpy(tmp + wl, buf, len);
    r = run(fn, tmp, len + wl, APR_SIZE_MAX);
    FUZZ_CHECK(same_outcome(&r, big, is_end),
               "%s: white space before the body changed the outcome "
               "(%d -> %d, %d -> %d)",
               what, big->ok, r.ok, big->e.status, r.e.status);

    if (big->ok) {
        if (len)
            memcpy(tmp, buf, len);
        tmp[len] = '\0';
        r = run(fn, tmp, len + 1, APR_SIZE_MAX);
        FUZZ_CHECK(!r.ok && r.e.status == 400,
                   "%s: accepted body followed by a NUL byte not refused "
                   "with 400 (ok %d, status %d)",
                   what, r.ok, r.e.status);
    }
    free(tmp);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *t = getenv("FUZZ_TOLERATE_KNOWN");

    (void)argc;
    (void)argv;
    tolerate_known = t != NULL && strcmp(t, "1") == 0;
    fuzz_init();
    return 0;
}

static void check_start(const char *buf, apr_size_t len, const result_t *end)
{
    charon_sched_t s;
    charon_error_t e = {0, NULL, NULL};
    int ok = charon_parse_start_body(fuzz_pool, buf, len, &s, &e);

    FUZZ_CHECK(ok == 0 || ok == 1, "start: result %d", ok);
    if (len == 0) {
        FUZZ_CHECK(ok && !s.given, "start: an empty body sets nothing");
        return;
    }
    FUZZ_CHECK((!ok && e.status == 400) == (!end->ok && end->e.status == 400),
               "start and end disagree on the JSON: start %d/%d, end %d/%d",
               ok, e.status, end->ok, end->e.status);
    if (!ok) {
        FUZZ_CHECK(e.status == 400 ? e.field == NULL
                                   : e.status == 422 && e.field
                                         && (!strcmp(e.field, "schedule")
                                             || !strcmp(e.field, "timezone")
                                             || !strcmp(e.field, "grace")),
                   "start: refused %d naming %s", e.status,
                   e.field ? e.field : "nothing");
        FUZZ_CHECK(!s.given && !s.schedule && !s.timezone,
                   "start: a refused body set something");
        return;
    }
    if (!s.given) {
        return;
    }
    FUZZ_CHECK(s.grace >= CHARON_GRACE_MIN && s.grace <= CHARON_GRACE_MAX,
               "start: grace %ld", (long)s.grace);
    FUZZ_CHECK(!s.schedule || !charon_schedule_check(fuzz_pool, s.schedule),
               "start: accepted a schedule that does not parse");
    FUZZ_CHECK(!s.timezone || !charon_zone_check(s.timezone),
               "start: accepted a zone ICU does not open");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf;
    apr_size_t len, max;
    result_t end, msg, end_big, msg_big;

    if (size < 1)
        return 0;
    max = pick_max(data[0]);
    buf = (const char *)data + 1;
    len = size - 1;

    end = run(charon_parse_end_body, buf, len, max);
    msg = run(charon_parse_message_body, buf, len, max);
    check_alone("end", &end, max, 1);
    check_alone("message", &msg, max, 0);
    check_pair(&end, &msg);

    end_big = run(charon_parse_end_body, buf, len, APR_SIZE_MAX);
    msg_big = run(charon_parse_message_body, buf, len, APR_SIZE_MAX);
    check_alone("end (no limit)", &end_big, APR_SIZE_MAX, 1);
    check_alone("message (no limit)", &msg_big, APR_SIZE_MAX, 0);
    check_pair(&end_big, &msg_big);
    check_400("end", buf, len, &end_big);
    check_grammar("end", buf, len, &end_big);
    check_max("end", charon_parse_end_body, buf, len, max, &end, &end_big, 1);
    check_max("message", charon_parse_message_body, buf, len, max, &msg,
              &msg_big, 0);

    check_wrapping("end", charon_parse_end_body, buf, len, &end_big, 1,
                   data[0]);
    check_wrapping("message", charon_parse_message_body, buf, len, &msg_big, 0,
                   data[0] >> 2);
    if (end_big.ok)
        check_rewrite("end", charon_parse_end_body, &end_big, 1);
    if (msg_big.ok)
        check_rewrite("message", charon_parse_message_body, &msg_big, 0);
    check_start(buf, len, &end_big);

    apr_pool_clear(fuzz_pool);
    return 0;
}
