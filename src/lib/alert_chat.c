/*
 * alert_chat.c: the chat presets, Slack, Mattermost, Microsoft Teams and
 * Discord, as each service's public documentation describes its incoming
 * webhooks: the summary where a notification shows it, the details (the
 * runs and their messages) below, a color for down, up and test.  Texts
 * are cut to each service's documented limits: a long message must not
 * make a service refuse the whole alert.
 */
#include "lib/alert_parts.h"

#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

/* Red, green, blue: down (and realert), up, test. */
static const char *color_hex(charon_event_e e)
{
    return e == CHARON_EVENT_UP     ? "#2E7D32"
           : e == CHARON_EVENT_TEST ? "#1976D2"
                                    : "#D32F2F";
}

static int color_int(charon_event_e e)
{
    return (int)strtol(color_hex(e) + 1, NULL, 16);
}

static json_object *jstr(const char *s)
{
    return json_object_new_string(s ? s : "");
}

/* Slack's mrkdwn reads &, < and > as markup: its documentation asks for
 * exactly these three to be escaped, and nothing else. */
static const char *slack_escape(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 5 + 1), *o = out;

    for (; *s; s++) {
        const char *r = *s == '&'   ? "&amp;"
                        : *s == '<' ? "&lt;"
                        : *s == '>' ? "&gt;"
                                    : NULL;
        if (r) {
            memcpy(o, r, strlen(r));
            o += strlen(r);
        }
        else
            *o++ = *s;
    }
    *o = '\0';
    return out;
}

/* Slack and Mattermost: "text" and one attachment with a color bar.
 * Mattermost renders Markdown and knows no "ts" (its attachments are
 * Slack's without it); Slack wants its three characters escaped. */
static json_object *slack(apr_pool_t *p, const charon_alert_doc_t *d,
                          int is_slack)
{
    json_object *o = json_object_new_object(), *att, *a;
    const char *summary = charon_alert_summary(p, d);
    const char *details =
        charon_alert_clean(p, charon_alert_details(p, d), 7000, 0);
    const char *title =
        apr_pstrcat(p, "cron ", charon_alert_clean(p, d->name, 200, 1), NULL);

    if (is_slack) {
        summary = slack_escape(p, summary);
        details = slack_escape(p, details);
        title = slack_escape(p, title);
    }
    json_object_object_add(o, "text", jstr(summary));
    att = json_object_new_object();
    json_object_object_add(att, "fallback", jstr(summary));
    json_object_object_add(att, "color", jstr(color_hex(d->event)));
    json_object_object_add(att, "title", jstr(title));
    if (d->url && *d->url)
        json_object_object_add(att, "title_link",
                               charon_alert_jstr(p, d->url, 2000));
    json_object_object_add(att, "text", jstr(details));
    json_object_object_add(att, "footer", jstr("mod_charon"));
    if (is_slack)
        json_object_object_add(att, "ts", json_object_new_int64(d->at));
    a = json_object_new_array();
    json_object_array_add(a, att);
    json_object_object_add(o, "attachments", a);
    return o;
}

static json_object *fact(const char *title, const char *value)
{
    json_object *f = json_object_new_object();

    json_object_object_add(f, "title", jstr(title));
    json_object_object_add(f, "value", jstr(value));
    return f;
}

static json_object *text_block(const char *text, int spacing_none)
{
    json_object *t = json_object_new_object();

    json_object_object_add(t, "type", jstr("TextBlock"));
    json_object_object_add(t, "text", jstr(text));
    json_object_object_add(t, "wrap", json_object_new_boolean(1));
    if (spacing_none)
        json_object_object_add(t, "spacing", jstr("None"));
    return t;
}

/* Teams: an Adaptive Card 1.2 in a "message" (what Microsoft documents
 * for incoming webhooks and for Workflows).  A TextBlock per line of the
 * runs: a card's Markdown joins single line breaks; messages subtle. */
