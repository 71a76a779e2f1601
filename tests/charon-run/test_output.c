/*
 * test_output.c: unit tests of tools/charon_run_output.c (line batching
 * and the head + tail cap), and the program that runs them with those of
 * test_text.c (tools/charon_run_text.c: UTF-8 repair, JSON strings, the
 * reading of Charon's answers), test_schedule.c, test_next.c and
 * test_apply.c: the parts of charon-run that need no network.  Built by `make build/test_charon_run`.
 *   ./build/test_charon_run        last line: "charon-run unit: N passed, M failed"
 *
 * Exit status 0 only when nothing failed and something passed.
 */
#include "test_cr.h"

/* ---- output ----------------------------------------------------------- */

typedef struct {
    cr_batch_t *b[100000];
    size_t n;
} got_t;

static got_t *collect(cr_out_t *o, got_t *g)
{
    cr_batch_t *b;
    while ((b = cr_out_pop(o)) != NULL && g->n < 100000)
        g->b[g->n++] = b;
    return g;
}

static void got_free(got_t *g)
{
    for (size_t i = 0; i < g->n; i++)
        cr_batch_free(g->b[i]);
    g->n = 0;
}

static size_t body_len(const cr_batch_t *b)
{
    /* {"type":"warning","message":...} */
    return strlen("{\"type\":\"warning\",\"message\":}")
           + cr_json_escaped_len(b->text, b->len) + 2;
}

static void test_batching(void)
{
    static got_t g;
    cr_out_conf_t c = {.max_output = 1 << 20,
                       .max_message = 65536,
                       .batch_lines = 10,
                       .flush_interval = 1};
    cr_out_t *o = cr_out_new(&c);
    for (int i = 1; i <= 25; i++) {
        char l[32];
        int n = snprintf(l, sizeof(l), "line %d\n", i);
        cr_out_feed(o, CR_STDOUT, l, (size_t)n, 0.0);
    }
    collect(o, &g);
    CHECK(g.n == 2 && g.b[0]->lines == 10 && g.b[1]->lines == 10,
          "batch_lines 10: two full batches sealed at once (%zu)", g.n);
    CHECK(g.n >= 1 && !strncmp(g.b[0]->text, "line 1\nline 2\n", 14)
              && g.b[0]->text[g.b[0]->len - 1] == '0',
          "first batch: %s", g.n ? g.b[0]->text : "");
    got_free(&g);
    CHECK(cr_out_due(o) == 1.0, "the rest is due at 1.0: %g", cr_out_due(o));
    cr_out_tick(o, 0.5);
    CHECK(collect(o, &g)->n == 0, "not before the interval");
    cr_out_tick(o, 1.0);
    collect(o, &g);
    CHECK(g.n == 1 && g.b[0]->lines == 5
              && !strcmp(g.b[0]->text,
                         "line 21\nline 22\nline 23\nline 24\nline 25"),
          "the rest after 1 s");
    got_free(&g);
    CHECK(cr_out_due(o) == 0, "nothing pending");

    /* an unfinished line waits for its end, or for finish */
    cr_out_feed(o, CR_STDERR, "no newline", 10, 2.0);
    cr_out_feed(o, CR_STDERR, " yet", 4, 2.0);
    cr_out_tick(o, 10.0);
    CHECK(collect(o, &g)->n == 0, "a partial line is not sent by the tick");
    cr_out_finish(o);
    collect(o, &g);
    CHECK(g.n == 1 && g.b[0]->stream == CR_STDERR
              && !strcmp(g.b[0]->text, "no newline yet"),
          "finish sends it");
    got_free(&g);
    cr_out_stats_t s;
    cr_out_stats(o, &s);
    CHECK(s.lines == 26 && s.lines_cut == 0 && s.bytes == 25 * 7 + 16 + 14,
          "stats: %llu lines, %llu bytes", (unsigned long long)s.lines,
          (unsigned long long)s.bytes);
    cr_out_free(o);

    /* by size: every body within max_message */
    c.max_message = 1000;
    c.batch_lines = 100000;
    o = cr_out_new(&c);
    char line[200];
    size_t maxbody = 0, lines = 0;
    for (int i = 0; i < 500; i++) {
        size_t n = rng() % 150;
        for (size_t k = 0; k < n; k++)
            line[k] = (char)(rng() % 4 == 0 ? rng() % 32 : 'a' + rng() % 26);
        for (size_t k = 0; k < n; k++)
            if (line[k] == '\n')
                line[k] = '"';
        line[n] = '\n';
        cr_out_feed(o, (int)(rng() % 2), line, n + 1, 0);
    }
    cr_out_finish(o);
    collect(o, &g);
    for (size_t i = 0; i < g.n; i++) {
        if (body_len(g.b[i]) > maxbody)
            maxbody = body_len(g.b[i]);
        lines += g.b[i]->lines;
    }
    CHECK(maxbody <= 1000, "largest body %zu > max_message 1000", maxbody);
    CHECK(lines == 500, "every line in some batch: %zu", lines);
    CHECK(g.n < 500, "batched: %zu batches for 500 lines", g.n);
    got_free(&g);
    cr_out_free(o);
}

