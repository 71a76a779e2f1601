/*
 * test_json.c: the JSON documents the API answers with (can-start, ids,
 * problem details), compared byte for byte and parsed back.
 */
#include "test.h"

#include <json-c/json.h>

/* The output parses back as one JSON object. */
static int parses(const char *s)
{
    json_object *o;
    int ok;
    if (s == NULL)
        return 0;
    o = json_tokener_parse(s);
    ok = o != NULL && json_object_is_type(o, json_type_object);
    json_object_put(o);
    return ok;
}

#define JSON_IS(got, want) \
    CHECK(streq(got, want) && parses(got), "got %s, want %s", show(got), want)

void test_json(void)
{
    JSON_IS(charon_json_can_start(pool, "nightly-backup", 1, 7),
            "{\"slug\":\"nightly-backup\",\"canStart\":true,\"cronId\":7}");
    JSON_IS(charon_json_can_start(pool, "nightly-backup", 0, 7),
            "{\"slug\":\"nightly-backup\",\"canStart\":false,\"cronId\":7}");
    JSON_IS(charon_json_can_start(pool, "a/b\"c\\d", 42, APR_INT64_MAX),
            "{\"slug\":\"a/b\\\"c\\\\d\",\"canStart\":true,"
            "\"cronId\":9223372036854775807}");
    JSON_IS(charon_json_can_start(pool, "t\xc3\xa9l\xc3\xa9\ttab", 1, 1),
            "{\"slug\":\"t\xc3\xa9l\xc3\xa9\\ttab\",\"canStart\":true,\"cronId\":1}");
    JSON_IS(charon_json_can_start(pool, NULL, 1, 1),
            "{\"slug\":\"\",\"canStart\":true,\"cronId\":1}");

    JSON_IS(charon_json_id(pool, 1234), "{\"id\":1234}");
    JSON_IS(charon_json_id(pool, 1), "{\"id\":1}");
    JSON_IS(charon_json_id(pool, APR_INT64_MAX), "{\"id\":9223372036854775807}");

    JSON_IS(charon_json_problem(pool, 422, "Unprocessable Content",
                                D_TYPE_BAD, "type"),
            "{\"type\":\"about:blank\",\"title\":\"Unprocessable Content\","
            "\"status\":422,\"detail\":\"field 'type' must be one of warning, "
            "info, success, error\",\"field\":\"type\"}");
    JSON_IS(charon_json_problem(pool, 404, "Not Found",
                                "no cron has the slug x/y", NULL),
            "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
            "\"detail\":\"no cron has the slug x/y\"}");
    JSON_IS(charon_json_problem(pool, 400, "Bad Request",
                                "line1\nline2 \"q\" \x01", NULL),
            "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
            "\"detail\":\"line1\\nline2 \\\"q\\\" \\u0001\"}");
    JSON_IS(charon_json_problem(pool, 500, NULL, NULL, NULL),
            "{\"type\":\"about:blank\",\"title\":\"\",\"status\":500,"
            "\"detail\":\"\"}");
    /* D_SUCC_BAD holds quotes: they come out escaped. */
    JSON_IS(charon_json_problem(pool, 422, "Unprocessable Content",
                                D_SUCC_BAD, "success"),
            "{\"type\":\"about:blank\",\"title\":\"Unprocessable Content\","
            "\"status\":422,\"detail\":\"field 'success' must be true or false "
            "(0, 1, \\\"true\\\", \\\"false\\\", \\\"0\\\" and \\\"1\\\" are "
            "accepted too)\",\"field\":\"success\"}");
    /* The answer lives in the pool: it survives later json-c work. */
    {
        const char *a = charon_json_id(pool, 5);
        const char *b = charon_json_id(pool, 6);
        CHECK(streq(a, "{\"id\":5}") && streq(b, "{\"id\":6}") && a != b,
              "answers are independent pool copies");
    }
}
