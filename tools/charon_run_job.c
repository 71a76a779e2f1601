/*
 * charon_run_job.c: the job's side of charon-run: signals (a handler that
 * only records them and wakes the loop), the fork and exec of the command
 * in a process group of its own, its output read from pipes and passed
 * through, the timeout, and the wait of the event loop.  The loop itself
 * and the messages are in charon_run_loop.c, the rest said to Charon in
 * charon-run.c.
 */
#define _GNU_SOURCE
#include "charon_run.h"

#include <curl/curl.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Signals passed on to the job's process group. */
const int cr_forwarded[CR_N_FORWARDED] = {SIGTERM, SIGINT,  SIGHUP,
                                          SIGQUIT, SIGUSR1, SIGUSR2};

int cr_wake[2] = {-1, -1};            /* the signal handler's pipe */
volatile sig_atomic_t cr_pending[65]; /* signals to pass on */
volatile sig_atomic_t cr_job_started;
volatile int cr_stop_sig; /* before the job: stop */

static void on_signal(int sig)
{
    int saved = errno;
    if (sig > 0 && sig < 65) {
        if (sig != SIGCHLD)
            cr_pending[sig] = 1;
        if (!cr_job_started && sig != SIGCHLD && sig != SIGUSR1
            && sig != SIGUSR2)
            cr_stop_sig = sig;
    }
    if (cr_wake[1] >= 0) {
        char c = (char)sig;
        if (write(cr_wake[1], &c, 1) < 0) { /* full: a wake-up is pending */
        }
    }
    errno = saved;
}

const char *cr_sig_name(int sig)
{
    static const struct {
        int n;
        const char *s;
    } t[] = {
        {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"},
        {SIGILL, "SIGILL"},   {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"},
        {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},   {SIGKILL, "SIGKILL"},
        {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
        {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"},
        {SIGXCPU, "SIGXCPU"}, {SIGXFSZ, "SIGXFSZ"}, {SIGSYS, "SIGSYS"},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].n == sig)
            return t[i].s;
    return "a signal";
}

/* The descriptors open when charon-run started: the job inherits those,
 * and none of those that charon-run (or libcurl: its cr_wake-up socket
 * pair) opened since. */
#define FD_SCAN 4096
static unsigned char fd_inherited[FD_SCAN];

void cr_fd_snapshot(void)
{
    for (int fd = 0; fd < FD_SCAN; fd++)
        fd_inherited[fd] = fcntl(fd, F_GETFD) != -1;
}

static void fd_cloexec_ours(void)
{
    for (int fd = 3; fd < FD_SCAN; fd++) {
        int fl;
        if (!fd_inherited[fd] && (fl = fcntl(fd, F_GETFD)) != -1
            && !(fl & FD_CLOEXEC))
            fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    }
}

/* A random key for this run, like a UUID (version 4). */
void cr_run_uuid(char out[37])
{
    unsigned char r[16];
    ssize_t got = getrandom(r, sizeof(r), GRND_NONBLOCK);
    if (got != (ssize_t)sizeof(r)) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        got = fd >= 0 ? read(fd, r, sizeof(r)) : -1;
        if (fd >= 0)
            close(fd);
        if (got != (ssize_t)sizeof(r)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            unsigned long long x = (unsigned long long)ts.tv_nsec
                                   ^ ((unsigned long long)ts.tv_sec << 20)
                                   ^ (unsigned)getpid();
            for (size_t i = 0; i < sizeof(r); i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                r[i] = (unsigned char)x;
            }
        }
    }
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
    snprintf(out, 37,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
             r[11], r[12], r[13], r[14], r[15]);
}

/* Creates the self-pipe and installs the handlers. Returns 0 or errno. */
int cr_signals_install(void)
{
    if (pipe2(cr_wake, O_CLOEXEC | O_NONBLOCK) != 0)
        return errno;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (size_t i = 0; i < CR_N_FORWARDED; i++)
        sigaction(cr_forwarded[i], &sa, NULL);
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

/* ---- the job's output, signals, timeout -------------------------------- */

static void pass_through(cr_run_t *R, int s, const char *buf, size_t len)
{
    int fd = s == CR_STDOUT ? 1 : 2;
    while (len && R->pass[s] >= 0) {
        ssize_t n = write(fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        }
        else if (n < 0 && errno == EINTR) {
            continue;
        }
        else if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {fd, POLLOUT, 0};
            poll(&p, 1, 1000);
        }
        else {
            R->pass[s] = -1; /* closed or broken: stop passing */
        }
    }
}

void cr_read_output(cr_run_t *R)
{
    static char buf[65536];
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < 8 && R->fd[s] >= 0; i++) {
            ssize_t n = read(R->fd[s], buf, sizeof(buf));
            if (n > 0) {
                pass_through(R, s, buf, (size_t)n);
                if (R->out && R->exec_id)
                    cr_out_feed(R->out, s, buf, (size_t)n, cr_now());
                if ((size_t)n < sizeof(buf))
                    break;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN)
                break;
            close(R->fd[s]);
            R->fd[s] = -1;
        }
    }
}

