/*
 * test_alerts_page.c: the manager's alert policy form and mute length
 * (src/lib/alerts_form.c), and its words for alerts
 * (src/lib/alerts_view.c): what each field accepts, that a refusal names
 * its field, and that a value from the database that is no known word
 * becomes "other".
 */
#include "test.h"

/* Accepted, with these values. */
static void policy_ok(const char *f, const char *r, const char *re, int want_f,
                      int want_r, const char *want_re, const char *file,
                      int line)
{
    charon_alert_form_t out;
    const char *field = "poison";
    const char *why = charon_alert_policy_form(pool, f, r, re, &out, &field);

    check_(!why && !field, file, line, "accepted", "%s|%s|%s: %s (%s)",
           show(f), show(r), show(re), show(why), show(field));
    if (!why) {
        check_(out.failure_threshold == want_f
                   && out.recovery_threshold == want_r
                   && streq(out.realert_every, want_re),
               file, line, "values", "%s|%s|%s: %d|%d|%s", show(f), show(r),
               show(re), out.failure_threshold, out.recovery_threshold,
               show(out.realert_every));
    }
}

/* Refused, naming this field, with a sentence that holds `has`. */
static void policy_bad(const char *f, const char *r, const char *re,
                       const char *want_field, const char *has,
                       const char *file, int line)
{
    charon_alert_form_t out;
    const char *field = NULL;
    const char *why = charon_alert_policy_form(pool, f, r, re, &out, &field);

    check_(why && streq(field, want_field) && strstr(why, has), file, line,
           "refused", "%s|%s|%s: %s (%s), expected %s with \"%s\"", show(f),
           show(r), show(re), show(why), show(field), want_field, has);
}

static void test_policy_form(void)
{
    policy_ok("1", "1", "", 1, 1, "", HERE);
    policy_ok("3", "2", "0", 3, 2, "", HERE);
    policy_ok("1000", "1000", "1h", 1000, 1000, "3600", HERE);
    policy_ok("007", "1", "60", 7, 1, "60", HERE);
    policy_ok("1", "1", "365d", 1, 1, "31536000", HERE);
    policy_ok("1", "1", NULL, 1, 1, "", HERE);

    policy_bad("0", "1", "", "failure_threshold", "1 to 1000", HERE);
    policy_bad("1001", "1", "", "failure_threshold", "1 to 1000", HERE);
    policy_bad("", "1", "", "failure_threshold", "failure threshold", HERE);
    policy_bad("5m", "1", "", "failure_threshold", "whole number", HERE);
    policy_bad("-1", "1", "", "failure_threshold", "whole number", HERE);
    policy_bad("99999999999999999999", "1", "", "failure_threshold",
               "1 to 1000", HERE);
    policy_bad(" 2", "1", "", "failure_threshold", "whole number", HERE);
    policy_bad(NULL, "1", "", "failure_threshold", "whole number", HERE);
    policy_bad("1", "0", "", "recovery_threshold", "recovery", HERE);
    policy_bad("1", "x", "", "recovery_threshold", "1 to 1000", HERE);
    policy_bad("1", "1", "59", "realert_every", "realert", HERE);
    policy_bad("1", "1", "366d", "realert_every", "empty or 0", HERE);
    policy_bad("1", "1", "1x", "realert_every", "duration", HERE);
    policy_bad("1", "1", "-60", "realert_every", "duration", HERE);
    policy_bad("1", "1", "00", "realert_every", "duration", HERE);
    /* The first field wrong is the one named. */
    policy_bad("0", "0", "1", "failure_threshold", "failure", HERE);
}

