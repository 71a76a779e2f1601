/*
 * fuzz.h: what the libFuzzer harnesses of src/lib/ share.
 *
 * Each tests/fuzz/fuzz_<name>.c defines LLVMFuzzerInitialize (APR and one
 * pool, created once) and LLVMFuzzerTestOneInput (the pool is cleared after
 * every input).  Built two ways:
 *
 *   clang -fsanitize=fuzzer,address,undefined   build/fuzz/fuzz_<name>
 *   cc (gcc) + tests/fuzz/replay.c              build/fuzz/replay_<name>
 *
 * An invariant that does not hold is reported by FUZZ_CHECK, which prints
 * what failed and calls abort(): libFuzzer saves the input as a crash, and
 * the replay driver counts the file as failed.
 */
#ifndef CHARON_FUZZ_H
#define CHARON_FUZZ_H

#include "lib/charon_lib.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_fnmatch.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                             \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s: ", __FILE__, \
                    __LINE__, #cond);                                     \
            fprintf(stderr, __VA_ARGS__);                                 \
            fputc('\n', stderr);                                          \
            abort();                                                      \
        }                                                                 \
    } while (0)

/* The one pool of a harness: created by fuzz_init, cleared per input. */
static apr_pool_t *fuzz_pool;

static inline void fuzz_init(void)
{
    if (fuzz_pool != NULL)
        return;
    if (apr_initialize() != APR_SUCCESS
        || apr_pool_create(&fuzz_pool, NULL) != APR_SUCCESS) {
        fprintf(stderr, "fuzz: cannot initialize APR\n");
        abort();
    }
}

/* LLVMFuzzerInitialize of a harness that needs nothing but fuzz_pool. */
#define FUZZ_INITIALIZE_POOL_ONLY()                   \
    int LLVMFuzzerInitialize(int *argc, char ***argv) \
    {                                                 \
        (void)argc;                                   \
        (void)argv;                                   \
        fuzz_init();                                  \
        return 0;                                     \
    }

/* A heap copy of exactly n bytes (malloc(0) for none), so that
 * AddressSanitizer sees any read past the end of the input. */
__attribute__((noinline, unused)) static char *fuzz_dup(const uint8_t *data,
                                                        size_t n)
{
    char *b = malloc(n);
    if (b == NULL && n != 0)
        abort();
    if (n)
        memcpy(b, data, n);
    return b;
}

/* A NUL-terminated heap copy of data[0..n); stops at nothing, so the C
 * string is data up to its first NUL byte. */
static inline char *fuzz_str(const uint8_t *data, size_t n)
{
    char *b = malloc(n + 1);
    if (b == NULL)
        abort();
    if (n)
        memcpy(b, data, n);
    b[n] = '\0';
    return b;
}

/* An independent UTF-8 decoder, written from the bit patterns (not from
 * table 3-7 as charon_utf8_valid is): decode each sequence to its code
 * point, then refuse overlong forms, surrogates and values past U+10FFFF. */
static inline int ref_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;

    while (i < n) {
        unsigned c = s[i];
        unsigned long cp, min;
        size_t need, k;

        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            need = 1;
            cp = c & 0x1F;
            min = 0x80;
        }
        else if ((c & 0xF0) == 0xE0) {
            need = 2;
            cp = c & 0x0F;
            min = 0x800;
        }
        else if ((c & 0xF8) == 0xF0) {
            need = 3;
            cp = c & 0x07;
            min = 0x10000;
        }
        else
            return 0;
        if (n - i - 1 < need)
            return 0;
        for (k = 1; k <= need; k++) {
            unsigned d = s[i + k];
            if ((d & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (d & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += need + 1;
    }
    return 1;
}

/* Equal strings, or both NULL. */
static inline int fuzz_str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

/* Printable ASCII only: what an error sentence may hold. */
static inline int fuzz_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
            return 0;
    return 1;
}

#endif /* CHARON_FUZZ_H */
