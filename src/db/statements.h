/*
 * statements.h: every SQL statement of the module, by name, with what it
 * takes and what it gives: the contract between the code that runs a
 * statement and the dialect files (dialect_*.c) that write it in each
 * database's SQL.  A statement's placeholders come in the order of its
 * _ARG_ enum, its columns in the order of its _COL_ enum; a unit test
 * counts the placeholders of every dialect's text against the enum.
 *
 * A dialect leaves NULL a statement it does not need.  For the few marked
 * "absent:", the absence is what tells the caller which way to go.
 *
 * httpd-free: the dialect files and their test include only this.
 */
#ifndef CHARON_STATEMENTS_H
#define CHARON_STATEMENTS_H

/* Rows one housekeeping statement touches at most: each of the watchdog's
 * transactions stays short, whatever the backlog. */
#define CHARON_DB_BATCH           1000
/* Batches each task runs per watchdog tick at most, and crons retention
 * looks at per tick: a backlog is worked off over several ticks. */
#define CHARON_WD_MAX_BATCHES     10
#define CHARON_WD_RETENTION_CRONS 100
/* Judging slots goes on while the tick has time (half the interval):
 * 100,000 crons due at once (all @hourly) are judged in one tick when the
 * database keeps up, ten ticks with a cap of ten batches. */
#define CHARON_WD_JUDGE_BATCHES   100

/* The manager's pages, one row more than shown: is there a next page?
 * (MySQL takes no placeholder in LIMIT: these are written into the SQL.) */
#define CHARON_MGR_CRONS_LIMIT    51    /* the list, 50 a page */
#define CHARON_MGR_EXECS_LIMIT    51    /* a cron's executions, 50 a page */
#define CHARON_MGR_HISTORY        20    /* runs in a sparkline */
#define CHARON_MGR_MESSAGES_LIMIT 101   /* an execution's messages, 100 */
#define CHARON_MGR_COUNT_LIMIT    10001 /* "N more" counted up to 10000 */
#define CHARON_MGR_MESSAGE_CHARS  2000  /* characters shown per message */

#define CHARON_STR_(x) #x
#define CHARON_STR(x)  CHARON_STR_(x)

/* A time that never comes (9999-01-01, Unix seconds): the deadline of a
 * schedule that cannot be used, or has no slot left. */
#define CHARON_NEVER 253370764800

/* For the many statements of one argument or one column. */
enum { ONE_ARG, ONE_NARGS };
enum { ONE_COL, ONE_NCOLS };

/* Alerts: statements_alerts.h. */
#include "db/statements_alerts.h"

/* ---- the API -------------------------------------------------------- */

/* CRON_BY_SLUG (arg: slug), CRON_BY_ID (arg: id): the cron, whether it
 * may start now, and the run holding its lock (NULL when none). */
enum {
    CRON_COL_ID,
    CRON_COL_SLUG,
    CRON_COL_ON,
    CRON_COL_OFF_REASON,
    CRON_COL_OFF_UNTIL,
    CRON_COL_RUNNING_ID,
    CRON_NCOLS
};
/* EXECUTION_SLUG (arg: execution): its cron's slug.  EXECUTION_ENDED
 * (arg: execution): 1 when it has ended, 0 when not. */

/* START: creates an execution unless the cron is off or locked; returns
 * its id (absent LAST_ID).  LOSE_OVERDUE (arg: cron): that cron's runs
 * past max_runtime are lost.  REFUSED_INACTIVE, REFUSED_LOCKED (arg:
 * cron): count a refused start. */
enum { START_ARG_KEY_NAME, START_ARG_ADDR, START_ARG_CRON, START_NARGS };

/* END: ends a running execution; returns its lost_at, as ISO 8601, when
 * END_LOST is absent.  END_LOST (arg: execution): the lost_at. */
enum { END_ARG_SUCCESS, END_ARG_TYPE, END_ARG_ID, END_NARGS };
/* END_WITH_MESSAGE: the end and its message in one statement, returning
 * lost_at; absent: the end, then END_MESSAGE, in a transaction. */
