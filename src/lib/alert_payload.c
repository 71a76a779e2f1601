/*
 * alert_payload.c: the event document.  It is what the "json" format
 * sends, what a file: channel appends (one line: the JSON has no line
 * break), and what charon_alert_event.document stores, so a retry sends
 * what the first try sent.  Parsing it back is strict: a stored document
 * that is not one of ours is refused, not half-read.
 */
#include "lib/alert_parts.h"
#include "lib/civil.h"

#include <string.h>

#include <apr_strings.h>

#define NAME_MAX_LEN 1000 /* bytes of a cron's name in the document */
#define URL_MAX_LEN  2000

const char *charon_alert_json(apr_pool_t *p, json_object *o)
{
    const char *s = NULL;

    if (o != NULL) {
        s = json_object_to_json_string_ext(
            o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (s != NULL)
            s = apr_pstrdup(p, s); /* s belongs to o until it is put */
        json_object_put(o);
    }
    return s;
}

json_object *charon_alert_jstr(apr_pool_t *p, const char *s, apr_size_t max)
{
    return json_object_new_string(charon_alert_clean(p, s, max, 0));
}

/* A time, or null for none (-1). */
static json_object *jtime(apr_pool_t *p, int64_t t)
{
    return t >= 0 ? json_object_new_string(charon_alert_iso(p, t)) : NULL;
}

/* The last CHARON_ALERT_MAX_MSGS messages, each cut to
 * CHARON_ALERT_MAX_MSG_LEN bytes: a run that logged a megabyte makes an
 * alert of a few kilobytes, whatever the channel's limit. */
static json_object *msgs_json(apr_pool_t *p, const charon_alert_run_t *r)
{
    json_object *a = json_object_new_array(), *m;
    int i = r->nmsgs > CHARON_ALERT_MAX_MSGS ? r->nmsgs - CHARON_ALERT_MAX_MSGS
                                             : 0;

    for (; a != NULL && i < r->nmsgs; i++) {
        m = json_object_new_object();
        json_object_object_add(m, "type",
                               charon_alert_jstr(p, r->msgs[i].type, 16));
        json_object_object_add(m, "message",
                               charon_alert_jstr(p, r->msgs[i].message,
                                                 CHARON_ALERT_MAX_MSG_LEN));
        json_object_object_add(m, "at", jtime(p, r->msgs[i].at));
        json_object_array_add(a, m);
    }
    return a;
}

json_object *charon_alert_runs_json(apr_pool_t *p, const charon_alert_doc_t *d)
{
    json_object *a = json_object_new_array(), *o;
    const char *secs;
    int i;

    for (i = 0; a != NULL && i < d->nruns; i++) {
        const charon_alert_run_t *r = &d->runs[i];

        o = json_object_new_object();
        json_object_object_add(o, "execution_id",
                               r->execution_id > 0
                                   ? json_object_new_int64(r->execution_id)
                                   : NULL);
        json_object_object_add(
            o, "outcome",
            json_object_new_string(charon_outcome_name(r->outcome)
                                       ? charon_outcome_name(r->outcome)
                                       : "failed"));
        json_object_object_add(o, "started_at", jtime(p, r->started_at));
        json_object_object_add(o, "ended_at", jtime(p, r->ended_at));
        /* Written as the text built here ("12.5"), not json-c's %.17g. */
        secs = charon_alert_seconds(p, r->duration);
        json_object_object_add(
            o, "duration",
            secs ? json_object_new_double_s(r->duration, secs) : NULL);
        json_object_object_add(o, "slot", jtime(p, r->slot));
        json_object_object_add(o, "messages", msgs_json(p, r));
        json_object_array_add(a, o);
    }
    return a;
}

const char *charon_alert_document(apr_pool_t *p, const charon_alert_doc_t *d)
{
    json_object *o = json_object_new_object(), *cron;
    const char *state = charon_alert_state_name(d->event);

    if (o == NULL)
        return NULL;
    json_object_object_add(o, "id", charon_alert_jstr(p, d->id, 64));
    json_object_object_add(
        o, "event",
        json_object_new_string(charon_event_name(d->event)
                                   ? charon_event_name(d->event)
                                   : "test"));
    json_object_object_add(o, "at",
                           json_object_new_string(charon_alert_iso(p, d->at)));
    json_object_object_add(o, "muted", json_object_new_boolean(d->muted != 0));
    cron = json_object_new_object();
    json_object_object_add(cron, "id", json_object_new_int64(d->cron_id));
    json_object_object_add(cron, "slug", charon_alert_jstr(p, d->slug, 255));
    json_object_object_add(cron, "name",
                           charon_alert_jstr(p, d->name, NAME_MAX_LEN));
    if (d->url != NULL && *d->url)
        json_object_object_add(cron, "url",
                               charon_alert_jstr(p, d->url, URL_MAX_LEN));
    json_object_object_add(o, "cron", cron);
    /* A test involves no state: null rather than a state it is not. */
    json_object_object_add(o, "state",
                           state ? json_object_new_string(state) : NULL);
    json_object_object_add(o, "summary",
                           json_object_new_string(charon_alert_summary(p, d)));
    json_object_object_add(o, "runs", charon_alert_runs_json(p, d));
    return charon_alert_json(p, o);
}

/* ---- back from the store ---------------------------------------------- */

/* Two digits at s: their value, or -1. */
static int digits2(const char *s)
{
    return s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9'
               ? (s[0] - '0') * 10 + (s[1] - '0')
               : -1;
}

/* Exactly "YYYY-MM-DDTHH:MM:SSZ", as charon_alert_iso writes it. */
static int parse_iso(const char *s, int64_t *t)
{
    int y, mo, d, h, mi, sec;

    if (strlen(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T'
        || s[13] != ':' || s[16] != ':' || s[19] != 'Z')
        return 0;
    y = digits2(s) * 100 + digits2(s + 2);
    mo = digits2(s + 5);
    d = digits2(s + 8);
    h = digits2(s + 11);
    mi = digits2(s + 14);
    sec = digits2(s + 17);
    if (digits2(s) < 0 || digits2(s + 2) < 0 || mo < 1 || mo > 12 || d < 1
        || d > charon_civil_days_in_month(y, mo) || h < 0 || h > 23 || mi < 0
        || mi > 59 || sec < 0 || sec > 59)
        return 0;
    *t = charon_civil_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
    /* Before 1970 is not ours: the writer has -1 for none, and writes no
     * time before 1970 (a message's "at" would come back as null). */
    return *t >= 0;
}

/* o's member k as a string copied into p, or NULL when it is not one. */
static const char *get_str(apr_pool_t *p, json_object *o, const char *k)
{
    json_object *v;

    if (!json_object_object_get_ex(o, k, &v)
        || !json_object_is_type(v, json_type_string))
        return NULL;
    return apr_pstrdup(p, json_object_get_string(v));
}

/* A time member: 1 with *t (-1 for null when nullable), else 0. */
static int get_time(json_object *o, const char *k, int nullable, int64_t *t)
{
    json_object *v;

    if (!json_object_object_get_ex(o, k, &v))
        return 0;
    if (v == NULL) {
        *t = -1;
        return nullable;
    }
    return json_object_is_type(v, json_type_string)
           && parse_iso(json_object_get_string(v), t);
}

static int parse_msgs(apr_pool_t *p, json_object *a, charon_alert_run_t *r)
{
    charon_alert_msg_t *m;
    int i;

    if (!json_object_is_type(a, json_type_array))
        return 0;
    r->nmsgs = (int)json_object_array_length(a);
    r->msgs = m = apr_pcalloc(p, sizeof(*m) * (r->nmsgs + 1));
    for (i = 0; i < r->nmsgs; i++) {
        json_object *o = json_object_array_get_idx(a, i);

        if (!json_object_is_type(o, json_type_object)
            || !(m[i].type = get_str(p, o, "type"))
            || !(m[i].message = get_str(p, o, "message"))
            || !get_time(o, "at", 0, &m[i].at))
            return 0;
    }
    return 1;
}

static int parse_run(apr_pool_t *p, json_object *o, charon_alert_run_t *r)
{
    json_object *v;
    const char *outcome;

    if (!json_object_is_type(o, json_type_object)
        || !json_object_object_get_ex(o, "execution_id", &v)
        || !(v == NULL || json_object_is_type(v, json_type_int)))
        return 0;
    r->execution_id = v ? json_object_get_int64(v) : 0;
    outcome = get_str(p, o, "outcome");
    if (!outcome || !charon_outcome_parse(outcome, &r->outcome)
        || !get_time(o, "started_at", 1, &r->started_at)
        || !get_time(o, "ended_at", 1, &r->ended_at)
        || !get_time(o, "slot", 1, &r->slot)
        || !json_object_object_get_ex(o, "duration", &v))
        return 0;
    if (v == NULL)
        r->duration = -1;
    else if (json_object_is_type(v, json_type_double)
             || json_object_is_type(v, json_type_int))
        r->duration = json_object_get_double(v);
    else
        return 0;
    return json_object_object_get_ex(o, "messages", &v) && parse_msgs(p, v, r);
}

/* The members of the document, top down; 0 at the first wrong one. */
static int parse_doc(apr_pool_t *p, json_object *o, charon_alert_doc_t *d)
{
    json_object *v, *cron, *runs;
    const char *event;
    charon_alert_run_t *r;
    int i;

    if (!json_object_is_type(o, json_type_object)
        || !(d->id = get_str(p, o, "id")) || !*d->id
        || !(event = get_str(p, o, "event"))
        || !charon_event_parse(event, &d->event)
        || !get_time(o, "at", 0, &d->at)
        || !json_object_object_get_ex(o, "muted", &v)
        || !json_object_is_type(v, json_type_boolean)
        || !json_object_object_get_ex(o, "cron", &cron)
        || !json_object_is_type(cron, json_type_object)
        || !json_object_object_get_ex(cron, "id", &v)
        || !json_object_is_type(v, json_type_int)
        || !(d->slug = get_str(p, cron, "slug"))
        || !(d->name = get_str(p, cron, "name"))
        || !json_object_object_get_ex(o, "runs", &runs)
        || !json_object_is_type(runs, json_type_array))
        return 0;
    d->cron_id = json_object_get_int64(v);
    d->muted = json_object_get_boolean(json_object_object_get(o, "muted"));
    d->url = get_str(p, cron, "url");
    if (d->url == NULL && json_object_object_get_ex(cron, "url", &v)
        && v != NULL)
        return 0; /* present, and not a string */
    d->nruns = (int)json_object_array_length(runs);
    d->runs = r = apr_pcalloc(p, sizeof(*r) * (d->nruns + 1));
    for (i = 0; i < d->nruns; i++)
        if (!parse_run(p, json_object_array_get_idx(runs, i), &r[i]))
            return 0;
    return 1;
}

int charon_alert_document_parse(apr_pool_t *p, const char *json,
                                charon_alert_doc_t *out)
{
    json_tokener *tok;
    json_object *o;
    charon_alert_doc_t d;
    int len, ok;

    if (json == NULL || strlen(json) > 16 * 1024 * 1024)
        return -1;
    len = (int)strlen(json);
    if ((tok = json_tokener_new()) == NULL)
        return -1;
    o = json_tokener_parse_ex(tok, json, len);
    /* Trailing bytes make it not a document (json-c stops quietly). */
    ok = o != NULL && json_tokener_get_error(tok) == json_tokener_success
         && json_tokener_get_parse_end(tok) == (size_t)len;
    json_tokener_free(tok);
    memset(&d, 0, sizeof(d));
    ok = ok && parse_doc(p, o, &d);
    json_object_put(o);
    if (!ok)
        return -1;
    *out = d;
    return 0;
}
