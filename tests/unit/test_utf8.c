/*
 * test_utf8.c: charon_utf8_valid on literals, on every code point, on all
 * short strings and on random ones, judged against a reference.
 */
#include "test.h"

/* A reference validator built differently from the one under test:
 * decode by bit pattern, then refuse overlongs, surrogates and values past
 * U+10FFFF by code point. */
static int ref_utf8(const unsigned char *s, apr_size_t len)
{
    apr_size_t i = 0, n, k;
    unsigned long cp, min;

    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
            min = 0x80;
        }
        else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
            min = 0x800;
        }
        else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
            min = 0x10000;
        }
        else
            return 0;
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
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
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

#define U8_OK(lit)                                      \
    CHECK(charon_utf8_valid(lit, sizeof(lit) - 1) == 1, \
          "valid UTF-8 refused: %s", bytes(lit, sizeof(lit) - 1))
#define U8_BAD(lit)                                     \
    CHECK(charon_utf8_valid(lit, sizeof(lit) - 1) == 0, \
          "bad UTF-8 accepted: %s", bytes(lit, sizeof(lit) - 1))

/* Counts in *bad a string on which charon_utf8_valid and the reference
 * disagree, and shows the first one. */
static void against_ref(const unsigned char *s, apr_size_t n,
                        unsigned long *bad)
{
    apr_size_t i;

    if (charon_utf8_valid((const char *)s, n) == ref_utf8(s, n)
        || (*bad)++ != 0)
        return;
    fputs("  disagree on", stderr);
    for (i = 0; i < n; i++)
        fprintf(stderr, " %02x", s[i]);
    fputc('\n', stderr);
}

static void utf8_literals(void)
{
    U8_OK("");
    U8_OK("plain ASCII");
    U8_OK("\x00"); /* NUL is valid UTF-8 */
    U8_OK("\x7f");
    U8_OK("\xc2\x80");          /* U+0080 */
    U8_OK("\xc3\xa9t\xc3\xa9"); /* été */
    U8_OK("\xdf\xbf");          /* U+07FF */
    U8_OK("\xe0\xa0\x80");      /* U+0800 */
    U8_OK("\xe2\x82\xac");      /* € */
    U8_OK("\xed\x9f\xbf");      /* U+D7FF */
    U8_OK("\xee\x80\x80");      /* U+E000 */
    U8_OK("\xef\xbf\xbd");      /* U+FFFD */
    U8_OK("\xef\xbf\xbf");      /* U+FFFF */
    U8_OK("\xf0\x90\x80\x80");  /* U+10000 */
    U8_OK("\xf0\x9f\x98\x80");  /* 😀 */
    U8_OK("\xf4\x8f\xbf\xbf");  /* U+10FFFF */

    U8_BAD("\x80"); /* stray continuation */
    U8_BAD("a\x80"
           "b");
    U8_BAD("\xbf");
    U8_BAD("\xc0\x80"); /* overlong NUL */
    U8_BAD("\xc0\xaf"); /* overlong '/' */
    U8_BAD("\xc1\xbf");
    U8_BAD("\xe0\x80\x80");             /* overlong */
    U8_BAD("\xe0\x9f\xbf");             /* overlong U+07FF */
    U8_BAD("\xf0\x80\x80\x80");         /* overlong */
    U8_BAD("\xf0\x8f\xbf\xbf");         /* overlong U+FFFF */
    U8_BAD("\xed\xa0\x80");             /* U+D800 */
    U8_BAD("\xed\xbf\xbf");             /* U+DFFF */
    U8_BAD("\xed\xa0\xbd\xed\xb8\x80"); /* CESU-8 pair */
    U8_BAD("\xf4\x90\x80\x80");         /* U+110000 */
    U8_BAD("\xf5\x80\x80\x80");
    U8_BAD("\xf7\xbf\xbf\xbf");
    U8_BAD("\xf8\x88\x80\x80\x80");     /* 5-byte form */
    U8_BAD("\xfc\x84\x80\x80\x80\x80"); /* 6-byte form */
    U8_BAD("\xfe");
    U8_BAD("\xff");
    U8_BAD("\xc3"); /* truncated */
    U8_BAD("\xe2\x82");
    U8_BAD("\xf0\x9f\x98");
    U8_BAD("abc\xf0\x9f");
    U8_BAD("\xc3\x28"); /* bad continuation */
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
}

static void utf8_exhaustive(void)
{
    unsigned char b[4];
    unsigned long cp, bad;
    unsigned i, j, k, l;

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
        against_ref(b, 1, &bad);
        for (j = 0; j < 256; j++) {
            b[1] = (unsigned char)j;
            against_ref(b, 2, &bad);
        }
    }
    CHECK(bad == 0, "%lu two-byte strings disagree with the reference", bad);

    /* All three-byte strings led by E0..EF, and four-byte strings led by
     * F0..F7 with a sample of fourth bytes. */
    bad = 0;
    for (i = 0xE0; i <= 0xEF; i++)
        for (j = 0; j < 256; j++)
            for (k = 0; k < 256; k++) {
                b[0] = (unsigned char)i;
                b[1] = (unsigned char)j;
                b[2] = (unsigned char)k;
                against_ref(b, 3, &bad);
            }
    CHECK(bad == 0, "%lu three-byte strings disagree", bad);

    bad = 0;
    for (i = 0xF0; i <= 0xF7; i++)
        for (j = 0; j < 256; j++)
            for (k = 0; k < 256; k += 3)
                for (l = 0x3F; l <= 0xC0; l += 0x40) {
                    b[0] = (unsigned char)i;
                    b[1] = (unsigned char)j;
                    b[2] = (unsigned char)k;
                    b[3] = (unsigned char)l;
                    against_ref(b, 4, &bad);
                }
    CHECK(bad == 0, "%lu four-byte strings disagree", bad);
}

/* Random strings of 0..8 bytes biased toward the interesting bytes. */
static void utf8_random(void)
{
    static const unsigned char pick[] = {
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
        0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
        0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF};
    unsigned char b[8];
    unsigned long bad = 0;
    int it;

    for (it = 0; it < 200000; it++) {
        apr_size_t n = (apr_size_t)(rng() % 9), m;
        for (m = 0; m < n; m++)
            b[m] = (rng() & 1) ? (unsigned char)rng()
                               : pick[rng() % sizeof(pick)];
        against_ref(b, n, &bad);
    }
    CHECK(bad == 0, "%lu random strings disagree", bad);
}

void test_utf8(void)
{
    utf8_literals();
    utf8_exhaustive();
    utf8_random();
}
