/*
 * schedule.c: a cron's schedule as the manager shows it: where its slots
 * stand (on the list and on the cron's page), the facts of it on the
 * cron's page (zone, grace, minimum runtime, the next slots in its zone
 * and in UTC, the slots missed), and the form that changes it.
 *
 * What is decided (the state, the slots) is decided in src/lib
 * (schedule_view.c); this file writes it out.
 */
#include "admin/widgets.h"

#include "apr_strings.h"

#define NEXT_SLOTS 5

/* The zone the cron's schedule is read in: its own, or the default of
 * this server (CharonDefaultTimezone, else UTC). */
static const char *zone_of(mgr_page_t *pg, const char *const *row,
                           int *is_default)
{
    const char *z = row[MC_TIMEZONE];

    *is_default = !z || !*z;
    return *is_default ? charon_default_zone(pg->r->server) : z;
}

static charon_sched_state_e state_of(mgr_page_t *pg, const char *const *row,
                                     const char **why)
{
    charon_sched_in_t in;
    int is_default;

    in.schedule = row[MC_SCHEDULE];
    in.zone = zone_of(pg, row, &is_default);
    in.on = mgr_flag(row[MC_ON]);
    in.watched = mgr_flag(row[MC_WATCHED]);
    in.watch_error = row[MC_WATCH_ERROR];
    in.last_state = row[MC_LAST_STATE];
    in.due = mgr_flag(row[MC_DUE]);
    return charon_sched_state(pg->r->pool, &in, why);
}

void mgr_sched_state(mgr_page_t *pg, const char *const *row)
{
    const char *why;
    charon_sched_state_e st = state_of(pg, row, &why);
    const char *name = charon_sched_state_name(st);

    mgr_printf(pg,
               "<span class=\"sched-state sched-%s\" "
               "data-sched-state=\"%s\">%s</span>",
               name, name, charon_sched_state_label(st));
    if (why) {
        mgr_puts(pg, ": <span class=\"sched-why\">");
        mgr_esc(pg, why);
        mgr_puts(pg, "</span>");
    }
    /* Due or off says nothing of the slot judged last: a miss there is
     * still news (and what the list's missed filter found). */
    if ((st == CHARON_SCHED_DUE || st == CHARON_SCHED_OFF)
        && mgr_flag(row[MC_WATCHED]) && row[MC_LAST_STATE]
        && (!strcmp(row[MC_LAST_STATE], "missed")
            || !strcmp(row[MC_LAST_STATE], "unknown"))) {
        mgr_printf(pg,
                   " <span class=\"muted last-state\">(latest slot judged: "
                   "%s)</span>",
                   !strcmp(row[MC_LAST_STATE], "missed") ? "missed"
                                                         : "unknown");
    }
}

/* The list's cell: the schedule, its zone when it has one of its own,
 * and its state. */
void mgr_sched_cell(mgr_page_t *pg, const char *const *row)
{
    const char *s = row[MC_SCHEDULE], *z = row[MC_TIMEZONE];

    if (s && *s) {
        mgr_puts(pg, "<code class=\"sched-text\">");
        mgr_esc(pg, s);
        mgr_puts(pg, "</code>");
        if (z && *z) {
            mgr_puts(pg, " <span class=\"muted zone\">");
            mgr_esc(pg, z);
            mgr_puts(pg, "</span>");
        }
        mgr_puts(pg, "<br>");
    }
    mgr_sched_state(pg, row);
}

/* "300 s (5 min 00 s)", or "none". */
static void seconds(mgr_page_t *pg, const char *v)
{
    apr_pool_t *p = pg->r->pool;
    const char *human;

    if (!v || !*v) {
        mgr_puts(pg, "<span class=\"muted\">none</span>");
        return;
    }
    mgr_printf(pg, "%s s", charon_html(p, v));
    human = charon_human_duration(p, v);
    if (human && apr_atoi64(v) >= 60) {
        mgr_printf(pg, " <span class=\"muted\">(%s)</span>",
                   charon_html(p, human));
    }
}

static void fact(mgr_page_t *pg, const char *label)
{
    mgr_printf(pg, "<dt>%s</dt><dd>", label);
}

/* The next slots, in the cron's zone and in UTC: what the watchdog will
 * judge, so that an operator can check the schedule says what was
 * meant. */
static void next_slots(mgr_page_t *pg, const char *const *row,
                       charon_sched_state_e st)
{
    apr_pool_t *p = pg->r->pool;
    charon_slot_view_t slots[NEXT_SLOTS];
    const char *why, *zone;
    int is_default, i, n;

    if (st == CHARON_SCHED_INVALID) {
        mgr_puts(pg, "<span class=\"muted\">none: the schedule cannot be "
                     "used</span>");
        return;
    }
    zone = zone_of(pg, row, &is_default);
    n = charon_next_slots(p, row[MC_SCHEDULE], zone,
                          apr_time_sec(apr_time_now()), NEXT_SLOTS, slots,
                          &why);
    if (n <= 0) {
        mgr_printf(pg, "<span class=\"muted\">%s</span>",
                   n < 0 ? charon_html(p, why) : "none in the next ten years");
        return;
    }
    mgr_printf(pg,
               "<table id=\"next-slots\" class=\"slots\"><thead><tr>"
               "<th>%s</th><th>UTC</th></tr></thead><tbody>",
               charon_html(p, zone));
    for (i = 0; i < n; i++) {
        mgr_printf(pg,
                   "<tr class=\"slot\" data-utc=\"%s\"><td class=\"local "
                   "nowrap\">%s</td><td class=\"utc nowrap\">",
                   charon_html(p, slots[i].utc),
                   charon_html(p, slots[i].local));
        mgr_time(pg, slots[i].utc);
        mgr_puts(pg, "</td></tr>");
    }
    mgr_puts(pg, "</tbody></table>");
}

