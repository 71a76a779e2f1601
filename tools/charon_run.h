/*
 * charon_run.h: what the files of charon-run share.
 *
 * charon-run wraps one cron job: it asks Charon to open an execution
 * (Charon refuses when the cron is off or locked), runs the command with its output streamed
 * to the execution as messages, and ends the execution with the job's
 * outcome.  docs/CHARON-RUN.md has the design, tools/charon-run.1 the
 * user's view.
 *
 *   charon-run.c          main: the cron's id, start, the end, the final
 *                         message
 *   charon_run_loop.c     the event loop while the job runs; its output
 *                         sent as messages
 *   charon_run_job.c      the job: signals, fork and exec, its pipes,
 *                         the timeout
 *   charon_run_config.c   configuration: defaults, files, environment,
 *                         command line, in that order
 *   charon_run_options.c  the options, --help, each value checked and set
 *   charon_run_files.c    files that may hold the key: owner and mode
 *   charon_run_schedule.c no libcurl: --schedule, --timezone, --grace
 *                         checked with src/lib's parser; the start body
 *   charon_run_next.c     no libcurl: `charon-run next`, a schedule's
 *                         next slots
 *   charon_run_apply.c    libcurl: `charon-run apply`, a file of crons
 *                         made the server's through the management API
 *   charon_run_apply_file.c  no libcurl: that file read and checked
 *   charon_run_apply_doc.c   no libcurl (json-c): the PUT body, the
 *                         changes between two cron documents, a list page
 *   charon_run_api.c      libcurl: requests, timeouts, retries
 *   charon_run_text.c     no libcurl: buffers, UTF-8 repair, JSON
 *   charon_run_output.c   no libcurl: line batching, the head + tail cap
 *                         (these two are unit-tested on their own,
 *                         tests/charon-run/)
 */
#ifndef CHARON_RUN_H
#define CHARON_RUN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* The version's one place is debian/changelog: the Makefile passes it as
 * -DCR_VERSION.  This copy is for builds without the Makefile; `make
 * version-check` (run by `make deb`) fails when it differs. */
#ifndef CR_VERSION
#define CR_VERSION "1.0.0"
#endif

/* ---- exit statuses (documented in charon-run.1) ----------------------- */

#define CR_EX_USAGE       64  /* bad command line */
#define CR_EX_DATAERR     65  /* apply: the file of crons is wrong */
#define CR_EX_NOINPUT     66  /* apply: the file cannot be read */
#define CR_EX_NOCRON      67  /* no cron has this slug (404) */
#define CR_EX_UNAVAILABLE 69  /* Charon unusable: --refuse-when-down, apply */
#define CR_EX_OSERR       71  /* pipe/fork failed: the job did not run */
#define CR_EX_LOCKED      75  /* another run holds the lock (409) */
#define CR_EX_CONFIG      78  /* configuration, key or key file problem */
#define CR_EX_OFF         79  /* the cron is switched off (418) */
#define CR_EX_TIMEOUT     124 /* --timeout: the job was killed */
#define CR_EX_NOEXEC      126 /* the command could not be executed */
#define CR_EX_NOTFOUND    127 /* the command was not found */

/* ---- growable buffers ------------------------------------------------- */

typedef struct {
    char *data; /* always NUL-terminated once anything was added */
    size_t len;
    size_t cap;
} cr_buf_t;

