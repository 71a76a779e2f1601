/*
 * answer.c: what the API answers, for every outcome, as docs/API.md
 * writes it: the status and the JSON document.  The operations layer
 * decides the outcome; an answer built here is sent, or stored for an
 * Idempotency-Key and sent again as it was.
 */
#include "lib/charon_lib.h"

#include <string.h>

#include <apr_strings.h>

#include <json-c/json.h>

/* Serializes obj compactly into p and releases obj.  "/" is not escaped.
 * Returns NULL only when json-c ran out of memory. */
static const char *finish_json(apr_pool_t *p, json_object *obj)
{
    const char *s = NULL;

    if (obj != NULL) {
        s = json_object_to_json_string_ext(
            obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (s != NULL)
            s = apr_pstrdup(p, s); /* s belongs to obj until it is put */
        json_object_put(obj);
    }
    return s;
}

/* json_object_new_string(NULL) would crash; an absent string becomes "". */
static json_object *new_string(const char *s)
{
    return json_object_new_string(s ? s : "");
}

const char *charon_json_can_start(apr_pool_t *p, const char *slug,
                                  int can_start, apr_int64_t cron_id)
{
    json_object *o = json_object_new_object();

    if (o != NULL) {
        json_object_object_add(o, "slug", new_string(slug));
        json_object_object_add(o, "canStart",
                               json_object_new_boolean(can_start ? 1 : 0));
        json_object_object_add(o, "cronId", json_object_new_int64(cron_id));
    }
    return finish_json(p, o);
}

const char *charon_json_id(apr_pool_t *p, apr_int64_t id)
{
    json_object *o = json_object_new_object();

    if (o != NULL)
        json_object_object_add(o, "id", json_object_new_int64(id));
    return finish_json(p, o);
}

/* The members every problem document has. */
static json_object *problem_object(int status, const char *title,
                                   const char *detail)
{
    json_object *o = json_object_new_object();

    if (o != NULL) {
        json_object_object_add(o, "type",
                               json_object_new_string("about:blank"));
        json_object_object_add(o, "title", new_string(title));
        json_object_object_add(o, "status", json_object_new_int(status));
        json_object_object_add(o, "detail", new_string(detail));
    }
    return o;
}

const char *charon_json_problem(apr_pool_t *p, int status, const char *title,
                                const char *detail, const char *field)
{
    json_object *o = problem_object(status, title, detail);

    if (o != NULL && field != NULL)
        json_object_object_add(o, "field", json_object_new_string(field));
    return finish_json(p, o);
}

/* Adds the refusal's members that are set. */
static void add_refusal(json_object *o, const charon_refusal_t *why)
{
    json_object_object_add(o, "refusal", new_string(why->refusal));
    if (why->reason != NULL && *why->reason)
        json_object_object_add(o, "reason", new_string(why->reason));
    if (why->until != NULL && *why->until)
        json_object_object_add(o, "until", new_string(why->until));
    if (why->running_id > 0)
        json_object_object_add(o, "runningExecutionId",
                               json_object_new_int64(why->running_id));
}

const char *charon_json_cannot_start(apr_pool_t *p, const char *slug,
                                     apr_int64_t cron_id,
                                     const charon_refusal_t *why)
{
    json_object *o = json_object_new_object();

    if (o != NULL) {
        json_object_object_add(o, "slug", new_string(slug));
        json_object_object_add(o, "canStart", json_object_new_boolean(0));
        json_object_object_add(o, "cronId", json_object_new_int64(cron_id));
        add_refusal(o, why);
    }
    return finish_json(p, o);
}

const char *charon_json_refused(apr_pool_t *p, int status, const char *title,
                                const char *detail,
                                const charon_refusal_t *why)
{
    json_object *o = problem_object(status, title, detail);

    if (o != NULL)
        add_refusal(o, why);
    return finish_json(p, o);
}

const char *charon_json_end(apr_pool_t *p, apr_int64_t id, const char *lost_at)
{
    json_object *o = json_object_new_object();

    if (o != NULL) {
        json_object_object_add(o, "id", json_object_new_int64(id));
        if (lost_at != NULL && *lost_at) {
            json_object_object_add(o, "late", json_object_new_boolean(1));
            json_object_object_add(o, "lostAt", new_string(lost_at));
        }
    }
    return finish_json(p, o);
}

/* ---- statuses ----------------------------------------------------------- */

const char *charon_status_title(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 412: return "Precondition Failed";
    case 413: return "Content Too Large";
    case 418: return "I'm a teapot";
    case 422: return "Unprocessable Content";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";
    }
}

/* ---- outcomes ----------------------------------------------------------- */

/* Why the cron may not start now.  0 for a cron that is simply off, with
 * no reason and no end given: its answers stay exactly the original API's. */
static int refusal_of(apr_pool_t *p, const charon_cron_t *cron,
                      charon_refusal_t *why)
{
    memset(why, 0, sizeof(*why));
    if (!cron->on) {
        why->refusal = "inactive";
        why->reason = cron->off_reason;
        why->until = cron->off_until;
        return (why->reason && *why->reason) || (why->until && *why->until);
    }
    why->refusal = "locked";
    why->reason =
        apr_psprintf(p, "execution %" APR_INT64_T_FMT " is still running",
                     cron->running_id);
    why->running_id = cron->running_id;
    return 1;
}

static void problem(apr_pool_t *p, charon_answer_t *a, int status,
                    const char *detail)
{
    a->status = status;
    a->json = charon_json_problem(p, status, charon_status_title(status),
                                  detail, NULL);
}

static void refused(apr_pool_t *p, charon_answer_t *a, int status,
                    const char *detail, const charon_cron_t *cron)
{
    charon_refusal_t why;

    if (!refusal_of(p, cron, &why)) {
        problem(p, a, status, detail);
        return;
    }
    a->status = status;
    a->json = charon_json_refused(p, status, charon_status_title(status),
                                  detail, &why);
}

static void can_start(apr_pool_t *p, charon_answer_t *a,
                      const charon_cron_t *cron)
{
    charon_refusal_t why;

    a->status = 200;
    if ((cron->on && !cron->running_id) || !refusal_of(p, cron, &why))
        a->json = charon_json_can_start(p, cron->slug, cron->on, cron->id);
    else
        a->json = charon_json_cannot_start(p, cron->slug, cron->id, &why);
}

void charon_answer_for(apr_pool_t *p, const charon_outcome_t *o,
                       charon_answer_t *a)
{
    switch (o->what) {
    case CHARON_CAN_START: can_start(p, a, &o->cron); return;
    case CHARON_STARTED:
    case CHARON_MESSAGE_ADDED:
        a->status = 200;
        a->json = charon_json_id(p, o->id);
        return;
    case CHARON_ENDED:
        a->status = 200;
        a->json = charon_json_end(p, o->id, o->lost_at);
        return;
    case CHARON_NO_SLUG: problem(p, a, 404, "no cron has this slug"); return;
    case CHARON_NO_CRON: problem(p, a, 404, "no cron has this id"); return;
    case CHARON_NO_EXECUTION:
        problem(p, a, 404, "no execution has this id");
        return;
    case CHARON_ALREADY_ENDED:
        problem(p, a, 409, "the execution has already ended");
        return;
    case CHARON_REFUSED_OFF:
        refused(p, a, 418, "the cron is not active", &o->cron);
        return;
    case CHARON_REFUSED_LOCKED:
        refused(p, a, 409,
                "another execution of this cron is still running, "
                "and the cron forbids overlapping runs",
                &o->cron);
        return;
    }
    problem(p, a, 500, "unknown outcome");
}
