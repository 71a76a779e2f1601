/*
 * charon_run_text.c: the small text tools of charon-run, with no libcurl
 * and no I/O but stderr: growable buffers, UTF-8 repair, JSON strings
 * out, one member of a JSON object in (Charon's answers), messages on
 * stderr.  tests/charon-run/ tests them.
 */
#include "charon_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- buffers ---------------------------------------------------------- */

static void oom(void)
{
    static const char m[] = "charon-run: out of memory\n";
    if (fwrite(m, 1, sizeof(m) - 1, stderr)) { /* nothing more to do */
    }
    exit(CR_EX_OSERR);
}

void *cr_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom();
    return p;
}

void *cr_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom();
    return q;
}

char *cr_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(cr_xmalloc(n), s, n);
}

static void buf_reserve(cr_buf_t *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap && b->data)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = cr_xrealloc(b->data, cap);
    b->cap = cap;
}

void cr_buf_add(cr_buf_t *b, const void *p, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void cr_buf_adds(cr_buf_t *b, const char *s)
{
    cr_buf_add(b, s, strlen(s));
}
void cr_buf_addc(cr_buf_t *b, char c)
{
    cr_buf_add(b, &c, 1);
}

void cr_buf_vprintf(cr_buf_t *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    buf_reserve(b, 128);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->data + b->len, room, fmt, ap);
    if (n >= 0 && (size_t)n >= room) {
        buf_reserve(b, (size_t)n);
        n = vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    if (n < 0) {
        b->data[b->len] = '\0';
        return;
    }
    b->len += (size_t)n;
}

void cr_buf_printf(cr_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cr_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void cr_buf_reset(cr_buf_t *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void cr_buf_free(cr_buf_t *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- UTF-8 ------------------------------------------------------------ */

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Length of the well-formed sequence at s[0..len), 0 if none (RFC 3629
 * table 3-7: no overlong forms, no surrogates, nothing past U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t len)
{
    unsigned c = s[0];
    if (c >= 0x01 && c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return len >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return len >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80
                   ? 3
                   : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return len >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80
                       && (s[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0; /* NUL, 80..C1, F5..FF */
}

size_t cr_utf8_repair(cr_buf_t *out, const char *in, size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t i = 0, run = 0, bad = 0;
    buf_reserve(out, len);
    while (i < len) {
        size_t n = utf8_seq(s + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        cr_buf_add(out, in + run, i - run);
        cr_buf_add(out, REPLACEMENT, 3);
        bad++;
        run = ++i;
    }
    cr_buf_add(out, in + run, len - run);
    return bad;
}

size_t cr_utf8_boundary(const char *s, size_t len, size_t max)
{
    if (max >= len)
        return len;
    size_t k = max;
    while (k > 0 && max - k < 3 && ((unsigned char)s[k] & 0xC0) == 0x80)
        k--;
    if (k > 0 && ((unsigned char)s[k] & 0xC0) != 0x80)
        return k;
    return max;
}

/* ---- JSON out --------------------------------------------------------- */

size_t cr_json_escaped_len(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t'
            || c == '\b' || c == '\f')
            n += 2;
        else if (c < 0x20)
            n += 6;
        else
            n += 1;
    }
    return n;
}

void cr_json_string(cr_buf_t *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    buf_reserve(out, len + 2);
    cr_buf_addc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        char u[7];
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        default:
            if (c < 0x20) {
                memcpy(u, "\\u00", 4);
                u[4] = hex[c >> 4];
                u[5] = hex[c & 15];
                u[6] = '\0';
                e = u;
            }
        }
        if (!e)
            continue;
        cr_buf_add(out, s + run, i - run);
        cr_buf_adds(out, e);
        run = i + 1;
    }
    cr_buf_add(out, s + run, len - run);
    cr_buf_addc(out, '"');
}

/* ---- JSON in: one member of an object --------------------------------- */

typedef struct {
    const char *p, *end;
} jp_t;

static void jws(jp_t *j)
{
    while (
        j->p < j->end
        && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16;
        if (d > 15)
            return 0;
        *v = *v * 16 + d;
    }
    return 1;
}

static void put_utf8(cr_buf_t *b, unsigned cp)
{
    char u[4];
    if (cp < 0x80) {
        u[0] = (char)cp;
        cr_buf_add(b, u, 1);
    }
    else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        cr_buf_add(b, u, 2);
    }
    else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        cr_buf_add(b, u, 3);
    }
    else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        cr_buf_add(b, u, 4);
    }
}

/* A string at j->p (on its '"'), decoded into out (NULL: skipped). */
static int jstring(jp_t *j, cr_buf_t *out)
{
    if (j->p >= j->end || *j->p != '"')
        return 0;
    j->p++;
    while (j->p < j->end) {
        char c = *j->p++;
        if (c == '"')
            return 1;
        if ((unsigned char)c < 0x20)
            return 0;
        if (c != '\\') {
            if (out)
                cr_buf_addc(out, c);
            continue;
        }
        if (j->p >= j->end)
            return 0;
        c = *j->p++;
        const char *simple = strchr("\"\\/bfnrt", c);
        if (c && simple) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            if (out)
                cr_buf_addc(out, to[simple - "\"\\/bfnrt"]);
            continue;
        }
        unsigned cp, lo;
        if (c != 'u' || j->end - j->p < 4 || !hex4(j->p, &cp))
            return 0;
        j->p += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF && j->end - j->p >= 6
            && j->p[0] == '\\' && j->p[1] == 'u' && hex4(j->p + 2, &lo)
            && lo >= 0xDC00 && lo <= 0xDFFF) {
            j->p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        else if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        if (out)
            put_utf8(out, cp);
    }
    return 0;
}