/* Lines "L<n>\n" through the cap: the head is 1..h, the marker counts
 * what is missing, the tail is t..N; nothing else. */
static void test_cap(void)
{
    static got_t g;
    cr_out_conf_t c = {.max_output = 10000,
                       .max_message = 2000,
                       .batch_lines = 50,
                       .flush_interval = 1};
    cr_out_t *o = cr_out_new(&c);
    const int N = 20000;
    unsigned long long total = 0;
    for (int i = 1; i <= N; i++) {
        char l[32];
        int n = snprintf(l, sizeof(l), "L%d\n", i);
        total += (unsigned)n;
        cr_out_feed(o, CR_STDOUT, l, (size_t)n, 0);
    }
    cr_out_finish(o);
    collect(o, &g);
    int next = 1, marker = 0, in_tail = 0, gap_from = 0, gap_to = 0,
        order_ok = 1;
    unsigned long long mbytes = 0, mlines = 0, kept = 0;
    size_t head_bytes = 0, tail_bytes = 0, before = 0;
    for (size_t i = 0; i < g.n; i++) {
        cr_batch_t *b = g.b[i];
        if (b->stream == CR_NOTE) {
            marker++;
            if (sscanf(b->text,
                       "[... charon-run: %llu bytes / %llu lines cut ...]",
                       &mbytes, &mlines)
                != 2)
                order_ok = 0;
            in_tail = 1;
            continue;
        }
        char *save = NULL, *copy = strdup(b->text);
        for (char *t = strtok_r(copy, "\n", &save); t;
             t = strtok_r(NULL, "\n", &save)) {
            int v = atoi(t + 1);
            size_t len = strlen(t) + 1;
            kept += len;
            if (in_tail)
                tail_bytes += len;
            else
                head_bytes += len;
            if (v != next) {
                if (in_tail && !gap_from && v > next) {
                    gap_from = next;
                    gap_to = v - 1;
                }
                else {
                    order_ok = 0;
                }
            }
            next = v + 1;
            before++;
        }
        free(copy);
    }
    CHECK(order_ok, "lines in order, one gap, where the marker is");
    CHECK(marker == 1, "one marker: %d", marker);
    CHECK(next == N + 1, "the last line is there (next %d)", next);
    CHECK(gap_from > 1
              && (unsigned long long)(gap_to - gap_from + 1) == mlines,
          "marker says %llu lines cut; the gap is %d..%d", mlines, gap_from,
          gap_to);
    CHECK(kept + mbytes == total, "kept %llu + cut %llu = %llu bytes", kept,
          mbytes, total);
    CHECK(head_bytes <= 5000 && head_bytes > 4900 && tail_bytes <= 5000
              && tail_bytes > 4900,
          "head %zu, tail %zu bytes (5000 each at most)", head_bytes,
          tail_bytes);
    cr_out_stats_t s;
    cr_out_stats(o, &s);
    CHECK(s.lines == (unsigned)N && s.lines_cut == mlines && s.bytes == total,
          "stats agree");
    size_t maxbody = 0;
    for (size_t i = 0; i < g.n; i++)
        if (body_len(g.b[i]) > maxbody)
            maxbody = body_len(g.b[i]);
    CHECK(maxbody <= 2000, "largest body %zu", maxbody);
    size_t partial = 0;
    for (size_t i = 0; i < g.n; i++)
        partial += g.b[i]->lines < 50;
    CHECK(partial <= 3,
          "every batch full (50 lines) but the head's last, the "
          "marker and the tail's last: %zu of %zu are not",
          partial, g.n);
    got_free(&g);
    cr_out_free(o);

    /* under the cap: no marker */
    o = cr_out_new(&c);
    for (int i = 1; i <= 100; i++)
        cr_out_feed(o, CR_STDOUT, "0123456789\n", 11, 0);
    cr_out_finish(o);
    collect(o, &g);
    int notes = 0;
    size_t lines = 0;
    for (size_t i = 0; i < g.n; i++) {
        notes += g.b[i]->stream == CR_NOTE;
        lines += g.b[i]->lines;
    }
    CHECK(notes == 0 && lines == 100,
          "1100 bytes under a 10000 cap: %d markers, "
          "%zu lines",
          notes, lines);
    got_free(&g);
    cr_out_free(o);

    /* max_output 0: nothing at all */
    c.max_output = 0;
    o = cr_out_new(&c);
    cr_out_feed(o, CR_STDOUT, "a\nb\n", 4, 0);
    cr_out_finish(o);
    CHECK(collect(o, &g)->n == 0, "max_output 0 sends nothing");
    cr_out_stats(o, &s);
    CHECK(s.lines == 2 && s.bytes == 4, "but counts");
    cr_out_free(o);
}