static void test_mute_for(void)
{
    apr_int64_t secs = 0;

    CHECK(!charon_alert_mute_for(pool, "1h", &secs) && secs == 3600,
          "1h: %lld", (long long)secs);
    CHECK(!charon_alert_mute_for(pool, "1d", &secs) && secs == 86400,
          "1d: %lld", (long long)secs);
    CHECK(!charon_alert_mute_for(pool, "366d", &secs) && secs == 31622400,
          "366d: %lld", (long long)secs);
    CHECK(charon_alert_mute_for(pool, "59", &secs) != NULL, "59 s refused");
    CHECK(charon_alert_mute_for(pool, "367d", &secs) != NULL, "367 d refused");
    CHECK(charon_alert_mute_for(pool, "", &secs) != NULL, "empty refused");
    CHECK(charon_alert_mute_for(pool, NULL, &secs) != NULL, "NULL refused");
    CHECK(strstr(show(charon_alert_mute_for(pool, "soon", &secs)), "mute"),
          "says what it is about");
}

static void test_words(void)
{
    CHECK(streq(charon_channel_kind_name(CHARON_CHANNEL_WEBHOOK), "webhook")
              && streq(charon_channel_kind_name(CHARON_CHANNEL_MAIL), "mail")
              && streq(charon_channel_kind_name(CHARON_CHANNEL_EXEC), "exec")
              && streq(charon_channel_kind_name(CHARON_CHANNEL_FILE), "file"),
          "kinds");
    CHECK(streq(charon_channel_kind_name((charon_channel_kind_e)99), "other"),
          "an unknown kind");
    CHECK(streq(charon_event_class("down"), "down")
              && streq(charon_event_class("up"), "up")
              && streq(charon_event_class("realert"), "realert")
              && streq(charon_event_class("test"), "test"),
          "events");
    CHECK(streq(charon_event_class("x\" onclick=\"y"), "other")
              && streq(charon_event_class(NULL), "other")
              && streq(charon_event_class("DOWN"), "other"),
          "an unknown event is other");
    CHECK(streq(charon_delivery_class("pending"), "pending")
              && streq(charon_delivery_class("delivered"), "delivered")
              && streq(charon_delivery_class("given_up"), "given-up"),
          "delivery states");
    CHECK(streq(charon_delivery_class("<b>"), "other")
              && streq(charon_delivery_class(NULL), "other"),
          "an unknown delivery state is other");
}

static void test_streak(void)
{
    CHECK(streq(charon_alert_streak(pool, 0, 0, 4, 3, 1),
                "no bad run in a row (down after 3)"),
          "up, no bad run: %s", charon_alert_streak(pool, 0, 0, 4, 3, 1));
    CHECK(streq(charon_alert_streak(pool, 0, 1, 0, 3, 1),
                "1 bad run in a row (down after 3)"),
          "up, one bad run: %s", charon_alert_streak(pool, 0, 1, 0, 3, 1));
    CHECK(streq(charon_alert_streak(pool, 0, 2, 0, 3, 1),
                "2 bad runs in a row (down after 3)"),
          "up, two bad runs");
    CHECK(streq(charon_alert_streak(pool, 1, 5, 0, 3, 2),
                "no good run since (up after 2)"),
          "down, no good run: %s", charon_alert_streak(pool, 1, 5, 0, 3, 2));
    CHECK(streq(charon_alert_streak(pool, 1, 0, 1, 3, 2),
                "1 good run in a row (up after 2)"),
          "down, one good run");
}

static void test_policy_text(void)
{
    const char *t = charon_alert_policy_text(pool, 1, 1, NULL);

    CHECK(streq(t, "down after 1 bad run in a row, up after 1 good one; no "
                   "alert again while down"),
          "the defaults: %s", t);
    t = charon_alert_policy_text(pool, 3, 2, "3600");
    CHECK(streq(t, "down after 3 bad runs in a row, up after 2 good ones; a "
                   "down alert again every 1 h 00 min while down"),
          "thresholds and realert: %s", t);
    t = charon_alert_policy_text(pool, 3, 2, "");
    CHECK(strstr(t, "no alert again") != NULL, "realert empty: %s", t);
}

void test_alerts_page(void)
{
    test_policy_text();
    test_policy_form();
    test_mute_for();
    test_words();
    test_streak();
}
