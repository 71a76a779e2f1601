/*
 * charon_run_options.c: charon-run's settings by name.  The options and
 * --help; the command line read, and every value on it checked before
 * anything else happens (a bad one is exit 64); each value parsed and
 * set, for an option and for the key of a configuration file alike (the
 * same names, '_' or '-').  The order in which they apply, and the files
 * and the environment, are charon_run_config.c's.  `charon-run apply`
 * takes a few of them (the network's, the key's, --admin-url) and its
 * own --prune and --dry-run.
 */
#include "charon_run.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const cr_type_names[4] = {"info", "warning", "error", "success"};

enum {
    O_URL = 'u',
    O_CONFIG = 'c',
    O_VERBOSE = 'v',
    O_HELP = 'h',
    O_VERSION = 'V',
    O_KEY_FILE = 256,
    O_NO_CONFIG,
    O_CACERT,
    O_TIMEOUT,
    O_KILL_AFTER,
    O_NET_TIMEOUT,
    O_FLUSH,
    O_MAX_OUTPUT,
    O_MAX_MESSAGE,
    O_BATCH_LINES,
    O_STDOUT_TYPE,
    O_STDERR_TYPE,
    O_REFUSE,
    O_RUN_WHEN_DOWN,
    O_SCHEDULE,
    O_TIMEZONE,
    O_GRACE,
    O_ADMIN_URL,
    O_PRUNE,
    O_DRY_RUN
};

static const struct option longopts[] = {
    {"url", required_argument, NULL, O_URL},
    {"config", required_argument, NULL, O_CONFIG},
    {"no-config", no_argument, NULL, O_NO_CONFIG},
    {"key-file", required_argument, NULL, O_KEY_FILE},
    {"cacert", required_argument, NULL, O_CACERT},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"kill-after", required_argument, NULL, O_KILL_AFTER},
    {"net-timeout", required_argument, NULL, O_NET_TIMEOUT},
    {"flush-interval", required_argument, NULL, O_FLUSH},
    {"max-output", required_argument, NULL, O_MAX_OUTPUT},
    {"max-message", required_argument, NULL, O_MAX_MESSAGE},
    {"batch-lines", required_argument, NULL, O_BATCH_LINES},
    {"stdout-type", required_argument, NULL, O_STDOUT_TYPE},
    {"stderr-type", required_argument, NULL, O_STDERR_TYPE},
    {"refuse-when-down", no_argument, NULL, O_REFUSE},
    {"run-when-down", no_argument, NULL, O_RUN_WHEN_DOWN},
    {"schedule", required_argument, NULL, O_SCHEDULE},
    {"timezone", required_argument, NULL, O_TIMEZONE},
    {"grace", required_argument, NULL, O_GRACE},
    {"admin-url", required_argument, NULL, O_ADMIN_URL},
    {"prune", no_argument, NULL, O_PRUNE},
    {"dry-run", no_argument, NULL, O_DRY_RUN},
    {"verbose", no_argument, NULL, O_VERBOSE},
    {"help", no_argument, NULL, O_HELP},
    {"version", no_argument, NULL, O_VERSION},
    {NULL, 0, NULL, 0}};

