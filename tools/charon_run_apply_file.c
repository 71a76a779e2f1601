/*
 * charon_run_apply_file.c: the file `charon-run apply` reads, crons as
 * code, written by hand:
 *
 *   # comments and blank lines are ignored
 *   [nightly-backup]
 *   name = Nightly backup
 *   schedule = 0 3 * * *
 *   grace = 10m
 *
 * One [slug] section per cron, `key = value` lines: the value is the rest
 * of the line after '=', without the blanks around it (a schedule has
 * spaces; no quotes, no comment after it).  Every value is checked here
 * as the management API checks it (docs/MANAGEMENT.md, src/lib/
 * cron_doc.c), the schedule and the zone with the module's own parser:
 * a typo stops apply before anything is sent, naming its line, instead of
 * a 422 in the middle of a deploy that has already changed half the
 * crons.
 *
 * No libcurl and no I/O: tests/charon-run/ tests it.
 */
#include "charon_run.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The management API's ranges (cron_doc.c's member()): the databases'
 * INTEGER for the runtimes, 366 days of grace, a year of realert. */
#define SECONDS_MAX 2147483647LL

const cr_field_t cr_fields[CR_NFIELDS] = {
    {"name", CR_F_TEXT, 1, 255, NULL},
    {"concurrency", CR_F_CHOICE, 0, 0, "\"allow\""},
    {"max_runtime", CR_F_SECONDS, 1, SECONDS_MAX, "null"},
    {"schedule", CR_F_SCHEDULE, 0, 0, "null"},
    {"timezone", CR_F_ZONE, 0, 0, "null"},
    {"grace", CR_F_SECONDS, 1, 31622400, "300"},
    {"min_runtime", CR_F_SECONDS, 1, SECONDS_MAX, "null"},
    {"failure_threshold", CR_F_COUNT, 1, 1000, "1"},
    {"recovery_threshold", CR_F_COUNT, 1, 1000, "1"},
    {"realert_every", CR_F_SECONDS, 60, 31536000, "null"},
};

/* Past this many mistakes the rest of the file is not read: the first
 * ones are enough to fix, and a wrong file (a binary) says so quickly. */
#define MAX_ERRORS 20

/* ---- values ----------------------------------------------------------- */

int cr_duration_parse(const char *s, long long *secs)
{
    static const struct {
        char unit;
        long long secs;
    } units[] = {
        {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800}};
    long long v = 0, mult = 1;

    if (*s < '0' || *s > '9')
        return 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (LLONG_MAX - (*s - '0')) / 10)
            return 0;
        v = v * 10 + (*s - '0');
    }
    if (*s) {
        size_t i;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (s[0] == units[i].unit && !s[1])
                break;
        if (i == sizeof(units) / sizeof(units[0]))
            return 0;
        mult = units[i].secs;
    }
    if (v > LLONG_MAX / mult)
        return 0;
    *secs = v * mult;
    return 1;
}

/* Whole number in decimal digits, no sign: 1 and *n, or 0. */
static int parse_count(const char *s, long long *n)
{
    long long v = 0;
    if (!*s)
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (LLONG_MAX - (*s - '0')) / 10)
            return 0;
        v = v * 10 + (*s - '0');
    }
    *n = v;
    return 1;
}

/* A number of seconds as the file could write it: "366d", "1h", "90s". */
static void say_seconds(cr_buf_t *b, long long s)
{
    if (s % 86400 == 0)
        cr_buf_printf(b, "%lldd", s / 86400);
    else if (s % 3600 == 0)
        cr_buf_printf(b, "%lldh", s / 3600);
    else if (s % 60 == 0)
        cr_buf_printf(b, "%lldm", s / 60);
    else
        cr_buf_printf(b, "%llds", s);
}

static int utf8_ok(const char *s)
{
    cr_buf_t scratch = {0};
    size_t bad = cr_utf8_repair(&scratch, s, strlen(s));
    cr_buf_free(&scratch);
    return bad == 0;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7F)
            return 1;
    return 0;
}

/* Code points of valid UTF-8. */
static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

