/*
 * fuzz_keys.c: charon_key_digest, charon_key_name_check,
 * charon_keyfile_line, charon_key_find and charon_key_allows.
 *
 * Input: text.  The whole of it (as a C string) goes to key_digest,
 * key_name_check and keyfile_line; then it is cut at '\n': line 1 (raw
 * bytes, NULs included) is the key presented to key_find, line 2 the slug
 * given to key_allows, lines 3.. are key-file lines whose keys join a few
 * fixed ones (one of them twice, one with patterns) for key_find.
 * Checked against oracles written here:
 *   - key_digest: "sha256:" + exactly 64 hex digits is that digest; else a
 *     clear key of 16+ bytes, none <= ' ' nor DEL, hashed with SHA-256;
 *     anything else refused.  The error sentence does not depend on the
 *     secret's characters (a class-preserving change of them gives the
 *     same sentence), so it cannot quote the secret; same for names;
 *   - key_name_check: 1 to 64 of [A-Za-z0-9._-];
 *   - keyfile_line: blank and '#' lines give no key and no error; else the
 *     blank-separated fields NAME KEY WORD..., refused with the
 *     sentence of the first failing check, and on success the name,
 *     digest and patterns are the fields'; a WORD is admin=read or
 *     admin=write (the key's rights, once: a second admin= or any other
 *     value after it refused), else a pattern;
 *   - key_find returns the first key whose digest is SHA-256 of the
 *     presented bytes (NULL entries skipped), NULL when none;
 *   - key_allows is 1 with no patterns, else 1 when a pattern matches;
 *     patterns made of literals, '*' and '?' only are also matched by a
 *     glob matcher written here.
 */
#include "fuzz.h"

#include <openssl/sha.h>

#define BLANKS    " \t\r\n\v\f"
#define MAX_LINES 24

static apr_array_header_t *fixed; /* charon_key_t *, built once */

/* ---- oracles ---------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 1 and the digest when the secret is acceptable, 0 otherwise. */
static int ref_digest(const char *secret, unsigned char out[32])
{
    size_t n = strlen(secret), i;

    if (strncmp(secret, "sha256:", 7) == 0) {
        if (n != 7 + 64)
            return 0;
        for (i = 0; i < 32; i++) {
            int hi = hexval((unsigned char)secret[7 + 2 * i]);
            int lo = hexval((unsigned char)secret[8 + 2 * i]);
            if (hi < 0 || lo < 0)
                return 0;
            out[i] = (unsigned char)(hi * 16 + lo);
        }
        return 1;
    }
    if (n < 16)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)secret[i] <= 0x20
            || (unsigned char)secret[i] == 0x7F)
            return 0;
    SHA256((const unsigned char *)secret, n, out);
    return 1;
}

