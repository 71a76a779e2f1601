/*
 * fuzz_route.c: charon_parse_route, charon_parse_id, charon_verb_name,
 * charon_type_name and charon_json_id.
 *
 * Input: text, read as a C string (up to its first NUL byte).  Checked
 * against oracles written here:
 *   - charon_parse_id accepts exactly the non-empty strings of digits whose
 *     value, leading zeros dropped, is 1 .. 9223372036854775807; the id
 *     printed back with %lld is those digits; *out is left alone on
 *     refusal; a NULL out gives the same answer;
 *   - charon_parse_route accepts exactly "{x}/{verb}" with x non-empty and
 *     free of '/', verb one of the four; target is a copy (not a pointer
 *     into the input), and target "/" verb name gives the input back;
 *     refused, it leaves verb NONE and target NULL.  The target is then
 *     parsed as an id too, as the handler does;
 *   - charon_verb_name/charon_type_name on any int (from the input's first
 *     bytes) give the names of the enums and NULL elsewhere;
 *   - charon_json_id(id) is {"id":<digits>} for any 64-bit id.
 */
#include "fuzz.h"

#include <inttypes.h>

static const char *const verbs[] = {NULL, "can-start", "start", "end",
                                    "message"};
static const char *const types[] = {"warning", "info", "success", "error"};

static int str_eq_verb(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

#define ID_SENTINEL ((apr_int64_t)-4242)

static void check_id(const char *s)
{
    size_t n = strlen(s);
    int digits = n > 0 && strspn(s, "0123456789") == n;
    const char *d = s;
    size_t dl;
    int expect, got;
    apr_int64_t v = ID_SENTINEL;
    char printed[32];

    while (*d == '0')
        d++;
    dl = strlen(d);
    expect =
        digits && dl > 0
        && (dl < 19 || (dl == 19 && strcmp(d, "9223372036854775807") <= 0));

    got = charon_parse_id(s, &v);
    FUZZ_CHECK(got == expect, "charon_parse_id(\"%s\") = %d, expected %d", s,
               got, expect);
    FUZZ_CHECK(charon_parse_id(s, NULL) == got,
               "charon_parse_id(\"%s\", NULL) differs", s);
    if (!got) {
        FUZZ_CHECK(v == ID_SENTINEL,
                   "charon_parse_id(\"%s\") refused but "
                   "wrote %" APR_INT64_T_FMT,
                   s, v);
        return;
    }
    FUZZ_CHECK(v > 0, "charon_parse_id(\"%s\") gave %" APR_INT64_T_FMT, s, v);
    snprintf(printed, sizeof(printed), "%lld", (long long)v);
    FUZZ_CHECK(strcmp(printed, d) == 0, "charon_parse_id(\"%s\") gave %s", s,
               printed);
    FUZZ_CHECK(strcmp(charon_json_id(fuzz_pool, v),
                      apr_psprintf(fuzz_pool, "{\"id\":%s}", d))
                   == 0,
               "charon_json_id(%s) is %s", d, charon_json_id(fuzz_pool, v));
}

static void check_route(const char *s)
{
    const char *slash = strchr(s, '/');
    int expect = 0, got;
    unsigned i;
    charon_verb_e verb = (charon_verb_e)77;
    const char *target = "poison";

    if (slash != NULL && slash != s)
        for (i = 1; i < 5; i++)
            if (strcmp(slash + 1, verbs[i]) == 0)
                expect = (int)i;

    got = charon_parse_route(fuzz_pool, s, &verb, &target);
    FUZZ_CHECK(got == (expect != 0),
               "charon_parse_route(\"%s\") = %d, "
               "expected %d",
               s, got, expect != 0);
    if (!got) {
        FUZZ_CHECK(verb == CHARON_VERB_NONE && target == NULL,
                   "charon_parse_route(\"%s\") refused, verb %d target %s", s,
                   (int)verb, target ? target : "(null)");
        return;
    }
    FUZZ_CHECK((int)verb == expect,
               "charon_parse_route(\"%s\"): verb %d, "
               "expected %d",
               s, (int)verb, expect);
    FUZZ_CHECK(target != NULL, "charon_parse_route(\"%s\"): no target", s);
    FUZZ_CHECK((uintptr_t)target < (uintptr_t)s
                   || (uintptr_t)target > (uintptr_t)(s + strlen(s)),
               "charon_parse_route(\"%s\"): target points into the input", s);
    FUZZ_CHECK(strlen(target) == (size_t)(slash - s)
                   && memcmp(target, s, (size_t)(slash - s)) == 0,
               "charon_parse_route(\"%s\"): target \"%s\"", s, target);
    FUZZ_CHECK(target[0] != '\0' && strchr(target, '/') == NULL,
               "charon_parse_route(\"%s\"): bad target \"%s\"", s, target);
    FUZZ_CHECK(str_eq_verb(charon_verb_name(verb), slash + 1),
               "charon_parse_route(\"%s\"): verb name %s", s,
               charon_verb_name(verb) ? charon_verb_name(verb) : "(null)");
    FUZZ_CHECK(strcmp(apr_pstrcat(fuzz_pool, target, "/",
                                  charon_verb_name(verb), NULL),
                      s)
                   == 0,
               "charon_parse_route(\"%s\"): does not give the input back", s);
    check_id(target);
}

static void check_names(const uint8_t *data, size_t size)
{
    int32_t x = 0;
    const char *name;

    if (size >= 4)
        memcpy(&x, data, 4);
    else if (size > 0)
        x = (int8_t)data[0];

    name = charon_verb_name((charon_verb_e)x);
    if (x >= 1 && x <= 4)
        FUZZ_CHECK(name != NULL && strcmp(name, verbs[x]) == 0,
                   "charon_verb_name(%d) = %s", (int)x,
                   name ? name : "(null)");
    else
        FUZZ_CHECK(name == NULL, "charon_verb_name(%d) = %s", (int)x, name);

    name = charon_type_name((charon_type_e)x);
    if (x >= 0 && x <= 3)
        FUZZ_CHECK(name != NULL && strcmp(name, types[x]) == 0,
                   "charon_type_name(%d) = %s", (int)x,
                   name ? name : "(null)");
    else
        FUZZ_CHECK(name == NULL, "charon_type_name(%d) = %s", (int)x, name);
}

static void check_json_id(const uint8_t *data, size_t size)
{
    int64_t id = 0;
    char want[48];
    const char *got;

    memcpy(&id, data, size < 8 ? size : 8);
    snprintf(want, sizeof(want), "{\"id\":%" PRId64 "}", id);
    got = charon_json_id(fuzz_pool, (apr_int64_t)id);
    FUZZ_CHECK(got != NULL && strcmp(got, want) == 0,
               "charon_json_id(%" PRId64 ") = %s", id, got ? got : "(null)");
}

FUZZ_INITIALIZE_POOL_ONLY()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_str(data, size);
    charon_verb_e verb = (charon_verb_e)77;
    const char *target = "poison";

    check_id(s);
    check_route(s);
    check_names(data, size);
    check_json_id(data, size);
    FUZZ_CHECK(charon_parse_route(fuzz_pool, NULL, &verb, &target) == 0
                   && verb == CHARON_VERB_NONE && target == NULL,
               "charon_parse_route(NULL) not refused");
    FUZZ_CHECK(charon_parse_id(NULL, NULL) == 0, "charon_parse_id(NULL)");

    free(s);
    apr_pool_clear(fuzz_pool);
    return 0;
}
