/*
 * program.c: running a program from a thread of an httpd child, bounded
 * in time: exec: channels, and sendmail for mailto: without smtp=.
 *
 * posix_spawn(), not apr_proc_create(): between fork and exec, APR's
 * child runs every pool's cleanups (apr_pool_cleanup_for_exec(), over
 * pools other threads were using at the fork) and leaves the rest of the
 * process as it was.  Here the program gets what httpd's state would
 * otherwise take from it:
 *   - an empty signal mask: the MPM blocks every signal in its threads
 *     (apr_setup_signal_thread()), and a mask survives exec, so the
 *     program would never see our SIGTERM, nor its own SIGCHLD;
 *   - default signal actions: httpd ignores SIGPIPE, and an ignored
 *     signal stays ignored across exec;
 *   - no descriptor but its stdin, stdout and stderr: other threads'
 *     sockets (a database's, a client's) are not all close-on-exec;
 *   - a process group of its own, so that the time limit ends the
 *     program's children too (a script's curl), not the script alone;
 *   - "/" as its directory, and only the environment given.
 * No shell: the path and arguments are passed as they are.
 *
 * The document goes to stdin, stdout and stderr come back on one pipe
 * (the last SEND_OUTPUT_MAX bytes kept, for the error text).  At the time
 * limit the program and its group get SIGTERM, one second later SIGKILL;
 * the program is always reaped before the call returns.  A program that
 * ends in time is not waited for beyond DRAIN_MS, whatever it left
 * running.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* pipe2(), posix_spawn_file_actions_addclosefrom_np() */
#endif
#include "send/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_strings.h>

/* Between SIGTERM and SIGKILL. */
#define KILL_GRACE_MS 1000
/* After the program's end, how long its output is still read: a child
 * it left behind may hold the pipe open for as long as it likes. */
#define DRAIN_MS      100
/* How often the program's end is looked for while it is silent. */
#define TICK_MS       10
/* Of the output, what the error text shows: its end, where the reason
 * usually is. */
#define SHOWN_OUTPUT  200

#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
#define HAVE_SPAWN_NP 1
#endif

typedef struct {
    int in_r, in_w, out_r, out_w; /* -1 once closed */
} fds_t;

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static apr_status_t fds_cleanup(void *data)
{
    fds_t *f = data;

    close_fd(&f->in_r);
    close_fd(&f->in_w);
    close_fd(&f->out_r);
    close_fd(&f->out_w);
    return APR_SUCCESS;
}

/* 0 and *pid, or an errno. */
static int start(const charon_spawn_t *s, fds_t *f, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t sa;
    sigset_t none, all;
    int in[2], out[2], rc;

    /* Relative to what?  The program starts in "/". */
    if (s->path[0] != '/') {
        return EINVAL;
    }
    /* glibc's posix_spawn() reports a failed exec, but not under
     * valgrind (nor every C library): the usual reasons are found first,
     * or the program would only seem to exit 127. */
    if (faccessat(AT_FDCWD, s->path, X_OK, AT_EACCESS) != 0) {
        return errno;
    }
    /* Close-on-exec: a program another thread starts meanwhile must not
     * hold our pipes open. */
    if (pipe2(in, O_CLOEXEC) != 0) {
        return errno;
    }
    f->in_r = in[0];
    f->in_w = in[1];
    if (pipe2(out, O_CLOEXEC) != 0) {
        return errno;
    }
    f->out_r = out[0];
    f->out_w = out[1];
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
        return rc;
    }
    if ((rc = posix_spawnattr_init(&sa)) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return rc;
    }
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    rc = posix_spawn_file_actions_adddup2(&fa, f->in_r, 0);
    rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, f->out_w, 1);
    rc = rc ? rc : posix_spawn_file_actions_adddup2(&fa, f->out_w, 2);
#ifdef HAVE_SPAWN_NP
    rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    rc = rc ? rc : posix_spawn_file_actions_addchdir_np(&fa, "/");
#else
    /* Older C libraries: only close-on-exec descriptors are closed, and
     * the program starts in the server's directory. */
#endif
    rc = rc ? rc : posix_spawnattr_setsigmask(&sa, &none);
    rc = rc ? rc : posix_spawnattr_setsigdefault(&sa, &all);
    rc = rc ? rc : posix_spawnattr_setpgroup(&sa, 0);
    rc = rc ? rc
            : posix_spawnattr_setflags(&sa, POSIX_SPAWN_SETSIGMASK
                                                | POSIX_SPAWN_SETSIGDEF
                                                | POSIX_SPAWN_SETPGROUP);
    /* glibc reports a failed exec here (ENOEXEC: no "#!" line). */
    rc = rc ? rc
            : posix_spawn(pid, s->path, &fa, &sa, (char *const *)s->argv,
                          (char *const *)s->env);
    posix_spawnattr_destroy(&sa);
    posix_spawn_file_actions_destroy(&fa);
    close_fd(&f->in_r);
    close_fd(&f->out_w);
    return rc;
}

