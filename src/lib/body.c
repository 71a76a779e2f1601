/*
 * body.c: the bodies of end and message, parsed as strict JSON and checked
 * field by field, so that the handler only ever sees a valid body.
 *
 * Everything is allocated from the caller's pool; json-c objects are
 * released before returning, so nothing outlives a call but the copies.
 */
#include "lib/charon_lib.h"
#include "lib/json_body.h"

#include <limits.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <json-c/json.h>

static const char *const type_names[] = {"warning", "info", "success",
                                         "error"};
#define TYPE_COUNT (sizeof(type_names) / sizeof(type_names[0]))

const char *charon_type_name(charon_type_e type)
{
    if ((int)type < 0 || (unsigned)type >= TYPE_COUNT)
        return NULL;
    return type_names[type];
}

static int set_error(charon_error_t *err, int status, const char *field,
                     const char *detail)
{
    err->status = status;
    err->field = field;
    err->detail = detail;
    return 0;
}

/* JSON's own white space (RFC 8259): space, tab, LF, CR.  Form feed and
 * vertical tab are not JSON white space, so they count as trailing data. */
static int json_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *json_kind(json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_null: return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double:
    case json_type_int: return "a number";
    case json_type_string: return "a string";
    case json_type_array: return "an array";
    case json_type_object: return "an object";
    }
    return "not an object";
}

/* Parses buf[0..len) as exactly one JSON object.  Returns the object (the
 * caller puts it) or NULL with a 400 in *err.
 *
 * The tokener is strict (JSON_TOKENER_STRICT): without it json-c also takes
 * comments, trailing commas, single quotes, "True" and leading zeros, none
 * of which is JSON.  Even strict, json-c 0.16 still takes raw control
 * characters inside strings, NaN and Infinity (numbers that no field here
 * accepts anyway).  UTF-8 is not validated by the tokener on purpose: bad
 * text inside "message" is a 422 naming the field, found afterwards.
 * Depth is json-c's default (32): an object nested 32 deep is refused. */
/* json-c's strict mode still takes numbers JSON does not have ("00",
 * "-01", "1.", "-.5", "1.e5", NaN, Infinity), so "success": 00 would
 * count as false.  Once
 * json-c has accepted the text, every number in it, outside strings, is
 * checked against RFC 8259:  -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)? */
static int number_is_json(const char *s, apr_size_t n)
{
    apr_size_t i = 0;

    if (i < n && s[i] == '-')
        i++;
    if (i < n && s[i] == '0')
        i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && apr_isdigit(s[i]))
            i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        if (++i >= n || !apr_isdigit(s[i]))
            return 0;
        while (i < n && apr_isdigit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        if (++i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !apr_isdigit(s[i]))
            return 0;
        while (i < n && apr_isdigit(s[i]))
            i++;
    }
    return i == n;
}

static int word_is_json(const char *s, apr_size_t n)
{
    return (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "null", 4)))
           || (n == 5 && !memcmp(s, "false", 5));
}

static int numbers_are_json(const char *buf, apr_size_t len)
{
    apr_size_t i = 0;

    while (i < len) {
        char c = buf[i];

        if (c == '"') { /* skip a string, escapes and all */
            for (i++; i < len && buf[i] != '"'; i++)
                if (buf[i] == '\\')
                    i++;
            i++;
        }
        else if (c == '-' || c == '.' || apr_isdigit(c)) {
            apr_size_t start = i;

            while (i < len
                   && (apr_isdigit(buf[i]) || buf[i] == '-' || buf[i] == '+'
                       || buf[i] == '.' || buf[i] == 'e' || buf[i] == 'E'))
                i++;
            if (!number_is_json(buf + start, i - start))
                return 0;
        }
        else if (apr_isalpha(c)) { /* NaN, Infinity: not JSON either */
            apr_size_t start = i;

            while (i < len && apr_isalpha(buf[i]))
                i++;
            if (!word_is_json(buf + start, i - start))
                return 0;
        }
        else
            i++;
    }
    return 1;
}

