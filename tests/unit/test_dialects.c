/*
 * test_dialects.c: every dialect (src/db/dialect_*.c) keeps the contract
 * of src/db/statements.h: each statement it has takes as many
 * placeholders as its _ARG_ enum says, the statements every database
 * needs are there, and the ones whose absence means something agree with
 * what the statements that depend on them do.
 */
#include "test.h"

#include "db/dialect.h"

/* apr_dbd's placeholders: %s, %d, %lld and the like; %% is a percent. */
static int placeholders(const char *sql)
{
    int n = 0;

    for (; *sql; sql++) {
        if (*sql != '%') {
            continue;
        }
        if (sql[1] == '%') {
            sql++;
            continue;
        }
        n++;
    }
    return n;
}

/* The schema check names every trigger the dialect's sql/ file makes, and
 * counts as many: a trigger added to the schema and not to the check
 * would let a schema without it pass. */
static void test_triggers(const charon_dialect_t *d)
{
    const char *file = !strcmp(d->driver, "pgsql")   ? "sql/postgresql.sql"
                       : !strcmp(d->driver, "mysql") ? "sql/mysql.sql"
                                                     : "sql/sqlite.sql";
    static char text[1 << 20];
    FILE *f = fopen(file, "rb");
    size_t len;
    char *p, name[128];
    int n = 0;

    CHECK(f != NULL, "%s: %s opens", d->name, file);
    if (!f) {
        return;
    }
    len = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[len] = '\0';
    for (p = strstr(text, "CREATE TRIGGER "); p;
         p = strstr(p + 1, "CREATE TRIGGER ")) {
        char quoted[132];

        p += strlen("CREATE TRIGGER ");
        if (!strncmp(p, "IF NOT EXISTS ", 14)) {
            p += 14;
        }
        if (sscanf(p, "%127[a-z_]", name) != 1) {
            continue;
        }
        n++;
        snprintf(quoted, sizeof(quoted), "'%s'", name);
        CHECK(d->schema_check && strstr(d->schema_check, quoted),
              "%s: the schema check looks for %s", d->name, name);
    }
    CHECK(n > 0 && n == d->triggers, "%s: %d triggers in %s, %d counted",
          d->name, n, file, d->triggers);
}

/* Statements a dialect may leave out (see statements.h). */
static int optional(charon_stmt_e st)
{
    return st == ST_END_LOST || st == ST_END_WITH_MESSAGE || st == ST_LAST_ID
           || st == ST_MGR_CUSTOM_PLANS || st == ST_AL_CLAIM_IDS
           || st == ST_AL_CLAIM_BY_IDS;
}

static void test_one(const charon_dialect_t *d)
{
    int st, n_has = 0;

    for (st = 0; st < ST_COUNT; st++) {
        const char *sql = charon_dialect_sql(d, (charon_stmt_e)st);
        const charon_stmt_shape_t *shape = &charon_stmt_shapes[st];

        CHECK(shape->name != NULL, "statement %d has a shape", st);
        if (!sql) {
            CHECK(optional((charon_stmt_e)st), "%s lacks %s", d->name,
                  show(shape->name));
            continue;
        }
        n_has++;
        CHECK(placeholders(sql) == shape->nargs,
              "%s %s: %d placeholders, the contract says %d", d->name,
              shape->name, placeholders(sql), shape->nargs);
        CHECK(!strchr(sql, '\n') && !strchr(sql, '\t'), "%s %s: one line",
              d->name, shape->name);
        /* Where the session can be read-only (Galera), a write must be
         * known from its first word, or it would run outside a
         * transaction and fail every time. */
        CHECK(!d->galera || charon_sql_writes(sql)
                  || !strncmp(sql, "SELECT ", 7),
              "%s %s: a read begins with SELECT, a write with its verb",
              d->name, shape->name);
    }
    CHECK(n_has >= ST_COUNT - 6, "%s has its statements", d->name);
    /* A claim by ids takes both halves, and the ids one claim can hold. */
    CHECK(!charon_dialect_sql(d, ST_AL_CLAIM_IDS)
              == !charon_dialect_sql(d, ST_AL_CLAIM_BY_IDS),
          "%s: AL_CLAIM_IDS and AL_CLAIM_BY_IDS together", d->name);
    CHECK(ACB_NARGS - ACB_ARG_ID1 == CHARON_AL_CLAIM,
          "AL_CLAIM_BY_IDS takes CHARON_AL_CLAIM ids");
    /* An INSERT that cannot return its id is followed by LAST_ID. */
    CHECK(!charon_dialect_sql(d, ST_LAST_ID)
              == (strstr(charon_dialect_sql(d, ST_START), "RETURNING id")
                  != NULL),
          "%s: LAST_ID exactly when START returns no id", d->name);
    CHECK(!charon_dialect_sql(d, ST_LAST_ID)
              == (strstr(charon_dialect_sql(d, ST_MESSAGE), "RETURNING id")
                  != NULL),
          "%s: LAST_ID exactly when MESSAGE returns no id", d->name);
    /* The end returns lost_at, or END_LOST reads it. */
    CHECK(!charon_dialect_sql(d, ST_END_LOST)
              == (strstr(charon_dialect_sql(d, ST_END), "RETURNING") != NULL),
          "%s: END_LOST exactly when END returns nothing", d->name);
    CHECK(d->begin && *d->begin && d->init && d->classify,
          "%s: begin, init and classify", d->name);
    test_triggers(d);
}

