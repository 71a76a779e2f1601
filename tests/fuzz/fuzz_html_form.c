/*
 * fuzz_html_form.c: the manager page's escaping and its form parser
 * (src/lib/html.c, src/lib/form.c), both security-critical: whatever a
 * slug or a form holds comes back onto a page.
 *
 * Input: text, read as a C string (up to its first NUL byte).  Checked
 * against oracles written here:
 *   - charon_html: the output is valid UTF-8, holds none of < > " ' and
 *     no & that does not start one of the five entities; with the
 *     entities decoded it is the input, each byte outside a well-formed
 *     sequence (or a control other than tab, CR, LF) as U+FFFD;
 *   - charon_urlencode: only unreserved characters and %XX, and %XX
 *     decoded gives the input back;
 *   - charon_parse_form: refused with one of its sentences, or accepted
 *     with at most CHARON_FORM_MAX_FIELDS fields of valid UTF-8 without
 *     NUL, no name twice; each field encoded again (charon_urlencode) and
 *     parsed again gives the same fields.
 */
#include "fuzz.h"

static const char *const entities[] = {"&lt;", "&gt;", "&amp;", "&quot;",
                                       "&#39;"};
static const char decoded[] = "<>&\"'";

/* The well-formed sequence at s (n bytes left), by the reference decoder:
 * its length, or 0. */
static size_t ref_seq(const unsigned char *s, size_t n)
{
    size_t len;

    for (len = 1; len <= 4 && len <= n; len++) {
        if (ref_utf8_valid(s, len)) {
            return len;
        }
    }
    return 0;
}

static void check_html(const char *in)
{
    const char *out = charon_html(fuzz_pool, in);
    size_t n = strlen(in), i = 0, k, olen = strlen(out);
    char *expect = malloc(n * 3 + 1), *e = expect;
    char *back = malloc(olen + 1), *b = back;
    const char *c;

    FUZZ_CHECK(expect && back, "out of memory");
    FUZZ_CHECK(ref_utf8_valid((const unsigned char *)out, olen),
               "charon_html gave invalid UTF-8");
    FUZZ_CHECK(!strpbrk(out, "<>\"'"), "charon_html left a < > \" or '");
    /* Decode the entities; every & must start one. */
    for (c = out; *c;) {
        if (*c != '&') {
            *b++ = *c++;
            continue;
        }
        for (k = 0; k < 5; k++) {
            if (!strncmp(c, entities[k], strlen(entities[k]))) {
                break;
            }
        }
        FUZZ_CHECK(k < 5, "charon_html left a bare &: %s", c);
        *b++ = decoded[k];
        c += strlen(entities[k]);
    }
    *b = '\0';
    /* What the input should have become. */
    while (i < n) {
        const unsigned char *u = (const unsigned char *)in + i;
        size_t len = ref_seq(u, n - i);

        if (len == 0 || (*u < 0x20 && *u != '\t' && *u != '\n' && *u != '\r')
            || *u == 0x7F) {
            memcpy(e, "\xEF\xBF\xBD", 3);
            e += 3;
            i++;
            continue;
        }
        memcpy(e, u, len);
        e += len;
        i += len;
    }
    *e = '\0';
    FUZZ_CHECK(!strcmp(back, expect), "charon_html does not decode back");
    free(expect);
    free(back);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static void check_urlencode(const char *in)
{
    const char *out = charon_urlencode(fuzz_pool, in);
    char *back = malloc(strlen(out) + 1), *b = back;
    const char *c;

    FUZZ_CHECK(back, "out of memory");
    for (c = out; *c; c++) {
        if (*c == '%') {
            FUZZ_CHECK(hexval(c[1]) >= 0 && hexval(c[2]) >= 0,
                       "charon_urlencode: a bad escape");
            *b++ = (char)(hexval(c[1]) << 4 | hexval(c[2]));
            c += 2;
            continue;
        }
        FUZZ_CHECK((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z')
                       || (*c >= '0' && *c <= '9') || strchr("-._~", *c),
                   "charon_urlencode kept '%c'", *c);
        *b++ = *c;
    }
    *b = '\0';
    FUZZ_CHECK(!strcmp(back, in), "charon_urlencode does not decode back");
    free(back);
}

static const char *const refusals[] = {
    "too many fields",
    "a field is not properly URL-encoded",
    "a field is not valid UTF-8",
};

static int check_field(void *rec, const char *key, const char *value)
{
    const char **again = rec;

    FUZZ_CHECK(*key, "a field without a name");
    FUZZ_CHECK(
        ref_utf8_valid((const unsigned char *)key, strlen(key))
            && ref_utf8_valid((const unsigned char *)value, strlen(value)),
        "a field that is not UTF-8");
    *again = apr_pstrcat(fuzz_pool, *again, **again ? "&" : "",
                         charon_urlencode(fuzz_pool, key), "=",
                         charon_urlencode(fuzz_pool, value), NULL);
    return 1;
}

static int same_field(void *rec, const char *key, const char *value)
{
    apr_table_t *first = rec;
    const char *v = apr_table_get(first, key);

    FUZZ_CHECK(v && !strcmp(v, value), "a field changed when parsed again");
    return 1;
}

static void check_form(const char *in)
{
    apr_table_t *t = NULL, *t2 = NULL;
    const char *why = charon_parse_form(fuzz_pool, in, &t), *again = "";
    size_t k;

    if (why) {
        for (k = 0; k < sizeof(refusals) / sizeof(refusals[0]); k++) {
            if (!strcmp(why, refusals[k])) {
                return;
            }
        }
        FUZZ_CHECK(!strncmp(why, "the field \"", 11)
                       && strstr(why, "\" is given twice"),
                   "charon_parse_form: an unknown refusal: %s", why);
        return;
    }
    FUZZ_CHECK(apr_table_elts(t)->nelts <= CHARON_FORM_MAX_FIELDS,
               "more than %d fields", CHARON_FORM_MAX_FIELDS);
    apr_table_do(check_field, &again, t, NULL);
    why = charon_parse_form(fuzz_pool, again, &t2);
    FUZZ_CHECK(why == NULL, "the fields encoded again are refused: %s", why);
    FUZZ_CHECK(apr_table_elts(t2)->nelts == apr_table_elts(t)->nelts,
               "the fields encoded again are not as many");
    apr_table_do(same_field, t, t2, NULL);
}

FUZZ_INITIALIZE_POOL_ONLY()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_str(data, size);

    fuzz_init();
    check_html(in);
    check_urlencode(in);
    check_form(in);
    apr_pool_clear(fuzz_pool);
    free(in);
    return 0;
}
