/*
 * replay.c: feeds files to a fuzz harness without libFuzzer.
 *
 *   replay_<name> [--no-fork] PATH...
 *
 * Linked with one tests/fuzz/fuzz_<name>.c and built with the ordinary
 * compiler, it calls LLVMFuzzerInitialize once, then LLVMFuzzerTestOneInput
 * on every file named, and on every file of every directory named (in name
 * order, dot files skipped).  Each input runs in a child process with a
 * time limit, so an abort() (a broken invariant), a crash or a hang fails
 * that file and the others still run; --no-fork runs them all in this
 * process instead (for a debugger).
 *
 * Prints failures on stderr and, last, "<program>: N passed, M failed".
 * Exits 0 only when M is 0 and N is not.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIME_LIMIT 20 /* seconds per input */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int passed, failed, no_fork;

/* Reads a whole file into a buffer of exactly its size. */
static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL, *grown;
    size_t len = 0, cap = 0, n;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 4096;
            grown = realloc(buf, cap);
            if (grown == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    /* Exactly len bytes, so that a read past the end is past the block. */
    grown = malloc(len ? len : 1);
    if (grown == NULL) {
        free(buf);
        return NULL;
    }
    if (len)
        memcpy(grown, buf, len);
    free(buf);
    *size = len;
    return grown;
}

static void run_file(const char *path)
{
    size_t size = 0;
    uint8_t *data = slurp(path, &size);
    pid_t pid;
    int status;

    if (data == NULL) {
        fprintf(stderr, "FAIL %s: cannot read: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    if (no_fork) {
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        passed++;
        return;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "FAIL %s: fork: %s\n", path, strerror(errno));
        failed++;
        free(data);
        return;
    }
    if (pid == 0) {
        alarm(TIME_LIMIT);
        LLVMFuzzerTestOneInput(data, size);
        exit(0); /* not _exit: a coverage build writes its profile */
    }
    free(data);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "FAIL %s: waitpid: %s\n", path, strerror(errno));
            failed++;
            return;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        passed++;
        return;
    }
    failed++;
    if (WIFSIGNALED(status))
        fprintf(stderr, "FAIL %s: %s%s\n", path, strsignal(WTERMSIG(status)),
                WTERMSIG(status) == SIGALRM ? " (time limit)" : "");
    else
        fprintf(stderr, "FAIL %s: exit status %d\n", path,
                WEXITSTATUS(status));
}

static int skip_dot(const struct dirent *d)
{
    return d->d_name[0] != '.';
}

static void run_path(const char *path)
{
    struct stat st;
    struct dirent **names;
    int n, i;

    if (stat(path, &st) != 0) {
        fprintf(stderr, "FAIL %s: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    n = scandir(path, &names, skip_dot, alphasort);
    if (n < 0) {
        fprintf(stderr, "FAIL %s: %s\n", path, strerror(errno));
        failed++;
        return;
    }
    for (i = 0; i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]->d_name) + 2;
        char *file = malloc(len);
        if (file != NULL) {
            snprintf(file, len, "%s/%s", path, names[i]->d_name);
            if (stat(file, &st) == 0 && S_ISREG(st.st_mode))
                run_file(file);
            free(file);
        }
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    const char *me =
        strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    int i, first = 1;

    if (argc > 1 && strcmp(argv[1], "--no-fork") == 0) {
        no_fork = 1;
        first = 2;
    }
    if (first >= argc) {
        fprintf(stderr, "usage: %s [--no-fork] FILE-OR-DIRECTORY...\n", me);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (i = first; i < argc; i++)
        run_path(argv[i]);
    printf("%s: %d passed, %d failed\n", me, passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
