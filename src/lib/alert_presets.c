/*
 * alert_presets.c: what goes to a webhook, by format: the document
 * itself (json), a chat message (alert_chat.c), or what ntfy, Gotify,
 * PagerDuty and Opsgenie take, as their public documentation describes
 * it.  Every body carries the event id (the transport also sends
 * X-Charon-Event-Id), so a receiver can tell a retry from a new event.
 */
#include "lib/alert_parts.h"

#include <string.h>

#include <apr_strings.h>

#define APPLICATION_JSON "application/json"

static json_object *jstr(const char *s)
{
    return json_object_new_string(s ? s : "");
}

/* Gotify: title, message, priority (8 and up pops up on Android), the
 * click URL and the event in its extras. */
static json_object *gotify(apr_pool_t *p, const charon_alert_doc_t *d)
{
    json_object *o = json_object_new_object(), *x = json_object_new_object();
    json_object *v;

    json_object_object_add(
        o, "title", charon_alert_jstr(p, charon_alert_summary(p, d), 250));
    json_object_object_add(
        o, "message", charon_alert_jstr(p, charon_alert_details(p, d), 8000));
    json_object_object_add(
        o, "priority",
        json_object_new_int(charon_alert_state_name(d->event)
                                    && d->event != CHARON_EVENT_UP
                                ? 8
                                : 5));
    v = json_object_new_object();
    json_object_object_add(v, "contentType", jstr("text/plain"));
    json_object_object_add(x, "client::display", v);
    if (d->url && *d->url) {
        json_object *click = json_object_new_object();

        json_object_object_add(click, "url",
                               charon_alert_jstr(p, d->url, 2000));
        v = json_object_new_object();
        json_object_object_add(v, "click", click);
        json_object_object_add(x, "client::notification", v);
    }
    v = json_object_new_object();
    json_object_object_add(v, "id", jstr(charon_alert_event_id(p, d)));
    json_object_object_add(v, "event", jstr(charon_event_name(d->event)));
    json_object_object_add(v, "cron_id", json_object_new_int64(d->cron_id));
    json_object_object_add(x, "charon::event", v);
    json_object_object_add(o, "extras", x);
    return o;
}

/* "charon-cron-12": one incident per cron, so that up resolves (or
 * closes) what down opened; a test gets its own, by event id. */
static const char *dedup_key(apr_pool_t *p, const charon_alert_doc_t *d)
{
    return d->event == CHARON_EVENT_TEST
               ? apr_pstrcat(p, "charon-test-", charon_alert_event_id(p, d),
                             NULL)
               : apr_psprintf(p, "charon-cron-%" APR_INT64_T_FMT, d->cron_id);
}

/* What PagerDuty's custom_details and Opsgenie's details hold. */
static json_object *event_details(apr_pool_t *p, const charon_alert_doc_t *d,
                                  int strings_only)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "event_id", jstr(charon_alert_event_id(p, d)));
    json_object_object_add(o, "event", jstr(charon_event_name(d->event)));
    json_object_object_add(
        o, "cron_id",
        strings_only ? jstr(apr_psprintf(p, "%" APR_INT64_T_FMT, d->cron_id))
                     : json_object_new_int64(d->cron_id));
    json_object_object_add(o, "slug", charon_alert_jstr(p, d->slug, 255));
    json_object_object_add(o, "name", charon_alert_jstr(p, d->name, 1000));
    if (d->url && *d->url)
        json_object_object_add(o, "url", charon_alert_jstr(p, d->url, 2000));
    if (!strings_only)
        json_object_object_add(o, "runs", charon_alert_runs_json(p, d));
    return o;
}

/* PagerDuty Events API v2.  A resolve carries a payload too (optional
 * there, as Alertmanager sends it): it is where the event id rides. */
static json_object *pagerduty(apr_pool_t *p, const charon_channel_t *c,
                              const charon_alert_doc_t *d)
{
    json_object *o = json_object_new_object(), *pl = json_object_new_object();
    int bad =
        d->event == CHARON_EVENT_DOWN || d->event == CHARON_EVENT_REALERT;

    json_object_object_add(o, "routing_key", jstr(c->token));
    json_object_object_add(
        o, "event_action",
        jstr(d->event == CHARON_EVENT_UP ? "resolve" : "trigger"));
    json_object_object_add(o, "dedup_key", jstr(dedup_key(p, d)));
    json_object_object_add(
        pl, "summary", charon_alert_jstr(p, charon_alert_summary(p, d), 1024));
    json_object_object_add(pl, "source", jstr("mod_charon"));
    json_object_object_add(pl, "severity", jstr(bad ? "error" : "info"));
    json_object_object_add(pl, "timestamp", jstr(charon_alert_iso(p, d->at)));
    json_object_object_add(pl, "component",
                           charon_alert_jstr(p, d->slug, 255));
    json_object_object_add(pl, "class", jstr(charon_event_name(d->event)));
    json_object_object_add(pl, "custom_details", event_details(p, d, 0));
    json_object_object_add(o, "payload", pl);
    json_object_object_add(o, "client", jstr("mod_charon"));
    if (d->url && *d->url) {
        json_object *link = json_object_new_object(), *links;

        json_object_object_add(o, "client_url",
                               charon_alert_jstr(p, d->url, 2000));
        json_object_object_add(link, "href",
                               charon_alert_jstr(p, d->url, 2000));
        json_object_object_add(link, "text", jstr("the cron in mod_charon"));
        links = json_object_new_array();
        json_object_array_add(links, link);
        json_object_object_add(o, "links", links);
    }
    return o;
}

