/*
 * charon_run_output.c: what charon-run does with the job's output before
 * it becomes messages.  No libcurl, no I/O: tests/charon-run/ tests it.
 *
 *   bytes -> lines        split at '\n'; a line longer than piece_max is
 *                         cut into pieces (at a UTF-8 boundary), so that
 *                         every piece fits one message whatever it holds
 *   lines -> valid text   invalid UTF-8 and NUL become U+FFFD: the API
 *                         refuses anything else (422)
 *   lines -> batches      one pending batch per stream, sealed when it
 *                         would pass max_message once JSON-escaped, when
 *                         it holds batch_lines lines, or when its first
 *                         line has waited flush_interval
 *   the cap               the first max_output/2 bytes go out as they
 *                         come (the head); after that the lines go to a
 *                         FIFO that keeps the last max_output/2 bytes
 *                         (the tail), dropping the oldest; at the end, a
 *                         marker line says what was cut, then the tail
 *                         follows.
 */
#include "charon_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- batches ---------------------------------------------------------- */

void cr_batch_free(cr_batch_t *b)
{
    if (b) {
        free(b->text);
        free(b);
    }
}

static cr_batch_t *batch_new(int stream, const char *text, size_t len,
                             size_t lines, size_t raw)
{
    cr_batch_t *b = cr_xmalloc(sizeof(*b));
    b->next = NULL;
    b->stream = stream;
    b->text = cr_xmalloc(len + 1);
    memcpy(b->text, text, len);
    b->text[len] = '\0';
    b->len = len;
    b->lines = lines;
    b->raw = raw;
    return b;
}

int cr_batch_split(cr_batch_t *b, cr_batch_t **first, cr_batch_t **second)
{
    size_t mid = b->len / 2, cut = 0, skip = 0;
    if (b->len < 2)
        return 0;
    /* the line break nearest the middle */
    for (size_t d = 0; d <= mid || mid + d < b->len; d++) {
        if (d <= mid && b->text[mid - d] == '\n') {
            cut = mid - d;
            skip = 1;
            break;
        }
        if (mid + d < b->len && b->text[mid + d] == '\n') {
            cut = mid + d;
            skip = 1;
            break;
        }
    }
    if (!skip) {
        cut = cr_utf8_boundary(b->text, b->len, mid);
        if (cut == 0 || cut >= b->len)
            return 0;
    }
    size_t l1 = 1;
    for (size_t i = 0; i < cut; i++)
        l1 += b->text[i] == '\n';
    size_t l2 = skip ? (b->lines > l1 ? b->lines - l1 : 1) : b->lines;
    size_t r1 = (size_t)((unsigned long long)b->raw * cut / b->len);
    *first = batch_new(b->stream, b->text, cut, skip ? l1 : b->lines, r1);
    *second = batch_new(b->stream, b->text + cut + skip, b->len - cut - skip,
                        l2, b->raw - r1);
    cr_batch_free(b);
    return 1;
}

void cr_marker(cr_buf_t *out, uint64_t bytes, uint64_t lines)
{
    cr_buf_printf(out, "[... charon-run: %llu bytes / %llu lines cut ...]",
                  (unsigned long long)bytes, (unsigned long long)lines);
}

/* ---- the tail: a FIFO of lines in blocks ------------------------------ */

/* A record: stream (1 byte), raw bytes (4), text length (4), text. */
#define REC_HEAD 9

typedef struct tblock {
    struct tblock *next;
    size_t head; /* first record still there */
    size_t used;
    char data[];
} tblock_t;

typedef struct {
    cr_buf_t text;
    size_t lines, raw, esc;
    double first_at;
    uint64_t first_seq;
} pending_t;

struct cr_out {
    cr_out_conf_t c;
    size_t piece_max, msg_budget;
    size_t head_budget, head_used, tail_budget, tail_used;
    int tail_mode, finished;
    double now;
    uint64_t seq;
    cr_buf_t partial[2]; /* unfinished line of each stream, raw */
    pending_t pend[2];
    cr_batch_t *qhead, *qtail;
    size_t qlen;
    tblock_t *tfirst, *tlast;
    size_t tblock_size;
    cr_out_stats_t st;
    cr_buf_t scratch;
};

cr_out_t *cr_out_new(const cr_out_conf_t *conf)
{
    cr_out_t *o = cr_xmalloc(sizeof(*o));
    memset(o, 0, sizeof(*o));
    o->c = *conf;
    if (o->c.batch_lines == 0)
        o->c.batch_lines = 1;
    o->msg_budget = o->c.max_message > CR_BODY_OVERHEAD + 6
                        ? o->c.max_message - CR_BODY_OVERHEAD
                        : 6;
    /* A raw byte is at most 6 bytes escaped (a control character as
     * \u00XX; an invalid byte becomes U+FFFD, 3 bytes). */
    o->piece_max = o->msg_budget / 6;
    o->head_budget = o->c.max_output / 2;
    o->tail_budget = o->c.max_output - o->head_budget;
    o->tblock_size = 65536;
    if (o->tblock_size < REC_HEAD + 3 * o->piece_max + 16)
        o->tblock_size = REC_HEAD + 3 * o->piece_max + 16;
    return o;
}

