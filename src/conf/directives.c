/*
 * directives.c: the directives, as httpd writes them: each checks its
 * value when the configuration is read, so a mistake fails `apachectl
 * configtest` with the directive's name, never a request.
 *
 * Keys are hashed here, so a request costs one SHA-256 of the presented
 * key and never touches a clear secret.
 */
#include "conf/charon_conf.h"

#include "apr_strings.h"
#include "http_core.h"

/* Bodies live in memory: no limit may be set past this. */
#define LIMIT_CEILING (64 * 1024 * 1024)

/* Adds a key to one configuration level, refusing a name or a secret that
 * the same level already has: either would make the key's name, which is
 * recorded with every execution, ambiguous. */
static const char *add_key(cmd_parms *cmd, charon_dir_conf *conf,
                           charon_key_t *key)
{
    int i;

    for (i = 0; i < conf->keys->nelts; i++) {
        const charon_key_t *k =
            APR_ARRAY_IDX(conf->keys, i, const charon_key_t *);

        if (!strcmp(k->name, key->name)) {
            return apr_psprintf(cmd->pool,
                                "%s: the key name '%s' is "
                                "defined twice here",
                                cmd->cmd->name, key->name);
        }
        if (!memcmp(k->digest, key->digest, CHARON_DIGEST_LEN)) {
            return apr_psprintf(cmd->pool,
                                "%s: keys '%s' and '%s' have "
                                "the same secret",
                                cmd->cmd->name, k->name, key->name);
        }
    }
    APR_ARRAY_PUSH(conf->keys, charon_key_t *) = key;
    return NULL;
}

static const char *set_api_key(cmd_parms *cmd, void *mconfig, int argc,
                               char *const argv[])
{
    charon_key_t *key;
    const char *err;
    int i;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_HTACCESS))) {
        return err;
    }
    if (argc < 2) {
        return "CharonApiKey takes a NAME, a KEY, optional slug patterns "
               "and admin=read or admin=write";
    }
    key = apr_pcalloc(cmd->pool, sizeof(*key));
    if ((err = charon_key_name_check(cmd->pool, argv[0]))) {
        return apr_pstrcat(cmd->pool, "CharonApiKey: ", err, NULL);
    }
    key->name = apr_pstrdup(cmd->pool, argv[0]);
    if ((err = charon_key_digest(cmd->pool, argv[1], key->digest))) {
        return apr_psprintf(cmd->pool, "CharonApiKey %s: %s", key->name, err);
    }
    key->patterns = apr_array_make(cmd->pool, argc - 2, sizeof(const char *));
    for (i = 2; i < argc; i++) {
        if ((err = charon_key_word(cmd->pool, key, argv[i]))) {
            return apr_psprintf(cmd->pool, "CharonApiKey %s: %s", key->name,
                                err);
        }
    }
    return add_key(cmd, mconfig, key);
}

static const char *set_api_key_file(cmd_parms *cmd, void *mconfig,
                                    const char *arg)
{
    const char *path, *err;
    ap_configfile_t *f;
    char line[MAX_STRING_LEN];
    apr_status_t rv;
    int added = 0;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_HTACCESS))) {
        return err;
    }
    path = ap_server_root_relative(cmd->temp_pool, arg);
    if (!path) {
        return apr_pstrcat(cmd->pool, "CharonApiKeyFile: invalid path ", arg,
                           NULL);
    }
    rv = ap_pcfg_openfile(&f, cmd->temp_pool, path);
    if (rv != APR_SUCCESS) {
        char buf[120];

        return apr_psprintf(cmd->pool, "CharonApiKeyFile: cannot open %s: %s",
                            path, apr_strerror(rv, buf, sizeof(buf)));
    }
    while (ap_cfg_getline(line, sizeof(line), f) == APR_SUCCESS) {
        charon_key_t *key;

        err = charon_keyfile_line(cmd->pool, line, &key);
        if (!err && key) {
            err = add_key(cmd, mconfig, key);
            added++;
        }
        if (err) {
            err = apr_psprintf(cmd->pool, "CharonApiKeyFile %s line %d: %s",
                               path, f->line_number, err);
            ap_cfg_closefile(f);
            return err;
        }
    }
    ap_cfg_closefile(f);
    if (!added) {
        /* An empty key file is almost certainly a deployment mistake. */
        return apr_psprintf(cmd->pool, "CharonApiKeyFile %s holds no key",
                            path);
    }
    return NULL;
}

