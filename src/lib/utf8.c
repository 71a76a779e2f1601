/*
 * utf8.c: UTF-8 as Unicode defines it, checked in one place for the API's
 * text, the manager's escaping and the plain-text answers.
 */
#include "lib/charon_lib.h"

/* Is c a continuation byte (10xxxxxx)? */
#define UTF8_CONT(c) (((c)&0xC0) == 0x80)

int charon_utf8_valid(const char *buf, apr_size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    apr_size_t i = 0;

    /* The table of well-formed sequences of Unicode 15, section 3.9
     * (table 3-7).  The second byte's range for E0, ED, F0 and F4 is what
     * rules out overlong forms, the surrogates D800..DFFF, and code points
     * past U+10FFFF; C0, C1 and F5..FF never start a sequence. */
    while (i < len) {
        unsigned char c = s[i];
        apr_size_t n, k; /* n: continuation bytes expected */
        unsigned char lo = 0x80, hi = 0xBF; /* range of the 2nd byte */

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF)
            n = 1;
        else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0)
                lo = 0xA0; /* overlong below U+0800 */
            else if (c == 0xED)
                hi = 0x9F; /* surrogates */
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0)
                lo = 0x90; /* overlong below U+10000 */
            else if (c == 0xF4)
                hi = 0x8F; /* past U+10FFFF */
        }
        else
            return 0; /* stray continuation, C0, C1, F5..FF */

        if (len - i <= n)
            return 0; /* truncated sequence */
        if (s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (k = 2; k <= n; k++)
            if (!UTF8_CONT(s[i + k]))
                return 0;
        i += n + 1;
    }
    return 1;
}

apr_size_t charon_utf8_seq(const unsigned char *s, apr_size_t n)
{
    apr_size_t len;

    if (n == 0)
        return 0;
    if (s[0] < 0x80)
        len = 1;
    else if (s[0] >= 0xC2 && s[0] <= 0xDF)
        len = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        len = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        len = 4;
    else
        return 0;
    return len <= n && charon_utf8_valid((const char *)s, len) ? len : 0;
}