void *cr_xmalloc(size_t n);
void *cr_xrealloc(void *p, size_t n);
char *cr_xstrdup(const char *s);
void cr_buf_add(cr_buf_t *b, const void *p, size_t n);
void cr_buf_adds(cr_buf_t *b, const char *s);
void cr_buf_addc(cr_buf_t *b, char c);
void cr_buf_printf(cr_buf_t *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cr_buf_vprintf(cr_buf_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
void cr_buf_reset(cr_buf_t *b);
void cr_buf_free(cr_buf_t *b);

/* ---- UTF-8 and JSON --------------------------------------------------- */

/* Appends in[0..len) to out as valid UTF-8 without NUL: every byte that
 * does not start a well-formed sequence (overlong forms, encoded
 * surrogates, code points past U+10FFFF, stray continuation bytes,
 * truncated sequences), and every NUL, becomes U+FFFD.  Returns the
 * number of replacements. */
size_t cr_utf8_repair(cr_buf_t *out, const char *in, size_t len);

/* The largest n <= max (and <= len) such that s[0..n) does not end in
 * the middle of a multi-byte sequence (it looks back 3 bytes at most;
 * n is max when there is no better place). */
size_t cr_utf8_boundary(const char *s, size_t len, size_t max);

/* Bytes that s[0..len) takes inside a JSON string (without quotes). */
size_t cr_json_escaped_len(const char *s, size_t len);

/* Appends s[0..len) as a JSON string, with its quotes.  Control
 * characters, '"' and '\\' are escaped; other bytes are copied. */
void cr_json_string(cr_buf_t *out, const char *s, size_t len);

/* A top-level member of a JSON object (the bodies Charon answers). */
typedef enum {
    CR_JSON_ABSENT = 0,
    CR_JSON_STRING,
    CR_JSON_NUMBER,
    CR_JSON_TRUE,
    CR_JSON_FALSE,
    CR_JSON_NULL,
    CR_JSON_OTHER
} cr_jtype_e;

/* Looks NAME up among the members of the object in json[0..len).
 * Returns its type (CR_JSON_ABSENT when the member is missing or the
 * text is not a JSON object); for a string or a number, *value (when
 * value is not NULL) gets a malloc'ed copy: the decoded string, or the
 * number's text. */
cr_jtype_e cr_json_member(const char *json, size_t len, const char *name,
                          char **value);

/* ---- output: lines, batches, the cap ---------------------------------- */

enum { CR_STDOUT = 0, CR_STDERR = 1, CR_NOTE = 2 };

/* Bytes of a message body besides its text: {"type":"warning","message":""}
 * is 33; the rest is slack. */
#define CR_BODY_OVERHEAD 64

typedef struct cr_batch {
    struct cr_batch *next;
    int stream; /* CR_STDOUT, CR_STDERR or CR_NOTE */
    char *text; /* lines joined by '\n', valid UTF-8, no NUL */
    size_t len;
    size_t lines;
    size_t raw; /* bytes of the job's output it stands for */
} cr_batch_t;

typedef struct {
    size_t max_output;     /* bytes kept per run; 0: no output is sent */
    size_t max_message;    /* largest JSON body of one message */
    size_t batch_lines;    /* most lines in one message */
    double flush_interval; /* seconds a line may wait in a batch */
} cr_out_conf_t;

typedef struct {
    uint64_t lines, bytes;         /* the job's output, raw bytes */
    uint64_t lines_cut, bytes_cut; /* left out in the middle */
    uint64_t repaired;             /* bytes replaced by U+FFFD */
    uint64_t pieces;               /* long lines cut into pieces */
} cr_out_stats_t;

typedef struct cr_out cr_out_t;

cr_out_t *cr_out_new(const cr_out_conf_t *conf);
void cr_out_free(cr_out_t *o);

/* The longest piece of one line (raw bytes): longer lines are cut into
 * pieces of at most this, so that a piece always fits a message. */
size_t cr_out_piece_max(const cr_out_t *o);

/* Charon refused a message as too large: later batches and pieces are
 * made for bodies of at most max_message bytes (never less than 96). */
void cr_out_shrink(cr_out_t *o, size_t max_message);

/* The job wrote buf[0..len) on stream (CR_STDOUT, CR_STDERR) at time
 * now (seconds, any monotonic origin). */
void cr_out_feed(cr_out_t *o, int stream, const char *buf, size_t len,
                 double now);

/* Seals the batches that have waited flush_interval. */
void cr_out_tick(cr_out_t *o, double now);

/* When cr_out_tick has something to do (0 when nothing is pending). */
double cr_out_due(const cr_out_t *o);

/* End of output: the unfinished lines, the pending batches, then, when
 * the cap cut anything, the marker, then the tail. */
void cr_out_finish(cr_out_t *o);

/* The oldest sealed batch (the caller frees it), or NULL. */
cr_batch_t *cr_out_pop(cr_out_t *o);
/* Puts a batch back at the front (to be sent first). */
void cr_out_push_front(cr_out_t *o, cr_batch_t *b);
size_t cr_out_queued(const cr_out_t *o); /* sealed batches waiting */

void cr_out_stats(const cr_out_t *o, cr_out_stats_t *s);

/* Splits b in two at the line break nearest its middle (or at a UTF-8
 * boundary when it is one line).  Returns 0 (and leaves b alone) when b
 * is too short to split; otherwise b is consumed. */
int cr_batch_split(cr_batch_t *b, cr_batch_t **first, cr_batch_t **second);
void cr_batch_free(cr_batch_t *b);

/* The marker line: "[... charon-run: N bytes / M lines cut ...]". */
void cr_marker(cr_buf_t *out, uint64_t bytes, uint64_t lines);

/* ---- configuration (charon_run_config.c) ------------------------------ */

/* What the command line is for: a run, or `charon-run apply`. */
typedef enum { CR_MODE_RUN = 0, CR_MODE_APPLY } cr_mode_e;

typedef struct {
    cr_mode_e mode;
    char *url;       /* base URL, ends with '/' */
    char *admin_url; /* the management API's; ends with '/' in apply */
    char *key;       /* never printed */
    char *cacert;
    char *config; /* --config */
    int no_config;
    char *key_file;
    double timeout; /* 0: none */
    double kill_after;
    double net_timeout;
    double flush_interval;
    size_t max_output;
    size_t max_message;
    size_t batch_lines;
    int stdout_type; /* index into cr_type_names */
    int stderr_type;
    int refuse_when_down;
    int verbose;
    char *schedule;  /* --schedule, sent with start; NULL: none */
    char *timezone;  /* --timezone; NULL: the module's default */
    long long grace; /* --grace, seconds; 0: the module's default */
    const char *slug;
    char **command;
    /* apply */
    const char *file; /* FILE, "-" for stdin */
    int prune, dry_run;
} cr_conf_t;

/* Reads the command line, the environment and the configuration files
 * into c: a run's (argv[0] the program), or apply's (argv[0] "apply").
 * Returns 0, or an exit status (64, 78) after saying why on stderr; -1
 * for --help/--version (printed; exit 0). */
int cr_conf_load(cr_conf_t *c, int argc, char **argv, cr_mode_e mode);
void cr_conf_free(cr_conf_t *c); /* wipes the key */

/* charon_run_options.c: the settings by name, for cr_conf_load. */
extern const char *const cr_type_names[4]; /* info warning error success */
/* One option of the command line; val (in argv) NULL for a flag. */
typedef struct {
    int opt;
    char *val;
} cr_arg_t;
/* The command line's options, in its order. */
typedef struct {
    cr_arg_t *v;
    int n;
} cr_args_t;
/* Reads argv into c (SLUG, COMMAND, --config, --no-config; in apply
 * FILE, --prune, --dry-run) and cli, every value checked: 0; -1 after
 * --help or --version (printed); or 64 after saying why.  On anything
 * but 0, cli is already freed. */
int cr_args_read(cr_conf_t *c, int argc, char **argv, cr_args_t *cli);
/* Sets the settings of cli in c (after the files and the environment). */
void cr_args_apply(cr_conf_t *c, const cr_args_t *cli);
void cr_args_free(cr_args_t *cli);
/* Sets what a configuration file's key names: NULL, or what is wrong. */
const char *cr_conf_set_key(cr_conf_t *c, const char *name, const char *v);

/* charon_run_files.c: files that may hold the key.  The open file, or
 * NULL with why (*missing: absent or not ours to read, which a default
 * file may be). */
FILE *cr_open_checked(const char *path, int secret, char *why, size_t whylen,
                      int *missing);
/* The key from a key file: 0, or CR_EX_CONFIG after saying why. */
int cr_read_key_file(cr_conf_t *c, const char *path);
/* 1 for printable ASCII without blanks. */
int cr_key_ok(const char *k);

/* ---- schedules (charon_run_schedule.c) -------------------------------- */

/* NULL, or a sentence (in why[len]) that starts with the value quoted:
 * "'61 * * * *' is not a schedule: the minute field: ...". */
const char *cr_schedule_check(const char *text, char *why, size_t len);
const char *cr_zone_check(const char *name, char *why, size_t len);
const char *cr_grace_check(const char *text, long long *secs, char *why,
                           size_t len);
/* {"schedule":...,"timezone":...,"grace":N}: zone NULL and grace 0 are
 * left out (the module's defaults). */
void cr_start_body(cr_buf_t *out, const char *schedule, const char *zone,
                   long long grace);
/* "YYYY-MM-DDTHH:MM[:SS]Z", or +HH:MM / -HH:MM instead of Z ('t' and
 * 'z' too), years 1900 to 9999: 1 and *t (Unix seconds), or 0. */
int cr_parse_instant(const char *s, int64_t *t);

/* ---- charon-run next (charon_run_next.c) ------------------------------ */

/* argv[0] is "next".  Prints the slots on out; returns the exit status
 * (0, or 64 after saying why on stderr; -1 after --help). */
int cr_next_main(int argc, char **argv, FILE *out);

/* ---- charon-run apply: the file (charon_run_apply_file.c) ------------- */

/* The fields of a cron's definition, in its document's order
 * (docs/MANAGEMENT.md): what a PUT replaces.  Never the operator's
 * switches (active, off_reason, off_until, mute_until): a PUT that leaves
 * them out keeps them, so a deploy does not switch a cron back on. */
#define CR_NFIELDS 10
#define CR_F_NAME  0 /* cr_fields[0] */

typedef enum {
    CR_F_TEXT,     /* name */
    CR_F_CHOICE,   /* concurrency: allow or forbid */
    CR_F_SCHEDULE, /* checked with the module's parser */
    CR_F_ZONE,     /* an IANA name ICU knows */
    CR_F_SECONDS,  /* a duration, sent as seconds */
    CR_F_COUNT     /* a whole number */
} cr_fkind_e;

typedef struct {
    const char *name;
    cr_fkind_e kind;
    long long min, max; /* CR_F_SECONDS, CR_F_COUNT */
    const char *dflt;   /* its value in a document when a PUT leaves it
                           out, as JSON; NULL for name (the slug) */
} cr_field_t;

extern const cr_field_t cr_fields[CR_NFIELDS];

/* One cron of the file. */
typedef struct {
    char *slug;
    int line;                  /* of its [slug] */
    int set_at[CR_NFIELDS];    /* the line of each key, 0: absent */
    char *text[CR_NFIELDS];    /* its value; NULL: absent or empty, the
                                  default */
    long long num[CR_NFIELDS]; /* CR_F_SECONDS, CR_F_COUNT: the number */
} cr_def_t;

typedef struct {
    cr_def_t *v; /* in the file's order */
    size_t n, cap;
} cr_defs_t;

/* Reads the text of a file of crons (path only for the messages).
 * Returns the number of mistakes, each appended to errs as
 * "PATH:LINE: why\n" (20 at most, then it stops); defs gets the crons
 * read, in the file's order. */
int cr_defs_parse(const char *path, const char *text, size_t len,
                  cr_defs_t *defs, cr_buf_t *errs);
void cr_defs_free(cr_defs_t *defs);
/* Whole seconds, or digits followed by s, m, h, d or w ("90s", "10m",
 * "2h", "1d", "1w"): 1 and *secs, or 0. */
int cr_duration_parse(const char *s, long long *secs);
/* NULL when the module takes slug as a cron's slug, or why not. */
const char *cr_slug_check(const char *slug);

/* ---- charon-run apply: documents (charon_run_apply_doc.c) ------------- */

/* The body of PUT crons/{slug}: name (the slug when the file has none)
 * and the fields the file gives, nothing else. */
void cr_def_body(cr_buf_t *out, const cr_def_t *d);
/* The definition's fields as the server's document will have them: the
 * fields left out at their defaults. */
void cr_def_doc(cr_buf_t *out, const cr_def_t *d);
/* The definition's fields that differ between two cron documents,
 * appended to out as "field old -> new, field2 old -> new" (values as
 * JSON; absent is null).  Returns how many, or -1 (out untouched) when
 * either is not a JSON object. */
int cr_doc_changes(const char *before, size_t blen, const char *after,
                   size_t alen, cr_buf_t *out);

typedef struct {
    char **v;
    size_t n, cap;
} cr_strs_t;
void cr_strs_add(cr_strs_t *s, const char *v);
void cr_strs_free(cr_strs_t *s);
/* One page of GET crons ({"items": [...], "next_cursor": ...}): the
 * items' slugs appended to slugs, *next the cursor of the next page
 * (malloc'ed) or NULL on the last.  0, or -1 when it is not such a page
 * (slugs and *next untouched). */
int cr_list_page(const char *json, size_t len, cr_strs_t *slugs, char **next);

/* charon_run_apply.c: argv[0] is "apply"; returns the exit status. */
int cr_apply_main(int argc, char **argv);

/* ---- the API (charon_run_api.c) --------------------------------------- */

typedef struct cr_api cr_api_t;

typedef enum {
    CR_REQ_IDLE = 0,
    CR_REQ_PENDING,
    CR_REQ_DONE,
    CR_REQ_DOWN,
    CR_REQ_ABORTED
} cr_req_state_e;

typedef struct {
    const char *what; /* for messages: "can-start", "start", ... */
    int post;
    const char *method; /* "PUT", "DELETE": instead of GET or POST (the
                           body sent when there is one); NULL: post's */
    char *url;          /* absolute; owned */
    cr_buf_t body;      /* JSON, when post or method */
    char idem[80];      /* Idempotency-Key, "" for none */
    char cond[160];     /* a condition's header line, "If-Match: \"...\"",
                           "" for none */
    size_t resp_max;    /* bytes of the answer kept; 0: 64 KiB */
    double deadline;    /* no attempt starts after it */
    /* progress */
    int attempts;
    double next_at;
    /* result */
    cr_req_state_e state;
    long status;     /* HTTP status of the last answer, 0: none */
    cr_buf_t resp;   /* its body (at most resp_max kept) */
    int truncated;   /* the body was longer than that */
    char etag[128];  /* its ETag, "" for none (or one not printable) */
    int dry_run;     /* it said Charon-Dry-Run: 1 */
    char error[256]; /* what went wrong, for messages */
} cr_req_t;

typedef struct {
    const char *key;
    const char *cacert;
    double attempt_timeout; /* one try, seconds */
    double connect_timeout;
    int max_attempts;
    double retry_after_cap;
    int verbose;
} cr_api_conf_t;

cr_api_t *cr_api_new(const cr_api_conf_t *conf, char *err, size_t errlen);
void cr_api_free(cr_api_t *a);
/* The URL of a route: base + escaped(segment) + "/" + verb. */
char *cr_api_url(cr_api_t *a, const char *base, const char *segment,
                 const char *verb);
/* s percent-encoded for a URL's path or query (all but A-Z a-z 0-9 - . _
 * ~), malloc'ed. */
char *cr_api_escape(cr_api_t *a, const char *s);

void cr_req_init(cr_req_t *r, const char *what, int post, char *url,
                 double deadline);
void cr_req_free(cr_req_t *r);

/* Non-blocking use, one request at a time. */
int cr_api_busy(const cr_api_t *a);
void cr_api_submit(cr_api_t *a, cr_req_t *r, double now);
/* Starts what is due, moves transfers on; 1 when the submitted request
 * has finished (r->state DONE or DOWN). */
int cr_api_step(cr_api_t *a, double now);
/* Waits for network activity, one of fds (struct curl_waitfd), or
 * timeout_ms, whichever comes first. */
struct curl_waitfd;
void cr_api_wait(cr_api_t *a, struct curl_waitfd *fds, unsigned nfds,
                 int timeout_ms, double now);
/* Drops the request in progress (r->state ABORTED). */
void cr_api_abort(cr_api_t *a);

/* Blocking: until the request finishes, or *stop becomes non-zero (then
 * ABORTED); wake_fd (or -1) is watched so that a signal wakes it. */
cr_req_state_e cr_api_call(cr_api_t *a, cr_req_t *r, volatile int *stop,
                           int wake_fd);

/* ---- the run (charon-run.c), its job (charon_run_job.c), its loop ----- */

#include <signal.h>
#include <sys/types.h>

typedef struct {
    cr_conf_t *c;
    cr_api_t *api;
    cr_out_t *out;    /* NULL when the run is not recorded */
    char uuid[37];    /* this run's Idempotency-Keys start so */
    char slug_p[256]; /* the slug, printable */
    long long cron_id, exec_id;
    /* the job */
    pid_t pid; /* also its process group */
    int status, reaped;
    int fd[2];   /* its stdout and stderr, our side (-1) */
    int pass[2]; /* passed through to 1 and 2 (-1: no more) */
    double t_start, t_end, drain_until;
    int timed_out, killed, forwarded_sig;
    double kill_at;
    /* messages */
    cr_req_t mreq;
    cr_batch_t *inflight;
    unsigned long long batch_no;
    double down_until, send_deadline;
    int said_down;
    unsigned long long dropped_msgs, dropped_raw;
} cr_run_t;

#define CR_N_FORWARDED 6
/* SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2: passed on */
extern const int cr_forwarded[CR_N_FORWARDED];
extern int cr_wake[2];                       /* the handler's self-pipe */
extern volatile sig_atomic_t cr_pending[65]; /* signals to pass on */
extern volatile sig_atomic_t cr_job_started; /* from then on, signals are
                                               the job's */
extern volatile int cr_stop_sig;             /* a signal before the job */

int cr_signals_install(void); /* 0 or errno */
const char *cr_sig_name(int sig);
void cr_fd_snapshot(void); /* first thing in main */
void cr_run_uuid(char out[37]);
/* Forks and executes the command in its own process group, its output
 * on two pipes (R->fd). Returns 0 or errno. */
int cr_spawn(cr_run_t *R);
void cr_handle_signals(cr_run_t *R, double now); /* pass on, reap */
void cr_check_timeout(cr_run_t *R, double now);  /* SIGTERM, SIGKILL */
void cr_read_output(cr_run_t *R);                /* pass through, to R->out */
void cr_wait_events(cr_run_t *R, int ms, double now);
/* charon_run_loop.c: until the job is reaped and its pipes closed. */
void cr_run_loop(cr_run_t *R);
/* The messages still queued, within --net-timeout; the rest dropped. */
void cr_send_remaining(cr_run_t *R);

/* ---- small things shared (charon_run_text.c) ------------------------- */

double cr_now(void);              /* CLOCK_MONOTONIC, seconds */
void cr_say(const char *fmt, ...) /* "charon-run: ...\n" on stderr */
    __attribute__((format(printf, 1, 2)));
/* s made safe for a terminal: control characters escaped (malloc'ed). */
char *cr_printable(const char *s, size_t len);
/* s without the blanks around it (in place; a line's CR and LF too). */
char *cr_trim(char *s);

#endif