/* Opsgenie Alert API.  Down, realert and test create an alert (a second
 * create with an open alias only counts up); up closes it, posted to
 * charon_alert_target's close URL, with a note. */
static json_object *opsgenie(apr_pool_t *p, const charon_alert_doc_t *d)
{
    json_object *o = json_object_new_object(), *tags;
    const char *summary = charon_alert_summary(p, d);

    if (d->event == CHARON_EVENT_UP) {
        json_object_object_add(o, "source", jstr("mod_charon"));
        json_object_object_add(
            o, "note",
            charon_alert_jstr(p,
                              apr_pstrcat(p, summary, " (event ",
                                          charon_alert_event_id(p, d), ")",
                                          NULL),
                              25000));
        return o;
    }
    json_object_object_add(o, "message", charon_alert_jstr(p, summary, 130));
    json_object_object_add(o, "alias", jstr(dedup_key(p, d)));
    json_object_object_add(
        o, "description",
        charon_alert_jstr(p, charon_alert_details(p, d), 15000));
    tags = json_object_new_array();
    json_object_array_add(tags, jstr("mod_charon"));
    json_object_array_add(tags, jstr(charon_event_name(d->event)));
    json_object_object_add(o, "tags", tags);
    json_object_object_add(o, "details", event_details(p, d, 1));
    json_object_object_add(o, "entity", charon_alert_jstr(p, d->slug, 255));
    json_object_object_add(o, "source", jstr("mod_charon"));
    json_object_object_add(o, "priority",
                           jstr(d->event == CHARON_EVENT_TEST ? "P5" : "P2"));
    return o;
}

/* ntfy: the details as the plain-text body, the rest in headers; a title
 * that is not ASCII is RFC 2047-encoded (ntfy decodes it since 2.4). */
static const char *ntfy(apr_pool_t *p, const charon_alert_doc_t *d,
                        apr_array_header_t *h)
{
    int up = d->event == CHARON_EVENT_UP, test = d->event == CHARON_EVENT_TEST;

    APR_ARRAY_PUSH(h, const char *) = apr_pstrcat(
        p, "Title: ",
        charon_alert_rfc2047(
            p, charon_alert_clean(p, charon_alert_summary(p, d), 250, 1), " "),
        NULL);
    APR_ARRAY_PUSH(h, const char *) = up     ? "Tags: white_check_mark"
                                      : test ? "Tags: test_tube"
                                             : "Tags: rotating_light";
    APR_ARRAY_PUSH(h, const char *) =
        up || test ? "Priority: default" : "Priority: high";
    /* A header's value: only a plain ASCII URL is sent. */
    if (d->url && *d->url && charon_alert_rfc2047(p, d->url, " ") == d->url
        && strlen(d->url) <= 2000)
        APR_ARRAY_PUSH(h, const char *) =
            apr_pstrcat(p, "Click: ", d->url, NULL);
    /* ntfy turns a body over 4096 bytes into an attachment. */
    return charon_alert_clean(p, charon_alert_details(p, d), 4000, 0);
}

const char *charon_alert_payload(apr_pool_t *p, const charon_channel_t *c,
                                 const charon_alert_doc_t *d,
                                 const char **content_type,
                                 apr_array_header_t **headers)
{
    apr_array_header_t *h = apr_array_make(p, 4, sizeof(const char *));
    json_object *o = NULL;
    const char *body = NULL;

    *content_type = APPLICATION_JSON;
    *headers = h;
    switch (c->format) {
    case CHARON_FORMAT_SLACK:
    case CHARON_FORMAT_MATTERMOST:
    case CHARON_FORMAT_TEAMS:
    case CHARON_FORMAT_DISCORD: o = charon_alert_chat(p, c->format, d); break;
    case CHARON_FORMAT_GOTIFY: o = gotify(p, d); break;
    case CHARON_FORMAT_PAGERDUTY: o = pagerduty(p, c, d); break;
    case CHARON_FORMAT_OPSGENIE: o = opsgenie(p, d); break;
    case CHARON_FORMAT_NTFY:
        *content_type = "text/plain; charset=utf-8";
        body = ntfy(p, d, h);
        break;
    default: body = charon_alert_document(p, d); break;
    }
    if (o != NULL)
        body = charon_alert_json(p, o);
    /* token= was checked printable ASCII, no blank: safe in a header. */
    if (c->token != NULL && *c->token) {
        const char *auth =
            c->format == CHARON_FORMAT_GOTIFY      ? "X-Gotify-Key: "
            : c->format == CHARON_FORMAT_OPSGENIE  ? "Authorization: GenieKey "
            : c->format == CHARON_FORMAT_PAGERDUTY ? NULL /* in the body */
                                                   : "Authorization: Bearer ";
        if (auth)
            APR_ARRAY_PUSH(h, const char *) =
                apr_pstrcat(p, auth, c->token, NULL);
    }
    return body;
}

const char *charon_alert_target(apr_pool_t *p, const charon_channel_t *c,
                                const charon_alert_doc_t *d)
{
    const char *t = c->target ? c->target : "";
    apr_size_t n;

    if (c->format != CHARON_FORMAT_OPSGENIE || d->event != CHARON_EVENT_UP)
        return t;
    /* https://api.opsgenie.com/v2/alerts (or api.eu.) -> its close URL. */
    n = strcspn(t, "?#");
    while (n > 0 && t[n - 1] == '/')
        n--;
    return apr_psprintf(p, "%.*s/%s/close?identifierType=alias", (int)n, t,
                        dedup_key(p, d));
}
