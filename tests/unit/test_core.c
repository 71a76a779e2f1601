/*
 * test_core.c: unit tests for src/charon_core.c.
 *
 * A single program with no framework.  Every CHECK is one test; the last
 * line printed is "unit: N passed, M failed" and the exit status is 0 only
 * when M is 0 and N is not.  Failures are reported on stderr with the line.
 *
 *   cc -Wall -Wextra -Werror -g $(apr-1-config --cflags --cppflags
 *      --includes) -Isrc tests/unit/test_core.c src/charon_core.c
 *      $(apr-1-config --link-ld --libs) -ljson-c -lcrypto -o build/test_core
 */
#include "charon_core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include <json-c/json.h>

static int passed, failed;

#define CHECK(cond, ...) check_((cond) ? 1 : 0, __LINE__, #cond, __VA_ARGS__)

static void check_(int ok, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void check_(int ok, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "FAIL line %d: %s: ", line, expr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static apr_pool_t *pool;

static int streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

static const char *show(const char *s)
{
    return s ? s : "(null)";
}

/* A printable rendering of bytes, for failure messages. */
static const char *bytes(const char *s, apr_size_t n)
{
    char *out = apr_palloc(pool, n * 4 + 1), *o = out;
    apr_size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F)
            *o++ = (char)c;
        else
            o += sprintf(o, "\\x%02x", c);
    }
    *o = '\0';
    return out;
}

/* ===================================================================== */
/* ids                                                                    */
/* ===================================================================== */

static void id_ok(const char *s, apr_int64_t want, int line)
{
    apr_int64_t v = -1;
    int r = charon_parse_id(s, &v);
    check_(r == 1 && v == want, line, "id_ok", "parse_id(\"%s\") = %d, %"
           APR_INT64_T_FMT ", want %" APR_INT64_T_FMT, show(s), r, v, want);
}

static void id_bad(const char *s, int line)
{
    apr_int64_t v = -1;
    int r = charon_parse_id(s, &v);
    check_(r == 0, line, "id_bad", "parse_id(\"%s\") accepted (%"
           APR_INT64_T_FMT ")", show(s), v);
}

static void test_ids(void)
{
    id_ok("1", 1, __LINE__);
    id_ok("42", 42, __LINE__);
    id_ok("007", 7, __LINE__);
    id_ok("0000000000000000000000001", 1, __LINE__);
    id_ok("1234567890", 1234567890, __LINE__);
    id_ok("9223372036854775807", APR_INT64_MAX, __LINE__);
    id_ok("09223372036854775807", APR_INT64_MAX, __LINE__);
    id_ok("9223372036854775806", APR_INT64_MAX - 1, __LINE__);

    id_bad(NULL, __LINE__);
    id_bad("", __LINE__);
    id_bad("0", __LINE__);
    id_bad("000", __LINE__);
    id_bad("-1", __LINE__);
    id_bad("-0", __LINE__);
    id_bad("+1", __LINE__);
    id_bad(" 1", __LINE__);
    id_bad("1 ", __LINE__);
    id_bad("1\n", __LINE__);
    id_bad("1.5", __LINE__);
    id_bad("1e3", __LINE__);
    id_bad("0x10", __LINE__);
    id_bad("abc", __LINE__);
    id_bad("12a", __LINE__);
    id_bad("\xd9\xa1", __LINE__);                 /* ARABIC-INDIC DIGIT ONE */
    id_bad("9223372036854775808", __LINE__);      /* 2^63 */
    id_bad("9223372036854775810", __LINE__);
    id_bad("18446744073709551615", __LINE__);     /* 2^64 - 1 */
    id_bad("18446744073709551617", __LINE__);     /* wraps to 1 mod 2^64 */
    id_bad("99999999999999999999", __LINE__);
    id_bad("92233720368547758070", __LINE__);
    id_bad("1000000000000000000000000000000000000000", __LINE__);

    /* A NULL out pointer is tolerated. */
    CHECK(charon_parse_id("5", NULL) == 1, "parse_id with NULL out");
}

/* ===================================================================== */
/* routes                                                                 */
/* ===================================================================== */

static void route_ok(const char *rest, charon_verb_e want_verb,
                     const char *want_target, int line)
{
    charon_verb_e v = CHARON_VERB_NONE;
    const char *t = NULL;
    int r = charon_parse_route(pool, rest, &v, &t);
    check_(r == 1 && v == want_verb && streq(t, want_target)
           && t != rest, line, "route_ok",
           "parse_route(\"%s\") = %d, verb %d, target \"%s\"",
           rest, r, (int)v, show(t));
}

static void route_bad(const char *rest, int line)
{
    charon_verb_e v = CHARON_VERB_START;
    const char *t = "x";
    int r = charon_parse_route(pool, rest, &v, &t);
    check_(r == 0 && v == CHARON_VERB_NONE && t == NULL, line, "route_bad",
           "parse_route(\"%s\") = %d, verb %d", show(rest), r, (int)v);
}

static void test_routes(void)
{
    route_ok("nightly-backup/can-start", CHARON_VERB_CAN_START,
             "nightly-backup", __LINE__);
    route_ok("7/start", CHARON_VERB_START, "7", __LINE__);
    route_ok("1234/end", CHARON_VERB_END, "1234", __LINE__);
    route_ok("1234/message", CHARON_VERB_MESSAGE, "1234", __LINE__);
    route_ok("x/start", CHARON_VERB_START, "x", __LINE__);
    route_ok("a b%c/can-start", CHARON_VERB_CAN_START, "a b%c", __LINE__);
    route_ok("abc/end", CHARON_VERB_END, "abc", __LINE__); /* id checked later */

    route_bad("a/b/can-start", __LINE__);
    route_bad("x/can-start/", __LINE__);
    route_bad("/x/start", __LINE__);
    route_bad("/start", __LINE__);
    route_bad("x/", __LINE__);
    route_bad("x", __LINE__);
    route_bad("can-start", __LINE__);
    route_bad("", __LINE__);
    route_bad("/", __LINE__);
    route_bad("x//start", __LINE__);
    route_bad("x/Start", __LINE__);
    route_bad("x/START", __LINE__);
    route_bad("x/can_start", __LINE__);
    route_bad("x/canstart", __LINE__);
    route_bad("x/start ", __LINE__);
    route_bad("x/ start", __LINE__);
    route_bad("x/messages", __LINE__);
    route_bad("x/mess", __LINE__);
    route_bad("x/sta", __LINE__);
    route_bad("x/none", __LINE__);
    route_bad("x/start?x=1", __LINE__);
    route_bad(NULL, __LINE__);

    CHECK(streq(charon_verb_name(CHARON_VERB_CAN_START), "can-start"), "verb");
    CHECK(streq(charon_verb_name(CHARON_VERB_START), "start"), "verb");
    CHECK(streq(charon_verb_name(CHARON_VERB_END), "end"), "verb");
    CHECK(streq(charon_verb_name(CHARON_VERB_MESSAGE), "message"), "verb");
    CHECK(charon_verb_name(CHARON_VERB_NONE) == NULL, "verb none");
    CHECK(charon_verb_name((charon_verb_e)99) == NULL, "verb out of range");

    CHECK(streq(charon_type_name(CHARON_TYPE_WARNING), "warning"), "type");
    CHECK(streq(charon_type_name(CHARON_TYPE_INFO), "info"), "type");
    CHECK(streq(charon_type_name(CHARON_TYPE_SUCCESS), "success"), "type");
    CHECK(streq(charon_type_name(CHARON_TYPE_ERROR), "error"), "type");
    CHECK(charon_type_name(CHARON_TYPE_INVALID) == NULL, "type invalid");
    CHECK(charon_type_name((charon_type_e)4) == NULL, "type out of range");
}

/* ===================================================================== */
/* UTF-8                                                                  */
/* ===================================================================== */

/* A reference validator built differently from the one under test:
 * decode by bit pattern, then refuse overlongs, surrogates and values past
 * U+10FFFF by code point. */
