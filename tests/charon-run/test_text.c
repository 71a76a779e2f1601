/*
 * test_text.c: unit tests of tools/charon_run_text.c: UTF-8 repair, JSON
 * strings and the reading of Charon's answers.
 */
#include "test_cr.h"

/* An independent UTF-8 check: decode, then re-check the ranges. */
int valid_utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i], cp, k;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            cp = c & 0x1F;
            k = 1;
        }
        else if ((c & 0xF0) == 0xE0) {
            cp = c & 0x0F;
            k = 2;
        }
        else if ((c & 0xF8) == 0xF0) {
            cp = c & 0x07;
            k = 3;
        }
        else
            return 0;
        if (n - i - 1 < k)
            return 0;
        for (unsigned j = 1; j <= k; j++) {
            if ((p[i + j] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + j] & 0x3F);
        }
        if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800)
            || (k == 3 && cp < 0x10000) || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += k + 1;
    }
    return 1;
}

static int repair_is(const char *in, size_t n, const char *want,
                     size_t want_bad)
{
    cr_buf_t b = {0};
    cr_buf_add(&b, "", 0);
    size_t bad = cr_utf8_repair(&b, in, n);
    int ok = bad == want_bad && b.len == strlen(want)
             && !memcmp(b.data, want, b.len);
    cr_buf_free(&b);
    return ok;
}