static json_object *teams(apr_pool_t *p, const charon_alert_doc_t *d)
{
    json_object *o = json_object_new_object(), *att, *card, *body, *facts;
    json_object *a, *head;
    const char *state = charon_alert_state_name(d->event);
    char *runs = apr_pstrdup(p, charon_alert_runs_text(p, d)), *line, *last;

    head = text_block(charon_alert_summary(p, d), 0);
    json_object_object_add(head, "weight", jstr("Bolder"));
    json_object_object_add(head, "size", jstr("Medium"));
    json_object_object_add(head, "color",
                           jstr(d->event == CHARON_EVENT_UP ? "Good"
                                : d->event == CHARON_EVENT_TEST
                                    ? "Accent"
                                    : "Attention"));
    body = json_object_new_array();
    json_object_array_add(body, head);
    facts = json_object_new_array();
    json_object_array_add(
        facts,
        fact("Cron",
             apr_psprintf(p, "%s (%s)", charon_alert_clean(p, d->name, 200, 1),
                          charon_alert_clean(p, d->slug, 200, 1))));
    if (state)
        json_object_array_add(facts, fact("State", state));
    json_object_array_add(
        facts,
        fact("Event", apr_pstrcat(p, charon_event_name(d->event), " at ",
                                  charon_alert_iso(p, d->at), NULL)));
    json_object_array_add(facts,
                          fact("Event id", charon_alert_event_id(p, d)));
    a = json_object_new_object();
    json_object_object_add(a, "type", jstr("FactSet"));
    json_object_object_add(a, "facts", facts);
    json_object_array_add(body, a);
    for (line = apr_strtok(runs, "\n", &last); line;
         line = apr_strtok(NULL, "\n", &last)) {
        /* A card drops leading blanks: a message (indented) is subtle. */
        apr_size_t indent = strspn(line, " ");
        json_object *t = text_block(line + indent, 1);

        if (indent > 2)
            json_object_object_add(t, "isSubtle", json_object_new_boolean(1));
        json_object_array_add(body, t);
    }

    card = json_object_new_object();
    json_object_object_add(
        card, "$schema",
        jstr("http://adaptivecards.io/schemas/adaptive-card.json"));
    json_object_object_add(card, "type", jstr("AdaptiveCard"));
    json_object_object_add(card, "version", jstr("1.2"));
    json_object_object_add(card, "body", body);
    if (d->url && *d->url) {
        json_object *act = json_object_new_object(), *acts;

        json_object_object_add(act, "type", jstr("Action.OpenUrl"));
        json_object_object_add(act, "title", jstr("Open in mod_charon"));
        json_object_object_add(act, "url", charon_alert_jstr(p, d->url, 2000));
        acts = json_object_new_array();
        json_object_array_add(acts, act);
        json_object_object_add(card, "actions", acts);
    }
    att = json_object_new_object();
    json_object_object_add(att, "contentType",
                           jstr("application/vnd.microsoft.card.adaptive"));
    json_object_object_add(att, "contentUrl", NULL);
    json_object_object_add(att, "content", card);
    a = json_object_new_array();
    json_object_array_add(a, att);
    json_object_object_add(o, "type", jstr("message"));
    json_object_object_add(o, "attachments", a);
    return o;
}

static json_object *field(const char *name, const char *value)
{
    json_object *f = json_object_new_object();

    json_object_object_add(f, "name", jstr(name));
    json_object_object_add(f, "value", jstr(value));
    json_object_object_add(f, "inline", json_object_new_boolean(1));
    return f;
}

/* Discord: "content" and one embed, within Discord's limits (content
 * 2000, title 256, description 4096 characters; bytes are never fewer).
 * allowed_mentions is empty: a cron's message saying @everyone pings
 * no one. */
static json_object *discord(apr_pool_t *p, const charon_alert_doc_t *d)
{
    json_object *o = json_object_new_object(), *e = json_object_new_object();
    json_object *a, *fields, *footer, *mentions;
    const char *state = charon_alert_state_name(d->event);

    json_object_object_add(
        o, "content", charon_alert_jstr(p, charon_alert_summary(p, d), 2000));
    json_object_object_add(
        e, "title",
        charon_alert_jstr(
            p, apr_pstrcat(p, "cron ", d->name ? d->name : "", NULL), 256));
    if (d->url && *d->url)
        json_object_object_add(e, "url", charon_alert_jstr(p, d->url, 2000));
    json_object_object_add(
        e, "description",
        charon_alert_jstr(p, charon_alert_details(p, d), 4000));
    json_object_object_add(e, "color",
                           json_object_new_int(color_int(d->event)));
    fields = json_object_new_array();
    if (state)
        json_object_array_add(fields, field("State", state));
    json_object_array_add(fields,
                          field("Event id", charon_alert_event_id(p, d)));
    json_object_object_add(e, "fields", fields);
    footer = json_object_new_object();
    json_object_object_add(footer, "text", jstr("mod_charon"));
    json_object_object_add(e, "footer", footer);
    json_object_object_add(e, "timestamp", jstr(charon_alert_iso(p, d->at)));
    a = json_object_new_array();
    json_object_array_add(a, e);
    json_object_object_add(o, "embeds", a);
    mentions = json_object_new_object();
    json_object_object_add(mentions, "parse", json_object_new_array());
    json_object_object_add(o, "allowed_mentions", mentions);
    return o;
}

json_object *charon_alert_chat(apr_pool_t *p, charon_format_e f,
                               const charon_alert_doc_t *d)
{
    switch (f) {
    case CHARON_FORMAT_SLACK: return slack(p, d, 1);
    case CHARON_FORMAT_MATTERMOST: return slack(p, d, 0);
    case CHARON_FORMAT_TEAMS: return teams(p, d);
    case CHARON_FORMAT_DISCORD: return discord(p, d);
    default: return NULL;
    }
}