static const char usage_text[] =
    "Usage: charon-run [OPTIONS] SLUG [--] COMMAND [ARGUMENT...]\n"
    "       charon-run next [--timezone ZONE] [--from TIME] [--count N] "
    "SCHEDULE\n"
    "       charon-run apply [OPTIONS] FILE [--prune] [--dry-run]\n"
    "\n"
    "Runs COMMAND (no shell: use sh -c '...' for pipelines) as one execution\n"
    "of the Charon cron SLUG: starts an execution (unless Charon refuses:\n"
    "the cron is off or locked), sends the output as messages while it runs,\n"
    "ends it with the outcome, and exits with the command's own status.\n"
    "\n"
    "Options (all but -c, --no-config, -h, -V, --schedule, --timezone and\n"
    "--grace are also configuration file keys, with '_' or '-'):\n"
    "  -u, --url URL           the API's mount, e.g. "
    "https://charon.example/api/\n"
    "                          (default: $CHARON_URL)\n"
    "      --key-file PATH     read the API key from PATH (mode 0600, yours)\n"
    "                          (default: $CHARON_API_KEY, or api_key in a "
    "file)\n"
    "  -c, --config PATH       read only this configuration file\n"
    "      --no-config         read no configuration file\n"
    "      --cacert PATH       CA certificates for https (default: the "
    "system's)\n"
    "      --timeout SECONDS   kill the job after SECONDS (0: never; default "
    "0)\n"
    "      --kill-after SECONDS  SIGKILL that long after the timeout's "
    "SIGTERM\n"
    "                          (default 10)\n"
    "      --net-timeout SECONDS  longest time one request may take, retries\n"
    "                          included (default 10; 0.5 to 300)\n"
    "      --flush-interval SECONDS  longest time a line waits to be sent\n"
    "                          (default 1)\n"
    "      --max-output SIZE   output kept per run, first half and last half\n"
    "                          (default 1M; 0: send no output)\n"
    "      --max-message SIZE  largest message request body (default 65536)\n"
    "      --batch-lines N     most lines in one message (default 1000)\n"
    "      --stdout-type TYPE  message type of stdout lines (default info)\n"
    "      --stderr-type TYPE  message type of stderr lines (default "
    "warning)\n"
    "      --refuse-when-down  do not run the job when Charon cannot be used\n"
    "      --run-when-down     run it anyway (the default)\n"
    "      --schedule SCHEDULE  when the cron should run, sent with the "
    "start\n"
    "                          and stored on the cron: five fields, "
    "@daily...,\n"
    "                          or @every DURATION\n"
    "      --timezone ZONE     the schedule's zone, e.g. Europe/Paris "
    "(default:\n"
    "                          the module's CharonDefaultTimezone)\n"
    "      --grace DURATION    how late a start may come: seconds or 90s, "
    "10m,\n"
    "                          2h, 1d (default: the module's, 5 minutes)\n"
    "  -v, --verbose           say what charon-run does, on stderr\n"
    "  -h, --help              this help\n"
    "  -V, --version           the version\n"
    "\n"
    "TYPE is info, warning, error or success. SIZE may end in K or M (KiB, "
    "MiB).\n"
    "\n"
    "Exit status: the command's own (0-255), 128+N when a signal N killed "
    "it,\n"
    "or, when it did not run or was stopped by charon-run:\n"
    "   64  bad command line            75  another run holds the lock (409)\n"
    "   67  no cron has this slug (404) 78  configuration or key problem\n"
    "   69  Charon unusable and         79  the cron is switched off (418)\n"
    "       --refuse-when-down         124  killed by --timeout\n"
    "   71  could not create the job   126/127  COMMAND not executable/found\n"
    "\n"
    "charon-run next prints the next N slots (default 5, at most 1000) of\n"
    "SCHEDULE after TIME (default now), in UTC and in ZONE (default UTC),\n"
    "with no URL, no key and no configuration file: 'charon-run next "
    "--help'.\n"
    "\n"
    "charon-run apply makes the crons of the server match FILE, through the\n"
    "management API (--admin-url URL, $CHARON_ADMIN_URL, or admin_url in a\n"
    "file; a key with admin=write): 'charon-run apply --help'.\n"
    "\n"
    "Configuration files: /etc/charon-run.conf, then\n"
    "$XDG_CONFIG_HOME/charon-run.conf (or ~/.config/charon-run.conf), lines "
    "of\n"
    "'key = value'. See charon-run(1).\n";

static const char apply_usage_text[] =
    "Usage: charon-run apply [OPTIONS] FILE [--prune] [--dry-run]\n"
    "\n"
    "Makes the crons of Charon match FILE (\"-\": standard input), through\n"
    "the management API: each cron of FILE is created, or its definition\n"
    "replaced (its switches, active and mute, are kept); one line each:\n"
    "'create SLUG', 'update SLUG: field old -> new, ...', 'unchanged SLUG',\n"
    "then 'apply: N created, N updated, N unchanged, N deleted'.\n"
    "\n"
    "FILE holds one section per cron:\n"
    "  [nightly-backup]\n"
    "  name = Nightly backup\n"
    "  schedule = 0 3 * * *\n"
    "  timezone = Europe/Paris\n"
    "  grace = 10m\n"
    "keys: name (default: the slug), schedule, timezone, grace, concurrency\n"
    "(allow or forbid), max_runtime, min_runtime, failure_threshold,\n"
    "recovery_threshold, realert_every; durations in seconds, or with s, m,\n"
    "h, d or w; a key left out or empty takes the API's default.\n"
    "\n"
    "      --admin-url URL     the management API's mount, e.g.\n"
    "                          https://charon.example/admin/api/\n"
    "                          (default: $CHARON_ADMIN_URL, admin_url in a "
    "file)\n"
    "      --prune             then delete (with their executions) the crons\n"
    "                          the key sees that FILE does not list\n"
    "      --dry-run           ask with ?dry_run=1: the server says what it\n"
    "                          would do and changes nothing\n"
    "      --key-file PATH     read the API key from PATH (default:\n"
    "                          $CHARON_API_KEY, or api_key in a file); the "
    "key\n"
    "                          needs admin=write\n"
    "  -c, --config PATH       read only this configuration file\n"
    "      --no-config         read no configuration file\n"
    "      --cacert PATH       CA certificates for https\n"
    "      --net-timeout SECONDS  longest time one request may take, retries\n"
    "                          included (default 10)\n"
    "  -v, --verbose           print each request and its answer on stderr\n"
    "  -h, --help              this help\n"
    "\n"
    "Exit status: 0 all done; 1 Charon refused something (stderr: "
    "'charon-run\n"
    "apply: SLUG: STATUS detail'; the other crons are done); 64 bad command\n"
    "line; 65 FILE is wrong (FILE:LINE: why; nothing sent); 69 Charon could\n"
    "not be reached (stopped there); 78 configuration or key problem.\n";

