/*
 * charon_run_apply.c: `charon-run apply FILE [--prune] [--dry-run]`,
 * crons as code.  The crons of FILE (charon_run_apply_file.c) are made
 * the server's through the management API (docs/MANAGEMENT.md, handler
 * charon-admin), one after the other in the file's order:
 *
 *   GET crons/{slug}          404: PUT with If-None-Match: *   create
 *                             200: PUT with If-Match: its ETag update or
 *                                                              unchanged
 *   --prune: GET crons?limit=200 (every page), then for each cron the
 *   file does not list        DELETE crons/{slug}?executions=delete
 *   --dry-run: ?dry_run=1 on every PUT and DELETE: the server answers
 *   what it would do and changes nothing
 *
 * The PUT body is the definition only (charon_run_apply_doc.c): the
 * operator's switches are kept.  If-Match makes a change made by someone
 * else between the GET and the PUT a 412, reported and not retried: the
 * file is not forced over a change nobody has looked at.  What changed is
 * read from the documents before (the GET) and after (the PUT's answer),
 * so the line printed is what the server did, not what apply meant.
 *
 * The whole file is read and checked before the first request: a mistake
 * sends nothing (65).  Charon refusing one cron (4xx, 5xx) is reported
 * and the others are done (exit 1); Charon out of reach, once the retries
 * of charon_run_api.c are spent, stops everything (69).
 */
#include "charon_run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The largest answer read: a page of 200 crons with names of 255
 * characters escaped is under 1 MiB. */
#define ANSWER_MAX (8u << 20)
/* The largest FILE: more is not a file written by hand. */
#define FILE_MAX   (16u << 20)
#define PAGE_LIMIT "200"
#define PAGES_MAX  100000

typedef struct {
    cr_conf_t *c;
    cr_api_t *api;
    const char *dry; /* "(dry run) " or "" before each line printed */
    int created, updated, unchanged, deleted;
    int failed; /* Charon refused something: exit 1 */
    int down;   /* Charon out of reach: stop, exit 69 */
    int stop;   /* the key is unknown (401): every request would be too */
} apply_t;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    cr_buf_t b = {0};
    va_list ap;
    cr_buf_adds(&b, "charon-run apply: ");
    va_start(ap, fmt);
    cr_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    cr_buf_addc(&b, '\n');
    fflush(stdout); /* the lines before it come first */
    if (fwrite(b.data, 1, b.len, stderr) != b.len) { /* nothing to do */
    }
    fflush(stderr);
    cr_buf_free(&b);
}

/* ---- requests --------------------------------------------------------- */

/* {admin_url}crons/{slug}{query}, the slug percent-encoded. */
static char *cron_url(apply_t *A, const char *slug, const char *query)
{
    char *esc = cr_api_escape(A->api, slug);
    cr_buf_t b = {0};
    cr_buf_printf(&b, "%scrons/%s%s", A->c->admin_url, esc, query);
    free(esc);
    return b.data;
}

/* Sends r (already made by request()): its state.  With --dry-run, a
 * change that succeeded must say it was a dry run (Charon-Dry-Run: 1):
 * a server that ignored ?dry_run=1 has really made it, and nothing more
 * is sent (ABORTED, which unreachable() does not report again). */
static cr_req_state_e send_req(apply_t *A, cr_req_t *r)
{
    cr_req_state_e st = cr_api_call(A->api, r, NULL, -1);
    if (st == CR_REQ_DONE && A->c->dry_run && r->method && r->status >= 200
        && r->status < 300 && !r->dry_run) {
        say("%s %s: %ld without Charon-Dry-Run: 1: the server did not take "
            "it as a dry run, the change may have been made; stopped",
            r->method, r->url, r->status);
        A->failed = A->stop = 1;
        return r->state = CR_REQ_ABORTED;
    }
    return st;
}

static void request(apply_t *A, cr_req_t *r, const char *what,
                    const char *method, char *url)
{
    cr_req_init(r, what, 0, url, cr_now() + A->c->net_timeout);
    r->method = method;
    r->resp_max = ANSWER_MAX;
}

/* Charon cannot be reached: said once, and nothing more is sent. */
static void unreachable(apply_t *A, const char *slug_p, cr_req_t *r)
{
    if (r->state == CR_REQ_ABORTED)
        return; /* said by send_req */
    say("%s: Charon cannot be reached (%s %s: %s); stopped here, what "
        "follows was not applied",
        slug_p, r->method ? r->method : "GET", r->url, r->error);
    A->down = 1;
}

