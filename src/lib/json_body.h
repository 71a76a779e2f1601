/*
 * json_body.h: what the parsers of the API's bodies share (body.c,
 * start_body.c).
 */
#ifndef CHARON_JSON_BODY_H
#define CHARON_JSON_BODY_H

#include "lib/charon_lib.h"

#include <json-c/json.h>

/* buf[0..len) as exactly one strict JSON object (the caller puts it), or
 * NULL with a 400 in *err. */
json_object *charon_body_object(apr_pool_t *p, const char *buf, apr_size_t len,
                                charon_error_t *err);

#endif /* CHARON_JSON_BODY_H */
