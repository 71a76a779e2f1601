/*
 * charon-run: runs one cron job as one execution recorded by Charon.
 *
 *   charon-run [OPTIONS] SLUG [--] COMMAND [ARGUMENT...]
 *   charon-run next [--timezone ZONE] [--from TIME] [--count N] SCHEDULE
 *                                    (charon_run_next.c)
 *   charon-run apply [OPTIONS] FILE [--prune] [--dry-run]
 *                                    (charon_run_apply.c)
 *
 * 1. GET  {url}{slug}/can-start      the cron's id; 404: exit 67
 * 2. POST {url}{cronId}/start        with an Idempotency-Key; it decides:
 *                                    418 (off): exit 79, 409 (locked): 75,
 *                                    the refusal counted by Charon
 * 3. runs COMMAND in its own process group (charon_run_job.c), its
 *    stdout and stderr read through pipes in one poll loop with libcurl's
 *    transfers (charon_run_loop.c), passed through to charon-run's own
 *    stdout and stderr, and sent as messages (POST {url}{id}/message) in
 *    batches, capped (charon_run_output.c)
 * 4. POST {url}{id}/end             success = exit status 0
 *
 * Charon being unreachable never stops the job (unless
 * --refuse-when-down) nor holds it up for more than --net-timeout before
 * it starts; while it runs, no request ever blocks the reading of its
 * output.  See docs/CHARON-RUN.md and charon-run(1).
 */
#include "charon_run.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* ---- start and end ---------------------------------------------------- */

/* Charon cannot be used: run unrecorded, or refuse. Returns 0 to run. */
static int unusable(cr_run_t *R, const char *why, int key_problem)
{
    if (R->c->refuse_when_down) {
        cr_say("%s; --refuse-when-down: the job was not run", why);
        return key_problem ? CR_EX_CONFIG : CR_EX_UNAVAILABLE;
    }
    cr_say("%s; the job runs anyway, not recorded in Charon", why);
    return 0;
}

static char *member(cr_req_t *r, const char *name)
{
    char *v = NULL;
    cr_jtype_e t = cr_json_member(r->resp.data ? r->resp.data : "",
                                  r->resp.len, name, &v);
    if (t != CR_JSON_STRING && t != CR_JSON_NUMBER) {
        free(v);
        return NULL;
    }
    char *p = cr_printable(v, strlen(v));
    free(v);
    return p;
}

static long long member_id(cr_req_t *r, const char *name)
{
    char *v = NULL;
    long long id = 0;
    if (cr_json_member(r->resp.data ? r->resp.data : "", r->resp.len, name, &v)
        == CR_JSON_NUMBER) {
        char *end;
        errno = 0;
        id = strtoll(v, &end, 10);
        if (errno || *end || id <= 0)
            id = 0;
    }
    free(v);
    return id;
}

/* Why the cron may not run, from start's 418 or 409 problem document
 * (refusal, reason, until, runningExecutionId: can-start's members). */
static int refused(cr_run_t *R, cr_req_t *r, int locked)
{
    char *reason = member(r, "reason"), *until = member(r, "until");
    if (locked)
        cr_say("the cron '%s' is locked: %s; the job was not run", R->slug_p,
               reason ? reason : "another run is in progress");
    else
        cr_say("the cron '%s' is switched off%s%s%s%s; the job was not run",
               R->slug_p, reason ? ": " : "", reason ? reason : "",
               until ? ", until " : "", until ? until : "");
    free(reason);
    free(until);
    return locked ? CR_EX_LOCKED : CR_EX_OFF;
}

static int common_answer(cr_run_t *R, cr_req_t *r, cr_req_state_e st)
{
    char why[512];
    if (st == CR_REQ_ABORTED) {
        cr_say("%s before the job started: it was not run",
               cr_sig_name(cr_stop_sig));
        return 128 + cr_stop_sig;
    }
    if (st == CR_REQ_DOWN) {
        snprintf(why, sizeof(why), "Charon cannot be reached (%s: %s)",
                 r->what, r->error);
        return unusable(R, why, 0);
    }
    if (r->status == 404) {
        cr_say(
            "no cron has the slug '%s' in Charon (404); the job was not run",
            R->slug_p);
        return CR_EX_NOCRON;
    }
    if (r->status == 401 || r->status == 403) {
        snprintf(why, sizeof(why),
                 r->status == 401
                     ? "Charon refused the API key (401)"
                     : "the API key may not use the cron '%s' (403)",
                 R->slug_p);
        return unusable(R, why, 1);
    }
    snprintf(why, sizeof(why), "Charon answered %s with status %ld", r->what,
             r->status);
    return unusable(R, why, 0);
}