enum {
    ENDM_ARG_SUCCESS,
    ENDM_ARG_TYPE,
    ENDM_ARG_ID,
    ENDM_ARG_MSG_TYPE,
    ENDM_ARG_MESSAGE,
    ENDM_NARGS
};
/* MESSAGE: returns the new id (absent LAST_ID); END_MESSAGE: the same,
 * returning nothing. */
enum { MSG_ARG_TYPE, MSG_ARG_TEXT, MSG_ARG_EXECUTION, MSG_NARGS };
/* LAST_ID: the id the connection's last INSERT made.  Present only where
 * an INSERT cannot return it (MySQL 8): START and MESSAGE then run in a
 * transaction with it. */

/* CRON_SCHEDULE: sets the schedule a start sent, when it differs from
 * the cron's ('' is NULL; apr_dbd numbers every placeholder, hence the
 * repeats). */
enum {
    CSCHED_ARG_SCHEDULE,
    CSCHED_ARG_TIMEZONE,
    CSCHED_ARG_GRACE,
    CSCHED_ARG_ID,
    CSCHED_ARG_SCHEDULE_2,
    CSCHED_ARG_TIMEZONE_2,
    CSCHED_ARG_GRACE_2,
    CSCHED_NARGS
};

/* IDEM_GET: the answer stored for a key, and whether it is past the
 * window.  IDEM_EXPIRE: frees the key of such an answer.  IDEM_PUT:
 * stores an answer unless one is there (0 rows: another was first). */
enum {
    IDEM_GET_ARG_WINDOW,
    IDEM_GET_ARG_KEY_NAME,
    IDEM_GET_ARG_KEY,
    IDEM_GET_NARGS
};
enum {
    IDEM_COL_REQUEST,
    IDEM_COL_STATUS,
    IDEM_COL_RESPONSE,
    IDEM_COL_EXPIRED,
    IDEM_NCOLS
};
enum {
    IDEM_EXP_ARG_KEY_NAME,
    IDEM_EXP_ARG_KEY,
    IDEM_EXP_ARG_WINDOW,
    IDEM_EXP_NARGS
};
enum {
    IDEM_PUT_ARG_KEY_NAME,
    IDEM_PUT_ARG_KEY,
    IDEM_PUT_ARG_REQUEST,
    IDEM_PUT_ARG_STATUS,
    IDEM_PUT_ARG_RESPONSE,
    IDEM_PUT_NARGS
};

/* ---- the watchdog, a batch each ------------------------------------- */

/* WD_LOSE: runs past their cron's max_runtime are lost.  WD_REOPEN: crons
 * whose off_until has passed are on.  WD_IDEM_PURGE (arg: window, s):
 * stored answers past it are deleted.  WD_NEXT_CRON (arg: cron): the
 * next cron's id, NULL past the last.  WD_RETENTION: a batch of one
 * cron's finished runs past max-age or beyond its keep latest, sparing
 * its keep-failures latest failures (0 turns keep or max-age off;
 * apr_dbd numbers every placeholder, hence the repeats). */
enum {
    RET_ARG_CRON,
    RET_ARG_KEEP,
    RET_ARG_KEEP_2,
    RET_ARG_MAX_AGE,
    RET_ARG_MAX_AGE_2,
    RET_ARG_KEEP_FAILURES,
    RET_NARGS
};

/* ---- the watchdog: schedules and slots ------------------------------- */

/* Times below are Unix seconds, as integers.  WD_HEARTBEAT (arg: gap,
 * twice): records this tick, and an outage when the last tick of any
 * server was longer ago than gap.  WD_CLOCK: the database's clock and the
 * last outage (NULL when none). */
enum { HB_ARG_GAP, HB_ARG_GAP_2, HB_NARGS };
enum {
    CLOCK_COL_NOW,
    CLOCK_COL_OUTAGE_FROM,
    CLOCK_COL_OUTAGE_TO,
    CLOCK_NCOLS
};
/* A batch each: WD_WATCH_NEW watches crons given a schedule, from now;
 * WD_WATCH_RESET starts afresh those whose schedule, zone or grace
 * changed; WD_WATCH_GONE forgets unscheduled ones.  WD_WATCH_OFF: every
 * watched cron switched off now is seen off now.
 *
 * WD_DUE (arg: now): a batch of watched crons with a slot to judge, the
 * longest waiting first. */
