/* dbd_probe: open one apr_dbd connection as mod_dbd would (driver name,
 * DBDParams string), optionally run one SELECT, and say how long each step
 * took and how it failed.  For measuring what DBDParams and the client
 * library's option files do against a server that does not answer.
 *
 *   dbd_probe [-w] [-p] DRIVER PARAMS [SQL]
 *
 * -p: the query as a prepared statement (apr_dbd_prepare, apr_dbd_pselect),
 * as the module runs its statements; else apr_dbd_select, whose MySQL
 * driver reports an error met while fetching rows as their end.
 * -w: after opening, wait for a line on stdin before the query (so that
 * the caller can stop the server in between).
 * Prints one line per step: "open ok 0.003 s" or "open failed 2.004 s: ...",
 * "query ok 0.001 s rows=1 first=1" or "query failed ...".  Exit 0 when
 * every step worked, 1 when one failed, 2 on a usage error. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <apu.h>
#include <apr_dbd.h>

static double since(apr_time_t t0)
{
    return (double)(apr_time_now() - t0) / APR_USEC_PER_SEC;
}

int main(int argc, char **argv)
{
    apr_pool_t *pool;
    const apr_dbd_driver_t *drv;
    apr_dbd_t *dbd = NULL;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *err = NULL;
    apr_status_t st;
    apr_time_t t0;
    int rc, rows = 0;
    const char *first = NULL;
    apr_dbd_prepared_t *stmt = NULL;
    int wait = 0, prepared = 0;

    for (; argc > 1 && argv[1][0] == '-'; argv++, argc--) {
        if (!strcmp(argv[1], "-w"))
            wait = 1;
        else if (!strcmp(argv[1], "-p"))
            prepared = 1;
        else
            break;
    }
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: dbd_probe [-w] [-p] DRIVER PARAMS [SQL]\n");
        return 2;
    }
    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    apr_dbd_init(pool);
    st = apr_dbd_get_driver(pool, argv[1], &drv);
    if (st != APR_SUCCESS) {
        fprintf(stderr, "no apr_dbd driver %s (status %d)\n", argv[1], st);
        return 2;
    }
    t0 = apr_time_now();
    st = apr_dbd_open_ex(drv, pool, argv[2], &dbd, &err);
    if (st != APR_SUCCESS) {
        printf("open failed %.3f s: %s\n", since(t0), err ? err : "?");
        return 1;
    }
    printf("open ok %.3f s\n", since(t0));
    fflush(stdout);
    if (argc < 4)
        return 0;
    if (wait) {
        char line[16];
        if (!fgets(line, sizeof(line), stdin))
            return 1;
    }
    t0 = apr_time_now();
    if (prepared) {
        rc = apr_dbd_prepare(drv, pool, dbd, argv[3], NULL, &stmt);
        if (!rc)
            rc = apr_dbd_pselect(drv, pool, dbd, &res, stmt, 0, 0, NULL);
    }
    else
        rc = apr_dbd_select(drv, pool, dbd, &res, argv[3], 0);
    if (rc) {
        printf("query failed %.3f s: error %d: %s\n", since(t0), rc,
               apr_dbd_error(drv, dbd, rc));
        return 1;
    }
    while ((rc = apr_dbd_get_row(drv, pool, res, &row, -1)) == 0) {
        /* copied: the driver reuses the row's memory */
        if (!rows++)
            first = apr_pstrdup(pool, apr_dbd_get_entry(drv, row, 0));
    }
    if (rc != -1) {
        printf("query failed %.3f s reading rows: error %d: %s\n", since(t0),
               rc, apr_dbd_error(drv, dbd, rc));
        return 1;
    }
    printf("query ok %.3f s rows=%d first=%s\n", since(t0), rows,
           first ? first : "NULL");
    apr_dbd_close(drv, dbd);
    return 0;
}