/* Charon answered r with an error: "SLUG: STATUS detail", where detail
 * is the problem document's (RFC 9457), never anything of the key. */
static void refused(apply_t *A, const char *label, cr_req_t *r,
                    const char *note)
{
    const char *body = r->resp.data ? r->resp.data : "";
    char *v = NULL, *p = NULL;
    if (cr_json_member(body, r->resp.len, "detail", &v) != CR_JSON_STRING) {
        free(v);
        v = NULL;
        if (cr_json_member(body, r->resp.len, "title", &v) != CR_JSON_STRING) {
            free(v);
            v = NULL;
        }
    }
    if (v)
        p = cr_printable(v, strlen(v));
    say("%s: %ld %s%s", label, r->status, p ? p : "(no detail)",
        note ? note : "");
    free(v);
    free(p);
    A->failed = 1;
    if (r->status == 401) {
        say("the key is unknown to the management API (401): "
            "nothing more is sent");
        A->stop = 1;
    }
}

static void not_understood(apply_t *A, const char *label, cr_req_t *r,
                           const char *why)
{
    say("%s: %ld, an answer not understood (%s)", label, r->status,
        r->truncated ? "longer than 8 MiB" : why);
    A->failed = 1;
}

/* ---- one cron --------------------------------------------------------- */

/* A PUT retried after an attempt without an answer got 412: the first
 * attempt may have done it.  1 (and the cron's document in *doc) when the
 * cron now holds the file's definition. */
static int done_before(apply_t *A, const cr_def_t *d, cr_buf_t *doc)
{
    cr_req_t r;
    cr_buf_t want = {0}, changes = {0};
    int ok = 0;

    request(A, &r, "cron", NULL, cron_url(A, d->slug, ""));
    if (send_req(A, &r) == CR_REQ_DONE && r.status == 200) {
        cr_def_doc(&want, d);
        if (cr_doc_changes(want.data, want.len, r.resp.data ? r.resp.data : "",
                           r.resp.len, &changes)
            == 0) {
            cr_buf_add(doc, r.resp.data, r.resp.len);
            ok = 1;
        }
    }
    cr_buf_free(&want);
    cr_buf_free(&changes);
    cr_req_free(&r);
    return ok;
}

static const char *put_query(apply_t *A)
{
    return A->c->dry_run ? "?dry_run=1" : "";
}

static void create(apply_t *A, const cr_def_t *d, const char *slug_p)
{
    cr_req_t r;
    cr_buf_t doc = {0};

    request(A, &r, "create", "PUT", cron_url(A, d->slug, put_query(A)));
    snprintf(r.cond, sizeof(r.cond), "If-None-Match: *");
    cr_def_body(&r.body, d);
    cr_req_state_e st = send_req(A, &r);
    if (st != CR_REQ_DONE) {
        unreachable(A, slug_p, &r);
    }
    else if (r.status == 201 || r.status == 200
             || (r.status == 412 && r.attempts > 1
                 && done_before(A, d, &doc))) {
        printf("%screate %s\n", A->dry, slug_p);
        A->created++;
    }
    else {
        refused(A, slug_p, &r,
                r.status == 412 ? " (someone created the cron since it was "
                                  "read: not retried, run apply again)"
                                : NULL);
    }
    cr_buf_free(&doc);
    cr_req_free(&r);
}

static void update(apply_t *A, const cr_def_t *d, const char *slug_p,
                   cr_req_t *got)
{
    cr_req_t r;
    cr_buf_t after = {0}, changes = {0};
    int n = -1;

    request(A, &r, "update", "PUT", cron_url(A, d->slug, put_query(A)));
    /* the ETag was checked printable (charon_run_api.c) */
    snprintf(r.cond, sizeof(r.cond), "If-Match: %s", got->etag);
    cr_def_body(&r.body, d);
    cr_req_state_e st = send_req(A, &r);
    if (st != CR_REQ_DONE) {
        unreachable(A, slug_p, &r);
        goto out;
    }
    if (r.status == 200 || r.status == 201)
        cr_buf_add(&after, r.resp.data ? r.resp.data : "", r.resp.len);
    else if (!(r.status == 412 && r.attempts > 1
               && done_before(A, d, &after))) {
        refused(A, slug_p, &r,
                r.status == 412 ? " (someone changed the cron since it was "
                                  "read: not retried, run apply again)"
                                : NULL);
        goto out;
    }
    n = r.truncated ? -1
                    : cr_doc_changes(got->resp.data, got->resp.len,
                                     after.data ? after.data : "", after.len,
                                     &changes);
    if (n < 0) {
        not_understood(A, slug_p, &r, "not a cron's document");
    }
    else if (n == 0) {
        printf("%sunchanged %s\n", A->dry, slug_p);
        A->unchanged++;
    }
    else {
        printf("%supdate %s: %s\n", A->dry, slug_p, changes.data);
        A->updated++;
    }
out:
    cr_buf_free(&after);
    cr_buf_free(&changes);
    cr_req_free(&r);
}

