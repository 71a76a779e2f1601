/*
 * test_body.c: bodies of `end` and `message` that are JSON objects: the
 * rules for type, success and message, their order, extra and duplicate
 * fields.  Also the body helpers declared in test.h (run, ok_, bad_).
 */
#include "test.h"

int run(parse_fn fn, const char *buf, apr_size_t len, apr_size_t max,
        charon_body_t *b, charon_error_t *e)
{
    memset(b, 0x5A, sizeof(*b));
    e->status = -1;
    e->detail = NULL;
    e->field = "unset";
    return fn(pool, buf, len, max, b, e);
}

void ok_(parse_fn fn, const char *buf, apr_size_t len, apr_size_t max,
         charon_type_e type, int success, const char *msg, apr_size_t msg_len,
         const char *file, int line)
{
    charon_body_t b;
    charon_error_t e = {0, NULL, NULL};
    int r = run(fn, buf, len, max, &b, &e);
    int good = r == 1 && b.type == type
               && (fn != charon_parse_end_body || b.success == success);
    if (msg == NULL)
        good = good && b.has_message == 0 && b.message == NULL
               && b.message_len == 0;
    else
        good = good && b.has_message == 1 && b.message != NULL
               && b.message_len == msg_len
               && memcmp(b.message, msg, msg_len) == 0
               && b.message[msg_len] == '\0'
               /* a copy in the pool, not a pointer into the body */
               && !(b.message >= buf && b.message < buf + len);
    check_(good, file, line, "body accepted",
           "%s -> r=%d type=%d success=%d has_message=%d message=%s "
           "(status %d, field %s, detail %s)",
           bytes(buf, len), r, (int)b.type, b.success, r ? b.has_message : -1,
           r && b.has_message ? bytes(b.message, b.message_len) : "-",
           e.status, show(e.field), show(e.detail));
}

void bad_(parse_fn fn, const char *buf, apr_size_t len, apr_size_t max,
          int status, const char *field, const char *detail, const char *file,
          int line)
{
    charon_body_t b;
    charon_error_t e = {0, NULL, NULL};
    int r = run(fn, buf, len, max, &b, &e);
    int good = r == 0 && e.status == status && e.detail != NULL
               && b.has_message == 0 && b.message == NULL
               && b.type == CHARON_TYPE_INVALID;
    if (field == NULL)
        good = good && e.field == NULL;
    else
        good = good && streq(e.field, field);
    if (detail != NULL)
        good = good && streq(e.detail, detail);
    if (status == 400)
        good = good && e.detail != NULL
               && strncmp(e.detail, "body is not a JSON object", 25) == 0;
    check_(good, file, line, "body refused",
           "%s -> r=%d status=%d field=%s detail=%s; want %d %s %s",
           bytes(buf, len), r, e.status, show(e.field), show(e.detail), status,
           show(field), show(detail));
}

/* Each value, set between prefix and suffix, makes an `end` body that is
 * refused with 422 on field, for detail. */
static void values_refused(const char *prefix, const char *const *values,
                           apr_size_t n, const char *suffix, const char *field,
                           const char *detail, const char *file, int line)
{
    apr_size_t i;

    for (i = 0; i < n; i++) {
        const char *body = apr_pstrcat(pool, prefix, values[i], suffix, NULL);
        bad_(charon_parse_end_body, body, strlen(body), MAXMSG, 422, field,
             detail, file, line);
    }
}

#define END_VALUES_BAD(prefix, values, suffix, field, detail)              \
    values_refused(prefix, values, N_ELEMS(values), suffix, field, detail, \
                   HERE)

