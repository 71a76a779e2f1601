/*
 * test_manage_json.c: the management API's documents other than a
 * cron's (src/lib/manage_json.c), compared as whole strings.
 */
#include "test.h"

/* ---- documents ------------------------------------------------------------- */

static void json_(const char *got, const char *want, const char *what,
                  const char *file, int line)
{
    check_(streq(got, want), file, line, what, "\n got %s\nwant %s", show(got),
           want);
}

#define JSON(got, want, what) json_(got, want, what, HERE)

static const char *event_example(void)
{
    apr_array_header_t *d =
        apr_array_make(pool, 2, sizeof(charon_delivery_row_t));
    charon_delivery_row_t *x = apr_array_push(d);

    x->channel = "ops";
    x->state = "delivered";
    x->attempts = "1";
    x->due_at = NULL;
    x->delivered_at = "2026-12-07T03:10:01Z";
    x->error = NULL;
    x = apr_array_push(d);
    x->channel = "mail";
    x->state = "failed";
    x->attempts = "5";
    x->due_at = "2026-12-07T03:40:00Z";
    x->delivered_at = NULL;
    x->error = "connection refused";
    return charon_event_json(pool, "6f1c", "nightly-backup", "down", 0,
                             "2026-12-07T03:10:00Z", d);
}

#define EVENT_EXAMPLE                                                  \
    "{\"id\":\"6f1c\",\"cron\":\"nightly-backup\",\"event\":\"down\"," \
    "\"muted\":false,\"created_at\":\"2026-12-07T03:10:00Z\","         \
    "\"deliveries\":[{\"channel\":\"ops\",\"state\":\"delivered\","    \
    "\"attempts\":1,\"due_at\":null,"                                  \
    "\"delivered_at\":\"2026-12-07T03:10:01Z\",\"last_error\":null},"  \
    "{\"channel\":\"mail\",\"state\":\"failed\",\"attempts\":5,"       \
    "\"due_at\":\"2026-12-07T03:40:00Z\",\"delivered_at\":null,"       \
    "\"last_error\":\"connection refused\"}]}"

static void test_lists(void)
{
    charon_list *l = charon_list_make();

    CHECK(l != NULL, "a list");
    charon_list_add(l, "{\"a\":1}");
    charon_list_add(l, "{\"b\":[1,\"x/y\"]}");
    JSON(charon_list_json(pool, l, "nightly-backup"),
         "{\"items\":[{\"a\":1},{\"b\":[1,\"x/y\"]}],"
         "\"next_cursor\":\"nightly-backup\"}",
         "a list with a next page");
    l = charon_list_make();
    charon_list_add(l, "{\"a\":1}");
    JSON(charon_list_json(pool, l, NULL),
         "{\"items\":[{\"a\":1}],\"next_cursor\":null}", "the last page");
    JSON(charon_list_json(pool, charon_list_make(), NULL),
         "{\"items\":[],\"next_cursor\":null}", "an empty list");
    CHECK(charon_list_json(pool, NULL, NULL) == NULL, "no list");
    l = charon_list_make();
    charon_list_add(l, "{\"a\":1}");
    charon_list_add(l, NULL);
    JSON(charon_list_json(pool, l, "12"),
         "{\"items\":[{\"a\":1},null],\"next_cursor\":\"12\"}",
         "a NULL item is null");
}

