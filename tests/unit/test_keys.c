/*
 * test_keys.c: API keys: SHA-256 digests, key secrets and names, finding
 * a presented key, slug patterns, lines of a key file, and the admin=
 * word (the rights on the management API).
 */
#include "test.h"

#include <stdarg.h>

static const char *hex(const unsigned char *d)
{
    char *s = apr_palloc(pool, 2 * CHARON_DIGEST_LEN + 1);
    int i;
    for (i = 0; i < CHARON_DIGEST_LEN; i++)
        sprintf(s + 2 * i, "%02x", d[i]);
    return s;
}

#define SHA_ABC \
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA_EMPTY \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SHA_ABC448 \
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"

void test_sha256(void)
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
    charon_sha256("abcdef", 3, d); /* the length is honoured */
    CHECK(streq(hex(d), SHA_ABC), "sha256 honours len: %s", hex(d));
}

static void digest_ok(const char *secret, const char *want_hex,
                      const char *file, int line)
{
    unsigned char d[CHARON_DIGEST_LEN];
    const char *why;
    memset(d, 0, sizeof(d));
    why = charon_key_digest(pool, secret, d);
    check_(why == NULL && streq(hex(d), want_hex), file, line, "digest_ok",
           "key_digest(%s) = %s, %s", bytes(secret, strlen(secret)), show(why),
           hex(d));
}

static void digest_bad(const char *secret, const char *file, int line)
{
    unsigned char d[CHARON_DIGEST_LEN];
    const char *why = charon_key_digest(pool, secret, d);
    /* The sentence must exist and not quote the secret (the bare prefix
     * "sha256:" is named by the sentence, it is no secret). */
    check_(why != NULL && *why != '\0'
               && (secret == NULL || *secret == '\0'
                   || strcmp(secret, "sha256:") == 0
                   || strstr(why, secret) == NULL),
           file, line, "digest_bad", "key_digest(%s) = %s",
           secret ? bytes(secret, strlen(secret)) : "NULL", show(why));
}

