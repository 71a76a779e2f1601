/*
 * test_manage.c: a cron's document in the management API (src/lib/
 * cron_doc.c, docs/MANAGEMENT.md): the PUT and PATCH bodies, each field's
 * type and range at and just past its limits, which fields a PUT keeps
 * and a PATCH resets (the document itself: test_cron_doc.c).
 *
 * Definitions are compared field by field with the table of
 * manage_fixtures.h, not with charon_crondef_equal (tested on its own in
 * test_cron_doc.c).
 */
#include "manage_fixtures.h"

/* The first field in which a and b differ, or NULL. */
static void test_put_new(void)
{
    charon_crondef_t d = dflt(NULL), want;

    /* charon_crondef_defaults: the documented defaults, no name. */
    {
        charon_crondef_t got;
        const char *diff;

        memset(&got, 0x5A, sizeof(got));
        got.name = got.off_reason = got.schedule = got.timezone = "poison";
        charon_crondef_defaults(&got);
        diff = def_differs(&got, &d);
        CHECK(diff == NULL, "charon_crondef_defaults differs in %s: %s",
              show(diff), def_text(&got));
    }

    /* Defaults for every absent field. */
    PUT_OK("{\"name\": \"Nightly backup\"}", NULL, dflt("Nightly backup"));
    /* id and created_at are read-only and ignored, whatever they hold. */
    PUT_OK("{\"id\": 99, \"created_at\": \"not a time\", \"name\": \"n\"}",
           NULL, dflt("n"));
    PUT_OK("{\"id\": \"x\", \"created_at\": null, \"name\": \"n\"}", NULL,
           dflt("n"));
    /* A slug that is the URL's is taken; any other is not. */
    PUT_OK("{\"slug\": \"nightly-backup\", \"name\": \"n\"}", NULL, dflt("n"));
    PUT_BAD("{\"slug\": \"nightly-backup-2\", \"name\": \"n\"}", NULL, 422,
            "slug", "slug of the URL");
    PUT_BAD("{\"slug\": \"Nightly-backup\", \"name\": \"n\"}", NULL, 422,
            "slug", NULL);
    PUT_BAD("{\"slug\": null, \"name\": \"n\"}", NULL, 422, "slug", NULL);
    PUT_BAD("{\"slug\": 7, \"name\": \"n\"}", NULL, 422, "slug", NULL);

    /* name is required, also when other fields are wrong. */
    PUT_BAD("{}", NULL, 422, "name", "required");
    PUT_BAD("{\"grace\": 60}", NULL, 422, "name", "required");
    PUT_BAD("{\"grace\": 0}", NULL, 422, "name", "required");
    PUT_BAD("{\"name\": null}", NULL, 422, "name", "required");
    {
        charon_crondef_t cur = off_cron();
        PUT_BAD("{\"grace\": 60}", &cur, 422, "name", "required");
    }

    /* Everything at once. */
    want = off_cron(); /* every field away from its default */
    PUT_OK("{\"name\": \"Nightly backup\", \"active\": false, "
           "\"off_reason\": \"disk full\", "
           "\"off_until\": \"2026-12-08T07:00+01:00\", "
           "\"concurrency\": \"forbid\", \"max_runtime\": 3600, "
           "\"schedule\": \"0 3 * * *\", \"timezone\": \"Europe/Paris\", "
           "\"grace\": 600, \"min_runtime\": 10, \"failure_threshold\": 2, "
           "\"recovery_threshold\": 3, \"realert_every\": 3600, "
           "\"mute_until\": \"2026-12-07T12:00:00Z\"}",
           NULL, want);
    /* Every nullable field null: the defaults. */
    PUT_OK("{\"name\": \"n\", \"active\": null, \"off_reason\": null, "
           "\"off_until\": null, \"concurrency\": null, "
           "\"max_runtime\": null, \"schedule\": null, \"timezone\": null, "
           "\"grace\": null, \"min_runtime\": null, "
           "\"failure_threshold\": null, \"recovery_threshold\": null, "
           "\"realert_every\": null, \"mute_until\": null}",
           NULL, dflt("n"));
    /* Switched on (the default), a reason and an end are dropped. */
    PUT_OK("{\"name\": \"n\", \"off_reason\": \"x\", "
           "\"off_until\": \"2026-12-08T06:00:00Z\"}",
           NULL, dflt("n"));
    PUT_OK("{\"name\": \"n\", \"active\": true, \"off_reason\": \"x\"}", NULL,
           dflt("n"));
}

