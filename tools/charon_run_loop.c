/*
 * charon_run_loop.c: the loop while the job runs, and the messages it
 * sends.  Each turn passes signals on, reaps the job, times it out, reads
 * its pipes (charon_run_job.c), seals batches (charon_run_output.c) and
 * moves the one message transfer on (charon_run_api.c), so that no
 * request ever stands between the job and its pipes.  After the job, the
 * messages still queued are sent within --net-timeout.  Starting the
 * execution and ending it are charon-run.c's.
 */
#include "charon_run.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static double min_d(double a, double b)
{
    return a < b ? a : b;
}

/* ---- messages --------------------------------------------------------- */

static const char *stream_type(cr_run_t *R, int stream)
{
    if (stream == CR_STDOUT)
        return cr_type_names[R->c->stdout_type];
    if (stream == CR_STDERR)
        return cr_type_names[R->c->stderr_type];
    return "info";
}

static void drop(cr_run_t *R, cr_batch_t *b)
{
    R->dropped_msgs++;
    R->dropped_raw += b->raw;
    cr_batch_free(b);
}

static void send_next(cr_run_t *R, double now)
{
    cr_batch_t *b;
    if (!R->api || !R->exec_id || !R->out || cr_api_busy(R->api))
        return;
    while ((b = cr_out_pop(R->out)) != NULL) {
        if (now < R->down_until) {
            drop(R, b);
            continue;
        }
        char id[32];
        snprintf(id, sizeof(id), "%lld", R->exec_id);
        double deadline = now + R->c->net_timeout;
        if (R->send_deadline > 0)
            deadline = min_d(deadline, R->send_deadline);
        cr_req_init(&R->mreq, "message", 1,
                    cr_api_url(R->api, R->c->url, id, "message"), deadline);
        cr_buf_adds(&R->mreq.body, "{\"type\":\"");
        cr_buf_adds(&R->mreq.body, stream_type(R, b->stream));
        cr_buf_adds(&R->mreq.body, "\",\"message\":");
        cr_json_string(&R->mreq.body, b->text, b->len);
        cr_buf_addc(&R->mreq.body, '}');
        snprintf(R->mreq.idem, sizeof(R->mreq.idem), "%s-m%llu", R->uuid,
                 ++R->batch_no);
        R->inflight = b;
        cr_api_submit(R->api, &R->mreq, now);
        return;
    }
}

static void sender_done(cr_run_t *R, double now)
{
    cr_req_t *r = &R->mreq;
    cr_batch_t *b = R->inflight, *b1, *b2;
    R->inflight = NULL;
    if (r->state == CR_REQ_DONE && r->status == 200) {
        cr_batch_free(b);
    }
    else if (r->state == CR_REQ_DONE && (r->status == 413 || r->status == 422)
             && cr_batch_split(b, &b1, &b2)) {
        /* Charon takes smaller messages than --max-message: halves,
         * and smaller batches from now on */
        cr_out_push_front(R->out, b2);
        cr_out_push_front(R->out, b1);
        cr_out_shrink(R->out, r->body.len / 2);
    }
    else {
        if (r->state == CR_REQ_DOWN) {
            R->down_until = now + 30;
            if (!R->said_down && !R->reaped)
                cr_say("could not send output to Charon (%s): output is "
                       "dropped for 30 s; the job goes on",
                       r->error);
            else if (!R->said_down)
                cr_say("could not send output to Charon (%s): the rest is "
                       "dropped",
                       r->error);
        }
        else if (!R->said_down) {
            cr_say("Charon answered %ld to a message of execution %lld: that "
                   "output is dropped; the job goes on",
                   r->status, R->exec_id);
        }
        R->said_down = 1;
        drop(R, b);
    }
    cr_req_free(r);
}

/* Moves the message transfer on; starts the next one. */
static void pump(cr_run_t *R, double now)
{
    if (!R->api || !R->exec_id)
        return;
    if (R->inflight && cr_api_step(R->api, now))
        sender_done(R, now);
    if (!R->inflight) {
        send_next(R, now);
        if (R->inflight && cr_api_step(R->api, now))
            sender_done(R, now);
    }
}

/* ---- the job's output ------------------------------------------------- */

/* While the job runs, and until its pipes are closed. */
void cr_run_loop(cr_run_t *R)
{
    for (;;) {
        double now = cr_now();
        cr_handle_signals(R, now);
        cr_check_timeout(R, now);
        cr_read_output(R);
        if (R->reaped && now >= R->drain_until)
            for (int s = 0; s < 2; s++)
                if (R->fd[s] >= 0) {
                    close(R->fd[s]);
                    R->fd[s] = -1;
                }
        if (R->out)
            cr_out_tick(R->out, now);
        pump(R, now);
        if (R->reaped && R->fd[0] < 0 && R->fd[1] < 0)
            return;

        double next = now + 1;
        if (!R->reaped && R->c->timeout > 0 && !R->timed_out)
            next = min_d(next, R->t_start + R->c->timeout);
        if (R->timed_out && !R->killed)
            next = min_d(next, R->kill_at);
        if (R->reaped)
            next = min_d(next, R->drain_until);
        if (R->out && cr_out_due(R->out) > 0)
            next = min_d(next, cr_out_due(R->out));
        cr_wait_events(R, (int)((next - now) * 1000) + 1, now);
    }
}

/* ---- after the job ---------------------------------------------------- */

/* The messages still queued, until --net-timeout or a signal that stops
 * charon-run (not SIGUSR1, SIGUSR2); what is left then is dropped,
 * counted for the final message. */
void cr_send_remaining(cr_run_t *R)
{
    R->send_deadline = cr_now() + R->c->net_timeout;
    for (;;) {
        double now = cr_now();
        int stop = 0;
        for (size_t i = 0; i < CR_N_FORWARDED; i++)
            if (cr_pending[cr_forwarded[i]] && cr_forwarded[i] != SIGUSR1
                && cr_forwarded[i] != SIGUSR2)
                stop = 1;
        if (stop || now >= R->send_deadline) {
            if (R->inflight) {
                cr_api_abort(R->api);
                drop(R, R->inflight);
                R->inflight = NULL;
                cr_req_free(&R->mreq);
            }
            cr_batch_t *b;
            while ((b = cr_out_pop(R->out)) != NULL)
                drop(R, b);
            break;
        }
        pump(R, now);
        if (!R->inflight && !cr_out_queued(R->out))
            break;
        cr_wait_events(R, 200, now);
        char junk[64];
        while (read(cr_wake[0], junk, sizeof(junk)) > 0)
            ;
    }
}
