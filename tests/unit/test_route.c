/*
 * test_route.c: ids (charon_parse_id), routes (charon_parse_route), and
 * the names of verbs and types.
 */
#include "test.h"

static void id_ok(const char *s, apr_int64_t want, const char *file, int line)
{
    apr_int64_t v = -1;
    int r = charon_parse_id(s, &v);
    check_(r == 1 && v == want, file, line, "id_ok",
           "parse_id(\"%s\") = %d, %" APR_INT64_T_FMT
           ", want %" APR_INT64_T_FMT,
           show(s), r, v, want);
}

static void id_bad(const char *s, const char *file, int line)
{
    apr_int64_t v = -1;
    int r = charon_parse_id(s, &v);
    check_(r == 0, file, line, "id_bad",
           "parse_id(\"%s\") accepted (%" APR_INT64_T_FMT ")", show(s), v);
}

void test_ids(void)
{
    id_ok("1", 1, HERE);
    id_ok("42", 42, HERE);
    id_ok("007", 7, HERE);
    id_ok("0000000000000000000000001", 1, HERE);
    id_ok("1234567890", 1234567890, HERE);
    id_ok("9223372036854775807", APR_INT64_MAX, HERE);
    id_ok("09223372036854775807", APR_INT64_MAX, HERE);
    id_ok("9223372036854775806", APR_INT64_MAX - 1, HERE);

    id_bad(NULL, HERE);
    id_bad("", HERE);
    id_bad("0", HERE);
    id_bad("000", HERE);
    id_bad("-1", HERE);
    id_bad("-0", HERE);
    id_bad("+1", HERE);
    id_bad(" 1", HERE);
    id_bad("1 ", HERE);
    id_bad("1\n", HERE);
    id_bad("1.5", HERE);
    id_bad("1e3", HERE);
    id_bad("0x10", HERE);
    id_bad("abc", HERE);
    id_bad("12a", HERE);
    id_bad("\xd9\xa1", HERE);            /* ARABIC-INDIC DIGIT ONE */
    id_bad("9223372036854775808", HERE); /* 2^63 */
    id_bad("9223372036854775810", HERE);
    id_bad("18446744073709551615", HERE); /* 2^64 - 1 */
    id_bad("18446744073709551617", HERE); /* wraps to 1 mod 2^64 */
    id_bad("99999999999999999999", HERE);
    id_bad("92233720368547758070", HERE);
    id_bad("1000000000000000000000000000000000000000", HERE);

    /* A NULL out pointer is tolerated. */
    CHECK(charon_parse_id("5", NULL) == 1, "parse_id with NULL out");
}

/* ===================================================================== */
/* routes                                                                 */
/* ===================================================================== */

static void route_ok(const char *rest, charon_verb_e want_verb,
                     const char *want_target, const char *file, int line)
{
    charon_verb_e v = CHARON_VERB_NONE;
    const char *t = NULL;
    int r = charon_parse_route(pool, rest, &v, &t);
    check_(r == 1 && v == want_verb && streq(t, want_target) && t != rest,
           file, line, "route_ok",
           "parse_route(\"%s\") = %d, verb %d, target \"%s\"", rest, r, (int)v,
           show(t));
}

static void route_bad(const char *rest, const char *file, int line)
{
    charon_verb_e v = CHARON_VERB_START;
    const char *t = "x";
    int r = charon_parse_route(pool, rest, &v, &t);
    check_(r == 0 && v == CHARON_VERB_NONE && t == NULL, file, line,
           "route_bad", "parse_route(\"%s\") = %d, verb %d", show(rest), r,
           (int)v);
}

void test_routes(void)
{
    route_ok("nightly-backup/can-start", CHARON_VERB_CAN_START,
             "nightly-backup", HERE);
    route_ok("7/start", CHARON_VERB_START, "7", HERE);
    route_ok("1234/end", CHARON_VERB_END, "1234", HERE);
    route_ok("1234/message", CHARON_VERB_MESSAGE, "1234", HERE);
    route_ok("x/start", CHARON_VERB_START, "x", HERE);
    route_ok("a b%c/can-start", CHARON_VERB_CAN_START, "a b%c", HERE);
    route_ok("abc/end", CHARON_VERB_END, "abc", HERE); /* id checked later */

    route_bad("a/b/can-start", HERE);
    route_bad("x/can-start/", HERE);
    route_bad("/x/start", HERE);
    route_bad("/start", HERE);
    route_bad("x/", HERE);
    route_bad("x", HERE);
    route_bad("can-start", HERE);
    route_bad("", HERE);
    route_bad("/", HERE);
    route_bad("x//start", HERE);
    route_bad("x/Start", HERE);
    route_bad("x/START", HERE);
    route_bad("x/can_start", HERE);
    route_bad("x/canstart", HERE);
    route_bad("x/start ", HERE);
    route_bad("x/ start", HERE);
    route_bad("x/messages", HERE);
    route_bad("x/mess", HERE);
    route_bad("x/sta", HERE);
    route_bad("x/none", HERE);
    route_bad("x/start?x=1", HERE);
    route_bad(NULL, HERE);

    CHECK(streq(charon_verb_name(CHARON_VERB_CAN_START), "can-start"), "verb");
    CHECK(streq(charon_verb_name(CHARON_VERB_START), "start"), "verb");
    CHECK(streq(charon_verb_name(CHARON_VERB_END), "end"), "verb");
    CHECK(streq(charon_verb_name(CHARON_VERB_MESSAGE), "message"), "verb");
    CHECK(charon_verb_name(CHARON_VERB_NONE) == NULL, "verb none");
    CHECK(charon_verb_name((charon_verb_e)99) == NULL, "verb out of range");

    CHECK(streq(charon_type_name(CHARON_TYPE_WARNING), "warning"), "type");
    CHECK(streq(charon_type_name(CHARON_TYPE_INFO), "info"), "type");
    CHECK(streq(charon_type_name(CHARON_TYPE_SUCCESS), "success"), "type");
    CHECK(streq(charon_type_name(CHARON_TYPE_ERROR), "error"), "type");
    CHECK(charon_type_name(CHARON_TYPE_INVALID) == NULL, "type invalid");
    CHECK(charon_type_name((charon_type_e)4) == NULL, "type out of range");
}
