/*
 * charon_manager.c: the HTML manager page (`SetHandler charon-manager`).
 *
 * Who may use it is httpd's business (Require, AuthType): the handler
 * trusts whoever httpd lets through, and guards only against other sites
 * making a signed-in operator's browser send a change (CSRF): every POST
 * must carry a nonce of this page (an HMAC, by a secret made at startup,
 * of the time, the user, the host and the page's path) and come from
 * this origin (Origin, or Referer).  GET and HEAD only read.
 *
 * This file holds the routing, the answers and the page's frame, the
 * escaping, the form parser and the CSRF checks; the pages and the
 * changes are in charon_manager_*.c (see charon_manager.h).
 */
#include "charon_manager.h"

#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_uri.h"
#include "util_filter.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* ---- the nonce's secret ------------------------------------------------ */

/* Made in the parent before it forks, so every child shares it; a
 * restart makes a new one, and the pages served before it stale. */
static unsigned char nonce_secret[32];
static int nonce_ready;

#define NONCE_LIFETIME 3600     /* seconds a page's forms stay valid */
#define NONCE_SKEW     60       /* seconds a nonce may be from the future */
#define NONCE_HEX      64       /* HMAC-SHA256 in hex */

int charon_manager_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                               apr_pool_t *ptemp, server_rec *s)
{
    apr_status_t rv;

    (void)pconf; (void)plog; (void)ptemp;
    rv = apr_generate_random_bytes(nonce_secret, sizeof(nonce_secret));
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s, CHARON_LOGNO(600)
                     "no random bytes for the manager page's secret");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    nonce_ready = 1;
    return OK;
}

/* ---- writing HTML ----------------------------------------------------- */

void mgr_puts(mgr_page_t *pg, const char *s)
{
    apr_brigade_puts(pg->bb, NULL, NULL, s);
}

void mgr_printf(mgr_page_t *pg, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    apr_brigade_vprintf(pg->bb, NULL, NULL, fmt, ap);
    va_end(ap);
}

/* The length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static apr_size_t utf8_seq(const unsigned char *s, apr_size_t n)
{
    unsigned char c = s[0];
    apr_size_t len, i;
    unsigned char lo = 0x80, hi = 0xBF;

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    }
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;      /* no overlong forms */
        hi = c == 0xED ? 0x9F : 0xBF;      /* no surrogates */
    }
    else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;      /* nothing past U+10FFFF */
    }
    else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF) {
            return 0;
        }
    }
    return len;
}

/* Escapes for text and for attribute values in double or single quotes.
 * Bytes that are not UTF-8, and control characters other than tab and
 * line breaks, become U+FFFD: a slug written to the database by hand
 * may hold anything. */
