/*
 * charon_core.c: the parts of mod_charon that need no httpd.
 *
 * See charon_core.h for the interface.  Everything here allocates from the
 * caller's APR pool; json-c objects are always released before returning,
 * so nothing outlives a call except what was copied into the pool.
 */
#include "charon_core.h"

#include <limits.h>
#include <string.h>

#include <apr_fnmatch.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include <json-c/json.h>
#include <openssl/sha.h>

/* ===================================================================== */
/* ids and routes                                                         */
/* ===================================================================== */

int charon_parse_id(const char *s, apr_int64_t *out)
{
    apr_int64_t v = 0;

    if (s == NULL || *s == '\0')
        return 0;
    for (; *s; s++) {
        int d;
        /* Digits only: no sign, no white space, no base prefix.  isdigit()
         * is avoided on purpose, it depends on the locale. */
        if (*s < '0' || *s > '9')
            return 0;
        d = *s - '0';
        /* Test before multiplying so that overflow is never performed
         * (signed overflow is undefined behaviour in C). */
        if (v > (APR_INT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    if (v == 0)
        return 0;
    if (out)
        *out = v;
    return 1;
}

static const char *const verb_names[] = {
    NULL,           /* CHARON_VERB_NONE */
    "can-start",
    "start",
    "end",
    "message"
};
#define VERB_COUNT (sizeof(verb_names) / sizeof(verb_names[0]))

const char *charon_verb_name(charon_verb_e verb)
{
    if ((unsigned)verb >= VERB_COUNT)
        return NULL;
    return verb_names[verb];
}

int charon_parse_route(apr_pool_t *p, const char *rest,
                       charon_verb_e *verb, const char **target)
{
    const char *slash;
    unsigned i;

    *verb = CHARON_VERB_NONE;
    *target = NULL;
    if (rest == NULL)
        return 0;
    slash = strchr(rest, '/');
    if (slash == NULL || slash == rest)
        return 0;
    /* The verb is everything after the first '/', compared whole: a second
     * '/' anywhere ("a/b/start", "x/start/") makes it match no verb. */
    for (i = 1; i < VERB_COUNT; i++) {
        if (strcmp(slash + 1, verb_names[i]) == 0) {
            *verb = (charon_verb_e)i;
            *target = apr_pstrmemdup(p, rest, (apr_size_t)(slash - rest));
            return 1;
        }
    }
    return 0;
}

/* ===================================================================== */
/* request bodies                                                         */
/* ===================================================================== */

static const char *const type_names[] = {
    "warning", "info", "success", "error"
};
#define TYPE_COUNT (sizeof(type_names) / sizeof(type_names[0]))

const char *charon_type_name(charon_type_e type)
{
    if ((int)type < 0 || (unsigned)type >= TYPE_COUNT)
        return NULL;
    return type_names[type];
}

/* Is c a continuation byte (10xxxxxx)? */
#define UTF8_CONT(c) (((c) & 0xC0) == 0x80)

int charon_utf8_valid(const char *buf, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    apr_size_t i = 0;

    /* The table of well-formed sequences of Unicode 15, section 3.9
     * (table 3-7).  The second byte's range for E0, ED, F0 and F4 is what
     * rules out overlong forms, the surrogates D800..DFFF, and code points
     * past U+10FFFF; C0, C1 and F5..FF never start a sequence. */
    while (i < len) {
        unsigned char c = s[i];
        apr_size_t n, k;       /* n: continuation bytes expected */
        unsigned char lo = 0x80, hi = 0xBF; /* range of the 2nd byte */

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0;          /* overlong below U+0800 */
            else if (c == 0xED)
                hi = 0x9F;          /* surrogates */
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90;          /* overlong below U+10000 */
            else if (c == 0xF4)
                hi = 0x8F;          /* past U+10FFFF */
        }
        else
            return 0;               /* stray continuation, C0, C1, F5..FF */

        if (len - i <= n)
            return 0;               /* truncated sequence */
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (k = 2; k <= n; k++)
            if (!UTF8_CONT(s[i + k]))
                return 0;
        i += n + 1;
    }
    return 1;
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
    case json_type_null:    return "null";
    case json_type_boolean: return "a boolean";
    case json_type_double:
    case json_type_int:     return "a number";
    case json_type_string:  return "a string";
    case json_type_array:   return "an array";
    case json_type_object:  return "an object";
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

        if (c == '"') {                  /* skip a string, escapes and all */
            for (i++; i < len && buf[i] != '"'; i++)
                if (buf[i] == '\\')
                    i++;
            i++;
        }
        else if (c == '-' || c == '.' || apr_isdigit(c)) {
            apr_size_t start = i;

            while (i < len && (apr_isdigit(buf[i]) || buf[i] == '-'
                               || buf[i] == '+' || buf[i] == '.'
                               || buf[i] == 'e' || buf[i] == 'E'))
                i++;
            if (!number_is_json(buf + start, i - start))
                return 0;
        }
        else if (apr_isalpha(c)) {       /* NaN, Infinity: not JSON either */
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

static json_object *parse_object(apr_pool_t *p, const char *buf,
                                 apr_size_t len, charon_error_t *err)
{
    struct json_tokener *tok;
    json_object *obj;
    enum json_tokener_error jerr;
    apr_size_t end;

    if (buf == NULL || len == 0) {
        set_error(err, 400, NULL, "body is not a JSON object: it is empty");
        return NULL;
    }
    if (len > INT_MAX) {                /* json-c takes an int length */
        set_error(err, 400, NULL, "body is not a JSON object: it is too large");
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
        set_error(err, 400, NULL,
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
                         apr_psprintf(p, "field 'message' is longer than %"
                                      APR_SIZE_T_FMT " bytes", max));
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
    obj = parse_object(p, buf, len, err);
    if (obj == NULL)
        return 0;
    ok = is_end ? check_type(obj, out, err)
                  && check_success(obj, out, err)
                  && check_message(p, obj, 0, max_message, out, err)
                : check_message(p, obj, 1, max_message, out, err)
                  && check_type(obj, out, err);
    json_object_put(obj);       /* message was copied into p */
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

/* ===================================================================== */
/* API keys                                                               */
/* ===================================================================== */

void charon_sha256(const void *data, apr_size_t len,
                   unsigned char out[CHARON_DIGEST_LEN])
{
    SHA256((const unsigned char *)data, len, out);
}

#define DIGEST_PREFIX "sha256:"
#define DIGEST_PREFIX_LEN (sizeof(DIGEST_PREFIX) - 1)

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* 64 hex digits, exactly, into 32 bytes. */
static int parse_hex_digest(const char *hex, unsigned char out[CHARON_DIGEST_LEN])
{
    unsigned char tmp[CHARON_DIGEST_LEN];
    int i;

    if (strlen(hex) != 2 * CHARON_DIGEST_LEN)
        return 0;
    for (i = 0; i < CHARON_DIGEST_LEN; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        tmp[i] = (unsigned char)(hi << 4 | lo);
    }
    memcpy(out, tmp, sizeof(tmp));
    return 1;
}

/* The sentences below never quote the secret: they end up in error_log. */
const char *charon_key_digest(apr_pool_t *p, const char *secret,
                              unsigned char out[CHARON_DIGEST_LEN])
{
    const unsigned char *c;

    (void)p;
    if (secret == NULL)
        return "an API key is required";
    /* A value that announces a digest but is not one is an error, not a
     * clear key: taking it as a secret would hide the operator's typo. */
    if (strncmp(secret, DIGEST_PREFIX, DIGEST_PREFIX_LEN) == 0) {
        if (!parse_hex_digest(secret + DIGEST_PREFIX_LEN, out))
            return "an API key written as 'sha256:' must be followed by "
                   "exactly 64 hexadecimal digits";
        return NULL;
    }
    if (strlen(secret) < CHARON_MIN_KEY_LEN)
        return apr_psprintf(p, "a clear API key must be at least %d bytes "
                            "long", CHARON_MIN_KEY_LEN);
    for (c = (const unsigned char *)secret; *c; c++)
        if (*c <= ' ' || *c == 0x7F)
            return "an API key must not contain white space or control "
                   "characters";
    charon_sha256(secret, strlen(secret), out);
    return NULL;
}

const char *charon_key_name_check(apr_pool_t *p, const char *name)
{
    /* The name is not quoted either: on a key-file line where the name
     * was forgotten, the "name" is the secret. */
    static const char msg[] = "a key name must be 1 to 64 characters among "
                              "A-Z a-z 0-9 . _ -";
    apr_size_t n;

    (void)p;
    if (name == NULL)
        return msg;
    for (n = 0; name[n]; n++) {
        char c = name[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return msg;
    }
    if (n < 1 || n > 64)
        return msg;
    return NULL;
}

/* 1 when the two digests are equal, computed without a data-dependent
 * branch or early exit (memcmp may stop at the first difference). */
static unsigned digest_equal(const unsigned char *a, const unsigned char *b)
{
    unsigned diff = 0;
    int i;

    for (i = 0; i < CHARON_DIGEST_LEN; i++)
        diff |= (unsigned)(a[i] ^ b[i]);
    /* diff is 0..255: diff - 1 wraps to all ones only when diff == 0. */
    return ((diff - 1u) >> 8) & 1u;
}

const charon_key_t *charon_key_find(const apr_array_header_t *keys,
                                    const char *presented, apr_size_t len)
{
    unsigned char want[CHARON_DIGEST_LEN];
    const charon_key_t *const *elts;
    apr_size_t found = 0;      /* index of the match, valid if any */
    unsigned any = 0;          /* 1 once a key matched */
    int i;

    if (presented == NULL || len == 0 || keys == NULL)
        return NULL;
    charon_sha256(presented, len, want);
    elts = (const charon_key_t *const *)(const void *)keys->elts;
    /* Every key is compared and the loop always runs to the end; the first
     * matching index is kept through a mask instead of a branch. */
    for (i = 0; i < keys->nelts; i++) {
        unsigned eq = elts[i] ? digest_equal(elts[i]->digest, want) : 0;
        apr_size_t take = (apr_size_t)0 - (apr_size_t)(eq & (any ^ 1u));
        found = (found & ~take) | ((apr_size_t)i & take);
        any |= eq;
    }
    return any ? elts[found] : NULL;
}

int charon_key_allows(const charon_key_t *key, const char *slug)
{
    int i;

    if (key == NULL || slug == NULL)
        return 0;
    if (key->patterns == NULL || key->patterns->nelts == 0)
        return 1;
    for (i = 0; i < key->patterns->nelts; i++) {
        const char *pat = APR_ARRAY_IDX(key->patterns, i, const char *);
        if (pat && apr_fnmatch(pat, slug, 0) == APR_SUCCESS)
            return 1;
    }
    return 0;
}

#define BLANKS " \t\r\n\v\f"

const char *charon_keyfile_line(apr_pool_t *p, const char *line,
                                charon_key_t **out)
{
    char *copy, *state = NULL, *name, *secret, *tok;
    charon_key_t *key;
    const char *why;

    *out = NULL;
    if (line == NULL)
        return NULL;
    line += strspn(line, BLANKS);
    if (*line == '\0' || *line == '#')
        return NULL;                /* blank or comment line */

    copy = apr_pstrdup(p, line);
    name = apr_strtok(copy, BLANKS, &state);
    secret = apr_strtok(NULL, BLANKS, &state);
    if (secret == NULL)
        return "a key line needs NAME and KEY";
    if ((why = charon_key_name_check(p, name)) != NULL)
        return why;

    key = apr_pcalloc(p, sizeof(*key));
    if ((why = charon_key_digest(p, secret, key->digest)) != NULL)
        return why;
    key->name = name;
    key->patterns = apr_array_make(p, 2, sizeof(const char *));
    while ((tok = apr_strtok(NULL, BLANKS, &state)) != NULL)
        APR_ARRAY_PUSH(key->patterns, const char *) = tok;
    /* The clear secret stays in copy, in p, like the configuration it came
     * from; it is not kept in the key itself. */
    *out = key;
    return NULL;
}

/* ===================================================================== */
/* JSON answers                                                           */
/* ===================================================================== */

/* Serializes obj compactly into p and releases obj.  "/" is not escaped.
 * Returns NULL only when json-c ran out of memory. */
static const char *finish_json(apr_pool_t *p, json_object *obj)
{
    const char *s = NULL;

    if (obj != NULL) {
        s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN
                                           | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (s != NULL)
            s = apr_pstrdup(p, s);  /* s belongs to obj until it is put */
        json_object_put(obj);
    }
    return s;
}

/* json_object_new_string(NULL) would crash; an absent string becomes "". */
static json_object *new_string(const char *s)
{
    return json_object_new_string(s ? s : "");
}

const char *charon_json_can_start(apr_pool_t *p, const char *slug,
                                  int can_start, apr_int64_t cron_id)
{
    json_object *o = json_object_new_object();

    if (o != NULL) {
        json_object_object_add(o, "slug", new_string(slug));
        json_object_object_add(o, "canStart",
                               json_object_new_boolean(can_start ? 1 : 0));
        json_object_object_add(o, "cronId", json_object_new_int64(cron_id));
    }
    return finish_json(p, o);
}

const char *charon_json_id(apr_pool_t *p, apr_int64_t id)
{
    json_object *o = json_object_new_object();

    if (o != NULL)
        json_object_object_add(o, "id", json_object_new_int64(id));
    return finish_json(p, o);
}

/* The members every problem document has. */
static json_object *problem_object(int status, const char *title,
                                   const char *detail)
{
    json_object *o = json_object_new_object();

    if (o != NULL) {
        json_object_object_add(o, "type", json_object_new_string("about:blank"));
        json_object_object_add(o, "title", new_string(title));
        json_object_object_add(o, "status", json_object_new_int(status));
        json_object_object_add(o, "detail", new_string(detail));
    }
    return o;
}

const char *charon_json_problem(apr_pool_t *p, int status, const char *title,
                                const char *detail, const char *field)
{
    json_object *o = problem_object(status, title, detail);

    if (o != NULL && field != NULL)
        json_object_object_add(o, "field", json_object_new_string(field));
    return finish_json(p, o);
}

/* Adds the refusal's members that are set. */
static void add_refusal(json_object *o, const charon_refusal_t *why)
{
    json_object_object_add(o, "refusal", new_string(why->refusal));
    if (why->reason != NULL && *why->reason)
        json_object_object_add(o, "reason", new_string(why->reason));
    if (why->until != NULL && *why->until)
        json_object_object_add(o, "until", new_string(why->until));
    if (why->running_id > 0)
        json_object_object_add(o, "runningExecutionId",
                               json_object_new_int64(why->running_id));
}

const char *charon_json_cannot_start(apr_pool_t *p, const char *slug,
                                     apr_int64_t cron_id,
                                     const charon_refusal_t *why)
{
    json_object *o = json_object_new_object();

    if (o != NULL) {
        json_object_object_add(o, "slug", new_string(slug));
        json_object_object_add(o, "canStart", json_object_new_boolean(0));
        json_object_object_add(o, "cronId", json_object_new_int64(cron_id));
        add_refusal(o, why);
    }
    return finish_json(p, o);
}

const char *charon_json_refused(apr_pool_t *p, int status, const char *title,
                                const char *detail,
                                const charon_refusal_t *why)
{
    json_object *o = problem_object(status, title, detail);

    if (o != NULL)
        add_refusal(o, why);
    return finish_json(p, o);
}

const char *charon_json_end(apr_pool_t *p, apr_int64_t id,
                            const char *lost_at)
{
    json_object *o = json_object_new_object();

    if (o != NULL) {
        json_object_object_add(o, "id", json_object_new_int64(id));
        if (lost_at != NULL && *lost_at) {
            json_object_object_add(o, "late", json_object_new_boolean(1));
            json_object_object_add(o, "lostAt", new_string(lost_at));
        }
    }
    return finish_json(p, o);
}
