/*
 * test_malformed.c: bodies that are not one JSON object (bad syntax,
 * other values, NUL bytes, nesting too deep, every truncation), and
 * random mutations of valid bodies, which must keep the contract.
 */
#include "test.h"

void test_not_an_object(void)
{
    static const char *const bad[] = {
        "",
        " ",
        "\n\r\t ",
        "{",
        "}",
        "{\"type\"",
        "{\"type\":",
        "{\"type\":\"info\"",
        "{\"type\":\"info\",",
        "{\"type\":\"in",
        "[]",
        "[1]",
        "[{\"type\":\"info\",\"success\":true}]",
        "\"str\"",
        "123",
        "-1",
        "1.5",
        "null",
        "true",
        "false",
        "nul",
        "{}x",
        "{} {}",
        "{}{}",
        "{},",
        "{} ,",
        "{}]",
        "{}}",
        "{\"type\":\"info\",\"success\":true,}", /* trailing comma */
        "{\"type\":\"info\",,\"success\":true}",
        "{\"type\":\"info\" \"success\":true}",
        "{type:\"info\",\"success\":true}",     /* bare key */
        "{'type':'info','success':true}",       /* single quotes */
        "{\"type\":\"info\",\"success\":True}", /* not JSON's true */
        "{\"type\":\"info\",\"success\":tru}",
        "{\"type\":\"info\",\"success\":01}", /* leading zero */
        "{\"type\":\"info\",\"success\":+1}",
        "{\"type\":\"info\",\"success\":.5}",
        "{\"type\":\"info\",\"success\":0x1}",
        "{\"type\":\"info\",\"success\":true} // c",
        "/* c */ {\"type\":\"info\",\"success\":true}",
        "{\"type\":\"info\",\"success\":true}\f", /* not JSON space */
        "{\"type\":\"info\",\"success\":true}\v",
        "\xef\xbb\xbf{\"type\":\"info\",\"success\":true}", /* BOM */
        "{\"type\":\"\\x41\",\"success\":true}",            /* bad escape */
        "{\"type\":\"\\u12\",\"success\":true}",
        "{\"message\":\"unterminated}",
        "\xff",
        "\xc3\xa9",
    };
    apr_size_t i;

    for (i = 0; i < N_ELEMS(bad); i++) {
        bad_(charon_parse_end_body, bad[i], strlen(bad[i]), MAXMSG, 400, NULL,
             NULL, HERE);
        bad_(charon_parse_message_body, bad[i], strlen(bad[i]), MAXMSG, 400,
             NULL, NULL, HERE);
    }
    /* NULL buffer and zero length. */
    bad_(charon_parse_end_body, NULL, 0, MAXMSG, 400, NULL, NULL, HERE);
    bad_(charon_parse_end_body, "{}", 0, MAXMSG, 400, NULL,
         "body is not a JSON object: it is empty", HERE);
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

/* A body nested `depth` levels is accepted by end. */
static void deep_ok(int depth, int objects, const char *file, int line)
{
    const char *s = nested(depth, objects);
    ok_(charon_parse_end_body, s, strlen(s), MAXMSG, I, 1, NULL, 0, file,
        line);
}

/* A body nested `depth` levels is refused by end with 400 (and detail,
 * unless NULL). */
static void deep_bad(int depth, int objects, const char *detail,
                     const char *file, int line)
{
    const char *s = nested(depth, objects);
    bad_(charon_parse_end_body, s, strlen(s), MAXMSG, 400, NULL, detail, file,
         line);
}

#define D_DEEP "body is not a JSON object: nesting too deep"

void test_depth(void)
{
    /* json-c's default depth is 32: 31 levels parse, 32 do not. */
    deep_ok(31, 0, HERE);
    deep_ok(31, 1, HERE);
    deep_bad(32, 0, D_DEEP, HERE);
    deep_bad(33, 0, D_DEEP, HERE);
    deep_bad(33, 1, D_DEEP, HERE);
    deep_bad(100000, 0, NULL, HERE);
    /* Unclosed, very deep. */
    {
        char *open = apr_palloc(pool, 50001);
        memset(open, '[', 50000);
        open[50000] = '\0';
        bad_(charon_parse_message_body, open, 50000, MAXMSG, 400, NULL, NULL,
             HERE);
    }
}

/* Every proper prefix of a valid body is refused with 400. */
void test_truncation(void)
{
    static const char *const good[] = {
        "{\"type\":\"info\",\"success\":true,\"message\":\"h\xc3\xa9llo "
        "\\u00e9\\ud83d\\ude00\"}",
        "{ \"message\" : \"x\" , \"type\" : \"error\" , \"success\" : "
        "\"false\" }",
        "{\"type\":\"warning\",\"success\":0,\"n\":[1.5e3,-2,null,{\"k\":[]}]"
        "}",
    };
    apr_size_t i, k;

    for (i = 0; i < N_ELEMS(good); i++) {
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
                    fprintf(stderr, "  prefix %zu of body %zu: status %d\n", k,
                            i, e.status);
            }
            free(cut);
        }
        CHECK(wrong == 0, "%d prefixes of body %zu not refused with 400",
              wrong, i);
    }
}

