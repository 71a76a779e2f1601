/*
 * test_schedule.c: unit tests of tools/charon_run_schedule.c: the checks
 * of --schedule, --timezone and --grace (the sentences charon-run says,
 * each naming the value) and the body sent with start.
 */
#include "test_cr.h"

static const char *sched(const char *text)
{
    static char why[600];
    const char *w = cr_schedule_check(text, why, sizeof(why));
    return w ? w : "(accepted)";
}

static const char *zone(const char *name)
{
    static char why[600];
    const char *w = cr_zone_check(name, why, sizeof(why));
    return w ? w : "(accepted)";
}

void test_schedule_checks(void)
{
    static const char *const good[] = {
        "30 2 * * *", "*/5 * * * *", "0 9 * * mon-fri",
        "@daily",     "@every 15m",  "  0 0 1 1 *\t",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        CHECK(!strcmp(sched(good[i]), "(accepted)"), "%s: %s", good[i],
              sched(good[i]));

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"61 * * * *", "'61 * * * *' is not a schedule: the minute field: "
                       "61 is not within 0-59"},
        {"@reboot", "'@reboot' is not a schedule: a schedule is five fields"},
        {"0 0 30 2 *", "'0 0 30 2 *' is not a schedule: this schedule never "
                       "happens"},
        {"", "'' is not a schedule: a schedule is five fields"},
        {"0 0 * * *\x1b[31m",
         "'0 0 * * *\\x1b[31m' is not a schedule: the day of week field: "
         "'*\\x1b[31m' is not"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(!strncmp(sched(bad[i].text), bad[i].want, strlen(bad[i].want)),
              "%s: %s", bad[i].text, sched(bad[i].text));

    /* The schemas hold 255 bytes: the module refuses more (422). */
    char text[300];
    memset(text, ' ', sizeof(text));
    memcpy(text + 255 - 9, "0 0 1 1 *", 10);
    CHECK(strlen(text) == 255 && !strcmp(sched(text), "(accepted)"),
          "255 bytes: %s", sched(text));
    memset(text, ' ', sizeof(text));
    memcpy(text + 256 - 9, "0 0 1 1 *", 10);
    CHECK(strstr(sched(text), "is not a schedule: it is longer than 255 "
                              "bytes")
              != NULL,
          "256 bytes: %s", sched(text));
}

void test_zone_checks(void)
{
    CHECK(!strcmp(zone("Europe/Paris"), "(accepted)"), "Europe/Paris: %s",
          zone("Europe/Paris"));
    CHECK(!strcmp(zone("UTC"), "(accepted)"), "UTC: %s", zone("UTC"));
    CHECK(!strcmp(zone("America/Argentina/Buenos_Aires"), "(accepted)"),
          "three parts: %s", zone("America/Argentina/Buenos_Aires"));
    CHECK(!strcmp(zone("Mars/Olympus"),
                  "'Mars/Olympus' is not a time zone ICU knows (IANA names, "
                  "such as Europe/Paris or America/New_York)"),
          "Mars/Olympus: %s", zone("Mars/Olympus"));
    CHECK(!strncmp(zone(""), "'' is not a time zone", 21), "empty: %s",
          zone(""));
    CHECK(!strncmp(zone("Europe/Paris\n"), "'Europe/Paris\\x0a' is not", 25),
          "a control character: %s", zone("Europe/Paris\n"));
}

void test_grace_checks(void)
{
    static const struct {
        const char *text;
        long long want; /* 0: refused */
    } cases[] = {
        {"600", 600},  {"90s", 90},     {"10m", 600},       {"2h", 7200},
        {"1d", 86400}, {"1", 1},        {"366d", 31622400}, {"0", 0},
        {"367d", 0},   {"10 m", 0},     {"-1", 0},          {"1.5h", 0},
        {"", 0},       {"31622401", 0},
    };
    char why[600];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        long long v = -7;
        const char *w = cr_grace_check(cases[i].text, &v, why, sizeof(why));
        if (cases[i].want)
            CHECK(!w && v == cases[i].want, "grace '%s': %s, %lld",
                  cases[i].text, w ? w : "accepted", v);
        else
            CHECK(w && v == -7 && w[0] == '\''
                      && strstr(w, "' is not a grace: whole seconds"),
                  "grace '%s': %s, %lld", cases[i].text, w ? w : "accepted",
                  v);
    }
}

void test_start_body(void)
{
    static const struct {
        const char *schedule, *zone;
        long long grace;
        const char *want;
    } cases[] = {
        {"30 2 * * *", "Europe/Paris", 600,
         "{\"schedule\":\"30 2 * * *\",\"timezone\":\"Europe/Paris\","
         "\"grace\":600}"},
        {"@daily", NULL, 0, "{\"schedule\":\"@daily\"}"},
        {"@every 15m", NULL, 90, "{\"schedule\":\"@every 15m\",\"grace\":90}"},
        {"0\t0 * * *", "UTC", 0,
         "{\"schedule\":\"0\\t0 * * *\",\"timezone\":\"UTC\"}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_buf_t b = {0};
        cr_start_body(&b, cases[i].schedule, cases[i].zone, cases[i].grace);
        CHECK(b.data && !strcmp(b.data, cases[i].want), "body: %s, not %s",
              b.data ? b.data : "(none)", cases[i].want);
        /* what the module reads back from it */
        char *v = NULL;
        CHECK(cr_json_member(b.data, b.len, "schedule", &v) == CR_JSON_STRING
                  && !strcmp(v, cases[i].schedule),
              "schedule read back: %s", v ? v : "(none)");
        free(v);
        cr_buf_free(&b);
    }
}