static void test_exec(void)
{
    charon_exec_row_t e = {
        .id = "1234",
        .cron = "nightly-backup",
        .started_at = "2026-12-07T03:00:02Z",
        .ended_at = "2026-12-07T03:04:10Z",
        .outcome = "success",
        .success = "1",
        .type = "success",
        .duration = "248.0",
        .application = "billing-app",
        .remote_addr = "10.0.0.5",
        .lost_at = NULL,
        .slot = "2026-12-07T03:00:00Z",
    };
    charon_exec_row_t none;
    charon_list *msgs;
    const char *m1, *m2;

    JSON(charon_exec_json(pool, &e, NULL),
         "{\"id\":1234,\"cron\":\"nightly-backup\","
         "\"started_at\":\"2026-12-07T03:00:02Z\","
         "\"ended_at\":\"2026-12-07T03:04:10Z\",\"outcome\":\"success\","
         "\"success\":true,\"type\":\"success\",\"duration\":248.0,"
         "\"application\":\"billing-app\",\"remote_addr\":\"10.0.0.5\","
         "\"lost_at\":null,\"slot\":\"2026-12-07T03:00:00Z\"}",
         "the documented execution");

    memset(&none, 0, sizeof(none));
    JSON(charon_exec_json(pool, &none, NULL),
         "{\"id\":null,\"cron\":null,\"started_at\":null,\"ended_at\":null,"
         "\"outcome\":null,\"success\":null,\"type\":null,"
         "\"duration\":null,\"application\":null,\"remote_addr\":null,"
         "\"lost_at\":null,\"slot\":null}",
         "an execution of NULLs");

    /* The databases' booleans and numbers. */
    none.success = "0";
    none.id = "12abc";
    none.duration = "248.125";
    JSON(charon_exec_json(pool, &none, NULL),
         "{\"id\":null,\"cron\":null,\"started_at\":null,\"ended_at\":null,"
         "\"outcome\":null,\"success\":false,\"type\":null,"
         "\"duration\":248.125,\"application\":null,\"remote_addr\":null,"
         "\"lost_at\":null,\"slot\":null}",
         "success 0, an id that is not one, a duration as written");
    none.success = "f";
    none.id = "";
    none.duration = "abc";
    JSON(charon_exec_json(pool, &none, NULL),
         "{\"id\":null,\"cron\":null,\"started_at\":null,\"ended_at\":null,"
         "\"outcome\":null,\"success\":false,\"type\":null,"
         "\"duration\":null,\"application\":null,\"remote_addr\":null,"
         "\"lost_at\":null,\"slot\":null}",
         "success f, an empty id, a duration that is not a number");
    none.success = "t";
    none.duration = "";
    JSON(charon_exec_json(pool, &none, NULL),
         "{\"id\":null,\"cron\":null,\"started_at\":null,\"ended_at\":null,"
         "\"outcome\":null,\"success\":true,\"type\":null,"
         "\"duration\":null,\"application\":null,\"remote_addr\":null,"
         "\"lost_at\":null,\"slot\":null}",
         "success t, an empty duration");
    /* A duration the database gave that is not a JSON number is null,
     * not a broken document ("1.2.3" once came out as 1.2.3). */
    none.duration = "1.2.3";
    JSON(charon_exec_json(pool, &none, NULL),
         "{\"id\":null,\"cron\":null,\"started_at\":null,\"ended_at\":null,"
         "\"outcome\":null,\"success\":true,\"type\":null,"
         "\"duration\":null,\"application\":null,\"remote_addr\":null,"
         "\"lost_at\":null,\"slot\":null}",
         "a duration that is not a JSON number is null");

    /* With a page of its messages, oldest first. */
    m1 = charon_message_json(pool, "98765", "info", "started \"x\"",
                             "2026-12-07T03:00:02Z");
    JSON(m1,
         "{\"id\":98765,\"type\":\"info\",\"message\":\"started \\\"x\\\"\","
         "\"created_at\":\"2026-12-07T03:00:02Z\"}",
         "a message");
    m2 = charon_message_json(pool, "98766", "error", NULL, NULL);
    JSON(m2,
         "{\"id\":98766,\"type\":\"error\",\"message\":\"\","
         "\"created_at\":null}",
         "a message of NULLs");
    msgs = charon_list_make();
    charon_list_add(msgs, m1);
    charon_list_add(msgs, m2);
    JSON(charon_exec_json(pool, &e, charon_list_json(pool, msgs, "98766")),
         "{\"id\":1234,\"cron\":\"nightly-backup\","
         "\"started_at\":\"2026-12-07T03:00:02Z\","
         "\"ended_at\":\"2026-12-07T03:04:10Z\",\"outcome\":\"success\","
         "\"success\":true,\"type\":\"success\",\"duration\":248.0,"
         "\"application\":\"billing-app\",\"remote_addr\":\"10.0.0.5\","
         "\"lost_at\":null,\"slot\":\"2026-12-07T03:00:00Z\","
         "\"messages\":{\"items\":[{\"id\":98765,\"type\":\"info\","
         "\"message\":\"started \\\"x\\\"\","
         "\"created_at\":\"2026-12-07T03:00:02Z\"},{\"id\":98766,"
         "\"type\":\"error\",\"message\":\"\",\"created_at\":null}],"
         "\"next_cursor\":\"98766\"}}",
         "an execution with its messages");
}