static const char *set_limit(cmd_parms *cmd, void *mconfig, const char *arg)
{
    apr_off_t *field = (apr_off_t *)((char *)mconfig + (size_t)cmd->info);
    apr_off_t value;
    char *end;

    if (apr_strtoff(&value, arg, &end, 10) != APR_SUCCESS || *end || value < 1
        || value > LIMIT_CEILING) {
        return apr_psprintf(cmd->pool,
                            "%s takes a number of bytes from 1 "
                            "to %d, not '%s'",
                            cmd->cmd->name, LIMIT_CEILING, arg);
    }
    *field = value;
    return NULL;
}

static const char *set_duration(cmd_parms *cmd, void *mconfig, const char *arg)
{
    charon_server_conf *conf = charon_server_config(cmd->server);
    int interval = cmd->info != NULL;
    const char *err;
    apr_int64_t secs;

    (void)mconfig;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    err = charon_parse_duration(cmd->pool, arg, 1,
                                interval ? 86400 : 30 * 86400, &secs);
    if (err) {
        return apr_psprintf(cmd->pool, "%s %s", cmd->cmd->name, err);
    }
    if (interval) {
        conf->interval = secs;
    }
    else {
        conf->idem_window = secs;
    }
    return NULL;
}

static const char *set_retention(cmd_parms *cmd, void *mconfig, int argc,
                                 char *const argv[])
{
    charon_server_conf *conf = charon_server_config(cmd->server);
    const char *err;

    (void)mconfig;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    err = charon_parse_retention(cmd->pool, argc, argv, &conf->retention);
    if (err) {
        return apr_psprintf(cmd->pool, "CharonRetention: %s", err);
    }
    conf->retention_set = 1;
    return NULL;
}

/* Checked at start: a zone ICU does not know would make every cron that
 * names none unjudgeable. */
static const char *set_default_zone(cmd_parms *cmd, void *mconfig,
                                    const char *arg)
{
    charon_server_conf *conf = charon_server_config(cmd->server);
    const char *err;

    (void)mconfig;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    if ((err = charon_zone_check(arg))) {
        return apr_psprintf(cmd->pool, "CharonDefaultTimezone '%s' %s", arg,
                            err);
    }
    conf->default_zone = arg;
    return NULL;
}

static const char *add_channel(cmd_parms *cmd, charon_channel_t *c)
{
    charon_server_conf *conf = charon_server_config(cmd->server);
    int i;

    for (i = 0; i < conf->channels->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(conf->channels, i, charon_channel_t *)->name,
                    c->name)) {
            return apr_psprintf(cmd->pool, "two alert channels named '%s'",
                                c->name);
        }
    }
    APR_ARRAY_PUSH(conf->channels, charon_channel_t *) = c;
    return NULL;
}

/* The URL may hold a token: errors name the channel, never the URL. */
static const char *set_alert(cmd_parms *cmd, void *mconfig, int argc,
                             char *const argv[])
{
    charon_channel_t *c;
    const char *err;

    (void)mconfig;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    if (charon_channel_parse(cmd->pool, argc, (const char *const *)argv, &c,
                             &err)
            != 0
        || (err = add_channel(cmd, c))) {
        return apr_psprintf(cmd->pool, "CharonAlert: %s", err);
    }
    return NULL;
}

/* A file of CharonAlert lines, for the secrets in URLs: readable by its
 * owner only, as an SSH key must be. */
static const char *set_alert_file(cmd_parms *cmd, void *mconfig,
                                  const char *arg)
{
    const char *path, *err;
    ap_configfile_t *f;
    apr_finfo_t fi;
    char line[MAX_STRING_LEN];
    apr_status_t rv;
    char buf[120];

    (void)mconfig;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    path = ap_server_root_relative(cmd->temp_pool, arg);
    if (!path) {
        return apr_pstrcat(cmd->pool, "CharonAlertFile: invalid path ", arg,
                           NULL);
    }
    if ((rv = apr_stat(&fi, path, APR_FINFO_PROT, cmd->temp_pool))
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "CharonAlertFile: cannot read %s: %s",
                            path, apr_strerror(rv, buf, sizeof(buf)));
    }
    if (fi.protection & (APR_GREAD | APR_GWRITE | APR_WREAD | APR_WWRITE)) {
        return apr_psprintf(cmd->pool,
                            "CharonAlertFile: %s may be read by others than "
                            "its owner (it holds secrets): chmod 0600 it",
                            path);
    }
    rv = ap_pcfg_openfile(&f, cmd->temp_pool, path);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "CharonAlertFile: cannot open %s: %s",
                            path, apr_strerror(rv, buf, sizeof(buf)));
    }
    while (ap_cfg_getline(line, sizeof(line), f) == APR_SUCCESS) {
        charon_channel_t *c;
        int got = charon_channel_parse_line(cmd->pool, line, &c, &err);

        if (got > 0) {
            err = add_channel(cmd, c);
        }
        if (got < 0 || err) {
            err = apr_psprintf(cmd->pool, "CharonAlertFile %s line %d: %s",
                               path, f->line_number, err);
            ap_cfg_closefile(f);
            return err;
        }
    }
    ap_cfg_closefile(f);
    return NULL;
}