enum {
    DUE_COL_CRON,
    DUE_COL_SCHEDULE,
    DUE_COL_TIMEZONE,
    DUE_COL_GRACE,
    DUE_COL_CHECKED,
    DUE_COL_STARTS,
    DUE_COL_OFF_SEEN,
    DUE_COL_SLUG,
    DUE_NCOLS
};
/* WD_WATCH_ERROR: the reason a cron's schedule cannot be used, unless one
 * is there (1 row: this server logs it). */
enum { WERR_ARG_ERROR, WERR_ARG_CRON, WERR_ARG_SCHEDULE, WERR_NARGS };
/* One cron's judgment, a transaction.  WD_CLAIM: moves the watch on,
 * provided nobody did since it was read (0 rows: another server did). */
enum {
    CLAIM_ARG_CHECKED,
    CLAIM_ARG_STARTS,
    CLAIM_ARG_DEADLINE,
    CLAIM_ARG_NEXT_SLOT,
    CLAIM_ARG_CRON,
    CLAIM_ARG_OLD_CHECKED,
    CLAIM_ARG_OLD_STARTS,
    CLAIM_NARGS
};
/* WD_BIND: the cron's starts in [lo, hi) not yet bound belong to slot. */
enum { BIND_ARG_SLOT, BIND_ARG_CRON, BIND_ARG_LO, BIND_ARG_HI, BIND_NARGS };
/* WD_MISSED: a row for a slot no start came for; kind 'missed' or
 * 'unknown' (0 rows: it is there already). */
enum { MISSED_ARG_CRON, MISSED_ARG_SLOT, MISSED_ARG_KIND, MISSED_NARGS };
/* WD_UNSCHEDULED: the cron's starts in [from, to) that belong to no
 * slot. */
enum { UNSCHED_ARG_CRON, UNSCHED_ARG_FROM, UNSCHED_ARG_TO, UNSCHED_NARGS };
/* WD_SLOT_STATS: adds to the cron's counters; last missed '' for none. */
enum {
    SSTATS_ARG_CRON,
    SSTATS_ARG_MISSED,
    SSTATS_ARG_UNKNOWN,
    SSTATS_ARG_UNSCHEDULED,
    SSTATS_ARG_LAST_MISSED,
    SSTATS_NARGS
};
/* WD_WATCH_STATE: what the latest slot judged came to. */
enum { WSTATE_ARG_SLOT, WSTATE_ARG_STATE, WSTATE_ARG_CRON, WSTATE_NARGS };

/* ---- the manager page ----------------------------------------------- */

/* MGR_LIST_<STATE>: a page of crons by slug, whose slug matches a LIKE
 * pattern ('!' escapes), skipping offset rows. */
enum { LIST_ARG_PATTERN, LIST_ARG_OFFSET, LIST_NARGS };
/* Their columns; MGR_CRON (arg: id) adds the rest. */
enum {
    MC_ID,
    MC_SLUG,
    MC_NAME,
    MC_ON,
    MC_OFF_REASON,
    MC_OFF_UNTIL,
    MC_CONCURRENCY,
    MC_MAX_RUNTIME,
    MC_SUCCEEDED,
    MC_FAILED,
    MC_LOST,
    MC_REFUSED_INACTIVE,
    MC_REFUSED_LOCKED,
    MC_FAILING,
    MC_RUNNING,
    MC_SCHEDULE,    /* NULL: unscheduled */
    MC_WATCHED,     /* 1: the watchdog judges this schedule, zone, grace */
    MC_WATCH_ERROR, /* why it cannot (NULL when it can) */
    MC_LAST_STATE,  /* of the latest slot judged: ok, missed, unknown */
    MC_DUE,         /* 1: a slot has passed, no start came yet */
    MC_TIMEZONE,    /* NULL: the default zone */
    MC_LIST_COLS,
    MC_CREATED = MC_LIST_COLS,
    MC_LAST_SUCCESS,
    MC_LAST_FAILURE,
    MC_LAST_ENDED,
    MC_LAST_DURATION,
    MC_GRACE,
    MC_MIN_RUNTIME,
    MC_MISSED,
    MC_UNKNOWN,
    MC_UNSCHEDULED,
    MC_LAST_MISSED,
    MC_CRON_COLS
};
/* MGR_HISTORY (arg: cron), MGR_EXECS_FIRST (arg: cron): its latest runs,
 * newest first; MGR_EXECS_BEFORE: those older than execution `before`. */