void test_dialects(void)
{
    const charon_dialect_t *const *d;
    int n = 0, pg = 0, my = 0, maria = 0, sq = 0;

    for (d = charon_dialects; *d; d++, n++) {
        test_one(*d);
        pg += !strcmp((*d)->name, "pgsql");
        my += !strcmp((*d)->name, "mysql");
        maria += !strcmp((*d)->name, "mariadb");
        sq += !strcmp((*d)->name, "sqlite3");
    }
    CHECK(n == 4 && pg == 1 && my == 1 && maria == 1 && sq == 1,
          "the four dialects, once each (%d)", n);

    /* What each database's failures are worth. */
    CHECK(charon_dialect_pgsql.classify(7,
                                        "ERROR:  prepared statement "
                                        "\"charon_g0_s4\" does not exist",
                                        "charon_g0_s4")
              == (CHARON_ERR_RETRY | CHARON_ERR_FORGET),
          "pgsql: a forgotten statement is prepared again and run again");
    CHECK(charon_dialect_pgsql.classify(7, "ERROR:  duplicate key",
                                        "charon_g0_s4")
              == 0,
          "pgsql: anything else may have been written");
    CHECK(
        charon_dialect_pgsql.classify(7, "server closed the connection", NULL)
            == 0,
        "pgsql: transaction control is not run again");
    CHECK(charon_dialect_mysql.classify(1213, "Deadlock found", NULL)
              == (CHARON_ERR_RETRY | CHARON_ERR_FORGET | CHARON_ERR_CONFLICT),
          "mysql: a deadlock, run again with more tries");
    CHECK(charon_dialect_mariadb.classify(1213, "", "x") & CHARON_ERR_RETRY,
          "mariadb: a deadlock");
    CHECK(charon_dialect_mariadb.classify(1792, "READ ONLY transaction", "x")
              == (CHARON_ERR_RETRY | CHARON_ERR_FORGET | CHARON_ERR_CONFLICT),
          "mariadb: a write the Galera guard stopped is run again");
    CHECK(charon_dialect_mariadb.galera && !charon_dialect_mysql.galera
              && !charon_dialect_pgsql.galera && !charon_dialect_sqlite.galera,
          "the Galera guard on MariaDB only");
    CHECK(strstr(charon_dialect_mariadb.galera->session, "tx_read_only = 1")
              && strstr(charon_dialect_mariadb.galera->session,
                        "wsrep_sync_wait = 1")
              && strstr(charon_dialect_mariadb.galera->begin, "READ WRITE"),
          "Galera: read-only sessions, read-write transactions");
    CHECK(charon_sql_writes("INSERT INTO t VALUES (1)")
              && charon_sql_writes(" update t SET a = 1")
              && charon_sql_writes("DELETE FROM t")
              && charon_sql_writes("REPLACE INTO t VALUES (1)")
              && !charon_sql_writes("SELECT 1")
              && !charon_sql_writes("UPDATED") && !charon_sql_writes("INSERTS")
              && !charon_sql_writes(""),
          "a write is known by its verb");
    CHECK(charon_dialect_mariadb.classify(1047,
                                          "WSREP has not yet prepared "
                                          "node for application use",
                                          "x")
              & CHARON_ERR_DOWN,
          "mariadb: a Galera node outside the group is an outage");
    CHECK(charon_dialect_mysql.classify(1205, "Lock wait timeout", NULL)
              == CHARON_ERR_FORGET,
          "mysql: a lock wait timeout is a 503");
    CHECK(charon_dialect_mysql.classify(2013, "Lost connection", NULL)
              == (CHARON_ERR_FORGET | CHARON_ERR_LOST),
          "mysql: a lost connection is said lost, not run again here");
    CHECK(charon_dialect_mariadb.classify(2006, "gone away", NULL)
              == (CHARON_ERR_FORGET | CHARON_ERR_LOST),
          "mariadb: a server gone away is said lost");
    CHECK(charon_dialect_pgsql.ping && charon_dialect_mysql.ping
              && charon_dialect_mariadb.ping && !charon_dialect_sqlite.ping,
          "a ping where a connection can be dropped, none for SQLite");
    CHECK(charon_dialect_sqlite.classify(5, "database is locked", NULL)
              == CHARON_ERR_FORGET,
          "sqlite3: SQLITE_BUSY, a writer outside the module: not again");
    CHECK(charon_dialect_sqlite.classify(1, "database is locked", NULL)
              == CHARON_ERR_FORGET,
          "sqlite3: SQLITE_BUSY after a SELECT: not again");
    CHECK(charon_dialect_sqlite.classify(6, "database table is locked", NULL)
              == (CHARON_ERR_RETRY | CHARON_ERR_FORGET),
          "sqlite3: SQLITE_LOCKED is run again");
    CHECK(charon_dialect_sqlite.classify(CHARON_RV_WRITERS_WAIT,
                                         "waited for the other writers", NULL)
              == 0,
          "sqlite3: the writers' lock not had in time: not again, "
          "nothing to forget");
    CHECK(
        charon_dialect_sqlite.classify(17, "database schema has changed", "x")
                & CHARON_ERR_RETRY
            && charon_dialect_sqlite.classify(1, "database schema has changed",
                                              "x")
                   & CHARON_ERR_RETRY,
        "sqlite3: a statement prepared before the schema changed");
    CHECK(charon_dialect_sqlite.classify(19, "UNIQUE constraint failed", NULL)
              == CHARON_ERR_FORGET,
          "sqlite3: a constraint is not run again");
    CHECK(charon_dialect_mariadb.accepts("10.11.6-MariaDB-0+deb12u1"),
          "MariaDB 10.11");
    CHECK(charon_dialect_mariadb.accepts("11.4.2-MariaDB"), "MariaDB 11");
    CHECK(!charon_dialect_mariadb.accepts("10.4.32-MariaDB"), "MariaDB 10.4");
    CHECK(!charon_dialect_mariadb.accepts("8.0.36"), "MySQL 8");
    CHECK(!charon_dialect_mariadb.accepts(NULL), "no version");
}
