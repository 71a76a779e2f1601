/*
 * test_form.c: the manager's form and query-string parser
 * (src/lib/form.c): decoding as httpd's ap_unescape_urlencoded does, and
 * refusing what the page could not store and show again.
 */
#include "test.h"

static apr_table_t *form_ok(const char *text, const char *file, int line)
{
    apr_table_t *t = NULL;
    const char *why = charon_parse_form(pool, text, &t);

    check_(why == NULL, file, line, "charon_parse_form", "%s refused: %s",
           show(text), show(why));
    return t;
}

static void form_bad(const char *text, const char *want, const char *file,
                     int line)
{
    apr_table_t *t = NULL;
    const char *why = charon_parse_form(pool, text, &t);

    check_(streq(why, want), file, line, "charon_parse_form", "%s: %s, not %s",
           bytes(text, strlen(text)), show(why), want);
}

#define FIELD_IS(t, name, want)                                               \
    CHECK(streq(apr_table_get(t, name), want), "field %s = %s, not %s", name, \
          show(apr_table_get(t, name)), show(want))
#define BAD(text, want) form_bad(text, want, HERE)

#define BAD_ESCAPE "a field is not properly URL-encoded"
#define BAD_UTF8   "a field is not valid UTF-8"

void test_form(void)
{
    apr_table_t *t;
    char many[1024];
    int i;

    t = form_ok("slug=nightly&name=Nightly+backup&max_runtime=", HERE);
    FIELD_IS(t, "slug", "nightly");
    FIELD_IS(t, "name", "Nightly backup");
    FIELD_IS(t, "max_runtime", "");
    CHECK(apr_table_elts(t)->nelts == 3, "three fields");

    t = form_ok("a=%3Cb%3E%26%25%2B&b=caf%C3%A9&c=x%2fy", HERE);
    FIELD_IS(t, "a", "<b>&%+");
    FIELD_IS(t, "b", "caf\xC3\xA9");
    FIELD_IS(t, "c", "x/y");

    t = form_ok("flag&=ignored&&x=1", HERE);
    FIELD_IS(t, "flag", "");
    FIELD_IS(t, "x", "1");
    CHECK(apr_table_elts(t)->nelts == 2, "a field without a name is skipped");

    t = form_ok("", HERE);
    CHECK(apr_table_elts(t)->nelts == 0, "an empty form has no field");
    t = form_ok(NULL, HERE);
    CHECK(t && apr_table_elts(t)->nelts == 0, "NULL is an empty form");
    t = form_ok("n%61me=v", HERE);
    FIELD_IS(t, "name", "v");
    t = form_ok("a=b=c", HERE);
    FIELD_IS(t, "a", "b=c");

    BAD("a=%", BAD_ESCAPE);
    BAD("a=%4", BAD_ESCAPE);
    BAD("a=%G0", BAD_ESCAPE);
    BAD("a=%0G", BAD_ESCAPE);
    BAD("a%=1", BAD_ESCAPE);
    BAD("a=%00", BAD_ESCAPE);
    BAD("a=x%00y", BAD_ESCAPE);
    BAD("a=%C3", BAD_UTF8);
    BAD("a=%C0%BC", BAD_UTF8);
    BAD("a=%ED%A0%80", BAD_UTF8);
    BAD("%FF=1", BAD_UTF8);
    BAD("a=1&a=2", "the field \"a\" is given twice");
    BAD("a=1&b=2&a=1", "the field \"a\" is given twice");

    many[0] = '\0';
    for (i = 0; i < CHARON_FORM_MAX_FIELDS; i++) {
        sprintf(many + strlen(many), "%sf%d=1", i ? "&" : "", i);
    }
    t = form_ok(many, HERE);
    CHECK(apr_table_elts(t)->nelts == CHARON_FORM_MAX_FIELDS,
          "%d fields are taken", CHARON_FORM_MAX_FIELDS);
    strcat(many, "&last=1");
    BAD(many, "too many fields");
}