static void usage_hint(int apply)
{
    fputs(apply ? "Try 'charon-run apply --help'.\n"
                : "Try 'charon-run --help'.\n",
          stderr);
}

static const char *opt_name(int opt)
{
    for (const struct option *o = longopts; o->name; o++)
        if (o->val == opt)
            return o->name;
    return "?";
}

/* The settings apply takes: where the management API is, the key, the
 * network's; the job's (--timeout, --max-output...) mean nothing to it,
 * and a forgotten one is better refused than ignored. */
static int apply_option(int opt)
{
    return opt == O_ADMIN_URL || opt == O_KEY_FILE || opt == O_CACERT
           || opt == O_NET_TIMEOUT || opt == O_VERBOSE;
}

/* ---- values ----------------------------------------------------------- */

static int parse_seconds(const char *s, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

static int parse_size(const char *s, size_t min, size_t max, size_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '+')
        return 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return 0;
    unsigned long long mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024, end++;
    else if (*end == 'm' || *end == 'M')
        mult = 1024 * 1024, end++;
    if (*end == 'i' && (end[1] == 'B' || end[1] == 'b'))
        end += 2;
    else if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v > max / mult || v * mult < min || v * mult > max)
        return 0;
    *out = (size_t)(v * mult);
    return 1;
}

static int parse_type(const char *s, int *out)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, cr_type_names[i])) {
            *out = i;
            return 1;
        }
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"1", "yes", "true", "on"};
    static const char *const no[] = {"0", "no", "false", "off"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = 1;
            return 1;
        }
        if (!strcasecmp(s, no[i])) {
            *out = 0;
            return 1;
        }
    }
    return 0;
}

/* Sets one setting from its name (option or file key, '-' or '_').
 * Returns NULL, or what is wrong with the value. */
