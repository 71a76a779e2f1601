/*
 * manage.h: the management API's documents (docs/MANAGEMENT.md), with no
 * httpd: a cron's document and its ETag, the PUT and PATCH bodies that
 * change it, the lists' query parameters, and the documents of
 * executions, alerts and the record of changes.
 */
#ifndef CHARON_MANAGE_H
#define CHARON_MANAGE_H

#include <apr_pools.h>
#include <apr_tables.h>

/* ---- cron_doc.c: a cron's document ------------------------------------ */

#define CHARON_NAME_MAX_CHARS   255
#define CHARON_REASON_MAX_CHARS 1000
#define CHARON_SECONDS_MAX      2147483647 /* the databases' INTEGER */

/* What PUT and PATCH may set.  Times are Unix seconds, 0 for none; a
 * number of seconds 0 is none (NULL) too. */
typedef struct {
    const char *name;
    int active;
    const char *off_reason; /* NULL: none */
    apr_int64_t off_until;
    const char *concurrency; /* "allow" or "forbid" */
    apr_int64_t max_runtime;
    const char *schedule; /* NULL: unscheduled */
    const char *timezone; /* NULL: the default zone */
    apr_int64_t grace;
    apr_int64_t min_runtime;
    apr_int64_t failure_threshold;
    apr_int64_t recovery_threshold;
    apr_int64_t realert_every;
    apr_int64_t mute_until;
} charon_crondef_t;

/* A cron as GET answers it. */
typedef struct {
    apr_int64_t id;
    const char *slug;
    apr_int64_t created_at;
    charon_crondef_t def;
} charon_crondoc_t;

/* Every field at its default (name NULL: it has none). */
void charon_crondef_defaults(charon_crondef_t *d);
/* The document, its members always in the same order, in p. */
const char *charon_crondoc_json(apr_pool_t *p, const charon_crondoc_t *c);
/* The strong ETag of a document: a quoted digest of its text. */
const char *charon_etag(apr_pool_t *p, const char *json);
/* 1 when an If-Match (or If-None-Match) value names etag, or is "*"
 * and etag is not NULL (NULL: no current document). */
int charon_etag_matches(const char *header, const char *etag);
/* 1 when the two definitions are the same. */
int charon_crondef_equal(const charon_crondef_t *a, const charon_crondef_t *b);
/* The fields of two definitions that differ, comma-separated, or "". */
const char *charon_crondef_diff(apr_pool_t *p, const charon_crondef_t *a,
                                const charon_crondef_t *b);

typedef enum {
    CHARON_BODY_PUT,  /* the definition replaced, the switches kept */
    CHARON_BODY_PATCH /* a JSON merge patch on the document */
} charon_body_kind_e;

/* The body of a PUT or PATCH of the cron `slug` applied to *cur (NULL:
 * none yet, a PUT creates it): 1 and *out, or 0 and *err (400, 422). */
int charon_crondef_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                         const char *slug, const charon_crondef_t *cur,
                         charon_body_kind_e kind, charon_crondef_t *out,
                         charon_error_t *err);
/* The body of `off`: {"reason": ..., "until": ...}, both optional; an
 * empty body is {}.  1, or 0 and *err. */
int charon_off_parse(apr_pool_t *p, const char *buf, apr_size_t len,
                     const char **reason, apr_int64_t *until,
                     charon_error_t *err);
/* "2026-12-07T10:00:00Z" from the database: 1 and *secs, or 0. */
int charon_iso_seconds(const char *iso, apr_int64_t *secs);
/* Unix seconds as "2026-12-07T10:00:00Z", in p. */
const char *charon_iso_text(apr_pool_t *p, apr_int64_t secs);

/* ---- manage_query.c: routes and the lists' query parameters ---------- */

