/*
 * sql_dump.c: prints the module's SQL, so that the benchmarks' database
 * baselines (pgbench, the mariadb and sqlite3 clients) and the big-table
 * plans run the very statements the module runs, whatever src/ looks like
 * today.  Built by `make build/sql_dump`.  One record a line, fields
 * separated by '|' (SQL is one line; it may itself hold '|' only in its
 * last field):
 *
 *   dialect|<n>|<name>|<driver>   n from 0; name: pgsql, mysql (MySQL 8),
 *                                 mariadb (MariaDB 10.5+), sqlite3
 *   begin|<n>|<SQL>               what opens a write transaction
 *   init|<n>|<SQL>                run once per connection, in order
 *   sql|<n>|ST_<NAME>|<SQL>       each statement the dialect has
 *   const|<NAME>|<value>          the watchdog's batch constants
 */
#include "charon.h"

#include <stdio.h>

/* Interim: the statement names of charon.h's enum, in its order. */
static const char *const names[ST_COUNT] = {
    "ST_CRON_BY_SLUG", "ST_CRON_BY_ID", "ST_EXECUTION_SLUG",
    "ST_EXECUTION_ENDED", "ST_START", "ST_LOSE_OVERDUE",
    "ST_REFUSED_INACTIVE", "ST_REFUSED_LOCKED", "ST_END", "ST_END_LOST",
    "ST_END_WITH_MESSAGE", "ST_MESSAGE", "ST_END_MESSAGE", "ST_IDEM_GET",
    "ST_IDEM_EXPIRE", "ST_IDEM_PUT", "ST_WD_LOSE", "ST_WD_REOPEN",
    "ST_WD_IDEM_PURGE", "ST_WD_NEXT_CRON", "ST_WD_RETENTION", "ST_LAST_ID",
};

int main(void)
{
    const charon_dialect_t *d;
    int i, n;

    for (d = charon_dialects, n = 0; d->driver; d++, n++) {
        const char *name = d->mariadb ? "mariadb" : d->driver;

        printf("dialect|%d|%s|%s\n", n, name, d->driver);
        printf("begin|%d|%s\n", n, d->begin);
        for (i = 0; i < 5 && d->init[i]; i++) {
            printf("init|%d|%s\n", n, d->init[i]);
        }
        for (i = 0; i < ST_COUNT; i++) {
            const char *sql = i == ST_LAST_ID
                              ? (!strcmp(d->driver, "mysql") && !d->mariadb
                                 ? charon_last_id_sql : NULL)
                              : d->sql[i];

            if (sql) {
                printf("sql|%d|%s|%s\n", n, names[i], sql);
            }
        }
    }
    printf("const|BATCH|%d\n", CHARON_DB_BATCH);
    printf("const|MAX_BATCHES|%d\n", 10);
    printf("const|RETENTION_CRONS|%d\n", 100);
    return 0;
}