const char *mgr_html(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    apr_size_t len = strlen((const char *)u), i = 0;
    char *out = apr_palloc(p, len * 6 + 1), *o = out;

    while (i < len) {
        unsigned char c = u[i];
        apr_size_t n = utf8_seq(u + i, len - i);

        if (n == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            || c == 0x7F) {
            memcpy(o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            continue;
        }
        switch (c) {
        case '<':  memcpy(o, "&lt;", 4);   o += 4; break;
        case '>':  memcpy(o, "&gt;", 4);   o += 4; break;
        case '&':  memcpy(o, "&amp;", 5);  o += 5; break;
        case '"':  memcpy(o, "&quot;", 6); o += 6; break;
        case '\'': memcpy(o, "&#39;", 5);  o += 5; break;
        default:   memcpy(o, u + i, n);    o += n; break;
        }
        i += n;
    }
    *o = '\0';
    return out;
}

void mgr_esc(mgr_page_t *pg, const char *s)
{
    mgr_puts(pg, mgr_html(pg->r->pool, s));
}

const char *mgr_urlenc(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t len = strlen(s ? s : "");
    char *out = apr_palloc(p, len * 3 + 1), *o = out;

    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

void mgr_time(mgr_page_t *pg, const char *iso)
{
    if (!iso || !*iso) {
        mgr_puts(pg, "<span class=\"muted\">&ndash;</span>");
        return;
    }
    /* "2026-11-29T10:00:00Z", shown as "2026-11-29 10:00:00" */
    mgr_printf(pg, "<time datetime=\"%s\">", mgr_html(pg->r->pool, iso));
    mgr_esc(pg, strlen(iso) >= 19
                ? apr_pstrcat(pg->r->pool, apr_pstrndup(pg->r->pool, iso, 10),
                              " ", apr_pstrndup(pg->r->pool, iso + 11, 8),
                              NULL)
                : iso);
    mgr_puts(pg, "</time>");
}

const char *mgr_duration(apr_pool_t *p, const char *secs)
{
    char *end;
    double d;
    apr_int64_t s;

    if (!secs || !*secs) {
        return NULL;
    }
    d = strtod(secs, &end);
    if (*end || d != d) {
        return NULL;
    }
    if (d < 0) {
        d = 0;                  /* clocks of two machines */
    }
    if (d < 10) {
        return apr_psprintf(p, "%.2f s", d);
    }
    if (d < 60) {
        return apr_psprintf(p, "%.1f s", d);
    }
    s = (apr_int64_t)(d + 0.5);
    if (s < 3600) {
        return apr_psprintf(p, "%d min %02d s", (int)(s / 60), (int)(s % 60));
    }
    if (s < 86400) {
        return apr_psprintf(p, "%d h %02d min", (int)(s / 3600),
                            (int)(s % 3600 / 60));
    }
    return apr_psprintf(p, "%" APR_INT64_T_FMT " d %02d h", s / 86400,
                        (int)(s % 86400 / 3600));
}

int mgr_flag(const char *v)
{
    return v && (!strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "true"));
}

static const char *nonce_make(request_rec *r);

void mgr_form_hidden(mgr_page_t *pg, const char *action, const char *cron)
{
    if (!pg->nonce) {
        pg->nonce = nonce_make(pg->r);
    }
    mgr_printf(pg, "<input type=\"hidden\" name=\"nonce\" value=\"%s\">"
               "<input type=\"hidden\" name=\"action\" value=\"%s\">",
               mgr_html(pg->r->pool, pg->nonce),
               mgr_html(pg->r->pool, action));
    if (cron) {
        mgr_printf(pg, "<input type=\"hidden\" name=\"cron\" value=\"%s\">",
                   mgr_html(pg->r->pool, cron));
    }
}

const char *mgr_field(const mgr_view_t *v, const char *action,
                      const char *name, const char *dflt)
{
    const char *got;

    if (v->form && v->form_action && !strcmp(v->form_action, action)
        && (got = apr_table_get(v->form, name)) != NULL) {
        return got;
    }
    return dflt ? dflt : "";
}

/* ---- answers ---------------------------------------------------------- */

/* Plain CSS, no script anywhere: the policy forbids every script, frame
 * and outside resource. */
static const char page_css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,"
    "sans-serif;margin:0;color:#1d2329;background:#f6f7f9}"
    "header.top{background:#23303d;color:#fff;padding:.6em 1.5em;"
    "display:flex;justify-content:space-between;align-items:baseline}"
    "header.top a{color:#fff;text-decoration:none;font-weight:600}"
    "main{padding:.5em 1.5em 3em}"
    "h1{font-size:1.45em;margin:.5em 0}h2{font-size:1.15em;margin:1.6em 0 .5em}"
    "table{border-collapse:collapse;width:100%;background:#fff;"
    "border:1px solid #e1e4e8}"
    "th,td{border-bottom:1px solid #e1e4e8;padding:.35em .6em;"
    "text-align:left;vertical-align:top}"
    "th{background:#eef0f3;font-weight:600;white-space:nowrap}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "td.slug{white-space:nowrap}td.msgs{min-width:18em}"
    "a{color:#0b5cad}code,.mono{font-family:ui-monospace,Menlo,Consolas,"
    "monospace}"
    ".muted{color:#6a737d}.nowrap{white-space:nowrap}"
    "td.state.on{color:#176d2c}td.state.off{color:#b00020}"
    "td.state b,.state-word{font-weight:700}"
    ".on-word{color:#176d2c}.off-word{color:#b00020}"
    ".badge{display:inline-block;padding:0 .4em;border-radius:3px;"
    "font-size:.85em;background:#fde2e2;color:#8a0016}"
    "td.outcome{font-weight:600}"
    ".outcome-success{color:#176d2c}.outcome-failure{color:#b00020}"
    ".outcome-lost{color:#a65e00}.outcome-running{color:#0b5cad}"
    "ul.messages{list-style:none;margin:0;padding:0}"
    "ul.messages li{margin:.15em 0;padding:.15em .45em;border-left:4px solid "
    "#9aa5b1;white-space:pre-wrap;word-break:break-word}"
    "li.msg-info{border-color:#0b5cad;background:#eef5fd}"
    "li.msg-warning{border-color:#c98a00;background:#fff6db}"
    "li.msg-error{border-color:#b00020;background:#fde8ea}"
    "li.msg-success{border-color:#1e8e3e;background:#e8f5ec}"
    ".error{border:1px solid #b00020;background:#fde8ea;color:#8a0016;"
    "padding:.6em .8em;margin:.8em 0}"
    ".notice{border:1px solid #1e8e3e;background:#e8f5ec;padding:.6em .8em;"
    "margin:.8em 0}"
    "form.row{display:flex;flex-wrap:wrap;gap:.6em;align-items:flex-end;"
    "margin:.3em 0}"
    "form.row label{display:flex;flex-direction:column;font-size:.9em;"
    "color:#444}"
    "input,select,button{font:inherit;padding:.2em .4em}"
    "fieldset{border:1px solid #e1e4e8;background:#fff;margin:.8em 0;"
    "padding:.5em 1em}legend{font-weight:600}"
    "nav.pager{margin:.8em 0;display:flex;gap:1.5em}"
    "svg.spark{vertical-align:middle;background:#f0f2f4}"
    "svg.spark rect.success{fill:#2e9d4b}svg.spark rect.failure{fill:#d32f2f}"
    "svg.spark rect.lost{fill:#e08a00}svg.spark rect.running{fill:#4a90d9}"
    "dl.facts{display:grid;grid-template-columns:max-content 1fr;"
    "gap:.25em 1.2em;background:#fff;padding:.7em 1em;"
    "border:1px solid #e1e4e8;margin:0}"
    "dl.facts dt{color:#586069}dl.facts dd{margin:0}";

static void set_headers(request_rec *r)
{
    apr_table_t *h = r->headers_out;

    apr_table_setn(h, "Cache-Control", "no-store");
    apr_table_setn(h, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; "
                   "img-src data:; form-action 'self'; "
                   "frame-ancestors 'none'");
    apr_table_setn(h, "X-Content-Type-Options", "nosniff");
    apr_table_setn(h, "X-Frame-Options", "DENY");
    apr_table_setn(h, "Referrer-Policy", "same-origin");
}

static void page_init(mgr_page_t *pg, request_rec *r)
{
    memset(pg, 0, sizeof(*pg));
    pg->r = r;
    pg->bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    pg->base = mgr_html(r->pool, ap_escape_uri(r->pool, r->uri));
    pg->title = "Charon";
}

/* Sends the page: the frame around what was written, with its length. */
static int page_send(mgr_page_t *pg, int status)
{
    request_rec *r = pg->r;
    apr_bucket_brigade *out = apr_brigade_create(r->pool,
                                                 r->connection->bucket_alloc);
    apr_off_t len = 0;

    apr_brigade_printf(out, NULL, NULL,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, "
        "initial-scale=1\"><title>%s</title><style>%s</style></head>"
        "<body><header class=\"top\"><a href=\"%s\">Charon crons</a>",
        mgr_html(r->pool, pg->title), page_css, pg->base);
    if (r->user) {
        apr_brigade_printf(out, NULL, NULL,
                           "<span class=\"muted\">signed in as %s</span>",
                           mgr_html(r->pool, r->user));
    }
    apr_brigade_puts(out, NULL, NULL, "</header><main>\n");
    APR_BRIGADE_CONCAT(out, pg->bb);
    apr_brigade_puts(out, NULL, NULL, "</main></body></html>\n");

    r->status = status;
    set_headers(r);
    ap_set_content_type(r, "text/html; charset=utf-8");
    apr_brigade_length(out, 1, &len);
    ap_set_content_length(r, len);
    if (r->header_only) {
        apr_brigade_cleanup(out);
    }
    APR_BRIGADE_INSERT_TAIL(out, apr_bucket_eos_create(r->connection->bucket_alloc));
    return ap_pass_brigade_fchk(r, out, CHARON_LOGNO(601)
                                "sending the manager page failed");
}

int mgr_send_message(request_rec *r, int status, const char *title,
                     const char *text)
{
    mgr_page_t pg;

    page_init(&pg, r);
    pg.title = title;
    mgr_puts(&pg, "<h1>");
    mgr_esc(&pg, title);
    mgr_puts(&pg, "</h1><p class=\"error\">");
    mgr_esc(&pg, text);
    mgr_printf(&pg, "</p><p><a href=\"%s\">Back to the list of crons</a></p>",
               pg.base);
    return page_send(&pg, status);
}

int mgr_send_unavailable(request_rec *r)
{
    apr_table_setn(r->headers_out, "Retry-After", CHARON_RETRY_AFTER);
    return mgr_send_message(r, HTTP_SERVICE_UNAVAILABLE,
                            "Database unavailable",
                            "The database cannot be reached just now; "
                            "nothing was changed. Try again in a few "
                            "seconds.");
}

int mgr_show(request_rec *r, charon_db *db, const mgr_view_t *v,
             mgr_render_fn *render, void *baton)
{
    mgr_page_t pg;
    charon_rows_t ignored;
    /* See mgr_q_custom_plans.  Only there: SQLite's BEGIN IMMEDIATE
     * would hold the write lock for the whole page. */
    int custom = !strcmp(charon_db_dialect(db)->driver, "pgsql");
    int attempt;

    for (attempt = 0; ; attempt++) {
        mgr_result_e res = MGR_DB_FAILED;

        page_init(&pg, r);
        if (!custom || (charon_db_begin(db)
                        && charon_db_view_rows(db, &mgr_q_custom_plans, 0,
                                               NULL, 1, &ignored))) {
            res = render(&pg, db, v, baton);
        }
        /* Nothing was written: the end of the transaction only lets go. */
        if (custom && (res == MGR_DB_FAILED || !charon_db_commit(db))) {
            charon_db_rollback(db);
            res = MGR_DB_FAILED;
        }
        switch (res) {
        case MGR_OK:
            return page_send(&pg, v->status ? v->status : HTTP_OK);
        case MGR_NOT_FOUND:
            return mgr_send_message(r, HTTP_NOT_FOUND, "No such cron",
                                    "No cron has this id (it may have been "
                                    "deleted).");
        case MGR_DB_FAILED:
            break;
        }
        apr_brigade_cleanup(pg.bb);
        /* A PostgreSQL that was restarted forgot the prepared statements:
         * once more, from the start. */
        if (attempt > 0 || !charon_db_may_retry(db)) {
            return mgr_send_unavailable(r);
        }
    }
}

int mgr_redirect(request_rec *r, const char *query)
{
    const char *loc = apr_pstrcat(r->pool, ap_escape_uri(r->pool, r->uri),
                                  query && *query ? "?" : "", query, NULL);
    mgr_page_t pg;

    page_init(&pg, r);
    pg.title = "See Other";
    apr_table_setn(r->headers_out, "Location", loc);
    mgr_printf(&pg, "<p>Done: <a href=\"%s\">continue</a>.</p>",
               mgr_html(r->pool, loc));
    return page_send(&pg, HTTP_SEE_OTHER);
}

/* ---- forms and query strings ------------------------------------------ */

static const char *form_decode(char *s)
{
    /* '+' is a space, then %XX; %00 and bad escapes are refused. */
    if (ap_unescape_urlencoded(s) != OK) {
        return "a field is not properly URL-encoded";
    }
    if (!charon_utf8_valid(s, strlen(s))) {
        return "a field is not valid UTF-8";
    }
    return NULL;
}

const char *mgr_parse_form(apr_pool_t *p, const char *text,
                           apr_table_t **out)
{
    apr_table_t *t = apr_table_make(p, 8);
    char *copy = apr_pstrdup(p, text ? text : "");
    char *pair, *last = NULL;
    const char *why;
    int n = 0;

    *out = t;
    for (pair = apr_strtok(copy, "&", &last); pair;
         pair = apr_strtok(NULL, "&", &last)) {
        char *eq = strchr(pair, '=');
        char *val = eq ? eq + 1 : pair + strlen(pair);

        if (eq) {
            *eq = '\0';
        }
        if (++n > 64) {
            return "too many fields";
        }
        if ((why = form_decode(pair)) != NULL
            || (why = form_decode(val)) != NULL) {
            return why;
        }
        if (!*pair) {
            continue;
        }
        /* Which of two values would be meant is anyone's guess. */
        if (apr_table_get(t, pair)) {
            return apr_psprintf(p, "the field \"%s\" is given twice", pair);
        }
        apr_table_setn(t, pair, val);
    }
    return NULL;
}

/* ---- CSRF -------------------------------------------------------------- */

static void nonce_mac(request_rec *r, apr_int64_t ts, char hex[NONCE_HEX + 1])
{
    static const char digits[] = "0123456789abcdef";
    const char *user = r->user ? r->user : "";
    const char *host = r->hostname ? r->hostname : "";
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;
    /* Each part with its length: no two tuples make the same text. */
    const char *msg = apr_psprintf(r->pool,
        "charon-manager/1\n%" APR_INT64_T_FMT "\n%" APR_SIZE_T_FMT ":%s\n%"
        APR_SIZE_T_FMT ":%s\n%" APR_SIZE_T_FMT ":%s", ts, strlen(user), user,
        strlen(host), host, strlen(r->uri), r->uri);

    if (!HMAC(EVP_sha256(), nonce_secret, sizeof(nonce_secret),
              (const unsigned char *)msg, strlen(msg), mac, &len)
        || len * 2 != NONCE_HEX) {
        memset(hex, 'x', NONCE_HEX);    /* never equal to a hex MAC */
        hex[NONCE_HEX] = '\0';
        return;
    }
    for (i = 0; i < len; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 15];
    }
    hex[NONCE_HEX] = '\0';
}

