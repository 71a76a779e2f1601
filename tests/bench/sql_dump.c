/*
 * sql_dump.c: prints the module's SQL, so that the benchmarks' database
 * baselines (pgbench, the mariadb and sqlite3 clients) and the big-table
 * plans run the very statements the module runs.  Built by `make
 * build/sql_dump` from the dialects alone (src/db/dialect*.c need no
 * httpd).  One record a line, fields separated by '|' (the SQL, one line,
 * is the last field and may hold '|' itself):
 *
 *   dialect|<n>|<name>|<driver>   n from 0; name: pgsql, mysql (MySQL 8),
 *                                 mariadb (MariaDB 10.5+), sqlite3
 *   begin|<n>|<SQL>               what opens a write transaction
 *   init|<n>|<SQL>                run once per connection, in order
 *   sql|<n>|ST_<NAME>|<SQL>       each statement the dialect has
 *   const|<NAME>|<value>          the watchdog's batch constants
 */
#include "db/dialect.h"

#include <stdio.h>

int main(void)
{
    const charon_dialect_t *const *d;
    int i, n;

    for (d = charon_dialects, n = 0; *d; d++, n++) {
        printf("dialect|%d|%s|%s\n", n, (*d)->name, (*d)->driver);
        printf("begin|%d|%s\n", n, (*d)->begin);
        for (i = 0; (*d)->init[i]; i++) {
            printf("init|%d|%s\n", n, (*d)->init[i]);
        }
        for (i = 0; i < ST_COUNT; i++) {
            const char *sql = charon_dialect_sql(*d, (charon_stmt_e)i);

            if (sql) {
                printf("sql|%d|ST_%s|%s\n", n, charon_stmt_shapes[i].name,
                       sql);
            }
        }
    }
    printf("const|BATCH|%d\n", CHARON_DB_BATCH);
    printf("const|MAX_BATCHES|%d\n", CHARON_WD_MAX_BATCHES);
    printf("const|RETENTION_CRONS|%d\n", CHARON_WD_RETENTION_CRONS);
    return 0;
}