void test_end_success_field(void)
{
    /* Values of "success" in {"type":"info","success":VALUE}: none is
     * true, false, 0, 1, "true", "false", "0" or "1". */
    static const char *const refused[] = {
        "2",
        "-1",
        "1.0",
        "0.0",
        "-0.0",
        "1e0",
        "0e5",
        "1e400",
        "-1e400",
        "1e-400",
        "99999999999999999999",
        "18446744073709551617", /* 2^64 + 1 */
        "18446744073709551616", /* 2^64 */
        "-9223372036854775809",
        "\"yes\"",
        "\"TRUE\"",
        "\"True\"",
        "\" 1\"",
        "\"1 \"",
        "\"01\"",
        "\"\"",
        "\"1\\u0000\"",
        "null",
        "[]",
        "[true]",
        "{}",
    };

    /* Accepted spellings. */
    END_OK("{\"type\":\"success\",\"success\":true}", S, 1);
    END_OK("{\"type\":\"error\",\"success\":false}", E, 0);
    END_OK("{\"type\":\"info\",\"success\":1}", I, 1);
    END_OK("{\"type\":\"info\",\"success\":0}", I, 0);
    END_OK("{\"type\":\"info\",\"success\":\"true\"}", I, 1);
    END_OK("{\"type\":\"info\",\"success\":\"false\"}", I, 0);
    END_OK("{\"type\":\"info\",\"success\":\"1\"}", I, 1);
    END_OK("{\"type\":\"info\",\"success\":\"0\"}", I, 0);
    /* An escaped digit is still the string "1". */
    END_OK("{\"type\":\"info\",\"success\":\"\\u0031\"}", I, 1);
    /* json-c reads -0 as the integer 0: taken as false. */
    END_OK("{\"type\":\"info\",\"success\":-0}", I, 0);

    /* Refused values, all 422 on "success". */
    END_VALUES_BAD("{\"type\":\"info\",\"success\":", refused, "}", "success",
                   D_SUCC_BAD);
    END_BAD("{\"type\":\"info\"}", 422, "success", D_SUCC_REQ);
    END_BAD("{\"type\":\"info\",\"Success\":true}", 422, "success",
            D_SUCC_REQ);

    /* Numbers and words json-c takes but JSON does not have: the body is
     * not JSON, so 400, never "success": 00 read as false (found by
     * fuzzing). */
    END_BAD("{\"type\":\"info\",\"success\":NaN}", 400, NULL,
            D_NOT_JSON_NUMBER);
    END_BAD("{\"type\":\"info\",\"success\":Infinity}", 400, NULL,
            D_NOT_JSON_NUMBER);
    END_BAD("{\"type\":\"info\",\"success\":00}", 400, NULL,
            D_NOT_JSON_NUMBER);
    END_BAD("{\"type\":\"info\",\"success\":-01}", 400, NULL,
            D_NOT_JSON_NUMBER);
    END_BAD("{\"type\":\"info\",\"success\":true,\"x\":1.}", 400, NULL,
            D_NOT_JSON_NUMBER);
    END_BAD("{\"type\":\"info\",\"success\":true,\"x\":-.5}", 400, NULL,
            D_NOT_JSON_NUMBER);
    END_BAD("{\"type\":\"info\",\"success\":true,\"x\":1.e5}", 400, NULL,
            D_NOT_JSON_NUMBER);
    /* ...while the same characters inside strings are text. */
    END_OK("{\"type\":\"info\",\"success\":true,\"x\":\"00 1. NaN\"}", I, 1);
    END_OK(
        "{\"type\":\"info\",\"success\":true,\"x\":[0,-0,0.5,-1.5e-3,1E+2]}",
        I, 1);
    /* A complete null is named as such (found by fuzzing). */
    END_BAD("null ", 400, NULL, "body is not a JSON object: it is null");
}

