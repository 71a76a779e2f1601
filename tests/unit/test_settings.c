/*
 * test_settings.c: src/lib/settings.c: durations, CharonRetention,
 * Idempotency-Key values and request fingerprints (run control), and the
 * manager page's slug and switch-off end.
 */
#include "test.h"

/* ---- durations -------------------------------------------------------- */

#define DAY      ((apr_int64_t)86400)
#define WEEK     (7 * DAY)
#define YEARS100 ((apr_int64_t)100 * 365 * DAY)

static void dur_ok(const char *s, apr_int64_t min, apr_int64_t max,
                   apr_int64_t want, const char *file, int line)
{
    apr_int64_t v = -1;
    const char *why = charon_parse_duration(pool, s, min, max, &v);
    check_(why == NULL && v == want, file, line, "dur_ok",
           "parse_duration(\"%s\", %" APR_INT64_T_FMT ", %" APR_INT64_T_FMT
           ") = %s, %" APR_INT64_T_FMT ", want %" APR_INT64_T_FMT,
           show(s), min, max, show(why), v, want);
}

/* Refused with a sentence, and *secs left alone. */
static void dur_bad(const char *s, apr_int64_t min, apr_int64_t max,
                    const char *file, int line)
{
    apr_int64_t v = -7;
    const char *why = charon_parse_duration(pool, s, min, max, &v);
    check_(why != NULL && *why != '\0' && v == -7, file, line, "dur_bad",
           "parse_duration(\"%s\", %" APR_INT64_T_FMT ", %" APR_INT64_T_FMT
           ") accepted: %" APR_INT64_T_FMT,
           s ? bytes(s, strlen(s)) : "(null)", min, max, v);
}

/* The sentence for these bounds, whatever the value. */
static void dur_says(const char *s, apr_int64_t min, apr_int64_t max,
                     const char *want, const char *file, int line)
{
    apr_int64_t v;
    const char *why = charon_parse_duration(pool, s, min, max, &v);
    check_(streq(why, want), file, line, "dur_says",
           "parse_duration(\"%s\") said \"%s\", want \"%s\"", show(s),
           show(why), want);
}