/* The cron's id, from can-start (its slug's lookup).  Returns -1 with
 * R->cron_id set, or an exit status (0: run unrecorded). */
static int look_up(cr_run_t *R, double deadline)
{
    cr_req_t r;
    cr_req_state_e st;
    int rc = -1;

    cr_req_init(&r, "can-start", 0,
                cr_api_url(R->api, R->c->url, R->c->slug, "can-start"),
                deadline);
    st = cr_api_call(R->api, &r, &cr_stop_sig, -1);
    if (st == CR_REQ_DONE && r.status == 200) {
        /* canStart is not looked at: start decides, atomically, and
         * counts a refusal (refused_inactive, refused_locked) that a
         * client stopping at can-start would hide. */
        R->cron_id = member_id(&r, "cronId");
        if (!R->cron_id)
            rc = unusable(R, "Charon's answer to can-start is not understood",
                          0);
    }
    else {
        rc = common_answer(R, &r, st);
    }
    cr_req_free(&r);
    return rc;
}

/* POST start, with the schedule when there is one. */
static cr_req_state_e start(cr_run_t *R, cr_req_t *r, double deadline,
                            int with_schedule)
{
    char id[32];

    snprintf(id, sizeof(id), "%lld", R->cron_id);
    cr_req_init(r, "start", 1, cr_api_url(R->api, R->c->url, id, "start"),
                deadline);
    /* Another key for another body: the module would refuse the same
     * key with a different request (422). */
    snprintf(r->idem, sizeof(r->idem), "%s%s", R->uuid,
             R->c->schedule && !with_schedule ? "-unscheduled" : "");
    if (with_schedule)
        cr_start_body(&r->body, R->c->schedule, R->c->timezone, R->c->grace);
    return cr_api_call(R->api, r, &cr_stop_sig, -1);
}

/* Charon refused the schedule sent with start (422), although charon-run
 * found it good (another version of the module, another ICU): said
 * once, with the member the module named and why. */
static void schedule_refused(cr_req_t *r)
{
    char *field = member(r, "field"), *detail = member(r, "detail");
    const char *opt = !field                       ? NULL
                      : !strcmp(field, "schedule") ? "--schedule"
                      : !strcmp(field, "timezone") ? "--timezone"
                      : !strcmp(field, "grace")    ? "--grace"
                                                   : NULL;
    cr_say("Charon refused %s sent with start (422: %s); the cron's "
           "schedule is left as it was, and start goes again without it",
           opt ? opt : "the schedule", detail ? detail : "no detail");
    free(field);
    free(detail);
}

/* can-start for the cron's id, then start, which decides.  Returns -1 to
 * run the job (R->exec_id set when it is recorded), or the exit status. */
static int begin(cr_run_t *R)
{
    double deadline = cr_now() + R->c->net_timeout;
    cr_req_t r;
    cr_req_state_e st;
    int rc;

    rc = look_up(R, deadline);
    if (rc != -1)
        return rc ? rc : -1;

    st = start(R, &r, deadline, R->c->schedule != NULL);
    if (st == CR_REQ_DONE && r.status == 422 && R->c->schedule) {
        /* As with a message or an end that Charon refuses, the run is
         * what matters: it is still recorded, without what was refused. */
        schedule_refused(&r);
        cr_req_free(&r);
        st = start(R, &r, deadline, 0);
    }
    if (st == CR_REQ_DONE && r.status == 200) {
        R->exec_id = member_id(&r, "id");
        rc =
            R->exec_id
                ? -1
                : unusable(R, "Charon's answer to start is not understood", 0);
    }
    else if (st == CR_REQ_DONE && (r.status == 418 || r.status == 409)) {
        /* 418: the cron is off; 409: another run holds its lock.  Nothing
         * was created, and Charon counted the refusal. */
        rc = refused(R, &r, r.status == 409);
    }
    else {
        rc = common_answer(R, &r, st);
    }
    cr_req_free(&r);
    if (rc == 0)
        rc = -1;
    if (rc == -1 && R->c->verbose && R->exec_id)
        cr_say("execution %lld of cron %lld started", R->exec_id, R->cron_id);
    return rc;
}

