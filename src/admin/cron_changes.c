/*
 * cron_changes.c: the record of a cron's changes made through the
 * management API (charon_audit, docs/MANAGEMENT.md), on the cron's page:
 * when, who, what, and which fields a change touched.
 */
#include "admin/widgets.h"

#include "apr_strings.h"

#define CHANGES_SHOWN 20

mgr_result_e mgr_cron_changes(mgr_page_t *pg, charon_db *db, const char *slug)
{
    apr_pool_t *p = pg->r->pool;
    const char *args[AUD_NARGS];
    charon_rows_t rows;
    int i;

    args[AUD_ARG_SLUG] = slug;
    args[AUD_ARG_BEFORE] = "";
    if (!charon_db_rows(db, ST_ADM_AUDIT, args, CHANGES_SHOWN, &rows)) {
        return MGR_DB_FAILED;
    }
    mgr_puts(pg, "<h2>Changes</h2>\n<table id=\"changes\"><thead><tr>"
                 "<th>When (UTC)</th><th>Who</th><th>Action</th>"
                 "<th>Fields</th></tr></thead><tbody>\n");
    for (i = 0; i < rows.nrows; i++) {
        const char *const *row = rows.rows[i];

        mgr_puts(pg, "<tr><td class=\"mono\">");
        mgr_esc(pg, row[AU_AT]);
        mgr_puts(pg, "</td><td>");
        mgr_esc(pg, row[AU_WHO]);
        mgr_puts(pg, "</td><td>");
        mgr_esc(pg, row[AU_ACTION]);
        mgr_puts(pg, "</td><td class=\"mono\">");
        mgr_esc(pg, charon_audit_fields(p, row[AU_BEFORE], row[AU_AFTER]));
        mgr_puts(pg, "</td></tr>\n");
    }
    if (!rows.nrows) {
        mgr_puts(pg, "<tr><td colspan=\"4\" class=\"muted\">No change through "
                     "the management API.</td></tr>\n");
    }
    mgr_puts(pg, "</tbody></table>\n");
    return MGR_OK;
}