static void test_durations(void)
{
    /* Each unit, and none. */
    dur_ok("90", 0, YEARS100, 90, HERE);
    dur_ok("90s", 0, YEARS100, 90, HERE);
    dur_ok("15m", 0, YEARS100, 900, HERE);
    dur_ok("2h", 0, YEARS100, 7200, HERE);
    dur_ok("30d", 0, YEARS100, 30 * DAY, HERE);
    dur_ok("2w", 0, YEARS100, 2 * WEEK, HERE);
    dur_ok("0", 0, YEARS100, 0, HERE);
    dur_ok("0w", 0, YEARS100, 0, HERE);
    dur_ok("007m", 0, YEARS100, 420, HERE); /* leading zeros: decimal */

    /* Bounds: min, max, one past each, in several units. */
    dur_ok("1", 1, DAY, 1, HERE);
    dur_ok("1s", 1, DAY, 1, HERE);
    dur_bad("0", 1, DAY, HERE);
    dur_bad("0s", 1, DAY, HERE);
    dur_ok("86400", 1, DAY, DAY, HERE);
    dur_ok("1d", 1, DAY, DAY, HERE);
    dur_ok("24h", 1, DAY, DAY, HERE);
    dur_ok("1440m", 1, DAY, DAY, HERE);
    dur_bad("86401", 1, DAY, HERE);
    dur_bad("1441m", 1, DAY, HERE);
    dur_bad("25h", 1, DAY, HERE);
    dur_bad("2d", 1, DAY, HERE);
    dur_bad("1w", 1, DAY, HERE);
    dur_ok("60", 60, YEARS100, 60, HERE);
    dur_ok("1m", 60, YEARS100, 60, HERE);
    dur_bad("59", 60, YEARS100, HERE);
    dur_bad("59s", 60, YEARS100, HERE);
    dur_ok("36500d", 60, YEARS100, YEARS100, HERE);
    dur_ok("5214w", 60, YEARS100, 5214 * WEEK, HERE);
    dur_ok("3153600000", 60, YEARS100, YEARS100, HERE);
    dur_bad("3153600001", 60, YEARS100, HERE);
    dur_bad("36501d", 60, YEARS100, HERE);
    dur_bad("5215w", 60, YEARS100, HERE);

    /* Overflow: of the digits, and of the product by the unit. */
    dur_ok("9223372036854775807", 0, APR_INT64_MAX, APR_INT64_MAX, HERE);
    dur_ok("9223372036854775807s", 0, APR_INT64_MAX, APR_INT64_MAX, HERE);
    dur_bad("9223372036854775808", 0, APR_INT64_MAX, HERE);
    dur_bad("99999999999999999999", 0, APR_INT64_MAX, HERE);
    dur_bad("99999999999999999999w", 0, APR_INT64_MAX, HERE);
    dur_bad("99999999999999999999w", 1, DAY, HERE);
    dur_ok("153722867280912930m", 0, APR_INT64_MAX,
           (apr_int64_t)153722867280912930LL * 60, HERE);
    dur_bad("153722867280912931m", 0, APR_INT64_MAX, HERE);
    dur_ok("15250284452471w", 0, APR_INT64_MAX,
           (apr_int64_t)15250284452471LL * 604800, HERE);
    dur_bad("15250284452472w", 0, APR_INT64_MAX, HERE);
    dur_bad("106751991167301d", 0, APR_INT64_MAX, HERE);
    dur_bad("2562047788015216h", 0, APR_INT64_MAX, HERE);
    dur_bad("1000000000000000000w", 0, APR_INT64_MAX, HERE);

    /* Junk. */
    {
        static const char *const junk[] = {
            "",           "1x",       "-1",     "+1",   "1 s",  "1ss",
            " 1",         "1 ",       "1s ",    "\t1",  "1\n",  "s",
            "m",          "1S",       "1M",     "1D",   "1.5h", "1,5h",
            "1e3",        "0x10",     "1h30m",  "1sec", "1min", "one",
            "1\xc2\xa0s", "\xd9\xa1", "1s\x01",
        };
        apr_size_t i;
        for (i = 0; i < N_ELEMS(junk); i++)
            dur_bad(junk[i], 0, YEARS100, HERE);
        dur_bad(NULL, 0, YEARS100, HERE);
    }

    /* The sentence names the bounds in the syntax it asks for. */
    dur_says("0", 1, DAY,
             "must be a duration between 1s and 1d (a number "
             "followed by s, m, h, d or w)",
             HERE);
    dur_says("x", 1, DAY,
             "must be a duration between 1s and 1d (a number "
             "followed by s, m, h, d or w)",
             HERE);
    dur_says("1", 60, YEARS100,
             "must be a duration between 1m and 36500d "
             "(a number followed by s, m, h, d or w)",
             HERE);
    dur_says("1", 90, 2 * WEEK,
             "must be a duration between 90s and 2w "
             "(a number followed by s, m, h, d or w)",
             HERE);
    dur_says("x", 0, 3 * 3600 + 60,
             "must be a duration between 0s and "
             "181m (a number followed by s, m, h, d or w)",
             HERE);
}

/* ---- CharonRetention -------------------------------------------------- */

/* argv as a NULL-terminated literal list; argc is counted here. */
#define ARGS(...) ((char *[]){__VA_ARGS__, NULL})

static int count_args(char *const *argv)
{
    int n = 0;
    while (argv[n] != NULL)
        n++;
    return n;
}

static const char *join_args(char *const *argv)
{
    const char *s = "";
    int i;
    for (i = 0; argv[i] != NULL; i++)
        s = apr_pstrcat(pool, s, i ? " " : "", argv[i], NULL);
    return s;
}

static void ret_ok(char *const *argv, int enabled, apr_int64_t max_age,
                   apr_int64_t keep, apr_int64_t keep_failures,
                   const char *file, int line)
{
    charon_retention_t r;
    const char *why;

    memset(&r, 0x5A, sizeof(r));
    why = charon_parse_retention(pool, count_args(argv), argv, &r);
    check_(why == NULL && r.enabled == enabled && r.max_age == max_age
               && r.keep == keep && r.keep_failures == keep_failures,
           file, line, "ret_ok",
           "retention \"%s\" = %s, {%d, %" APR_INT64_T_FMT
           ", %" APR_INT64_T_FMT ", %" APR_INT64_T_FMT "}",
           join_args(argv), show(why), r.enabled, r.max_age, r.keep,
           r.keep_failures);
}