static const char *nonce_make(request_rec *r)
{
    apr_int64_t ts = (apr_int64_t)apr_time_sec(apr_time_now());
    char hex[NONCE_HEX + 1];

    nonce_mac(r, ts, hex);
    return apr_psprintf(r->pool, "%" APR_INT64_T_FMT "-%s", ts, hex);
}

const char *mgr_check_nonce(request_rec *r, const char *nonce)
{
    const char *dash, *c;
    char expected[NONCE_HEX + 1];
    apr_int64_t ts = 0, now = (apr_int64_t)apr_time_sec(apr_time_now());

    if (!nonce_ready) {
        return "the server has no secret to check the form with";
    }
    if (!nonce || !*nonce) {
        return "the form carries no nonce";
    }
    dash = strchr(nonce, '-');
    if (!dash || dash == nonce || dash - nonce > 18
        || strlen(dash + 1) != NONCE_HEX) {
        return "the form's nonce is not one of this page's";
    }
    for (c = nonce; c < dash; c++) {
        if (*c < '0' || *c > '9') {
            return "the form's nonce is not one of this page's";
        }
        ts = ts * 10 + (*c - '0');
    }
    nonce_mac(r, ts, expected);
    if (CRYPTO_memcmp(expected, dash + 1, NONCE_HEX) != 0) {
        return "the form's nonce is not one of this page's (or the server "
               "was restarted since the page was shown)";
    }
    if (ts > now + NONCE_SKEW || now - ts > NONCE_LIFETIME) {
        return "the page is more than an hour old";
    }
    return NULL;
}

