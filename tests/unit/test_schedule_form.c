/*
 * test_schedule_form.c: the manager's schedule form
 * (src/lib/schedule_form.c): what each field accepts, what an empty one
 * means, and that a refusal names the field it is about.
 */
#include "test.h"

/* Accepted, with these values. */
static void form_ok(const char *sched, const char *zone, const char *grace,
                    const char *min, const char *want_sched,
                    const char *want_zone, apr_int64_t want_grace,
                    const char *want_min, const char *file, int line)
{
    charon_sched_form_t f;
    const char *field = "poison";
    const char *why =
        charon_schedule_form(pool, sched, zone, grace, min, &f, &field);

    check_(!why && !field, file, line, "accepted", "%s|%s|%s|%s: %s (%s)",
           show(sched), show(zone), show(grace), show(min), show(why),
           show(field));
    if (!why) {
        check_(streq(f.schedule, want_sched) && streq(f.timezone, want_zone)
                   && f.grace == want_grace && streq(f.min_runtime, want_min),
               file, line, "values", "%s|%s|%s|%s: %s|%s|%lld|%s", show(sched),
               show(zone), show(grace), show(min), f.schedule, f.timezone,
               (long long)f.grace, f.min_runtime);
    }
}

/* Refused, naming this field, with a sentence that holds `has`. */
static void form_bad(const char *sched, const char *zone, const char *grace,
                     const char *min, const char *want_field, const char *has,
                     const char *file, int line)
{
    charon_sched_form_t f;
    const char *field = NULL;
    const char *why =
        charon_schedule_form(pool, sched, zone, grace, min, &f, &field);

    check_(why && streq(field, want_field) && strstr(why, has), file, line,
           "refused", "%s|%s|%s|%s: field %s, %s", show(sched), show(zone),
           show(grace), show(min), show(field), show(why));
}

void test_schedule_form(void)
{
    form_ok("30 2 * * *", "Europe/Paris", "600", "1200", "30 2 * * *",
            "Europe/Paris", 600, "1200", HERE);
    /* Empty: unscheduled, the default zone, 300 s, no minimum. */
    form_ok("", "", "", "", "", "", 300, "", HERE);
    form_ok(NULL, NULL, NULL, NULL, "", "", 300, "", HERE);
    /* Durations with a unit, as CharonRetention takes them. */
    form_ok("@every 15m", "", "10m", "2h", "@every 15m", "", 600, "7200",
            HERE);
    form_ok("@daily", "UTC", "1", "1", "@daily", "UTC", 1, "1", HERE);
    form_ok("@daily", "", "31622400", "2147483647", "@daily", "", 31622400,
            "2147483647", HERE);

    form_bad("61 * * * *", "", "", "", "schedule", "The schedule", HERE);
    form_bad("@reboot", "", "", "", "schedule", "The schedule", HERE);
    form_bad("0 0 30 2 *", "", "", "", "schedule", "never happens", HERE);
    form_bad("@daily", "Mars/Olympus", "", "", "timezone",
             "The time zone \"Mars/Olympus\" is not", HERE);
    form_bad("@daily", "Europe/Paris; rm", "", "", "timezone", "The time zone",
             HERE);
    form_bad("@daily", "", "0", "", "grace", "The grace", HERE);
    form_bad("@daily", "", "31622401", "", "grace", "The grace", HERE);
    form_bad("@daily", "", "5 min", "", "grace", "The grace", HERE);
    form_bad("@daily", "", "-5", "", "grace", "The grace", HERE);
    form_bad("@daily", "", "", "0", "min_runtime", "The minimum runtime",
             HERE);
    form_bad("@daily", "", "", "abc", "min_runtime", "The minimum runtime",
             HERE);
    form_bad("@daily", "", "", "2147483648", "min_runtime",
             "The minimum runtime", HERE);
    /* The first field refused is named, in the form's order. */
    form_bad("bad", "Mars/Olympus", "0", "0", "schedule", "The schedule",
             HERE);
    /* Checked even without a schedule: they are stored all the same. */
    form_bad("", "Mars/Olympus", "0", "0", "timezone", "The time zone", HERE);
    form_bad("", "", "0", "", "grace", "The grace", HERE);
}
