/*
 * pages.h: the manager's pages, which a refused change shows again.
 */
#ifndef CHARON_ADMIN_PAGES_H
#define CHARON_ADMIN_PAGES_H

#include "admin/page.h"

/* page_list.c: GET <mount>[?slug=&state=&page=] */
int mgr_list_page(request_rec *r, charon_db *db, const mgr_view_t *v);
/* page_cron.c: GET <mount>?cron=N[&before=E] */
int mgr_cron_page(request_rec *r, charon_db *db, apr_int64_t cron_id,
                  const mgr_view_t *v);
/* page_alerts.c: GET <mount>?alerts[&before=E] */
int mgr_alerts_page(request_rec *r, charon_db *db, const mgr_view_t *v);
/* post.c: POST <mount> */
int mgr_post(request_rec *r);

#endif /* CHARON_ADMIN_PAGES_H */
