/*
 * test_html.c: the manager's escaping (src/lib/html.c) and the plain-text
 * answers' (src/lib/text.c).  Security-critical: whatever a slug or a
 * message holds, nothing of it may open a tag or leave an attribute.
 */
#include "test.h"

#define HTML_IS(in, want)                                                     \
    CHECK(streq(charon_html(pool, in), want), "charon_html(%s) = %s, not %s", \
          show(in), show(charon_html(pool, in)), want)

static void test_html_escapes(void)
{
    HTML_IS("plain text", "plain text");
    HTML_IS("", "");
    HTML_IS(NULL, "");
    HTML_IS("<script>alert(1)</script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;");
    HTML_IS("a & b", "a &amp; b");
    HTML_IS("\"quoted\"", "&quot;quoted&quot;");
    HTML_IS("it's", "it&#39;s");
    HTML_IS("&amp;", "&amp;amp;");
    /* Every byte of a valid multibyte sequence is kept. */
    HTML_IS("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    /* Tab and line breaks are text; other controls become U+FFFD. */
    HTML_IS("a\tb\nc\rd", "a\tb\nc\rd");
    HTML_IS("a\x01"
            "b",
            "a\xEF\xBF\xBD"
            "b");
    HTML_IS("\x7F", "\xEF\xBF\xBD");
    HTML_IS("\x1B[31m", "\xEF\xBF\xBD[31m");
    /* Bytes outside a valid sequence, one U+FFFD each. */
    HTML_IS("\xC3", "\xEF\xBF\xBD");
    HTML_IS("\xC0\xBC", "\xEF\xBF\xBD\xEF\xBF\xBD"); /* overlong '<' */
    HTML_IS("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    HTML_IS("\xFF<", "\xEF\xBF\xBD&lt;");
    HTML_IS("\xE2\x82<", "\xEF\xBF\xBD\xEF\xBF\xBD&lt;");
}

/* Random bytes: the output is valid UTF-8 and holds none of < > " ' and
 * no & that does not start one of the five entities. */
static void test_html_random(void)
{
    static const char *const entities[] = {"&lt;", "&gt;", "&amp;", "&quot;",
                                           "&#39;"};
    char in[64];
    int round, ok = 1;

    for (round = 0; round < 2000 && ok; round++) {
        apr_size_t n = (apr_size_t)(rng() % sizeof(in)), i;
        const char *out, *c;

        for (i = 0; i < n; i++) {
            in[i] = (char)(1 + rng() % 255);
        }
        in[n] = '\0';
        out = charon_html(pool, in);
        ok = charon_utf8_valid(out, strlen(out)) && !strpbrk(out, "<>\"'");
        for (c = strchr(out, '&'); ok && c; c = strchr(c + 1, '&')) {
            for (i = 0; i < N_ELEMS(entities); i++) {
                if (!strncmp(c, entities[i], strlen(entities[i]))) {
                    break;
                }
            }
            ok = i < N_ELEMS(entities);
        }
        CHECK(ok, "charon_html(%s) = %s", bytes(in, n),
              bytes(out, strlen(out)));
    }
}

static void test_urlencode(void)
{
    CHECK(streq(charon_urlencode(pool, "a-b.c_d~e09AZ"), "a-b.c_d~e09AZ"),
          "unreserved characters are kept");
    CHECK(streq(charon_urlencode(pool, "a b&c=d/e?f#g%"),
                "a%20b%26c%3Dd%2Fe%3Ff%23g%25"),
          "reserved ones are escaped");
    CHECK(streq(charon_urlencode(pool, "\xC3\xA9\x01"), "%C3%A9%01"),
          "bytes as upper-case %%XX");
    CHECK(streq(charon_urlencode(pool, NULL), ""), "NULL is empty");
}

#define DUR_IS(in, want)                                        \
    CHECK((want) ? streq(charon_human_duration(pool, in), want) \
                 : charon_human_duration(pool, in) == NULL,     \
          "charon_human_duration(%s) = %s, not %s", show(in),   \
          show(charon_human_duration(pool, in)), show(want))

static void test_human_duration(void)
{
    DUR_IS("0.25", "0.25 s");
    DUR_IS("9.999", "10.00 s");
    DUR_IS("12.5", "12.5 s");
    DUR_IS("245", "4 min 05 s");
    DUR_IS("7380", "2 h 03 min");
    DUR_IS("90000", "1 d 01 h");
    DUR_IS("-3", "0.00 s"); /* the clocks of two machines */
    DUR_IS("1e300", "11574074074 d 01 h");
    DUR_IS("", NULL);
    DUR_IS(NULL, NULL);
    DUR_IS("abc", NULL);
    DUR_IS("12s", NULL);
    DUR_IS("nan", NULL);
}

#define LINE_IS(in, want)                                                     \
    CHECK(streq(charon_one_line(pool, in), want), "charon_one_line(%s) = %s", \
          show(in), show(charon_one_line(pool, in)))
#define LABEL_IS(in, want)                           \
    CHECK(streq(charon_label_value(pool, in), want), \
          "charon_label_value(%s) = %s", show(in),   \
          show(charon_label_value(pool, in)))

static void test_text(void)
{
    LINE_IS("nightly-backup", "nightly-backup");
    LINE_IS("caf\xC3\xA9", "caf\xC3\xA9");
    LINE_IS("a\nb\rc\td\x7F", "a?b?c?d?");
    LINE_IS("\xC3(", "?(");
    LINE_IS(NULL, "");
    LABEL_IS("nightly-backup", "nightly-backup");
    LABEL_IS("a\"b\\c\nd", "a\\\"b\\\\c\\nd");
    LABEL_IS("caf\xC3\xA9", "caf\xC3\xA9");
    LABEL_IS("\xFF"
             "a",
             "\\\\xFFa");
    LABEL_IS("\xE2\x82", "\\\\xE2\\\\x82");
    LABEL_IS(NULL, "");
}

void test_html(void)
{
    test_html_escapes();
    test_html_random();
    test_urlencode();
    test_human_duration();
    test_text();
}
