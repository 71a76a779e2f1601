/*
 * post.h: what the manager's changes share: the POST being answered and
 * its answers (post.c), for the actions written in other files
 * (post_alerts.c).
 */
#ifndef CHARON_ADMIN_POST_H
#define CHARON_ADMIN_POST_H

#include "admin/pages.h"

typedef struct {
    request_rec *r;
    apr_table_t *form;
    const char *action;
    apr_int64_t cron_id; /* 0 for create and alert-test */
    const char *cron;    /* its text */
    charon_db *db;       /* opened once: each open takes a ticket */
    int alerts;          /* the form is on the alerts page */
} mgr_post_t;

/* s without blanks around it (a form's text field). */
const char *mgr_trimmed(apr_pool_t *p, const char *s);
#define MGR_FIELD(ps, name) \
    mgr_trimmed((ps)->r->pool, apr_table_get((ps)->form, (name)))
charon_db *mgr_post_db(mgr_post_t *ps);
/* The page the form was on, again, with the message and what was sent;
 * field: the one refused, when the message is about one (or NULL). */
int mgr_reshow(mgr_post_t *ps, int status, const char *error,
               const char *field);
/* What a change to a cron came to: 303 to its page, or why not. */
int mgr_changed(mgr_post_t *ps, charon_db_e rv, charon_change_e out,
                const char *what);

/* post_alerts.c: a cron's alert policy and mute; a channel's test. */
int mgr_do_alert_policy(mgr_post_t *ps);
int mgr_do_mute(mgr_post_t *ps);
int mgr_do_unmute(mgr_post_t *ps);
int mgr_do_alert_test(mgr_post_t *ps);

#endif /* CHARON_ADMIN_POST_H */
