/*
 * test_start_body.c: the schedule a start may carry (src/lib/
 * start_body.c): what is set, what is refused with which member named,
 * and that a refused body sets nothing.
 */
#include "test.h"

static int parse(const char *body, charon_sched_t *s, charon_error_t *e)
{
    memset(s, 0x5A, sizeof(*s));
    e->status = -1;
    e->field = "unset";
    e->detail = NULL;
    return charon_parse_start_body(pool, body, strlen(body), s, e);
}

static void accepted(const char *body, const char *schedule, const char *zone,
                     apr_int64_t grace, const char *file, int line)
{
    charon_sched_t s;
    charon_error_t e;
    int r = parse(body, &s, &e);
    int good =
        r == 1 && s.given == 1 && s.grace == grace
        && (schedule ? s.schedule && streq(s.schedule, schedule)
                     : s.schedule == NULL)
        && (zone ? s.timezone && streq(s.timezone, zone) : s.timezone == NULL);

    check_(good, file, line, "start body accepted",
           "%s -> r=%d given=%d schedule=%s timezone=%s grace=%ld "
           "(%d %s: %s)",
           body, r, r ? s.given : -1, r ? show(s.schedule) : "-",
           r ? show(s.timezone) : "-", r ? (long)s.grace : -1L, e.status,
           show(e.field), show(e.detail));
}

static void refused(const char *body, int status, const char *field,
                    const char *in_detail, const char *file, int line)
{
    charon_sched_t s;
    charon_error_t e;
    int r = parse(body, &s, &e);
    int good = r == 0 && e.status == status && e.detail
               && (field ? e.field && streq(e.field, field) : !e.field)
               && (!in_detail || strstr(e.detail, in_detail)) && s.given == 0
               && s.schedule == NULL && s.timezone == NULL;

    check_(good, file, line, "start body refused",
           "%s -> r=%d status=%d field=%s detail=%s", body, r, e.status,
           show(e.field), show(e.detail));
}

void test_start_body(void)
{
    charon_sched_t s;
    charon_error_t e;

    /* No body: nothing to set. */
    CHECK(charon_parse_start_body(pool, "", 0, &s, &e) == 1 && !s.given,
          "an empty body sets nothing");
    /* A body without the members sets nothing either. */
    CHECK(parse("{\"other\": 1}", &s, &e) == 1 && !s.given,
          "other members are ignored");

    accepted("{\"schedule\": \"*/5 * * * *\"}", "*/5 * * * *", NULL, 300,
             HERE);
    accepted("{\"schedule\": \"@daily\", \"timezone\": \"Europe/Paris\", "
             "\"grace\": 600}",
             "@daily", "Europe/Paris", 600, HERE);
    accepted("{\"schedule\": \"@every 15m\", \"grace\": \"2m\"}", "@every 15m",
             NULL, 120, HERE);
    accepted("{\"schedule\": \"0 3 * * *\", \"timezone\": null, "
             "\"grace\": null}",
             "0 3 * * *", NULL, 300, HERE);
    accepted("{\"schedule\": null}", NULL, NULL, 300, HERE);
    accepted("{\"schedule\": \"@hourly\", \"grace\": 1}", "@hourly", NULL, 1,
             HERE);
    accepted("{\"schedule\": \"@hourly\", \"grace\": 31622400}", "@hourly",
             NULL, 31622400, HERE);

    refused("[]", 400, NULL, "not a JSON object", HERE);
    refused("{\"schedule\": \"@daily\"", 400, NULL, NULL, HERE);
    refused("{\"schedule\": 5}", 422, "schedule", "string or null", HERE);
    refused("{\"schedule\": \"60 * * * *\"}", 422, "schedule", "minute", HERE);
    refused("{\"schedule\": \"* * * * * *\"}", 422, "schedule", NULL, HERE);
    refused("{\"schedule\": \"0 0 31 2 *\"}", 422, "schedule", "never", HERE);
    refused("{\"schedule\": \"@reboot\"}", 422, "schedule", NULL, HERE);
    refused("{\"schedule\": \"\"}", 422, "schedule", NULL, HERE);
    refused("{\"schedule\": \"@daily\\u0000\"}", 422, "schedule",
            "string or null", HERE);
    refused("{\"schedule\": \"@daily\", \"timezone\": \"Nowhere/Town\"}", 422,
            "timezone", "time zone", HERE);
    refused("{\"schedule\": \"@daily\", \"timezone\": \"../etc/passwd\"}", 422,
            "timezone", "time zone", HERE);
    refused("{\"schedule\": \"@daily\", \"timezone\": 1}", 422, "timezone",
            "string", HERE);
    refused("{\"schedule\": \"@daily\", \"grace\": 0}", 422, "grace", NULL,
            HERE);
    refused("{\"schedule\": \"@daily\", \"grace\": 31622401}", 422, "grace",
            NULL, HERE);
    refused("{\"schedule\": \"@daily\", \"grace\": -5}", 422, "grace", NULL,
            HERE);
    refused("{\"schedule\": \"@daily\", \"grace\": 1.5}", 422, "grace", NULL,
            HERE);
    refused("{\"schedule\": \"@daily\", \"grace\": \"10x\"}", 422, "grace",
            NULL, HERE);
    refused("{\"timezone\": \"UTC\"}", 422, "timezone", "without", HERE);
    refused("{\"grace\": 60}", 422, "grace", "without", HERE);

    /* 255 bytes fit the column; 256 do not. */
    {
        char body[400], sched[300];

        memset(sched, ' ', sizeof(sched));
        memcpy(sched, "@daily", 6);
        sched[255] = '\0';
        snprintf(body, sizeof(body), "{\"schedule\": \"%s\"}", sched);
        CHECK(parse(body, &s, &e) == 1 && s.given && s.schedule
                  && strlen(s.schedule) == 255,
              "a schedule of 255 bytes is taken (%s)", show(e.detail));
        sched[255] = ' ';
        sched[256] = '\0';
        snprintf(body, sizeof(body), "{\"schedule\": \"%s\"}", sched);
        CHECK(parse(body, &s, &e) == 0 && streq(show(e.field), "schedule")
                  && strstr(show(e.detail), "255"),
              "256 bytes are refused (%s)", show(e.detail));
    }
}
