/*
 * alert_fixtures.c: the events and channels that test_alert_payload.c and
 * test_alert_doc.c render, write and read back: a cron gone down after
 * two failed runs and a missed slot, the same cron back up, a test alert;
 * a channel of each preset.
 */
#include "test.h"
#include "lib/alert.h"
#include "lib/alert_parts.h"

#define HOUR 3600LL

static const charon_alert_msg_t msgs41[] = {
    {"info", "starting pg_dump of \"main\"", ALERT_T10 - 3 * HOUR + 1},
    {"error",
     "pg_dump: connection to <localhost:5432> failed & will not retry",
     ALERT_T10 - 3 * HOUR + 12},
};

static const charon_alert_msg_t msgs42[] = {
    {"warning", "disk 91% full", ALERT_T10 - HOUR + 1},
    {"error", "pg_dump: connection refused\nexit status 1",
     ALERT_T10 - HOUR + 3},
};

const charon_alert_run_t alert_runs_down[3] = {
    {41, CHARON_OUTCOME_FAILED, ALERT_T10 - 3 * HOUR,
     ALERT_T10 - 3 * HOUR + 12, 12.5, ALERT_T10 - 3 * HOUR, msgs41, 2},
    {42, CHARON_OUTCOME_FAILED, ALERT_T10 - HOUR, ALERT_T10 - HOUR + 3, 3.0,
     ALERT_T10 - HOUR, msgs42, 2},
    {0, CHARON_OUTCOME_MISSED, -1, -1, -1, ALERT_T10, NULL, 0},
};

static const charon_alert_msg_t msgs_up[] = {
    {"success", "dump written: 1.2 GB", ALERT_T10 + 2 * HOUR + 40},
};

static const charon_alert_run_t runs_up[] = {
    {43, CHARON_OUTCOME_SUCCEEDED, ALERT_T10 + 2 * HOUR,
     ALERT_T10 + 2 * HOUR + 41, 41.25, ALERT_T10 + 2 * HOUR, msgs_up, 1},
};

charon_alert_doc_t alert_doc_down(void)
{
    charon_alert_doc_t d;

    memset(&d, 0, sizeof(d));
    d.id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
    d.event = CHARON_EVENT_DOWN;
    d.at = ALERT_T10 + 300;
    d.cron_id = 12;
    d.slug = "backup-db";
    d.name = "Backup database \xE2\x80\x94 main"; /* an em dash */
    d.url = "https://charon.example.com/manager/cron/12";
    d.runs = alert_runs_down;
    d.nruns = 3;
    return d;
}

charon_alert_doc_t alert_doc_up(void)
{
    charon_alert_doc_t d = alert_doc_down();

    d.id = "0b7e9d14-2c3f-4a51-9e6d-7f8a9b0c1d2e";
    d.event = CHARON_EVENT_UP;
    d.at = ALERT_T10 + 2 * HOUR + 41;
    d.runs = runs_up;
    d.nruns = 1;
    return d;
}

charon_alert_doc_t alert_doc_test(void)
{
    charon_alert_doc_t d = alert_doc_down();

    d.id = "d2c1b0a9-8f7e-4d6c-b5a4-93827160f5e4";
    d.event = CHARON_EVENT_TEST;
    d.url = NULL;
    d.runs = NULL;
    d.nruns = 0;
    return d;
}

charon_channel_t *alert_channel(const char *l)
{
    charon_channel_t *c = NULL;
    const char *err = NULL;

    if (charon_channel_parse_line(pool, l, &c, &err) != 1) {
        fprintf(stderr, "alert_channel: %s: %s\n", l, show(err));
        abort();
    }
    return c;
}

charon_channel_t *alert_format_channel(charon_format_e f)
{
    static const char *const lines[] = {
        [CHARON_FORMAT_JSON] = "j https://hooks.example.com/charon",
        [CHARON_FORMAT_SLACK] = "s https://hooks.slack.com/services/T0/B0/"
                                "XXXXXXXXXXXXXXXXXXXXXXXX format=slack",
        [CHARON_FORMAT_MATTERMOST] = "m https://mm.example.com/hooks/"
                                     "xi3ebz7ctbrnbp1d9o7y6gm4kc "
                                     "format=mattermost",
        [CHARON_FORMAT_TEAMS] = "t https://acme.webhook.office.com/x "
                                "format=teams",
        [CHARON_FORMAT_DISCORD] = "d https://discord.com/api/webhooks/1/x "
                                  "format=discord",
        [CHARON_FORMAT_NTFY] = "n https://ntfy.sh/charon format=ntfy "
                               "token=tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2",
        [CHARON_FORMAT_GOTIFY] = "g https://gotify.example.com/message "
                                 "format=gotify token=AqvRbN3Wy5FeO.x",
        [CHARON_FORMAT_PAGERDUTY] =
            "p https://events.pagerduty.com/v2/enqueue "
            "format=pagerduty "
            "token=R0UT1NGKEY0123456789abcdefabcdef",
        [CHARON_FORMAT_OPSGENIE] =
            "o https://api.opsgenie.com/v2/alerts "
            "format=opsgenie "
            "token=eb243592-faa2-4ba2-a551-1afdf565c889",
    };
    return alert_channel(lines[f]);
}
