/*
 * charon_run_apply_doc.c: the documents of `charon-run apply`: the body
 * of a PUT made from a cron of the file, what changed between the cron's
 * document before (GET) and after (the PUT's answer), and the slugs of a
 * page of GET crons.  Answers are read with json-c, the module's own
 * JSON library: a list page is an array of nested documents, more than
 * cr_json_member (one member of one object) reads.
 *
 * No libcurl and no I/O: tests/charon-run/ tests it.
 */
#include "charon_run.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

/* ---- out: the definition ---------------------------------------------- */

/* full: every field, the defaults written out (what the server will
 * hold); else only what the file gives, and name. */
static void def_json(cr_buf_t *out, const cr_def_t *d, int full)
{
    const char *name = d->text[CR_F_NAME] ? d->text[CR_F_NAME] : d->slug;

    /* name is required in a PUT: the slug stands in for it */
    cr_buf_adds(out, "{\"name\":");
    cr_json_string(out, name, strlen(name));
    for (int f = 0; f < CR_NFIELDS; f++) {
        const cr_field_t *F = &cr_fields[f];
        if (f == CR_F_NAME || (!d->text[f] && !full))
            continue;
        cr_buf_printf(out, ",\"%s\":", F->name);
        if (!d->text[f])
            cr_buf_adds(out, F->dflt);
        else if (F->kind == CR_F_SECONDS || F->kind == CR_F_COUNT)
            cr_buf_printf(out, "%lld", d->num[f]);
        else
            cr_json_string(out, d->text[f], strlen(d->text[f]));
    }
    cr_buf_addc(out, '}');
}

void cr_def_body(cr_buf_t *out, const cr_def_t *d)
{
    /* Only the definition: a PUT keeps active, off_reason, off_until and
     * mute_until when its body does not name them, so a cron an operator
     * switched off stays off through a deploy. */
    def_json(out, d, 0);
}

void cr_def_doc(cr_buf_t *out, const cr_def_t *d)
{
    def_json(out, d, 1);
}

/* ---- in: answers ------------------------------------------------------ */

/* The JSON object in s[0..len), or NULL (not JSON, not an object, or
 * something after it). */
static json_object *object(const char *s, size_t len)
{
    json_tokener *tok = json_tokener_new();
    json_object *o;
    size_t used;

    if (!tok)
        return NULL;
    if (len > (size_t)INT32_MAX) {
        json_tokener_free(tok);
        return NULL;
    }
    o = json_tokener_parse_ex(tok, s, (int)len);
    used = json_tokener_get_parse_end(tok);
    if (json_tokener_get_error(tok) != json_tokener_success
        || !json_object_is_type(o, json_type_object)) {
        json_object_put(o);
        json_tokener_free(tok);
        return NULL;
    }
    json_tokener_free(tok);
    for (; used < len; used++)
        if (!strchr(" \t\r\n", s[used]) || !s[used]) {
            json_object_put(o);
            return NULL;
        }
    return o;
}

/* A member's value, NULL when absent or null (they mean the same in a
 * cron's document: the field has no value). */
static json_object *get(json_object *o, const char *name)
{
    json_object *v = NULL;
    json_object_object_get_ex(o, name, &v);
    return v;
}

static void put_value(cr_buf_t *out, json_object *v)
{
    const char *s =
        v ? json_object_to_json_string_ext(
            v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
          : "null";
    cr_buf_adds(out, s ? s : "null");
}

int cr_doc_changes(const char *before, size_t blen, const char *after,
                   size_t alen, cr_buf_t *out)
{
    json_object *a = object(before, blen), *b = object(after, alen);
    int n = 0;

    if (!a || !b) {
        json_object_put(a);
        json_object_put(b);
        return -1;
    }
    for (int f = 0; f < CR_NFIELDS; f++) {
        json_object *va = get(a, cr_fields[f].name);
        json_object *vb = get(b, cr_fields[f].name);
        /* json_object_equal: same type and value (300 is not "300") */
        if (json_object_equal(va, vb))
            continue;
        cr_buf_printf(out, "%s%s ", n ? ", " : "", cr_fields[f].name);
        put_value(out, va);
        cr_buf_adds(out, " -> ");
        put_value(out, vb);
        n++;
    }
    if (!out->data)
        cr_buf_add(out, "", 0);
    json_object_put(a);
    json_object_put(b);
    return n;
}

void cr_strs_add(cr_strs_t *s, const char *v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = cr_xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = cr_xstrdup(v);
}

void cr_strs_free(cr_strs_t *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

int cr_list_page(const char *json, size_t len, cr_strs_t *slugs, char **next)
{
    json_object *o = object(json, len), *items = NULL, *cursor;
    size_t n, i;

    if (!o || !json_object_object_get_ex(o, "items", &items)
        || !json_object_is_type(items, json_type_array)) {
        json_object_put(o);
        return -1;
    }
    cursor = get(o, "next_cursor");
    if (cursor && !json_object_is_type(cursor, json_type_string)) {
        json_object_put(o);
        return -1;
    }
    /* every item first: a page half understood changes nothing */
    n = json_object_array_length(items);
    for (i = 0; i < n; i++) {
        json_object *slug = get(json_object_array_get_idx(items, i), "slug");
        if (!slug || !json_object_is_type(slug, json_type_string)) {
            json_object_put(o);
            return -1;
        }
    }
    for (i = 0; i < n; i++)
        cr_strs_add(slugs, json_object_get_string(get(
                               json_object_array_get_idx(items, i), "slug")));
    *next = cursor ? cr_xstrdup(json_object_get_string(cursor)) : NULL;
    json_object_put(o);
    return 0;
}