json_object *charon_body_object(apr_pool_t *p, const char *buf, apr_size_t len,
                                charon_error_t *err)
{
    struct json_tokener *tok;
    json_object *obj;
    enum json_tokener_error jerr;
    apr_size_t end;

    if (buf == NULL || len == 0) {
        set_error(err, 400, NULL, "body is not a JSON object: it is empty");
        return NULL;
    }
    if (len > INT_MAX) { /* json-c takes an int length */
        set_error(err, 400, NULL,
                  "body is not a JSON object: it is too large");
        return NULL;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        set_error(err, 400, NULL, "body is not a JSON object: out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, buf, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);

    if (jerr == json_tokener_success && obj == NULL) {
        /* json-c's null is the NULL pointer: a complete "null". */
        set_error(err, 400, NULL, "body is not a JSON object: it is null");
        return NULL;
    }
    if (jerr != json_tokener_success) {
        /* "continue" means the text stopped in the middle of a value, and
         * is also what a lone top-level number or null gives. */
        json_object_put(obj);
        set_error(
            err, 400, NULL,
            jerr == json_tokener_continue
                ? "body is not a JSON object: the JSON text is incomplete"
                : apr_pstrcat(p, "body is not a JSON object: ",
                              json_tokener_error_desc(jerr), NULL));
        return NULL;
    }
    /* parse_ex stops after the first complete value.  In strict mode json-c
     * already refuses most trailing text itself, but a NUL byte ends its
     * input with success; whatever follows but white space is refused. */
    while (end < len && json_space(buf[end]))
        end++;
    if (end < len) {
        json_object_put(obj);
        set_error(err, 400, NULL,
                  "body is not a JSON object: data follows the JSON value");
        return NULL;
    }
    if (!numbers_are_json(buf, len)) {
        json_object_put(obj);
        set_error(err, 400, NULL,
                  "body is not a JSON object: a number is not written as "
                  "JSON writes numbers");
        return NULL;
    }
    if (!json_object_is_type(obj, json_type_object)) {
        set_error(err, 400, NULL,
                  apr_pstrcat(p, "body is not a JSON object: it is ",
                              json_kind(obj), NULL));
        json_object_put(obj);
        return NULL;
    }
    return obj;
}

/* Is v exactly the JSON string want?  The length is compared too, since
 * "\u0000" can put a NUL inside a string ("info\u0000" is not "info"). */
static int string_is(json_object *v, const char *want)
{
    apr_size_t wl = strlen(want);
    return json_object_is_type(v, json_type_string)
           && (apr_size_t)json_object_get_string_len(v) == wl
           && memcmp(json_object_get_string(v), want, wl) == 0;
}

/* Looks a field up: 0 when absent, 1 when present with *v set.  JSON null
 * is present, with *v == NULL (json-c's null object is the NULL pointer).
 *
 * Note on duplicate keys: json-c keeps the last value given for a key
 * ({"type":"x","type":"info"} is read as info); that is left as is.  json-c
 * also cuts a key at an escaped NUL, so "type\u0000x" reads as "type". */
static int member(json_object *obj, const char *name, json_object **v)
{
    *v = NULL;
    return json_object_object_get_ex(obj, name, v) ? 1 : 0;
}

static int check_type(json_object *obj, charon_body_t *out,
                      charon_error_t *err)
{
    json_object *v;
    unsigned i;

    /* null is present but not one of the names: "must be one of". */
    if (!member(obj, "type", &v))
        return set_error(err, 422, "type", "field 'type' is required");
    for (i = 0; i < TYPE_COUNT; i++) {
        if (string_is(v, type_names[i])) {
            out->type = (charon_type_e)i;
            return 1;
        }
    }
    return set_error(err, 422, "type",
                     "field 'type' must be one of warning, info, success, "
                     "error");
}

/* success: a boolean, or the integer 0 or 1, or one of the strings "true",
 * "false", "0", "1".  json-c reads -0 as the integer 0, so it is taken as
 * false; 1.0, 1e0 and the like are doubles and refused.  Integers too large
 * for 64 bits are clamped by json-c, never to 0 or 1. */
static int check_success(json_object *obj, charon_body_t *out,
                         charon_error_t *err)
{
    json_object *v;

    if (!member(obj, "success", &v))
        return set_error(err, 422, "success", "field 'success' is required");
    if (json_object_is_type(v, json_type_boolean)) {
        out->success = json_object_get_boolean(v) ? 1 : 0;
        return 1;
    }
    if (json_object_is_type(v, json_type_int)) {
        apr_int64_t i = json_object_get_int64(v);
        if (i == 0 || i == 1) {
            out->success = (int)i;
            return 1;
        }
    }
    else if (string_is(v, "true") || string_is(v, "1")) {
        out->success = 1;
        return 1;
    }
    else if (string_is(v, "false") || string_is(v, "0")) {
        out->success = 0;
        return 1;
    }
    return set_error(err, 422, "success",
                     "field 'success' must be true or false "
                     "(0, 1, \"true\", \"false\", \"0\" and \"1\" are "
                     "accepted too)");
}

/* message: a string of valid UTF-8, without NUL, at most max bytes.
 * Checked in that order.  Absent and null are the same; whether that is
 * allowed depends on the endpoint (required).
 *
 * json-c turns an unpaired surrogate escape ("\ud800", "\udc00") into
 * U+FFFD, which is valid UTF-8, so such a message is accepted with U+FFFD
 * in its place; a raw (unescaped) surrogate is refused here. */
static int check_message(apr_pool_t *p, json_object *obj, int required,
                         apr_size_t max, charon_body_t *out,
                         charon_error_t *err)
{
    json_object *v;
    const char *s;
    apr_size_t len;

    if (!member(obj, "message", &v) || v == NULL) {
        if (required)
            return set_error(err, 422, "message",
                             "field 'message' is required");
        out->has_message = 0;
        out->message = NULL;
        out->message_len = 0;
        return 1;
    }
    if (!json_object_is_type(v, json_type_string))
        return set_error(err, 422, "message",
                         "field 'message' must be a string");
    s = json_object_get_string(v);
    len = (apr_size_t)json_object_get_string_len(v);
    if (!charon_utf8_valid(s, len))
        return set_error(err, 422, "message",
                         "field 'message' must be valid UTF-8");
    if (memchr(s, '\0', len) != NULL)
        return set_error(err, 422, "message",
                         "field 'message' must not contain NUL characters");
    if (len > max)
        return set_error(err, 422, "message",
                         apr_psprintf(p,
                                      "field 'message' is longer than "
                                      "%" APR_SIZE_T_FMT " bytes",
                                      max));
    out->has_message = 1;
    out->message = apr_pstrmemdup(p, s, len);
    out->message_len = len;
    return 1;
}

static void body_init(charon_body_t *out)
{
    out->has_message = 0;
    out->message = NULL;
    out->message_len = 0;
    out->type = CHARON_TYPE_INVALID;
    out->success = 0;
}

/* Parses the object, then checks its fields: for end in the order type,
 * success, message; for message in the order message, type (a "success"
 * field, meaningless there, is ignored like any unknown field).  The field
 * named in a 422 is the first wrong one in that order. */
static int parse_body(apr_pool_t *p, const char *buf, apr_size_t len,
                      apr_size_t max_message, int is_end, charon_body_t *out,
                      charon_error_t *err)
{
    json_object *obj;
    int ok;

    body_init(out);
    obj = charon_body_object(p, buf, len, err);
    if (obj == NULL)
        return 0;
    ok = is_end ? check_type(obj, out, err) && check_success(obj, out, err)
                      && check_message(p, obj, 0, max_message, out, err)
                : check_message(p, obj, 1, max_message, out, err)
                      && check_type(obj, out, err);
    json_object_put(obj); /* message was copied into p */
    if (!ok)
        body_init(out);
    return ok;
}

int charon_parse_end_body(apr_pool_t *p, const char *buf, apr_size_t len,
                          apr_size_t max_message, charon_body_t *out,
                          charon_error_t *err)
{
    return parse_body(p, buf, len, max_message, 1, out, err);
}

int charon_parse_message_body(apr_pool_t *p, const char *buf, apr_size_t len,
                              apr_size_t max_message, charon_body_t *out,
                              charon_error_t *err)
{
    return parse_body(p, buf, len, max_message, 0, out, err);
}