static const char inject[] = "{}[]\",:\\u0 tfn1e-.\x00\x80\xc3\xed\xf4\xff";

/* Applies `edits` random replacements, deletions and insertions to the
 * len bytes in buf (which holds cap); returns the new length. */
static apr_size_t mutate(char *buf, apr_size_t len, apr_size_t cap,
                         apr_size_t edits)
{
    apr_size_t m;

    for (m = 0; m < edits; m++) {
        apr_size_t at = len ? rng() % len : 0;
        switch (rng() % 3) {
        case 0: /* replace */
            if (len)
                buf[at] = (rng() & 1) ? (char)rng()
                                      : inject[rng() % (sizeof(inject) - 1)];
            break;
        case 1: /* delete */
            if (len) {
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            }
            break;
        default: /* insert */
            if (len < cap - 1) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = inject[rng() % (sizeof(inject) - 1)];
                len++;
            }
        }
    }
    return len;
}

/* Whether fn's answer r, b, e keeps the contract: 200 with sane fields,
 * 400 without a field, 422 naming one of the three.  Counts the outcome
 * in seen[0..2]. */
static int keeps_contract(parse_fn fn, apr_size_t max, int r,
                          const charon_body_t *b, const charon_error_t *e,
                          int seen[3])
{
    if (r == 1) {
        seen[0]++;
        return charon_type_name(b->type) != NULL
               && (fn != charon_parse_end_body || b->success == 0
                   || b->success == 1)
               && (fn == charon_parse_end_body || b->has_message)
               && (!b->has_message
                   || (charon_utf8_valid(b->message, b->message_len)
                       && memchr(b->message, 0, b->message_len) == NULL
                       && b->message_len <= max
                       && b->message[b->message_len] == '\0'));
    }
    if (e->status == 400) {
        seen[1]++;
        return r == 0 && e->field == NULL && e->detail != NULL;
    }
    seen[2]++;
    return r == 0 && e->status == 422 && e->detail != NULL
           && (streq(e->field, "type") || streq(e->field, "success")
               || streq(e->field, "message"))
           && strstr(e->detail, e->field) != NULL;
}

/* Random mutations of valid bodies: whatever comes in, the answer keeps
 * the contract. */
void test_fuzz(void)
{
    static const char *const seeds[] = {
        "{\"type\":\"info\",\"success\":true,\"message\":\"h\xc3\xa9llo\"}",
        "{\"message\":\"x\\u0000y\",\"type\":\"error\",\"success\":\"0\"}",
        "{\"type\":\"warning\",\"success\":1,\"z\":[[{}],1e400,\"\\ud800\"]}",
    };
    int it, broken = 0, seen[3] = {0, 0, 0};

    for (it = 0; it < 30000; it++) {
        char buf[256];
        const char *seed = seeds[rng() % 3];
        apr_size_t len = strlen(seed), edits = 1 + rng() % 4;
        charon_body_t b;
        charon_error_t e = {0, NULL, NULL};
        int r;
        parse_fn fn =
            (rng() & 1) ? charon_parse_end_body : charon_parse_message_body;
        apr_size_t max = (rng() & 1) ? MAXMSG : rng() % 8;

        memcpy(buf, seed, len);
        len = mutate(buf, len, sizeof(buf), edits);
        r = run(fn, buf, len, max, &b, &e);
        if (!keeps_contract(fn, max, r, &b, &e, seen) && broken++ == 0)
            fprintf(stderr, "  fuzz case: %s -> r=%d status=%d\n",
                    bytes(buf, len), r, e.status);
    }
    CHECK(broken == 0, "%d fuzzed bodies broke the contract", broken);
    /* The mutations must reach all three outcomes, or the fuzz is idle. */
    CHECK(seen[0] > 100 && seen[1] > 100 && seen[2] > 100,
          "fuzz outcomes: %d ok, %d 400, %d 422", seen[0], seen[1], seen[2]);
}
