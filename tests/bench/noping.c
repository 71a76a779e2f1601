/*
 * noping.so: for harness.bench_ping only, preloaded into one of its two
 * httpds.  mod_dbd checks every pooled connection it hands out
 * (apr_dbd_check_conn), which apr_dbd_mysql does with mysql_ping(): one
 * round trip to the server per request.  This answers that check at once,
 * so that the difference between the two httpds is what the round trip
 * costs.  Never for a server in use: a dead connection would go unnoticed
 * until its next statement failed.
 */
int mysql_ping(void *mysql);

int mysql_ping(void *mysql)
{
    (void)mysql;
    return 0;
}