enum {
    ME_ID,
    ME_STARTED,
    ME_ENDED,
    ME_LOST,
    ME_OUTCOME,
    ME_DURATION,
    ME_TYPE,
    ME_KEY,
    ME_ADDR,
    ME_SLOT,        /* the slot it belongs to, ISO 8601; NULL: none */
    ME_UNSCHEDULED, /* 1: a start that fits no slot */
    ME_TOO_SHORT,   /* 1: ended before the cron's min_runtime */
    ME_COLS
};
enum {
    BEFORE_ARG_CRON,
    BEFORE_ARG_ID,
    BEFORE_ARG_ID_2,
    BEFORE_ARG_ID_3,
    BEFORE_NARGS
};
/* MGR_MESSAGES (arg: execution): its first messages; MGR_MESSAGE_COUNT:
 * how many it has, counted up to the limit. */
enum { MM_ID, MM_TYPE, MM_TEXT, MM_LENGTH, MM_CREATED, MM_COLS };
/* MGR_CUSTOM_PLANS: plan each statement of this transaction for its
 * arguments; absent: the manager's reads need no transaction. */

/* MGR_CREATE: adds a cron unless the slug is taken (0 rows);
 * max_runtime '' for none.  MGR_ID_BY_SLUG, MGR_EXISTS: one id. */
enum {
    CREATE_ARG_SLUG,
    CREATE_ARG_NAME,
    CREATE_ARG_CONCURRENCY,
    CREATE_ARG_MAX_RUNTIME,
    CREATE_NARGS
};
enum { RENAME_ARG_NAME, RENAME_ARG_ID, RENAME_NARGS };
/* MGR_OFF: until is Unix seconds, '' for none.  MGR_ON (arg: id). */
enum { OFF_ARG_REASON, OFF_ARG_UNTIL, OFF_ARG_ID, OFF_NARGS };
/* MGR_SCHEDULE: '' is NULL for schedule, timezone and min_runtime. */
enum {
    MSCHED_ARG_SCHEDULE,
    MSCHED_ARG_TIMEZONE,
    MSCHED_ARG_GRACE,
    MSCHED_ARG_MIN_RUNTIME,
    MSCHED_ARG_ID,
    MSCHED_NARGS
};
enum {
    POLICY_ARG_CONCURRENCY,
    POLICY_ARG_MAX_RUNTIME,
    POLICY_ARG_ID,
    POLICY_NARGS
};

/* ---- metrics and health --------------------------------------------- */

/* METRICS_CRONS: one row per cron, times as Unix seconds. */
enum {
    METRICS_COL_SLUG,
    METRICS_COL_ON,
    METRICS_COL_RUNNING,
    METRICS_COL_LAST_START,
    METRICS_COL_LAST_SUCCESS,
    METRICS_COL_LAST_FAILURE,
    METRICS_COL_LAST_DURATION,
    METRICS_COL_SUCCEEDED,
    METRICS_COL_FAILED,
    METRICS_COL_LOST,
    METRICS_COL_SKIPPED,
    METRICS_COL_MISSED,
    METRICS_COL_UNKNOWN,
    METRICS_COL_UNSCHEDULED,
    METRICS_COL_SCHEDULE,   /* NULL: unscheduled */
    METRICS_COL_TIMEZONE,   /* NULL: the default */
    METRICS_COL_NEXT_SLOT,  /* as the watchdog last saw it; NULL: none */
    METRICS_COL_ALERT_DOWN, /* 1: its alert state is down */
    METRICS_NCOLS
};
/* HEALTH_ALIVE: a row when the schema is there.  HEALTH_FAILING: crons
 * whose latest outcome is a failure or a loss, with how many in all;
 * HEALTH_MISSED: those whose latest slot judged was missed. */