static int ref_name(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n <= 64
           && strspn(name,
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789._-")
                  == n;
}

/* '*' any run, '?' any byte, anything else itself. */
static int ref_glob(const char *p, const char *s)
{
    const char *star = NULL, *resume = NULL;

    while (*s) {
        if (*p == '?' || (*p != '*' && *p == *s)) {
            p++;
            s++;
        }
        else if (*p == '*') {
            star = p++;
            resume = s;
        }
        else if (star) {
            p = star + 1;
            s = ++resume;
        }
        else
            return 0;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

/* Changes every letter and digit into another of the same class (hex
 * digits stay hex digits), nothing else. */
static char *rotate(const char *s)
{
    char *r = apr_pstrdup(fuzz_pool, s), *c;

    for (c = r; *c; c++) {
        char x = *c;
        if (x >= '0' && x <= '9')
            x = (char)('0' + (x - '0' + 7) % 10);
        else if (x >= 'a' && x <= 'f')
            x = (char)('a' + (x - 'a' + 1) % 6);
        else if (x >= 'A' && x <= 'F')
            x = (char)('A' + (x - 'A' + 1) % 6);
        else if (x >= 'g' && x <= 'z')
            x = (char)('g' + (x - 'g' + 1) % 20);
        else if (x >= 'G' && x <= 'Z')
            x = (char)('G' + (x - 'G' + 1) % 20);
        *c = x;
    }
    return r;
}

/* ---- checks ------------------------------------------------------------ */

static const char *check_digest(const char *secret)
{
    unsigned char got[32], want[32], other[32];
    const char *why, *why2;
    char *rot;
    int expect = ref_digest(secret, want);

    why = charon_key_digest(fuzz_pool, secret, got);
    FUZZ_CHECK((why == NULL) == expect, "charon_key_digest: %s, expected %s",
               why ? why : "accepted", expect ? "accepted" : "refused");
    if (why == NULL)
        FUZZ_CHECK(memcmp(got, want, 32) == 0, "charon_key_digest: wrong "
                                               "digest");
    else
        FUZZ_CHECK(why[0] != '\0' && fuzz_printable(why),
                   "charon_key_digest: bad sentence \"%s\"", why);

    /* The same secret with its letters and digits changed, class kept: the
     * same sentence (or acceptance); the sentence cannot quote it. */
    rot = rotate(secret);
    if ((strncmp(secret, "sha256:", 7) == 0)
        == (strncmp(rot, "sha256:", 7) == 0)) {
        if (strncmp(secret, "sha256:", 7) == 0)
            memcpy(rot, "sha256:", 7);
        why2 = charon_key_digest(fuzz_pool, rot, other);
        FUZZ_CHECK(fuzz_str_eq(why, why2),
                   "charon_key_digest: the sentence "
                   "depends on the secret's characters: \"%s\" / \"%s\"",
                   why ? why : "(accepted)", why2 ? why2 : "(accepted)");
    }
    return why;
}

static const char *check_name(const char *name)
{
    const char *why = charon_key_name_check(fuzz_pool, name);
    const char *why2 = charon_key_name_check(fuzz_pool, rotate(name));

    FUZZ_CHECK((why == NULL) == ref_name(name), "charon_key_name_check: %s",
               why ? why : "accepted");
    FUZZ_CHECK(fuzz_str_eq(why, why2), "charon_key_name_check: the sentence "
                                       "depends on the name's characters");
    FUZZ_CHECK(why == NULL || (why[0] != '\0' && fuzz_printable(why)),
               "charon_key_name_check: bad sentence");
    return why;
}

/* Returns the key parsed from line, or NULL. */
static charon_key_t *check_keyfile_line(const char *line)
{
    const char *tok[256], *pat[256];
    size_t ntok = 0, npat = 0, i, total = 0, patterns = 0;
    const char *c = line;
    charon_key_t *key = (charon_key_t *)(void *)&ntok; /* poison */
    const char *why, *word_why = NULL;
    unsigned char want[32];
    int admin = CHARON_ADMIN_NONE;

    while (*c) {
        size_t l;
        c += strspn(c, BLANKS);
        if (*c == '\0')
            break;
        l = strcspn(c, BLANKS);
        total++;
        if (ntok < sizeof(tok) / sizeof(tok[0]))
            tok[ntok++] = apr_pstrmemdup(fuzz_pool, c, l);
        /* The words after NAME and KEY: admin=read or admin=write once,
         * any other "admin=..." refused, anything else a pattern. */
        if (total > 2 && !word_why) {
            if (l >= 6 && !strncmp(c, "admin=", 6)) {
                if (admin != CHARON_ADMIN_NONE)
                    word_why = "admin= is given twice";
                else if (l == 10 && !strncmp(c + 6, "read", 4))
                    admin = CHARON_ADMIN_READ;
                else if (l == 11 && !strncmp(c + 6, "write", 5))
                    admin = CHARON_ADMIN_WRITE;
                else
                    word_why = "admin= takes read or write";
            }
            else {
                patterns++;
                if (npat < sizeof(pat) / sizeof(pat[0]))
                    pat[npat++] = apr_pstrmemdup(fuzz_pool, c, l);
            }
        }
        c += l;
    }

    why = charon_keyfile_line(fuzz_pool, line, &key);
    if (total == 0 || tok[0][0] == '#') {
        FUZZ_CHECK(why == NULL && key == NULL,
                   "charon_keyfile_line: blank or comment line gave %s",
                   why ? why : "a key");
        return NULL;
    }
    if (why != NULL) {
        FUZZ_CHECK(key == NULL, "charon_keyfile_line: refused, key set");
        FUZZ_CHECK(fuzz_printable(why), "charon_keyfile_line: bad sentence");
    }
    if (total < 2) {
        FUZZ_CHECK(why != NULL, "charon_keyfile_line: one field accepted");
        return NULL;
    }
    if (!ref_name(tok[0])) {
        FUZZ_CHECK(fuzz_str_eq(why, check_name(tok[0])),
                   "charon_keyfile_line: bad name, sentence %s",
                   why ? why : "(accepted)");
        return NULL;
    }
    if (!ref_digest(tok[1], want)) {
        FUZZ_CHECK(why != NULL && fuzz_str_eq(why, check_digest(tok[1])),
                   "charon_keyfile_line: bad key, sentence %s",
                   why ? why : "(accepted)");
        return NULL;
    }
    if (word_why) {
        FUZZ_CHECK(fuzz_str_eq(why, word_why),
                   "charon_keyfile_line: %s, expected %s",
                   why ? why : "(accepted)", word_why);
        return NULL;
    }
    FUZZ_CHECK(why == NULL, "charon_keyfile_line: refused: %s", why);
    FUZZ_CHECK(key != NULL, "charon_keyfile_line: accepted, no key");
    FUZZ_CHECK(key->admin == admin,
               "charon_keyfile_line: admin %d, expected %d", key->admin,
               admin);
    FUZZ_CHECK(key->name != NULL && strcmp(key->name, tok[0]) == 0,
               "charon_keyfile_line: name %s", key->name);
    FUZZ_CHECK(memcmp(key->digest, want, 32) == 0,
               "charon_keyfile_line: wrong digest");
    FUZZ_CHECK(key->patterns != NULL
                   && (size_t)key->patterns->nelts == patterns,
               "charon_keyfile_line: %d patterns, expected %zu",
               key->patterns ? key->patterns->nelts : -1, patterns);
    for (i = 0; i < npat; i++)
        FUZZ_CHECK(
            strcmp(APR_ARRAY_IDX(key->patterns, i, const char *), pat[i]) == 0,
            "charon_keyfile_line: pattern %zu is %s, expected %s", i,
            APR_ARRAY_IDX(key->patterns, i, const char *), pat[i]);
    return key;
}

static void check_find(const apr_array_header_t *keys, const char *presented,
                       apr_size_t len)
{
    unsigned char want[32];
    const charon_key_t *expect = NULL, *got;
    int i;

    if (len > 0) {
        SHA256((const unsigned char *)presented, len, want);
        for (i = 0; i < keys->nelts && expect == NULL; i++) {
            const charon_key_t *k =
                APR_ARRAY_IDX(keys, i, const charon_key_t *);
            if (k && memcmp(k->digest, want, 32) == 0)
                expect = k;
        }
    }
    got = charon_key_find(keys, presented, len);
    FUZZ_CHECK(got == expect, "charon_key_find: got %s, expected %s",
               got ? got->name : "(none)", expect ? expect->name : "(none)");
    FUZZ_CHECK(charon_key_find(keys, NULL, len) == NULL,
               "charon_key_find(NULL presented)");
    FUZZ_CHECK(charon_key_find(NULL, presented, len) == NULL,
               "charon_key_find(NULL keys)");
}

static void check_allows(const charon_key_t *key, const char *slug)
{
    int expect = 0, got, i;
    int n = key->patterns ? key->patterns->nelts : 0;

    if (n == 0)
        expect = 1;
    for (i = 0; i < n; i++) {
        const char *pat = APR_ARRAY_IDX(key->patterns, i, const char *);
        int m;
        if (pat == NULL)
            continue;
        m = apr_fnmatch(pat, slug, 0) == APR_SUCCESS;
        if (strpbrk(pat, "[\\") == NULL)
            FUZZ_CHECK(m == ref_glob(pat, slug),
                       "apr_fnmatch(\"%s\", \"%s\") = %d, glob says %d", pat,
                       slug, m, !m);
        expect |= m;
    }
    got = charon_key_allows(key, slug);
    FUZZ_CHECK(got == expect,
               "charon_key_allows(%s, \"%s\") = %d, "
               "expected %d",
               key->name, slug, got, expect);
    FUZZ_CHECK(charon_key_allows(key, NULL) == 0, "charon_key_allows(NULL)");
}

/* ---- the harness ------------------------------------------------------- */

static charon_key_t *fixed_key(apr_pool_t *p, const char *name,
                               const char *secret, const char *pat1,
                               const char *pat2)
{
    charon_key_t *k = apr_pcalloc(p, sizeof(*k));

    k->name = name;
    if (charon_key_digest(p, secret, k->digest) != NULL)
        abort();
    k->patterns = apr_array_make(p, 2, sizeof(const char *));
    if (pat1)
        APR_ARRAY_PUSH(k->patterns, const char *) = pat1;
    if (pat2)
        APR_ARRAY_PUSH(k->patterns, const char *) = pat2;
    return k;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    apr_pool_t *keep;

    (void)argc;
    (void)argv;
    fuzz_init();
    if (apr_pool_create(&keep, NULL) != APR_SUCCESS)
        abort();
    fixed = apr_array_make(keep, 4, sizeof(charon_key_t *));
    APR_ARRAY_PUSH(fixed, charon_key_t *) =
        fixed_key(keep, "fixed-a", "0123456789abcdef", NULL, NULL);
    APR_ARRAY_PUSH(fixed, charon_key_t *) =
        fixed_key(keep, "fixed-dup", "0123456789abcdef", "x*", NULL);
    APR_ARRAY_PUSH(fixed, charon_key_t *) =
        fixed_key(keep, "fixed-b",
                  "sha256:9f86d081884c7d659a2feaa0c55ad015"
                  "a3bf4f1b2b0b822cd15d6c15b0f00a08",
                  "nightly-*", "db-?");
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    const uint8_t *line[MAX_LINES];
    size_t llen[MAX_LINES], nlines = 0, i;
    apr_array_header_t *keys;
    const char *slug;
    char *presented;

    check_digest(s);
    check_name(s);
    check_keyfile_line(s);
    FUZZ_CHECK(charon_key_digest(fuzz_pool, NULL, (unsigned char[32]){0})
                   != NULL,
               "charon_key_digest(NULL) accepted");
    FUZZ_CHECK(charon_key_name_check(fuzz_pool, NULL) != NULL,
               "charon_key_name_check(NULL) accepted");
    {
        charon_key_t *none = (charon_key_t *)(void *)&size;
        FUZZ_CHECK(charon_keyfile_line(fuzz_pool, NULL, &none) == NULL
                       && none == NULL,
                   "charon_keyfile_line(NULL)");
    }

    /* Cut the raw input in lines. */
    for (i = 0; i <= size && nlines < MAX_LINES;) {
        const uint8_t *nl = i < size ? memchr(data + i, '\n', size - i) : NULL;
        size_t end = nl ? (size_t)(nl - data) : size;
        line[nlines] = data + i;
        llen[nlines++] = end - i;
        i = end + 1;
    }

    keys = apr_array_make(fuzz_pool, 8, sizeof(charon_key_t *));
    APR_ARRAY_PUSH(keys, charon_key_t *) =
        APR_ARRAY_IDX(fixed, 0, charon_key_t *);
    for (i = 2; i < nlines; i++) {
        char *l = fuzz_str(line[i], llen[i]);
        APR_ARRAY_PUSH(keys, charon_key_t *) = check_keyfile_line(l);
        free(l);
    }
    APR_ARRAY_PUSH(keys, charon_key_t *) =
        APR_ARRAY_IDX(fixed, 1, charon_key_t *);
    APR_ARRAY_PUSH(keys, charon_key_t *) =
        APR_ARRAY_IDX(fixed, 2, charon_key_t *);

    presented = fuzz_dup(line[0], llen[0]);
    check_find(keys, presented, llen[0]);
    free(presented);

    slug = nlines > 1 ? apr_pstrndup(fuzz_pool, (const char *)line[1], llen[1])
                      : "";
    for (i = 0; i < (size_t)keys->nelts; i++) {
        const charon_key_t *k = APR_ARRAY_IDX(keys, i, const charon_key_t *);
        if (k)
            check_allows(k, slug);
    }
    FUZZ_CHECK(charon_key_allows(NULL, slug) == 0, "charon_key_allows(NULL)");

    free(s);
    apr_pool_clear(fuzz_pool);
    return 0;
}
