/*
 * dialects.c: the dialects the module knows, in the order a connection
 * tries them, and the shape of every statement (statements.h).
 */
#include "db/dialect.h"

#include <ctype.h>
#include <stddef.h>
#include <strings.h>
#include <string.h>

const charon_dialect_t *const charon_dialects[] = {
    &charon_dialect_pgsql,
    &charon_dialect_mariadb, /* before mysql: it asks the version */
    &charon_dialect_mysql, &charon_dialect_sqlite, NULL};

const charon_stmt_shape_t charon_stmt_shapes[ST_COUNT] = {
#define CHARON_ST_SHAPE(name, nargs, ncols) \
    [ST_##name] = {#name, nargs, ncols},
    CHARON_STATEMENTS(CHARON_ST_SHAPE)
#undef CHARON_ST_SHAPE
};

const char *charon_dialect_sql(const charon_dialect_t *d, charon_stmt_e st)
{
    const char *sql;

    if ((unsigned)st >= ST_COUNT) {
        return NULL;
    }
    sql = d->over && d->over[st] ? d->over[st] : d->sql[st];
    return sql && *sql ? sql : NULL;
}

int charon_sql_writes(const char *sql)
{
    static const char *const verbs[] = {"INSERT", "UPDATE", "DELETE",
                                        "REPLACE", NULL};
    const char *const *v;
    size_t n;

    sql += strspn(sql, " \t\r\n(");
    for (v = verbs; *v; v++) {
        n = strlen(*v);
        if (!strncasecmp(sql, *v, n) && !isalnum((unsigned char)sql[n])
            && sql[n] != '_') {
            return 1;
        }
    }
    return 0;
}