/* The end: remaining messages (bounded, charon_run_loop.c), then end. */
static void finish(cr_run_t *R, int success, const char *text)
{
    if (!R->api || !R->exec_id)
        return;
    cr_send_remaining(R);

    if (R->dropped_msgs && !R->said_down)
        cr_say("%llu messages (%llu bytes of output) could not be sent to "
               "Charon in time",
               R->dropped_msgs, R->dropped_raw);
    cr_buf_t msg = {0};
    cr_buf_adds(&msg, text);
    if (R->dropped_msgs)
        cr_buf_printf(&msg,
                      "; %llu messages (%llu bytes of output) could not "
                      "be sent to Charon",
                      R->dropped_msgs, R->dropped_raw);
    /* A server with smaller limits than ours may refuse the message
     * (413, 422): then the first clause alone, then no message. */
    const char *end = strchr(text, ';');
    size_t tries[3] = {msg.len, end ? (size_t)(end - text) : strlen(text), 0};
    char id[32];
    snprintf(id, sizeof(id), "%lld", R->exec_id);
    for (int t = 0; t < 3; t++) {
        if (t > 0 && tries[t] == tries[t - 1])
            continue;
        cr_req_t r;
        cr_req_init(&r, "end", 1, cr_api_url(R->api, R->c->url, id, "end"),
                    cr_now() + R->c->net_timeout);
        cr_buf_printf(&r.body, "{\"type\":\"%s\",\"success\":%s",
                      success ? "success" : "error",
                      success ? "true" : "false");
        if (tries[t]) {
            cr_buf_adds(&r.body, ",\"message\":");
            cr_json_string(&r.body, msg.data, tries[t]);
        }
        cr_buf_addc(&r.body, '}');
        snprintf(r.idem, sizeof(r.idem), "%s-end%s", R->uuid,
                 t == 0   ? ""
                 : t == 1 ? "-short"
                          : "-bare");
        cr_req_state_e st = cr_api_call(R->api, &r, NULL, -1);
        int again =
            st == CR_REQ_DONE && (r.status == 413 || r.status == 422) && t < 2;
        if (again) {
            cr_req_free(&r);
            continue;
        }
        if (st != CR_REQ_DONE)
            cr_say("could not record the end of execution %lld in Charon (%s)",
                   R->exec_id, r.error);
        else if (r.status != 200)
            cr_say("Charon answered %ld to the end of execution %lld",
                   r.status, R->exec_id);
        else if (R->c->verbose)
            cr_say("execution %lld ended: %.*s", R->exec_id, (int)tries[t],
                   msg.data);
        cr_req_free(&r);
        break;
    }
    cr_buf_free(&msg);
}

/* What happened to the job, in words; its exit status and success. */
static void outcome(cr_run_t *R, cr_buf_t *m, int *code, int *success)
{
    double secs = R->t_end - R->t_start;
    int st = R->status;
    cr_buf_t what = {0};
    if (WIFEXITED(st)) {
        *code = WEXITSTATUS(st);
        cr_buf_printf(&what, "exit status %d", *code);
    }
    else if (WIFSIGNALED(st)) {
        *code = 128 + WTERMSIG(st);
        cr_buf_printf(&what, "killed by signal %d (%s)", WTERMSIG(st),
                      cr_sig_name(WTERMSIG(st)));
    }
    else {
        *code = 1;
        cr_buf_adds(&what, "ended");
    }
    *success = *code == 0 && !R->timed_out;
    if (R->timed_out) {
        *code = CR_EX_TIMEOUT;
        cr_buf_printf(m,
                      "timed out after %g s (--timeout): SIGTERM%s; %s "
                      "after %.2f s",
                      R->c->timeout, R->killed ? ", then SIGKILL" : "",
                      what.data, secs);
    }
    else {
        cr_buf_printf(m, "%s after %.2f s", what.data, secs);
    }
    if (R->forwarded_sig)
        cr_buf_printf(m, "; charon-run passed on %s",
                      cr_sig_name(R->forwarded_sig));
    if (R->out) {
        cr_out_stats_t s;
        cr_out_stats(R->out, &s);
        if (s.lines_cut)
            cr_buf_printf(m,
                          "; output %llu bytes, of which %llu bytes (%llu "
                          "lines) cut by --max-output",
                          (unsigned long long)s.bytes,
                          (unsigned long long)s.bytes_cut,
                          (unsigned long long)s.lines_cut);
        if (s.repaired)
            cr_buf_printf(m,
                          "; %llu bytes of invalid UTF-8 or NUL shown as "
                          "U+FFFD",
                          (unsigned long long)s.repaired);
    }
    cr_buf_free(&what);
}

