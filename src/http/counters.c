/*
 * charon_counters.c: the API's answers counted by endpoint and status,
 * module-wide.
 *
 * A fixed grid of 64-bit counters in anonymous shared memory, made by the
 * parent before it forks: every child process of every generation adds to
 * the same cells with an atomic increment, so counting costs no lock and
 * no system call.  The grid is kept in the parent's process pool, so a
 * restart (graceful or not) keeps the counts: Prometheus sees counters,
 * not resets.  Stopping httpd ends them.  The metrics handler reads it.
 */
#include "http/charon_http.h"

#include "apr_atomic.h"
#include "apr_shm.h"
#include "apr_strings.h"
#include "http_core.h"

/* The endpoints, "other" last: an answer given before the route is known
 * (a missing key, an unknown route) counts as "other". */
static const char *const endpoints[] = {"can-start", "start", "end", "message",
                                        "other"};
#define N_ENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

/* Every status the API answers with (docs/API.md), "other" last: a status
 * outside the list (a bug) is still counted. */
static const char *const codes[] = {"200", "400", "401",  "403", "404",
                                    "405", "409", "413",  "418", "422",
                                    "500", "503", "other"};
#define N_CODES (sizeof(codes) / sizeof(codes[0]))

#define SHM_KEY "charon_counters_shm"

/* The grid, in shared memory; NULL when it could not be made (the API
 * works the same, and the metrics leave the family without samples). */
static volatile apr_uint64_t *grid;

static int code_index(int status)
{
    switch (status) {
    case HTTP_OK: return 0;
    case HTTP_BAD_REQUEST: return 1;
    case HTTP_UNAUTHORIZED: return 2;
    case HTTP_FORBIDDEN: return 3;
    case HTTP_NOT_FOUND: return 4;
    case HTTP_METHOD_NOT_ALLOWED: return 5;
    case HTTP_CONFLICT: return 6;
    case HTTP_REQUEST_ENTITY_TOO_LARGE: return 7;
    case 418: return 8;
    case HTTP_UNPROCESSABLE_ENTITY: return 9;
    case HTTP_INTERNAL_SERVER_ERROR: return 10;
    case HTTP_SERVICE_UNAVAILABLE: return 11;
    default: return (int)N_CODES - 1;
    }
}

static int endpoint_index(const char *verb)
{
    apr_size_t i;

    for (i = 0; verb && i < N_ENDPOINTS - 1; i++) {
        if (!strcmp(verb, endpoints[i])) {
            return (int)i;
        }
    }
    return (int)N_ENDPOINTS - 1;
}

int charon_counters_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                                apr_pool_t *ptemp, server_rec *s)
{
    apr_pool_t *pproc = s->process->pool;
    apr_size_t size = sizeof(apr_uint64_t) * N_ENDPOINTS * N_CODES;
    apr_shm_t *shm = NULL;
    void *kept = NULL;
    apr_status_t rv;

    (void)pconf;
    (void)plog;
    (void)ptemp;
    /* httpd reads its configuration twice at startup: the segment is made
     * on the second reading, which the children are forked from. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    /* The module is unloaded and loaded again at each restart, and the
     * static pointer with it: the segment itself outlives them in the
     * process pool. */
    apr_pool_userdata_get(&kept, SHM_KEY, pproc);
    if (kept) {
        grid = apr_shm_baseaddr_get(kept);
        return OK;
    }
    /* Anonymous: nothing in the file system to clean up or to collide
     * with another server. */
    rv = apr_shm_create(&shm, size, NULL, pproc);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, rv, s,
                     CHARON_LOGNO(500) "cannot create shared memory for the "
                                       "request counters "
                                       "(%" APR_SIZE_T_FMT
                                       " bytes): charon_http_requests_total "
                                       "will have no samples",
                     size);
        grid = NULL;
        return OK;
    }
    grid = apr_shm_baseaddr_get(shm);
    memset((void *)grid, 0, size);
    apr_pool_userdata_set(shm, SHM_KEY, apr_pool_cleanup_null, pproc);
    return OK;
}

void charon_count_request(request_rec *r, int status)
{
    if (grid) {
        int e = endpoint_index(apr_table_get(r->notes, CHARON_VERB_NOTE));

        apr_atomic_inc64(&grid[e * N_CODES + code_index(status)]);
    }
}

/* Every cell, zeros included: a series that exists from the start lets
 * rate() see its first increment. */
void charon_counters_write(apr_bucket_brigade *bb)
{
    apr_size_t e, c;

    apr_brigade_puts(bb, NULL, NULL,
                     "# HELP charon_http_requests_total API requests "
                     "answered by mod_charon since httpd started, by "
                     "endpoint and HTTP status, all child processes.\n"
                     "# TYPE charon_http_requests_total counter\n");
    if (!grid) {
        return;
    }
    for (e = 0; e < N_ENDPOINTS; e++) {
        for (c = 0; c < N_CODES; c++) {
            apr_brigade_printf(bb, NULL, NULL,
                               "charon_http_requests_total{endpoint=\"%s\","
                               "code=\"%s\"} %" APR_UINT64_T_FMT "\n",
                               endpoints[e], codes[c],
                               apr_atomic_read64(&grid[e * N_CODES + c]));
        }
    }
}