/* An origin's host: lower case, without IPv6 brackets. */
static const char *bare_host(apr_pool_t *p, const char *h)
{
    char *s = apr_pstrdup(p, h ? h : ""), *c;
    apr_size_t len = strlen(s);

    if (len >= 2 && s[0] == '[' && s[len - 1] == ']') {
        s[len - 1] = '\0';
        s++;
    }
    for (c = s; *c; c++) {
        *c = (char)apr_tolower(*c);
    }
    return s;
}

const char *mgr_check_origin(request_rec *r)
{
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *from = origin ? "Origin" : "Referer";
    const char *value = origin ? origin
                               : apr_table_get(r->headers_in, "Referer");
    const char *scheme = ap_http_scheme(r);
    apr_uri_t u;
    apr_port_t port, ours;

    if (!value) {
        return "the request names no origin (neither Origin nor Referer)";
    }
    if (apr_uri_parse(r->pool, value, &u) != APR_SUCCESS || !u.scheme
        || !u.hostname) {
        return apr_psprintf(r->pool, "the %s header names no origin", from);
    }
    /* This site is what the browser asked for: the Host header (with its
     * port, kept in parsed_uri by httpd), and the scheme httpd serves,
     * which ServerName https://... sets behind a proxy that ends TLS. */
    port = u.port_str ? u.port : apr_uri_port_of_scheme(u.scheme);
    ours = r->parsed_uri.port_str ? r->parsed_uri.port
                                  : apr_uri_port_of_scheme(scheme);
    if (strcasecmp(u.scheme, scheme)
        || strcmp(bare_host(r->pool, u.hostname),
                  bare_host(r->pool, r->hostname))
        || port != ours) {
        return apr_psprintf(r->pool, "the %s header names another site",
                            from);
    }
    return NULL;
}