static int ref_utf8(const unsigned char *s, apr_size_t len)
{
    apr_size_t i = 0, n, k;
    unsigned long cp, min;

    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (len - i <= n)
            return 0;
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

static apr_size_t encode_utf8(unsigned long cp, unsigned char *o)
{
    if (cp < 0x80) { o[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

#define U8_OK(lit)  CHECK(charon_utf8_valid(lit, sizeof(lit) - 1) == 1, \
                          "valid UTF-8 refused: %s", bytes(lit, sizeof(lit) - 1))
#define U8_BAD(lit) CHECK(charon_utf8_valid(lit, sizeof(lit) - 1) == 0, \
                          "bad UTF-8 accepted: %s", bytes(lit, sizeof(lit) - 1))

static apr_uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static apr_uint64_t rng(void)
{
    /* xorshift64*: deterministic, so a failure can be replayed. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void test_utf8(void)
{
    unsigned char b[8];
    unsigned long cp, bad;
    unsigned i, j, k, l;

    U8_OK("");
    U8_OK("plain ASCII");
    U8_OK("\x00");                        /* NUL is valid UTF-8 */
    U8_OK("\x7f");
    U8_OK("\xc2\x80");                    /* U+0080 */
    U8_OK("\xc3\xa9t\xc3\xa9");           /* été */
    U8_OK("\xdf\xbf");                    /* U+07FF */
    U8_OK("\xe0\xa0\x80");                /* U+0800 */
    U8_OK("\xe2\x82\xac");                /* € */
    U8_OK("\xed\x9f\xbf");                /* U+D7FF */
    U8_OK("\xee\x80\x80");                /* U+E000 */
    U8_OK("\xef\xbf\xbd");                /* U+FFFD */
    U8_OK("\xef\xbf\xbf");                /* U+FFFF */
    U8_OK("\xf0\x90\x80\x80");            /* U+10000 */
    U8_OK("\xf0\x9f\x98\x80");            /* 😀 */
    U8_OK("\xf4\x8f\xbf\xbf");            /* U+10FFFF */

    U8_BAD("\x80");                       /* stray continuation */
    U8_BAD("a\x80" "b");
    U8_BAD("\xbf");
    U8_BAD("\xc0\x80");                   /* overlong NUL */
    U8_BAD("\xc0\xaf");                   /* overlong '/' */
    U8_BAD("\xc1\xbf");
    U8_BAD("\xe0\x80\x80");               /* overlong */
    U8_BAD("\xe0\x9f\xbf");               /* overlong U+07FF */
    U8_BAD("\xf0\x80\x80\x80");           /* overlong */
    U8_BAD("\xf0\x8f\xbf\xbf");           /* overlong U+FFFF */
    U8_BAD("\xed\xa0\x80");               /* U+D800 */
    U8_BAD("\xed\xbf\xbf");               /* U+DFFF */
    U8_BAD("\xed\xa0\xbd\xed\xb8\x80");   /* CESU-8 pair */
    U8_BAD("\xf4\x90\x80\x80");           /* U+110000 */
    U8_BAD("\xf5\x80\x80\x80");
    U8_BAD("\xf7\xbf\xbf\xbf");
    U8_BAD("\xf8\x88\x80\x80\x80");       /* 5-byte form */
    U8_BAD("\xfc\x84\x80\x80\x80\x80");   /* 6-byte form */
    U8_BAD("\xfe");
    U8_BAD("\xff");
    U8_BAD("\xc3");                       /* truncated */
    U8_BAD("\xe2\x82");
    U8_BAD("\xf0\x9f\x98");
    U8_BAD("abc\xf0\x9f");
    U8_BAD("\xc3\x28");                   /* bad continuation */
    U8_BAD("\xe2\x28\xa1");
    U8_BAD("\xe2\x82\x28");
    U8_BAD("\xf0\x28\x8c\xbc");
    U8_BAD("\xf0\x90\x28\xbc");
    U8_BAD("\xf0\x90\x8c\x28");
    U8_BAD("\xc3\xa9\xc3");

    /* The length is honoured: a valid sequence cut short is refused, and
     * bytes past len are not read. */
    CHECK(charon_utf8_valid("\xc3\xa9", 1) == 0, "len cuts a sequence");
    CHECK(charon_utf8_valid("ab\xff", 2) == 1, "bytes past len ignored");

    /* Every scalar value encodes to something valid; every surrogate, as a
     * raw three-byte form, is refused. */
    bad = 0;
    for (cp = 0; cp <= 0x10FFFF; cp++) {
        apr_size_t n = encode_utf8(cp, b);
        int want = !(cp >= 0xD800 && cp <= 0xDFFF);
        if (charon_utf8_valid((const char *)b, n) != want && bad++ == 0)
            fprintf(stderr, "  code point U+%04lX\n", cp);
    }
    CHECK(bad == 0, "%lu code points judged wrongly", bad);

    /* All one- and two-byte strings agree with the reference. */
    bad = 0;
    for (i = 0; i < 256; i++) {
        b[0] = (unsigned char)i;
        if (charon_utf8_valid((const char *)b, 1) != ref_utf8(b, 1))
            bad++;
        for (j = 0; j < 256; j++) {
            b[1] = (unsigned char)j;
            if (charon_utf8_valid((const char *)b, 2) != ref_utf8(b, 2)
                && bad++ == 0)
                fprintf(stderr, "  %02x %02x\n", i, j);
        }
    }
    CHECK(bad == 0, "%lu two-byte strings disagree with the reference", bad);

    /* All three-byte strings led by E0..EF, and four-byte strings led by
     * F0..F7 with a sample of fourth bytes. */
    bad = 0;
    for (i = 0xE0; i <= 0xEF; i++)
        for (j = 0; j < 256; j++)
            for (k = 0; k < 256; k++) {
                b[0] = (unsigned char)i; b[1] = (unsigned char)j;
                b[2] = (unsigned char)k;
                if (charon_utf8_valid((const char *)b, 3) != ref_utf8(b, 3)
                    && bad++ == 0)
                    fprintf(stderr, "  %02x %02x %02x\n", i, j, k);
            }
    CHECK(bad == 0, "%lu three-byte strings disagree", bad);

    bad = 0;
    for (i = 0xF0; i <= 0xF7; i++)
        for (j = 0; j < 256; j++)
            for (k = 0; k < 256; k += 3)
                for (l = 0x3F; l <= 0xC0; l += 0x40) {
                    b[0] = (unsigned char)i; b[1] = (unsigned char)j;
                    b[2] = (unsigned char)k; b[3] = (unsigned char)l;
                    if (charon_utf8_valid((const char *)b, 4)
                        != ref_utf8(b, 4) && bad++ == 0)
                        fprintf(stderr, "  %02x %02x %02x %02x\n", i, j, k, l);
                }
    CHECK(bad == 0, "%lu four-byte strings disagree", bad);

    /* Random strings of 0..8 bytes biased toward the interesting bytes. */
    {
        static const unsigned char pick[] = {
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0,
            0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0,
            0xF1, 0xF3, 0xF4, 0xF5, 0xFF
        };
        int it;
        bad = 0;
        for (it = 0; it < 200000; it++) {
            apr_size_t n = (apr_size_t)(rng() % 9), m;
            for (m = 0; m < n; m++)
                b[m] = (rng() & 1) ? (unsigned char)rng()
                                   : pick[rng() % sizeof(pick)];
            if (charon_utf8_valid((const char *)b, n) != ref_utf8(b, n)
                && bad++ == 0)
                fprintf(stderr, "  random: %s\n", bytes((char *)b, n));
        }
        CHECK(bad == 0, "%lu random strings disagree", bad);
    }
}

/* ===================================================================== */
/* request bodies                                                         */
/* ===================================================================== */

#define MAXMSG 65536

typedef int (*parse_fn)(apr_pool_t *, const char *, apr_size_t, apr_size_t,
                        charon_body_t *, charon_error_t *);

static int run(parse_fn fn, const char *buf, apr_size_t len, apr_size_t max,
               charon_body_t *b, charon_error_t *e)
{
    memset(b, 0x5A, sizeof(*b));
    e->status = -1;
    e->detail = NULL;
    e->field = "unset";
    return fn(pool, buf, len, max, b, e);
}

/* A body that must be accepted, with the expected fields. */
static void ok_(parse_fn fn, const char *buf, apr_size_t len, apr_size_t max,
                charon_type_e type, int success, const char *msg,
                apr_size_t msg_len, int line)
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
    check_(good, line, "body accepted",
           "%s -> r=%d type=%d success=%d has_message=%d message=%s "
           "(status %d, field %s, detail %s)", bytes(buf, len), r,
           (int)b.type, b.success, r ? b.has_message : -1,
           r && b.has_message ? bytes(b.message, b.message_len) : "-",
           e.status, show(e.field), show(e.detail));
}

/* A body that must be refused with this status, field and detail (NULL
 * detail: not checked; for 400 the detail must start as documented). */
static void bad_(parse_fn fn, const char *buf, apr_size_t len, apr_size_t max,
                 int status, const char *field, const char *detail, int line)
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
    check_(good, line, "body refused",
           "%s -> r=%d status=%d field=%s detail=%s; want %d %s %s",
           bytes(buf, len), r, e.status, show(e.field), show(e.detail),
           status, show(field), show(detail));
}

