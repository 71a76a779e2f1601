/*
 * alert.h: alerts without httpd (issue 14).
 *
 *   alert_state.c    a cron's alert state machine: down after
 *                    failure_threshold bad runs, up after
 *                    recovery_threshold good ones, realert, mute; the
 *                    clock is always given.
 *   alert_channel.c  a CharonAlert line: NAME URL [OPTION=VALUE ...],
 *                    its options, which crons and events go to it; the
 *                    retry backoff.  alert_line.c splits a line of
 *                    CharonAlertFile as httpd would; alert_url.c checks
 *                    URLs and addresses and shows a URL redacted.
 *   alert_payload.c  the event document (JSON) and its parser; what each
 *                    preset makes of it: alert_chat.c (slack, mattermost,
 *                    teams, discord), alert_presets.c (ntfy, gotify,
 *                    pagerduty, opsgenie); alert_mail.c, a mail message;
 *                    alert_text.c, the words they share.  alert_parts.h
 *                    is what these files share among themselves.
 */
#ifndef CHARON_LIB_ALERT_H
#define CHARON_LIB_ALERT_H

#include <stdint.h>

#include <apr_pools.h>
#include <apr_tables.h>

/* ---- alert_state.c ------------------------------------------------------ */

/* What one run (or slot) came to, as far as alerts go. */
typedef enum {
    CHARON_OUTCOME_SUCCEEDED = 0, /* good */
    CHARON_OUTCOME_FAILED,        /* bad: ended unsuccessfully */
    CHARON_OUTCOME_LOST,          /* bad: never ended (the watchdog) */
    CHARON_OUTCOME_TOO_SHORT,     /* bad: ended before min_runtime */
    CHARON_OUTCOME_MISSED         /* bad: a slot without a start */
} charon_run_outcome_e; /* not charon_outcome_e: answer.c's API outcomes */

/* "succeeded", "failed", "lost", "too_short", "missed"; NULL otherwise. */
const char *charon_outcome_name(charon_run_outcome_e o);
/* 1 and *o for one of those names, else 0. */
int charon_outcome_parse(const char *name, charon_run_outcome_e *o);
int charon_outcome_bad(charon_run_outcome_e o);

/* A cron's alert policy: charon_cron's columns. */
typedef struct {
    int failure_threshold;  /* >= 1, default 1 */
    int recovery_threshold; /* >= 1, default 1 */
    int64_t realert_every;  /* seconds; 0: off (the default) */
    int64_t mute_until;     /* unix seconds; -1: not muted */
} charon_alert_policy_t;

/* A cron's alert state: charon_cron_alert's columns. */
typedef struct {
    int down;           /* 0: up (the start), 1: down */
    int bad_streak;     /* consecutive bad outcomes */
    int good_streak;    /* consecutive good outcomes */
    int64_t changed_at; /* the last change of state; -1: never */
    int64_t alerted_at; /* the last down or realert event; -1: never */
} charon_alert_state_t;

typedef enum {
    CHARON_EVENT_NONE = 0,
    CHARON_EVENT_DOWN,
    CHARON_EVENT_UP,
    CHARON_EVENT_REALERT, /* a down event again: still down */
    CHARON_EVENT_TEST     /* "send a test alert": no state involved */
} charon_event_e;

/* "down", "up", "realert", "test"; NULL for NONE. */
const char *charon_event_name(charon_event_e e);
int charon_event_parse(const char *name, charon_event_e *e);

/* The initial state (up, no streaks, never changed). */
void charon_alert_state_init(charon_alert_state_t *s);
/* One outcome at `now`: updates *s and says which event, if any, it makes;
 * *muted is set to 1 when the policy mutes events at `now` (the event is
 * still made and recorded, not sent). */
charon_event_e charon_alert_step(const charon_alert_policy_t *p,
                                 charon_alert_state_t *s,
                                 charon_run_outcome_e o, int64_t now,
                                 int *muted);