/* Whether the program has ended, leaving it a zombie (WNOWAIT): while it
 * is one, its pid cannot be reused and -pid still names its group. */
static int ended(pid_t pid)
{
    siginfo_t si;

    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
        /* ECHILD: reaped by someone else; nothing to wait for. */
        return errno != EINTR;
    }
    return si.si_pid == pid;
}

static void keep_tail(char *buf, apr_size_t *len, const char *in, apr_size_t n)
{
    if (n >= SEND_OUTPUT_MAX) {
        memcpy(buf, in + n - SEND_OUTPUT_MAX, SEND_OUTPUT_MAX);
        *len = SEND_OUTPUT_MAX;
        return;
    }
    if (*len + n > SEND_OUTPUT_MAX) {
        apr_size_t drop = *len + n - SEND_OUTPUT_MAX;

        memmove(buf, buf + drop, *len - drop);
        *len -= drop;
    }
    memcpy(buf + *len, in, n);
    *len += n;
}

/* One wait of at most ms for stdin to take more or output to come. */
static void exchange(const charon_spawn_t *s, fds_t *f, apr_size_t *sent,
                     char *out, apr_size_t *len, int ms)
{
    struct pollfd pfd[2];
    int n = 0, i;

    if (f->in_w >= 0) {
        pfd[n].fd = f->in_w;
        pfd[n++].events = POLLOUT;
    }
    if (f->out_r >= 0) {
        pfd[n].fd = f->out_r;
        pfd[n++].events = POLLIN;
    }
    if (poll(pfd, n, ms) <= 0) {
        return;
    }
    for (i = 0; i < n; i++) {
        if (!pfd[i].revents) {
            continue;
        }
        if (pfd[i].fd == f->in_w) {
            ssize_t w = write(f->in_w, s->input + *sent, s->input_len - *sent);

            if (w > 0) {
                *sent += w;
            }
            /* EPIPE: the program does not want the rest. */
            if (*sent == s->input_len
                || (w < 0 && errno != EAGAIN && errno != EINTR)) {
                close_fd(&f->in_w);
            }
        }
        else {
            char buf[4096];
            ssize_t r = read(f->out_r, buf, sizeof(buf));

            if (r > 0) {
                keep_tail(out, len, buf, r);
            }
            else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                close_fd(&f->out_r);
            }
        }
    }
}

void charon_send_spawn(apr_pool_t *p, const charon_spawn_t *s,
                       charon_spawned_t *r)
{
    fds_t *f = apr_palloc(p, sizeof(*f));
    char *out = apr_pcalloc(p, SEND_OUTPUT_MAX + 1);
    apr_size_t len = 0, sent = 0;
    apr_int64_t now, deadline, drain_until = 0;
    int done = 0, status;
    pid_t pid;

    memset(r, 0, sizeof(*r));
    r->code = -1;
    r->output = out;
    f->in_r = f->in_w = f->out_r = f->out_w = -1;
    apr_pool_cleanup_register(p, f, fds_cleanup, apr_pool_cleanup_null);
    if ((r->err = start(s, f, &pid)) != 0) {
        fds_cleanup(f);
        return;
    }
    r->started = 1;
    fcntl(f->in_w, F_SETFL, fcntl(f->in_w, F_GETFL) | O_NONBLOCK);
    fcntl(f->out_r, F_SETFL, fcntl(f->out_r, F_GETFL) | O_NONBLOCK);
    if (s->input_len == 0) {
        close_fd(&f->in_w);
    }
    deadline = charon_send_clock_ms() + s->timeout_ms;

    for (;;) {
        now = charon_send_clock_ms();
        if (!done && ended(pid)) {
            done = 1;
            drain_until = now + DRAIN_MS;
            close_fd(&f->in_w);
        }
        if (done && (f->out_r < 0 || now >= drain_until)) {
            break;
        }
        if (!done && now >= deadline) {
            r->timed_out = 1;
            break;
        }
        exchange(s, f, &sent, out, &len,
                 (int)(done ? drain_until - now
                            : (deadline - now < TICK_MS ? deadline - now
                                                        : TICK_MS)));
    }
    fds_cleanup(f);

    if (r->timed_out) {
        apr_int64_t until = charon_send_clock_ms() + KILL_GRACE_MS;

        /* The program itself too: it may have left its group. */
        kill(-pid, SIGTERM);
        kill(pid, SIGTERM);
        while (!ended(pid) && charon_send_clock_ms() < until) {
            poll(NULL, 0, TICK_MS);
        }
        /* What is left of the group, the program too if it would not end:
         * SIGKILL cannot be blocked. */
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    /* Ended, or killed: this wait is short. */
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return; /* reaped elsewhere: the status is lost (-1) */
        }
    }
    if (WIFEXITED(status)) {
        r->code = WEXITSTATUS(status);
    }
    else if (WIFSIGNALED(status)) {
        r->signo = WTERMSIG(status);
    }
}