/* String-literal forms; sizeof keeps embedded NUL bytes. */
#define END_OK(lit, type, succ) \
    ok_(charon_parse_end_body, lit, sizeof(lit) - 1, MAXMSG, type, succ, \
        NULL, 0, __LINE__)
#define END_OK_MSG(lit, type, succ, msg) \
    ok_(charon_parse_end_body, lit, sizeof(lit) - 1, MAXMSG, type, succ, \
        msg, sizeof(msg) - 1, __LINE__)
#define END_BAD(lit, status, field, detail) \
    bad_(charon_parse_end_body, lit, sizeof(lit) - 1, MAXMSG, status, \
         field, detail, __LINE__)
#define END_OK_MAX(lit, max, type, succ, msg) \
    ok_(charon_parse_end_body, lit, sizeof(lit) - 1, max, type, succ, \
        msg, sizeof(msg) - 1, __LINE__)
#define END_BAD_MAX(lit, max, detail) \
    bad_(charon_parse_end_body, lit, sizeof(lit) - 1, max, 422, "message", \
         detail, __LINE__)
#define MSG_OK(lit, type, msg) \
    ok_(charon_parse_message_body, lit, sizeof(lit) - 1, MAXMSG, type, 0, \
        msg, sizeof(msg) - 1, __LINE__)
#define MSG_BAD(lit, status, field, detail) \
    bad_(charon_parse_message_body, lit, sizeof(lit) - 1, MAXMSG, status, \
         field, detail, __LINE__)

#define D_TYPE_REQ   "field 'type' is required"
#define D_TYPE_BAD   "field 'type' must be one of warning, info, success, error"
#define D_SUCC_REQ   "field 'success' is required"
#define D_SUCC_BAD   "field 'success' must be true or false (0, 1, \"true\", " \
                     "\"false\", \"0\" and \"1\" are accepted too)"
#define D_MSG_REQ    "field 'message' is required"
#define D_MSG_STR    "field 'message' must be a string"
#define D_MSG_UTF8   "field 'message' must be valid UTF-8"
#define D_MSG_NUL    "field 'message' must not contain NUL characters"

#define W  CHARON_TYPE_WARNING
#define I  CHARON_TYPE_INFO
#define S  CHARON_TYPE_SUCCESS
#define E  CHARON_TYPE_ERROR

static void test_end_success_field(void)
{
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
    END_BAD("{\"type\":\"info\",\"success\":2}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":-1}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":1.0}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":0.0}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":-0.0}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":1e0}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":0e5}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":1e400}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":-1e400}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":1e-400}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":NaN}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":Infinity}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":99999999999999999999}",
            422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":18446744073709551617}",
            422, "success", D_SUCC_BAD);   /* 2^64 + 1 */
    END_BAD("{\"type\":\"info\",\"success\":18446744073709551616}",
            422, "success", D_SUCC_BAD);   /* 2^64 */
    END_BAD("{\"type\":\"info\",\"success\":-9223372036854775809}",
            422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":\"yes\"}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":\"TRUE\"}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":\"True\"}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":\" 1\"}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":\"1 \"}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":\"01\"}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":\"\"}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":\"1\\u0000\"}",
            422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":null}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":[]}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":[true]}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\",\"success\":{}}", 422, "success", D_SUCC_BAD);
    END_BAD("{\"type\":\"info\"}", 422, "success", D_SUCC_REQ);
    END_BAD("{\"type\":\"info\",\"Success\":true}", 422, "success", D_SUCC_REQ);
}

static void test_end_type_field(void)
{
    END_OK("{\"type\":\"warning\",\"success\":true}", W, 1);
    END_OK("{\"type\":\"info\",\"success\":true}", I, 1);
    END_OK("{\"type\":\"success\",\"success\":true}", S, 1);
    END_OK("{\"type\":\"error\",\"success\":true}", E, 1);
    END_OK("{\"type\":\"\\u0069nfo\",\"success\":true}", I, 1); /* escaped i */

    END_BAD("{\"success\":true}", 422, "type", D_TYPE_REQ);
    END_BAD("{\"type\":\"Info\",\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":\"INFO\",\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":\"info \",\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":\" info\",\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":\"inf\",\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":\"infos\",\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":\"info\\u0000\",\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":\"\",\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":\"debug\",\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":0,\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":1,\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":null,\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":true,\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":[\"info\"],\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"type\":{\"info\":1},\"success\":true}", 422, "type", D_TYPE_BAD);
    END_BAD("{\"Type\":\"info\",\"success\":true}", 422, "type", D_TYPE_REQ);
}

static void test_end_message_field(void)
{
    char big[MAXMSG + 64];
    apr_size_t n;

    END_OK("{\"type\":\"info\",\"success\":true,\"message\":null}", I, 1);
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\"}", I, 1, "");
    END_OK_MSG("{\"message\":\"done\",\"type\":\"success\",\"success\":1}",
               S, 1, "done");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"a\\nb\\t\\\"q\\\" \\\\ \\/\"}",
               I, 1, "a\nb\t\"q\" \\ /");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\\u00e9t\\u00e9 \xe2\x82\xac\"}",
               I, 1, "\xc3\xa9t\xc3\xa9 \xe2\x82\xac");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\\ud83d\\ude00\"}",
               I, 1, "\xf0\x9f\x98\x80");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\xf4\x8f\xbf\xbf\"}",
               I, 1, "\xf4\x8f\xbf\xbf");
    /* json-c 0.16 turns an unpaired surrogate escape into U+FFFD; the text
     * is then valid UTF-8 and accepted with U+FFFD in its place. */
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\\ud800\"}",
               I, 1, "\xef\xbf\xbd");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\\udfff\"}",
               I, 1, "\xef\xbf\xbd");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"a\\ud800b\"}",
               I, 1, "a\xef\xbf\xbd" "b");
    END_OK_MSG("{\"type\":\"info\",\"success\":true,\"message\":\"\\ude00\\ud83d\"}",
               I, 1, "\xef\xbf\xbd\xef\xbf\xbd");

    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":1}",
            422, "message", D_MSG_STR);
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":true}",
            422, "message", D_MSG_STR);
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":[\"x\"]}",
            422, "message", D_MSG_STR);
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":{}}",
            422, "message", D_MSG_STR);
    /* Raw bad UTF-8 inside the string. */
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"\xc3\x28\"}",
            422, "message", D_MSG_UTF8);
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"\xc0\xaf\"}",
            422, "message", D_MSG_UTF8);
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"\xed\xa0\x80\"}",
            422, "message", D_MSG_UTF8);
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"\xf4\x90\x80\x80\"}",
            422, "message", D_MSG_UTF8);
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"\xff\"}",
            422, "message", D_MSG_UTF8);
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"ab\xe2\x82\"}",
            422, "message", D_MSG_UTF8);
    /* NUL through an escape. */
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"\\u0000\"}",
            422, "message", D_MSG_NUL);
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"a\\u0000b\"}",
            422, "message", D_MSG_NUL);
    /* A raw NUL byte is not JSON at all: json-c stops there. */
    END_BAD("{\"type\":\"info\",\"success\":true,\"message\":\"a\0b\"}",
            400, NULL, NULL);

    /* Length: in bytes, at most max. */
    END_OK_MAX("{\"type\":\"info\",\"success\":true,\"message\":\"0123456789\"}",
               10, I, 1, "0123456789");
    END_BAD_MAX("{\"type\":\"info\",\"success\":true,\"message\":\"0123456789A\"}",
                10, "field 'message' is longer than 10 bytes");
    /* "é" is two bytes: longer than 1. */
    END_BAD_MAX("{\"type\":\"info\",\"success\":true,\"message\":\"\xc3\xa9\"}",
                1, "field 'message' is longer than 1 bytes");
    /* "\u00e9" is six bytes of JSON but two of text: fits in 2. */
    END_OK_MAX("{\"type\":\"info\",\"success\":true,\"message\":\"\\u00e9\"}",
               2, I, 1, "\xc3\xa9");
    END_OK_MAX("{\"type\":\"info\",\"success\":true,\"message\":\"\"}",
               0, I, 1, "");
    END_BAD_MAX("{\"type\":\"info\",\"success\":true,\"message\":\"x\"}",
                0, "field 'message' is longer than 0 bytes");

    /* The default 64 KiB limit, at and past it. */
    n = (apr_size_t)sprintf(big, "{\"type\":\"info\",\"success\":1,\"message\":\"");
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
              && streq(e.detail, "field 'message' is longer than 65535 bytes"),
              "64 KiB message over a 65535 limit: r=%d %s", r, show(e.detail));
    }
}

