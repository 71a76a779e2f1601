/*
 * test_next.c: unit tests of tools/charon_run_next.c (`charon-run next`)
 * and of the instants it starts from (cr_parse_instant).  The expected
 * slots were worked out apart from the C code, by brute force over every
 * minute with Python's zoneinfo (tests/unit/golden_slots.py's slots(),
 * and datetime.isoformat() for the local column), and are written here
 * as literals.
 */
#include "test_cr.h"

#include <fcntl.h>
#include <unistd.h>

/* Runs `charon-run next ARGS...`; its output into *out (malloc'ed), its
 * stderr thrown away.  Returns its exit status. */
static int next(char **out, ...)
{
    char *argv[16] = {"next"};
    int argc = 1;
    va_list ap;
    va_start(ap, out);
    for (char *a; argc < 15 && (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;

    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    int rc = cr_next_main(argc, argv, f);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(null);
    fclose(f);
    return rc;
}

void test_next_golden(void)
{
    static const struct {
        const char *zone, *from, *count, *schedule, *want;
    } cases[] = {
        /* Paris, clocks 02:00 -> 03:00 on 2026-03-29: a fixed time in
         * the gap runs at its end, 03:00 local */
        {"Europe/Paris", "2026-03-28T00:00:00Z", NULL, "30 2 * * *",
         "2026-03-28T01:30:00Z 2026-03-28T02:30:00+01:00\n"
         "2026-03-29T01:00:00Z 2026-03-29T03:00:00+02:00\n"
         "2026-03-30T00:30:00Z 2026-03-30T02:30:00+02:00\n"
         "2026-03-31T00:30:00Z 2026-03-31T02:30:00+02:00\n"
         "2026-04-01T00:30:00Z 2026-04-01T02:30:00+02:00\n"},
        /* a wildcard schedule follows absolute time: none at 02:30 */
        {"Europe/Paris", "2026-03-29T00:00:00Z", "4", "30 * * * *",
         "2026-03-29T00:30:00Z 2026-03-29T01:30:00+01:00\n"
         "2026-03-29T01:30:00Z 2026-03-29T03:30:00+02:00\n"
         "2026-03-29T02:30:00Z 2026-03-29T04:30:00+02:00\n"
         "2026-03-29T03:30:00Z 2026-03-29T05:30:00+02:00\n"},
        /* 03:00 -> 02:00 on 2026-10-25: a fixed time once, the first */
        {"Europe/Paris", "2026-10-24T00:00:00Z", "3", "30 2 * * *",
         "2026-10-24T00:30:00Z 2026-10-24T02:30:00+02:00\n"
         "2026-10-25T00:30:00Z 2026-10-25T02:30:00+02:00\n"
         "2026-10-26T01:30:00Z 2026-10-26T02:30:00+01:00\n"},
        /* and a wildcard one both times */
        {"Europe/Paris", "2026-10-24T23:00:00Z", NULL, "30 * * * *",
         "2026-10-24T23:30:00Z 2026-10-25T01:30:00+02:00\n"
         "2026-10-25T00:30:00Z 2026-10-25T02:30:00+02:00\n"
         "2026-10-25T01:30:00Z 2026-10-25T02:30:00+01:00\n"
         "2026-10-25T02:30:00Z 2026-10-25T03:30:00+01:00\n"
         "2026-10-25T03:30:00Z 2026-10-25T04:30:00+01:00\n"},
        /* a half-hour shift, and names */
        {"Australia/Lord_Howe", "2026-10-02T00:00:00Z", "3", "15 2 * * *",
         "2026-10-02T15:45:00Z 2026-10-03T02:15:00+10:30\n"
         "2026-10-03T15:30:00Z 2026-10-04T02:30:00+11:00\n"
         "2026-10-04T15:15:00Z 2026-10-05T02:15:00+11:00\n"},
        {"America/New_York", "2026-03-06T00:00:00Z", NULL, "0 9 * * mon-fri",
         "2026-03-06T14:00:00Z 2026-03-06T09:00:00-05:00\n"
         "2026-03-09T13:00:00Z 2026-03-09T09:00:00-04:00\n"
         "2026-03-10T13:00:00Z 2026-03-10T09:00:00-04:00\n"
         "2026-03-11T13:00:00Z 2026-03-11T09:00:00-04:00\n"
         "2026-03-12T13:00:00Z 2026-03-12T09:00:00-04:00\n"},
        /* @every counts from the epoch; --from with an offset; no zone
         * is UTC */
        {NULL, "2026-03-28T02:00+02:00", "3", "@every 90m",
         "2026-03-28T01:30:00Z 2026-03-28T01:30:00+00:00\n"
         "2026-03-28T03:00:00Z 2026-03-28T03:00:00+00:00\n"
         "2026-03-28T04:30:00Z 2026-03-28T04:30:00+00:00\n"},
        /* strictly after --from */
        {"UTC", "2026-03-28T01:30:00Z", "1", "30 1 * * *",
         "2026-03-29T01:30:00Z 2026-03-29T01:30:00+00:00\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *args[8];
        int n = 0;
        if (cases[i].zone) {
            args[n++] = "--timezone";
            args[n++] = (char *)cases[i].zone;
        }
        args[n++] = "--from";
        args[n++] = (char *)cases[i].from;
        if (cases[i].count) {
            args[n++] = "--count";
            args[n++] = (char *)cases[i].count;
        }
        args[n++] = (char *)cases[i].schedule;
        args[n] = NULL;
        char *out = NULL;
        int rc = next(&out, args[0], args[1], args[2], args[3], args[4],
                      args[5], args[6], args[7]);
        CHECK(rc == 0 && out && !strcmp(out, cases[i].want),
              "next %s in %s from %s: exit %d\n%s--- wanted:\n%s",
              cases[i].schedule, cases[i].zone ? cases[i].zone : "UTC",
              cases[i].from, rc, out ? out : "", cases[i].want);
        free(out);
    }
}

void test_next_usage(void)
{
    static const char *const bad[][6] = {
        {"61 * * * *", NULL},
        {"@reboot", NULL},
        {"--timezone", "Mars/Olympus", "@daily", NULL},
        {"--timezone", "", "@daily", NULL},
        {"--from", "2026-02-30T00:00:00Z", "@daily", NULL},
        {"--from", "2026-03-28", "@daily", NULL},
        {"--from", "yesterday", "@daily", NULL},
        {"--count", "0", "@daily", NULL},
        {"--count", "1001", "@daily", NULL},
        {"--count", "-1", "@daily", NULL},
        {"--count", "5x", "@daily", NULL},
        {"--count", NULL},
        {"--bogus", "@daily", NULL},
        {NULL},
        {"30", "2", "*", "*", "*", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *out = NULL;
        const char *const *a = bad[i];
        int rc =
            next(&out, a[0], a[0] ? a[1] : NULL, a[0] && a[1] ? a[2] : NULL,
                 a[0] && a[1] && a[2] ? a[3] : NULL,
                 a[0] && a[1] && a[2] && a[3] ? a[4] : NULL, NULL);
        CHECK(rc == CR_EX_USAGE && out && !*out,
              "next %s %s %s: exit %d, printed '%s'", a[0] ? a[0] : "",
              a[0] && a[1] ? a[1] : "", a[0] && a[1] && a[2] ? a[2] : "", rc,
              out ? out : "");
        free(out);
    }

    /* the count: 1000 is allowed, and prints 1000 lines */
    char *out = NULL;
    int rc = next(&out, "--from", "2026-01-01T00:00:00Z", "--count", "1000",
                  "@hourly", NULL);
    size_t lines = 0;
    for (const char *p = out; p && *p; p++)
        lines += *p == '\n';
    CHECK(rc == 0 && lines == 1000 && strlen(out) >= 47
              && !strcmp(out + strlen(out) - 47,
                         "2026-02-11T16:00:00Z 2026-02-11T16:00:00+00:00\n"),
          "--count 1000: exit %d, %zu lines", rc, lines);
    free(out);

    /* fewer slots than asked in the ten years the module looks: those
     * found, and exit 0 (Feb 1st on a Monday: 2027, then 2038) */
    rc = next(&out, "--from", "2026-01-01T00:00:00Z", "--count", "3",
              "0 0 */31 2 mon", NULL);
    CHECK(rc == 0 && out
              && !strcmp(out, "2027-02-01T00:00:00Z "
                              "2027-02-01T00:00:00+00:00\n"),
          "a schedule sparser than the horizon: exit %d, %s", rc,
          out ? out : "");
    free(out);

    rc = next(&out, "--help", NULL);
    CHECK(rc == -1 && out && strstr(out, "Usage: charon-run next")
              && strstr(out, "--timezone") && strstr(out, "--from")
              && strstr(out, "--count"),
          "--help: %d", rc);
    free(out);
}

void test_parse_instant(void)
{
    static const struct {
        const char *text;
        long long want;
        int ok;
    } cases[] = {
        {"2026-03-28T00:00:00Z", 1774656000, 1},
        {"2026-03-28T00:00Z", 1774656000, 1},
        {"2026-03-28t00:00:00z", 1774656000, 1},
        {"2026-03-28T02:00:00+02:00", 1774656000, 1},
        {"2026-03-27T19:30-04:30", 1774656000, 1},
        {"1970-01-01T00:00:00Z", 0, 1},
        {"1900-01-01T00:00:00Z", -2208988800LL, 1},
        {"9999-12-31T23:59:59Z", 253402300799LL, 1},
        {"2024-02-29T12:00:00Z", 1709208000, 1},
        {"1899-12-31T23:59:59Z", 0, 0},
        {"2026-02-29T00:00:00Z", 0, 0},
        {"2026-13-01T00:00:00Z", 0, 0},
        {"2026-03-28T24:00:00Z", 0, 0},
        {"2026-03-28T00:60:00Z", 0, 0},
        {"2026-03-28T00:00:60Z", 0, 0},
        {"2026-03-28T00:00:00", 0, 0},
        {"2026-03-28 00:00:00Z", 0, 0},
        {"2026-03-28T00:00:00+0200", 0, 0},
        {"2026-03-28T00:00:00+24:00", 0, 0},
        {"2026-03-28T00:00:00Z ", 0, 0},
        {"2026-03-28T00:00:", 0, 0},
        {"2026-03-28T00:00:0", 0, 0},
        {"2026-3-28T00:00:00Z", 0, 0},
        {"+2026-03-28T00:00Z", 0, 0},
        {"2026-03-28", 0, 0},
        {"", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t t = -7;
        int ok = cr_parse_instant(cases[i].text, &t);
        if (cases[i].ok)
            CHECK(ok && t == cases[i].want, "%s: %lld, not %lld",
                  cases[i].text, (long long)t, cases[i].want);
        else
            CHECK(!ok && t == -7, "%s accepted (%lld)", cases[i].text,
                  (long long)t);
    }
}
