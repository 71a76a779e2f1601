/*
 * mount.c: what the configuration tree says about the handler.
 *
 * httpd gives a handler no way to learn where it was mounted, and no
 * public way to ask mod_dbd whether a server has a database.  Both are
 * written in the parsed configuration tree, which is read here once per
 * (re)start: the <Location> paths that carry `SetHandler charon` (or
 * charon-admin) become the mounts that routes are relative to, and a server that uses the
 * handler without a DBDriver in its scope stops the start.
 */
#include "conf/charon_conf.h"

#include "apr_strings.h"
#include "http_main.h"
#include "apr_dbd.h"
#include "mod_dbd.h"
#include "util_cfgtree.h"

typedef struct {
    int uses_charon;            /* SetHandler charon or a Charon directive */
    int has_dbd;                /* a DBDriver directive */
    apr_array_header_t *mounts; /* const char *: Location paths */
} scope_t;

/* server_rec * -> apr_array_header_t * of mount paths, longest first.
 * Built at startup in pconf, read-only afterwards. */
static apr_hash_t *mounts_by_server;

/* A <VirtualHost> is known to its server_rec by where it was written. */
static const char *vhost_key(apr_pool_t *p, const char *file, unsigned line)
{
    return apr_psprintf(p, "%s:%u", file ? file : "", line);
}

static scope_t *scope_get(apr_pool_t *p, apr_hash_t *scopes, const char *key)
{
    scope_t *sc = apr_hash_get(scopes, key, APR_HASH_KEY_STRING);

    if (!sc) {
        sc = apr_pcalloc(p, sizeof(*sc));
        sc->mounts = apr_array_make(p, 2, sizeof(const char *));
        apr_hash_set(scopes, key, APR_HASH_KEY_STRING, sc);
    }
    return sc;
}

/* The path of a "<Location path>" node; NULL for a regex location. */
static const char *location_path(apr_pool_t *p, const ap_directive_t *d)
{
    char *args = apr_pstrdup(p, d->args ? d->args : "");
    char *gt = strrchr(args, '>');
    const char *word, *rest;
    apr_size_t len;

    if (gt) {
        *gt = '\0';
    }
    rest = args;
    word = ap_getword_conf(p, &rest);
    if (!*word || !strcmp(word, "~") || *word != '/') {
        return NULL;
    }
    /* "/api/" and "/api" mount the same place: keep no trailing slash. */
    len = strlen(word);
    while (len > 1 && word[len - 1] == '/') {
        len--;
    }
    return len == 1 ? "" : apr_pstrmemdup(p, word, len);
}

static int first_arg_is(apr_pool_t *p, const ap_directive_t *d,
                        const char *value)
{
    const char *rest = d->args ? d->args : "";

    return !strcasecmp(ap_getword_conf(p, &rest), value);
}

static void walk(apr_pool_t *p, apr_hash_t *scopes, const ap_directive_t *d,
                 const char *vhost, const char *location)
{
    for (; d; d = d->next) {
        const char *name = d->directive;
        scope_t *sc = scope_get(p, scopes, vhost);

        if (!strcasecmp(name, "<VirtualHost")) {
            walk(p, scopes, d->first_child,
                 vhost_key(p, d->filename, d->line_num), NULL);
            continue;
        }
        if (!strcasecmp(name, "<Location")) {
            walk(p, scopes, d->first_child, vhost, location_path(p, d));
            continue;
        }
        if (!strcasecmp(name, "SetHandler")
            || !strcasecmp(name, "AddHandler")) {
            if (first_arg_is(p, d, CHARON_HANDLER)
                || first_arg_is(p, d, CHARON_ADMIN_HANDLER)) {
                sc->uses_charon = 1;
                if (location && !strcasecmp(name, "SetHandler")) {
                    APR_ARRAY_PUSH(sc->mounts, const char *) = location;
                }
            }
        }
        else if (!strncasecmp(name, "Charon", 6)) {
            sc->uses_charon = 1;
        }
        else if (!strcasecmp(name, "DBDriver")) {
            sc->has_dbd = 1;
        }
        if (d->first_child) {
            walk(p, scopes, d->first_child, vhost, location);
        }
    }
}

static int longest_first(const void *a, const void *b)
{
    return (int)strlen(*(const char *const *)b)
           - (int)strlen(*(const char *const *)a);
}