/* No outcome, time passing: a REALERT when the cron is down and
 * realert_every has passed since alerted_at, else NONE. */
charon_event_e charon_alert_tick(const charon_alert_policy_t *p,
                                 charon_alert_state_t *s, int64_t now,
                                 int *muted);
/* Checks a policy's values: NULL when good, else why not (static text). */
const char *charon_alert_policy_check(const charon_alert_policy_t *p);

/* ---- alert_channel.c ---------------------------------------------------- */

typedef enum {
    CHARON_CHANNEL_WEBHOOK = 0, /* http://, https:// */
    CHARON_CHANNEL_MAIL,        /* mailto: */
    CHARON_CHANNEL_EXEC,        /* exec:/absolute/program */
    CHARON_CHANNEL_FILE         /* file:/absolute/path: a line per event */
} charon_channel_kind_e;

typedef enum {
    CHARON_FORMAT_JSON = 0,
    CHARON_FORMAT_SLACK,
    CHARON_FORMAT_MATTERMOST,
    CHARON_FORMAT_TEAMS,
    CHARON_FORMAT_DISCORD,
    CHARON_FORMAT_NTFY,
    CHARON_FORMAT_GOTIFY,
    CHARON_FORMAT_PAGERDUTY,
    CHARON_FORMAT_OPSGENIE
} charon_format_e;

const char *charon_format_name(charon_format_e f);

/* Bits of charon_channel_t.events: 1 << CHARON_EVENT_x. */
#define CHARON_EVENTS_ALL                                \
    ((1u << CHARON_EVENT_DOWN) | (1u << CHARON_EVENT_UP) \
     | (1u << CHARON_EVENT_REALERT) | (1u << CHARON_EVENT_TEST))

typedef struct {
    const char *name; /* [A-Za-z0-9_.-]{1,64} */
    charon_channel_kind_e kind;
    const char *url;           /* as written: may hold secrets, never shown */
    const char *shown;         /* the URL redacted: for logs, pages, metrics */
    charon_format_e format;    /* format=; webhooks only */
    const char *target;        /* webhook: url; exec/file: the path */
    apr_array_header_t *rcpts; /* mailto: const char * addresses */
    const char *smtp;          /* smtp=smtp://host:port (or smtps://); NULL:
                                  /usr/sbin/sendmail -t */
    const char *from;          /* from= (mail); default charon@<hostname> */
    const char *sendmail;      /* sendmail=/absolute/path (mail without
                                  smtp=), run as PATH -t -i; NULL:
                                  /usr/sbin/sendmail (src/send/mail.c) */
    const char *token;         /* token= (gotify app token, opsgenie key,
                                  pagerduty routing key): never shown */
    apr_array_header_t *crons; /* crons=: const char * shell patterns;
                                  empty: every cron */
    unsigned events;           /* events=: bits, default CHARON_EVENTS_ALL;
                                  "down" brings realert, "-realert" drops it */
    int timeout_ms;            /* timeout=SECONDS (total), default 10 s */
    int connect_timeout_ms;    /* connect_timeout=SECONDS, default 5 s */
    int backoff;               /* backoff=SECONDS: the first retry's delay,
                                  doubling, capped at 1 h; default 10 */
    int give_up;               /* give_up=SECONDS: no retry after this long
                                  since the event; default 86400 (24 h) */
    const char *smtp_shown;    /* smtp= redacted as shown is; NULL without */
} charon_channel_t;

/* Parses one CharonAlert line's arguments (argv[0] the name, argv[1] the
 * URL, then OPTION=VALUE); 0 and *out, or -1 with *err (no secret in it). */
int charon_channel_parse(apr_pool_t *p, int argc, const char *const *argv,
                         charon_channel_t **out, const char **err);
/* Splits a line of CharonAlertFile into words as httpd does (quotes) and
 * parses it: 1 for a channel, 0 for a blank or # line, -1 with *err. */
