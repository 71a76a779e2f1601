/*
 * widgets.h: the parts the manager's pages share.
 */
#ifndef CHARON_ADMIN_WIDGETS_H
#define CHARON_ADMIN_WIDGETS_H

#include "admin/page.h"

/* A time from the database (ISO 8601 with Z), as <time>, or a dash. */
void mgr_time(mgr_page_t *pg, const char *iso);
/* A database's 0/1 (or t/f) column. */
int mgr_flag(const char *v);
/* The hidden fields every POST form carries. */
void mgr_form_hidden(mgr_page_t *pg, const char *action, const char *cron);
/* The value to show in a form field: the refused POST's, else dflt. */
const char *mgr_field(const mgr_view_t *v, const char *action,
                      const char *name, const char *dflt);
/* Parts of a cron's row (MC_ columns) that both pages show. */
void mgr_state_text(mgr_page_t *pg, const char *const *row);
void mgr_policy_text(mgr_page_t *pg, const char *const *row);
const char *mgr_rate(apr_pool_t *p, const char *const *row);
/* A run's outcome (ME_OUTCOME): running, success, failure or lost. */
const char *mgr_outcome(const char *s);
/* The durations of a cron's latest runs (MGR_HISTORY) as inline SVG. */
void mgr_sparkline(mgr_page_t *pg, const charon_rows_t *history);

#endif /* CHARON_ADMIN_WIDGETS_H */