/* ---- signals and the child -------------------------------------------- */

void cr_handle_signals(cr_run_t *R, double now)
{
    char junk[64];
    while (read(cr_wake[0], junk, sizeof(junk)) > 0)
        ;
    for (size_t i = 0; i < CR_N_FORWARDED; i++) {
        int sig = cr_forwarded[i];
        if (!cr_pending[sig])
            continue;
        cr_pending[sig] = 0;
        if (R->pid > 0 && !R->reaped) {
            if (R->c->verbose)
                cr_say("passing %s on to the job", cr_sig_name(sig));
            kill(-R->pid, sig);
            if (!R->forwarded_sig)
                R->forwarded_sig = sig;
        }
    }
    if (R->pid > 0 && !R->reaped) {
        int st;
        pid_t p = waitpid(R->pid, &st, WNOHANG);
        if (p == R->pid) {
            R->reaped = 1;
            R->status = st;
            R->t_end = now;
            /* Its pipes may be held open by what it left behind: read
             * them for 2 s more at most. */
            R->drain_until = now + 2;
        }
    }
}

void cr_check_timeout(cr_run_t *R, double now)
{
    if (R->reaped || R->c->timeout <= 0)
        return;
    if (!R->timed_out && now >= R->t_start + R->c->timeout) {
        R->timed_out = 1;
        cr_say("the job ran past --timeout %g s: SIGTERM to its process "
               "group%s",
               R->c->timeout, R->c->kill_after > 0 ? "" : ", SIGKILL");
        kill(-R->pid, SIGTERM);
        kill(-R->pid, SIGCONT);
        R->kill_at = now + R->c->kill_after;
    }
    if (R->timed_out && !R->killed && now >= R->kill_at) {
        if (R->c->kill_after > 0)
            cr_say("the job is still there %g s after SIGTERM: SIGKILL",
                   R->c->kill_after);
        kill(-R->pid, SIGKILL);
        R->killed = 1;
    }
}

void cr_wait_events(cr_run_t *R, int ms, double now)
{
    struct curl_waitfd w[3];
    unsigned n = 0;
    w[n].fd = cr_wake[0];
    w[n].events = CURL_WAIT_POLLIN;
    w[n++].revents = 0;
    for (int s = 0; s < 2; s++)
        if (R->fd[s] >= 0) {
            w[n].fd = R->fd[s];
            w[n].events = CURL_WAIT_POLLIN;
            w[n++].revents = 0;
        }
    if (ms < 0)
        ms = 0;
    if (R->api) {
        cr_api_wait(R->api, w, n, ms, now);
    }
    else {
        struct pollfd p[3];
        for (unsigned i = 0; i < n; i++) {
            p[i].fd = w[i].fd;
            p[i].events = POLLIN;
            p[i].revents = 0;
        }
        poll(p, n, ms);
    }
}

/* ---- the job ---------------------------------------------------------- */

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Forks and executes the command. Returns 0, or an errno. */
int cr_spawn(cr_run_t *R)
{
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0)
        return errno;
    if (pipe2(pe, O_CLOEXEC) != 0) {
        int e = errno;
        close(po[0]);
        close(po[1]);
        return e;
    }
    char buf[32];
    if (R->exec_id) {
        snprintf(buf, sizeof(buf), "%lld", R->exec_id);
        setenv("CHARON_EXECUTION_ID", buf, 1);
    }
    if (R->cron_id) {
        snprintf(buf, sizeof(buf), "%lld", R->cron_id);
        setenv("CHARON_CRON_ID", buf, 1);
    }
    fd_cloexec_ours();
    fflush(stdout);
    fflush(stderr);
    R->t_start = cr_now();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(po[0]);
        close(po[1]);
        close(pe[0]);
        close(pe[1]);
        return e;
    }
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = SIG_DFL;
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < CR_N_FORWARDED; i++)
            sigaction(cr_forwarded[i], &sa, NULL);
        sigaction(SIGCHLD, &sa, NULL);
        sigaction(SIGPIPE, &sa, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        setpgid(0, 0);
        if (dup2(po[1], 1) < 0 || dup2(pe[1], 2) < 0)
            _exit(CR_EX_OSERR);
        execvp(R->c->command[0], R->c->command);
        int e = errno;
        char m[512];
        char *p = cr_printable(R->c->command[0], strlen(R->c->command[0]));
        int n = snprintf(m, sizeof(m), "charon-run: cannot execute '%s': %s\n",
                         p, strerror(e));
        if (n > 0
            && write(2, m, (size_t)n < sizeof(m) ? (size_t)n : sizeof(m) - 1)
                   < 0) {
            /* nowhere to say it */
        }
        _exit(e == ENOENT ? CR_EX_NOTFOUND : CR_EX_NOEXEC);
    }
    setpgid(pid, pid); /* both sides: whichever runs first */
    close(po[1]);
    close(pe[1]);
    R->pid = pid;
    R->fd[0] = po[0];
    R->fd[1] = pe[0];
    set_nonblock(R->fd[0]);
    set_nonblock(R->fd[1]);
    return 0;
}