typedef enum {
    CHARON_MR_NONE = 0,
    CHARON_MR_CRONS,      /* crons */
    CHARON_MR_CRON,       /* crons/{slug} */
    CHARON_MR_CRON_OFF,   /* crons/{slug}/off */
    CHARON_MR_CRON_ON,    /* crons/{slug}/on */
    CHARON_MR_CRON_EXECS, /* crons/{slug}/executions */
    CHARON_MR_EXECUTION,  /* executions/{id} */
    CHARON_MR_ALERTS,     /* alerts */
    CHARON_MR_AUDIT       /* audit */
} charon_mroute_e;

/* The route of a path under the mount (percent-decoded): *arg the slug
 * or the id as sent; CHARON_MR_NONE for any other shape. */
charon_mroute_e charon_manage_route(apr_pool_t *p, const char *path,
                                    const char **arg);

typedef struct {
    int limit;
    const char *cursor;  /* NULL: the first page */
    const char *slug;    /* a pattern, or NULL */
    const char *state;   /* "on", "off", or NULL */
    const char *outcome; /* running, success... or NULL */
    apr_int64_t since;   /* Unix seconds, 0: none */
    apr_int64_t until;   /* Unix seconds, 0: none */
    int dry_run;
    int delete_executions; /* executions=delete */
} charon_query_t;

/* Which parameters a route takes (bits). */
#define CHARON_Q_PAGE       1
#define CHARON_Q_SLUG       2
#define CHARON_Q_STATE      4
#define CHARON_Q_OUTCOME    8
#define CHARON_Q_TIMES      16
#define CHARON_Q_DRY_RUN    32
#define CHARON_Q_EXECUTIONS 64
#define CHARON_Q_ID_CURSOR  128 /* the cursor is an id */

/* The query string args (NULL: none) for a route taking `allowed`, whose
 * pages hold def_limit (1..max_limit) by default: NULL and *q, or why not
 * (a 400), with *param the parameter in question. */
const char *charon_query_parse(apr_pool_t *p, const char *args, int allowed,
                               int def_limit, int max_limit, charon_query_t *q,
                               const char **param);

/* ---- manage_json.c: the other documents -------------------------------- */

/* A list under construction: items added one by one, then the whole. */
typedef struct charon_list charon_list;
charon_list *charon_list_make(void);
/* json: a document this layer built (one item). */
void charon_list_add(charon_list *l, const char *json);
/* {"items": [...], "next_cursor": next or null}; frees l. */
const char *charon_list_json(apr_pool_t *p, charon_list *l, const char *next);

/* An execution: the database's columns as text (NULL for NULL). */
typedef struct {
    const char *id, *cron, *started_at, *ended_at, *outcome, *success, *type,
        *duration, *application, *remote_addr, *lost_at, *slot;
} charon_exec_row_t;

const char *charon_exec_json(apr_pool_t *p, const charon_exec_row_t *e,
                             const char *messages /* a list, or NULL */);
const char *charon_message_json(apr_pool_t *p, const char *id,
                                const char *type, const char *message,
                                const char *created_at);

typedef struct {
    const char *channel, *state, *attempts, *due_at, *delivered_at, *error;
} charon_delivery_row_t;

/* An alert event; deliveries: charon_delivery_row_t. */
const char *charon_event_json(apr_pool_t *p, const char *uid, const char *slug,
                              const char *event, int muted,
                              const char *created_at,
                              const apr_array_header_t *deliveries);
/* {"name", "kind", "target"} of a channel, the target shown redacted. */
const char *charon_channel_json(apr_pool_t *p, const char *name,
                                const char *kind, const char *target);
/* {"channels": [...], "events": {...}} from their documents. */
const char *charon_alerts_json(apr_pool_t *p,
                               const apr_array_header_t *channels,
                               const char *events);
/* An audit entry; before and after: documents, or NULL. */
const char *charon_audit_json(apr_pool_t *p, const char *id, const char *at,
                              const char *who, const char *action,
                              const char *slug, const char *before,
                              const char *after);

/* The members of two documents (NULL: none) that differ, comma-separated:
 * what a recorded change touched ("created", "deleted" at either end). */
const char *charon_audit_fields(apr_pool_t *p, const char *before,
                                const char *after);

#endif /* CHARON_MANAGE_H */