static int jvalue(jp_t *j, int depth)
{
    if (depth > 64 || j->p >= j->end)
        return 0;
    char c = *j->p;
    if (c == '"')
        return jstring(j, NULL);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        jws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            return 1;
        }
        for (;;) {
            if (c == '{') {
                if (!jstring(j, NULL))
                    return 0;
                jws(j);
                if (j->p >= j->end || *j->p != ':')
                    return 0;
                j->p++;
                jws(j);
            }
            if (!jvalue(j, depth + 1))
                return 0;
            jws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                jws(j);
                continue;
            }
            if (j->p < j->end && *j->p == close) {
                j->p++;
                return 1;
            }
            return 0;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        while (j->p < j->end && strchr("+-.eE0123456789", *j->p) && *j->p)
            j->p++;
        return 1;
    }
    static const char *const lit[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(lit[i]);
        if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, lit[i], n)) {
            j->p += n;
            return 1;
        }
    }
    return 0;
}

cr_jtype_e cr_json_member(const char *json, size_t len, const char *name,
                          char **value)
{
    jp_t j = {json, json + len};
    cr_buf_t key = {0};
    cr_jtype_e found = CR_JSON_ABSENT;
    if (value)
        *value = NULL;
    jws(&j);
    if (j.p >= j.end || *j.p != '{')
        return CR_JSON_ABSENT;
    j.p++;
    jws(&j);
    if (j.p < j.end && *j.p == '}')
        return CR_JSON_ABSENT;
    for (;;) {
        cr_buf_reset(&key);
        cr_buf_add(&key, "", 0);
        if (!jstring(&j, &key))
            break;
        jws(&j);
        if (j.p >= j.end || *j.p != ':')
            break;
        j.p++;
        jws(&j);
        if (j.p >= j.end)
            break;
        int match =
            key.len == strlen(name) && !memcmp(key.data, name, key.len);
        const char *start = j.p;
        if (match && *j.p == '"') {
            cr_buf_t v = {0};
            cr_buf_add(&v, "", 0);
            if (!jstring(&j, &v)) {
                cr_buf_free(&v);
                break;
            }
            found = CR_JSON_STRING;
            if (value)
                *value = v.data;
            else
                cr_buf_free(&v);
            break;
        }
        if (!jvalue(&j, 1))
            break;
        if (match) {
            char c = *start;
            if (c == '-' || (c >= '0' && c <= '9')) {
                found = CR_JSON_NUMBER;
                if (value) {
                    size_t n = (size_t)(j.p - start);
                    *value = cr_xmalloc(n + 1);
                    memcpy(*value, start, n);
                    (*value)[n] = '\0';
                }
            }
            else if (c == 't') {
                found = CR_JSON_TRUE;
            }
            else if (c == 'f') {
                found = CR_JSON_FALSE;
            }
            else if (c == 'n') {
                found = CR_JSON_NULL;
            }
            else {
                found = CR_JSON_OTHER;
            }
            break;
        }
        jws(&j);
        if (j.p < j.end && *j.p == ',') {
            j.p++;
            jws(&j);
            continue;
        }
        break;
    }
    cr_buf_free(&key);
    return found;
}

double cr_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void cr_say(const char *fmt, ...)
{
    cr_buf_t b = {0};
    va_list ap;
    cr_buf_adds(&b, "charon-run: ");
    va_start(ap, fmt);
    cr_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    cr_buf_addc(&b, '\n');
    /* one write: lines of charon-run and of the job do not interleave */
    fflush(stderr);
    if (fwrite(b.data, 1, b.len, stderr) != b.len) { /* nothing to do */
    }
    fflush(stderr);
    cr_buf_free(&b);
}

char *cr_trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n
           && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n'
               || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

char *cr_printable(const char *s, size_t len)
{
    cr_buf_t b = {0};
    cr_buf_add(&b, "", 0);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            cr_buf_printf(&b, "\\x%02x", c);
        else
            cr_buf_addc(&b, (char)c);
    }
    return b.data;
}