void test_end_type_field(void)
{
    /* Values of "type" in {"type":VALUE,"success":true}: none is one of
     * the four names exactly. */
    static const char *const refused[] = {
        "\"Info\"",
        "\"INFO\"",
        "\"info \"",
        "\" info\"",
        "\"inf\"",
        "\"infos\"",
        "\"info\\u0000\"",
        "\"\"",
        "\"debug\"",
        "0",
        "1",
        "null",
        "true",
        "[\"info\"]",
        "{\"info\":1}",
    };

    END_OK("{\"type\":\"warning\",\"success\":true}", W, 1);
    END_OK("{\"type\":\"info\",\"success\":true}", I, 1);
    END_OK("{\"type\":\"success\",\"success\":true}", S, 1);
    END_OK("{\"type\":\"error\",\"success\":true}", E, 1);
    END_OK("{\"type\":\"\\u0069nfo\",\"success\":true}", I, 1); /* escaped i */

    END_BAD("{\"success\":true}", 422, "type", D_TYPE_REQ);
    END_VALUES_BAD("{\"type\":", refused, ",\"success\":true}", "type",
                   D_TYPE_BAD);
    END_BAD("{\"Type\":\"info\",\"success\":true}", 422, "type", D_TYPE_REQ);
}

void test_end_message_field(void)
{
    /* Values of "message" in {"type":"info","success":true,"message":
     * VALUE}: not strings, strings of raw bad UTF-8, escaped NULs. */
    static const char prefix[] =
        "{\"type\":\"info\",\"success\":true,\"message\":";
    static const char *const not_strings[] = {
        "1",
        "true",
        "[\"x\"]",
        "{}",
    };
    static const char *const bad_utf8[] = {
        "\"\xc3\x28\"",         "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"", "\"\xff\"",     "\"ab\xe2\x82\"",
    };
    static const char *const nul_escaped[] = {
        "\"\\u0000\"",
        "\"a\\u0000b\"",
    };
    char big[MAXMSG + 64];
    apr_size_t n;

    END_OK("{\"type\":\"info\",\"success\":true,\"message\":null}", I, 1);
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\"}", I, 1,
               "");
    END_OK_MSG("{\"message\":\"done\",\"type\":\"success\",\"success\":1}", S,
               1, "done");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":"
               "\"a\\nb\\t\\\"q\\\" \\\\ \\/\"}",
               I, 1, "a\nb\t\"q\" \\ /");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":"
               "\"\\u00e9t\\u00e9 \xe2\x82\xac\"}",
               I, 1, "\xc3\xa9t\xc3\xa9 \xe2\x82\xac");
    END_OK_MSG(
        "{\"type\":\"info\",\"success\":true,\"message\":\"\\ud83d\\ude00\"}",
        I, 1, "\xf0\x9f\x98\x80");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":"
               "\"\xf4\x8f\xbf\xbf\"}",
               I, 1, "\xf4\x8f\xbf\xbf");
    /* json-c 0.16 turns an unpaired surrogate escape into U+FFFD; the text
     * is then valid UTF-8 and accepted with U+FFFD in its place. */
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\\ud800\"}",
               I, 1, "\xef\xbf\xbd");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\\udfff\"}",
               I, 1, "\xef\xbf\xbd");
    END_OK_MSG(
        "{\"type\":\"info\",\"success\":true,\"message\":\"a\\ud800b\"}", I, 1,
        "a\xef\xbf\xbd"
        "b");
    END_OK_MSG(
        "{\"type\":\"info\",\"success\":true,\"message\":\"\\ude00\\ud83d\"}",
        I, 1, "\xef\xbf\xbd\xef\xbf\xbd");

    END_VALUES_BAD(prefix, not_strings, "}", "message", D_MSG_STR);
    END_VALUES_BAD(prefix, bad_utf8, "}", "message", D_MSG_UTF8);
    END_VALUES_BAD(prefix, nul_escaped, "}", "message", D_MSG_NUL);
    /* A raw NUL byte is not JSON at all: json-c stops there. */
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"a\0b\"}", 400,
            NULL, NULL);

    /* Length: in bytes, at most max. */
    END_OK_MAX(
        "{\"type\":\"info\",\"success\":true,\"message\":\"0123456789\"}", 10,
        I, 1, "0123456789");
    END_BAD_MAX(
        "{\"type\":\"info\",\"success\":true,\"message\":\"0123456789A\"}", 10,
        "field 'message' is longer than 10 bytes");
    /* "é" is two bytes: longer than 1. */
    END_BAD_MAX(
        "{\"type\":\"info\",\"success\":true,\"message\":\"\xc3\xa9\"}", 1,
        "field 'message' is longer than 1 bytes");
    /* "\u00e9" is six bytes of JSON but two of text: fits in 2. */
    END_OK_MAX("{\"type\":\"info\",\"success\":true,\"message\":\"\\u00e9\"}",
               2, I, 1, "\xc3\xa9");
    END_OK_MAX("{\"type\":\"info\",\"success\":true,\"message\":\"\"}", 0, I,
               1, "");
    END_BAD_MAX("{\"type\":\"info\",\"success\":true,\"message\":\"x\"}", 0,
                "field 'message' is longer than 0 bytes");

    /* The default 64 KiB limit, at and past it. */
    n = (apr_size_t)sprintf(big,
                            "{\"type\":\"info\",\"success\":1,\"message\":\"");
    memset(big + n, 'x', MAXMSG);
    strcpy(big + n + MAXMSG, "\"}");
    {
        charon_body_t b;
        charon_error_t e = {0, NULL, NULL};
        int r = run(charon_parse_end_body, big, strlen(big), MAXMSG, &b, &e);
        CHECK(r == 1 && b.message_len == MAXMSG && b.message[MAXMSG] == '\0',
              "64 KiB message accepted (r=%d)", r);
        r = run(charon_parse_end_body, big, strlen(big), MAXMSG - 1, &b, &e);
        CHECK(r == 0 && e.status == 422 && streq(e.field, "message")
                  && streq(e.detail,
                           "field 'message' is longer than 65535 bytes"),
              "64 KiB message over a 65535 limit: r=%d %s", r, show(e.detail));
    }
}