/* Everything after the configuration; returns the exit status. */
static int run(cr_run_t *R)
{
    cr_conf_t *c = R->c;
    int rc;

    int e = cr_signals_install();
    if (e) {
        cr_say("pipe: %s", strerror(e));
        return CR_EX_OSERR;
    }

    cr_api_conf_t ac = {
        .key = c->key,
        .cacert = c->cacert,
        .attempt_timeout = 5,
        .connect_timeout = 3,
        .max_attempts = 4,
        .retry_after_cap = 2,
        .verbose = c->verbose,
    };
    char err[256];
    R->api = cr_api_new(&ac, err, sizeof(err));
    if (!R->api) {
        rc = unusable(R, err, 0);
        if (rc)
            return rc;
    }
    else {
        rc = begin(R);
        if (rc >= 0)
            return rc;
    }
    if (R->exec_id) {
        cr_out_conf_t oc = {
            .max_output = c->max_output,
            .max_message = c->max_message,
            .batch_lines = c->batch_lines,
            .flush_interval = c->flush_interval,
        };
        R->out = cr_out_new(&oc);
    }

    /* From here on a signal is for the job; one that came before it
     * (SIGTERM, SIGINT, SIGHUP, SIGQUIT) means it must not start. */
    cr_pending[SIGUSR1] = cr_pending[SIGUSR2] = 0;
    cr_job_started = 1;
    if (cr_stop_sig) {
        char m[200];
        snprintf(m, sizeof(m),
                 "charon-run got %s before the job started: "
                 "it was not run",
                 cr_sig_name(cr_stop_sig));
        cr_say("%s", m + strlen("charon-run "));
        finish(R, 0, m);
        return 128 + cr_stop_sig;
    }
    e = cr_spawn(R);
    if (e) {
        cr_say("could not start the job: %s", strerror(e));
        char m[300];
        snprintf(m, sizeof(m), "charon-run could not start the job: %s",
                 strerror(e));
        finish(R, 0, m);
        return CR_EX_OSERR;
    }
    if (c->verbose)
        cr_say("job started, pid %ld", (long)R->pid);

    cr_run_loop(R);

    if (R->out)
        cr_out_finish(R->out);
    cr_buf_t m = {0};
    int code, success;
    outcome(R, &m, &code, &success);
    finish(R, success, m.data);
    cr_buf_free(&m);
    return code;
}

int main(int argc, char **argv)
{
    /* `charon-run next ...`: the subcommand only as the first argument
     * (a cron whose slug is "next": charon-run -- next -- COMMAND). */
    if (argc > 1 && !strcmp(argv[1], "next")) {
        int rc = cr_next_main(argc - 1, argv + 1, stdout);
        if (fflush(stdout) != 0 && rc == 0) {
            cr_say("next: could not write the slots");
            rc = 1;
        }
        return rc == -1 ? 0 : rc;
    }
    /* `charon-run apply FILE`: likewise (a cron whose slug is "apply":
     * charon-run -- apply -- COMMAND). */
    if (argc > 1 && !strcmp(argv[1], "apply"))
        return cr_apply_main(argc - 1, argv + 1);
    cr_fd_snapshot();
    cr_conf_t c;
    int rc = cr_conf_load(&c, argc, argv, CR_MODE_RUN);
    if (rc != 0) {
        cr_conf_free(&c);
        return rc == -1 ? 0 : rc;
    }
    cr_run_t R;
    memset(&R, 0, sizeof(R));
    R.c = &c;
    R.fd[0] = R.fd[1] = -1;
    cr_run_uuid(R.uuid);
    char *sp = cr_printable(c.slug, strlen(c.slug));
    snprintf(R.slug_p, sizeof(R.slug_p), "%s", sp);
    free(sp);

    rc = run(&R);

    cr_out_free(R.out);
    cr_api_free(R.api);
    cr_conf_free(&c);
    return rc;
}