/* Refused with a sentence that contains `says`, *out untouched. */
static void ret_bad(char *const *argv, const char *says, const char *file,
                    int line)
{
    charon_retention_t r, poison;
    const char *why;

    /* Both by memset: a struct assignment need not copy the padding. */
    memset(&poison, 0x5A, sizeof(poison));
    memset(&r, 0x5A, sizeof(r));
    why = charon_parse_retention(pool, count_args(argv), argv, &r);
    check_(why != NULL && strstr(why, says) != NULL
               && memcmp(&r, &poison, sizeof(r)) == 0,
           file, line, "ret_bad",
           "retention \"%s\" = %s, want a sentence with \"%s\"",
           join_args(argv), show(why), says);
}

static void test_retention(void)
{
    const apr_int64_t kf = CHARON_DEFAULT_KEEP_FAILURES;

    CHECK(kf == 10, "default keep-failures is %" APR_INT64_T_FMT, kf);

    ret_ok(ARGS("off"), 0, 0, 0, kf, HERE);
    ret_ok(ARGS("keep=5"), 1, 0, 5, kf, HERE);
    ret_ok(ARGS("max-age=30d"), 1, 30 * DAY, 0, kf, HERE);
    ret_ok(ARGS("max-age=30d", "keep=1000"), 1, 30 * DAY, 1000, kf, HERE);
    ret_ok(ARGS("keep=7", "max-age=1h"), 1, 3600, 7, kf, HERE);
    ret_ok(ARGS("keep-failures=3", "keep=7", "max-age=1h"), 1, 3600, 7, 3,
           HERE);
    ret_ok(ARGS("max-age=2w", "keep-failures=0"), 1, 2 * WEEK, 0, 0, HERE);
    ret_ok(ARGS("keep=1", "keep-failures=1000000000"), 1, 0, 1, 1000000000,
           HERE);
    ret_ok(ARGS("keep=1000000000"), 1, 0, 1000000000, kf, HERE);
    ret_ok(ARGS("keep=007"), 1, 0, 7, kf, HERE);
    ret_ok(ARGS("max-age=60"), 1, 60, 0, kf, HERE);
    ret_ok(ARGS("max-age=1m"), 1, 60, 0, kf, HERE);
    ret_ok(ARGS("max-age=36500d"), 1, YEARS100, 0, kf, HERE);
    ret_ok(ARGS("max-age=90"), 1, 90, 0, kf, HERE);

    /* "off" is alone or not at all. */
    ret_bad(ARGS("off", "keep=5"), "'off'", HERE);
    ret_bad(ARGS("keep=5", "off"), "'off'", HERE);
    ret_bad(ARGS("off", "off"), "'off'", HERE);
    ret_bad(ARGS("Off"), "unknown word 'Off'", HERE);
    ret_bad(ARGS("none"), "unknown word 'none'", HERE);

    /* Each word at most once. */
    ret_bad(ARGS("keep=1", "keep=2"), "keep= is given more than once", HERE);
    ret_bad(ARGS("keep=1", "keep=1"), "keep= is given more than once", HERE);
    ret_bad(ARGS("max-age=1d", "max-age=2d"), "max-age= is given more", HERE);
    ret_bad(ARGS("keep=1", "keep-failures=1", "keep-failures=2"),
            "keep-failures= is given more", HERE);

    /* Unknown words, exact and lower case. */
    ret_bad(ARGS("foo=1"), "unknown word 'foo=1'", HERE);
    ret_bad(ARGS("KEEP=1"), "unknown word 'KEEP=1'", HERE);
    ret_bad(ARGS("max_age=1d"), "unknown word 'max_age=1d'", HERE);
    ret_bad(ARGS("maxage=1d"), "unknown word", HERE);
    ret_bad(ARGS("keep-failure=1", "keep=1"), "unknown word", HERE);
    ret_bad(ARGS("keep=1", "=1"), "unknown word '=1'", HERE);
    ret_bad(ARGS("keep=1", ""), "unknown word ''", HERE);
    ret_bad(ARGS(" keep=1"), "unknown word", HERE);

    /* Empty or missing values name the word. */
    ret_bad(ARGS("keep="), "keep= needs a value", HERE);
    ret_bad(ARGS("keep"), "keep= needs a value", HERE);
    ret_bad(ARGS("max-age="), "max-age= needs a value", HERE);
    ret_bad(ARGS("keep=1", "keep-failures="), "keep-failures= needs a value",
            HERE);

    /* Bad numbers name the word. */
    ret_bad(ARGS("keep=0"), "keep must be a whole number from 1", HERE);
    ret_bad(ARGS("keep=-1"), "keep must be", HERE);
    ret_bad(ARGS("keep=+1"), "keep must be", HERE);
    ret_bad(ARGS("keep=1k"), "keep must be", HERE);
    ret_bad(ARGS("keep=1 "), "keep must be", HERE);
    ret_bad(ARGS("keep=1000000001"), "keep must be", HERE);
    ret_bad(ARGS("keep=99999999999999999999"), "keep must be", HERE);
    ret_bad(ARGS("keep=1", "keep-failures=-1"), "keep-failures must be", HERE);
    ret_bad(ARGS("keep=1", "keep-failures=1000000001"),
            "keep-failures must be", HERE);
    ret_bad(ARGS("keep=1", "keep-failures=x"), "keep-failures must be", HERE);
    ret_bad(ARGS("keep=1", "keep-failures=1=2"), "keep-failures must be",
            HERE);

    /* max-age: a duration of at least a minute, at most 100 years. */
    ret_bad(ARGS("max-age=59"),
            "max-age must be a duration between 1m and "
            "36500d",
            HERE);
    ret_bad(ARGS("max-age=59s"), "max-age must be", HERE);
    ret_bad(ARGS("max-age=0"), "max-age must be", HERE);
    ret_bad(ARGS("max-age=36501d"), "max-age must be", HERE);
    ret_bad(ARGS("max-age=1x"), "max-age must be", HERE);
    ret_bad(ARGS("max-age=99999999999999999999w"), "max-age must be", HERE);
    ret_bad(ARGS("max-age=-1d"), "max-age must be", HERE);

    /* At least one of max-age and keep. */
    ret_bad(ARGS("keep-failures=5"), "needs max-age= or keep=", HERE);
    ret_bad(ARGS("keep-failures=0"), "needs max-age= or keep=", HERE);
    {
        charon_retention_t r;
        char *none[] = {NULL};
        CHECK(charon_parse_retention(pool, 0, none, &r) != NULL,
              "no argument at all is refused");
    }
}

