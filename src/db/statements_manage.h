/*
 * statements_manage.h: the management API's statements' arguments and
 * columns (docs/MANAGEMENT.md), included by statements.h.  Lists are
 * read by keyset, a fixed number of rows past the cursor (MySQL takes no
 * placeholder in LIMIT): the caller keeps the page it was asked for and
 * knows from the row after it that there is a next one.
 */
#ifndef CHARON_STATEMENTS_MANAGE_H
#define CHARON_STATEMENTS_MANAGE_H

/* Rows each list reads at most: the largest page, and one more. */
#define CHARON_ADM_ROWS     201
#define CHARON_ADM_MESSAGES 1001

/* ADM_CRON (arg: slug), ADM_CRON_LOCK (arg: slug; locks the row until the
 * transaction ends), ADM_CRONS (arg: the slug after which the page
 * begins, '' for the first): a cron's document.  Times ISO 8601. */
enum {
    AC_ID,
    AC_SLUG,
    AC_NAME,
    AC_CREATED,
    AC_ACTIVE,
    AC_OFF_REASON,
    AC_OFF_UNTIL,
    AC_CONCURRENCY,
    AC_MAX_RUNTIME,
    AC_SCHEDULE,
    AC_TIMEZONE,
    AC_GRACE,
    AC_MIN_RUNTIME,
    AC_FAILURE,
    AC_RECOVERY,
    AC_REALERT,
    AC_MUTE_UNTIL,
    AC_ON, /* 1: it may start now */
    AC_COLS
};

/* ADM_CRON_INSERT: a cron with every field, unless the slug is taken (0
 * rows).
 * Times as Unix seconds, '' for NULL; seconds '' for NULL. */
enum {
    ADM_ARG_SLUG,
    ADM_ARG_NAME,
    ADM_ARG_ACTIVE,
    ADM_ARG_OFF_REASON,
    ADM_ARG_OFF_UNTIL,
    ADM_ARG_CONCURRENCY,
    ADM_ARG_MAX_RUNTIME,
    ADM_ARG_SCHEDULE,
    ADM_ARG_TIMEZONE,
    ADM_ARG_GRACE,
    ADM_ARG_MIN_RUNTIME,
    ADM_ARG_FAILURE,
    ADM_ARG_RECOVERY,
    ADM_ARG_REALERT,
    ADM_ARG_MUTE_UNTIL,
    ADM_NARGS
};
/* ADM_CRON_UPDATE: the same (the slug set to itself), its id last. */
enum { ADMU_ARG_ID = ADM_NARGS, ADMU_NARGS };

/* ADM_CRON_HAS_EXECS (arg: cron): a row when it has an execution.
 * ADM_CRON_DELETE (arg: cron): the cron, its executions and messages. */

/* ADM_EXECS: a cron's executions, newest first (by id), before the
 * execution `before` ('' for the first page), of this outcome ('' for
 * any), started at or after since and before until (Unix seconds, ''
 * for none).  Columns: statements.h's ME_, then these. */
enum {
    AXS_ARG_CRON,
    AXS_ARG_BEFORE,
    AXS_ARG_OUTCOME,
    AXS_ARG_SINCE,
    AXS_ARG_UNTIL,
    AXS_NARGS
};
/* ADM_EXEC (arg: execution): the same columns. */
enum { AX_SUCCESS = ME_COLS, AX_CRON, AX_COLS };

/* ADM_MESSAGES: an execution's messages after the message `after` (''
 * for the first page), oldest first, whole. */
enum { AMS_ARG_EXEC, AMS_ARG_AFTER, AMS_NARGS };
enum { AM_ID, AM_TYPE, AM_TEXT, AM_CREATED, AMS_COLS };

/* ADM_AUDIT_INSERT: a change, at the database's now. */
enum {
    AUI_ARG_WHO,
    AUI_ARG_ACTION,
    AUI_ARG_CRON,
    AUI_ARG_SLUG,
    AUI_ARG_BEFORE,
    AUI_ARG_AFTER,
    AUI_NARGS
};
/* ADM_AUDIT: the changes of the cron `slug` ('' for every cron), newest
 * first, before the change `before` ('' for the first page). */
enum { AUD_ARG_SLUG, AUD_ARG_BEFORE, AUD_NARGS };
enum {
    AU_ID,
    AU_AT,
    AU_WHO,
    AU_ACTION,
    AU_SLUG,
    AU_BEFORE,
    AU_AFTER,
    AU_COLS
};

#define CHARON_MANAGE_STATEMENTS(X)             \
    X(ADM_CRON, ONE_NARGS, AC_COLS)             \
    X(ADM_CRON_LOCK, ONE_NARGS, AC_COLS)        \
    X(ADM_CRONS, ONE_NARGS, AC_COLS)            \
    X(ADM_CRON_INSERT, ADM_NARGS, 0)            \
    X(ADM_CRON_UPDATE, ADMU_NARGS, 0)           \
    X(ADM_CRON_HAS_EXECS, ONE_NARGS, ONE_NCOLS) \
    X(ADM_CRON_DELETE, ONE_NARGS, 0)            \
    X(ADM_EXECS, AXS_NARGS, AX_COLS)            \
    X(ADM_EXEC, ONE_NARGS, AX_COLS)             \
    X(ADM_MESSAGES, AMS_NARGS, AMS_COLS)        \
    X(ADM_AUDIT_INSERT, AUI_NARGS, 0)           \
    X(ADM_AUDIT, AUD_NARGS, AU_COLS)

#endif /* CHARON_STATEMENTS_MANAGE_H */