static void apply_one(apply_t *A, const cr_def_t *d)
{
    cr_req_t r;
    char *slug_p = cr_printable(d->slug, strlen(d->slug));

    request(A, &r, "cron", NULL, cron_url(A, d->slug, ""));
    cr_req_state_e st = send_req(A, &r);
    if (st != CR_REQ_DONE) {
        unreachable(A, slug_p, &r);
    }
    else if (r.status == 404) {
        create(A, d, slug_p);
    }
    else if (r.status != 200) {
        refused(A, slug_p, &r, NULL);
    }
    else if (r.truncated
             || cr_json_member(r.resp.data ? r.resp.data : "", r.resp.len,
                               "slug", NULL)
                    != CR_JSON_STRING) {
        not_understood(A, slug_p, &r, "not a cron's document");
    }
    else if (!r.etag[0]) {
        /* without it the PUT could not be made conditional */
        not_understood(A, slug_p, &r, "no ETag");
    }
    else {
        update(A, d, slug_p, &r);
    }
    cr_req_free(&r);
    free(slug_p);
}

/* ---- --prune ---------------------------------------------------------- */

static int by_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every cron the key sees, page after page.  0, or -1 (said why). */
static int list_all(apply_t *A, cr_strs_t *all)
{
    char *cursor = NULL;
    int rc = 0;

    for (int page = 0;; page++) {
        cr_req_t r;
        cr_buf_t url = {0};
        cr_buf_printf(&url, "%scrons?limit=" PAGE_LIMIT, A->c->admin_url);
        if (cursor) {
            char *esc = cr_api_escape(A->api, cursor);
            cr_buf_printf(&url, "&cursor=%s", esc);
            free(esc);
        }
        request(A, &r, "list", NULL, url.data);
        cr_req_state_e st = send_req(A, &r);
        char *next = NULL;
        if (st != CR_REQ_DONE) {
            unreachable(A, "--prune", &r);
            rc = -1;
        }
        else if (r.status != 200) {
            refused(A, "--prune: the list of crons", &r, NULL);
            rc = -1;
        }
        else if (r.truncated
                 || cr_list_page(r.resp.data ? r.resp.data : "", r.resp.len,
                                 all, &next)) {
            not_understood(A, "--prune: the list of crons", &r,
                           "not a page of crons");
            rc = -1;
        }
        else if (next && cursor && !strcmp(next, cursor)) {
            not_understood(A, "--prune: the list of crons", &r,
                           "the same next_cursor twice");
            rc = -1;
        }
        else if (next && page + 1 >= PAGES_MAX) {
            not_understood(A, "--prune: the list of crons", &r,
                           "more than 100000 pages");
            rc = -1;
        }
        cr_req_free(&r);
        free(cursor);
        cursor = next;
        if (rc || !cursor)
            break;
    }
    free(cursor);
    return rc;
}

static void delete_one(apply_t *A, const char *slug)
{
    cr_req_t r;
    char *slug_p = cr_printable(slug, strlen(slug));

    request(A, &r, "delete", "DELETE",
            cron_url(A, slug,
                     A->c->dry_run ? "?executions=delete&dry_run=1"
                                   : "?executions=delete"));
    cr_req_state_e st = send_req(A, &r);
    if (st != CR_REQ_DONE) {
        unreachable(A, slug_p, &r);
    }
    else if (r.status == 204 || r.status == 200
             || (r.status == 404 && r.attempts > 1)) {
        /* 404 after an attempt without an answer: that attempt did it */
        printf("%sdelete %s\n", A->dry, slug_p);
        A->deleted++;
    }
    else if (r.status == 404) {
        say("%s: already deleted by someone else (404)", slug_p);
    }
    else {
        refused(A, slug_p, &r, NULL);
    }
    cr_req_free(&r);
    free(slug_p);
}

/* Deletes what the key sees and the file does not list.  The whole list
 * is read before the first DELETE: a list that fails half way deletes
 * nothing. */
