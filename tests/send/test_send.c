/*
 * test_send.c: the test program of src/send/ (build/test_send): the
 * command line, the checks, the helpers of test_send.h.
 *
 * Run by python3 -m harness.send_test, which starts the receivers first;
 * by hand:
 *
 *   build/test_send --webhook PORT --smtp PORT --smtp-dir D
 *                   --sendmail WRAPPER --sendmail-tempfail WRAPPER
 *                   --sendmail-dir D --tmp D
 */
#include "test_send.h"

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/stat.h>

#include <apr_file_info.h>
#include <apr_general.h>
#include <apr_thread_proc.h>

int passed, failed;
test_env_t E;
apr_pool_t *pool;

void check_(int ok, const char *file, int line, const char *expr,
            const char *fmt, ...)
{
    va_list ap;

    if (ok) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "FAIL %s:%d: %s: ", file, line, expr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void expect_(const charon_send_result_t *r, int ok, int retry, int status,
             const char *file, int line)
{
    check_(r->ok == ok && r->retry == retry && r->status == status, file, line,
           "ok, retry, status", "want %d %d %d, got %d %d %d (%s, %ld ms)", ok,
           retry, status, r->ok, r->retry, r->status, show(r->error), r->ms);
}

int streq(const char *a, const char *b)
{
    return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int has(const char *s, const char *part)
{
    return s != NULL && strstr(s, part) != NULL;
}

const char *show(const char *s)
{
    return s ? s : "(null)";
}

const charon_alert_doc_t *sample_doc(void)
{
    static charon_alert_doc_t d;

    d.id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    d.event = CHARON_EVENT_DOWN;
    d.at = 1796600000;
    d.cron_id = 42;
    d.slug = "backup-db";
    d.name = "Backup of the database";
    d.url = "https://charon.example.org/manager/cron/42";
    return &d;
}

charon_channel_t *channel(charon_channel_kind_e kind, const char *url)
{
    charon_channel_t *c = apr_pcalloc(pool, sizeof(*c));

    c->name = "test";
    c->kind = kind;
    c->url = url;
    c->shown = url;
    c->format = CHARON_FORMAT_JSON;
    c->events = CHARON_EVENTS_ALL;
    c->timeout_ms = 10000;
    c->connect_timeout_ms = 5000;
    c->rcpts = apr_array_make(pool, 2, sizeof(const char *));
    c->crons = apr_array_make(pool, 1, sizeof(const char *));
    if (kind == CHARON_CHANNEL_EXEC || kind == CHARON_CHANNEL_FILE) {
        c->target = strchr(url, ':') + 1;
    }
    else if (kind == CHARON_CHANNEL_WEBHOOK) {
        c->target = url;
    }
    return c;
}

char *slurp(const char *path, apr_size_t *len)
{
    FILE *f = fopen(path, "rb");
    apr_size_t n = 0, size = 4096;
    char *buf;

    if (!f) {
        return NULL;
    }
    /* Read to the end, not to a size: /proc's files say they hold 0. */
    buf = malloc(size);
    for (;;) {
        n += fread(buf + n, 1, size - n, f);
        if (n < size) {
            break;
        }
        size *= 2;
        buf = realloc(buf, size);
    }
    fclose(f);
    if (len) {
        *len = n;
    }
    {
        char *out = apr_pstrmemdup(pool, buf, n);

        free(buf);
        return out;
    }
}

const char *script(const char *name, const char *text)
{
    const char *path = apr_pstrcat(pool, E.tmp, "/", name, NULL);
    FILE *f = fopen(path, "w");

    if (!f) {
        fprintf(stderr, "test_send: cannot write %s\n", path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    chmod(path, 0755);
    return path;
}

int count_eml(const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t fi;
    int n = 0;

    if (apr_dir_open(&d, dir, pool) != APR_SUCCESS) {
        return 0;
    }
    while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
        apr_size_t len = strlen(fi.name);

        n += len > 4 && strcmp(fi.name + len - 4, ".eml") == 0;
    }
    apr_dir_close(d);
    return n;
}

/* ---- the sink's control API ------------------------------------------- */

typedef struct {
    char *buf;
    size_t len;
} grow_t;

static size_t on_data(char *ptr, size_t size, size_t n, void *data)
{
    grow_t *g = data;

    g->buf = realloc(g->buf, g->len + size * n + 1);
    memcpy(g->buf + g->len, ptr, size * n);
    g->len += size * n;
    g->buf[g->len] = '\0';
    return size * n;
}

static json_object *control(const char *what, const char *post)
{
    CURL *h = curl_easy_init();
    grow_t g = {NULL, 0};
    json_object *o = NULL;
    long status = 0;
    char url[512];

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/_sink/%s", E.webhook,
             what);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &g);
    if (post) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
    }
    if (curl_easy_perform(h) == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (status == 200 && g.buf) {
            o = json_tokener_parse(g.buf);
        }
    }
    if (!o) {
        fprintf(stderr, "test_send: the sink's /_sink/%s failed: %ld %s\n",
                what, status, g.buf ? g.buf : "");
    }
    free(g.buf);
    curl_easy_cleanup(h);
    return o;
}