static void test_long_lines(void)
{
    static got_t g;
    cr_out_conf_t c = {.max_output = 1 << 20,
                       .max_message = 1000,
                       .batch_lines = 1000,
                       .flush_interval = 1};
    cr_out_t *o = cr_out_new(&c);
    size_t pm = cr_out_piece_max(o);
    CHECK(pm == (1000 - CR_BODY_OVERHEAD) / 6, "piece_max %zu", pm);
    /* a 5000-byte line of euro signs, fed a byte at a time */
    cr_buf_t line = {0};
    for (int i = 0; i < 1666; i++)
        cr_buf_add(&line, "\xE2\x82\xAC", 3);
    cr_buf_add(&line, "\x01\n", 2);
    for (size_t i = 0; i < line.len; i++)
        cr_out_feed(o, CR_STDOUT, line.data + i, 1, 0);
    cr_out_finish(o);
    collect(o, &g);
    cr_buf_t joined = {0};
    cr_buf_add(&joined, "", 0);
    int all_valid = 1;
    size_t pieces = 0;
    for (size_t i = 0; i < g.n; i++) {
        if (body_len(g.b[i]) > 1000)
            all_valid = 0;
        if (!valid_utf8(g.b[i]->text, g.b[i]->len))
            all_valid = 0;
        char *save = NULL, *copy = strdup(g.b[i]->text);
        for (char *t = strtok_r(copy, "\n", &save); t;
             t = strtok_r(NULL, "\n", &save)) {
            if (strlen(t) > pm)
                all_valid = 0;
            cr_buf_adds(&joined, t);
            pieces++;
        }
        free(copy);
    }
    CHECK(all_valid, "pieces fit, are valid UTF-8 (no sign cut in two)");
    CHECK(joined.len == line.len - 1
              && !memcmp(joined.data, line.data, joined.len),
          "the pieces put together are the line (%zu of %zu bytes)",
          joined.len, line.len - 1);
    CHECK(pieces >= 5000 / pm, "%zu pieces", pieces);
    cr_buf_free(&joined);
    cr_buf_free(&line);
    got_free(&g);
    cr_out_free(o);

    /* worst case: control characters, escaped 6 times their size */
    o = cr_out_new(&c);
    char ctl[3000];
    memset(ctl, 1, sizeof(ctl));
    ctl[sizeof(ctl) - 1] = '\n';
    cr_out_feed(o, CR_STDERR, ctl, sizeof(ctl), 0);
    /* and invalid bytes: 3 bytes each once repaired */
    char inv[3000];
    memset(inv, 0xFF, sizeof(inv));
    inv[sizeof(inv) - 1] = '\n';
    cr_out_feed(o, CR_STDERR, inv, sizeof(inv), 0);
    cr_out_finish(o);
    collect(o, &g);
    size_t maxbody = 0;
    all_valid = 1;
    for (size_t i = 0; i < g.n; i++) {
        if (body_len(g.b[i]) > maxbody)
            maxbody = body_len(g.b[i]);
        if (!valid_utf8(g.b[i]->text, g.b[i]->len))
            all_valid = 0;
    }
    CHECK(maxbody <= 1000, "worst-case bodies fit: %zu", maxbody);
    CHECK(all_valid, "invalid bytes repaired");
    cr_out_stats_t s;
    cr_out_stats(o, &s);
    CHECK(s.repaired == 2999, "2999 bytes repaired: %llu",
          (unsigned long long)s.repaired);
    got_free(&g);
    cr_out_free(o);
}