size_t cr_out_piece_max(const cr_out_t *o)
{
    return o->piece_max;
}

void cr_out_shrink(cr_out_t *o, size_t max_message)
{
    if (max_message < CR_BODY_OVERHEAD + 32)
        max_message = CR_BODY_OVERHEAD + 32;
    if (max_message >= o->c.max_message)
        return;
    o->c.max_message = max_message;
    o->msg_budget = max_message - CR_BODY_OVERHEAD;
    o->piece_max = o->msg_budget / 6;
}

static void enqueue(cr_out_t *o, cr_batch_t *b)
{
    b->next = NULL;
    if (o->qtail)
        o->qtail->next = b;
    else
        o->qhead = b;
    o->qtail = b;
    o->qlen++;
}

static void seal(cr_out_t *o, int s)
{
    pending_t *p = &o->pend[s];
    if (!p->lines)
        return;
    enqueue(o, batch_new(s, p->text.data, p->text.len, p->lines, p->raw));
    cr_buf_reset(&p->text);
    p->lines = p->raw = p->esc = 0;
}

/* Seals stream s, and first the other stream when its pending lines are
 * older, so that batches go out in the order their first lines came. */
static void seal_ordered(cr_out_t *o, int s)
{
    pending_t *p = &o->pend[s], *q = &o->pend[!s];
    if (q->lines && (!p->lines || q->first_seq < p->first_seq))
        seal(o, !s);
    seal(o, s);
}

static void pend_add(cr_out_t *o, int s, const char *text, size_t len,
                     size_t raw)
{
    pending_t *p = &o->pend[s];
    size_t esc = cr_json_escaped_len(text, len);
    if (p->lines
        && (p->esc + 2 + esc > o->msg_budget || p->lines >= o->c.batch_lines))
        seal_ordered(o, s);
    if (!p->lines) {
        p->first_at = o->now;
        p->first_seq = o->seq;
        cr_buf_add(&p->text, "", 0);
    }
    else {
        cr_buf_addc(&p->text, '\n');
        p->esc += 2;
    }
    o->seq++;
    cr_buf_add(&p->text, text, len);
    p->esc += esc;
    p->lines++;
    p->raw += raw;
    if (p->lines >= o->c.batch_lines || p->esc >= o->msg_budget)
        seal_ordered(o, s);
}

static void tail_evict(cr_out_t *o)
{
    tblock_t *b = o->tfirst;
    const char *r = b->data + b->head;
    uint32_t raw, len;
    memcpy(&raw, r + 1, 4);
    memcpy(&len, r + 5, 4);
    b->head += REC_HEAD + len;
    o->tail_used -= (size_t)len + 1;
    o->st.lines_cut++;
    o->st.bytes_cut += raw;
    if (b->head == b->used) {
        if (b == o->tlast) {
            b->head = b->used = 0;
        }
        else {
            o->tfirst = b->next;
            free(b);
        }
    }
}

static void tail_push(cr_out_t *o, int s, const char *text, size_t len,
                      size_t raw)
{
    size_t need = REC_HEAD + len;
    tblock_t *b = o->tlast;
    if (!b || b->used + need > o->tblock_size) {
        tblock_t *n = cr_xmalloc(sizeof(*n) + o->tblock_size);
        n->next = NULL;
        n->head = n->used = 0;
        if (b)
            b->next = n;
        else
            o->tfirst = n;
        o->tlast = b = n;
    }
    char *r = b->data + b->used;
    uint32_t raw32 = (uint32_t)raw, len32 = (uint32_t)len;
    r[0] = (char)s;
    memcpy(r + 1, &raw32, 4);
    memcpy(r + 5, &len32, 4);
    memcpy(r + REC_HEAD, text, len);
    b->used += need;
    o->tail_used += len + 1;
    while (o->tail_used > o->tail_budget)
        tail_evict(o);
}

/* A finished line (or piece): repaired, then to the head or the tail. */
static void emit(cr_out_t *o, int s, const char *data, size_t n, size_t raw)
{
    cr_buf_reset(&o->scratch);
    cr_buf_add(&o->scratch, "", 0);
    o->st.repaired += cr_utf8_repair(&o->scratch, data, n);
    o->st.lines++;
    const char *t = o->scratch.data;
    size_t len = o->scratch.len, cost = len + 1;
    if (!o->tail_mode && o->head_used + cost <= o->head_budget) {
        o->head_used += cost;
        pend_add(o, s, t, len, raw);
        return;
    }
    o->tail_mode = 1;
    if (cost > o->tail_budget) {
        o->st.lines_cut++;
        o->st.bytes_cut += raw;
        return;
    }
    tail_push(o, s, t, len, raw);
}