static void prune(apply_t *A, const cr_defs_t *defs)
{
    cr_strs_t all = {0};
    char **mine = cr_xmalloc((defs->n ? defs->n : 1) * sizeof(*mine));

    if (list_all(A, &all)) {
        free(mine);
        cr_strs_free(&all);
        return;
    }
    for (size_t i = 0; i < defs->n; i++)
        mine[i] = defs->v[i].slug;
    qsort(mine, defs->n, sizeof(*mine), by_text);
    for (size_t i = 0; i < all.n && !A->down && !A->stop; i++)
        if (!bsearch(&all.v[i], mine, defs->n, sizeof(*mine), by_text))
            delete_one(A, all.v[i]);
    free(mine);
    cr_strs_free(&all);
}

/* ---- main ------------------------------------------------------------- */

/* The whole file into out: 0, or CR_EX_NOINPUT after saying why. */
static int read_file(const char *path, cr_buf_t *out)
{
    int std = !strcmp(path, "-");
    FILE *f = std ? stdin : fopen(path, "rb");
    char *p = cr_printable(path, strlen(path));
    char chunk[65536];
    size_t n;
    int rc = 0;

    if (!f) {
        say("%s: %s", p, strerror(errno));
        free(p);
        return CR_EX_NOINPUT;
    }
    cr_buf_add(out, "", 0);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (out->len + n > FILE_MAX) {
            say("%s: larger than 16 MiB: not a file of crons", p);
            rc = CR_EX_NOINPUT;
            break;
        }
        cr_buf_add(out, chunk, n);
    }
    if (!rc && ferror(f)) {
        say("%s: %s", p, strerror(errno));
        rc = CR_EX_NOINPUT;
    }
    if (!std)
        fclose(f);
    free(p);
    return rc;
}

static int run(apply_t *A, const cr_defs_t *defs)
{
    /* the run's policy (docs/CHARON-RUN.md, "The network"): every
     * request apply sends is safe to repeat (a GET, a conditional PUT, a
     * DELETE), and a 412 or 404 after a repeat is looked into */
    cr_api_conf_t ac = {
        .key = A->c->key,
        .cacert = A->c->cacert,
        .attempt_timeout = 5,
        .connect_timeout = 3,
        .max_attempts = 4,
        .retry_after_cap = 2,
        .verbose = A->c->verbose,
    };
    char err[256];

    A->api = cr_api_new(&ac, err, sizeof(err));
    if (!A->api) {
        say("%s", err);
        return CR_EX_OSERR;
    }
    for (size_t i = 0; i < defs->n && !A->down && !A->stop; i++)
        apply_one(A, &defs->v[i]);
    if (A->c->prune && !A->down && !A->stop)
        prune(A, defs);
    printf("%sapply: %d created, %d updated, %d unchanged, %d deleted\n",
           A->dry, A->created, A->updated, A->unchanged, A->deleted);
    if (fflush(stdout) != 0) {
        say("could not write the output");
        return 1;
    }
    return A->down ? CR_EX_UNAVAILABLE : A->failed ? 1 : 0;
}

int cr_apply_main(int argc, char **argv)
{
    cr_conf_t c;
    cr_buf_t text = {0}, errs = {0};
    cr_defs_t defs = {0};
    apply_t A;
    int rc = cr_conf_load(&c, argc, argv, CR_MODE_APPLY);

    if (rc != 0) {
        cr_conf_free(&c);
        return rc == -1 ? 0 : rc;
    }
    /* a line at a time: progress shows, and in order with stderr's */
    setvbuf(stdout, NULL, _IOLBF, 0);
    memset(&A, 0, sizeof(A));
    A.c = &c;
    A.dry = c.dry_run ? "(dry run) " : "";

    const char *name = strcmp(c.file, "-") ? c.file : "<stdin>";
    char *name_p = cr_printable(name, strlen(name));
    rc = read_file(c.file, &text);
    if (!rc && cr_defs_parse(name, text.data, text.len, &defs, &errs) > 0) {
        fflush(stdout);
        if (fwrite(errs.data, 1, errs.len, stderr) != errs.len) {
        }
        say("%s has mistakes: nothing was sent", name_p);
        rc = CR_EX_DATAERR;
    }
    else if (!rc && c.prune && defs.n == 0) {
        /* an empty file (a template that expanded to nothing, a wrong
         * path to an empty file) must not delete every cron */
        say("%s defines no cron: --prune would delete every cron the key "
            "sees; refused, nothing was sent",
            name_p);
        rc = CR_EX_DATAERR;
    }
    else if (!rc) {
        rc = run(&A, &defs);
    }
    free(name_p);
    cr_defs_free(&defs);
    cr_buf_free(&text);
    cr_buf_free(&errs);
    cr_api_free(A.api);
    cr_conf_free(&c);
    return rc;
}
