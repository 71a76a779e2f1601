/*
 * test_exec.c: exec: channels, and the program runner under them
 * (charon_send_spawn): what the program gets (environment, stdin,
 * signals, descriptors, directory), what its end means, the time limit,
 * that it is always reaped.
 */
#include "test_send.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The descriptor a careless library left open without close-on-exec. */
#define LEAKED_FD 50

static charon_channel_t *prog(const char *path, int timeout_ms)
{
    charon_channel_t *c =
        channel(CHARON_CHANNEL_EXEC, apr_pstrcat(pool, "exec:", path, NULL));

    c->timeout_ms = timeout_ms;
    return c;
}

static void run(const char *path, int timeout_ms, charon_send_result_t *r)
{
    charon_send(pool, prog(path, timeout_ms), sample_doc(), r);
}

static const char *tmp(const char *name)
{
    return apr_pstrcat(pool, E.tmp, "/", name, NULL);
}

/* Nothing of ours is left: no child unreaped. */
static int no_children(void)
{
    return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

/* A process is gone (or a zombie of someone else's, as good as gone). */
static int gone(pid_t pid)
{
    int i;

    for (i = 0; i < 100; i++) {
        char *st = slurp(apr_psprintf(pool, "/proc/%d/stat", (int)pid), NULL);
        const char *paren = st ? strrchr(st, ')') : NULL;

        if (!paren || paren[2] == 'Z') {
            return 1;
        }
        usleep(20000);
    }
    return 0;
}

static void what_it_gets(void)
{
    const charon_alert_doc_t *d = sample_doc();
    const char *path, *env, *fds;
    charon_send_result_t r;
    int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC, on purpose */

    dup2(fd, LEAKED_FD);
    close(fd);
    path = script("env.sh", apr_psprintf(pool,
                                         "#!/bin/sh\n"
                                         "env > %s\n"
                                         "cat > %s\n"
                                         "pwd > %s\n"
                                         "ls /proc/$$/fd > %s\n",
                                         tmp("env.txt"), tmp("stdin.txt"),
                                         tmp("pwd.txt"), tmp("fd.txt")));
    run(path, 5000, &r);
    EXPECT(&r, 1, 0, 0);
    close(LEAKED_FD);

    env = slurp(tmp("env.txt"), NULL);
    CHECK(has(env, apr_pstrcat(pool, "CHARON_EVENT_ID=", d->id, "\n", NULL)),
          "%s", show(env));
    CHECK(has(env, "CHARON_EVENT=down\n"), "%s", show(env));
    CHECK(has(env, "CHARON_CRON_ID=42\n"), "%s", show(env));
    CHECK(has(env, "CHARON_CRON_SLUG=backup-db\n"), "%s", show(env));
    CHECK(has(env, "CHARON_CRON_NAME=Backup of the database\n"), "%s",
          show(env));
    CHECK(has(env, apr_pstrcat(pool, "CHARON_SUMMARY=",
                               charon_alert_summary(pool, d), "\n", NULL)),
          "%s", show(env));
    CHECK(has(env, apr_pstrcat(pool, "CHARON_CRON_URL=", d->url, "\n", NULL)),
          "%s", show(env));
    CHECK(has(env, "CHARON_CHANNEL=test\n"), "%s", show(env));
    CHECK(has(env, "PATH=/usr/bin:/bin\n"), "%s", show(env));
    /* Nothing of the server's environment. */
    CHECK(env && !has(env, "CHARON_TEST_CANARY") && !has(env, "HOME="), "%s",
          show(env));
    CHECK(streq(slurp(tmp("stdin.txt"), NULL),
                apr_pstrcat(pool, charon_alert_document(pool, d), "\n", NULL)),
          "%s", show(slurp(tmp("stdin.txt"), NULL)));
    CHECK(streq(slurp(tmp("pwd.txt"), NULL), "/\n"), "%s",
          show(slurp(tmp("pwd.txt"), NULL)));
    fds = slurp(tmp("fd.txt"), NULL);
    CHECK(fds && !has(fds, "50\n"), "%s", show(fds));
}

static void endings(void)
{
    charon_send_result_t r;

    run(script("fail1.sh", "#!/bin/sh\necho 'the pager is down' >&2\n"
                           "exit 1\n"),
        5000, &r);
    EXPECT(&r, 0, 1, 1);
    CHECK(streq(r.error, "exit 1: the pager is down"), "%s", show(r.error));

    run(script("fail65.sh", "#!/bin/sh\nexit 65\n"), 5000, &r);
    EXPECT(&r, 0, 0, 65);
    CHECK(streq(r.error, "exit 65"), "%s", show(r.error));
    run(script("fail75.sh", "#!/bin/sh\nexit 75\n"), 5000, &r);
    EXPECT(&r, 0, 1, 75);

    run(script("signal.sh", "#!/bin/sh\necho dying\nkill -9 $$\n"), 5000, &r);
    EXPECT(&r, 0, 1, 0);
    CHECK(streq(r.error, "ended by signal 9: dying"), "%s", show(r.error));

    run(tmp("no-such-program"), 5000, &r);
    EXPECT(&r, 0, 0, 0);
    CHECK(has(r.error, "cannot run ") && has(r.error, "No such file"), "%s",
          show(r.error));

    chmod(script("not-executable", "#!/bin/sh\nexit 0\n"), 0644);
    run(tmp("not-executable"), 5000, &r);
    EXPECT(&r, 0, 0, 0);
    CHECK(has(r.error, "Permission denied"), "%s", show(r.error));

    /* A megabyte of output: read as it comes, only its end kept. */
    run(script("flood.sh", "#!/bin/sh\n"
                           "head -c 1000000 /dev/zero | tr '\\0' x\n"
                           "echo ' the end'\nexit 3\n"),
        5000, &r);
    EXPECT(&r, 0, 1, 3);
    CHECK(r.error && strlen(r.error) <= CHARON_SEND_ERROR_MAX
              && has(r.error, "exit 3: xxx") && has(r.error, "x the end"),
          "%s", show(r.error));
    CHECK(no_children(), "a child left unreaped");
}

static void time_limits(void)
{
    charon_send_result_t r;
    const char *pidfile = tmp("sleep.pid");
    char *pid;

    /* Past its limit, with a child of its own: both end. */
    run(script("slow.sh", apr_psprintf(pool,
                                       "#!/bin/sh\nsleep 30 &\n"
                                       "echo $! > %s\nwait\n",
                                       pidfile)),
        1000, &r);
    EXPECT(&r, 0, 1, 0);
    CHECK(streq(r.error, "timed out after 1000 ms, killed"), "%s",
          show(r.error));
    CHECK(r.ms >= 1000 && r.ms < 1800, "%ld ms", r.ms);
    CHECK(no_children(), "the program was not reaped");
    pid = slurp(pidfile, NULL);
    CHECK(pid && gone((pid_t)atoi(pid)), "its child %s lives on", show(pid));

    /* One that ignores SIGTERM, and its child too: SIGKILL to both a
     * second later. */
    run(script("stubborn.sh",
               apr_psprintf(pool,
                            "#!/bin/sh\ntrap '' TERM\necho stubborn\n"
                            "sleep 30 &\necho $! > %s\nwait\n",
                            pidfile)),
        1000, &r);
    EXPECT(&r, 0, 1, 0);
    CHECK(streq(r.error, "timed out after 1000 ms, killed: stubborn"), "%s",
          show(r.error));
    CHECK(r.ms >= 2000 && r.ms < 2800, "%ld ms", r.ms);
    CHECK(no_children(), "the program was not reaped");
    pid = slurp(pidfile, NULL);
    CHECK(pid && gone((pid_t)atoi(pid)), "its child %s lives on", show(pid));

    /* One that leaves the group it was given: ended all the same. */
    run(script("leaves-group.py",
               "#!/usr/bin/python3\nimport os, time\n"
               "os.setpgid(0, os.getpgid(os.getppid()))\ntime.sleep(30)\n"),
        1000, &r);
    EXPECT(&r, 0, 1, 0);
    CHECK(r.ms >= 1000 && r.ms < 1800, "%ld ms", r.ms);
    CHECK(no_children(), "the program was not reaped");

    /* Ends in time but leaves a child holding its output open: the call
     * does not wait for that child. */
    run(script("leaves.sh", "#!/bin/sh\nsleep 3 &\necho bye\n"), 5000, &r);
    EXPECT(&r, 1, 0, 0);
    CHECK(r.ms < 1000, "%ld ms", r.ms);
    CHECK(no_children(), "the program was not reaped");
}

void test_exec(void)
{
    what_it_gets();
    endings();
    time_limits();
}

/* ---- the runner itself: input and output at any size ----------------- */

static void spawn_io(void)
{
    const char *argv[] = {"/bin/cat", NULL};
    const char *env[] = {NULL};
    apr_size_t n = 1000000, i;
    char *in = apr_palloc(pool, n + 1);
    charon_spawn_t s = {"/bin/cat", argv, env, in, n, 5000};
    charon_spawned_t r;

    for (i = 0; i < n; i++) {
        in[i] = 'a' + i % 26;
    }
    in[n] = '\0';
    /* cat writes back as it reads: neither side may wait on the other. */
    charon_send_spawn(pool, &s, &r);
    CHECK(r.started && !r.timed_out && r.code == 0 && r.signo == 0,
          "started %d, timed out %d, code %d, signal %d", r.started,
          r.timed_out, r.code, r.signo);
    CHECK(strlen(r.output) == SEND_OUTPUT_MAX
              && !memcmp(r.output, in + n - SEND_OUTPUT_MAX, SEND_OUTPUT_MAX),
          "the output's end: %.40s...", r.output);

    /* A program that reads nothing of a megabyte: its end is enough. */
    argv[0] = s.path = "/bin/true";
    charon_send_spawn(pool, &s, &r);
    CHECK(r.started && !r.timed_out && r.code == 0, "code %d", r.code);

    /* Nothing to give: stdin is at its end from the start. */
    argv[0] = s.path = "/bin/cat";
    s.input_len = 0;
    charon_send_spawn(pool, &s, &r);
    CHECK(r.started && r.code == 0 && !*r.output, "code %d, output %s", r.code,
          r.output);

    /* A program that keeps the signal state it is given (grep; a shell
     * sets its own): nothing blocked, SIGPIPE not ignored, though this
     * thread blocks everything and the process ignores SIGPIPE. */
    {
        const char *grep[] = {"/bin/grep", "-E",
                              "^Sig(Blk|Ign):", "/proc/self/status", NULL};
        const char *ign;

        s.path = grep[0];
        s.argv = grep;
        charon_send_spawn(pool, &s, &r);
        CHECK(r.code == 0 && has(r.output, "SigBlk:\t0000000000000000\n"),
              "%s", r.output);
        ign = strstr(r.output, "SigIgn:\t");
        CHECK(ign && !(strtoull(ign + 8, NULL, 16) & (1ull << (SIGPIPE - 1))),
              "%s", r.output);
        s.argv = argv;
    }

    /* Relative paths are not searched for. */
    argv[0] = s.path = "cat";
    charon_send_spawn(pool, &s, &r);
    CHECK(!r.started && r.err == EINVAL, "started %d, err %d", r.started,
          r.err);
    {
        charon_send_result_t res;

        charon_send_spawn_result(pool, &s, &r, &res);
        EXPECT(&res, 0, 0, 0);
        CHECK(streq(res.error, "cannot run cat: not an absolute path"), "%s",
              show(res.error));
    }

    /* A file that is no program: no "#!" line, no shell to fall back on. */
    argv[0] = s.path = script("no-shebang", "exit 0\n");
    charon_send_spawn(pool, &s, &r);
    CHECK(r.code != 0, "code %d", r.code);
    CHECK(no_children(), "a child left unreaped");
}

void test_spawn(void)
{
    spawn_io();
}