void mgr_sched_facts(mgr_page_t *pg, const char *const *c)
{
    apr_pool_t *p = pg->r->pool;
    const char *why, *zone, *s = c[MC_SCHEDULE];
    charon_sched_state_e st = state_of(pg, c, &why);
    int is_default;

    fact(pg, "Schedule");
    if (s && *s) {
        mgr_puts(pg, "<code class=\"sched-text\">");
        mgr_esc(pg, s);
        mgr_puts(pg, "</code> ");
    }
    mgr_sched_state(pg, c);
    mgr_puts(pg, "</dd>");
    fact(pg, "Time zone");
    zone = zone_of(pg, c, &is_default);
    mgr_printf(pg, "<span class=\"zone\">%s</span>%s</dd>",
               charon_html(p, zone),
               is_default ? " <span class=\"muted default-zone\">(the "
                            "default: CharonDefaultTimezone, else UTC)</span>"
                          : "");
    fact(pg, "Grace");
    seconds(pg, c[MC_GRACE]);
    mgr_puts(pg, " <span class=\"muted\">after a slot, its start may "
                 "come</span></dd>");
    fact(pg, "Minimum runtime");
    seconds(pg, c[MC_MIN_RUNTIME]);
    mgr_puts(pg, "</dd>");
    if (s && *s) {
        fact(pg, "Next slots");
        next_slots(pg, c, st);
        mgr_puts(pg, "</dd>");
    }
    fact(pg, "Slots");
    mgr_printf(pg,
               "<span class=\"slot-counts\">%s missed, %s unknown, %s "
               "unscheduled starts</span>",
               charon_html(p, c[MC_MISSED] ? c[MC_MISSED] : "0"),
               charon_html(p, c[MC_UNKNOWN] ? c[MC_UNKNOWN] : "0"),
               charon_html(p, c[MC_UNSCHEDULED] ? c[MC_UNSCHEDULED] : "0"));
    mgr_puts(pg, "</dd>");
    fact(pg, "Last missed slot (UTC)");
    mgr_puts(pg, "<span class=\"last-missed\">");
    mgr_time(pg, c[MC_LAST_MISSED]);
    mgr_puts(pg, "</span></dd>");
}

void mgr_sched_form(mgr_page_t *pg, const char *const *c, const mgr_view_t *v)
{
    apr_pool_t *p = pg->r->pool;

    mgr_printf(pg,
               "<form id=\"schedule\" class=\"row\" method=\"post\" "
               "action=\"%s\">",
               pg->base);
    mgr_form_hidden(pg, "schedule", c[MC_ID]);
    mgr_printf(
        pg,
        "<label>Schedule (five fields, @daily, @every 15m; empty: none) "
        "<input type=\"text\" name=\"schedule\" value=\"%s\" size=\"24\" "
        "spellcheck=\"false\"%s></label>",
        charon_html(p, mgr_field(v, "schedule", "schedule", c[MC_SCHEDULE])),
        mgr_invalid(v, "schedule", "schedule"));
    mgr_printf(
        pg,
        "<label>Time zone (empty: the default, %s) <input type=\"text\" "
        "name=\"timezone\" value=\"%s\" placeholder=\"Europe/Paris\" "
        "spellcheck=\"false\"%s></label>",
        charon_html(p, charon_default_zone(pg->r->server)),
        charon_html(p, mgr_field(v, "schedule", "timezone", c[MC_TIMEZONE])),
        mgr_invalid(v, "schedule", "timezone"));
    mgr_printf(
        pg,
        "<label>Grace, seconds (10m, 1h; empty: 300) <input type=\"text\" "
        "name=\"grace\" value=\"%s\" size=\"8\"%s></label>",
        charon_html(p, mgr_field(v, "schedule", "grace", c[MC_GRACE])),
        mgr_invalid(v, "schedule", "grace"));
    mgr_printf(pg,
               "<label>Minimum runtime, seconds (empty: none) <input "
               "type=\"text\" name=\"min_runtime\" value=\"%s\" "
               "size=\"8\"%s></label><button type=\"submit\">Save "
               "schedule</button></form>\n",
               charon_html(p, mgr_field(v, "schedule", "min_runtime",
                                        c[MC_MIN_RUNTIME])),
               mgr_invalid(v, "schedule", "min_runtime"));
}
