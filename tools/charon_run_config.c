/*
 * charon_run_config.c: charon-run's settings, from (last wins)
 *
 *   1. defaults
 *   2. configuration files: /etc/charon-run.conf, then the user's
 *      ($XDG_CONFIG_HOME/charon-run.conf, else ~/.config/charon-run.conf),
 *      or only the file given with --config, or none with --no-config
 *   3. the environment: CHARON_URL, CHARON_ADMIN_URL, CHARON_API_KEY
 *   4. the command line
 *
 * A run needs the run API's URL (url), `charon-run apply` the management
 * API's (admin_url); both may be in the same file, each ignores the
 * other's.
 *
 * The API key is never taken from the command line (only a path to a
 * file holding it).  A file that holds the key must belong to the user
 * running charon-run and be readable by nobody else; any configuration
 * file must belong to that user or root and be writable by nobody else
 * (whoever can change the URL can have the key sent to them).
 *
 * Here: that order, the configuration files read, the URL and the key
 * checked.  The options and their values are charon_run_options.c's, the
 * files' owner and mode charon_run_files.c's.
 */
#include "charon_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- configuration files ---------------------------------------------- */

/* Reads one configuration file.  Returns 0, or 78 after saying why. */
static int read_config(cr_conf_t *c, const char *path, int must_exist)
{
    char why[512];
    int missing;
    /* First pass without the secret check, to learn whether it holds a
     * key; then the file is judged again as a secret if it does. */
    FILE *f = cr_open_checked(path, 0, why, sizeof(why), &missing);
    if (!f) {
        if (missing && !must_exist)
            return 0;
        cr_say("configuration file %s", why);
        return CR_EX_CONFIG;
    }
    char line[4096];
    int lineno = 0, has_key = 0, rc = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char *t = cr_trim(line);
        if (!*t || *t == '#')
            continue;
        char *eq = strchr(t, '=');
        if (!eq) {
            cr_say("%s:%d: expected 'key = value'", path, lineno);
            rc = CR_EX_CONFIG;
            break;
        }
        *eq = '\0';
        char *k = cr_trim(t), *v = cr_trim(eq + 1);
        size_t vl = strlen(v);
        if (vl >= 2
            && ((v[0] == '"' && v[vl - 1] == '"')
                || (v[0] == '\'' && v[vl - 1] == '\''))) {
            v[vl - 1] = '\0';
            v++;
        }
        if (!strcmp(k, "api_key") || !strcmp(k, "api-key")) {
            has_key = 1;
            if (!cr_key_ok(v)) {
                cr_say("%s:%d: api_key must be printable ASCII without blanks",
                       path, lineno);
                rc = CR_EX_CONFIG;
                break;
            }
            free(c->key);
            c->key = cr_xstrdup(v);
            continue;
        }
        if (!strcmp(k, "api_key_file") || !strcmp(k, "api-key-file")) {
            free(c->key_file);
            c->key_file = cr_xstrdup(v);
            continue;
        }
        const char *err = cr_conf_set_key(c, k, v);
        if (err) {
            cr_say("%s:%d: %s %s", path, lineno, k, err);
            rc = CR_EX_CONFIG;
            break;
        }
    }
    memset(line, 0, sizeof(line));
    fclose(f);
    if (rc)
        return rc;
    if (has_key) {
        f = cr_open_checked(path, 1, why, sizeof(why), &missing);
        if (!f) {
            cr_say("configuration file %s", why);
            return CR_EX_CONFIG;
        }
        fclose(f);
    }
    return 0;
}

/* ---- everything ------------------------------------------------------- */

/* *url checked, and ended with '/': 0, or 78 after saying why. */
static int check_url(char **url, const char *none)
{
    if (!*url || !**url) {
        cr_say("%s", none);
        return CR_EX_CONFIG;
    }
    if (strncasecmp(*url, "http://", 7) && strncasecmp(*url, "https://", 8)) {
        char *p = cr_printable(*url, strlen(*url));
        cr_say("URL '%s' must start with http:// or https://", p);
        free(p);
        return CR_EX_CONFIG;
    }
    for (const unsigned char *p = (const unsigned char *)*url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F) {
            cr_say("the URL must not contain blanks or control characters");
            return CR_EX_CONFIG;
        }
    size_t n = strlen(*url);
    if ((*url)[n - 1] != '/') {
        *url = cr_xrealloc(*url, n + 2);
        (*url)[n] = '/';
        (*url)[n + 1] = '\0';
    }
    return 0;
}