/* ---- Idempotency-Key -------------------------------------------------- */

static void test_idempotency_key(void)
{
    char buf[1024];
    int c;

    CHECK(!charon_idempotency_key_valid(NULL), "NULL refused");
    CHECK(!charon_idempotency_key_valid(""), "empty refused");
    CHECK(charon_idempotency_key_valid("a"), "one byte accepted");
    CHECK(charon_idempotency_key_valid("8e0f3b52-4b8a-4c1e-9d1f-2a7c5e6b9a01"),
          "a UUID accepted");
    CHECK(charon_idempotency_key_valid("run 2024-05-01 #3"),
          "spaces inside accepted");
    CHECK(charon_idempotency_key_valid(" "), "a single space is printable");

    memset(buf, 'k', sizeof(buf));
    buf[CHARON_IDEMPOTENCY_KEY_MAX] = '\0';
    CHECK(charon_idempotency_key_valid(buf), "255 bytes accepted");
    buf[CHARON_IDEMPOTENCY_KEY_MAX] = 'k';
    buf[CHARON_IDEMPOTENCY_KEY_MAX + 1] = '\0';
    CHECK(!charon_idempotency_key_valid(buf), "256 bytes refused");
    buf[sizeof(buf) - 1] = '\0';
    CHECK(!charon_idempotency_key_valid(buf), "1023 bytes refused");
    buf[CHARON_IDEMPOTENCY_KEY_MAX] = '\0';
    buf[CHARON_IDEMPOTENCY_KEY_MAX - 1] = 0x7F;
    CHECK(!charon_idempotency_key_valid(buf), "DEL as the 255th byte");

    /* Every printable byte, in one key. */
    for (c = 0x20; c <= 0x7E; c++)
        buf[c - 0x20] = (char)c;
    buf[0x7F - 0x20] = '\0';
    CHECK(charon_idempotency_key_valid(buf), "0x20..0x7E all accepted");

    /* Every other byte, alone and inside a key. */
    {
        int refused_alone = 0, refused_inside = 0, n = 0;
        for (c = 1; c <= 0xFF; c++) {
            char one[2], mid[4];
            if (c >= 0x20 && c <= 0x7E)
                continue;
            n++;
            one[0] = (char)c;
            one[1] = '\0';
            mid[0] = 'a';
            mid[1] = (char)c;
            mid[2] = 'b';
            mid[3] = '\0';
            refused_alone += !charon_idempotency_key_valid(one);
            refused_inside += !charon_idempotency_key_valid(mid);
        }
        CHECK(n == 160 && refused_alone == n && refused_inside == n,
              "bytes outside 0x20..0x7E: %d of %d refused alone, %d inside",
              refused_alone, n, refused_inside);
    }
    CHECK(!charon_idempotency_key_valid("a\tb"), "tab refused");
    CHECK(!charon_idempotency_key_valid("abc\r\n"), "CR LF refused");
    CHECK(!charon_idempotency_key_valid("a\x7f"), "DEL 0x7f refused");
    CHECK(!charon_idempotency_key_valid("\x80"), "0x80 refused");
    CHECK(!charon_idempotency_key_valid("caf\xc3\xa9"), "UTF-8 refused");
    CHECK(!charon_idempotency_key_valid("\xff"), "0xff refused");
}