/* The message is a copy in the pool: it stays intact after json-c has
 * freed its objects and the heap has been reused. */
static void test_message_is_copied(void)
{
    static const char body[] =
        "{\"type\":\"info\",\"success\":true,\"message\":\"short\"}";
    static const char body2[] =
        "{\"message\":\"a somewhat longer message, past json-c's inline size\","
        "\"type\":\"info\"}";
    charon_body_t b, b2;
    charon_error_t e = {0, NULL, NULL};
    void *junk[512];
    int i, r, r2;

    r = run(charon_parse_end_body, body, sizeof(body) - 1, MAXMSG, &b, &e);
    r2 = run(charon_parse_message_body, body2, sizeof(body2) - 1, MAXMSG,
             &b2, &e);
    for (i = 0; i < 512; i++) {
        junk[i] = malloc((apr_size_t)(i % 128) + 1);
        memset(junk[i], 'Z', (apr_size_t)(i % 128) + 1);
    }
    CHECK(r == 1 && streq(b.message, "short"), "short message survives: %s",
          r ? show(b.message) : "-");
    CHECK(r2 == 1 && streq(b2.message, "a somewhat longer message, past "
                           "json-c's inline size"),
          "longer message survives: %s", r2 ? show(b2.message) : "-");
    for (i = 0; i < 512; i++)
        free(junk[i]);
}

static void test_end_order_and_extras(void)
{
    /* Order for end: type, success, message. */
    END_BAD("{}", 422, "type", D_TYPE_REQ);
    END_BAD("{\"message\":1,\"success\":\"x\"}", 422, "type", D_TYPE_REQ);
    END_BAD("{\"message\":1,\"success\":\"x\",\"type\":\"x\"}",
            422, "type", D_TYPE_BAD);
    END_BAD("{\"message\":1,\"success\":\"x\",\"type\":\"info\"}",
            422, "success", D_SUCC_BAD);
    END_BAD("{\"message\":1,\"type\":\"info\"}", 422, "success", D_SUCC_REQ);
    END_BAD("{\"message\":1,\"success\":true,\"type\":\"info\"}",
            422, "message", D_MSG_STR);

    /* Unknown fields are ignored, whatever they hold. */
    END_OK("{\"type\":\"info\",\"success\":true,\"extra\":[1,{\"a\":null}],"
           "\"id\":5,\"\":\"\",\"x\":\"\xff\"}", I, 1);
    /* Duplicate keys: json-c keeps the last one. */
    END_OK("{\"type\":\"bogus\",\"type\":\"info\",\"success\":true}", I, 1);
    END_BAD("{\"type\":\"info\",\"type\":\"bogus\",\"success\":true}",
            422, "type", D_TYPE_BAD);
    END_OK("{\"type\":\"info\",\"success\":true,\"success\":false}", I, 0);
    END_OK_MSG("{\"type\":\"info\",\"success\":1,\"message\":1,\"message\":\"m\"}",
               I, 1, "m");
    /* json-c cuts a key at an escaped NUL: "type\u0000x" is read as "type". */
    END_OK("{\"type\\u0000x\":\"info\",\"success\":true}", I, 1);

    /* White space around the object is fine (JSON's four kinds). */
    END_OK(" \t\r\n{ \"type\" : \"info\" , \"success\" : true } \r\n\t ", I, 1);
    /* Bytes after len are not read. */
    ok_(charon_parse_end_body, "{\"type\":\"info\",\"success\":true}GARBAGE",
        sizeof("{\"type\":\"info\",\"success\":true}") - 1, MAXMSG, I, 1,
        NULL, 0, __LINE__);
}

static void test_not_an_object(void)
{
    static const char *const bad[] = {
        "", " ", "\n\r\t ", "{", "}", "{\"type\"", "{\"type\":",
        "{\"type\":\"info\"", "{\"type\":\"info\",", "{\"type\":\"in",
        "[]", "[1]", "[{\"type\":\"info\",\"success\":true}]",
        "\"str\"", "123", "-1", "1.5", "null", "true", "false", "nul",
        "{}x", "{} {}", "{}{}", "{},", "{} ,", "{}]", "{}}",
        "{\"type\":\"info\",\"success\":true,}",      /* trailing comma */
        "{\"type\":\"info\",,\"success\":true}",
        "{\"type\":\"info\" \"success\":true}",
        "{type:\"info\",\"success\":true}",          /* bare key */
        "{'type':'info','success':true}",           /* single quotes */
        "{\"type\":\"info\",\"success\":True}",       /* not JSON's true */
        "{\"type\":\"info\",\"success\":tru}",
        "{\"type\":\"info\",\"success\":01}",         /* leading zero */
        "{\"type\":\"info\",\"success\":+1}",
        "{\"type\":\"info\",\"success\":.5}",
        "{\"type\":\"info\",\"success\":0x1}",
        "{\"type\":\"info\",\"success\":true} // c",
        "/* c */ {\"type\":\"info\",\"success\":true}",
        "{\"type\":\"info\",\"success\":true}\f",     /* not JSON space */
        "{\"type\":\"info\",\"success\":true}\v",
        "\xef\xbb\xbf{\"type\":\"info\",\"success\":true}", /* BOM */
        "{\"type\":\"\\x41\",\"success\":true}",      /* bad escape */
        "{\"type\":\"\\u12\",\"success\":true}",
        "{\"message\":\"unterminated}",
        "\xff", "\xc3\xa9",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bad_(charon_parse_end_body, bad[i], strlen(bad[i]), MAXMSG,
             400, NULL, NULL, __LINE__);
        bad_(charon_parse_message_body, bad[i], strlen(bad[i]), MAXMSG,
             400, NULL, NULL, __LINE__);
    }
    /* NULL buffer and zero length. */
    bad_(charon_parse_end_body, NULL, 0, MAXMSG, 400, NULL, NULL, __LINE__);
    bad_(charon_parse_end_body, "{}", 0, MAXMSG, 400, NULL,
         "body is not a JSON object: it is empty", __LINE__);
    /* NUL bytes: after, before and inside the object. */
    END_BAD("{\"type\":\"info\",\"success\":true}\0", 400, NULL,
            "body is not a JSON object: data follows the JSON value");
    END_BAD("{\"type\":\"info\",\"success\":true}\0 ", 400, NULL, NULL);
    END_BAD("\0{\"type\":\"info\",\"success\":true}", 400, NULL, NULL);
    END_BAD("{\"type\":\"info\",\0\"success\":true}", 400, NULL, NULL);
    /* Details say what the body is. */
    END_BAD("[1]", 400, NULL, "body is not a JSON object: it is an array");
    END_BAD("\"s\"", 400, NULL, "body is not a JSON object: it is a string");
    END_BAD("{\"type\":\"info\"", 400, NULL,
            "body is not a JSON object: the JSON text is incomplete");
}

/* Builds {"type":"info","success":true,"x":[[...1...]]}, nested `depth`
 * levels in all, the outer object counting as one. */