/* The message is a copy in the pool: it stays intact after json-c has
 * freed its objects and the heap has been reused. */
void test_message_is_copied(void)
{
    static const char body[] =
        "{\"type\":\"info\",\"success\":true,\"message\":\"short\"}";
    static const char body2[] = "{\"message\":\"a somewhat longer message, "
                                "past json-c's inline size\","
                                "\"type\":\"info\"}";
    charon_body_t b, b2;
    charon_error_t e = {0, NULL, NULL};
    void *junk[512];
    int i, r, r2;

    r = run(charon_parse_end_body, body, sizeof(body) - 1, MAXMSG, &b, &e);
    r2 = run(charon_parse_message_body, body2, sizeof(body2) - 1, MAXMSG, &b2,
             &e);
    for (i = 0; i < 512; i++) {
        junk[i] = malloc((apr_size_t)(i % 128) + 1);
        memset(junk[i], 'Z', (apr_size_t)(i % 128) + 1);
    }
    CHECK(r == 1 && streq(b.message, "short"), "short message survives: %s",
          r ? show(b.message) : "-");
    CHECK(r2 == 1
              && streq(b2.message, "a somewhat longer message, past "
                                   "json-c's inline size"),
          "longer message survives: %s", r2 ? show(b2.message) : "-");
    for (i = 0; i < 512; i++)
        free(junk[i]);
}