static void channel_(const char *kind, const char *target, const char *shown,
                     const char *file, int line)
{
    const char *got = charon_channel_json(pool, "ops", kind, target);
    const char *want = apr_psprintf(
        pool, "{\"name\":\"ops\",\"kind\":\"%s\",\"target\":%s}", kind, shown);

    check_(streq(got, want), file, line, "charon_channel_json",
           "%s %s:\n got %s\nwant %s", kind, show(target), show(got), want);
}

#define CHANNEL(kind, target, shown) channel_(kind, target, shown, HERE)

static void test_alerts(void)
{
    apr_array_header_t *ch = apr_array_make(pool, 2, sizeof(const char *));
    charon_list *events;

    JSON(event_example(), EVENT_EXAMPLE, "an event with two deliveries");
    JSON(charon_event_json(pool, "7a2b", "x", "up", 1, NULL, NULL),
         "{\"id\":\"7a2b\",\"cron\":\"x\",\"event\":\"up\",\"muted\":true,"
         "\"created_at\":null,\"deliveries\":[]}",
         "a muted event with no deliveries");
    {
        apr_array_header_t *d =
            apr_array_make(pool, 1, sizeof(charon_delivery_row_t));
        charon_delivery_row_t *x = apr_array_push(d);

        memset(x, 0, sizeof(*x));
        x->attempts = "many";
        JSON(charon_event_json(pool, NULL, NULL, NULL, 0, NULL, d),
             "{\"id\":null,\"cron\":null,\"event\":null,\"muted\":false,"
             "\"created_at\":null,\"deliveries\":[{\"channel\":null,"
             "\"state\":null,\"attempts\":null,\"due_at\":null,"
             "\"delivered_at\":null,\"last_error\":null}]}",
             "a delivery of NULLs");
    }

    /* A webhook's URL: scheme, host and path; no user, query, fragment. */
    CHANNEL("webhook",
            "https://user:pw@hooks.example.com/services/T0/B1?token=abc#x",
            "\"https://hooks.example.com/services/T0/B1\"");
    CHANNEL("webhook", "https://hooks.example.com/services",
            "\"https://hooks.example.com/services\"");
    CHANNEL("webhook", "https://token@hooks.example.com/p",
            "\"https://hooks.example.com/p\"");
    CHANNEL("webhook", "https://hooks.example.com?token=abc",
            "\"https://hooks.example.com\"");
    CHANNEL("webhook", "https://hooks.example.com#secret",
            "\"https://hooks.example.com\"");
    CHANNEL("webhook", "http://u:p@hooks.example.com:8443/a/b?x=1&y=2",
            "\"http://hooks.example.com:8443/a/b\"");
    CHANNEL("webhook", "https://hooks.example.com/a@b/c?k=v",
            "\"https://hooks.example.com/a@b/c\"");
    CHANNEL("webhook", "https://u:p@[2001:db8::1]:8080/h?t=s",
            "\"https://[2001:db8::1]:8080/h\"");
    /* Mail, programs and files as given. */
    CHANNEL("mail", "ops@example.com", "\"ops@example.com\"");
    CHANNEL("mail", "mailto:ops@example.com?subject=x",
            "\"mailto:ops@example.com?subject=x\"");
    CHANNEL("exec", "/usr/local/bin/page-ops --urgent",
            "\"/usr/local/bin/page-ops --urgent\"");
    CHANNEL("exec",
            "/usr/local/bin/notify https://u:p@hooks.example.com/x?y=1",
            "\"/usr/local/bin/notify https://u:p@hooks.example.com/x?y=1\"");
    CHANNEL("file", "/var/log/charon/alerts.log",
            "\"/var/log/charon/alerts.log\"");
    CHANNEL("webhook", NULL, "null");
    CHANNEL("file", NULL, "null");

    /* The page: channels and a page of events. */
    APR_ARRAY_PUSH(ch, const char *) = charon_channel_json(
        pool, "ops", "webhook", "https://u:p@hooks.example.com/services?t=1");
    APR_ARRAY_PUSH(ch, const char *) =
        charon_channel_json(pool, "pager", "exec", "/usr/bin/page");
    events = charon_list_make();
    charon_list_add(events, event_example());
    JSON(
        charon_alerts_json(pool, ch, charon_list_json(pool, events, NULL)),
        "{\"channels\":[{\"name\":\"ops\",\"kind\":\"webhook\","
        "\"target\":\"https://hooks.example.com/services\"},"
        "{\"name\":\"pager\",\"kind\":\"exec\",\"target\":\"/usr/bin/page\"}],"
        "\"events\":{\"items\":[" EVENT_EXAMPLE "],\"next_cursor\":null}}",
        "the alerts page");
    JSON(charon_alerts_json(pool, apr_array_make(pool, 0, sizeof(char *)),
                            charon_list_json(pool, charon_list_make(), "x")),
         "{\"channels\":[],\"events\":{\"items\":[],\"next_cursor\":\"x\"}}",
         "no channels, no events");
}

