/*
 * widgets.c: the parts the manager's pages share: times, a cron's state
 * and policy, its success rate, the sparkline of its latest runs, and the
 * hidden fields of every form.
 */
#include "admin/widgets.h"
#include "admin/csrf.h"

#include "apr_strings.h"

void mgr_time(mgr_page_t *pg, const char *iso)
{
    if (!iso || !*iso) {
        mgr_puts(pg, "<span class=\"muted\">&ndash;</span>");
        return;
    }
    /* "2026-11-29T10:00:00Z", shown as "2026-11-29 10:00:00" */
    mgr_printf(pg, "<time datetime=\"%s\">", charon_html(pg->r->pool, iso));
    mgr_esc(pg, strlen(iso) >= 19 ? apr_pstrcat(
                    pg->r->pool, apr_pstrndup(pg->r->pool, iso, 10), " ",
                    apr_pstrndup(pg->r->pool, iso + 11, 8), NULL)
                                  : iso);
    mgr_puts(pg, "</time>");
}

int mgr_flag(const char *v)
{
    return v && (!strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "true"));
}

int mgr_slot_row(const char *const *row)
{
    const char *o = row[ME_OUTCOME];

    return o && (!strcmp(o, "missed") || !strcmp(o, "unknown"));
}

const char *mgr_invalid(const mgr_view_t *v, const char *action,
                        const char *name)
{
    if (v->error_field && v->form_action && !strcmp(v->form_action, action)
        && !strcmp(v->error_field, name)) {
        return " class=\"invalid\" aria-invalid=\"true\"";
    }
    return "";
}

void mgr_form_hidden(mgr_page_t *pg, const char *action, const char *cron)
{
    if (!pg->nonce) {
        pg->nonce = mgr_nonce_make(pg->r);
    }
    mgr_printf(pg,
               "<input type=\"hidden\" name=\"nonce\" value=\"%s\">"
               "<input type=\"hidden\" name=\"action\" value=\"%s\">",
               charon_html(pg->r->pool, pg->nonce),
               charon_html(pg->r->pool, action));
    if (cron) {
        mgr_printf(pg, "<input type=\"hidden\" name=\"cron\" value=\"%s\">",
                   charon_html(pg->r->pool, cron));
    }
}

const char *mgr_field(const mgr_view_t *v, const char *action,
                      const char *name, const char *dflt)
{
    const char *got;

    if (v->form && v->form_action && !strcmp(v->form_action, action)
        && (got = apr_table_get(v->form, name)) != NULL) {
        return got;
    }
    return dflt ? dflt : "";
}

/* The outcome of a run, as a class name: one of six words. */
const char *mgr_outcome(const char *s)
{
    static const char *const known[] = {"running", "success", "failure",
                                        "lost",    "missed",  "unknown"};
    apr_size_t i;

    for (i = 0; s && i < sizeof(known) / sizeof(known[0]); i++) {
        if (!strcmp(s, known[i])) {
            return known[i];
        }
    }
    return "failure";
}

void mgr_sparkline(mgr_page_t *pg, const charon_rows_t *h)
{
    apr_pool_t *p = pg->r->pool;
    double d[CHARON_MGR_HISTORY], max = 0;
    int i, n = h->nrows < CHARON_MGR_HISTORY ? h->nrows : CHARON_MGR_HISTORY;

    if (n == 0) {
        mgr_puts(pg, "<span class=\"muted\">no runs yet</span>");
        return;
    }
    for (i = 0; i < n; i++) {
        const char *v = h->rows[i][ME_DURATION];

        /* A slot with no run has no duration (its row's is 0). */
        d[i] = v && *v && !mgr_slot_row(h->rows[i]) ? strtod(v, NULL) : 0;
        if (d[i] != d[i] || d[i] < 0) {
            d[i] = 0;
        }
        if (d[i] > max) {
            max = d[i];
        }
    }
    /* Bars of 5 px, newest at the right; the longest run is full height. */
    mgr_printf(
        pg,
        "<svg class=\"spark\" xmlns=\"http://www.w3.org/2000/svg\" "
        "width=\"%d\" height=\"28\" viewBox=\"0 0 %d 28\" role=\"img\" "
        "aria-label=\"durations of the last %d runs, longest %s\">",
        CHARON_MGR_HISTORY * 6, CHARON_MGR_HISTORY * 6, n,
        charon_html(p, charon_human_duration(p, apr_psprintf(p, "%f", max))));
    /* Oldest first, as they are drawn. */
    for (i = n - 1; i >= 0; i--) {
        const char *const *row = h->rows[i];
        const char *outcome = mgr_outcome(row[ME_OUTCOME]);
        int slot = mgr_slot_row(row);
        const char *dur =
            slot ? NULL : charon_human_duration(p, row[ME_DURATION]);
        /* A slot no run came for is a full bar in its own colour: a gap
         * in the runs shows at a glance. */
        int bar = slot ? 28 : max > 0 ? 2 + (int)(d[i] / max * 24 + 0.5) : 2;

        mgr_printf(pg,
                   "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"5\" "
                   "height=\"%d\"><title>",
                   outcome, (CHARON_MGR_HISTORY - 1 - i) * 6, 28 - bar, bar);
        mgr_esc(pg,
                apr_pstrcat(p, "#", row[ME_ID] ? row[ME_ID] : "?",
                            slot ? " slot " : " started ",
                            row[ME_STARTED] ? row[ME_STARTED] : "?", ": ",
                            outcome, dur ? ", " : "", dur ? dur : "", NULL));
        mgr_puts(pg, "</title></rect>");
    }
    mgr_puts(pg, "</svg>");
}

/* "on", or "off: reason until ... UTC". */
void mgr_state_text(mgr_page_t *pg, const char *const *row)
{
    const char *reason = row[MC_OFF_REASON], *until = row[MC_OFF_UNTIL];

    if (mgr_flag(row[MC_ON])) {
        mgr_puts(pg, "<b class=\"on-word\">on</b>");
        return;
    }
    mgr_puts(pg, "<b class=\"off-word\">off</b>");
    if (reason && *reason) {
        mgr_puts(pg, ": <span class=\"reason\">");
        mgr_esc(pg, reason);
        mgr_puts(pg, "</span>");
    }
    if (until && *until) {
        mgr_puts(pg, " <span class=\"until nowrap\">until ");
        mgr_time(pg, until);
        mgr_puts(pg, " UTC</span>");
    }
}

void mgr_policy_text(mgr_page_t *pg, const char *const *row)
{
    const char *c = row[MC_CONCURRENCY], *max = row[MC_MAX_RUNTIME];

    mgr_puts(pg, c && !strcmp(c, "forbid") ? "one run at a time"
                                           : "overlapping runs allowed");
    if (max && *max) {
        mgr_puts(pg, "<br><span class=\"muted\">lost after ");
        mgr_esc(pg, max);
        mgr_puts(pg, " s</span>");
    }
}

/* "97.5 %" of the runs that ended or were lost. */
const char *mgr_rate(apr_pool_t *p, const char *const *row)
{
    apr_int64_t ok = apr_atoi64(row[MC_SUCCEEDED] ? row[MC_SUCCEEDED] : "0");
    apr_int64_t all = ok + apr_atoi64(row[MC_FAILED] ? row[MC_FAILED] : "0")
                      + apr_atoi64(row[MC_LOST] ? row[MC_LOST] : "0");

    if (all <= 0) {
        return NULL;
    }
    return apr_psprintf(p, "%.1f %%", 100.0 * (double)ok / (double)all);
}