#define CHARON_HEALTH_LISTED 20
enum { FAILING_COL_SLUG, FAILING_COL_TOTAL, FAILING_NCOLS };

/* ---- the list -------------------------------------------------------- */

/* X(name, arguments, columns) */
/* The management API: statements_manage.h. */
#include "db/statements_manage.h"

#define CHARON_STATEMENTS(X)                      \
    X(CRON_BY_SLUG, ONE_NARGS, CRON_NCOLS)        \
    X(CRON_BY_ID, ONE_NARGS, CRON_NCOLS)          \
    X(EXECUTION_SLUG, ONE_NARGS, ONE_NCOLS)       \
    X(EXECUTION_ENDED, ONE_NARGS, ONE_NCOLS)      \
    X(START, START_NARGS, ONE_NCOLS)              \
    X(LOSE_OVERDUE, ONE_NARGS, 0)                 \
    X(REFUSED_INACTIVE, ONE_NARGS, 0)             \
    X(REFUSED_LOCKED, ONE_NARGS, 0)               \
    X(END, END_NARGS, ONE_NCOLS)                  \
    X(END_LOST, ONE_NARGS, ONE_NCOLS)             \
    X(END_WITH_MESSAGE, ENDM_NARGS, ONE_NCOLS)    \
    X(MESSAGE, MSG_NARGS, ONE_NCOLS)              \
    X(END_MESSAGE, MSG_NARGS, 0)                  \
    X(LAST_ID, 0, ONE_NCOLS)                      \
    X(CRON_SCHEDULE, CSCHED_NARGS, 0)             \
    X(IDEM_GET, IDEM_GET_NARGS, IDEM_NCOLS)       \
    X(IDEM_EXPIRE, IDEM_EXP_NARGS, 0)             \
    X(IDEM_PUT, IDEM_PUT_NARGS, 0)                \
    X(WD_LOSE, 0, 0)                              \
    X(WD_REOPEN, 0, 0)                            \
    X(WD_IDEM_PURGE, ONE_NARGS, 0)                \
    X(WD_NEXT_CRON, ONE_NARGS, ONE_NCOLS)         \
    X(WD_RETENTION, RET_NARGS, 0)                 \
    X(WD_HEARTBEAT, HB_NARGS, 0)                  \
    X(WD_CLOCK, 0, CLOCK_NCOLS)                   \
    X(WD_WATCH_NEW, 0, 0)                         \
    X(WD_WATCH_RESET, 0, 0)                       \
    X(WD_WATCH_GONE, 0, 0)                        \
    X(WD_WATCH_OFF, 0, 0)                         \
    X(WD_DUE, ONE_NARGS, DUE_NCOLS)               \
    X(WD_WATCH_ERROR, WERR_NARGS, 0)              \
    X(WD_CLAIM, CLAIM_NARGS, 0)                   \
    X(WD_BIND, BIND_NARGS, 0)                     \
    X(WD_MISSED, MISSED_NARGS, 0)                 \
    X(WD_UNSCHEDULED, UNSCHED_NARGS, 0)           \
    X(WD_SLOT_STATS, SSTATS_NARGS, 0)             \
    X(WD_WATCH_STATE, WSTATE_NARGS, 0)            \
    X(AL_OUTCOME_CRONS, 0, ONE_NCOLS)             \
    X(AL_REALERT_CRONS, 0, ONE_NCOLS)             \
    X(AL_STATE_ENSURE, ONE_NARGS, 0)              \
    X(AL_STATE_LOCK, ONE_NARGS, 0)                \
    X(AL_STATE, ONE_NARGS, AS_NCOLS)              \
    X(AL_OUTCOMES, ONE_NARGS, AO_NCOLS)           \
    X(AL_MESSAGES, ONE_NARGS, AM_NCOLS)           \
    X(AL_OUTCOMES_DONE, AOD_NARGS, 0)             \
    X(AL_STATE_SET, ASET_NARGS, 0)                \
    X(AL_EVENT, AE_NARGS, ONE_NCOLS)              \
    X(AL_DELIVERY, AD_NARGS, 0)                   \
    X(AL_CLAIM, ACL_NARGS, 0)                     \
    X(AL_CLAIM_IDS, ONE_NARGS, ONE_NCOLS)         \
    X(AL_CLAIM_BY_IDS, ACB_NARGS, 0)              \
    X(AL_CLAIMED, ONE_NARGS, ACD_NCOLS)           \
    X(AL_DONE, ADN_NARGS, 0)                      \
    X(AL_ATTEMPT, AAT_NARGS, 0)                   \
    X(AL_PURGE, ONE_NARGS, 0)                     \
    X(MGR_LIST_ALL, LIST_NARGS, MC_LIST_COLS)     \
    X(MGR_LIST_FAILING, LIST_NARGS, MC_LIST_COLS) \
    X(MGR_LIST_RUNNING, LIST_NARGS, MC_LIST_COLS) \
    X(MGR_LIST_OFF, LIST_NARGS, MC_LIST_COLS)     \
    X(MGR_LIST_LOST, LIST_NARGS, MC_LIST_COLS)    \
    X(MGR_LIST_MISSED, LIST_NARGS, MC_LIST_COLS)  \
    X(MGR_CRON, ONE_NARGS, MC_CRON_COLS)          \
    X(MGR_HISTORY, ONE_NARGS, ME_COLS)            \
    X(MGR_EXECS_FIRST, ONE_NARGS, ME_COLS)        \
    X(MGR_EXECS_BEFORE, BEFORE_NARGS, ME_COLS)    \
    X(MGR_MESSAGES, ONE_NARGS, MM_COLS)           \
    X(MGR_MESSAGE_COUNT, ONE_NARGS, ONE_NCOLS)    \
    X(MGR_CUSTOM_PLANS, 0, ONE_NCOLS)             \
    X(MGR_CREATE, CREATE_NARGS, 0)                \
    X(MGR_ID_BY_SLUG, ONE_NARGS, ONE_NCOLS)       \
    X(MGR_EXISTS, ONE_NARGS, ONE_NCOLS)           \
    X(MGR_RENAME, RENAME_NARGS, 0)                \
    X(MGR_OFF, OFF_NARGS, 0)                      \
    X(MGR_ON, ONE_NARGS, 0)                       \
    X(MGR_POLICY, POLICY_NARGS, 0)                \
    X(MGR_SCHEDULE, MSCHED_NARGS, 0)              \
    X(METRICS_CRONS, 0, METRICS_NCOLS)            \
    X(HEALTH_ALIVE, 0, ONE_NCOLS)                 \
    X(HEALTH_FAILING, 0, FAILING_NCOLS)           \
    X(HEALTH_MISSED, 0, FAILING_NCOLS)            \
    X(MGR_ALERT, ONE_NARGS, MA_NCOLS)             \
    X(MGR_ALERT_POLICY, APOL_NARGS, 0)            \
    X(MGR_MUTE, MUTE_NARGS, 0)                    \
    X(MGR_UNMUTE, ONE_NARGS, 0)                   \
    X(MGR_EVENTS_FIRST, 0, EV_NCOLS)              \
    X(MGR_EVENTS_BEFORE, ONE_NARGS, EV_NCOLS)     \
    X(MGR_EVENT_DELIVERIES, EVD_NARGS, EVD_NCOLS) \
    X(METRICS_ALERT_STATS, 0, MAS_NCOLS)          \
    X(METRICS_ALERT_QUEUE, 0, MAQ_NCOLS)          \
    X(HEALTH_ALERTS, 0, HA_NCOLS)                 \
    CHARON_MANAGE_STATEMENTS(X)

/* clang-format off */
typedef enum {
#define CHARON_ST_ENUM(name, nargs, ncols) ST_##name,
    CHARON_STATEMENTS(CHARON_ST_ENUM)
#undef CHARON_ST_ENUM
    ST_COUNT
} charon_stmt_e;
/* clang-format on */

typedef struct {
    const char *name; /* "END", for the log */
    int nargs;
    int ncols; /* when it returns rows */
} charon_stmt_shape_t;

extern const charon_stmt_shape_t charon_stmt_shapes[ST_COUNT];

#endif /* CHARON_STATEMENTS_H */
