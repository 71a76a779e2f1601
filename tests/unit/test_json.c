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
            "{\"slug\":\"t\xc3\xa9l\xc3\xa9\\ttab\",\"canStart\":true,"
            "\"cronId\":1}");
    JSON_IS(charon_json_can_start(pool, NULL, 1, 1),
            "{\"slug\":\"\",\"canStart\":true,\"cronId\":1}");

    JSON_IS(charon_json_id(pool, 1234), "{\"id\":1234}");
    JSON_IS(charon_json_id(pool, 1), "{\"id\":1}");
    JSON_IS(charon_json_id(pool, APR_INT64_MAX),
            "{\"id\":9223372036854775807}");

    JSON_IS(charon_json_problem(pool, 422, "Unprocessable Content", D_TYPE_BAD,
                                "type"),
            "{\"type\":\"about:blank\",\"title\":\"Unprocessable Content\","
            "\"status\":422,\"detail\":\"field 'type' must be one of warning, "
            "info, success, error\",\"field\":\"type\"}");
    JSON_IS(charon_json_problem(pool, 404, "Not Found",
                                "no cron has the slug x/y", NULL),
            "{\"type\":\"about:blank\",\"title\":\"Not Found\",\"status\":404,"
            "\"detail\":\"no cron has the slug x/y\"}");
    JSON_IS(
        charon_json_problem(pool, 400, "Bad Request",
                            "line1\nline2 \"q\" \x01", NULL),
        "{\"type\":\"about:blank\",\"title\":\"Bad Request\",\"status\":400,"
        "\"detail\":\"line1\\nline2 \\\"q\\\" \\u0001\"}");
    JSON_IS(charon_json_problem(pool, 500, NULL, NULL, NULL),
            "{\"type\":\"about:blank\",\"title\":\"\",\"status\":500,"
            "\"detail\":\"\"}");
    /* D_SUCC_BAD holds quotes: they come out escaped. */
    JSON_IS(
        charon_json_problem(pool, 422, "Unprocessable Content", D_SUCC_BAD,
                            "success"),
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

    /* Refusals: only the members that are set. */
    {
        charon_refusal_t off = {"inactive", "db migration",
                                "2026-11-29T12:00:00Z", 0};
        charon_refusal_t off_reason = {"inactive", "moving", "", 0};
        charon_refusal_t off_until = {"inactive", NULL, "2026-11-29T12:00:00Z",
                                      0};
        charon_refusal_t locked = {"locked", "execution 42 is still running",
                                   NULL, 42};

        JSON_IS(charon_json_cannot_start(pool, "x", 7, &off),
                "{\"slug\":\"x\",\"canStart\":false,\"cronId\":7,"
                "\"refusal\":\"inactive\",\"reason\":\"db migration\","
                "\"until\":\"2026-11-29T12:00:00Z\"}");
        JSON_IS(charon_json_cannot_start(pool, "x", 7, &off_reason),
                "{\"slug\":\"x\",\"canStart\":false,\"cronId\":7,"
                "\"refusal\":\"inactive\",\"reason\":\"moving\"}");
        JSON_IS(charon_json_cannot_start(pool, "x", 7, &off_until),
                "{\"slug\":\"x\",\"canStart\":false,\"cronId\":7,"
                "\"refusal\":\"inactive\","
                "\"until\":\"2026-11-29T12:00:00Z\"}");
        JSON_IS(charon_json_cannot_start(pool, "x", 7, &locked),
                "{\"slug\":\"x\",\"canStart\":false,\"cronId\":7,"
                "\"refusal\":\"locked\","
                "\"reason\":\"execution 42 is still running\","
                "\"runningExecutionId\":42}");
        JSON_IS(charon_json_refused(pool, 418, "I'm a teapot",
                                    "the cron is not active", &off),
                "{\"type\":\"about:blank\",\"title\":\"I'm a teapot\","
                "\"status\":418,\"detail\":\"the cron is not active\","
                "\"refusal\":\"inactive\",\"reason\":\"db migration\","
                "\"until\":\"2026-11-29T12:00:00Z\"}");
        JSON_IS(charon_json_refused(pool, 409, "Conflict", "locked", &locked),
                "{\"type\":\"about:blank\",\"title\":\"Conflict\","
                "\"status\":409,\"detail\":\"locked\","
                "\"refusal\":\"locked\","
                "\"reason\":\"execution 42 is still running\","
                "\"runningExecutionId\":42}");
        /* A reason is the operator's free text: escaped, never raw. */
        off_reason.reason = "say \"no\"\n\\";
        JSON_IS(charon_json_cannot_start(pool, "x", 1, &off_reason),
                "{\"slug\":\"x\",\"canStart\":false,\"cronId\":1,"
                "\"refusal\":\"inactive\","
                "\"reason\":\"say \\\"no\\\"\\n\\\\\"}");
    }
    /* The end of a lost run says so; an ordinary end is the contract's. */
    JSON_IS(charon_json_end(pool, 5, NULL), "{\"id\":5}");
    JSON_IS(charon_json_end(pool, 5, ""), "{\"id\":5}");
    JSON_IS(charon_json_end(pool, 5, "2026-11-29T10:00:00Z"),
            "{\"id\":5,\"late\":true,\"lostAt\":\"2026-11-29T10:00:00Z\"}");
}