json_object *sink_get(const char *what)
{
    return control(what, NULL);
}

int sink_plan(const char *path, const char *answers_json)
{
    json_object *o = control(
        "plan", apr_psprintf(pool, "{\"path\": \"%s\", \"answers\": %s}", path,
                             answers_json));

    json_object_put(o);
    return o != NULL;
}

json_object *sink_received(const char *path)
{
    return sink_get(apr_pstrcat(pool, "received?path=", path, NULL));
}

const char *req_str(json_object *req, const char *key)
{
    json_object *v;

    if (!req || !json_object_object_get_ex(req, key, &v)) {
        return NULL;
    }
    return json_object_get_string(v);
}

const char *req_header(json_object *req, const char *name)
{
    json_object *h;

    if (!req || !json_object_object_get_ex(req, "headers", &h)) {
        return NULL;
    }
    return req_str(h, name);
}

int sink_count(const char *path)
{
    json_object *o = sink_get(apr_pstrcat(pool, "count?path=", path, NULL));
    json_object *n;
    int count = -1;

    if (o && json_object_object_get_ex(o, "count", &n)) {
        count = json_object_get_int(n);
    }
    json_object_put(o);
    return count;
}

/* ---- main -------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: test_send --webhook PORT --smtp PORT --smtp-dir D "
            "--sendmail WRAPPER\n"
            "                 --sendmail-tempfail WRAPPER --sendmail-dir D "
            "--tmp D\n"
            "(python3 -m harness.send_test starts the receivers and runs "
            "it)\n");
    exit(2);
}

static void *run_groups(void *unused)
{
    (void)unused;
    apr_pool_create(&pool, NULL);
    test_webhook();
    test_mail();
    test_exec();
    test_spawn();
    test_file();
    apr_pool_destroy(pool);
    return NULL;
}

int main(int argc, char **argv)
{
    apr_pool_t *pconf;
    sigset_t all, old;
    pthread_t t;
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];

        if (!strcmp(k, "--webhook")) {
            E.webhook = atoi(v);
        }
        else if (!strcmp(k, "--smtp")) {
            E.smtp = atoi(v);
        }
        else if (!strcmp(k, "--smtp-dir")) {
            E.smtp_dir = v;
        }
        else if (!strcmp(k, "--sendmail")) {
            E.sendmail = v;
        }
        else if (!strcmp(k, "--sendmail-tempfail")) {
            E.sendmail_tempfail = v;
        }
        else if (!strcmp(k, "--sendmail-dir")) {
            E.sendmail_dir = v;
        }
        else if (!strcmp(k, "--tmp")) {
            E.tmp = v;
        }
        else {
            usage();
        }
    }
    if (i != argc || !E.webhook || !E.smtp || !E.smtp_dir || !E.sendmail
        || !E.sendmail_tempfail || !E.sendmail_dir || !E.tmp) {
        usage();
    }
    apr_initialize();
    apr_pool_create(&pconf, NULL);
    if (charon_send_init(pconf) != APR_SUCCESS) {
        fprintf(stderr, "test_send: charon_send_init failed\n");
        return 1;
    }
    /* httpd's state in a child: SIGPIPE ignored, every signal blocked in
     * the threads (apr_setup_signal_thread()); a variable of ours that no
     * program may see. */
    signal(SIGPIPE, SIG_IGN);
    setenv("CHARON_TEST_CANARY", "leaked", 1);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_create(&t, NULL, run_groups, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_join(t, NULL);

    apr_pool_destroy(pconf); /* curl_global_cleanup() */
    apr_terminate();
    printf("send: %d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
