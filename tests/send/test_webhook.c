/*
 * test_webhook.c: http:// channels against the webhook sink: what is
 * sent, each kind of answer and failure, the time limit, no secret in
 * the error text, several threads at once.
 */
#include "test_send.h"

#include <apr_lib.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

static charon_channel_t *hook(const char *path)
{
    return channel(
        CHARON_CHANNEL_WEBHOOK,
        apr_psprintf(pool, "http://127.0.0.1:%d%s", E.webhook, path));
}

static void send_to(const charon_channel_t *c, charon_send_result_t *r)
{
    charon_send(pool, c, sample_doc(), r);
}

/* What arrives: one POST, the payload as the format makes it, its
 * headers, ours. */
static void arrives(void)
{
    charon_channel_t *c = hook("/ok");
    charon_send_result_t r;
    const char *ctype, *payload;
    apr_array_header_t *extra;
    json_object *got, *req;
    int i;

    c->format = CHARON_FORMAT_NTFY; /* a format with headers of its own */
    c->token = "tok-for-ntfy-1234";
    payload = charon_alert_payload(pool, c, sample_doc(), &ctype, &extra);
    send_to(c, &r);
    EXPECT(&r, 1, 0, 200);
    CHECK(r.error == NULL, "%s", show(r.error));
    got = sink_received("/ok");
    CHECK(got && json_object_array_length(got) == 1, "%s",
          got ? json_object_to_json_string(got) : "no answer");
    req = got ? json_object_array_get_idx(got, 0) : NULL;
    CHECK(streq(req_str(req, "method"), "POST"), "%s",
          show(req_str(req, "method")));
    CHECK(streq(req_str(req, "body"), payload), "%s",
          show(req_str(req, "body")));
    CHECK(streq(req_header(req, "content-type"), ctype), "%s",
          show(req_header(req, "content-type")));
    CHECK(streq(req_header(req, "x-charon-event-id"), sample_doc()->id), "%s",
          show(req_header(req, "x-charon-event-id")));
    CHECK(streq(req_header(req, "user-agent"), "mod_charon"), "%s",
          show(req_header(req, "user-agent")));
    CHECK(req_header(req, "expect") == NULL, "%s",
          show(req_header(req, "expect")));
    CHECK(extra->nelts >= 1, "ntfy's headers: %d", extra->nelts);
    for (i = 0; i < extra->nelts; i++) {
        const char *h = APR_ARRAY_IDX(extra, i, const char *);
        const char *colon = strchr(h, ':');
        char *name = apr_pstrmemdup(pool, h, colon - h);
        char *s;

        for (s = name; *s; s++) {
            *s = apr_tolower(*s);
        }
        CHECK(streq(req_header(req, name), colon + 2), "%s: %s", h,
              show(req_header(req, name)));
    }
    json_object_put(got);
}

/* One answer (plan) to path: what comes of it. */
static void answer(const char *path, const char *plan, int ok, int retry,
                   int status, const char *in_error)
{
    charon_send_result_t r;

    CHECK(sink_plan(path, plan), "%s", plan);
    send_to(hook(path), &r);
    EXPECT(&r, ok, retry, status);
    if (in_error) {
        CHECK(has(r.error, in_error), "%s: %s", plan, show(r.error));
    }
}

static void answers(void)
{
    answer("/e500", "[{\"status\": 500, \"body\": \"database down\\n\"}]", 0,
           1, 500, "HTTP 500: database down");
    answer("/e503", "[503]", 0, 1, 503, "HTTP 503");
    answer("/e404", "[404]", 0, 0, 404, "HTTP 404");
    answer("/e400", "[400]", 0, 0, 400, NULL);
    answer("/e401", "[401]", 0, 0, 401, NULL);
    answer("/e408", "[408]", 0, 1, 408, NULL);
    answer("/e429", "[429]", 0, 1, 429, NULL);
    answer("/e204", "[204]", 1, 0, 204, NULL);
    answer("/reset", "[\"reset\"]", 0, 1, 0, NULL);
    answer("/close", "[\"close\"]", 0, 1, 0, NULL);
    answer("/moved",
           apr_psprintf(pool,
                        "[{\"status\": 301, \"headers\": {\"Location\": "
                        "\"http://127.0.0.1:%d/elsewhere\"}}]",
                        E.webhook),
           0, 0, 301, "redirects are not followed");
    CHECK(sink_count("/elsewhere") == 0, "a redirect was followed");
}

/* A plan's answers one after the other: what the delivery task sees on
 * its attempts. */
static void sequence(void)
{
    charon_channel_t *c = hook("/seq");
    charon_send_result_t r;

    CHECK(sink_plan("/seq", "[\"500\", \"503\", \"200\"]"), "plan");
    send_to(c, &r);
    EXPECT(&r, 0, 1, 500);
    send_to(c, &r);
    EXPECT(&r, 0, 1, 503);
    send_to(c, &r);
    EXPECT(&r, 1, 0, 200);
    CHECK(sink_count("/seq") == 3, "%d", sink_count("/seq"));
}

static void time_limit(void)
{
    charon_channel_t *c = hook("/hang");
    charon_send_result_t r;

    c->timeout_ms = 1000;
    CHECK(sink_plan("/hang", "[\"hang\"]"), "plan");
    send_to(c, &r);
    EXPECT(&r, 0, 1, 0);
    CHECK(r.ms >= 950 && r.ms < 2000, "%ld ms for a limit of 1000", r.ms);
    CHECK(has(r.error, "timed out"), "%s", show(r.error));
}

