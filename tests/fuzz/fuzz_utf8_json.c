/*
 * fuzz_utf8_json.c: charon_utf8_valid, charon_json_problem,
 * charon_json_can_start and charon_json_id.
 *
 * Input: the whole of it is checked with charon_utf8_valid against an
 * independent decoder (fuzz.h: ref_utf8_valid), and so is every prefix of
 * its first 128 bytes (truncated sequences).  For the JSON answers the
 * input is read as a header of 13 bytes (flags, a 32-bit status, a 64-bit
 * cron id; missing bytes are 0) and up to four strings separated by NUL
 * bytes: title, detail, field, slug.  Flags: 1 title NULL, 2 detail NULL,
 * 4 field given, 8.. can_start.  Each answer must be one JSON object and
 * nothing else, read back with json-c (strict, UTF-8 checked when the
 * strings are valid UTF-8) to exactly the strings and numbers given: no
 * field more or less, NULL title or detail as "".
 */
#include "fuzz.h"

#include <json-c/json.h>

static void check_utf8(const uint8_t *data, size_t size)
{
    char *copy;
    size_t n;

    copy = fuzz_dup(data, size);
    FUZZ_CHECK(charon_utf8_valid(copy, size)
                   == ref_utf8_valid((const unsigned char *)copy, size),
               "charon_utf8_valid on %zu bytes says %d", size,
               charon_utf8_valid(copy, size));
    free(copy);
    for (n = 0; n < size && n <= 128; n++) {
        copy = fuzz_dup(data, n); /* exactly n bytes: no over-read */
        FUZZ_CHECK(charon_utf8_valid(copy, n)
                       == ref_utf8_valid((const unsigned char *)copy, n),
                   "charon_utf8_valid on the first %zu bytes says %d", n,
                   charon_utf8_valid(copy, n));
        free(copy);
    }
}

/* Reads text back: one JSON object, nothing after it. */
static json_object *read_back(const char *text, int utf8)
{
    struct json_tokener *tok = json_tokener_new();
    json_object *o;
    size_t len = strlen(text);

    FUZZ_CHECK(tok != NULL, "json-c out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT
                                    | (utf8 ? JSON_TOKENER_VALIDATE_UTF8 : 0));
    o = json_tokener_parse_ex(tok, text, (int)len);
    FUZZ_CHECK(json_tokener_get_error(tok) == json_tokener_success
                   && o != NULL,
               "answer %s is not JSON: %s", text,
               json_tokener_error_desc(json_tokener_get_error(tok)));
    FUZZ_CHECK(json_tokener_get_parse_end(tok) == len,
               "answer %s: data after the JSON value", text);
    FUZZ_CHECK(json_object_is_type(o, json_type_object),
               "answer %s is not an object", text);
    json_tokener_free(tok);
    return o;
}

static void want_string(json_object *o, const char *key, const char *want,
                        const char *text)
{
    json_object *v = NULL;
    size_t wl = strlen(want);

    FUZZ_CHECK(json_object_object_get_ex(o, key, &v)
                   && json_object_is_type(v, json_type_string),
               "answer %s: no string \"%s\"", text, key);
    FUZZ_CHECK((size_t)json_object_get_string_len(v) == wl
                   && memcmp(json_object_get_string(v), want, wl) == 0,
               "answer %s: \"%s\" does not read back as given", text, key);
}

static void want_int(json_object *o, const char *key, int64_t want,
                     const char *text)
{
    json_object *v = NULL;

    FUZZ_CHECK(json_object_object_get_ex(o, key, &v)
                   && json_object_is_type(v, json_type_int)
                   && json_object_get_int64(v) == want,
               "answer %s: \"%s\" is not %lld", text, key, (long long)want);
}

FUZZ_INITIALIZE_POOL_ONLY()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t head[13] = {0};
    const char *str[4] = {"", "", "", ""};
    const char *title, *detail, *field, *slug, *text;
    size_t i, at;
    int32_t status;
    int64_t cron_id;
    int utf8 = 1, can_start;
    json_object *o, *v;

    check_utf8(data, size);

    memcpy(head, data, size < sizeof(head) ? size : sizeof(head));
    memcpy(&status, head + 1, 4);
    memcpy(&cron_id, head + 5, 8);
    can_start = head[0] >> 3;
    for (i = 0, at = sizeof(head); i < 4 && at < size; i++) {
        const uint8_t *nul = memchr(data + at, '\0', size - at);
        size_t end = nul ? (size_t)(nul - data) : size;
        str[i] = apr_pstrmemdup(fuzz_pool, (const char *)data + at, end - at);
        utf8 &= ref_utf8_valid((const unsigned char *)str[i], end - at);
        at = end + 1;
    }
    title = (head[0] & 1) ? NULL : str[0];
    detail = (head[0] & 2) ? NULL : str[1];
    field = (head[0] & 4) ? str[2] : NULL;
    slug = str[3];

    text = charon_json_problem(fuzz_pool, (int)status, title, detail, field);
    FUZZ_CHECK(text != NULL, "charon_json_problem gave NULL");
    if (utf8) {
        FUZZ_CHECK(ref_utf8_valid((const unsigned char *)text, strlen(text)),
                   "problem %s: not valid UTF-8", text);
        o = read_back(text, 1);
        FUZZ_CHECK(json_object_object_length(o) == (field ? 5 : 4),
                   "problem %s: %d fields", text,
                   json_object_object_length(o));
        want_string(o, "type", "about:blank", text);
        want_string(o, "title", title ? title : "", text);
        want_int(o, "status", status, text);
        want_string(o, "detail", detail ? detail : "", text);
        if (field)
            want_string(o, "field", field, text);
        json_object_put(o);
    }

    text = charon_json_can_start(fuzz_pool, (head[0] & 1) ? NULL : slug,
                                 can_start, (apr_int64_t)cron_id);
    FUZZ_CHECK(text != NULL, "charon_json_can_start gave NULL");
    if (utf8) {
        o = read_back(text, 1);
        FUZZ_CHECK(json_object_object_length(o) == 3,
                   "can-start %s: %d fields", text,
                   json_object_object_length(o));
        want_string(o, "slug", (head[0] & 1) ? "" : slug, text);
        v = NULL;
        FUZZ_CHECK(json_object_object_get_ex(o, "canStart", &v)
                       && json_object_is_type(v, json_type_boolean)
                       && json_object_get_boolean(v) == (can_start != 0),
                   "can-start %s: canStart is not %d", text, can_start != 0);
        want_int(o, "cronId", cron_id, text);
        json_object_put(o);
    }

    text = charon_json_id(fuzz_pool, (apr_int64_t)cron_id);
    FUZZ_CHECK(text != NULL, "charon_json_id gave NULL");
    o = read_back(text, 1);
    FUZZ_CHECK(json_object_object_length(o) == 1, "id %s: fields", text);
    want_int(o, "id", cron_id, text);
    json_object_put(o);

    apr_pool_clear(fuzz_pool);
    return 0;
}