/* ---- GET --------------------------------------------------------------- */

static const struct {
    const char *done;
    const char *notice;
} notices[] = {
    { "create", "The cron was created." },
    { "rename", "The cron was renamed." },
    { "switch-off", "The cron was switched off." },
    { "switch-on", "The cron was switched on." },
    { "policy", "The cron's policy was changed." },
};

int mgr_get(request_rec *r, apr_table_t *query)
{
    const char *cron = apr_table_get(query, "cron");
    const char *done = apr_table_get(query, "done");
    const char *why;
    charon_db *db;
    mgr_view_t v;
    apr_int64_t id = 0;
    apr_size_t i;

    memset(&v, 0, sizeof(v));
    v.query = query;
    v.status = HTTP_OK;
    for (i = 0; done && i < sizeof(notices) / sizeof(notices[0]); i++) {
        if (!strcmp(done, notices[i].done)) {
            v.notice = notices[i].notice;
        }
    }
    if (cron && !charon_parse_id(cron, &id)) {
        return mgr_send_message(r, HTTP_NOT_FOUND, "No such cron",
                                "The cron's id must be a positive number.");
    }
    if (!(db = charon_db_open(r, &why))) {
        return mgr_send_unavailable(r);
    }
    return cron ? mgr_cron_page(r, db, id, &v) : mgr_list_page(r, db, &v);
}

/* ---- the handler ------------------------------------------------------- */

#define BIT(m) (AP_METHOD_BIT << (m))

static int run_get(request_rec *r)
{
    apr_table_t *query;
    const char *why = mgr_parse_form(r->pool, r->args, &query);

    if (why) {
        return mgr_send_message(r, HTTP_BAD_REQUEST, "Bad request", why);
    }
    return mgr_get(r, query);
}

static const struct {
    int method;                 /* M_GET covers HEAD */
    int (*run)(request_rec *r);
} routes[] = {
    { M_GET, run_get },
    { M_POST, mgr_post },
};

int charon_manager_handler(request_rec *r)
{
    apr_size_t i;

    if (!r->handler || strcmp(r->handler, CHARON_MANAGER_HANDLER)) {
        return DECLINED;
    }
    r->allowed = BIT(M_GET) | BIT(M_POST);
    for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        if (routes[i].method == r->method_number) {
            return routes[i].run(r);
        }
    }
    apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST");
    return mgr_send_message(r, HTTP_METHOD_NOT_ALLOWED, "Method not allowed",
                            "This page answers GET and HEAD, and changes "
                            "things on POST only.");
}