static int closed_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int s = socket(AF_INET, SOCK_STREAM, 0), port;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    getsockname(s, (struct sockaddr *)&a, &len);
    port = ntohs(a.sin_port);
    close(s);
    return port;
}

static void unreachable(void)
{
    charon_channel_t *c =
        channel(CHARON_CHANNEL_WEBHOOK,
                apr_psprintf(pool, "http://127.0.0.1:%d/x", closed_port()));
    charon_send_result_t r;

    send_to(c, &r);
    EXPECT(&r, 0, 1, 0);
    CHECK(r.ms < 1000, "%ld ms to be refused", r.ms);
    CHECK(r.error && *r.error, "an error text");

    /* A webhook is http or https: never a file read, never ftp. */
    c = channel(CHARON_CHANNEL_WEBHOOK, "file:///etc/hostname");
    send_to(c, &r);
    EXPECT(&r, 0, 0, 0);
    c = channel(CHARON_CHANNEL_WEBHOOK, "ftp://127.0.0.1:1/x");
    send_to(c, &r);
    EXPECT(&r, 0, 0, 0);
}

/* The receiver's answer echoes the URL (Apache's own 404 page does): the
 * error text must not carry its path, query, password, nor the token. */
static void secrets(void)
{
    charon_channel_t *c =
        channel(CHARON_CHANNEL_WEBHOOK,
                apr_psprintf(pool,
                             "http://hook-user:pa55w0rd-x@127.0.0.1:%d/hook/"
                             "S3CRET-PATH-TOKEN?key=QUERY-SECRET-9",
                             E.webhook));
    charon_send_result_t r;

    c->token = "TOKEN-SECRET-77";
    CHECK(sink_plan("/hook/S3CRET-PATH-TOKEN",
                    "[{\"status\": 404, \"body\": \"no hook at {target} "
                    "(TOKEN-SECRET-77, hook-user:pa55w0rd-x)\"}]"),
          "plan");
    send_to(c, &r);
    EXPECT(&r, 0, 0, 404);
    CHECK(has(r.error, "HTTP 404: no hook at ***"), "%s", show(r.error));
    CHECK(!has(r.error, "S3CRET") && !has(r.error, "QUERY-SECRET")
              && !has(r.error, "pa55w0rd") && !has(r.error, "TOKEN-SECRET"),
          "%s", show(r.error));
    /* It did reach the sink, userinfo and all. */
    CHECK(sink_count("/hook/S3CRET-PATH-TOKEN") == 1, "count");
}

/* Long answers: a 200 is not read to its end; an error's body is cut to
 * one short line. */
static void long_bodies(void)
{
    json_object *plan = json_object_new_array(), *a;
    char *big = apr_palloc(pool, 100001);
    charon_send_result_t r;
    int i;

    for (i = 0; i < 100000; i++) {
        big[i] = i % 80 == 79 ? '\n' : 'x';
    }
    big[100000] = '\0';
    a = json_object_new_object();
    json_object_object_add(a, "status", json_object_new_int(200));
    json_object_object_add(a, "body", json_object_new_string(big));
    json_object_array_add(plan, a);
    CHECK(sink_plan("/big200", json_object_to_json_string(plan)), "plan");
    send_to(hook("/big200"), &r);
    EXPECT(&r, 1, 0, 200);
    CHECK(r.ms < 1000, "%ld ms", r.ms);

    json_object_object_add(a, "status", json_object_new_int(502));
    CHECK(sink_plan("/big502", json_object_to_json_string(plan)), "plan");
    send_to(hook("/big502"), &r);
    EXPECT(&r, 0, 1, 502);
    CHECK(r.error && strlen(r.error) <= CHARON_SEND_ERROR_MAX
              && !strchr(r.error, '\n') && has(r.error, "HTTP 502: xxx"),
          "%s", show(r.error));
    json_object_put(plan);
}

/* Threads at once, each its own handle: none lost, none doubled. */
typedef struct {
    apr_pool_t *p;
    const charon_channel_t *c;
    int ok;
} worker_t;

static void *worker(void *data)
{
    worker_t *w = data;
    int i;

    for (i = 0; i < 5; i++) {
        charon_send_result_t r;

        charon_send(w->p, w->c, sample_doc(), &r);
        w->ok += r.ok;
    }
    return NULL;
}

static void threads(void)
{
    enum { N = 4 };
    worker_t w[N];
    pthread_t t[N];
    int i, ok = 0;

    for (i = 0; i < N; i++) {
        apr_pool_create(&w[i].p, NULL);
        w[i].c = hook("/threads");
        w[i].ok = 0;
        pthread_create(&t[i], NULL, worker, &w[i]);
    }
    for (i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ok += w[i].ok;
        apr_pool_destroy(w[i].p);
    }
    CHECK(ok == N * 5, "%d of %d", ok, N * 5);
    CHECK(sink_count("/threads") == N * 5, "%d", sink_count("/threads"));
}

void test_webhook(void)
{
    arrives();
    answers();
    sequence();
    time_limit();
    unreachable();
    secrets();
    long_bodies();
    threads();
}