void cr_out_feed(cr_out_t *o, int stream, const char *buf, size_t len,
                 double now)
{
    if (o->finished || (stream != CR_STDOUT && stream != CR_STDERR))
        return;
    o->now = now;
    o->st.bytes += len;
    if (o->c.max_output == 0) {
        for (const char *p = buf, *e = buf + len;
             (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
            o->st.lines++;
        return;
    }
    cr_buf_t *p = &o->partial[stream];
    const size_t max = o->piece_max;
    while (len) {
        const char *nl = memchr(buf, '\n', len);
        size_t take = nl ? (size_t)(nl - buf) : len;
        if (p->len + take <= max) {
            cr_buf_add(p, buf, take);
            if (!nl)
                return;
            emit(o, stream, p->data, p->len, p->len + 1);
            cr_buf_reset(p);
            buf += take + 1;
            len -= take + 1;
            continue;
        }
        /* Too long for one piece: fill to max + 3 (a look past the cut,
         * to find a UTF-8 boundary), emit a piece, keep the rest. */
        size_t add = take;
        if (add > max + 3 - p->len)
            add = max + 3 - p->len;
        cr_buf_add(p, buf, add);
        buf += add;
        len -= add;
        size_t cut = cr_utf8_boundary(p->data, p->len, max);
        emit(o, stream, p->data, cut, cut);
        o->st.lines--; /* a piece, not a line */
        o->st.pieces++;
        memmove(p->data, p->data + cut, p->len - cut);
        p->len -= cut;
        p->data[p->len] = '\0';
    }
}

void cr_out_tick(cr_out_t *o, double now)
{
    o->now = now;
    for (;;) {
        int s = -1;
        for (int i = 0; i < 2; i++) {
            pending_t *p = &o->pend[i];
            if (p->lines && now - p->first_at >= o->c.flush_interval
                && (s < 0 || p->first_seq < o->pend[s].first_seq))
                s = i;
        }
        if (s < 0)
            return;
        seal_ordered(o, s);
    }
}

double cr_out_due(const cr_out_t *o)
{
    double due = 0;
    for (int i = 0; i < 2; i++) {
        const pending_t *p = &o->pend[i];
        if (p->lines && (due == 0 || p->first_at + o->c.flush_interval < due))
            due = p->first_at + o->c.flush_interval;
    }
    return due;
}

void cr_out_finish(cr_out_t *o)
{
    if (o->finished)
        return;
    for (int s = 0; s < 2 && o->c.max_output; s++) {
        cr_buf_t *p = &o->partial[s];
        if (p->len)
            emit(o, s, p->data, p->len, p->len);
        cr_buf_reset(p);
    }
    while (o->pend[0].lines || o->pend[1].lines)
        seal_ordered(o, o->pend[0].lines ? 0 : 1);
    if (o->st.lines_cut) {
        cr_buf_t m = {0};
        cr_marker(&m, o->st.bytes_cut, o->st.lines_cut);
        enqueue(o, batch_new(CR_NOTE, m.data, m.len, 1, 0));
        cr_buf_free(&m);
    }
    /* the tail, batched like the head */
    while (o->tfirst) {
        tblock_t *b = o->tfirst;
        while (b->head < b->used) {
            const char *r = b->data + b->head;
            uint32_t raw, len;
            memcpy(&raw, r + 1, 4);
            memcpy(&len, r + 5, 4);
            pend_add(o, r[0], r + REC_HEAD, len, raw);
            b->head += REC_HEAD + len;
        }
        o->tfirst = b->next;
        free(b);
    }
    o->tlast = NULL;
    o->tail_used = 0;
    while (o->pend[0].lines || o->pend[1].lines)
        seal_ordered(o, o->pend[0].lines ? 0 : 1);
    o->finished = 1;
}

cr_batch_t *cr_out_pop(cr_out_t *o)
{
    cr_batch_t *b = o->qhead;
    if (!b)
        return NULL;
    o->qhead = b->next;
    if (!o->qhead)
        o->qtail = NULL;
    o->qlen--;
    b->next = NULL;
    return b;
}

void cr_out_push_front(cr_out_t *o, cr_batch_t *b)
{
    b->next = o->qhead;
    o->qhead = b;
    if (!o->qtail)
        o->qtail = b;
    o->qlen++;
}

size_t cr_out_queued(const cr_out_t *o)
{
    return o->qlen;
}

void cr_out_stats(const cr_out_t *o, cr_out_stats_t *s)
{
    *s = o->st;
}

void cr_out_free(cr_out_t *o)
{
    if (!o)
        return;
    cr_batch_t *b;
    while ((b = cr_out_pop(o)) != NULL)
        cr_batch_free(b);
    while (o->tfirst) {
        tblock_t *n = o->tfirst->next;
        free(o->tfirst);
        o->tfirst = n;
    }
    for (int i = 0; i < 2; i++) {
        cr_buf_free(&o->partial[i]);
        cr_buf_free(&o->pend[i].text);
    }
    cr_buf_free(&o->scratch);
    free(o);
}
