/*
 * test_file.c: file: channels: one line per event, whole lines when
 * threads append at once, the file's mode, what cannot be written.
 */
#include "test_send.h"

#include <pthread.h>
#include <sys/stat.h>

static charon_channel_t *file_channel(const char *name)
{
    return channel(CHARON_CHANNEL_FILE,
                   apr_pstrcat(pool, "file:", E.tmp, "/", name, NULL));
}

static void lines(void)
{
    charon_channel_t *c = file_channel("events.log");
    const char *doc = charon_alert_document(pool, sample_doc());
    charon_send_result_t r;
    struct stat st;

    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 1, 0, 0);
    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 1, 0, 0);
    CHECK(streq(slurp(c->target, NULL),
                apr_pstrcat(pool, doc, "\n", doc, "\n", NULL)),
          "%s", show(slurp(c->target, NULL)));
    CHECK(stat(c->target, &st) == 0 && (st.st_mode & 0777) == 0600, "%o",
          (unsigned)st.st_mode & 0777);
}

static void cannot(void)
{
    charon_channel_t *c = file_channel("no-such-dir/events.log");
    charon_send_result_t r;

    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 0, 0, 0);
    CHECK(has(r.error, "open: No such file"), "%s", show(r.error));
    c = channel(CHARON_CHANNEL_FILE, apr_pstrcat(pool, "file:", E.tmp, NULL));
    charon_send(pool, c, sample_doc(), &r);
    EXPECT(&r, 0, 0, 0);
    CHECK(has(r.error, "open: Is a directory"), "%s", show(r.error));
}

/* Long lines from several threads at once: each arrives whole. */
enum { THREADS = 8, EACH = 50 };

typedef struct {
    apr_pool_t *p;
    const charon_channel_t *c;
    const charon_alert_doc_t *d;
    int ok;
} appender_t;

static void *appender(void *data)
{
    appender_t *a = data;
    int i;

    for (i = 0; i < EACH; i++) {
        charon_send_result_t r;

        charon_send(a->p, a->c, a->d, &r);
        a->ok += r.ok;
    }
    return NULL;
}

/* An event with four runs of five long messages: lines of several
 * kilobytes, past what a pipe would keep in one piece (PIPE_BUF). */
static const charon_alert_doc_t *long_doc(void)
{
    static charon_alert_run_t runs[4];
    static charon_alert_msg_t msgs[CHARON_ALERT_MAX_MSGS];
    static charon_alert_doc_t d;
    char *text = apr_palloc(pool, 451);
    int i;

    memset(text, 'm', 450);
    text[450] = '\0';
    for (i = 0; i < CHARON_ALERT_MAX_MSGS; i++) {
        msgs[i].type = "error";
        msgs[i].message = text;
        msgs[i].at = 1796600000 + i;
    }
    for (i = 0; i < 4; i++) {
        runs[i].execution_id = 1000 + i;
        runs[i].outcome = CHARON_OUTCOME_FAILED;
        runs[i].started_at = 1796590000 + i * 60;
        runs[i].ended_at = runs[i].started_at + 30;
        runs[i].duration = 30;
        runs[i].slot = -1;
        runs[i].msgs = msgs;
        runs[i].nmsgs = CHARON_ALERT_MAX_MSGS;
    }
    d = *sample_doc();
    d.runs = runs;
    d.nruns = 4;
    return &d;
}

static void concurrent(void)
{
    charon_channel_t *c = file_channel("busy.log");
    const charon_alert_doc_t *d = long_doc();
    appender_t a[THREADS];
    pthread_t t[THREADS];
    const char *line, *s;
    int i, ok = 0, whole = 0, n = 0;

    line = apr_pstrcat(pool, charon_alert_document(pool, d), "\n", NULL);
    for (i = 0; i < THREADS; i++) {
        apr_pool_create(&a[i].p, NULL);
        a[i].c = c;
        a[i].d = d;
        a[i].ok = 0;
        pthread_create(&t[i], NULL, appender, &a[i]);
    }
    for (i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        ok += a[i].ok;
        apr_pool_destroy(a[i].p);
    }
    CHECK(ok == THREADS * EACH, "%d of %d", ok, THREADS * EACH);
    s = slurp(c->target, NULL);
    while (s && *s) {
        const char *e = strchr(s, '\n');
        apr_size_t len = e ? (apr_size_t)(e - s + 1) : strlen(s);

        n++;
        whole += len == strlen(line) && !strncmp(s, line, len);
        s += len;
    }
    CHECK(n == THREADS * EACH && whole == n, "%d lines, %d whole, of %d", n,
          whole, THREADS * EACH);
    CHECK(strlen(line) > 4096, "lines of %zu bytes", strlen(line));
}

void test_file(void)
{
    lines();
    cannot();
    concurrent();
}