void test_end_order_and_extras(void)
{
    /* Order for end: type, success, message. */
    END_BAD("{}", 422, "type", D_TYPE_REQ);
    END_BAD("{\"message\":1,\"success\":\"x\"}", 422, "type", D_TYPE_REQ);
    END_BAD("{\"message\":1,\"success\":\"x\",\"type\":\"x\"}", 422, "type",
            D_TYPE_BAD);
    END_BAD("{\"message\":1,\"success\":\"x\",\"type\":\"info\"}", 422,
            "success", D_SUCC_BAD);
    END_BAD("{\"message\":1,\"type\":\"info\"}", 422, "success", D_SUCC_REQ);
    END_BAD("{\"message\":1,\"success\":true,\"type\":\"info\"}", 422,
            "message", D_MSG_STR);

    /* Unknown fields are ignored, whatever they hold. */
    END_OK("{\"type\":\"info\",\"success\":true,\"extra\":[1,{\"a\":null}],"
           "\"id\":5,\"\":\"\",\"x\":\"\xff\"}",
           I, 1);
    /* Duplicate keys: json-c keeps the last one. */
    END_OK("{\"type\":\"bogus\",\"type\":\"info\",\"success\":true}", I, 1);
    END_BAD("{\"type\":\"info\",\"type\":\"bogus\",\"success\":true}", 422,
            "type", D_TYPE_BAD);
    END_OK("{\"type\":\"info\",\"success\":true,\"success\":false}", I, 0);
    END_OK_MSG(
        "{\"type\":\"info\",\"success\":1,\"message\":1,\"message\":\"m\"}", I,
        1, "m");
    /* json-c cuts a key at an escaped NUL: "type\u0000x" is read as "type". */
    END_OK("{\"type\\u0000x\":\"info\",\"success\":true}", I, 1);

    /* White space around the object is fine (JSON's four kinds). */
    END_OK(" \t\r\n{ \"type\" : \"info\" , \"success\" : true } \r\n\t ", I,
           1);
    /* Bytes after len are not read. */
    ok_(charon_parse_end_body, "{\"type\":\"info\",\"success\":true}GARBAGE",
        sizeof("{\"type\":\"info\",\"success\":true}") - 1, MAXMSG, I, 1, NULL,
        0, HERE);
}

void test_message_endpoint(void)
{
    static const char abcd[] = "{\"message\":\"abcd\",\"type\":\"info\"}";
    static const char abc[] = "{\"message\":\"abc\",\"type\":\"info\"}";

    MSG_OK("{\"message\":\"hello\",\"type\":\"info\"}", I, "hello");
    MSG_OK("{\"type\":\"warning\",\"message\":\"\"}", W, "");
    MSG_OK("{\"type\":\"error\",\"message\":\"x\",\"success\":\"bogus\"}", E,
           "x");
    MSG_OK("{\"type\":\"success\",\"message\":\"\\ud800\"}", S,
           "\xef\xbf\xbd");
    MSG_OK("{\"type\":\"info\",\"message\":\"line1\\nline2\",\"extra\":{}}", I,
           "line1\nline2");

    /* Order for message: message, type. */
    MSG_BAD("{}", 422, "message", D_MSG_REQ);
    MSG_BAD("{\"type\":\"bogus\"}", 422, "message", D_MSG_REQ);
    MSG_BAD("{\"message\":null,\"type\":\"info\"}", 422, "message", D_MSG_REQ);
    MSG_BAD("{\"message\":1,\"type\":\"bogus\"}", 422, "message", D_MSG_STR);
    MSG_BAD("{\"message\":\"x\"}", 422, "type", D_TYPE_REQ);
    MSG_BAD("{\"message\":\"x\",\"type\":\"bogus\"}", 422, "type", D_TYPE_BAD);
    MSG_BAD("{\"message\":\"x\",\"type\":null}", 422, "type", D_TYPE_BAD);
    MSG_BAD("{\"message\":\"\xed\xbf\xbf\",\"type\":\"info\"}", 422, "message",
            D_MSG_UTF8);
    MSG_BAD("{\"message\":\"\\u0000\",\"type\":\"info\"}", 422, "message",
            D_MSG_NUL);
    MSG_BAD("{\"message\":false,\"type\":\"info\"}", 422, "message",
            D_MSG_STR);
    /* Length, as for end. */
    bad_(charon_parse_message_body, abcd, sizeof(abcd) - 1, 3, 422, "message",
         "field 'message' is longer than 3 bytes", HERE);
    ok_(charon_parse_message_body, abc, sizeof(abc) - 1, 3, I, 0, "abc", 3,
        HERE);
}