static const char *set_value(cr_conf_t *c, int opt, const char *v)
{
    static char why[600]; /* for sentences that quote the value */
    const char *err;

    switch (opt) {
    case O_URL:
        free(c->url);
        c->url = cr_xstrdup(v);
        return NULL;
    case O_ADMIN_URL:
        free(c->admin_url);
        c->admin_url = cr_xstrdup(v);
        return NULL;
    case O_KEY_FILE:
        free(c->key_file);
        c->key_file = cr_xstrdup(v);
        return NULL;
    case O_CACERT:
        free(c->cacert);
        c->cacert = cr_xstrdup(v);
        return NULL;
    case O_TIMEOUT:
        return parse_seconds(v, 0, 31536000, &c->timeout)
                   ? NULL
                   : "must be a number of seconds, 0 (none) to 31536000";
    case O_KILL_AFTER:
        return parse_seconds(v, 0, 86400, &c->kill_after)
                   ? NULL
                   : "must be a number of seconds, 0 to 86400";
    case O_NET_TIMEOUT:
        return parse_seconds(v, 0.5, 300, &c->net_timeout)
                   ? NULL
                   : "must be a number of seconds, 0.5 to 300";
    case O_FLUSH:
        return parse_seconds(v, 0.01, 3600, &c->flush_interval)
                   ? NULL
                   : "must be a number of seconds, 0.01 to 3600";
    case O_MAX_OUTPUT:
        return parse_size(v, 0, (size_t)1 << 30, &c->max_output)
                   ? NULL
                   : "must be a size, 0 to 1G (e.g. 1M, 512K)";
    case O_MAX_MESSAGE:
        return parse_size(v, 256, (size_t)64 << 20, &c->max_message)
                   ? NULL
                   : "must be a size, 256 to 64M";
    case O_BATCH_LINES:
        return parse_size(v, 1, 1000000, &c->batch_lines)
                   ? NULL
                   : "must be a number of lines, 1 to 1000000";
    case O_STDOUT_TYPE:
        return parse_type(v, &c->stdout_type)
                   ? NULL
                   : "must be info, warning, error or success";
    case O_STDERR_TYPE:
        return parse_type(v, &c->stderr_type)
                   ? NULL
                   : "must be info, warning, error or success";
    case O_REFUSE:
        return parse_bool(v, &c->refuse_when_down) ? NULL
                                                   : "must be yes or no";
    case O_RUN_WHEN_DOWN: {
        int b;
        if (!parse_bool(v, &b))
            return "must be yes or no";
        c->refuse_when_down = !b;
        return NULL;
    }
    case O_VERBOSE:
        return parse_bool(v, &c->verbose) ? NULL : "must be yes or no";
    case O_SCHEDULE:
        if ((err = cr_schedule_check(v, why, sizeof(why))) != NULL)
            return err;
        free(c->schedule);
        c->schedule = cr_xstrdup(v);
        return NULL;
    case O_TIMEZONE:
        if ((err = cr_zone_check(v, why, sizeof(why))) != NULL)
            return err;
        free(c->timezone);
        c->timezone = cr_xstrdup(v);
        return NULL;
    case O_GRACE: return cr_grace_check(v, &c->grace, why, sizeof(why));
    }
    return "is not a setting";
}

/* ---- configuration-file keys ----------------------------------------- */

static int key_from_name(const char *name)
{
    char n[64];
    size_t i;
    for (i = 0; name[i] && i < sizeof(n) - 1; i++)
        n[i] = name[i] == '_' ? '-' : name[i];
    n[i] = '\0';
    for (const struct option *o = longopts; o->name; o++)
        if (!strcmp(o->name, n) && o->val != O_CONFIG && o->val != O_NO_CONFIG
            && o->val != O_HELP && o->val != O_VERSION && o->val != O_PRUNE
            && o->val != O_DRY_RUN)
            return o->val;
    return 0;
}

/* The schedule, its zone and its grace describe one cron, and the module
 * sets the three together: they are given on that cron's command line,
 * never in a file that every job of the user reads. */
static int schedule_option(int opt)
{
    return opt == O_SCHEDULE || opt == O_TIMEZONE || opt == O_GRACE;
}

const char *cr_conf_set_key(cr_conf_t *c, const char *name, const char *v)
{
    int opt = key_from_name(name);
    return !opt                   ? "is not a setting"
           : schedule_option(opt) ? "is not a setting of a file: the "
                                    "schedule, its zone and its grace belong "
                                    "to one cron, on its command line "
                                    "(--schedule, --timezone, --grace)"
                                  : set_value(c, opt, v);
}

/* ---- the command line ------------------------------------------------- */

/* What set_value allocated in a copy of the settings. */
static void probe_free(cr_conf_t *p)
{
    free(p->url);
    free(p->admin_url);
    free(p->key_file);
    free(p->cacert);
    free(p->schedule);
    free(p->timezone);
}

void cr_args_free(cr_args_t *cli)
{
    free(cli->v);
    cli->v = NULL;
    cli->n = 0;
}

/* apply's FILE, the one argument left once the options are read. */
static int apply_file(cr_conf_t *c, int argc, char **argv)
{
    if (optind >= argc) {
        cr_say("apply: missing FILE");
        usage_hint(1);
        return CR_EX_USAGE;
    }
    if (optind + 1 < argc) {
        char *p = cr_printable(argv[optind + 1], strlen(argv[optind + 1]));
        cr_say("apply takes one FILE, and got more arguments from '%s' on", p);
        free(p);
        usage_hint(1);
        return CR_EX_USAGE;
    }
    c->file = argv[optind];
    if (!*c->file) {
        cr_say("apply: FILE is empty");
        return CR_EX_USAGE;
    }
    return 0;
}