/* The same output cut into chunks any way gives the same text. */
static void test_chunking(void)
{
    static got_t g;
    static char data[50000];
    size_t n = 0;
    while (n < sizeof(data) - 100) {
        size_t l = rng() % 80;
        for (size_t k = 0; k < l; k++)
            data[n++] = (char)(rng() % 10 == 0 ? 0xC3 : 'a' + rng() % 26);
        data[n++] = '\n';
    }
    char *ref = NULL;
    int same = 1;
    for (int round = 0; round < 20; round++) {
        cr_out_conf_t c = {.max_output = 1 << 20,
                           .max_message = 4096,
                           .batch_lines = 37,
                           .flush_interval = 1};
        cr_out_t *o = cr_out_new(&c);
        size_t off = 0;
        while (off < n) {
            size_t k = round == 0 ? n : 1 + rng() % 300;
            if (k > n - off)
                k = n - off;
            cr_out_feed(o, CR_STDOUT, data + off, k, 0);
            off += k;
        }
        cr_out_finish(o);
        collect(o, &g);
        cr_buf_t all = {0};
        cr_buf_add(&all, "", 0);
        for (size_t i = 0; i < g.n; i++) {
            cr_buf_add(&all, g.b[i]->text, g.b[i]->len);
            cr_buf_addc(&all, '\n');
        }
        got_free(&g);
        cr_out_free(o);
        if (!ref)
            ref = all.data;
        else {
            if (strcmp(ref, all.data))
                same = 0;
            cr_buf_free(&all);
        }
    }
    CHECK(same, "chunking does not change the messages");
    free(ref);
}

static void test_order(void)
{
    static got_t g;
    cr_out_conf_t c = {.max_output = 1 << 20,
                       .max_message = 65536,
                       .batch_lines = 3,
                       .flush_interval = 1};
    cr_out_t *o = cr_out_new(&c);
    cr_out_feed(o, CR_STDERR, "e1\n", 3, 0);
    for (int i = 0; i < 3; i++)
        cr_out_feed(o, CR_STDOUT, "o\n", 2, 0);
    collect(o, &g);
    CHECK(g.n == 2 && g.b[0]->stream == CR_STDERR
              && g.b[1]->stream == CR_STDOUT,
          "the older stderr line goes first when stdout's batch is sealed");
    got_free(&g);
    cr_out_free(o);
}