static const char *nested(int depth, int objects)
{
    apr_size_t cap = (apr_size_t)depth * 8 + 64, n;
    char *s = apr_palloc(pool, cap);
    int i;

    n = (apr_size_t)sprintf(s, "{\"type\":\"info\",\"success\":true,\"x\":");
    for (i = 1; i < depth; i++)
        n += (apr_size_t)sprintf(s + n, objects ? "{\"a\":" : "[");
    s[n++] = '1';
    for (i = 1; i < depth; i++)
        s[n++] = objects ? '}' : ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void test_depth(void)
{
    const char *s;

    /* json-c's default depth is 32: 31 levels parse, 32 do not. */
    s = nested(31, 0);
    ok_(charon_parse_end_body, s, strlen(s), MAXMSG, I, 1, NULL, 0, __LINE__);
    s = nested(31, 1);
    ok_(charon_parse_end_body, s, strlen(s), MAXMSG, I, 1, NULL, 0, __LINE__);
    s = nested(32, 0);
    bad_(charon_parse_end_body, s, strlen(s), MAXMSG, 400, NULL,
         "body is not a JSON object: nesting too deep", __LINE__);
    s = nested(33, 0);
    bad_(charon_parse_end_body, s, strlen(s), MAXMSG, 400, NULL,
         "body is not a JSON object: nesting too deep", __LINE__);
    s = nested(33, 1);
    bad_(charon_parse_end_body, s, strlen(s), MAXMSG, 400, NULL,
         "body is not a JSON object: nesting too deep", __LINE__);
    s = nested(100000, 0);
    bad_(charon_parse_end_body, s, strlen(s), MAXMSG, 400, NULL, NULL,
         __LINE__);
    /* Unclosed, very deep. */
    {
        char *open = apr_palloc(pool, 50001);
        memset(open, '[', 50000);
        open[50000] = '\0';
        bad_(charon_parse_message_body, open, 50000, MAXMSG, 400, NULL, NULL,
             __LINE__);
    }
}

/* Every proper prefix of a valid body is refused with 400. */
static void test_truncation(void)
{
    static const char *const good[] = {
        "{\"type\":\"info\",\"success\":true,\"message\":\"h\xc3\xa9llo \\u00e9\\ud83d\\ude00\"}",
        "{ \"message\" : \"x\" , \"type\" : \"error\" , \"success\" : \"false\" }",
        "{\"type\":\"warning\",\"success\":0,\"n\":[1.5e3,-2,null,{\"k\":[]}]}",
    };
    apr_size_t i, k;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        apr_size_t len = strlen(good[i]);
        int wrong = 0;
        charon_body_t b;
        charon_error_t e = {0, NULL, NULL};
        CHECK(run(charon_parse_end_body, good[i], len, MAXMSG, &b, &e) == 1,
              "untruncated body %zu accepted (%s)", i, show(e.detail));
        for (k = 0; k < len; k++) {
            /* A copy of exactly k bytes, so a reader past k would show
             * under valgrind or ASan. */
            char *cut = malloc(k ? k : 1);
            memcpy(cut, good[i], k);
            if (run(charon_parse_end_body, cut, k, MAXMSG, &b, &e) != 0
                || e.status != 400 || e.field != NULL) {
                if (wrong++ == 0)
                    fprintf(stderr, "  prefix %zu of body %zu: status %d\n",
                            k, i, e.status);
            }
            free(cut);
        }
        CHECK(wrong == 0, "%d prefixes of body %zu not refused with 400",
              wrong, i);
    }
}

static void test_message_endpoint(void)
{
    MSG_OK("{\"message\":\"hello\",\"type\":\"info\"}", I, "hello");
    MSG_OK("{\"type\":\"warning\",\"message\":\"\"}", W, "");
    MSG_OK("{\"type\":\"error\",\"message\":\"x\",\"success\":\"bogus\"}", E, "x");
    MSG_OK("{\"type\":\"success\",\"message\":\"\\ud800\"}", S, "\xef\xbf\xbd");
    MSG_OK("{\"type\":\"info\",\"message\":\"line1\\nline2\",\"extra\":{}}",
           I, "line1\nline2");

    /* Order for message: message, type. */
    MSG_BAD("{}", 422, "message", D_MSG_REQ);
    MSG_BAD("{\"type\":\"bogus\"}", 422, "message", D_MSG_REQ);
    MSG_BAD("{\"message\":null,\"type\":\"info\"}", 422, "message", D_MSG_REQ);
    MSG_BAD("{\"message\":1,\"type\":\"bogus\"}", 422, "message", D_MSG_STR);
    MSG_BAD("{\"message\":\"x\"}", 422, "type", D_TYPE_REQ);
    MSG_BAD("{\"message\":\"x\",\"type\":\"bogus\"}", 422, "type", D_TYPE_BAD);
    MSG_BAD("{\"message\":\"x\",\"type\":null}", 422, "type", D_TYPE_BAD);
    MSG_BAD("{\"message\":\"\xed\xbf\xbf\",\"type\":\"info\"}",
            422, "message", D_MSG_UTF8);
    MSG_BAD("{\"message\":\"\\u0000\",\"type\":\"info\"}",
            422, "message", D_MSG_NUL);
    MSG_BAD("{\"message\":false,\"type\":\"info\"}", 422, "message", D_MSG_STR);
    bad_(charon_parse_message_body, "{\"message\":\"abcd\",\"type\":\"info\"}",
         sizeof("{\"message\":\"abcd\",\"type\":\"info\"}") - 1, 3, 422,
         "message", "field 'message' is longer than 3 bytes", __LINE__);
    ok_(charon_parse_message_body, "{\"message\":\"abc\",\"type\":\"info\"}",
        sizeof("{\"message\":\"abc\",\"type\":\"info\"}") - 1, 3, I, 0,
        "abc", 3, __LINE__);
}

/* Random mutations of valid bodies: whatever comes in, the answer keeps
 * the contract (200 with sane fields, 400 without a field, 422 with one). */
static void test_fuzz(void)
{
    static const char *const seeds[] = {
        "{\"type\":\"info\",\"success\":true,\"message\":\"h\xc3\xa9llo\"}",
        "{\"message\":\"x\\u0000y\",\"type\":\"error\",\"success\":\"0\"}",
        "{\"type\":\"warning\",\"success\":1,\"z\":[[{}],1e400,\"\\ud800\"]}",
    };
    static const char inject[] = "{}[]\",:\\u0 tfn1e-.\x00\x80\xc3\xed\xf4\xff";
    int it, broken = 0, seen[3] = {0, 0, 0};

    for (it = 0; it < 30000; it++) {
        char buf[256];
        const char *seed = seeds[rng() % 3];
        apr_size_t len = strlen(seed), m, edits = 1 + rng() % 4;
        charon_body_t b;
        charon_error_t e = {0, NULL, NULL};
        int r, good;
        parse_fn fn = (rng() & 1) ? charon_parse_end_body
                                  : charon_parse_message_body;
        apr_size_t max = (rng() & 1) ? MAXMSG : rng() % 8;

        memcpy(buf, seed, len);
        for (m = 0; m < edits; m++) {
            apr_size_t at = len ? rng() % len : 0;
            switch (rng() % 3) {
            case 0:     /* replace */
                if (len)
                    buf[at] = (rng() & 1) ? (char)rng()
                                          : inject[rng() % (sizeof(inject) - 1)];
                break;
            case 1:     /* delete */
                if (len) {
                    memmove(buf + at, buf + at + 1, len - at - 1);
                    len--;
                }
                break;
            default:    /* insert */
                if (len < sizeof(buf) - 1) {
                    memmove(buf + at + 1, buf + at, len - at);
                    buf[at] = inject[rng() % (sizeof(inject) - 1)];
                    len++;
                }
            }
        }
        r = run(fn, buf, len, max, &b, &e);
        if (r == 1) {
            seen[0]++;
            good = charon_type_name(b.type) != NULL
                && (fn != charon_parse_end_body || b.success == 0
                    || b.success == 1)
                && (fn == charon_parse_end_body || b.has_message)
                && (!b.has_message
                    || (charon_utf8_valid(b.message, b.message_len)
                        && memchr(b.message, 0, b.message_len) == NULL
                        && b.message_len <= max
                        && b.message[b.message_len] == '\0'));
        }
        else if (e.status == 400) {
            seen[1]++;
            good = r == 0 && e.field == NULL && e.detail != NULL;
        }
        else {
            seen[2]++;
            good = r == 0 && e.status == 422 && e.detail != NULL
                && (streq(e.field, "type") || streq(e.field, "success")
                    || streq(e.field, "message"))
                && strstr(e.detail, e.field) != NULL;
        }
        if (!good && broken++ == 0)
            fprintf(stderr, "  fuzz case: %s -> r=%d status=%d\n",
                    bytes(buf, len), r, e.status);
    }
    CHECK(broken == 0, "%d fuzzed bodies broke the contract", broken);
    /* The mutations must reach all three outcomes, or the fuzz is idle. */
    CHECK(seen[0] > 100 && seen[1] > 100 && seen[2] > 100,
          "fuzz outcomes: %d ok, %d 400, %d 422", seen[0], seen[1], seen[2]);
}