/* Each integer field at and past its limits, in PUT and PATCH. */
static void test_put_existing(void)
{
    charon_crondef_t off = off_cron(), on = on_cron(), want;

    want = dflt("Renamed");
    want.active = 0;
    want.off_reason = "disk full";
    want.off_until = T_OFF;
    want.mute_until = T_MUTE;
    PUT_OK("{\"name\": \"Renamed\"}", &off, want);
    /* The same, every field named but the switches. */
    want = off;
    PUT_OK("{\"name\": \"Nightly backup\", \"concurrency\": \"forbid\", "
           "\"max_runtime\": 3600, \"schedule\": \"0 3 * * *\", "
           "\"timezone\": \"Europe/Paris\", \"grace\": 600, "
           "\"min_runtime\": 10, \"failure_threshold\": 2, "
           "\"recovery_threshold\": 3, \"realert_every\": 3600}",
           &off, want);

    /* active named: the reason and the end go with it. */
    want = dflt("n");
    want.mute_until = T_MUTE;
    PUT_OK("{\"name\": \"n\", \"active\": true}", &off, want);
    want.mute_until = 0;
    PUT_OK("{\"name\": \"n\", \"active\": true, \"mute_until\": null}", &off,
           want);
    want = dflt("n");
    want.active = 0;
    want.off_reason = "disk full";
    want.off_until = T_OFF;
    PUT_OK("{\"name\": \"n\", \"mute_until\": null}", &off, want);
    want.off_reason = "other";
    PUT_OK("{\"name\": \"n\", \"off_reason\": \"other\", "
           "\"mute_until\": null}",
           &off, want);
    want.off_reason = NULL;
    PUT_OK("{\"name\": \"n\", \"off_reason\": null, \"mute_until\": null}",
           &off, want);
    want.off_reason = "disk full";
    want.off_until = 0;
    PUT_OK("{\"name\": \"n\", \"off_until\": null, \"mute_until\": null}",
           &off, want);

    /* A cron that is on stays on, muted. */
    want = dflt("n");
    want.mute_until = T_MUTE;
    PUT_OK("{\"name\": \"n\"}", &on, want);
    want.active = 0;
    want.off_reason = "maintenance";
    PUT_OK("{\"name\": \"n\", \"active\": false, "
           "\"off_reason\": \"maintenance\"}",
           &on, want);
    /* A refused PUT onto a cron is refused as onto none. */
    PUT_BAD("{\"name\": \"n\", \"grace\": 0}", &off, 422, "grace", NULL);
}

/* PATCH: a JSON merge patch on the document. */
static void test_patch(void)
{
    charon_crondef_t off = off_cron(), on = on_cron(), want;
    size_t i;

    PATCH_OK("{}", &off, off);
    PATCH_OK("{}", &on, on);
    want = off;
    want.grace = 60;
    PATCH_OK("{\"grace\": 60}", &off, want);
    PATCH_OK("{\"id\": 7, \"slug\": \"nightly-backup\", "
             "\"created_at\": \"2026-12-01T10:00:00Z\", \"grace\": 60}",
             &off, want);
    PATCH_BAD("{\"slug\": \"other\"}", &off, 422, "slug", NULL);

    /* Switched on: no reason, no end; the rest kept. */
    PATCH_OK("{\"active\": true}", &off, on);
    PATCH_OK("{\"active\": null}", &off, on);
    want = off;
    want.off_reason = "maintenance";
    want.off_until = 0;
    PATCH_OK("{\"active\": false, \"off_reason\": \"maintenance\"}", &on,
             want);
    /* A reason for a cron that is on is cleared with the rest. */
    PATCH_OK("{\"off_reason\": \"x\"}", &on, on);
    want = off;
    want.off_reason = "other";
    PATCH_OK("{\"off_reason\": \"other\"}", &off, want);

    /* Each field null: its default (name has none). */
    for (i = 0; i < N_ELEMS(fields); i++) {
        charon_crondef_t d = dflt("x");
        const char *f = fields[i].name;

        if (!strcmp(f, "name")) {
            PATCH_BAD("{\"name\": null}", &off, 422, "name", NULL);
            continue;
        }
        want = off;
        switch (fields[i].type) {
        case F_TEXT: TEXT_AT(&want, i) = TEXT_AT(&d, i); break;
        case F_INT: INT_AT(&want, i) = INT_AT(&d, i); break;
        default: BOOL_AT(&want, i) = BOOL_AT(&d, i);
        }
        if (want.active) {
            want.off_reason = NULL;
            want.off_until = 0;
        }
        PATCH_OK(apr_psprintf(pool, "{\"%s\": null}", f), &off, want);
    }

    /* Several members: the first wrong one is named. */
    PATCH_BAD("{\"timezone\": \"Mars/Olympus\", \"schedule\": \"bad\"}", &off,
              422, "timezone", NULL);
    PATCH_BAD("{\"schedule\": \"bad\", \"timezone\": \"Mars/Olympus\"}", &off,
              422, "schedule", NULL);
}