static void test_audit(void)
{
    const char *before =
        "{\"id\":7,\"slug\":\"nightly-backup\",\"grace\":300}";
    const char *after = "{\"id\":7,\"slug\":\"nightly-backup\",\"grace\":60}";

    JSON(charon_audit_json(pool, "12", "2026-12-07T10:00:00Z", "key:deploy",
                           "patch", "nightly-backup", before, after),
         "{\"id\":12,\"at\":\"2026-12-07T10:00:00Z\",\"who\":\"key:deploy\","
         "\"action\":\"patch\",\"slug\":\"nightly-backup\","
         "\"before\":{\"id\":7,\"slug\":\"nightly-backup\",\"grace\":300},"
         "\"after\":{\"id\":7,\"slug\":\"nightly-backup\",\"grace\":60}}",
         "a patch: before and after");
    JSON(charon_audit_json(pool, "13", "2026-12-07T10:00:00Z", "user:alice",
                           "create", "nightly-backup", NULL, after),
         "{\"id\":13,\"at\":\"2026-12-07T10:00:00Z\",\"who\":\"user:alice\","
         "\"action\":\"create\",\"slug\":\"nightly-backup\","
         "\"before\":null,"
         "\"after\":{\"id\":7,\"slug\":\"nightly-backup\",\"grace\":60}}",
         "a create: before null");
    JSON(charon_audit_json(pool, "14", "2026-12-07T10:00:00Z", "key:deploy",
                           "delete", "nightly-backup", before, NULL),
         "{\"id\":14,\"at\":\"2026-12-07T10:00:00Z\",\"who\":\"key:deploy\","
         "\"action\":\"delete\",\"slug\":\"nightly-backup\","
         "\"before\":{\"id\":7,\"slug\":\"nightly-backup\",\"grace\":300},"
         "\"after\":null}",
         "a delete: after null");
    JSON(charon_audit_json(pool, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
         "{\"id\":null,\"at\":null,\"who\":null,\"action\":null,"
         "\"slug\":null,\"before\":null,\"after\":null}",
         "an entry of NULLs");
    /* A cron's whole document as before and after, byte for byte. */
    {
        charon_crondoc_t c;
        const char *doc;

        c.id = 7;
        c.slug = "a/b";
        c.created_at = 1796119200;
        charon_crondef_defaults(&c.def);
        c.def.name = "\xc3\xa9t\xc3\xa9 \"x\"";
        doc = charon_crondoc_json(pool, &c);
        JSON(charon_audit_json(pool, "15", "2026-12-07T10:00:00Z",
                               "key:deploy", "replace", "a/b", doc, doc),
             apr_pstrcat(pool,
                         "{\"id\":15,\"at\":\"2026-12-07T10:00:00Z\","
                         "\"who\":\"key:deploy\",\"action\":\"replace\","
                         "\"slug\":\"a/b\",\"before\":",
                         doc, ",\"after\":", doc, "}", NULL),
             "documents kept as they are");
    }
}

void test_manage_json(void)
{
    test_lists();
    test_exec();
    test_alerts();
    test_audit();
}