/* ===================================================================== */
/* API keys                                                               */
/* ===================================================================== */

static const char *hex(const unsigned char *d)
{
    char *s = apr_palloc(pool, 2 * CHARON_DIGEST_LEN + 1);
    int i;
    for (i = 0; i < CHARON_DIGEST_LEN; i++)
        sprintf(s + 2 * i, "%02x", d[i]);
    return s;
}

#define SHA_ABC   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC448 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

static void test_sha256(void)
{
    unsigned char d[CHARON_DIGEST_LEN];
    static const char m448[] =
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

    charon_sha256("abc", 3, d);
    CHECK(streq(hex(d), SHA_ABC), "sha256(abc) = %s", hex(d));
    charon_sha256("", 0, d);
    CHECK(streq(hex(d), SHA_EMPTY), "sha256('') = %s", hex(d));
    charon_sha256(m448, sizeof(m448) - 1, d);
    CHECK(streq(hex(d), SHA_ABC448), "sha256(448 bits) = %s", hex(d));
    charon_sha256("abcdef", 3, d);          /* the length is honoured */
    CHECK(streq(hex(d), SHA_ABC), "sha256 honours len: %s", hex(d));
}

static void digest_ok(const char *secret, const char *want_hex, int line)
{
    unsigned char d[CHARON_DIGEST_LEN];
    const char *why;
    memset(d, 0, sizeof(d));
    why = charon_key_digest(pool, secret, d);
    check_(why == NULL && streq(hex(d), want_hex), line, "digest_ok",
           "key_digest(%s) = %s, %s", bytes(secret, strlen(secret)),
           show(why), hex(d));
}

static void digest_bad(const char *secret, int line)
{
    unsigned char d[CHARON_DIGEST_LEN];
    const char *why = charon_key_digest(pool, secret, d);
    /* The sentence must exist and not quote the secret (the bare prefix
     * "sha256:" is named by the sentence, it is no secret). */
    check_(why != NULL && *why != '\0'
           && (secret == NULL || *secret == '\0'
               || strcmp(secret, "sha256:") == 0
               || strstr(why, secret) == NULL), line, "digest_bad",
           "key_digest(%s) = %s", secret ? bytes(secret, strlen(secret))
           : "NULL", show(why));
}

