/*
 * config.c: the per-directory and per-server configuration: created,
 * merged child over parent field by field, and read with the defaults
 * applied after the merge.
 */
#include "conf/charon_conf.h"

#include "apr_strings.h"

#define DEFAULT_MAX_BODY    65536
#define DEFAULT_MAX_MESSAGE 65536
#define DEFAULT_INTERVAL    60
#define DEFAULT_IDEM_WINDOW (24 * 3600)
void *charon_create_dir_conf(apr_pool_t *p, char *dir)
{
    charon_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)dir;
    conf->keys = apr_array_make(p, 2, sizeof(charon_key_t *));
    conf->max_body = -1;
    conf->max_message = -1;
    return conf;
}

/* The child's keys are added to the parent's; a child key with the name of
 * a parent key replaces it, so a <Location> can narrow or rotate one
 * application's key without repeating the others. */
static apr_array_header_t *merge_keys(apr_pool_t *p, apr_array_header_t *base,
                                      apr_array_header_t *add)
{
    apr_array_header_t *keys;
    int i, j;

    if (base->nelts == 0) {
        return add;
    }
    if (add->nelts == 0) {
        return base;
    }
    keys = apr_array_make(p, base->nelts + add->nelts, sizeof(charon_key_t *));
    for (i = 0; i < base->nelts; i++) {
        const charon_key_t *k = APR_ARRAY_IDX(base, i, const charon_key_t *);
        int replaced = 0;

        for (j = 0; j < add->nelts && !replaced; j++) {
            replaced = !strcmp(
                k->name, APR_ARRAY_IDX(add, j, const charon_key_t *)->name);
        }
        if (!replaced) {
            APR_ARRAY_PUSH(keys, const charon_key_t *) = k;
        }
    }
    apr_array_cat(keys, add);
    return keys;
}

void *charon_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    charon_dir_conf *base = basev, *add = addv;
    charon_dir_conf *conf = apr_palloc(p, sizeof(*conf));

    conf->keys = merge_keys(p, base->keys, add->keys);
    conf->max_body = add->max_body != -1 ? add->max_body : base->max_body;
    conf->max_message =
        add->max_message != -1 ? add->max_message : base->max_message;
    return conf;
}

apr_off_t charon_max_body(const charon_dir_conf *conf)
{
    return conf->max_body != -1 ? conf->max_body : DEFAULT_MAX_BODY;
}

apr_off_t charon_max_message(const charon_dir_conf *conf)
{
    return conf->max_message != -1 ? conf->max_message : DEFAULT_MAX_MESSAGE;
}

/* ---- per-server settings: the watchdog's work ------------------------ */

void *charon_create_server_conf(apr_pool_t *p, server_rec *s)
{
    charon_server_conf *conf = apr_pcalloc(p, sizeof(*conf));

    (void)s;
    conf->interval = -1;
    conf->idem_window = -1;
    conf->channels = apr_array_make(p, 2, sizeof(charon_channel_t *));
    return conf;
}

/* A virtual host takes what it sets and inherits the rest. */
void *charon_merge_server_conf(apr_pool_t *p, void *basev, void *addv)
{
    charon_server_conf *base = basev, *add = addv;
    charon_server_conf *conf = apr_palloc(p, sizeof(*conf));

    conf->interval = add->interval != -1 ? add->interval : base->interval;
    conf->idem_window =
        add->idem_window != -1 ? add->idem_window : base->idem_window;
    conf->retention_set = add->retention_set || base->retention_set;
    conf->retention = add->retention_set ? add->retention : base->retention;
    conf->default_zone =
        add->default_zone ? add->default_zone : base->default_zone;
    conf->channels =
        add->channels && add->channels->nelts ? add->channels : base->channels;
    conf->manager_url =
        add->manager_url ? add->manager_url : base->manager_url;
    return conf;
}

charon_server_conf *charon_server_config(server_rec *s)
{
    return ap_get_module_config(s->module_config, &charon_module);
}

apr_interval_time_t charon_watchdog_interval(server_rec *s)
{
    const charon_server_conf *conf = charon_server_config(s);

    return apr_time_from_sec(conf->interval != -1 ? conf->interval
                                                  : DEFAULT_INTERVAL);
}

apr_int64_t charon_idempotency_window(server_rec *s)
{
    const charon_server_conf *conf = charon_server_config(s);

    return conf->idem_window != -1 ? conf->idem_window : DEFAULT_IDEM_WINDOW;
}

const char *charon_default_zone(server_rec *s)
{
    const char *zone = charon_server_config(s)->default_zone;

    return zone ? zone : "UTC";
}

const charon_retention_t *charon_retention(server_rec *s)
{
    const charon_server_conf *conf = charon_server_config(s);

    return conf->retention_set && conf->retention.enabled ? &conf->retention
                                                          : NULL;
}

const charon_dir_conf *charon_dir_config(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &charon_module);
}

const apr_array_header_t *charon_alert_channels(server_rec *s)
{
    return charon_server_config(s)->channels;
}

const charon_channel_t *charon_alert_channel(server_rec *s, const char *name)
{
    const apr_array_header_t *a = charon_alert_channels(s);
    int i;

    for (i = 0; i < a->nelts; i++) {
        const charon_channel_t *c = APR_ARRAY_IDX(a, i, charon_channel_t *);

        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

const char *charon_manager_url(server_rec *s)
{
    return charon_server_config(s)->manager_url;
}
