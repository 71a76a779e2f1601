/*
 * sql_dump.c: prints the module's SQL (src/charon_sql.c) for
 * scripts/bench.sh, so that the database baselines (pgbench, the mariadb
 * and sqlite3 clients) run the very statements the module runs, whatever
 * src/ looks like today.
 *
 *   sql_dump            for each entry of charon_dialects (n from 0):
 *                         begin|<n>|<driver>|<what opens a transaction>
 *                         init|<n>|<driver>|<a statement run once per
 *                                            connection>  (in order)
 *                         sql|<n>|<driver>|<statement number>|<SQL>
 *                       and first "name|<NAME>|<number>" for the
 *                       statements the benchmark uses (charon_stmt_e),
 *                       "last_id|<SQL>"
 *
 * Only the driver, begin, init and sql members of each entry are read
 * (the others change as the module does).
 */
#define CHARON_NO_LOG_DECL 1
#include "charon.h"

#include <stdio.h>

#define NAME(st) printf("name|%s|%d\n", #st, (int)(st))

int main(void)
{
    const charon_dialect_t *d;
    int i, n;

    NAME(ST_CRON_BY_SLUG);
    NAME(ST_START);
    NAME(ST_END);
    NAME(ST_END_LOST);
    NAME(ST_MESSAGE);
    NAME(ST_WD_LOSE);
    NAME(ST_WD_IDEM_PURGE);
    NAME(ST_WD_RETENTION);
    printf("last_id|%s\n", charon_last_id_sql);
    for (d = charon_dialects, n = 0; d->driver; d++, n++) {
        printf("begin|%d|%s|%s\n", n, d->driver, d->begin);
        for (i = 0; i < 5 && d->init[i]; i++) {
            printf("init|%d|%s|%s\n", n, d->driver, d->init[i]);
        }
        for (i = 0; i < ST_COUNT; i++) {
            if (d->sql[i]) {
                printf("sql|%d|%s|%d|%s\n", n, d->driver, i, d->sql[i]);
            }
        }
    }
    return 0;
}