static void test_split(void)
{
    cr_batch_t *b = cr_xmalloc(sizeof(*b)), *x, *y;
    b->next = NULL;
    b->stream = CR_STDOUT;
    b->text = cr_xstrdup("aaaa\nbbbb\ncccc\ndddd");
    b->len = strlen(b->text);
    b->lines = 4;
    b->raw = 20;
    CHECK(cr_batch_split(b, &x, &y), "split");
    CHECK(!strcmp(x->text, "aaaa\nbbbb") && !strcmp(y->text, "cccc\ndddd")
              && x->lines == 2 && y->lines == 2 && x->raw + y->raw == 20,
          "at the middle line break: '%s' '%s'", x->text, y->text);
    cr_batch_free(y);
    CHECK(cr_batch_split(x, &b, &y), "split again");
    CHECK(!strcmp(b->text, "aaaa") && !strcmp(y->text, "bbbb"),
          "one line each");
    cr_batch_free(y);
    x = b;
    CHECK(cr_batch_split(x, &b, &y), "one line: at a character boundary");
    CHECK(!strcmp(b->text, "aa") && !strcmp(y->text, "aa"), "'%s' '%s'",
          b->text, y->text);
    cr_batch_free(b);
    b = y;
    CHECK(cr_batch_split(b, &x, &y) && !strcmp(x->text, "a"), "down to 1");
    cr_batch_free(y);
    CHECK(!cr_batch_split(x, &b, &y), "one byte: no split");
    cr_batch_free(x);
}

static void test_shrink(void)
{
    static got_t g;
    cr_out_conf_t c = {.max_output = 1 << 20,
                       .max_message = 65536,
                       .batch_lines = 100000,
                       .flush_interval = 1};
    cr_out_t *o = cr_out_new(&c);
    cr_out_shrink(o, 1000);
    CHECK(cr_out_piece_max(o) == (1000 - CR_BODY_OVERHEAD) / 6,
          "pieces follow: %zu", cr_out_piece_max(o));
    cr_out_shrink(o, 5000);
    CHECK(cr_out_piece_max(o) == (1000 - CR_BODY_OVERHEAD) / 6,
          "never grows back: %zu", cr_out_piece_max(o));
    for (int i = 0; i < 300; i++)
        cr_out_feed(o, CR_STDOUT, "0123456789012345678\n", 20, 0);
    cr_out_finish(o);
    collect(o, &g);
    size_t maxbody = 0;
    for (size_t i = 0; i < g.n; i++)
        if (body_len(g.b[i]) > maxbody)
            maxbody = body_len(g.b[i]);
    CHECK(maxbody <= 1000 && g.n >= 6,
          "batches within the new limit: %zu "
          "bytes at most, %zu batches",
          maxbody, g.n);
    got_free(&g);
    cr_out_shrink(o, 10);
    CHECK(cr_out_piece_max(o) == 32 / 6, "floor of 96 bytes: %zu",
          cr_out_piece_max(o));
    cr_out_free(o);
}

static void test_marker(void)
{
    cr_buf_t m = {0};
    cr_marker(&m, 123456, 4567);
    CHECK(
        !strcmp(m.data, "[... charon-run: 123456 bytes / 4567 lines cut ...]"),
        "marker: %s", m.data);
    cr_buf_free(&m);
}

int passed, failed;

void check_(int ok, const char *file, int line, const char *expr,
            const char *fmt, ...)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    fprintf(stderr, "%s:%d: FAILED: %s: ", file, line, expr);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;

unsigned long long rng(void)
{
    unsigned long long x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

int main(void)
{
    test_repair();
    test_boundary();
    test_json_out();
    test_json_in();
    test_batching();
    test_cap();
    test_long_lines();
    test_chunking();
    test_order();
    test_split();
    test_shrink();
    test_marker();
    test_schedule_checks();
    test_zone_checks();
    test_grace_checks();
    test_start_body();
    test_next_golden();
    test_next_usage();
    test_parse_instant();
    test_apply_file_good();
    test_apply_file_errors();
    test_duration();
    test_put_body();
    test_changes();
    test_list_page();
    printf("charon-run unit: %d passed, %d failed\n", passed, failed);
    return failed || !passed;
}
