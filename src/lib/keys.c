/*
 * keys.c: API keys: their digests, their names, finding one in constant
 * time, their slug patterns, and the lines of CharonApiKeyFile.
 */
#include "lib/charon_lib.h"

#include <string.h>

#include <apr_fnmatch.h>
#include <apr_strings.h>

#include <openssl/sha.h>

void charon_sha256(const void *data, apr_size_t len,
                   unsigned char out[CHARON_DIGEST_LEN])
{
    SHA256((const unsigned char *)data, len, out);
}

#define DIGEST_PREFIX     "sha256:"
#define DIGEST_PREFIX_LEN (sizeof(DIGEST_PREFIX) - 1)

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* 64 hex digits, exactly, into 32 bytes. */
static int parse_hex_digest(const char *hex,
                            unsigned char out[CHARON_DIGEST_LEN])
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
        return apr_psprintf(p,
                            "a clear API key must be at least %d bytes "
                            "long",
                            CHARON_MIN_KEY_LEN);
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
    apr_size_t found = 0; /* index of the match, valid if any */
    unsigned any = 0;     /* 1 once a key matched */
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

/* A word that starts "admin=" is never a pattern: slugs that look like
 * one are matched by a pattern such as "admin?read". */
const char *charon_key_word(apr_pool_t *p, charon_key_t *key, const char *word)
{
    if (!strncmp(word, "admin=", 6)) {
        if (key->admin != CHARON_ADMIN_NONE)
            return "admin= is given twice";
        if (!strcmp(word + 6, "read"))
            key->admin = CHARON_ADMIN_READ;
        else if (!strcmp(word + 6, "write"))
            key->admin = CHARON_ADMIN_WRITE;
        else
            return "admin= takes read or write";
        return NULL;
    }
    APR_ARRAY_PUSH(key->patterns, const char *) = apr_pstrdup(p, word);
    return NULL;
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
        return NULL; /* blank or comment line */

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
    while ((tok = apr_strtok(NULL, BLANKS, &state)) != NULL) {
        if ((why = charon_key_word(p, key, tok)) != NULL)
            return why;
    }
    /* The clear secret stays in copy, in p, like the configuration it came
     * from; it is not kept in the key itself. */
    *out = key;
    return NULL;
}
