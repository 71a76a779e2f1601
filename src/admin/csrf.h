/*
 * csrf.h: the checks every POST of the manager passes.
 */
#ifndef CHARON_ADMIN_CSRF_H
#define CHARON_ADMIN_CSRF_H

#include "admin/charon_admin.h"

/* A nonce for this page's forms. */
const char *mgr_nonce_make(request_rec *r);
/* NULL when the check passes, else why not. */
const char *mgr_check_nonce(request_rec *r, const char *nonce);
const char *mgr_check_origin(request_rec *r);

#endif /* CHARON_ADMIN_CSRF_H */
