/*
 * charon_run_files.c: charon-run's configuration and key files, read
 * only once their owner and mode are what a file that may hold the key
 * must have: a file that holds the key belongs to the user running
 * charon-run and is readable by nobody else; any configuration file
 * belongs to that user or root and is writable by nobody else (whoever
 * can change the URL can have the key sent to them).
 */
#include "charon_run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens path and checks who may have written it (and read it, when
 * secret).  Returns the open FILE, or NULL with why (*missing set when
 * it does not exist or may not be read: the caller may skip it). */
FILE *cr_open_checked(const char *path, int secret, char *why, size_t whylen,
                      int *missing)
{
    *missing = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        /* missing, or not ours to read (/etc/charon-run.conf kept for
         * root's jobs): a default file is then skipped */
        *missing = errno == ENOENT || errno == EACCES;
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    uid_t me = geteuid();
    if (st.st_uid != me && st.st_uid != 0) {
        snprintf(why, whylen,
                 "%s: belongs to uid %ld, neither you (uid %ld) "
                 "nor root: refused",
                 path, (long)st.st_uid, (long)me);
        close(fd);
        return NULL;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        snprintf(why, whylen,
                 "%s: writable by group or others (mode %04o): "
                 "refused (chmod go-w)",
                 path, (unsigned)(st.st_mode & 07777));
        close(fd);
        return NULL;
    }
    if (secret && st.st_uid != me) {
        snprintf(why, whylen,
                 "%s holds the API key but belongs to uid %ld, "
                 "not you (uid %ld): refused",
                 path, (long)st.st_uid, (long)me);
        close(fd);
        return NULL;
    }
    if (secret && (st.st_mode & (S_IRGRP | S_IROTH))) {
        snprintf(why, whylen,
                 "%s holds the API key but is readable by group "
                 "or others (mode %04o): refused (chmod 600)",
                 path, (unsigned)(st.st_mode & 07777));
        close(fd);
        return NULL;
    }
    FILE *f = fdopen(fd, "r");
    if (!f) {
        snprintf(why, whylen, "%s: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

int cr_key_ok(const char *k)
{
    if (!*k)
        return 0;
    for (const unsigned char *p = (const unsigned char *)k; *p; p++)
        if (*p < 0x21 || *p > 0x7E)
            return 0;
    return 1;
}

/* Reads the key file: its first line that is not empty nor a comment. */
int cr_read_key_file(cr_conf_t *c, const char *path)
{
    char why[512];
    int missing;
    FILE *f = cr_open_checked(path, 1, why, sizeof(why), &missing);
    if (!f) {
        cr_say("key file %s", why);
        return CR_EX_CONFIG;
    }
    char line[4096];
    char *key = NULL;
    while (fgets(line, sizeof(line), f)) {
        char *t = cr_trim(line);
        if (!*t || *t == '#')
            continue;
        key = cr_xstrdup(t);
        break;
    }
    memset(line, 0, sizeof(line));
    fclose(f);
    if (!key || !cr_key_ok(key)) {
        cr_say("key file %s: %s", path,
               key ? "the key must be printable "
                     "ASCII without blanks"
                   : "holds no key");
        free(key);
        return CR_EX_CONFIG;
    }
    free(c->key);
    c->key = key;
    return 0;
}
