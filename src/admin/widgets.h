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
/* A run's outcome (ME_OUTCOME): running, success, failure, lost, or
 * for a slot no start came for, missed or unknown. */
const char *mgr_outcome(const char *s);
/* 1 for such a slot's row (the watchdog's: no run, no messages). */
int mgr_slot_row(const char *const *row);
/* Attributes that mark the field a refused form was refused for. */
const char *mgr_invalid(const mgr_view_t *v, const char *action,
                        const char *name);
/* The durations of a cron's latest runs (MGR_HISTORY) as inline SVG. */
void mgr_sparkline(mgr_page_t *pg, const charon_rows_t *history);

/* schedule.c: a cron's schedule (MC_ columns).  Its state, with the
 * reason when it is invalid; the cron page's facts of it (zone, grace,
 * the next slots, the slots missed); the form that changes it. */
void mgr_sched_state(mgr_page_t *pg, const char *const *row);
void mgr_sched_cell(mgr_page_t *pg, const char *const *row);
void mgr_sched_facts(mgr_page_t *pg, const char *const *row);
void mgr_sched_form(mgr_page_t *pg, const char *const *row,
                    const mgr_view_t *v);

/* cron_alerts.c: a cron's alert state and policy (MGR_ALERT), and the
 * forms that change its policy and mute it. */
mgr_result_e mgr_cron_alerts(mgr_page_t *pg, charon_db *db, const char *id,
                             const mgr_view_t *v);

/* cron_changes.c: the cron's latest changes through the management API. */
mgr_result_e mgr_cron_changes(mgr_page_t *pg, charon_db *db, const char *slug);

#endif /* CHARON_ADMIN_WIDGETS_H */