int cr_conf_load(cr_conf_t *c, int argc, char **argv, cr_mode_e mode)
{
    memset(c, 0, sizeof(*c));
    c->mode = mode;
    c->kill_after = 10;
    c->net_timeout = 10;
    c->flush_interval = 1;
    c->max_output = 1024 * 1024;
    c->max_message = 65536;
    c->batch_lines = 1000;
    c->stdout_type = 0; /* info */
    c->stderr_type = 1; /* warning */

    /* The command line first, to learn --config, --no-config, and to
     * refuse bad usage before anything else; applied after the files. */
    cr_args_t cli;
    int rc = cr_args_read(c, argc, argv, &cli);
    if (rc != 0)
        return rc;

    if (c->config) {
        rc = read_config(c, c->config, 1);
    }
    else if (!c->no_config) {
        rc = read_config(c, "/etc/charon-run.conf", 0);
        const char *xdg = getenv("XDG_CONFIG_HOME");
        const char *home = getenv("HOME");
        cr_buf_t p = {0};
        if (xdg && *xdg == '/')
            cr_buf_printf(&p, "%s/charon-run.conf", xdg);
        else if (home && *home)
            cr_buf_printf(&p, "%s/.config/charon-run.conf", home);
        if (!rc && p.len)
            rc = read_config(c, p.data, 0);
        cr_buf_free(&p);
    }
    if (rc) {
        cr_args_free(&cli);
        return rc;
    }

    /* the environment */
    const char *env_url = getenv("CHARON_URL");
    if (env_url && *env_url) {
        free(c->url);
        c->url = cr_xstrdup(env_url);
    }
    const char *env_admin = getenv("CHARON_ADMIN_URL");
    if (env_admin && *env_admin) {
        free(c->admin_url);
        c->admin_url = cr_xstrdup(env_admin);
    }
    char *env_key = getenv("CHARON_API_KEY");
    if (env_key && *env_key) {
        free(c->key);
        c->key = cr_xstrdup(env_key);
        free(c->key_file); /* the environment beats the files */
        c->key_file = NULL;
    }
    if (env_key) {
        /* Neither the job nor /proc/<pid>/environ gets it from here on. */
        memset(env_key, 'x', strlen(env_key));
        unsetenv("CHARON_API_KEY");
    }

    /* the command line */
    cr_args_apply(c, &cli);
    cr_args_free(&cli);

    if (c->key_file) {
        rc = cr_read_key_file(c, c->key_file);
        if (rc)
            return rc;
    }
    rc = mode == CR_MODE_APPLY
             ? check_url(&c->admin_url,
                         "no admin URL (the management API's): set "
                         "CHARON_ADMIN_URL, --admin-url, or admin_url in a "
                         "configuration file")
             : check_url(&c->url, "no URL: set CHARON_URL, --url, or url in "
                                  "a configuration file");
    if (rc)
        return rc;
    if (!c->key || !*c->key) {
        cr_say("no API key: set CHARON_API_KEY, --key-file, or api_key (or "
               "api_key_file) in a configuration file");
        return CR_EX_CONFIG;
    }
    if (!cr_key_ok(c->key)) {
        cr_say("the API key must be printable ASCII without blanks");
        return CR_EX_CONFIG;
    }
    return 0;
}

void cr_conf_free(cr_conf_t *c)
{
    if (c->key) {
        memset(c->key, 0, strlen(c->key));
        free(c->key);
    }
    free(c->url);
    free(c->admin_url);
    free(c->cacert);
    free(c->config);
    free(c->key_file);
    free(c->schedule);
    free(c->timezone);
    memset(c, 0, sizeof(*c));
}