static void test_key_digest(void)
{
    unsigned char d[CHARON_DIGEST_LEN];
    const char *clear = "k_9f0c7a1e2b3d4c5e21";

    charon_sha256(clear, strlen(clear), d);
    digest_ok(clear, hex(d), __LINE__);
    digest_ok("0123456789abcdef", "9f9f5111f7b27a781f1f1ddde5ebc2dd"
              "2b796bfc7365c9c28b548e564176929f", __LINE__); /* 16 bytes */
    digest_ok("sha256:" SHA_ABC, SHA_ABC, __LINE__);
    digest_ok("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
              SHA_ABC, __LINE__);
    digest_ok("sha256:Ba7816bF8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aD",
              SHA_ABC, __LINE__);
    /* A clear key that merely contains "sha256:" later, or in other case,
     * is a clear key. */
    charon_sha256("SHA256:0123456789", 17, d);
    digest_ok("SHA256:0123456789", hex(d), __LINE__);
    charon_sha256("xsha256:012345678", 17, d);
    digest_ok("xsha256:012345678", hex(d), __LINE__);
    /* Non-ASCII bytes are allowed in a clear key. */
    charon_sha256("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 16, d);
    digest_ok("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
              hex(d), __LINE__);

    digest_bad(NULL, __LINE__);
    digest_bad("", __LINE__);
    digest_bad("short", __LINE__);
    digest_bad("0123456789abcde", __LINE__);            /* 15 bytes */
    digest_bad("0123456789 abcdef", __LINE__);          /* space */
    digest_bad("0123456789\tabcdef", __LINE__);
    digest_bad("0123456789abcdef\n", __LINE__);
    digest_bad("0123456789\x01" "abcdef", __LINE__);
    digest_bad("0123456789\x7f" "abcdef", __LINE__);
    digest_bad("sha256:", __LINE__);
    digest_bad("sha256:abc", __LINE__);
    digest_bad("sha256:" SHA_ABC "0", __LINE__);         /* 65 digits */
    digest_bad("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
               __LINE__);                                /* 63 digits */
    digest_bad("sha256:ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
               __LINE__);
    digest_bad("sha256: " SHA_ABC, __LINE__);
    digest_bad("sha256:" SHA_ABC " ", __LINE__);
    digest_bad("sha256:0x7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
               __LINE__);
    /* A malformed digest is refused even when long enough to be a key. */
    {
        const char *why = charon_key_digest(pool,
            "sha256:this-is-a-long-enough-clear-key", d);
        CHECK(why != NULL && strstr(why, "this-is") == NULL,
              "malformed sha256: refused, not hashed: %s", show(why));
    }
}

static void test_key_names(void)
{
    static const char *const good[] = {
        "billing-app", "a", "A.Z_0-9", "x.y", "-", "_", ".",
        "0123456789012345678901234567890123456789012345678901234567890123",
    };
    static const char *const bad[] = {
        "", "a b", "a/b", "a:b", "a\tb", "\xc3\xa9", "name\n", "a@b", "*",
        "01234567890123456789012345678901234567890123456789012345678901234",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK(charon_key_name_check(pool, good[i]) == NULL,
              "name '%s' refused", good[i]);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = charon_key_name_check(pool, bad[i]);
        CHECK(why != NULL && (*bad[i] == '\0' || strstr(why, bad[i]) == NULL),
              "name '%s' accepted or quoted: %s", bytes(bad[i], strlen(bad[i])),
              show(why));
    }
    CHECK(charon_key_name_check(pool, NULL) != NULL, "NULL name refused");
}

static charon_key_t *make_key(const char *name, const char *secret, ...)
{
    charon_key_t *k = apr_pcalloc(pool, sizeof(*k));
    const char *pat;
    va_list ap;

    k->name = name;
    if (charon_key_digest(pool, secret, k->digest) != NULL)
        abort();                 /* a broken fixture, not a test failure */
    k->patterns = apr_array_make(pool, 2, sizeof(const char *));
    va_start(ap, secret);
    while ((pat = va_arg(ap, const char *)) != NULL)
        APR_ARRAY_PUSH(k->patterns, const char *) = pat;
    va_end(ap);
    return k;
}

#define FIND(keys, s) charon_key_find(keys, s, (s) ? strlen(s) : 0)

static void test_key_find(void)
{
    apr_array_header_t *keys = apr_array_make(pool, 4, sizeof(charon_key_t *));
    apr_array_header_t *none = apr_array_make(pool, 1, sizeof(charon_key_t *));
    charon_key_t *a = make_key("alpha", "alpha-secret-0001", NULL);
    charon_key_t *b = make_key("bravo", "bravo-secret-0002", NULL);
    /* Charlie is configured by digest: sha256 of "charlie-secret-03". */
    unsigned char d[CHARON_DIGEST_LEN];
    charon_key_t *c;
    charon_key_t *a2 = make_key("alpha-again", "alpha-secret-0001", NULL);

    charon_sha256("charlie-secret-03", 17, d);
    c = make_key("charlie", apr_pstrcat(pool, "sha256:", hex(d), NULL), NULL);

    APR_ARRAY_PUSH(keys, charon_key_t *) = a;
    APR_ARRAY_PUSH(keys, charon_key_t *) = b;
    APR_ARRAY_PUSH(keys, charon_key_t *) = c;

    CHECK(FIND(keys, "alpha-secret-0001") == a, "finds alpha");
    CHECK(FIND(keys, "bravo-secret-0002") == b, "finds bravo");
    CHECK(FIND(keys, "charlie-secret-03") == c, "finds charlie by digest");
    CHECK(FIND(keys, "delta-secret-0004") == NULL, "unknown key");
    CHECK(FIND(keys, "alpha-secret-000") == NULL, "prefix of a key");
    CHECK(FIND(keys, "alpha-secret-00011") == NULL, "key plus a byte");
    CHECK(FIND(keys, "ALPHA-SECRET-0001") == NULL, "keys are case-sensitive");
    CHECK(FIND(keys, "") == NULL, "empty key");
    CHECK(charon_key_find(keys, NULL, 5) == NULL, "NULL key");
    CHECK(charon_key_find(keys, "alpha-secret-0001", 0) == NULL, "zero length");
    CHECK(charon_key_find(keys, "alpha-secret-0001xyz", 17) == a,
          "length honoured");
    CHECK(FIND(keys, hex(d)) == NULL, "the digest itself is not the key");
    CHECK(FIND(keys, apr_pstrcat(pool, "sha256:", hex(d), NULL)) == NULL,
          "the configured digest string is not the key");
    CHECK(FIND(none, "alpha-secret-0001") == NULL, "no keys");
    CHECK(charon_key_find(NULL, "alpha-secret-0001", 17) == NULL, "NULL array");
    /* The empty string's digest configured: still never matches "". */
    {
        apr_array_header_t *e = apr_array_make(pool, 1, sizeof(charon_key_t *));
        APR_ARRAY_PUSH(e, charon_key_t *) = make_key("empty",
                                                     "sha256:" SHA_EMPTY, NULL);
        CHECK(FIND(e, "") == NULL, "empty presented key never matches");
    }
    /* Two keys with one secret: the first configured wins, wherever the
     * pair sits. */
    APR_ARRAY_PUSH(keys, charon_key_t *) = a2;
    CHECK(FIND(keys, "alpha-secret-0001") == a, "first of duplicates");
    {
        apr_array_header_t *k2 = apr_array_make(pool, 3, sizeof(charon_key_t *));
        APR_ARRAY_PUSH(k2, charon_key_t *) = b;
        APR_ARRAY_PUSH(k2, charon_key_t *) = a2;
        APR_ARRAY_PUSH(k2, charon_key_t *) = a;
        CHECK(FIND(k2, "alpha-secret-0001") == a2, "first of duplicates (2)");
        CHECK(FIND(k2, "bravo-secret-0002") == b, "match at index 0");
    }
    /* Digests that differ from the presented one in a single bit, at each
     * of the 32 bytes, never match; the exact one, listed last, does. */
    {
        apr_array_header_t *near = apr_array_make(pool, 33, sizeof(charon_key_t *));
        charon_key_t *exact;
        int j, wrong = 0;
        charon_sha256("near-miss-secret-1", 18, d);
        for (j = 0; j < CHARON_DIGEST_LEN; j++) {
            charon_key_t *k = make_key(apr_psprintf(pool, "near%d", j),
                                       "placeholder-secret", NULL);
            memcpy(k->digest, d, sizeof(d));
            k->digest[j] ^= (unsigned char)(1u << (j % 8));
            APR_ARRAY_PUSH(near, charon_key_t *) = k;
        }
        CHECK(FIND(near, "near-miss-secret-1") == NULL,
              "a one-bit difference at any byte does not match");
        exact = make_key("exact", "placeholder-secret", NULL);
        memcpy(exact->digest, d, sizeof(d));
        APR_ARRAY_PUSH(near, charon_key_t *) = exact;
        CHECK(FIND(near, "near-miss-secret-1") == exact,
              "the exact digest after 32 near misses");
        for (j = 0; j < CHARON_DIGEST_LEN; j++) {
            apr_array_header_t *one = apr_array_make(pool, 1, sizeof(charon_key_t *));
            APR_ARRAY_PUSH(one, charon_key_t *) = APR_ARRAY_IDX(near, j, charon_key_t *);
            if (FIND(one, "near-miss-secret-1") != NULL)
                wrong++;
        }
        CHECK(wrong == 0, "%d single near-miss keys matched", wrong);
    }
    /* Many keys: each one found at its own index. */
    {
        apr_array_header_t *many = apr_array_make(pool, 64, sizeof(charon_key_t *));
        int i, wrong = 0;
        for (i = 0; i < 64; i++)
            APR_ARRAY_PUSH(many, charon_key_t *) =
                make_key(apr_psprintf(pool, "k%d", i),
                         apr_psprintf(pool, "secret-number-%04d", i), NULL);
        for (i = 0; i < 64; i++) {
            const char *s = apr_psprintf(pool, "secret-number-%04d", i);
            if (FIND(many, s) != APR_ARRAY_IDX(many, i, charon_key_t *))
                wrong++;
        }
        CHECK(wrong == 0, "%d of 64 keys not found at their index", wrong);
        CHECK(FIND(many, "secret-number-0064") == NULL, "65th key unknown");
    }
}

static void test_key_allows(void)
{
    charon_key_t *any = make_key("any", "any-secret-000001", NULL);
    charon_key_t *bill = make_key("bill", "bill-secret-00001", "billing-*", NULL);
    charon_key_t *rep = make_key("rep", "rep-secret-000001", "report-?", NULL);
    charon_key_t *ab = make_key("ab", "ab-secret-0000001", "[ab]*", NULL);
    charon_key_t *multi = make_key("multi", "multi-secret-0001",
                                   "billing-*", "report-?", "exact", NULL);
    charon_key_t bare;

    CHECK(charon_key_allows(any, "anything") == 1, "no patterns: any slug");
    CHECK(charon_key_allows(any, "") == 1, "no patterns: empty slug");
    bare.name = "bare";
    bare.patterns = NULL;
    CHECK(charon_key_allows(&bare, "x") == 1, "NULL patterns: any slug");

    CHECK(charon_key_allows(bill, "billing-daily") == 1, "billing-*");
    CHECK(charon_key_allows(bill, "billing-") == 1, "billing-* empty tail");
    CHECK(charon_key_allows(bill, "billing") == 0, "billing-* needs the dash");
    CHECK(charon_key_allows(bill, "xbilling-a") == 0, "billing-* anchored");
    CHECK(charon_key_allows(bill, "Billing-a") == 0, "case-sensitive");
    CHECK(charon_key_allows(bill, "report-1") == 0, "other slug");

    CHECK(charon_key_allows(rep, "report-1") == 1, "report-?");
    CHECK(charon_key_allows(rep, "report-x") == 1, "report-? any char");
    CHECK(charon_key_allows(rep, "report-12") == 0, "report-? one char only");
    CHECK(charon_key_allows(rep, "report-") == 0, "report-? needs one char");

    CHECK(charon_key_allows(ab, "a") == 1, "[ab]* a");
    CHECK(charon_key_allows(ab, "b-nightly") == 1, "[ab]* b-...");
    CHECK(charon_key_allows(ab, "c") == 0, "[ab]* c");
    CHECK(charon_key_allows(ab, "A") == 0, "[ab]* A");
    CHECK(charon_key_allows(ab, "") == 0, "[ab]* empty");

    CHECK(charon_key_allows(multi, "billing-x") == 1, "multi 1");
    CHECK(charon_key_allows(multi, "report-9") == 1, "multi 2");
    CHECK(charon_key_allows(multi, "exact") == 1, "multi 3");
    CHECK(charon_key_allows(multi, "exactly") == 0, "multi none");

    CHECK(charon_key_allows(NULL, "x") == 0, "NULL key");
    CHECK(charon_key_allows(bill, NULL) == 0, "NULL slug");
}

static void kf_skip(const char *line, int lineno)
{
    charon_key_t *k = (charon_key_t *)1;
    const char *why = charon_keyfile_line(pool, line, &k);
    check_(why == NULL && k == NULL, lineno, "kf_skip",
           "keyfile_line(%s) = %s, %p", line ? bytes(line, strlen(line))
           : "NULL", show(why), (void *)k);
}

static void kf_bad(const char *line, const char *want, const char *secret,
                   int lineno)
{
    charon_key_t *k = (charon_key_t *)1;
    const char *why = charon_keyfile_line(pool, line, &k);
    check_(why != NULL && k == NULL && (want == NULL || streq(why, want))
           && (secret == NULL || strstr(why, secret) == NULL), lineno,
           "kf_bad", "keyfile_line(%s) = %s", bytes(line, strlen(line)),
           show(why));
}

static void test_keyfile(void)
{
    charon_key_t *k = NULL;
    const char *why;
    unsigned char d[CHARON_DIGEST_LEN];

    kf_skip(NULL, __LINE__);
    kf_skip("", __LINE__);
    kf_skip("   ", __LINE__);
    kf_skip(" \t \r\n", __LINE__);
    kf_skip("\n", __LINE__);
    kf_skip("# a comment", __LINE__);
    kf_skip("#billing-app 0123456789abcdef", __LINE__);
    kf_skip("   \t# indented comment", __LINE__);
    kf_skip("#", __LINE__);

    why = charon_keyfile_line(pool, "billing-app 0123456789abcdef", &k);
    CHECK(why == NULL && k != NULL && streq(k->name, "billing-app")
          && k->patterns != NULL && k->patterns->nelts == 0,
          "plain key line: %s", show(why));
    charon_sha256("0123456789abcdef", 16, d);
    CHECK(k != NULL && memcmp(k->digest, d, sizeof(d)) == 0, "plain key digest");

    k = NULL;
    why = charon_keyfile_line(pool,
        "  reports\t k_reports_secret_99 \t report-? billing-*   [ab]*  \r\n", &k);
    CHECK(why == NULL && k != NULL && streq(k->name, "reports")
          && k->patterns->nelts == 3
          && streq(APR_ARRAY_IDX(k->patterns, 0, const char *), "report-?")
          && streq(APR_ARRAY_IDX(k->patterns, 1, const char *), "billing-*")
          && streq(APR_ARRAY_IDX(k->patterns, 2, const char *), "[ab]*"),
          "key line with patterns, tabs and CRLF: %s", show(why));
    CHECK(k != NULL && charon_key_allows(k, "report-1")
          && charon_key_allows(k, "billing-x") && charon_key_allows(k, "a1")
          && !charon_key_allows(k, "zzz"), "patterns from the file apply");
    charon_sha256("k_reports_secret_99", 19, d);
    CHECK(k != NULL && memcmp(k->digest, d, sizeof(d)) == 0,
          "key digest from a line with patterns");

    k = NULL;
    why = charon_keyfile_line(pool, "ops sha256:" SHA_ABC " ops-*", &k);
    CHECK(why == NULL && k != NULL && streq(hex(k->digest), SHA_ABC)
          && k->patterns->nelts == 1, "digest key line: %s", show(why));

    /* The line is copied: changing the caller's buffer changes nothing. */
    {
        char buf[] = "app1 0123456789abcdefXYZ app-*";
        k = NULL;
        why = charon_keyfile_line(pool, buf, &k);
        memset(buf, 'Q', sizeof(buf) - 1);
        CHECK(why == NULL && k != NULL && streq(k->name, "app1")
              && streq(APR_ARRAY_IDX(k->patterns, 0, const char *), "app-*"),
              "key line copied into the pool");
    }

    kf_bad("onlyname", "a key line needs NAME and KEY", NULL, __LINE__);
    kf_bad("  onlyname  \t", "a key line needs NAME and KEY", NULL, __LINE__);
    /* A forgotten name makes the secret the name: never quoted. */
    kf_bad("k_9f0c7a1e2b3d4c5e21", "a key line needs NAME and KEY",
           "k_9f0c", __LINE__);
    kf_bad("bad/name 0123456789abcdef", NULL, NULL, __LINE__);
    kf_bad("bad:name 0123456789abcdef", NULL, NULL, __LINE__);
    kf_bad("app short-key", NULL, "short-key", __LINE__);
    kf_bad("app sha256:abc", NULL, "sha256:abc", __LINE__);
    kf_bad("app sha256:" SHA_ABC "ff", NULL, SHA_ABC, __LINE__);
    kf_bad("app 0123456789abcd\x01" "ef", NULL, "0123456789abcd", __LINE__);
}

/* ===================================================================== */
/* JSON answers                                                           */
/* ===================================================================== */

/* The output parses back as one JSON object. */
static int parses(const char *s)
{
    json_object *o;
    int ok;
    if (s == NULL)
        return 0;
    o = json_tokener_parse(s);
    ok = o != NULL && json_object_is_type(o, json_type_object);
    json_object_put(o);
    return ok;
}

#define JSON_IS(got, want) \
    CHECK(streq(got, want) && parses(got), "got %s, want %s", show(got), want)

static void test_json(void)
{
    JSON_IS(charon_json_can_start(pool, "nightly-backup", 1, 7),
            "{\"slug\":\"nightly-backup\",\"canStart\":true,\"cronId\":7}");
    JSON_IS(charon_json_can_start(pool, "nightly-backup", 0, 7),
            "{\"slug\":\"nightly-backup\",\"canStart\":false,\"cronId\":7}");
    JSON_IS(charon_json_can_start(pool, "a/b\"c\\d", 42, APR_INT64_MAX),
            "{\"slug\":\"a/b\\\"c\\\\d\",\"canStart\":true,"
            "\"cronId\":9223372036854775807}");
    JSON_IS(charon_json_can_start(pool, "t\xc3\xa9l\xc3\xa9\ttab", 1, 1),
            "{\"slug\":\"t\xc3\xa9l\xc3\xa9\\ttab\",\"canStart\":true,\"cronId\":1}");
    JSON_IS(charon_json_can_start(pool, NULL, 1, 1),
            "{\"slug\":\"\",\"canStart\":true,\"cronId\":1}");

    JSON_IS(charon_json_id(pool, 1234), "{\"id\":1234}");
    JSON_IS(charon_json_id(pool, 1), "{\"id\":1}");
    JSON_IS(charon_json_id(pool, APR_INT64_MAX), "{\"id\":9223372036854775807}");

    JSON_IS(charon_json_problem(pool, 422, "Unprocessable Content",
                                D_TYPE_BAD, "type"),
            "{\"type\":\"about:blank\",\"title\":\"Unprocessable Content\","
            "\"status\":422,\"detail\":\"field 'type' must be one of warning, "
            "info, success, error\",\"field\":\"type\"}");
    JSON_IS(charon_json_problem(pool, 404, "Not Found",
                                "no cron has the slug x/y", NULL),
            "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
            "\"detail\":\"no cron has the slug x/y\"}");
    JSON_IS(charon_json_problem(pool, 400, "Bad Request",
                                "line1\nline2 \"q\" \x01", NULL),
            "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
            "\"detail\":\"line1\\nline2 \\\"q\\\" \\u0001\"}");
    JSON_IS(charon_json_problem(pool, 500, NULL, NULL, NULL),
            "{\"type\":\"about:blank\",\"title\":\"\",\"status\":500,"
            "\"detail\":\"\"}");
    /* D_SUCC_BAD holds quotes: they come out escaped. */
    JSON_IS(charon_json_problem(pool, 422, "Unprocessable Content",
                                D_SUCC_BAD, "success"),
            "{\"type\":\"about:blank\",\"title\":\"Unprocessable Content\","
            "\"status\":422,\"detail\":\"field 'success' must be true or false "
            "(0, 1, \\\"true\\\", \\\"false\\\", \\\"0\\\" and \\\"1\\\" are "
            "accepted too)\",\"field\":\"success\"}");
    /* The answer lives in the pool: it survives later json-c work. */
    {
        const char *a = charon_json_id(pool, 5);
        const char *b = charon_json_id(pool, 6);
        CHECK(streq(a, "{\"id\":5}") && streq(b, "{\"id\":6}") && a != b,
              "answers are independent pool copies");
    }
}

int main(void)
{
    if (apr_initialize() != APR_SUCCESS || apr_pool_create(&pool, NULL)
        != APR_SUCCESS) {
        fprintf(stderr, "unit: cannot initialise APR\n");
        return 2;
    }

    test_ids();
    test_routes();
    test_utf8();
    test_end_success_field();
    test_end_type_field();
    test_end_message_field();
    test_end_order_and_extras();
    test_message_is_copied();
    test_not_an_object();
    test_depth();
    test_truncation();
    test_message_endpoint();
    test_fuzz();
    test_sha256();
    test_key_digest();
    test_key_names();
    test_key_find();
    test_key_allows();
    test_keyfile();
    test_json();

    apr_pool_destroy(pool);
    apr_terminate();

    printf("unit: %d passed, %d failed\n", passed, failed);
    return (failed == 0 && passed > 0) ? 0 : 1;
}