#define FFFD "\xEF\xBF\xBD"
#define R(lit, want, bad) \
    CHECK(repair_is(lit, sizeof(lit) - 1, want, bad), "repair of %s", #lit)

void test_repair(void)
{
    R("", "", 0);
    R("plain ascii", "plain ascii", 0);
    R("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
      "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", 0);
    R("\x00", FFFD, 1);
    R("a\x00z", "a" FFFD "z", 1);
    R("\xFF", FFFD, 1);
    R("\x80", FFFD, 1);
    R("\xC0\x80", FFFD FFFD, 2); /* overlong NUL */
    R("\xC1\xBF", FFFD FFFD, 2);
    R("\xE0\x80\x80", FFFD FFFD FFFD, 3); /* overlong */
    R("\xE0\xA0\x80", "\xE0\xA0\x80", 0); /* U+0800 */
    R("\xED\xA0\x80", FFFD FFFD FFFD, 3); /* surrogate */
    R("\xED\x9F\xBF", "\xED\x9F\xBF", 0); /* U+D7FF */
    R("\xF0\x80\x80\x80", FFFD FFFD FFFD FFFD, 4);
    R("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF", 0);  /* U+10FFFF */
    R("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD, 4); /* past U+10FFFF */
    R("\xF5\x80", FFFD FFFD, 2);
    R("ab\xE2\x82", "ab" FFFD FFFD, 2); /* cut short */
    R("\xE2\x82z", FFFD FFFD "z", 2);

    /* random bytes: always valid out; valid text is left alone */
    int bad_out = 0, changed = 0;
    for (int it = 0; it < 20000; it++) {
        char in[24];
        size_t n = rng() % sizeof(in);
        for (size_t i = 0; i < n; i++) {
            unsigned long long r = rng();
            in[i] = (char)(r % 3 == 0   ? 0x80 | (r >> 8) % 64
                           : r % 3 == 1 ? 0xC0 | (r >> 8) % 64
                                        : (r >> 8) % 256);
        }
        cr_buf_t b = {0};
        cr_buf_add(&b, "", 0);
        size_t nbad = cr_utf8_repair(&b, in, n);
        if (!valid_utf8(b.data, b.len))
            bad_out++;
        if (valid_utf8(in, n) && (nbad || b.len != n || memcmp(b.data, in, n)))
            changed++;
        cr_buf_free(&b);
    }
    CHECK(bad_out == 0, "%d random inputs repaired into invalid UTF-8",
          bad_out);
    CHECK(changed == 0, "%d valid inputs changed by the repair", changed);
}

void test_boundary(void)
{
    const char *s = "ab\xE2\x82\xAC"
                    "cd"; /* a b EURO c d */
    CHECK(cr_utf8_boundary(s, 7, 10) == 7, "max past the end");
    CHECK(cr_utf8_boundary(s, 7, 2) == 2, "before the euro sign");
    CHECK(cr_utf8_boundary(s, 7, 3) == 2, "inside: back to its start");
    CHECK(cr_utf8_boundary(s, 7, 4) == 2, "inside: back to its start (2)");
    CHECK(cr_utf8_boundary(s, 7, 5) == 5, "after it");
    CHECK(cr_utf8_boundary("\x80\x80\x80\x80\x80", 5, 4) == 4,
          "only continuation bytes: max");
}

void test_json_out(void)
{
    const char in[] = "a\"b\\c\nd\te\x01\x1f\x7f" FFFD;
    cr_buf_t b = {0};
    cr_json_string(&b, in, sizeof(in) - 1);
    const char want[] = "\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\x7f" FFFD "\"";
    CHECK(b.len == sizeof(want) - 1 && !memcmp(b.data, want, b.len),
          "escaped: %s", b.data);
    CHECK(cr_json_escaped_len(in, sizeof(in) - 1) == b.len - 2,
          "escaped length %zu, string %zu",
          cr_json_escaped_len(in, sizeof(in) - 1), b.len - 2);
    cr_buf_free(&b);
    /* the length always matches, for every byte */
    int bad = 0;
    for (int c = 0; c < 256; c++) {
        char one = (char)c;
        cr_buf_t x = {0};
        cr_json_string(&x, &one, 1);
        if (x.len - 2 != cr_json_escaped_len(&one, 1) || x.len - 2 > 6)
            bad++;
        cr_buf_free(&x);
    }
    CHECK(bad == 0, "%d bytes escaped to a length other than announced", bad);
}

void test_json_in(void)
{
    const char *body =
        "{\"slug\":\"a\\\"b\",\"canStart\":false,\"cronId\":7,"
        "\"x\":{\"id\":99,\"l\":[1,{\"a\":[]},\"}\"]},\"refusal\":\"locked\","
        "\"reason\":\"execution 42 is still running \\u00e9\\ud83d\\ude00\","
        "\"n\":null,\"t\":true,\"neg\":-12.5e3}";
    size_t n = strlen(body);
    char *v = NULL;
    CHECK(cr_json_member(body, n, "canStart", NULL) == CR_JSON_FALSE,
          "canStart");
    CHECK(cr_json_member(body, n, "t", NULL) == CR_JSON_TRUE, "t");
    CHECK(cr_json_member(body, n, "n", NULL) == CR_JSON_NULL, "n");
    CHECK(cr_json_member(body, n, "cronId", &v) == CR_JSON_NUMBER && v
              && !strcmp(v, "7"),
          "cronId: %s", v ? v : "(null)");
    free(v);
    CHECK(cr_json_member(body, n, "id", NULL) == CR_JSON_ABSENT,
          "nested members are not top-level members");
    CHECK(cr_json_member(body, n, "x", NULL) == CR_JSON_OTHER,
          "x is an object");
    CHECK(cr_json_member(body, n, "slug", &v) == CR_JSON_STRING && v
              && !strcmp(v, "a\"b"),
          "slug: %s", v ? v : "(null)");
    free(v);
    CHECK(cr_json_member(body, n, "reason", &v) == CR_JSON_STRING && v
              && !strcmp(
                  v, "execution 42 is still running \xC3\xA9\xF0\x9F\x98\x80"),
          "reason: %s", v ? v : "(null)");
    free(v);
    CHECK(cr_json_member(body, n, "neg", &v) == CR_JSON_NUMBER && v
              && !strcmp(v, "-12.5e3"),
          "neg: %s", v ? v : "(null)");
    free(v);
    CHECK(cr_json_member(body, n, "missing", &v) == CR_JSON_ABSENT && !v,
          "missing");
    CHECK(cr_json_member("[1]", 3, "id", NULL) == CR_JSON_ABSENT,
          "not an object");
    CHECK(cr_json_member("", 0, "id", NULL) == CR_JSON_ABSENT, "empty");
    CHECK(cr_json_member("{\"id\":", 6, "id", NULL) == CR_JSON_ABSENT,
          "cut short");
    CHECK(cr_json_member("{\"a\":1 \"id\":2}", 14, "id", NULL)
              == CR_JSON_ABSENT,
          "garbage between members: nothing after it is read");
    CHECK(cr_json_member("{\"id\": 12 }", 11, "id", &v) == CR_JSON_NUMBER
              && !strcmp(v, "12"),
          "blanks");
    free(v);
    /* random truncations and bytes never crash */
    for (int it = 0; it < 5000; it++) {
        char buf[512];
        size_t k = rng() % n;
        memcpy(buf, body, k);
        if (k)
            buf[rng() % k] = (char)rng();
        cr_json_member(buf, k, "reason", &v);
        free(v);
        v = NULL;
    }
    CHECK(1, "fuzzed");
}
