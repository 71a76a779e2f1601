/*
 * test_answer.c: the answer for every outcome (src/lib/answer.c), as
 * docs/API.md writes it: the status, and the document byte for byte.
 * These are the answers stored for an Idempotency-Key, too.
 */
#include "test.h"

static void answer_is(const charon_outcome_t *o, int status, const char *json,
                      const char *file, int line)
{
    charon_answer_t a;

    memset(&a, 0, sizeof(a));
    charon_answer_for(pool, o, &a);
    check_(a.status == status && streq(a.json, json), file, line,
           "charon_answer_for", "outcome %d: %d %s, not %d %s", (int)o->what,
           a.status, show(a.json), status, json);
}

static charon_outcome_t outcome(charon_outcome_e what)
{
    charon_outcome_t o;

    memset(&o, 0, sizeof(o));
    o.what = what;
    o.cron.id = 7;
    o.cron.slug = "nightly";
    o.cron.on = 1;
    o.cron.off_reason = "";
    o.cron.off_until = "";
    return o;
}

#define PROBLEM(status, title, detail)                                      \
    "{\"type\":\"about:blank\",\"title\":\"" title "\",\"status\":" #status \
    ",\"detail\":\"" detail "\""

void test_answer(void)
{
    charon_outcome_t o;

    o = outcome(CHARON_CAN_START);
    answer_is(&o, 200,
              "{\"slug\":\"nightly\",\"canStart\":true,"
              "\"cronId\":7}",
              HERE);
    o.cron.on = 0;
    answer_is(&o, 200,
              "{\"slug\":\"nightly\",\"canStart\":false,"
              "\"cronId\":7}",
              HERE);
    o.cron.off_reason = "migration";
    o.cron.off_until = "2026-12-31T23:59:00Z";
    answer_is(&o, 200,
              "{\"slug\":\"nightly\",\"canStart\":false,"
              "\"cronId\":7,\"refusal\":\"inactive\",\"reason\":\"migration\","
              "\"until\":\"2026-12-31T23:59:00Z\"}",
              HERE);
    o = outcome(CHARON_CAN_START);
    o.cron.running_id = 99;
    answer_is(&o, 200,
              "{\"slug\":\"nightly\",\"canStart\":false,"
              "\"cronId\":7,\"refusal\":\"locked\",\"reason\":\"execution 99 "
              "is still running\",\"runningExecutionId\":99}",
              HERE);

    o = outcome(CHARON_STARTED);
    o.id = 1234;
    answer_is(&o, 200, "{\"id\":1234}", HERE);
    o = outcome(CHARON_MESSAGE_ADDED);
    o.id = 98765;
    answer_is(&o, 200, "{\"id\":98765}", HERE);
    o = outcome(CHARON_ENDED);
    o.id = 5;
    o.lost_at = "";
    answer_is(&o, 200, "{\"id\":5}", HERE);
    o.lost_at = "2026-11-29T10:00:00Z";
    answer_is(&o, 200,
              "{\"id\":5,\"late\":true,"
              "\"lostAt\":\"2026-11-29T10:00:00Z\"}",
              HERE);

    o = outcome(CHARON_NO_SLUG);
    answer_is(&o, 404, PROBLEM(404, "Not Found", "no cron has this slug") "}",
              HERE);
    o = outcome(CHARON_NO_CRON);
    answer_is(&o, 404, PROBLEM(404, "Not Found", "no cron has this id") "}",
              HERE);
    o = outcome(CHARON_NO_EXECUTION);
    answer_is(&o, 404,
              PROBLEM(404, "Not Found", "no execution has this id") "}", HERE);
    o = outcome(CHARON_ALREADY_ENDED);
    answer_is(&o, 409,
              PROBLEM(409, "Conflict", "the execution has already ended") "}",
              HERE);

    /* A cron simply off keeps the original API's answer: no members. */
    o = outcome(CHARON_REFUSED_OFF);
    o.cron.on = 0;
    answer_is(&o, 418,
              PROBLEM(418, "I'm a teapot", "the cron is not active") "}",
              HERE);
    o.cron.off_reason = "migration";
    answer_is(&o, 418,
              PROBLEM(418, "I'm a teapot",
                      "the cron is not active") ",\"refusal\":\"inactive\","
                                                "\"reason\":\"migration\"}",
              HERE);
    o = outcome(CHARON_REFUSED_LOCKED);
    o.cron.running_id = 41;
    answer_is(
        &o, 409,
        PROBLEM(409, "Conflict",
                "another execution of this "
                "cron is still running, and the cron forbids "
                "overlapping runs") ",\"refusal\":\"locked\",\"reason\":"
                                    "\"execution 41 is still "
                                    "running\",\"runningExecutionId\":41}",
        HERE);

    CHECK(streq(charon_status_title(418), "I'm a teapot"), "418's title");
    CHECK(streq(charon_status_title(413), "Content Too Large"), "413's");
    CHECK(streq(charon_status_title(599), "Internal Server Error"),
          "an unknown status");
}
