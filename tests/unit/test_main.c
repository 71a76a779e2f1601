/*
 * test_main.c: the unit test program for src/lib/ and the dialects.
 *
 * Runs every group, then prints "unit: N passed, M failed" as the last
 * line; the exit status is 0 only when M is 0 and N is not.  Also holds
 * the shared state and helpers declared in test.h.
 *
 * Built by `make unit` from every .c file in tests/unit, with
 * the sources of src/lib, the dialects, APR, json-c and libcrypto
 * (see build/test_core in the Makefile).
 */
#include "test.h"

#include <stdarg.h>

int passed, failed;
apr_pool_t *pool;

void check_(int ok, const char *file, int line, const char *expr,
            const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "FAIL %s:%d: %s: ", file, line, expr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

const char *show(const char *s)
{
    return s ? s : "(null)";
}

/* A printable rendering of bytes, for failure messages. */
const char *bytes(const char *s, apr_size_t n)
{
    char *out = apr_palloc(pool, n * 4 + 1), *o = out;
    apr_size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7F)
            *o++ = (char)c;
        else
            o += sprintf(o, "\\x%02x", c);
    }
    *o = '\0';
    return out;
}

static apr_uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

apr_uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* test_settings.c: durations, CharonRetention, Idempotency-Key and
 * request fingerprints (src/lib/settings.c). */
void test_settings(void);

int main(void)
{
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        fprintf(stderr, "unit: cannot initialise APR\n");
        return 2;
    }

    /* The order matters: test_utf8 and test_fuzz draw from one rng(). */
    test_ids();
    test_routes();
    test_utf8();
    test_end_success_field();
    test_end_type_field();
    test_end_message_field();
    test_end_order_and_extras();
    test_message_is_copied();
    test_not_an_object();
    test_depth();
    test_truncation();
    test_message_endpoint();
    test_fuzz();
    test_sha256();
    test_key_digest();
    test_key_names();
    test_key_find();
    test_key_allows();
    test_keyfile();
    test_key_admin();
    test_json();
    test_settings();
    test_answer();
    test_html();
    test_form();
    test_dialects();
    test_schedule();
    test_judge();
    test_start_body();
    test_schedule_view();
    test_schedule_form();
    test_alerts_page();
    test_alert_state();
    test_alert_channel();
    test_alert_doc();
    test_alert_payload();
    test_manage();
    test_manage_fields();
    test_cron_doc();
    test_manage_query();
    test_manage_json();

    apr_pool_destroy(pool);
    apr_terminate();

    printf("unit: %d passed, %d failed\n", passed, failed);
    return (failed == 0 && passed > 0) ? 0 : 1;
}
