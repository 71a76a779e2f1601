/*
 * test_cr.h: what charon-run's unit tests share.
 */
#ifndef CHARON_TEST_CR_H
#define CHARON_TEST_CR_H

#include "charon_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern int passed, failed;

void check_(int ok, const char *file, int line, const char *expr,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define CHECK(c, ...) check_((c) ? 1 : 0, __FILE__, __LINE__, #c, __VA_ARGS__)

/* xorshift64*: deterministic, so that a failure can be replayed. */
unsigned long long rng(void);

/* test_text.c; valid_utf8 is an independent check of UTF-8. */
int valid_utf8(const char *s, size_t n);
void test_repair(void);
void test_boundary(void);
void test_json_out(void);
void test_json_in(void);

/* test_schedule.c */
void test_schedule_checks(void);
void test_zone_checks(void);
void test_grace_checks(void);
void test_start_body(void);

/* test_next.c */
void test_next_golden(void);
void test_next_usage(void);
void test_parse_instant(void);

/* test_apply.c */
void test_apply_file_good(void);
void test_apply_file_errors(void);
void test_duration(void);
void test_put_body(void);
void test_changes(void);
void test_list_page(void);

#endif
