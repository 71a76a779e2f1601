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

/* For the many statements of one argument or one column. */
enum { ONE_ARG, ONE_NARGS };
enum { ONE_COL, ONE_NCOLS };

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
    MC_LIST_COLS,
    MC_CREATED = MC_LIST_COLS,
    MC_LAST_SUCCESS,
    MC_LAST_FAILURE,
    MC_LAST_ENDED,
    MC_LAST_DURATION,
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
    METRICS_NCOLS
};
/* HEALTH_ALIVE: a row when the schema is there.  HEALTH_FAILING: crons
 * whose latest outcome is a failure or a loss, with how many in all. */
#define CHARON_HEALTH_LISTED 20
enum { FAILING_COL_SLUG, FAILING_COL_TOTAL, FAILING_NCOLS };

/* ---- the list -------------------------------------------------------- */

/* X(name, arguments, columns) */
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
    X(IDEM_GET, IDEM_GET_NARGS, IDEM_NCOLS)       \
    X(IDEM_EXPIRE, IDEM_EXP_NARGS, 0)             \
    X(IDEM_PUT, IDEM_PUT_NARGS, 0)                \
    X(WD_LOSE, 0, 0)                              \
    X(WD_REOPEN, 0, 0)                            \
    X(WD_IDEM_PURGE, ONE_NARGS, 0)                \
    X(WD_NEXT_CRON, ONE_NARGS, ONE_NCOLS)         \
    X(WD_RETENTION, RET_NARGS, 0)                 \
    X(MGR_LIST_ALL, LIST_NARGS, MC_LIST_COLS)     \
    X(MGR_LIST_FAILING, LIST_NARGS, MC_LIST_COLS) \
    X(MGR_LIST_RUNNING, LIST_NARGS, MC_LIST_COLS) \
    X(MGR_LIST_OFF, LIST_NARGS, MC_LIST_COLS)     \
    X(MGR_LIST_LOST, LIST_NARGS, MC_LIST_COLS)    \
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
    X(METRICS_CRONS, 0, METRICS_NCOLS)            \
    X(HEALTH_ALIVE, 0, ONE_NCOLS)                 \
    X(HEALTH_FAILING, 0, FAILING_NCOLS)

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
