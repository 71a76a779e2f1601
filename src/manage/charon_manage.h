/*
 * charon_manage.h: the management API's handler (`SetHandler
 * charon-admin`, docs/MANAGEMENT.md): crons read, changed and recorded
 * over JSON, for Ansible, Terraform, scripts and `charon-run apply`.
 *
 *   handler.c  who asks (a scoped key or httpd's user), the route, the
 *              method; the answers every route sends
 *   changes.c  PUT, PATCH, DELETE, off, on
 *   reads.c    the lists and documents
 */
#ifndef CHARON_MANAGE_H_
#define CHARON_MANAGE_H_

#include "http/charon_http.h"

int charon_manage_handler(request_rec *r);

/* ---- what the files of the handler share -------------------------------- */

typedef struct {
    request_rec *r;
    const charon_key_t *key; /* NULL: httpd authenticated r->user */
    int rights;              /* CHARON_ADMIN_READ or _WRITE */
    const char *who;         /* "key:NAME" or "user:NAME" */
    charon_mroute_e route;
    const char *arg; /* the slug, or the execution's id */
} charon_mreq_t;

/* 1 when the caller may see the cron with this slug (NULL: none, as a
 * test event has). */
int charon_manage_sees(const charon_mreq_t *m, const char *slug);

/* Answers; each returns what the handler returns. */
int charon_manage_doc(request_rec *r, int status, const char *json);
int charon_manage_problem(request_rec *r, int status, const char *detail,
                          const char *field);
int charon_manage_unavailable(request_rec *r, const char *why);
/* The query string for a route taking these CHARON_Q_ parameters: 1 and
 * *q, or 0 with the 400 sent (*rc). */
int charon_manage_query(charon_mreq_t *m, int allowed, int def_limit,
                        int max_limit, charon_query_t *q, int *rc);
/* The request's database, or NULL with the 503 sent (*rc). */
charon_db *charon_manage_db(charon_mreq_t *m, int *rc);

int charon_manage_change(charon_mreq_t *m);
int charon_manage_list_crons(charon_mreq_t *m);
int charon_manage_get_cron(charon_mreq_t *m);
int charon_manage_executions(charon_mreq_t *m);
int charon_manage_execution(charon_mreq_t *m);
int charon_manage_alerts(charon_mreq_t *m);
int charon_manage_audit(charon_mreq_t *m);

#endif /* CHARON_MANAGE_H_ */
