/*
 * file.c: a file: channel: the event document appended as one line.
 *
 * One write(2) of the whole line to a descriptor opened with O_APPEND:
 * the kernel puts each such write at the end in one piece, so lines from
 * several children (or several servers on one disk) never interleave.
 * The file is made 0600 (less the umask): events name crons and hold
 * their messages.
 */
#include "send/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

/* Errors that may pass by themselves; the others need someone to change
 * the path or its permissions. */
static int transient(int err)
{
    switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EAGAIN:
    case EINTR:
    case EMFILE:
    case ENFILE:
    case ENOMEM: return 1;
    default: return 0;
    }
}

static void failed(apr_pool_t *p, int err, const char *what,
                   charon_send_result_t *out)
{
    char why[120];

    apr_strerror(err, why, sizeof(why));
    charon_send_fail(out, transient(err), 0,
                     apr_pstrcat(p, what, ": ", why, NULL));
}

void charon_send_file(apr_pool_t *p, const charon_channel_t *c,
                      const charon_alert_doc_t *d, charon_send_result_t *out)
{
    const char *doc = charon_alert_document(p, d);
    apr_size_t n, i;
    ssize_t w;
    char *line;
    int fd;

    if (!c->target || !doc) {
        charon_send_fail(out, 0, 0, c->target ? "no document" : "no path");
        return;
    }
    /* JSON needs no line break outside its strings, and has none inside
     * them: a break can only be a blank between tokens. */
    n = strlen(doc);
    line = apr_palloc(p, n + 2);
    for (i = 0; i < n; i++) {
        line[i] = (doc[i] == '\n' || doc[i] == '\r') ? ' ' : doc[i];
    }
    line[n++] = '\n';
    line[n] = '\0';

    fd = open(c->target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
              0600);
    if (fd < 0) {
        failed(p, errno, "open", out);
        return;
    }
    do {
        w = write(fd, line, n);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        failed(p, errno, "write", out);
        close(fd);
        return;
    }
    /* Some file systems report a failed write only at close. */
    if (close(fd) != 0) {
        failed(p, errno, "close", out);
        return;
    }
    if ((apr_size_t)w != n) {
        charon_send_fail(out, 1, 0, "short write: is the disk full?");
        return;
    }
    out->ok = 1;
}
