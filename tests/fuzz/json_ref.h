/*
 * json_ref.h: an RFC 8259 recognizer written from the grammar, independent
 * of json-c, for fuzz_body.c to judge the body parser by.  Static
 * functions, as fuzz.h's: each harness is one translation unit.
 */
#ifndef CHARON_JSON_REF_H
#define CHARON_JSON_REF_H

#include "fuzz.h"

/* FUZZ_TOLERATE_KNOWN=1 in the environment lets fuzzing go on past known
 * bugs while they are open.  It was made for two now fixed (their inputs
 * are in corpus/body/): a 400 whose detail was "success", and numbers
 * json-c takes in strict mode though JSON does not ("00", "-01", "1."). */
static int tolerate_known;

/* Strict: the grammar of RFC 8259, strings of valid UTF-8.  Lenient adds
 * what src/lib/body.c documents that json-c still takes in strict mode:
 * raw control characters (not NUL) in strings, NaN, Infinity and
 * -Infinity as values, and strings that are not valid UTF-8.  depth is the
 * deepest level of a value, the body's object being level 1 and each value
 * in an array or object one level below it (so {"a":0} has 2 levels, {}
 * 1); past JV_MAX_DEPTH the recognizer gives up (too_deep). */
#define JV_MAX_DEPTH 100

typedef struct {
    const unsigned char *s;
    size_t n, i;
    int lenient, depth, too_deep;
} jv_t;

static int jv_value(jv_t *j, int depth);

/* json-c's numbers, loosely: a sign, then digits, '.', 'e', '+', '-'. */
static int jv_number_jsonc(jv_t *j)
{
    size_t start = j->i, digits = 0;

    if (j->i < j->n && j->s[j->i] == '-')
        j->i++;
    while (j->i < j->n && strchr("0123456789.eE+-", j->s[j->i])
           && j->s[j->i] != '\0') {
        digits += j->s[j->i] >= '0' && j->s[j->i] <= '9';
        j->i++;
    }
    if (digits == 0)
        j->i = start;
    return digits > 0;
}

static void jv_ws(jv_t *j)
{
    while (j->i < j->n
           && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n'
               || j->s[j->i] == '\r'))
        j->i++;
}

static int jv_lit(jv_t *j, const char *w)
{
    size_t l = strlen(w);

    if (j->n - j->i >= l && memcmp(j->s + j->i, w, l) == 0) {
        j->i += l;
        return 1;
    }
    return 0;
}

static int jv_digit(jv_t *j)
{
    return j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9';
}

static int jv_string(jv_t *j)
{
    size_t start;

    if (j->i >= j->n || j->s[j->i] != '"')
        return 0;
    start = ++j->i;
    while (j->i < j->n) {
        unsigned char c = j->s[j->i];
        if (c == '"') {
            if (!j->lenient && !ref_utf8_valid(j->s + start, j->i - start))
                return 0;
            j->i++;
            return 1;
        }
        if (c == '\\') {
            int k;
            if (++j->i >= j->n)
                return 0;
            c = j->s[j->i];
            if (c == '"' || c == '\\' || c == '/' || c == 'b' || c == 'f'
                || c == 'n' || c == 'r' || c == 't') {
                j->i++;
                continue;
            }
            if (c != 'u')
                return 0;
            for (k = 1; k <= 4; k++)
                if (j->i + k >= j->n
                    || !strchr("0123456789abcdefABCDEF", j->s[j->i + k])
                    || j->s[j->i + k] == '\0')
                    return 0;
            j->i += 5;
            continue;
        }
        if (c < 0x20 && (!j->lenient || c == 0))
            return 0;
        j->i++;
    }
    return 0;
}

static int jv_number(jv_t *j)
{
    size_t start = j->i;

    if (j->i < j->n && j->s[j->i] == '-')
        j->i++;
    if (j->lenient && jv_lit(j, "Infinity"))
        return 1;
    if (j->lenient && tolerate_known) {
        j->i = start;
        return jv_number_jsonc(j);
    }
    if (j->i < j->n && j->s[j->i] == '0')
        j->i++;
    else if (jv_digit(j))
        while (jv_digit(j))
            j->i++;
    else
        return 0;
    if (j->i < j->n && j->s[j->i] == '.') {
        j->i++;
        if (!jv_digit(j))
            return 0;
        while (jv_digit(j))
            j->i++;
    }
    if (j->i < j->n && (j->s[j->i] == 'e' || j->s[j->i] == 'E')) {
        j->i++;
        if (j->i < j->n && (j->s[j->i] == '+' || j->s[j->i] == '-'))
            j->i++;
        if (!jv_digit(j))
            return 0;
        while (jv_digit(j))
            j->i++;
    }
    return 1;
}

/* Arrays and objects: open, members (key: value for objects), close. */
static int jv_container(jv_t *j, int depth, int object)
{
    if (depth > JV_MAX_DEPTH) {
        j->too_deep = 1;
        return 0;
    }
    j->i++; /* '{' or '[' */
    jv_ws(j);
    if (j->i < j->n && j->s[j->i] == (object ? '}' : ']')) {
        j->i++;
        return 1;
    }
    for (;;) {
        if (object) {
            jv_ws(j);
            if (!jv_string(j))
                return 0;
            jv_ws(j);
            if (j->i >= j->n || j->s[j->i] != ':')
                return 0;
            j->i++;
        }
        if (!jv_value(j, depth))
            return 0;
        if (j->i < j->n && j->s[j->i] == ',') {
            j->i++;
            continue;
        }
        if (j->i < j->n && j->s[j->i] == (object ? '}' : ']')) {
            j->i++;
            return 1;
        }
        return 0;
    }
}

static int jv_value(jv_t *j, int depth)
{
    int ok;

    if (depth + 1 > j->depth)
        j->depth = depth + 1; /* this value's level */
    jv_ws(j);
    if (j->i >= j->n)
        return 0;
    switch (j->s[j->i]) {
    case '{': ok = jv_container(j, depth + 1, 1); break;
    case '[': ok = jv_container(j, depth + 1, 0); break;
    case '"': ok = jv_string(j); break;
    case 't': ok = jv_lit(j, "true"); break;
    case 'f': ok = jv_lit(j, "false"); break;
    case 'n': ok = jv_lit(j, "null"); break;
    case 'N': ok = j->lenient && jv_lit(j, "NaN"); break;
    default: ok = jv_number(j); break;
    }
    jv_ws(j);
    return ok;
}

/* 1 when buf is one JSON object and white space; *depth its nesting. */
static int jv_object_text(const char *buf, size_t len, int lenient, int *depth,
                          int *too_deep)
{
    jv_t j;
    int ok;

    j.s = (const unsigned char *)buf;
    j.n = len;
    j.i = 0;
    j.lenient = lenient;
    j.depth = 0;
    j.too_deep = 0;
    jv_ws(&j);
    ok = j.i < j.n && j.s[j.i] == '{' && jv_value(&j, 0) && j.i == j.n;
    *depth = j.depth;
    *too_deep = j.too_deep;
    return ok;
}

/* 1 when buf is one JSON value (RFC 8259, strict) and white space. */
static int jv_value_text(const char *buf, size_t len)
{
    jv_t j;

    j.s = (const unsigned char *)buf;
    j.n = len;
    j.i = 0;
    j.lenient = 0;
    j.depth = 0;
    j.too_deep = 0;
    jv_ws(&j);
    return jv_value(&j, 0) && j.i == j.n;
}

#endif
