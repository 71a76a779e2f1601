/*
 * charon_run_next.c: `charon-run next`, a schedule's next slots, to check
 * a schedule before it goes into a crontab:
 *
 *   $ charon-run next --timezone Europe/Paris --from 2026-03-28T00:00:00Z \
 *         --count 2 '30 2 * * *'
 *   2026-03-28T01:30:00Z 2026-03-28T02:30:00+01:00
 *   2026-03-29T01:00:00Z 2026-03-29T03:00:00+02:00
 *
 * The slots are the module's own (charon_schedule_next over ICU, daylight
 * saving time as Debian's cron has it), so what this prints is what the
 * watchdog will expect.  It needs no URL and no key, and reads no
 * configuration file: a schedule can be tried on any machine.
 *
 * No libcurl: tests/charon-run/ runs it.
 */
#include "charon_run.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/schedule.h"

#define COUNT_DEFAULT 5
/* Enough for a year of a daily job, or a week of one every ten minutes;
 * a bound so that a typo cannot print for ever. */
#define COUNT_MAX     1000

static const char next_usage[] =
    "Usage: charon-run next [--timezone ZONE] [--from TIME] [--count N] "
    "SCHEDULE\n"
    "\n"
    "Prints the next N slots of SCHEDULE strictly after TIME, one a line:\n"
    "the instant in UTC, then the local time in ZONE with its offset, as\n"
    "Charon computes them (daylight saving time as Debian's cron has it).\n"
    "Needs no URL and no key, and reads no configuration file.\n"
    "\n"
    "  --timezone ZONE  an IANA time zone, e.g. Europe/Paris (default UTC;\n"
    "                   give the one of --schedule's crontab line)\n"
    "  --from TIME      YYYY-MM-DDTHH:MM[:SS]Z, or with +HH:MM or -HH:MM\n"
    "                   for Z (default: now)\n"
    "  --count N        how many slots, 1 to 1000 (default 5)\n"
    "  -h, --help       this help\n"
    "\n"
    "SCHEDULE is five fields (quote them), @hourly, @daily, @midnight,\n"
    "@weekly, @monthly, @yearly, @annually or @every DURATION.\n"
    "Exit status: 0, or 64 for a bad SCHEDULE, ZONE, TIME or N.\n";

static const struct option next_opts[] = {
    {"timezone", required_argument, NULL, 'z'},
    {"from", required_argument, NULL, 'f'},
    {"count", required_argument, NULL, 'n'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

__attribute__((format(printf, 1, 0))) static int usage_error(const char *fmt,
                                                             const char *value)
{
    char *p = value ? cr_printable(value, strlen(value)) : NULL;
    cr_say(fmt, p ? p : "");
    free(p);
    fputs("Try 'charon-run next --help'.\n", stderr);
    return CR_EX_USAGE;
}

/* 1..COUNT_MAX in decimal digits: 1 and *n, or 0. */
static int parse_count(const char *s, int *n)
{
    int v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > COUNT_MAX)
            return 0;
        v = v * 10 + (*s - '0');
    }
    if (v < 1 || v > COUNT_MAX)
        return 0;
    *n = v;
    return 1;
}

int cr_next_main(int argc, char **argv, FILE *out)
{
    const char *zone_name = NULL, *from_text = NULL;
    int count = COUNT_DEFAULT, opt;
    int64_t t;
    char why[600];

    optind = 0; /* GNU: start afresh (cr_conf_load may have run) */
    opterr = 0;
    /* Options before or after SCHEDULE (which never starts with '-'). */
    while ((opt = getopt_long(argc, argv, ":h", next_opts, NULL)) != -1) {
        switch (opt) {
        case 'z': zone_name = optarg; break;
        case 'f': from_text = optarg; break;
        case 'n':
            if (!parse_count(optarg, &count))
                return usage_error("--count '%s' must be a number of slots, "
                                   "1 to 1000",
                                   optarg);
            break;
        case 'h': fputs(next_usage, out); return -1;
        case ':':
            return usage_error("next: option '%s' needs a value",
                               argv[optind - 1]);
        default:
            return usage_error("next: option '%s' is unknown",
                               argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return usage_error("next: missing SCHEDULE%s", NULL);
    if (optind + 1 < argc)
        return usage_error(
            "next takes one SCHEDULE, quoted ('30 2 * * *'), and got more "
            "arguments from '%s' on (to run the cron whose slug is 'next', "
            "write: charon-run -- next -- COMMAND)",
            argv[optind + 1]);
    const char *text = argv[optind];

    charon_schedule_t s;
    char buf[200];
    if (cr_schedule_check(text, why, sizeof(why)))
        return usage_error("%s", why);
    charon_schedule_parse(text, &s, buf, sizeof(buf));

    if (zone_name && cr_zone_check(zone_name, why, sizeof(why)))
        return usage_error("--timezone %s", why);
    if (from_text && !cr_parse_instant(from_text, &t))
        return usage_error("--from '%s' must be a time as "
                           "YYYY-MM-DDTHH:MM[:SS]Z (or +HH:MM or -HH:MM "
                           "for Z), from 1900 to 9999",
                           from_text);
    if (!from_text)
        t = (int64_t)time(NULL);

    const char *bad;
    charon_zone_t *z = charon_zone_open(zone_name, &bad);
    if (!z) { /* checked above: only ICU itself failing */
        cr_say("next: ICU could not open the zone: %s", bad);
        return CR_EX_OSERR;
    }
    for (int i = 0; i < count; i++) {
        int64_t slot;
        charon_local_t l;
        char utc[CHARON_ISO_LEN], local[CHARON_ISO_LEN];
        if (!charon_schedule_next(&s, z, t, &slot)) {
            cr_say("next: no slot in the ten years after %s (the module "
                   "looks no further)",
                   charon_iso_utc(t, utc));
            break;
        }
        if (!charon_zone_local(z, slot, &l)) {
            cr_say("next: ICU could not give the local time of %s",
                   charon_iso_utc(slot, utc));
            charon_zone_close(z);
            return CR_EX_OSERR;
        }
        fprintf(out, "%s %s\n", charon_iso_utc(slot, utc),
                charon_iso_offset(&l, local));
        t = slot;
    }
    charon_zone_close(z);
    return 0;
}