/* A run's SLUG and COMMAND, after the options. */
static int run_command(cr_conf_t *c, int argc, char **argv)
{
    if (optind >= argc) {
        cr_say("missing SLUG and COMMAND");
        usage_hint(0);
        return CR_EX_USAGE;
    }
    c->slug = argv[optind++];
    if (optind < argc && !strcmp(argv[optind], "--"))
        optind++;
    if (optind >= argc) {
        cr_say("missing COMMAND after the slug '%s'", c->slug);
        usage_hint(0);
        return CR_EX_USAGE;
    }
    c->command = argv + optind;
    if (!*c->slug) {
        cr_say("the slug is empty");
        return CR_EX_USAGE;
    }
    return 0;
}

int cr_args_read(cr_conf_t *c, int argc, char **argv, cr_args_t *cli)
{
    int opt, apply = c->mode == CR_MODE_APPLY, rc;

    cli->v = cr_xmalloc(sizeof(*cli->v) * (size_t)(argc + 1));
    cli->n = 0;
    opterr = 0;
    /* A run stops at SLUG (what follows is the command's); apply takes
     * options before and after FILE.  optind 0: GNU starts afresh. */
    optind = 0;
    while ((opt = getopt_long(argc, argv, apply ? "u:c:vhV" : "+u:c:vhV",
                              longopts, NULL))
           != -1) {
        switch (opt) {
        case O_HELP:
            fputs(apply ? apply_usage_text : usage_text, stdout);
            cr_args_free(cli);
            return -1;
        case O_VERSION:
            printf("charon-run %s\n", CR_VERSION);
            cr_args_free(cli);
            return -1;
        case O_CONFIG:
            free(c->config);
            c->config = cr_xstrdup(optarg);
            break;
        case O_NO_CONFIG: c->no_config = 1; break;
        case '?':
            if (optopt)
                cr_say("option -%c is unknown or needs a value", optopt);
            else
                cr_say("option '%s' is unknown or needs a value",
                       argv[optind - 1]);
            usage_hint(apply);
            cr_args_free(cli);
            return CR_EX_USAGE;
        default:
            if (apply
                    ? !apply_option(opt) && opt != O_PRUNE && opt != O_DRY_RUN
                    : opt == O_ADMIN_URL || opt == O_PRUNE
                          || opt == O_DRY_RUN) {
                cr_say(apply ? "--%s is not an option of charon-run apply"
                             : "--%s is an option of charon-run apply",
                       opt_name(opt));
                usage_hint(apply);
                cr_args_free(cli);
                return CR_EX_USAGE;
            }
            if (opt == O_PRUNE)
                c->prune = 1;
            else if (opt == O_DRY_RUN)
                c->dry_run = 1;
            else {
                cli->v[cli->n].opt = opt;
                cli->v[cli->n].val = optarg;
                cli->n++;
            }
        }
    }
    rc = apply ? apply_file(c, argc, argv) : run_command(c, argc, argv);
    if (rc) {
        cr_args_free(cli);
        return rc;
    }
    /* Values of the command line are checked now (64), applied later. */
    {
        cr_conf_t probe = *c;
        probe.url = probe.admin_url = probe.key_file = probe.cacert = NULL;
        probe.schedule = probe.timezone = NULL;
        const char *without = NULL;
        for (int i = 0; i < cli->n; i++) {
            const char *err = set_value(&probe, cli->v[i].opt,
                                        cli->v[i].val ? cli->v[i].val : "yes");
            if (err) {
                cr_say("--%s %s", opt_name(cli->v[i].opt), err);
                usage_hint(apply);
                probe_free(&probe);
                cr_args_free(cli);
                return CR_EX_USAGE;
            }
            if (cli->v[i].opt == O_TIMEZONE)
                without = "--timezone";
            else if (cli->v[i].opt == O_GRACE && !without)
                without = "--grace";
        }
        if (without && !probe.schedule) {
            cr_say("%s goes with --schedule: the module sets the schedule, "
                   "its zone and its grace together",
                   without);
            usage_hint(apply);
            probe_free(&probe);
            cr_args_free(cli);
            return CR_EX_USAGE;
        }
        probe_free(&probe);
    }

    if (c->config && c->no_config) {
        cr_say("--config and --no-config exclude each other");
        cr_args_free(cli);
        return CR_EX_USAGE;
    }
    return 0;
}

void cr_args_apply(cr_conf_t *c, const cr_args_t *cli)
{
    for (int i = 0; i < cli->n; i++)
        set_value(c, cli->v[i].opt, cli->v[i].val ? cli->v[i].val : "yes");
}