/* ---- request fingerprints --------------------------------------------- */

static int lower_hex64(const char *s)
{
    apr_size_t i;
    if (s == NULL || strlen(s) != 64)
        return 0;
    for (i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

#define FP(verb, target, body, len) \
    charon_request_fingerprint(pool, verb, target, body, len)

/* Two requests that must be told apart (same: 0) or not (same: 1). */
static void fp_cmp(const char *a, const char *b, int same, const char *what,
                   const char *file, int line)
{
    check_(lower_hex64(a) && lower_hex64(b) && (strcmp(a, b) == 0) == same,
           file, line, "fp_cmp", "%s: %s vs %s", what, show(a), show(b));
}

static void test_fingerprint(void)
{
    static const char body[] = "{\"type\":\"success\",\"success\":1}";
    static const char nul1[] = "{\"message\":\"a\0b\"}";
    static const char nul2[] = "{\"message\":\"a\0c\"}";
    const char *f = FP(CHARON_VERB_END, "1234", body, sizeof(body) - 1);
    const char *g;

    CHECK(lower_hex64(f), "64 lower-case hex digits: %s", show(f));

    /* The encoding is pinned: fingerprints are stored, so a change of it
     * would make every pending key look reused.  SHA-256 of
     * "3:end,4:1234,30:{...}," and "5:start,14:nightly-backup,0:,". */
    CHECK(streq(f, "8a10958bfeab7675aad803769586dd02"
                   "e3665e6c909842697e185619825bfefa"),
          "end: %s", show(f));
    g = FP(CHARON_VERB_START, "nightly-backup", NULL, 0);
    CHECK(streq(g, "e59883826aacd655c6ef8bb9180409d9"
                   "f763c73448fdedc2aaa1172e0bab803d"),
          "start: %s", show(g));

    /* Same request, same fingerprint; a copy of the body, too. */
    fp_cmp(f, FP(CHARON_VERB_END, "1234", body, sizeof(body) - 1), 1,
           "same request", HERE);
    fp_cmp(f,
           FP(CHARON_VERB_END, apr_pstrdup(pool, "1234"),
              apr_pstrmemdup(pool, body, sizeof(body) - 1), sizeof(body) - 1),
           1, "copies", HERE);

    /* Any part changed, another fingerprint. */
    fp_cmp(f, FP(CHARON_VERB_MESSAGE, "1234", body, sizeof(body) - 1), 0,
           "verb", HERE);
    fp_cmp(FP(CHARON_VERB_START, "x", NULL, 0),
           FP(CHARON_VERB_CAN_START, "x", NULL, 0), 0, "start/can-start",
           HERE);
    fp_cmp(f, FP(CHARON_VERB_END, "1235", body, sizeof(body) - 1), 0, "target",
           HERE);
    fp_cmp(f, FP(CHARON_VERB_END, "1234", body, sizeof(body) - 2), 0,
           "body length", HERE);
    fp_cmp(f,
           FP(CHARON_VERB_END, "1234",
              "{\"type\":\"success\",\"success\""
              ":0}",
              sizeof(body) - 1),
           0, "body byte", HERE);
    fp_cmp(FP(CHARON_VERB_END, "1", "", 0), FP(CHARON_VERB_END, "1", " ", 1),
           0, "empty body vs one space", HERE);

    /* NUL bytes in the body are hashed, not a terminator. */
    fp_cmp(FP(CHARON_VERB_MESSAGE, "9", nul1, sizeof(nul1) - 1),
           FP(CHARON_VERB_MESSAGE, "9", nul2, sizeof(nul2) - 1), 0,
           "bytes after a NUL", HERE);
    fp_cmp(FP(CHARON_VERB_MESSAGE, "9", nul1, sizeof(nul1) - 1),
           FP(CHARON_VERB_MESSAGE, "9", nul1, 13), 0, "body cut at NUL", HERE);
    /* The length is honoured. */
    fp_cmp(FP(CHARON_VERB_END, "1", "abcdef", 3),
           FP(CHARON_VERB_END, "1", "abc", 3), 1, "len honoured", HERE);

    /* No split of the same bytes between target and body collides. */
    fp_cmp(FP(CHARON_VERB_END, "a\nb", "c", 1),
           FP(CHARON_VERB_END, "a", "b\nc", 3), 0, "newline shift", HERE);
    fp_cmp(FP(CHARON_VERB_END, "ab", "c", 1),
           FP(CHARON_VERB_END, "a", "bc", 2), 0, "byte shift", HERE);
    fp_cmp(FP(CHARON_VERB_END, "a,1:b", "", 0),
           FP(CHARON_VERB_END, "a", "b", 1), 0, "framing in target", HERE);
    fp_cmp(FP(CHARON_VERB_END, "", "3:end", 5),
           FP(CHARON_VERB_END, "3:end", "", 0), 0, "framing in body", HERE);
    fp_cmp(FP(CHARON_VERB_START, "", NULL, 0),
           FP(CHARON_VERB_NONE, "start", NULL, 0), 0, "verb vs target", HERE);

    /* Absent parts are empty ones, never a crash. */
    fp_cmp(FP(CHARON_VERB_START, "x", NULL, 0),
           FP(CHARON_VERB_START, "x", "", 0), 1, "NULL body is empty", HERE);
    fp_cmp(FP(CHARON_VERB_START, NULL, NULL, 0),
           FP(CHARON_VERB_START, "", NULL, 0), 1, "NULL target is empty",
           HERE);
    fp_cmp(FP(CHARON_VERB_START, "x", NULL, 5),
           FP(CHARON_VERB_START, "x", NULL, 0), 1, "NULL body, len ignored",
           HERE);
    fp_cmp(FP(CHARON_VERB_NONE, "x", NULL, 0),
           FP((charon_verb_e)99, "x", NULL, 0), 1, "unknown verbs alike",
           HERE);

    /* A large body. */
    {
        apr_size_t n = 1 << 20;
        char *big = apr_palloc(pool, n);
        memset(big, 'z', n);
        g = FP(CHARON_VERB_MESSAGE, "1", big, n);
        big[n - 1] = 'y';
        fp_cmp(g, FP(CHARON_VERB_MESSAGE, "1", big, n), 0, "1 MiB, last byte",
               HERE);
    }
}

/* ---- the manager page's slug and switch-off end ------------------------ */

static void slug_ok(const char *slug, const char *file, int line)
{
    const char *why = charon_slug_check(slug);

    check_(why == NULL, file, line, "charon_slug_check", "slug %s refused: %s",
           bytes(slug, strlen(slug)), show(why));
}

static void slug_bad(const char *slug, const char *expect, const char *file,
                     int line)
{
    const char *why = charon_slug_check(slug);

    check_(why != NULL && strstr(why, expect) != NULL, file, line,
           "charon_slug_check", "slug %s: got %s, expected a sentence with %s",
           bytes(slug, strlen(slug)), show(why), expect);
}

static void test_slugs(void)
{
    char long_ok[256], long_bad[257];

    memset(long_ok, 'a', 255);
    long_ok[255] = '\0';
    memset(long_bad, 'a', 256);
    long_bad[256] = '\0';
    slug_ok("nightly-backup", HERE);
    slug_ok("a", HERE);
    slug_ok("r\xC3\xA9sum\xC3\xA9 \xE2\x98\x80", HERE); /* UTF-8 */
    slug_ok("<img src=x onerror=alert(1)>", HERE); /* escaped where shown */
    slug_bad("<script>alert(1)</script>", "\"/\"", HERE);
    slug_ok("...", HERE);
    slug_ok(long_ok, HERE);
    slug_bad("", "required", HERE);
    slug_bad(long_bad, "255 bytes", HERE);
    slug_bad("a/b", "\"/\"", HERE);
    slug_bad("/", "\"/\"", HERE);
    slug_bad(".", "\".\"", HERE);
    slug_bad("..", "\".\"", HERE);
    slug_bad("a\nb", "control", HERE);
    slug_bad("tab\there", "control", HERE);
    slug_bad("del\x7F", "control", HERE);
    slug_bad("\xC3\x28", "UTF-8", HERE);     /* a broken sequence */
    slug_bad("\xED\xA0\x80", "UTF-8", HERE); /* a surrogate */
    slug_bad("\xC0\xAF", "UTF-8", HERE);     /* overlong "/" */
}

static void until_ok(const char *s, apr_int64_t unix_secs, const char *file,
                     int line)
{
    apr_time_t t = 0;
    const char *why = charon_parse_until(s, &t);

    check_(why == NULL && t == apr_time_from_sec(unix_secs), file, line,
           "charon_parse_until",
           "%s: got %s, %" APR_INT64_T_FMT ", expected %" APR_INT64_T_FMT, s,
           show(why), (apr_int64_t)apr_time_sec(t), unix_secs);
}

static void until_bad(const char *s, const char *file, int line)
{
    apr_time_t t = 0;
    const char *why = charon_parse_until(s, &t);

    check_(why != NULL, file, line, "charon_parse_until", "%s was accepted",
           s);
}

static void test_until(void)
{
    /* 2026-12-31T23:59:00Z is 1798761540. */
    until_ok("2026-12-31T23:59", 1798761540, HERE); /* datetime-local */
    until_ok("2026-12-31 23:59", 1798761540, HERE);
    until_ok("2026-12-31t23:59", 1798761540, HERE);
    until_ok("2026-12-31T23:59:00Z", 1798761540, HERE);
    until_ok("2026-12-31T23:59:00z", 1798761540, HERE);
    until_ok("2026-12-31T23:59:00.999Z", 1798761540, HERE); /* to the s */
    until_ok("2026-12-31T23:59:30", 1798761570, HERE);
    until_ok("2027-01-01T01:59+02:00", 1798761540, HERE);
    until_ok("2026-12-31T20:29:00-03:30", 1798761540, HERE);
    until_ok("2028-02-29T00:00Z", 1835395200, HERE); /* a leap day */
    until_ok("1970-01-01T00:00Z", 0, HERE);
    until_bad("", HERE);
    until_bad("tomorrow", HERE);
    until_bad("2026-12-31", HERE); /* no time */
    until_bad("2026-12-31T23", HERE);
    until_bad("2026-12-31T24:00", HERE);
    until_bad("2026-12-31T23:60", HERE);
    until_bad("2026-12-31T23:59:60Z", HERE);
    until_bad("2026-13-01T00:00", HERE);
    until_bad("2026-00-10T00:00", HERE);
    until_bad("2026-02-30T00:00", HERE); /* not a date */
    until_bad("2027-02-29T00:00", HERE);
    until_bad("2026-12-31T23:59Zjunk", HERE);
    until_bad("2026-12-31T23:59+2:00", HERE);
    until_bad("2026-12-31T23:59+24:00", HERE);
    until_bad("1969-12-31T23:59Z", HERE);
    until_bad("2026/12/31T23:59", HERE);
    until_bad("+026-12-31T23:59", HERE);
}

/* The one group main runs for this file. */
void test_settings(void)
{
    test_durations();
    test_retention();
    test_idempotency_key();
    test_fingerprint();
    test_slugs();
    test_until();
}