int charon_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp,
                        server_rec *s)
{
    apr_hash_t *scopes = apr_hash_make(ptemp);
    scope_t *main_scope;
    int have_dbd = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire) != NULL;

    (void)plog;
    walk(ptemp, scopes, ap_conftree, "", NULL);
    main_scope = scope_get(ptemp, scopes, "");
    mounts_by_server = apr_hash_make(pconf);

    for (; s; s = s->next) {
        const char *key =
            s->is_virtual ? vhost_key(ptemp, s->defn_name, s->defn_line_number)
                          : "";
        scope_t *sc = scope_get(ptemp, scopes, key);
        apr_array_header_t *mounts;
        int i;

        if (!(sc->uses_charon || main_scope->uses_charon)) {
            continue;
        }
        if (!have_dbd) {
            ap_log_error(
                APLOG_MARK, APLOG_EMERG, 0, s,
                CHARON_LOGNO(001) "mod_charon needs mod_dbd: add 'LoadModule "
                                  "dbd_module modules/mod_dbd.so' (Debian: "
                                  "a2enmod dbd)");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        if (!(sc->has_dbd || main_scope->has_dbd)) {
            ap_log_error(
                APLOG_MARK, APLOG_EMERG, 0, s,
                CHARON_LOGNO(
                    002) "mod_charon has no database for server %s%s%s: "
                         "set DBDriver and DBDParams (mod_dbd) for it or "
                         "for the main server",
                s->server_hostname ? s->server_hostname : "",
                s->is_virtual ? " defined at " : "", s->is_virtual ? key : "");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        /* A virtual host also serves the main server's <Location>s. */
        mounts = apr_array_make(pconf,
                                sc->mounts->nelts + main_scope->mounts->nelts,
                                sizeof(const char *));
        for (i = 0; i < sc->mounts->nelts; i++) {
            APR_ARRAY_PUSH(mounts, const char *) =
                apr_pstrdup(pconf, APR_ARRAY_IDX(sc->mounts, i, const char *));
        }
        if (sc != main_scope) {
            for (i = 0; i < main_scope->mounts->nelts; i++) {
                APR_ARRAY_PUSH(mounts, const char *) = apr_pstrdup(
                    pconf, APR_ARRAY_IDX(main_scope->mounts, i, const char *));
            }
        }
        qsort(mounts->elts, mounts->nelts, sizeof(const char *),
              longest_first);
        /* Keyed by the pointer's value: a copy of it, kept in pconf. */
        apr_hash_set(mounts_by_server, apr_pmemdup(pconf, &s, sizeof(s)),
                     sizeof(s), mounts);
    }
    return OK;
}

/* The mount of uri: the longest mount that is uri itself or a prefix of it
 * ending at a '/'.  Returns the length of the mount or -1. */
static apr_ssize_t find_mount(const request_rec *r)
{
    apr_array_header_t *mounts = NULL;
    int i;

    if (mounts_by_server) {
        mounts = apr_hash_get(mounts_by_server, &r->server, sizeof(r->server));
    }
    for (i = 0; mounts && i < mounts->nelts; i++) {
        const char *m = APR_ARRAY_IDX(mounts, i, const char *);
        apr_size_t len = strlen(m);

        if (!strncmp(r->uri, m, len) && (r->uri[len] == '/' || !r->uri[len])) {
            return (apr_ssize_t)len;
        }
    }
    return -1;
}

const char *charon_route_path(request_rec *r)
{
    apr_ssize_t len = find_mount(r);
    const char *slash;
    int n;

    if (len >= 0) {
        return r->uri[len] == '/' ? r->uri + len + 1 : NULL;
    }
    /* Mounted where the tree does not show it (<Directory>, <LocationMatch>,
     * .htaccess): the route is the last two segments of the path. */
    for (n = 0, slash = r->uri + strlen(r->uri); slash > r->uri;) {
        if (*--slash == '/' && ++n == 2) {
            return slash + 1;
        }
    }
    return NULL;
}

/* The API's URLs are not files.  Claiming them here keeps core from
 * mapping them onto DocumentRoot, which fails with 403 for a path longer
 * than a file name may be, before the handler can answer. */
int charon_translate_name(request_rec *r)
{
    if (find_mount(r) < 0) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, "charon:", r->uri, NULL);
    return OK;
}

/* ... and keeps core from looking for them on disk. */
int charon_map_to_storage(request_rec *r)
{
    return find_mount(r) >= 0 ? OK : DECLINED;
}

int charon_server_mounted(server_rec *s)
{
    apr_array_header_t *mounts =
        mounts_by_server ? apr_hash_get(mounts_by_server, &s, sizeof(s))
                         : NULL;

    return mounts && mounts->nelts > 0;
}