int charon_channel_parse_line(apr_pool_t *p, const char *line,
                              charon_channel_t **out, const char **err);
/* 1 when an event of this cron (slug) and kind goes to the channel; slug
 * NULL (a channel's own test) matches for TEST only, whatever crons=. */
int charon_channel_wants(const charon_channel_t *c, const char *slug,
                         charon_event_e e);
/* The delay before attempt n+1 (n >= 1 attempts made): 10 s doubling,
 * capped at 1 h, with jitter from `rnd` (0 .. 2^32-1): the result lies
 * within [d/2, d] of the capped delay d. */
int64_t charon_alert_backoff(int attempts, uint32_t rnd);
/* The same from a first delay other than 10 s (the channel's backoff=). */
int64_t charon_alert_backoff_from(int64_t first, int attempts, uint32_t rnd);
/* A URL as it may be shown: a password in it, query values, the fragment
 * and path segments that look like tokens become "***". */
const char *charon_alert_redact(apr_pool_t *p, const char *url);

/* ---- alert_payload.c ---------------------------------------------------- */

typedef struct {
    const char *type; /* "warning", "info", "success", "error" */
    const char *message;
    int64_t at; /* unix seconds */
} charon_alert_msg_t;

typedef struct {
    int64_t execution_id; /* 0 for a missed slot */
    charon_run_outcome_e outcome;
    int64_t started_at; /* unix seconds; -1: none (a missed slot) */
    int64_t ended_at;   /* -1: none */
    double duration;    /* seconds; < 0: none */
    int64_t slot;       /* the slot, -1: none */
    const charon_alert_msg_t *msgs; /* the last few, oldest first */
    int nmsgs;
} charon_alert_run_t;

/* An event, as stored in charon_alert_event.document. */
typedef struct {
    const char *id; /* stable event id (a UUID) */
    charon_event_e event;
    int64_t at; /* unix seconds */
    int64_t cron_id;
    const char *slug, *name;
    const char *url; /* the cron on the manager page; NULL without
                           CharonManagerURL */
    int muted;
    const charon_alert_run_t *runs; /* the run(s) that caused it */
    int nruns;
} charon_alert_doc_t;

/* At most this many messages a run, this many bytes a message. */
#define CHARON_ALERT_MAX_MSGS    5
#define CHARON_ALERT_MAX_MSG_LEN 500

/* The event document, JSON (the "json" format and what is stored). */
const char *charon_alert_document(apr_pool_t *p, const charon_alert_doc_t *d);
/* The document parsed back (from the store): 0, or -1 when it is not one. */
int charon_alert_document_parse(apr_pool_t *p, const char *json,
                                charon_alert_doc_t *out);
/* What goes to a webhook in format f: the body, *content_type, and extra
 * headers as "Name: value" strings in *headers (for ntfy's Title/Tags, for
 * Gotify's X-Gotify-Key, Opsgenie's Authorization: GenieKey ...). The
 * X-Charon-Event-Id header is the transport's, not here. */
const char *charon_alert_payload(apr_pool_t *p, const charon_channel_t *c,
                                 const charon_alert_doc_t *d,
                                 const char **content_type,
                                 apr_array_header_t **headers);
/* Where the payload goes: c->target, except for an opsgenie up event,
 * which closes the alert at TARGET/charon-cron-ID/close?identifierType=alias.
 */
const char *charon_alert_target(apr_pool_t *p, const charon_channel_t *c,
                                const charon_alert_doc_t *d);
/* A whole mail message (headers, blank line, text body; CRLF lines; a
 * Message-ID made from the event id, X-Charon-Event-Id header). */
const char *charon_alert_mail(apr_pool_t *p, const charon_channel_t *c,
                              const charon_alert_doc_t *d);
/* A one-line summary: "cron backup-db is down: failed (exit ...)". */
const char *charon_alert_summary(apr_pool_t *p, const charon_alert_doc_t *d);

#endif