const char *cr_slug_check(const char *slug)
{
    /* src/lib/settings.c's charon_slug_check, which needs APR */
    if (!*slug)
        return "the slug is empty";
    if (strlen(slug) > 255)
        return "a slug is at most 255 bytes";
    if (!utf8_ok(slug))
        return "a slug is valid UTF-8";
    if (strchr(slug, '/'))
        return "a slug cannot contain '/' (the API's URLs could not name "
               "the cron)";
    if (has_control(slug))
        return "a slug cannot contain control characters";
    if (!strcmp(slug, ".") || !strcmp(slug, ".."))
        return "a slug cannot be '.' or '..' (the API's URLs could not "
               "name the cron)";
    return NULL;
}

/* Checks v, the value of field f (not empty), into d.  NULL, or why not
 * (in why, naming the key and the value). */
static const char *field_value(cr_def_t *d, int f, const char *v,
                               cr_buf_t *why)
{
    const cr_field_t *F = &cr_fields[f];
    char *p = cr_printable(v, strlen(v));
    char s[700];
    long long n = 0;
    int ok = 1;

    cr_buf_reset(why);
    switch (F->kind) {
    case CR_F_TEXT:
        if (!utf8_ok(v))
            cr_buf_printf(why, "%s '%s' is not valid UTF-8", F->name, p);
        else if (has_control(v))
            cr_buf_printf(why, "%s '%s' cannot contain control characters",
                          F->name, p);
        else if (chars(v) > (size_t)F->max)
            cr_buf_printf(why, "%s is longer than %lld characters", F->name,
                          F->max);
        break;
    case CR_F_CHOICE:
        if (strcmp(v, "allow") && strcmp(v, "forbid"))
            cr_buf_printf(why, "%s '%s' must be allow or forbid", F->name, p);
        break;
    case CR_F_SCHEDULE:
        if (cr_schedule_check(v, s, sizeof(s)))
            cr_buf_printf(why, "%s %s", F->name, s);
        break;
    case CR_F_ZONE:
        if (cr_zone_check(v, s, sizeof(s)))
            cr_buf_printf(why, "%s %s", F->name, s);
        break;
    case CR_F_SECONDS:
        ok = cr_duration_parse(v, &n) && n >= F->min && n <= F->max;
        if (!ok) {
            cr_buf_printf(why, "%s '%s' must be a duration from ", F->name, p);
            say_seconds(why, F->min);
            cr_buf_adds(why, " to ");
            say_seconds(why, F->max);
            cr_buf_adds(why, ": whole seconds, or a number followed by s, "
                             "m, h, d or w (90s, 10m, 2h, 1d)");
        }
        break;
    case CR_F_COUNT:
        ok = parse_count(v, &n) && n >= F->min && n <= F->max;
        if (!ok)
            cr_buf_printf(why,
                          "%s '%s' must be a whole number from %lld "
                          "to %lld",
                          F->name, p, F->min, F->max);
        break;
    }
    free(p);
    if (why->len)
        return why->data;
    d->text[f] = cr_xstrdup(v);
    d->num[f] = n;
    return NULL;
}

/* ---- the file --------------------------------------------------------- */

static int field_index(const char *key)
{
    char k[64];
    size_t i;
    for (i = 0; key[i] && i < sizeof(k) - 1; i++)
        k[i] = key[i] == '-' ? '_' : key[i];
    k[i] = '\0';
    if (key[i])
        return -1;
    for (int f = 0; f < CR_NFIELDS; f++)
        if (!strcmp(cr_fields[f].name, k))
            return f;
    return -1;
}

typedef struct {
    const char *path; /* printable */
    cr_buf_t *errs;
    int n;
} errs_t;

__attribute__((format(printf, 3, 4))) static void mistake(errs_t *e, int line,
                                                          const char *fmt, ...)
{
    va_list ap;
    e->n++;
    cr_buf_printf(e->errs, "%s:%d: ", e->path, line);
    va_start(ap, fmt);
    cr_buf_vprintf(e->errs, fmt, ap);
    va_end(ap);
    cr_buf_addc(e->errs, '\n');
}

static cr_def_t *new_def(cr_defs_t *defs, const char *slug, int line)
{
    if (defs->n == defs->cap) {
        defs->cap = defs->cap ? defs->cap * 2 : 16;
        defs->v = cr_xrealloc(defs->v, defs->cap * sizeof(*defs->v));
    }
    cr_def_t *d = &defs->v[defs->n++];
    memset(d, 0, sizeof(*d));
    d->slug = cr_xstrdup(slug);
    d->line = line;
    return d;
}

