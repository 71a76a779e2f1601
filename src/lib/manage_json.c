/*
 * manage_json.c: the management API's documents other than a cron's:
 * lists, executions and their messages, alert channels and events, the
 * record of changes.  They are built from the database's columns as text
 * (NULL for SQL NULL); a number the database gave that is not one
 * becomes null rather than a broken document.
 */
#include "lib/charon_lib.h"

#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <json-c/json.h>

static const char *finish(apr_pool_t *p, json_object *o)
{
    const char *s = NULL;

    if (o) {
        s = json_object_to_json_string_ext(
            o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        s = s ? apr_pstrdup(p, s) : NULL;
        json_object_put(o);
    }
    return s;
}

static json_object *text(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *integer(const char *s)
{
    apr_int64_t n;
    char *end;

    if (!s || !*s) {
        return NULL;
    }
    n = apr_strtoi64(s, &end, 10);
    return *end ? NULL : json_object_new_int64(n);
}

/* 1 when s is a JSON number (RFC 8259 section 6), whole. */
static int json_number(const char *s)
{
    if (*s == '-') {
        s++;
    }
    if (*s == '0') {
        s++;
    }
    else if (apr_isdigit(*s)) {
        while (apr_isdigit(*s)) {
            s++;
        }
    }
    else {
        return 0;
    }
    if (*s == '.') {
        if (!apr_isdigit(*++s)) {
            return 0;
        }
        while (apr_isdigit(*s)) {
            s++;
        }
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') {
            s++;
        }
        if (!apr_isdigit(*s)) {
            return 0;
        }
        while (apr_isdigit(*s)) {
            s++;
        }
    }
    return *s == '\0';
}

static json_object *number(const char *s)
{
    /* The database's own text, as written: 248.125 stays 248.125. */
    return s && json_number(s) ? json_object_new_double_s(strtod(s, NULL), s)
                               : NULL;
}

static json_object *boolean(const char *s)
{
    return s ? json_object_new_boolean(strcmp(s, "0") != 0
                                       && strcmp(s, "f") != 0)
             : NULL;
}

/* A document this layer built, as a member: parsed back (it is ours). */
static json_object *doc(const char *json)
{
    return json ? json_tokener_parse(json) : NULL;
}

struct charon_list {
    json_object *items;
};

charon_list *charon_list_make(void)
{
    charon_list *l = calloc(1, sizeof(*l));

    if (l) {
        l->items = json_object_new_array();
    }
    return l;
}

void charon_list_add(charon_list *l, const char *json)
{
    if (l && l->items) {
        json_object_array_add(l->items, doc(json));
    }
}

const char *charon_list_json(apr_pool_t *p, charon_list *l, const char *next)
{
    json_object *o;

    if (!l) {
        return NULL;
    }
    o = json_object_new_object();
    if (o) {
        json_object_object_add(o, "items", l->items);
        json_object_object_add(o, "next_cursor", text(next));
    }
    else {
        json_object_put(l->items);
    }
    free(l);
    return finish(p, o);
}

const char *charon_exec_json(apr_pool_t *p, const charon_exec_row_t *e,
                             const char *messages)
{
    json_object *o = json_object_new_object();

    if (!o) {
        return NULL;
    }
    json_object_object_add(o, "id", integer(e->id));
    json_object_object_add(o, "cron", text(e->cron));
    json_object_object_add(o, "started_at", text(e->started_at));
    json_object_object_add(o, "ended_at", text(e->ended_at));
    json_object_object_add(o, "outcome", text(e->outcome));
    json_object_object_add(o, "success", boolean(e->success));
    json_object_object_add(o, "type", text(e->type));
    json_object_object_add(o, "duration", number(e->duration));
    json_object_object_add(o, "application", text(e->application));
    json_object_object_add(o, "remote_addr", text(e->remote_addr));
    json_object_object_add(o, "lost_at", text(e->lost_at));
    json_object_object_add(o, "slot", text(e->slot));
    if (messages) {
        json_object_object_add(o, "messages", doc(messages));
    }
    return finish(p, o);
}

const char *charon_message_json(apr_pool_t *p, const char *id,
                                const char *type, const char *message,
                                const char *created_at)
{
    json_object *o = json_object_new_object();

    if (!o) {
        return NULL;
    }
    json_object_object_add(o, "id", integer(id));
    json_object_object_add(o, "type", text(type));
    json_object_object_add(o, "message",
                           json_object_new_string(message ? message : ""));
    json_object_object_add(o, "created_at", text(created_at));
    return finish(p, o);
}

const char *charon_event_json(apr_pool_t *p, const char *uid, const char *slug,
                              const char *event, int muted,
                              const char *created_at,
                              const apr_array_header_t *deliveries)
{
    json_object *o = json_object_new_object(), *a;
    int i;

    if (!o) {
        return NULL;
    }
    json_object_object_add(o, "id", text(uid));
    json_object_object_add(o, "cron", text(slug));
    json_object_object_add(o, "event", text(event));
    json_object_object_add(o, "muted", json_object_new_boolean(muted));
    json_object_object_add(o, "created_at", text(created_at));
    a = json_object_new_array();
    for (i = 0; deliveries && i < deliveries->nelts; i++) {
        const charon_delivery_row_t *d =
            &APR_ARRAY_IDX(deliveries, i, charon_delivery_row_t);
        json_object *x = json_object_new_object();

        json_object_object_add(x, "channel", text(d->channel));
        json_object_object_add(x, "state", text(d->state));
        json_object_object_add(x, "attempts", integer(d->attempts));
        json_object_object_add(x, "due_at", text(d->due_at));
        json_object_object_add(x, "delivered_at", text(d->delivered_at));
        json_object_object_add(x, "last_error", text(d->error));
        json_object_array_add(a, x);
    }
    json_object_object_add(o, "deliveries", a);
    return finish(p, o);
}

/* A webhook's URL as the API shows it: scheme, host and path.  The
 * redacted form keeps the query's names and the user's, which may say
 * more than an operator wants every read key to see. */
static const char *url_shown(apr_pool_t *p, const char *url)
{
    const char *host = strstr(url, "://"), *at, *end;

    if (!host) {
        return url;
    }
    host += 3;
    end = host + strcspn(host, "/?#");
    at = memchr(host, '@', (apr_size_t)(end - host));
    url = apr_pstrcat(p, apr_pstrmemdup(p, url, (apr_size_t)(host - url)),
                      at ? at + 1 : host, NULL);
    return apr_pstrmemdup(p, url, strcspn(url, "?#"));
}

const char *charon_channel_json(apr_pool_t *p, const char *name,
                                const char *kind, const char *target)
{
    json_object *o = json_object_new_object();

    if (!o) {
        return NULL;
    }
    if (target && !strcmp(kind, "webhook")) {
        target = url_shown(p, target);
    }
    json_object_object_add(o, "name", text(name));
    json_object_object_add(o, "kind", text(kind));
    json_object_object_add(o, "target", text(target));
    return finish(p, o);
}

const char *charon_alerts_json(apr_pool_t *p,
                               const apr_array_header_t *channels,
                               const char *events)
{
    json_object *o = json_object_new_object(), *a;
    int i;

    if (!o) {
        return NULL;
    }
    a = json_object_new_array();
    for (i = 0; i < channels->nelts; i++) {
        json_object_array_add(a,
                              doc(APR_ARRAY_IDX(channels, i, const char *)));
    }
    json_object_object_add(o, "channels", a);
    json_object_object_add(o, "events", doc(events));
    return finish(p, o);
}

const char *charon_audit_json(apr_pool_t *p, const char *id, const char *at,
                              const char *who, const char *action,
                              const char *slug, const char *before,
                              const char *after)
{
    json_object *o = json_object_new_object();

    if (!o) {
        return NULL;
    }
    json_object_object_add(o, "id", integer(id));
    json_object_object_add(o, "at", text(at));
    json_object_object_add(o, "who", text(who));
    json_object_object_add(o, "action", text(action));
    json_object_object_add(o, "slug", text(slug));
    json_object_object_add(o, "before", doc(before));
    json_object_object_add(o, "after", doc(after));
    return finish(p, o);
}

const char *charon_audit_fields(apr_pool_t *p, const char *before,
                                const char *after)
{
    json_object *b, *a;
    const char *out = "";

    if (!before || !after) {
        return before ? "deleted" : after ? "created" : "";
    }
    b = doc(before);
    a = doc(after);
    if (json_object_is_type(b, json_type_object)
        && json_object_is_type(a, json_type_object)) {
        json_object_object_foreach(a, k, v)
        {
            json_object *old = NULL;

            json_object_object_get_ex(b, k, &old);
            if (!json_object_equal(old, v)) {
                out = apr_pstrcat(p, out, *out ? ", " : "", k, NULL);
            }
        }
    }
    json_object_put(b);
    json_object_put(a);
    return out;
}