/* The error names the member in question; the body must be an object. */
static void test_refusals(void)
{
    static const char *const not_objects[] = {
        "[]",
        "[{\"name\": \"n\"}]",
        "\"name\"",
        "1",
        "null",
        "true",
        "{",
        "{\"name\": \"n\"",
        "{\"name\": \"n\"} x",
        "{\"name\": \"n\"}{}",
        "{'name': 'n'}",
        "{\"name\": \"n\",}",
        "{name: \"n\"}",
        " ",
    };
    charon_crondef_t off = off_cron();
    size_t i;

    for (i = 0; i < N_ELEMS(not_objects); i++) {
        PUT_BAD(not_objects[i], NULL, 400, NULL, "not a JSON object");
        PATCH_BAD(not_objects[i], &off, 400, NULL, "not a JSON object");
    }
    refused_n(CHARON_BODY_PUT, "", 0, NULL, 400, NULL, "not a JSON object",
              HERE);
    refused_n(CHARON_BODY_PATCH, "", 0, &off, 400, NULL, "not a JSON object",
              HERE);
    refused_n(CHARON_BODY_PUT, "{\"name\": \"n\"}\0", 14, NULL, 400, NULL,
              "not a JSON object", HERE);

    /* The first wrong member, in the body's order. */
    PUT_BAD("{\"name\": \"n\", \"grace\": 0, \"failure_threshold\": 0}", NULL,
            422, "grace", NULL);
    PUT_BAD("{\"failure_threshold\": 0, \"grace\": 0, \"name\": \"n\"}", NULL,
            422, "failure_threshold", NULL);
    PUT_BAD("{\"realert_every\": 1.5, \"name\": 5}", NULL, 422,
            "realert_every", "whole number");
    PUT_BAD("{\"name\": 5, \"realert_every\": 1.5}", NULL, 422, "name",
            "string");
    PUT_BAD("{\"name\": \"n\", \"grace\": true}", NULL, 422, "grace",
            "'grace'");
    PUT_BAD("{\"name\": \"n\", \"max_runtime\": 2.5}", NULL, 422,
            "max_runtime", "'max_runtime'");
}

/* A document read back (GET) and sent again changes nothing. */
static void test_read_back(void)
{
    charon_crondef_t defs[3];
    size_t i;

    defs[0] = off_cron();
    defs[1] = on_cron();
    defs[2] = dflt("Ad hoc");
    for (i = 0; i < N_ELEMS(defs); i++) {
        charon_crondoc_t c;
        const char *json;

        c.id = 7;
        c.slug = SLUG;
        c.created_at = T_CREATED;
        c.def = defs[i];
        json = charon_crondoc_json(pool, &c);
        CHECK(json != NULL, "document %d", (int)i);
        if (!json)
            continue;
        PUT_OK(json, &defs[i], defs[i]);
        PATCH_OK(json, &defs[i], defs[i]);
        /* Onto another cron, the document gives itself back. */
        PATCH_OK(json, &defs[(i + 1) % 3], defs[i]);
        PUT_OK(json, &defs[(i + 1) % 3], defs[i]);
    }
}

void test_manage(void)
{
    test_put_new();
    test_put_existing();
    test_patch();
    test_refusals();
    test_read_back();
}