/* sysexits.h's codes for what another run would not change. */
static int permanent_exit(int code)
{
    switch (code) {
    case 64: /* EX_USAGE */
    case 65: /* EX_DATAERR */
    case 66: /* EX_NOINPUT */
    case 67: /* EX_NOUSER */
    case 68: /* EX_NOHOST */
    case 77: /* EX_NOPERM */
    case 78: /* EX_CONFIG */ return 1;
    default: return 0;
    }
}

/* The end of the output, from a character's start. */
static const char *output_tail(const char *o)
{
    apr_size_t n = strlen(o);

    if (n > SHOWN_OUTPUT) {
        o += n - SHOWN_OUTPUT;
        while (((unsigned char)*o & 0xC0) == 0x80) {
            o++;
        }
    }
    return o;
}

void charon_send_spawn_result(apr_pool_t *p, const charon_spawn_t *s,
                              const charon_spawned_t *r,
                              charon_send_result_t *out)
{
    const char *tail = output_tail(r->output);
    const char *sep = *tail ? ": " : "";
    char why[120];

    if (!r->started) {
        if (s->path[0] != '/') {
            apr_cpystrn(why, "not an absolute path", sizeof(why));
        }
        else {
            apr_strerror(r->err, why, sizeof(why));
        }
        charon_send_fail(out,
                         r->err == EAGAIN || r->err == ENOMEM
                             || r->err == EMFILE || r->err == ENFILE,
                         0,
                         apr_psprintf(p, "cannot run %s: %s", s->path, why));
    }
    else if (r->timed_out) {
        charon_send_fail(out, 1, 0,
                         apr_psprintf(p, "timed out after %d ms, killed%s%s",
                                      s->timeout_ms, sep, tail));
    }
    else if (r->signo) {
        charon_send_fail(
            out, 1, 0,
            apr_psprintf(p, "ended by signal %d%s%s", r->signo, sep, tail));
    }
    else if (r->code < 0) {
        charon_send_fail(out, 1, 0, "its exit status was lost");
    }
    else if (r->code != 0) {
        charon_send_fail(out, !permanent_exit(r->code), r->code,
                         apr_psprintf(p, "exit %d%s%s", r->code, sep, tail));
    }
    else {
        out->ok = 1;
        out->status = 0;
    }
}

/* ---- exec: ------------------------------------------------------------- */

static const char *env(apr_pool_t *p, const char *name, const char *value)
{
    return apr_pstrcat(p, name, "=", value ? value : "", NULL);
}

void charon_send_exec(apr_pool_t *p, const charon_channel_t *c,
                      const charon_alert_doc_t *d, charon_send_result_t *out)
{
    const char *doc = charon_alert_document(p, d);
    const char *argv[2], *envp[10];
    charon_spawn_t s;
    charon_spawned_t r;
    int n = 0;

    if (!c->target || !doc) {
        charon_send_fail(out, 0, 0, c->target ? "no document" : "no program");
        return;
    }
    argv[0] = c->target;
    argv[1] = NULL;
    envp[n++] = env(p, "CHARON_EVENT_ID", d->id);
    envp[n++] = env(p, "CHARON_EVENT", charon_event_name(d->event));
    envp[n++] = apr_psprintf(p, "CHARON_CRON_ID=%" APR_INT64_T_FMT,
                             (apr_int64_t)d->cron_id);
    envp[n++] = env(p, "CHARON_CRON_SLUG", d->slug);
    envp[n++] = env(p, "CHARON_CRON_NAME", d->name);
    envp[n++] = env(p, "CHARON_SUMMARY", charon_alert_summary(p, d));
    envp[n++] = env(p, "CHARON_CHANNEL", c->name);
    if (d->url) {
        envp[n++] = env(p, "CHARON_CRON_URL", d->url);
    }
    envp[n++] = "PATH=/usr/bin:/bin";
    envp[n] = NULL;

    s.path = c->target;
    s.argv = argv;
    s.env = envp;
    s.input = apr_pstrcat(p, doc, "\n", NULL);
    s.input_len = strlen(s.input);
    s.timeout_ms = charon_send_timeout_ms(c);
    charon_send_spawn(p, &s, &r);
    charon_send_spawn_result(p, &s, &r, out);
}