/* A "[slug]" line (t trimmed, starting with '['): the cron it opens, or
 * NULL after a mistake (its keys are then skipped: one mistake, one
 * message). */
static cr_def_t *section(cr_defs_t *defs, errs_t *e, int line, char *t)
{
    size_t n = strlen(t);
    if (n < 2 || t[n - 1] != ']') {
        char *p = cr_printable(t, n);
        mistake(e, line, "'%s' is not a section: write [slug]", p);
        free(p);
        return NULL;
    }
    t[n - 1] = '\0';
    char *slug = cr_trim(t + 1);
    const char *bad = cr_slug_check(slug);
    if (bad) {
        char *p = cr_printable(slug, strlen(slug));
        mistake(e, line, "'%s' is not a slug: %s", p, bad);
        free(p);
        return NULL;
    }
    for (size_t i = 0; i < defs->n; i++)
        if (!strcmp(defs->v[i].slug, slug)) {
            mistake(e, line, "the cron '%s' is already defined at line %d",
                    slug, defs->v[i].line);
            return NULL;
        }
    return new_def(defs, slug, line);
}

/* A "key = value" line of the cron d. */
static void key_line(cr_def_t *d, errs_t *e, int line, char *t, char *eq,
                     cr_buf_t *why)
{
    *eq = '\0';
    char *key = cr_trim(t), *value = cr_trim(eq + 1);
    int f = field_index(key);
    if (f < 0) {
        char *p = cr_printable(key, strlen(key));
        mistake(e, line,
                "'%s' is not a key of a cron (name, schedule, timezone, "
                "grace, concurrency, max_runtime, min_runtime, "
                "failure_threshold, recovery_threshold, realert_every)",
                p);
        free(p);
        return;
    }
    if (d->set_at[f]) {
        mistake(e, line, "%s is already set at line %d for the cron '%s'",
                cr_fields[f].name, d->set_at[f], d->slug);
        return;
    }
    d->set_at[f] = line;
    /* empty: the field's default, as if the line were not there */
    const char *bad = *value ? field_value(d, f, value, why) : NULL;
    if (bad)
        mistake(e, line, "%s", bad);
}

int cr_defs_parse(const char *path, const char *text, size_t len,
                  cr_defs_t *defs, cr_buf_t *errs)
{
    char *pp = cr_printable(path, strlen(path));
    errs_t e = {pp, errs, 0};
    const char *p = text, *end = text + len;
    cr_def_t *cur = NULL;
    int line = 0, in_section = 0;
    cr_buf_t why = {0};

    /* a byte order mark, which some editors write */
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    while (p < end && e.n < MAX_ERRORS) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        if (memchr(p, '\0', n)) {
            mistake(&e, line, "a NUL byte: this is not a text file");
            p = nl ? nl + 1 : end;
            continue;
        }
        char *copy = cr_xmalloc(n + 1);
        memcpy(copy, p, n);
        copy[n] = '\0';
        p = nl ? nl + 1 : end;

        char *t = cr_trim(copy), *eq;
        if (!*t || *t == '#') {
            /* a comment, or nothing */
        }
        else if (*t == '[') {
            in_section = 1;
            cur = section(defs, &e, line, t);
        }
        else if ((eq = strchr(t, '=')) == NULL) {
            char *q = cr_printable(t, strlen(t));
            mistake(&e, line, "'%s' is neither 'key = value' nor [slug]", q);
            free(q);
        }
        else if (!in_section) {
            *eq = '\0';
            char *q = cr_printable(cr_trim(t), strlen(cr_trim(t)));
            mistake(&e, line,
                    "%s is outside a section: start each cron with [slug]", q);
            free(q);
        }
        else if (cur) {
            key_line(cur, &e, line, t, eq, &why);
        }
        free(copy);
    }
    if (e.n >= MAX_ERRORS && p < end)
        cr_buf_printf(errs, "%s: too many mistakes, the rest was not read\n",
                      pp);
    cr_buf_free(&why);
    free(pp);
    return e.n;
}

void cr_defs_free(cr_defs_t *defs)
{
    for (size_t i = 0; i < defs->n; i++) {
        free(defs->v[i].slug);
        for (int f = 0; f < CR_NFIELDS; f++)
            free(defs->v[i].text[f]);
    }
    free(defs->v);
    memset(defs, 0, sizeof(*defs));
}
