/*
 * alert_parts.h: what the alert files of src/lib share among themselves
 * (alert.h is what the rest of the module sees).
 */
#ifndef CHARON_ALERT_PARTS_H
#define CHARON_ALERT_PARTS_H

#include "lib/alert.h"

#include <json-c/json.h>

/* ---- alert_url.c: URLs and addresses of CharonAlert ------------------- */

/* NULL when url is http(s)://host[:port][/...] (or smtp(s):// for smtp),
 * else why not, in words that never quote the URL. */
const char *charon_alert_check_http(const char *url);
const char *charon_alert_check_smtp(const char *url);
/* 1 for a plain addr-spec: dot-atom@domain, ASCII, at most 254 bytes. */
int charon_alert_addr_ok(const char *addr);

/* ---- alert_text.c: the words of an event ------------------------------ */

#define CHARON_ALERT_NO_MAX ((apr_size_t)-1)

/* s (NULL: "") as valid UTF-8 (bad bytes U+FFFD), at most max bytes, cut
 * on a character; with `flat`, controls (CR, LF, tab...) become blanks,
 * so the result fits on one line of a header or a title; without, only
 * LF and tab are kept (CR LF is LF).  A cut text ends in "…". */
const char *charon_alert_clean(apr_pool_t *p, const char *s, apr_size_t max,
                               int flat);
/* "2026-12-07T10:00:00Z" in the pool. */
const char *charon_alert_iso(apr_pool_t *p, int64_t t);
/* The state after the event: "down", "up"; NULL for a test. */
const char *charon_alert_state_name(charon_event_e e);
/* "cron backup-db is down" (the summary's head, one line, no data but
 * the cleaned slug) and "[charon] cron backup-db is down" for subjects. */
const char *charon_alert_headline(apr_pool_t *p, const charon_alert_doc_t *d);
/* The event's details in plain text, LF lines: the cron, each run with
 * its messages (indented), the page, the event id.  Lines from data are
 * indented, so none starts with "." or "From ". */
const char *charon_alert_details(apr_pool_t *p, const charon_alert_doc_t *d);
/* Only the runs' lines of the details (each run, then its messages). */
const char *charon_alert_runs_text(apr_pool_t *p, const charon_alert_doc_t *d);
/* A duration as the document writes it: "12.5", "3" (milliseconds at
 * most). */
const char *charon_alert_seconds(apr_pool_t *p, double secs);
/* An RFC 2047 encoded-word form of a UTF-8 header value when it is not
 * plain printable ASCII (words separated by `sep`), else the value. */
const char *charon_alert_rfc2047(apr_pool_t *p, const char *s,
                                 const char *sep);

/* The event id, cleaned: one line of at most 64 bytes. */
const char *charon_alert_event_id(apr_pool_t *p, const charon_alert_doc_t *d);

/* ---- alert_chat.c ----------------------------------------------------- */

/* Slack, Mattermost, Teams, Discord: the body; NULL for another format. */
json_object *charon_alert_chat(apr_pool_t *p, charon_format_e f,
                               const charon_alert_doc_t *d);

/* ---- alert_payload.c: JSON ------------------------------------------- */

/* Serialized compactly ("/" unescaped) into p; o is released. */
const char *charon_alert_json(apr_pool_t *p, json_object *o);
/* A string of data, cleaned (charon_alert_clean, not flat). */
json_object *charon_alert_jstr(apr_pool_t *p, const char *s, apr_size_t max);
/* The document's "runs" array. */
json_object *charon_alert_runs_json(apr_pool_t *p,
                                    const charon_alert_doc_t *d);

#endif /* CHARON_ALERT_PARTS_H */