static const char *set_manager_url(cmd_parms *cmd, void *mconfig,
                                   const char *arg)
{
    charon_server_conf *conf = charon_server_config(cmd->server);
    const char *err;
    apr_size_t n = strlen(arg);

    (void)mconfig;
    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    if (strncmp(arg, "https://", 8) && strncmp(arg, "http://", 7)) {
        return "CharonManagerURL: an absolute http:// or https:// URL, "
               "e.g. https://ops.example.com/charon/manager";
    }
    while (n > 0 && arg[n - 1] == '/') {
        n--;
    }
    conf->manager_url = apr_pstrndup(cmd->pool, arg, n);
    return NULL;
}

const command_rec charon_cmds[] = {
    AP_INIT_TAKE_ARGV(
        "CharonApiKey", set_api_key, NULL, RSRC_CONF | ACCESS_CONF,
        "NAME KEY [SLUG-PATTERN ...]: an application's API key, "
        "in clear (16 characters or more) or as sha256:<64 hex>; "
        "patterns limit it to the crons whose slug matches"),
    AP_INIT_TAKE1("CharonApiKeyFile", set_api_key_file, NULL,
                  RSRC_CONF | ACCESS_CONF,
                  "a file of API keys, one 'NAME KEY [SLUG-PATTERN ...]' "
                  "per line, # for comments"),
    AP_INIT_TAKE1("CharonMaxBodySize", set_limit,
                  (void *)APR_OFFSETOF(charon_dir_conf, max_body),
                  RSRC_CONF | ACCESS_CONF,
                  "largest request body in bytes (default 65536)"),
    AP_INIT_TAKE1("CharonMaxMessageLength", set_limit,
                  (void *)APR_OFFSETOF(charon_dir_conf, max_message),
                  RSRC_CONF | ACCESS_CONF,
                  "longest message text in bytes (default 65536)"),
    AP_INIT_TAKE1("CharonWatchdogInterval", set_duration, (void *)1, RSRC_CONF,
                  "how often lost runs are marked and old runs purged, e.g. "
                  "60s or 5m (default 60s)"),
    AP_INIT_TAKE1("CharonIdempotencyWindow", set_duration, NULL, RSRC_CONF,
                  "how long an Idempotency-Key's answer is kept, e.g. 24h "
                  "(default 24h)"),
    AP_INIT_TAKE_ARGV("CharonRetention", set_retention, NULL, RSRC_CONF,
                      "off, or [max-age=DURATION] [keep=N] "
                      "[keep-failures=N]: which finished runs are kept"),
    AP_INIT_TAKE1("CharonDefaultTimezone", set_default_zone, NULL, RSRC_CONF,
                  "the time zone of the schedules of crons that name none, "
                  "an IANA name such as Europe/Paris (default UTC)"),
    AP_INIT_TAKE_ARGV("CharonAlert", set_alert, NULL, RSRC_CONF,
                      "NAME URL [OPTION=VALUE ...]: an alert channel; the "
                      "URL's scheme (https, http, mailto, exec, file) picks "
                      "the transport"),
    AP_INIT_TAKE1("CharonAlertFile", set_alert_file, NULL, RSRC_CONF,
                  "a file of alert channels, one 'NAME URL [OPTION=VALUE "
                  "...]' per line, mode 0600"),
    AP_INIT_TAKE1("CharonManagerURL", set_manager_url, NULL, RSRC_CONF,
                  "the manager page's address, for links in alerts"),
    {NULL}};