void test_key_digest(void)
{
    unsigned char d[CHARON_DIGEST_LEN];
    const char *clear = "k_9f0c7a1e2b3d4c5e21";

    charon_sha256(clear, strlen(clear), d);
    digest_ok(clear, hex(d), HERE);
    digest_ok("0123456789abcdef",
              "9f9f5111f7b27a781f1f1ddde5ebc2dd"
              "2b796bfc7365c9c28b548e564176929f",
              HERE); /* 16 bytes */
    digest_ok("sha256:" SHA_ABC, SHA_ABC, HERE);
    digest_ok(
        "sha256:"
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
        SHA_ABC, HERE);
    digest_ok(
        "sha256:"
        "Ba7816bF8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015aD",
        SHA_ABC, HERE);
    /* A clear key that merely contains "sha256:" later, or in other case,
     * is a clear key. */
    charon_sha256("SHA256:0123456789", 17, d);
    digest_ok("SHA256:0123456789", hex(d), HERE);
    charon_sha256("xsha256:012345678", 17, d);
    digest_ok("xsha256:012345678", hex(d), HERE);
    /* Non-ASCII bytes are allowed in a clear key. */
    charon_sha256(
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 16,
        d);
    digest_ok(
        "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
        hex(d), HERE);

    digest_bad(NULL, HERE);
    digest_bad("", HERE);
    digest_bad("short", HERE);
    digest_bad("0123456789abcde", HERE);   /* 15 bytes */
    digest_bad("0123456789 abcdef", HERE); /* space */
    digest_bad("0123456789\tabcdef", HERE);
    digest_bad("0123456789abcdef\n", HERE);
    digest_bad("0123456789\x01"
               "abcdef",
               HERE);
    digest_bad("0123456789\x7f"
               "abcdef",
               HERE);
    digest_bad("sha256:", HERE);
    digest_bad("sha256:abc", HERE);
    digest_bad("sha256:" SHA_ABC "0", HERE); /* 65 digits */
    digest_bad(
        "sha256:"
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a",
        HERE); /* 63 digits */
    digest_bad(
        "sha256:"
        "ga7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        HERE);
    digest_bad("sha256: " SHA_ABC, HERE);
    digest_bad("sha256:" SHA_ABC " ", HERE);
    digest_bad(
        "sha256:"
        "0x7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        HERE);
    /* A malformed digest is refused even when long enough to be a key. */
    {
        const char *why = charon_key_digest(
            pool, "sha256:this-is-a-long-enough-clear-key", d);
        CHECK(why != NULL && strstr(why, "this-is") == NULL,
              "malformed sha256: refused, not hashed: %s", show(why));
    }
}

void test_key_names(void)
{
    static const char *const good[] = {
        "billing-app",
        "a",
        "A.Z_0-9",
        "x.y",
        "-",
        "_",
        ".",
        "0123456789012345678901234567890123456789012345678901234567890123",
    };
    static const char *const bad[] = {
        "",
        "a b",
        "a/b",
        "a:b",
        "a\tb",
        "\xc3\xa9",
        "name\n",
        "a@b",
        "*",
        "01234567890123456789012345678901234567890123456789012345678901234",
    };
    apr_size_t i;

    for (i = 0; i < N_ELEMS(good); i++)
        CHECK(charon_key_name_check(pool, good[i]) == NULL,
              "name '%s' refused", good[i]);
    for (i = 0; i < N_ELEMS(bad); i++) {
        const char *why = charon_key_name_check(pool, bad[i]);
        CHECK(why != NULL && (*bad[i] == '\0' || strstr(why, bad[i]) == NULL),
              "name '%s' accepted or quoted: %s",
              bytes(bad[i], strlen(bad[i])), show(why));
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
        abort(); /* a broken fixture, not a test failure */
    k->patterns = apr_array_make(pool, 2, sizeof(const char *));
    va_start(ap, secret);
    while ((pat = va_arg(ap, const char *)) != NULL)
        APR_ARRAY_PUSH(k->patterns, const char *) = pat;
    va_end(ap);
    return k;
}

/* An array of the keys given, in order, up to a NULL. */
static apr_array_header_t *key_list(charon_key_t *first, ...)
{
    apr_array_header_t *keys = apr_array_make(pool, 4, sizeof(charon_key_t *));
    charon_key_t *k;
    va_list ap;

    va_start(ap, first);
    for (k = first; k != NULL; k = va_arg(ap, charon_key_t *))
        APR_ARRAY_PUSH(keys, charon_key_t *) = k;
    va_end(ap);
    return keys;
}

#define FIND(keys, s) charon_key_find(keys, s, (s) ? strlen(s) : 0)

void test_key_find(void)
{
    apr_array_header_t *keys, *none = key_list(NULL);
    charon_key_t *a = make_key("alpha", "alpha-secret-0001", NULL);
    charon_key_t *b = make_key("bravo", "bravo-secret-0002", NULL);
    /* Charlie is configured by digest: sha256 of "charlie-secret-03". */
    unsigned char d[CHARON_DIGEST_LEN];
    charon_key_t *c;
    charon_key_t *a2 = make_key("alpha-again", "alpha-secret-0001", NULL);

    charon_sha256("charlie-secret-03", 17, d);
    c = make_key("charlie", apr_pstrcat(pool, "sha256:", hex(d), NULL), NULL);

    keys = key_list(a, b, c, NULL);

    CHECK(FIND(keys, "alpha-secret-0001") == a, "finds alpha");
    CHECK(FIND(keys, "bravo-secret-0002") == b, "finds bravo");
    CHECK(FIND(keys, "charlie-secret-03") == c, "finds charlie by digest");
    CHECK(FIND(keys, "delta-secret-0004") == NULL, "unknown key");
    CHECK(FIND(keys, "alpha-secret-000") == NULL, "prefix of a key");
    CHECK(FIND(keys, "alpha-secret-00011") == NULL, "key plus a byte");
    CHECK(FIND(keys, "ALPHA-SECRET-0001") == NULL, "keys are case-sensitive");
    CHECK(FIND(keys, "") == NULL, "empty key");
    CHECK(charon_key_find(keys, NULL, 5) == NULL, "NULL key");
    CHECK(charon_key_find(keys, "alpha-secret-0001", 0) == NULL,
          "zero length");
    CHECK(charon_key_find(keys, "alpha-secret-0001xyz", 17) == a,
          "length honoured");
    CHECK(FIND(keys, hex(d)) == NULL, "the digest itself is not the key");
    CHECK(FIND(keys, apr_pstrcat(pool, "sha256:", hex(d), NULL)) == NULL,
          "the configured digest string is not the key");
    CHECK(FIND(none, "alpha-secret-0001") == NULL, "no keys");
    CHECK(charon_key_find(NULL, "alpha-secret-0001", 17) == NULL,
          "NULL array");
    /* The empty string's digest configured: still never matches "". */
    {
        apr_array_header_t *e =
            key_list(make_key("empty", "sha256:" SHA_EMPTY, NULL), NULL);
        CHECK(FIND(e, "") == NULL, "empty presented key never matches");
    }
    /* Two keys with one secret: the first configured wins, wherever the
     * pair sits. */
    APR_ARRAY_PUSH(keys, charon_key_t *) = a2;
    CHECK(FIND(keys, "alpha-secret-0001") == a, "first of duplicates");
    {
        apr_array_header_t *k2 = key_list(b, a2, a, NULL);
        CHECK(FIND(k2, "alpha-secret-0001") == a2, "first of duplicates (2)");
        CHECK(FIND(k2, "bravo-secret-0002") == b, "match at index 0");
    }
    /* Digests that differ from the presented one in a single bit, at each
     * of the 32 bytes, never match; the exact one, listed last, does. */
    {
        apr_array_header_t *near = key_list(NULL);
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
            apr_array_header_t *one =
                key_list(APR_ARRAY_IDX(near, j, charon_key_t *), NULL);
            if (FIND(one, "near-miss-secret-1") != NULL)
                wrong++;
        }
        CHECK(wrong == 0, "%d single near-miss keys matched", wrong);
    }
    /* Many keys: each one found at its own index. */
    {
        apr_array_header_t *many = key_list(NULL);
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

void test_key_allows(void)
{
    charon_key_t *any = make_key("any", "any-secret-000001", NULL);
    charon_key_t *bill =
        make_key("bill", "bill-secret-00001", "billing-*", NULL);
    charon_key_t *rep = make_key("rep", "rep-secret-000001", "report-?", NULL);
    charon_key_t *ab = make_key("ab", "ab-secret-0000001", "[ab]*", NULL);
    charon_key_t *multi = make_key("multi", "multi-secret-0001", "billing-*",
                                   "report-?", "exact", NULL);
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

static void kf_skip(const char *line, const char *file, int lineno)
{
    charon_key_t *k = (charon_key_t *)1;
    const char *why = charon_keyfile_line(pool, line, &k);
    check_(why == NULL && k == NULL, file, lineno, "kf_skip",
           "keyfile_line(%s) = %s, %p",
           line ? bytes(line, strlen(line)) : "NULL", show(why), (void *)k);
}

static void kf_bad(const char *line, const char *want, const char *secret,
                   const char *file, int lineno)
{
    charon_key_t *k = (charon_key_t *)1;
    const char *why = charon_keyfile_line(pool, line, &k);
    check_(why != NULL && k == NULL && (want == NULL || streq(why, want))
               && (secret == NULL || strstr(why, secret) == NULL),
           file, lineno, "kf_bad", "keyfile_line(%s) = %s",
           bytes(line, strlen(line)), show(why));
}

void test_keyfile(void)
{
    charon_key_t *k = NULL;
    const char *why;
    unsigned char d[CHARON_DIGEST_LEN];

    kf_skip(NULL, HERE);
    kf_skip("", HERE);
    kf_skip("   ", HERE);
    kf_skip(" \t \r\n", HERE);
    kf_skip("\n", HERE);
    kf_skip("# a comment", HERE);
    kf_skip("#billing-app 0123456789abcdef", HERE);
    kf_skip("   \t# indented comment", HERE);
    kf_skip("#", HERE);

    why = charon_keyfile_line(pool, "billing-app 0123456789abcdef", &k);
    CHECK(why == NULL && k != NULL && streq(k->name, "billing-app")
              && k->patterns != NULL && k->patterns->nelts == 0,
          "plain key line: %s", show(why));
    charon_sha256("0123456789abcdef", 16, d);
    CHECK(k != NULL && memcmp(k->digest, d, sizeof(d)) == 0,
          "plain key digest");

    k = NULL;
    why = charon_keyfile_line(
        pool,
        "  reports\t k_reports_secret_99 \t report-? billing-*   [ab]*  \r\n",
        &k);
    CHECK(
        why == NULL && k != NULL && streq(k->name, "reports")
            && k->patterns->nelts == 3
            && streq(APR_ARRAY_IDX(k->patterns, 0, const char *), "report-?")
            && streq(APR_ARRAY_IDX(k->patterns, 1, const char *), "billing-*")
            && streq(APR_ARRAY_IDX(k->patterns, 2, const char *), "[ab]*"),
        "key line with patterns, tabs and CRLF: %s", show(why));
    CHECK(k != NULL && charon_key_allows(k, "report-1")
              && charon_key_allows(k, "billing-x")
              && charon_key_allows(k, "a1") && !charon_key_allows(k, "zzz"),
          "patterns from the file apply");
    charon_sha256("k_reports_secret_99", 19, d);
    CHECK(k != NULL && memcmp(k->digest, d, sizeof(d)) == 0,
          "key digest from a line with patterns");

    k = NULL;
    why = charon_keyfile_line(pool, "ops sha256:" SHA_ABC " ops-*", &k);
    CHECK(why == NULL && k != NULL && streq(hex(k->digest), SHA_ABC)
              && k->patterns->nelts == 1,
          "digest key line: %s", show(why));

    /* The line is copied: changing the caller's buffer changes nothing. */
    {
        char buf[] = "app1 0123456789abcdefXYZ app-*";
        k = NULL;
        why = charon_keyfile_line(pool, buf, &k);
        memset(buf, 'Q', sizeof(buf) - 1);
        CHECK(
            why == NULL && k != NULL && streq(k->name, "app1")
                && streq(APR_ARRAY_IDX(k->patterns, 0, const char *), "app-*"),
            "key line copied into the pool");
    }

    kf_bad("onlyname", "a key line needs NAME and KEY", NULL, HERE);
    kf_bad("  onlyname  \t", "a key line needs NAME and KEY", NULL, HERE);
    /* A forgotten name makes the secret the name: never quoted. */
    kf_bad("k_9f0c7a1e2b3d4c5e21", "a key line needs NAME and KEY", "k_9f0c",
           HERE);
    kf_bad("bad/name 0123456789abcdef", NULL, NULL, HERE);
    kf_bad("bad:name 0123456789abcdef", NULL, NULL, HERE);
    kf_bad("app short-key", NULL, "short-key", HERE);
    kf_bad("app sha256:abc", NULL, "sha256:abc", HERE);
    kf_bad("app sha256:" SHA_ABC "ff", NULL, SHA_ABC, HERE);
    kf_bad("app 0123456789abcd\x01"
           "ef",
           NULL, "0123456789abcd", HERE);
}

/* A word after NAME and KEY: admin=read or admin=write (the key's rights
 * on the management API), else a slug pattern. */
static charon_key_t *bare_key(void)
{
    charon_key_t *k = apr_pcalloc(pool, sizeof(*k));

    k->name = "k";
    k->patterns = apr_array_make(pool, 2, sizeof(const char *));
    return k;
}

static void word_(const char *word, int admin, const char *pattern,
                  const char *file, int line)
{
    charon_key_t *k = bare_key();
    const char *why = charon_key_word(pool, k, word);

    check_(why == NULL && k->admin == admin
               && k->patterns->nelts == (pattern ? 1 : 0)
               && (!pattern
                   || streq(APR_ARRAY_IDX(k->patterns, 0, const char *),
                            pattern)),
           file, line, "charon_key_word", "%s -> %s, admin %d, %d patterns",
           word, show(why), k->admin, k->patterns->nelts);
}

#define WORD_ADMIN(w, admin) word_(w, admin, NULL, HERE)
#define WORD_PATTERN(w)      word_(w, CHARON_ADMIN_NONE, w, HERE)

void test_key_admin(void)
{
    charon_key_t *k;
    const char *why;

    WORD_ADMIN("admin=read", CHARON_ADMIN_READ);
    WORD_ADMIN("admin=write", CHARON_ADMIN_WRITE);
    /* Patterns still patterns, also those that look like the word. */
    WORD_PATTERN("billing-*");
    WORD_PATTERN("admin");
    WORD_PATTERN("admin?read");
    WORD_PATTERN("Admin=read");
    WORD_PATTERN("xadmin=read");
    WORD_PATTERN("admin-read");
    WORD_PATTERN("[a]dmin=read");

    /* Anything else after admin= is refused, and sets nothing. */
    {
        static const char *const bad[] = {
            "admin=bogus", "admin=",           "admin=READ",  "admin=read ",
            "admin=rw",    "admin=read,write", "admin==read", "admin=writer"};
        size_t i;

        for (i = 0; i < N_ELEMS(bad); i++) {
            k = bare_key();
            why = charon_key_word(pool, k, bad[i]);
            CHECK(streq(why, "admin= takes read or write")
                      && k->admin == CHARON_ADMIN_NONE
                      && k->patterns->nelts == 0,
                  "%s -> %s, admin %d, %d patterns", bad[i], show(why),
                  k->admin, k->patterns->nelts);
        }
    }
    /* Twice is refused, whatever the second; the first stays. */
    k = bare_key();
    why = charon_key_word(pool, k, "admin=read");
    CHECK(why == NULL, "first admin=read: %s", show(why));
    why = charon_key_word(pool, k, "admin=read");
    CHECK(streq(why, "admin= is given twice") && k->admin == CHARON_ADMIN_READ,
          "admin=read twice: %s, admin %d", show(why), k->admin);
    why = charon_key_word(pool, k, "admin=write");
    CHECK(streq(why, "admin= is given twice") && k->admin == CHARON_ADMIN_READ,
          "admin=read then admin=write: %s, admin %d", show(why), k->admin);
    /* A pattern after the word is still taken. */
    why = charon_key_word(pool, k, "ops-*");
    CHECK(why == NULL && k->patterns->nelts == 1
              && streq(APR_ARRAY_IDX(k->patterns, 0, const char *), "ops-*"),
          "a pattern after admin=: %s", show(why));
    /* The pattern is copied. */
    {
        char buf[] = "nightly-*";

        k = bare_key();
        why = charon_key_word(pool, k, buf);
        memset(buf, 'Q', sizeof(buf) - 1);
        CHECK(why == NULL
                  && streq(APR_ARRAY_IDX(k->patterns, 0, const char *),
                           "nightly-*"),
              "the pattern is copied");
    }

    /* In a key-file line. */
    k = NULL;
    why = charon_keyfile_line(pool, "deploy k_deploy_0123456789 admin=write",
                              &k);
    CHECK(why == NULL && k && k->admin == CHARON_ADMIN_WRITE
              && k->patterns->nelts == 0 && streq(k->name, "deploy"),
          "a key-file line with admin=write: %s", show(why));
    CHECK(k && charon_key_allows(k, "anything"),
          "admin=write is no pattern: any slug");
    k = NULL;
    why = charon_keyfile_line(
        pool, "grafana k_grafana_012345678 billing-* admin=read report-?", &k);
    CHECK(
        why == NULL && k && k->admin == CHARON_ADMIN_READ
            && k->patterns->nelts == 2
            && streq(APR_ARRAY_IDX(k->patterns, 0, const char *), "billing-*")
            && streq(APR_ARRAY_IDX(k->patterns, 1, const char *), "report-?"),
        "admin=read among patterns: %s", show(why));
    CHECK(k && charon_key_allows(k, "billing-x")
              && !charon_key_allows(k, "admin=read")
              && !charon_key_allows(k, "other"),
          "the patterns apply, the word is not one");
    k = NULL;
    why = charon_keyfile_line(pool, "runner k_runner_0123456789 runner-*", &k);
    CHECK(why == NULL && k && k->admin == CHARON_ADMIN_NONE,
          "no admin=: the run API only (%s)", show(why));
    kf_bad("deploy k_deploy_0123456789 admin=bogus",
           "admin= takes read or write", "k_deploy_0123456789", HERE);
    kf_bad("deploy k_deploy_0123456789 admin=read admin=write",
           "admin= is given twice", "k_deploy_0123456789", HERE);
    kf_bad("deploy k_deploy_0123456789 admin=write x-* admin=write",
           "admin= is given twice", "k_deploy_0123456789", HERE);
    kf_bad("deploy k_deploy_0123456789 admin=", "admin= takes read or write",
           NULL, HERE);
    /* A name or key that is wrong is refused before the words. */
    kf_bad("deploy short admin=bogus", NULL, "short", HERE);
    CHECK(!streq(charon_keyfile_line(pool, "deploy short admin=bogus", &k),
                 "admin= takes read or write"),
          "the key is checked before the words");
}
