#!/usr/bin/env bash
# Big tables: the latency of `start`, `message` and `end` when the tables
# hold 10 million executions and 50 million messages, against the same
# measurement on empty tables (row 6 of the benchmark: within 1.2x); the
# plans of the request path's statements on the big tables; the time of
# the watchdog's statements on them.
#
#   scripts/bench-bigtables.sh [--quick] [--explain] [--mysql] [pgsql] [sqlite] [mysql]
#
#   (default)  PostgreSQL and SQLite: 10,000,000 executions and 50,000,000
#              messages each, loaded side by side within a time budget,
#              then 4 s per figure: 4 to 5 minutes in all (see "Load" for
#              what happens when the machine is too slow for that)
#   --quick    (or QUICK=1) 50,000 executions and 250,000 messages, 1 s
#              per figure: about a minute
#   --explain  also print the plans (EXPLAIN ANALYZE and the generic plan
#              on PostgreSQL, EXPLAIN QUERY PLAN on SQLite, EXPLAIN on
#              MariaDB) and the watchdog statements' output on stderr; they
#              are always written to the log directory and summarised in
#              rows
#   --mysql    also MariaDB (or CHARON_BIGT_MYSQL=1).  `mysql` among the
#              databases is measured only with this flag, or when it is the
#              only database named: loading tens of millions of rows into
#              InnoDB takes far longer than the others (see "Load"), and
#              scripts/bench.sh names all three databases.  Without it,
#              `mysql` gets a "not measured" row.
#
# Called by scripts/bench.sh as `scripts/bench-bigtables.sh [--quick] DB...`.
# It starts everything it needs itself (nothing is passed in): for each
# database a throwaway server (scripts/testdb.sh) holding two databases,
# "empty" and "big", both created from sql/*.sql (indexes included) with
# the same 1000 crons, and two httpds, one per database, with the module
# built at .libs/mod_charon.so (copied at start: run `make` first).  The
# statements are the module's as they are (make build/sql_dump prints
# src/db/dialect_*.c), so the plans follow changes to them.  Everything
# listens on 127.0.0.1 and is stopped and deleted by a trap, also on
# failure or Ctrl-C.  Runs as root (httpd's children as www-data,
# PostgreSQL as postgres, both in a private directory under /tmp) or as a
# plain user.  Needs wrk, cc, curl, perl with DBI and DBD::SQLite (and
# DBD::MariaDB for --mysql), sqlite3, apxs, PostgreSQL 15 (testdb.sh).
#
# Output: on stdout only the lines
#   row|<measurement>|<database>|<figure>|<reference>|<ratio>|<target>|<verdict>
# (scripts/bench.sh collects them); progress, per-phase figures and the
# plan summaries go to stderr.  Per database:
#   big tables: load ...                what was loaded, in how long, per
#                                       million rows: ok when all of it
#                                       within the budget, else below
#   big tables: <endpoint> p50|p99|mean latency, c8, <sizes> vs empty
#                                       big, empty, big/empty: ok when
#                                       <= 1.2, else below
#   big tables: hot-path plans ...      ok when every statement a request
#                                       can run (all but the watchdog's) is
#                                       an index lookup on the big tables,
#                                       on PostgreSQL as custom and as
#                                       generic plan; else which are not
#   big tables: watchdog plans ...      the full table scans in the
#                                       watchdog's statements (report)
#   big tables: watchdog ST_WD_...      their times (report; see below)
# The exit status is non-zero only when the benchmark itself failed (a
# server did not start, an answer other than 2xx, a phase that created
# nothing, a statement that failed); figures are reported, not asserted.
#
# What is measured.  wrk (one thread, CHARON_BIGT_CONCURRENCY connections,
# keep-alive) against the two httpds in turn, empty then big, endpoint by
# endpoint, after a warm-up of `start` on each:
#   start    POST {cron}/start on random crons (those that allow overlaps)
#   message  POST {id}/message {"message":"processed N records","type":"info"}
#            on the executions the start phase created, in turn
#   end      POST {id}/end {"message":"done","type":"success","success":true}
#            on those executions, each once (the phase stops early when
#            they run out)
# p50, p99 and mean are wrk's (its latency histogram).  On a machine that
# does other work meanwhile the p99s swing by several times between
# identical runs: CHARON_BIGT_ROUNDS=3 takes the median of three rounds
# (big first in the second).  The httpd: event MPM, 2 processes (SQLite:
# 1, see CHARON_BIGT_SQLITE_PROCS) x 16 threads, DBDMax 8, KeepAlive
# without a request limit, no access log, no mod_watchdog (the watchdog's
# statements are timed on their own).  PostgreSQL with testdb.sh's
# settings (fsync and synchronous_commit off, shared_buffers 128MB: the
# big database, about 9 GB, lives in the OS's cache); SQLite in WAL mode,
# synchronous CHARON_BIGT_SQLITE_SYNC (NORMAL, by DBDInitSQL, as
# scripts/bench.sh); MariaDB with testdb.sh's settings but
# innodb_buffer_pool_size 1 GiB.
#
# Plans and watchdog statements are run on the big database as loaded,
# before the requests, each in a transaction that is rolled back, with
# realistic arguments (a 'forbid' cron, an execution in the middle of the
# table, the newest one, which is running).  Watchdog statements timed:
# ST_WD_LOSE (one batch of lost runs); ST_WD_RETENTION with keep=1000
# max-age=90d keep-failures=10 on one cron with a backlog (its ~10,000
# runs, 9000 to delete: batch after batch of 1000, with their messages, as
# a tick does), and on one cron with nothing to delete (all its runs
# ranked); and what a tick of RETENTION_CRONS crons (the watchdog's)
# like it would take.  PostgreSQL through psql (PREPARE/EXECUTE with the
# module's parameter types, \timing), SQLite and MariaDB through Perl DBI
# (DBD::SQLite brings its own SQLite, 3.39).
#
# The data.  1000 crons (every 10th with max_runtime 3600 s, every 50th
# with concurrency 'forbid'); executions over the past year, spread evenly
# over the crons, the newest started a minute ago: 95% succeeded, 5%
# failed, 0.1% lost, the newest ~0.005% still running (one per 'forbid'
# cron at most, holding its lock); 5 messages per execution (the ratio
# CHARON_BIGT_MESSAGES / CHARON_BIGT_EXECUTIONS, an integer).  Every value
# is a function of the row's id, so all databases get the same rows.
#
# Load.  PostgreSQL: COPY ... FREEZE from a generator (a small C program,
# built here) in the transaction that truncates the tables, with
# wal_level=minimal for the load only (no WAL is written for it), the
# tables' indexes in place; then VACUUM ANALYZE.  SQLite: INSERT ...
# SELECT from generate_series, journal off.  Both: the one index that
# takes its rows in no order, charon_execution_cron (10M inserts at 1000
# places), is dropped for the load and built again from its own
# definition at the end (a sorted build is about three times as fast).
# MariaDB: LOAD DATA from the generator.  The loads of PostgreSQL and
# SQLite run side by side, in chunks of 1/20th, until done or until
# CHARON_BIGT_LOAD_BUDGET seconds have passed (a chunk under way is
# finished); then what was loaded is measured, and the load row says what
# was wanted, what was loaded, the time per million rows and what the
# whole would take.  Nothing is shrunk silently.  Then the files are
# flushed to disk (both loads run without fsync), so that the kernel does
# not write them out during the measurement.
#
# Environment (defaults; --quick's in brackets):
#   CHARON_BIGT_EXECUTIONS   10000000 [50000]
#   CHARON_BIGT_MESSAGES     50000000 [250000] (a multiple of the above)
#   CHARON_BIGT_CRONS        1000
#   CHARON_BIGT_SECONDS      4 [1]    seconds per figure
#   CHARON_BIGT_WARMUP       2 [1]    seconds of `start` before measuring
#   CHARON_BIGT_CONCURRENCY  8        wrk connections
#   CHARON_BIGT_ROUNDS       1        rounds of (empty, big) per endpoint,
#                                     big first in even rounds; figures are
#                                     the medians of the rounds
#   CHARON_BIGT_LOAD_BUDGET  190 [60] seconds for the loads (side by side;
#                                     scripts/bench.sh gives 300 when the
#                                     load runs beside its soak)
#   CHARON_BIGT_WAIT_FOR     ""       a file: once loaded, wait for it to
#                                     exist before measuring (scripts/bench.sh
#                                     creates it when its soak is over)
#   CHARON_BIGT_MY_BUDGET    900 [120] seconds for MariaDB's load
#   CHARON_BIGT_TARGET       1.2      big/empty ratio that is ok
#   CHARON_BIGT_KEEP, CHARON_BIGT_MAX_AGE, CHARON_BIGT_KEEP_FAILURES
#                            1000, 7776000 (90 d), 10: the retention the
#                            watchdog statements are timed with
#   CHARON_BIGT_SQLITE_SYNC  NORMAL
#   CHARON_BIGT_SQLITE_PROCS 1        httpd processes for SQLite (2 for the
#                                     others): with two, writers of both
#                                     take turns through apr_dbd_sqlite3's
#                                     busy retries (100 ms sleeps), a noise
#                                     that hides the tables' size
#   CHARON_BIGT_PG_CONF      ""       PostgreSQL settings for the measurement,
#                                     "name=value ...", e.g.
#                                     "log_min_duration_statement=20"
#                                     (the server's log is kept in the log
#                                     directory)
#   CHARON_BIGT_USER         www-data httpd's user when run as root
#   CHARON_BIGT_LOGDIR       build/bigtables: wrk's output per phase, the
#                            plans and their summaries, the watchdog
#                            statements' output, the load logs, httpd's
#                            error_logs, the database's log, rows.txt
#
# What it found (2-core AMD EPYC VM shared with other work, PostgreSQL 15,
# SQLite 3.40, MariaDB 10.11; plans in the log directory, --explain):
#   - Load: PostgreSQL 10M/50M in about 175 s (2.9 s per million rows)
#     side by side with SQLite, 130-150 s alone; SQLite about 210 s (3.5 s
#     per million rows), so the default budget sometimes stops it at
#     9M/45M on a busy machine; MariaDB about 9 s per million rows (10M/50M
#     would take some 9 minutes: hence --mysql).
#   - Request path: every statement is an index lookup on the big tables,
#     on PostgreSQL as custom and as generic plan (prepared statements go
#     generic after five runs), on SQLite (SEARCH, never SCAN) and on
#     MariaDB (const/eq_ref/range on PRIMARY).  The cron by primary key or
#     slug (unique index); the execution by primary key (an index-only
#     scan for `message`); the overlap lock through the partial unique
#     index charon_execution_lock; a cron's overdue runs through the
#     partial index charon_execution_open; inserts append at the right edge
#     of the primary keys and of charon_message_execution, and at one of
#     1000 places of charon_execution_cron.  Latency big/empty: p50 0.95 to
#     1.11 on PostgreSQL (start is the dearest: +0.02 to 0.15 ms), below
#     1.0 on SQLite; the p99s swing with whatever else the machine runs,
#     both ways, up to 10x in a single round: CHARON_BIGT_ROUNDS=3 brought
#     every PostgreSQL ratio within 0.70 to 1.17.  SQLite's `end` (the end
#     and its message, two statements in one transaction) has a p99 of
#     200-600 ms on empty and big tables alike: the other connections'
#     BEGIN IMMEDIATE meet the write lock and apr_dbd_sqlite3 sleeps 100 ms
#     before trying again.
#   - Watchdog, PostgreSQL (10M/50M, each statement far below the 5 s
#     statement_timeout): ST_WD_LOSE reads charon_execution_open (running
#     executions only): 0.2 to 0.5 ms.  ST_WD_RETENTION ranks one cron's
#     runs through charon_execution_cron; a cron's 10,000 runs sit on
#     10,000 heap pages (the crons' runs interleave), so it reads 80 MB of
#     heap per cron: 25 to 35 ms per cron with nothing to delete, 2.7 to
#     3.7 s for a tick of 100 crons; with a backlog (keep=1000 max-age=90d
#     over a year of history: 9000 runs to delete per cron), 60 to 130 ms
#     per batch of 1000 runs and their 5000 messages (the first, cold,
#     0.6 to 1.5 s), 1.2 to 2.7 s per cron, so the first ticks after
#     retention is turned on work 2 to 4.5 minutes each (100 crons),
#     longer than the 60 s interval, holding one pooled connection.
#   - Watchdog, SQLite: ST_WD_LOSE under 0.3 ms; ST_WD_RETENTION 80 ms per
#     cron with nothing to delete (8 s per tick), 160 ms per batch with a
#     backlog (about 2.5 minutes per tick), each statement holding the
#     write lock meanwhile: writers wait, in 100 ms sleeps.
#   - Watchdog, MariaDB: ST_WD_RETENTION scans the whole charon_execution
#     (DELETE ... WHERE id IN (subquery): MariaDB 10.11 runs the subquery
#     per row of a full scan, no semi-join for a single-table DELETE), 3.5
#     to 4.5 s per statement on 5M rows, i.e. several minutes per tick of
#     100 crons.  Under REPEATABLE READ (the module keeps the server's)
#     that scanning DELETE locks every row it reads: checked by hand, a
#     `start` (INSERT) and the `end` of another cron's run both wait for
#     it.  The module's sessions wait 5 s (innodb_lock_wait_timeout): each
#     retention statement stalls every write for its seconds, and past
#     5 s (10M rows and more) they get 503.  ST_WD_IDEM_PURGE has the same
#     shape on charon_idempotency.  A multi-table DELETE joined to the
#     batch by primary key would avoid both.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/testdb.sh
. "$top/scripts/testdb.sh"

say() { printf 'bigtables: %s\n' "$*" >&2; }
die() { printf 'bigtables: %s\n' "$*" >&2; exit 2; }

# ------------------------------------------------------------ arguments ---

quick=0
[ -n "${QUICK:-}" ] && [ "${QUICK:-0}" != 0 ] && quick=1
explain=0
with_mysql=0
[ "${CHARON_BIGT_MYSQL:-0}" != 0 ] && with_mysql=1
named=()
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --explain) explain=1 ;;
        --mysql) with_mysql=1 ;;
        pgsql|mysql|sqlite) named+=("$1") ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
done
[ ${#named[@]} -gt 0 ] || named=(pgsql sqlite)
[ "$with_mysql" = 1 ] && ! printf '%s\n' "${named[@]}" | grep -qx mysql && named+=(mysql)
[ "${named[*]}" = mysql ] && with_mysql=1

if [ "$quick" = 1 ]; then
    d_n=50000 d_m=250000 d_secs=1 d_warm=1 d_budget=60 d_mybudget=120
else
    d_n=10000000 d_m=50000000 d_secs=4 d_warm=2 d_budget=190 d_mybudget=900
fi
N=${CHARON_BIGT_EXECUTIONS:-$d_n}
M=${CHARON_BIGT_MESSAGES:-$d_m}
C=${CHARON_BIGT_CRONS:-1000}
SECS=${CHARON_BIGT_SECONDS:-$d_secs}
WARM=${CHARON_BIGT_WARMUP:-$d_warm}
CONC=${CHARON_BIGT_CONCURRENCY:-8}
ROUNDS=${CHARON_BIGT_ROUNDS:-1}
BUDGET=${CHARON_BIGT_LOAD_BUDGET:-$d_budget}
MY_BUDGET=${CHARON_BIGT_MY_BUDGET:-$d_mybudget}
TARGET=${CHARON_BIGT_TARGET:-1.2}
KEEP=${CHARON_BIGT_KEEP:-1000}
MAX_AGE=${CHARON_BIGT_MAX_AGE:-7776000}
KEEP_FAILURES=${CHARON_BIGT_KEEP_FAILURES:-10}
SQLITE_SYNC=${CHARON_BIGT_SQLITE_SYNC:-NORMAL}
SQLITE_PROCS=${CHARON_BIGT_SQLITE_PROCS:-1}
logdir=${CHARON_BIGT_LOGDIR:-$top/build/bigtables}

for v in N M C SECS WARM CONC ROUNDS BUDGET MY_BUDGET KEEP MAX_AGE KEEP_FAILURES SQLITE_PROCS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || die "$v must be a whole number, not '${!v}'"
done
if [ "$N" -lt 1 ] || [ "$C" -lt 50 ] || [ "$CONC" -lt 1 ] || [ "$SECS" -lt 1 ] || [ "$ROUNDS" -lt 1 ]; then
    die "need at least 1 execution, 50 crons, 1 connection, 1 second, 1 round"
fi
[ $((M % N)) = 0 ] || die "CHARON_BIGT_MESSAGES ($M) must be a multiple of CHARON_BIGT_EXECUTIONS ($N)"
R=$((M / N))                    # messages per execution

# ----------------------------------------------------------- preflight ---

HTTPD=/usr/sbin/apache2
MODS=/usr/lib/apache2/modules
[ -x "$HTTPD" ] || die "$HTTPD not found (apt-get install apache2)"
[ -f "$top/.libs/mod_charon.so" ] || die "$top/.libs/mod_charon.so is missing: run make first"
for c in wrk curl cc perl sqlite3 apxs; do
    command -v "$c" >/dev/null || die "$c not found"
done

if [ "$(id -u)" = 0 ]; then
    run_user=${CHARON_BIGT_USER:-www-data}
    run_group=$(id -gn "$run_user") || die "user $run_user does not exist"
else
    run_user=$(id -un)
    run_group=$(id -gn)
fi

# ------------------------------------------------------- state, cleanup ---

work=$(mktemp -d /tmp/charon-bigt.XXXXXX)
chmod 755 "$work"       # postgres and the httpd children go below it
cp "$top/.libs/mod_charon.so" "$work/mod_charon.so"
mkdir -p "$logdir"
rm -f "$logdir"/*.txt "$logdir"/*.log "$logdir"/*error_log 2>/dev/null || true
rows_file="$logdir/rows.txt"
: >"$rows_file"

bg_pids=()
httpd_confs=()
failed=0

httpd_stop_conf() {
    local conf=$1 pid
    pid=$(cat "$(dirname "$conf")/httpd.pid" 2>/dev/null || true)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    "$HTTPD" -f "$conf" -k stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
    if ! charon_wait_pid "$pid" 20; then
        local kids
        kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
        # shellcheck disable=SC2086
        kill -KILL "$pid" $kids 2>/dev/null || true
    fi
}

# kill_tree PID: the process and its descendants (the loads' psql, sqlite3,
# generators), by id.
kill_tree() {
    local p
    for p in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$p"; done
    kill -TERM "$1" 2>/dev/null || true
}

cleanup() {
    local rc=$? p c
    trap - EXIT INT TERM
    for p in "${bg_pids[@]}"; do kill_tree "$p"; done
    for p in "${bg_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    for c in "${httpd_confs[@]}"; do httpd_stop_conf "$c"; done
    charon_pg_stop >/dev/null 2>&1 || true
    charon_my_stop >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

now() { date +%s.%N; }
# calc EXPR: floating-point arithmetic (awk)
calc() { awk "BEGIN { print ($*) }"; }
fmt() { awk -v f="$1" -v x="$2" 'BEGIN { printf f, x }'; }
# human COUNT: 10000000 -> 10M, 2500000 -> 2.5M, 100000 -> 100k
human() {
    awk -v n="$1" 'BEGIN {
        if (n >= 1e6) { s = sprintf("%.1f", n / 1e6); sub(/\.0$/, "", s); print s "M" }
        else if (n >= 1e3) { s = sprintf("%.1f", n / 1e3); sub(/\.0$/, "", s); print s "k" }
        else print n }'
}
row() {
    local line
    line=$(printf 'row|%s|%s|%s|%s|%s|%s|%s' "$@")
    printf '%s\n' "$line"
    printf '%s\n' "$line" >>"$rows_file"
}
as_run_user() {
    if [ "$(id -u)" = 0 ]; then runuser -u "$run_user" -- "$@"; else "$@"; fi
}

say "work directory $work, logs in $logdir; load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"

# ---------------------------------------------------------------- tools ---

# The generator of the rows (PostgreSQL COPY and MariaDB LOAD DATA text).
cat >"$work/gen.c" <<'EOF'
/* Rows of charon_execution or charon_message for executions FIRST..LAST
 * of N (R messages each, C crons), tab-separated, \N for NULL.
 *   gen pg|my exec|msg N R C FIRST LAST NOW
 * NOW: Unix time; the newest execution started a minute before.  The SQLite
 * load in bench-bigtables.sh computes the same values in SQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long N, R, C, tail;
static double now;

static void ts(char *buf, double t, const char *suffix)
{
    time_t s = (time_t)t;
    struct tm tm;
    size_t n;
    gmtime_r(&s, &tm);
    n = strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + n, 48 - n, ".%06d%s", (int)((t - (double)s) * 1e6), suffix);
}

int main(int argc, char **argv)
{
    static const char *mtype[10] = { "warning", "error", "info", "info", "info",
                                     "info", "info", "info", "info", "success" };
    static char out[1 << 16];
    char a[48], b[48];
    long long i, k, first, last;
    int pg, msg;

    if (argc != 9) {
        fprintf(stderr, "usage: gen pg|my exec|msg N R C FIRST LAST NOW\n");
        return 2;
    }
    pg = strcmp(argv[1], "pg") == 0;
    msg = strcmp(argv[2], "msg") == 0;
    N = atoll(argv[3]); R = atoll(argv[4]); C = atoll(argv[5]);
    first = atoll(argv[6]); last = atoll(argv[7]); now = atof(argv[8]);
    tail = N / 10000 < 10 ? 10 : N / 10000;
    const char *sfx = pg ? "+00" : "", *t_ = pg ? "t" : "1", *f_ = pg ? "f" : "0";
    setvbuf(stdout, out, _IOFBF, sizeof out);
    for (i = first; i <= last; i++) {
        long long cron = (i - 1) % C + 1;
        double start = now - 60.0 - 365.0 * 86400.0 * (double)(N - i) / (double)N;
        double dur = (double)((i * 7919) % 600 + 1) + (double)(i % 1000) / 1000.0;
        /* r running, l lost, f failed, o succeeded */
        int st = (i > N - tail && i % 2 == 0) || start + dur > now ? 'r'
               : i % 1000 == 7 ? 'l' : i % 20 == 3 ? 'f' : 'o';
        int ended = st == 'o' || st == 'f';
        /* A 'forbid' cron's runs hold its lock while running: only its
         * newest may be running then (the partial unique index). */
        int forbid = cron % 50 == 25 && (st != 'r' || i > N - C);
        if (!msg) {
            ts(a, start, sfx);
            printf("%lld\t%lld\t%s\t", i, cron, a);
            if (ended) {
                ts(b, start + dur, sfx);
                printf("%s\t%s\t%s\t", b, st == 'o' ? t_ : f_, st == 'o' ? "success" : "error");
            }
            else
                fputs("\\N\t\\N\t\\N\t", stdout);
            printf("app-%lld\t10.0.%lld.%lld\t%s\t", i % 20, i % 4, i % 250, forbid ? t_ : f_);
            if (st == 'l') { ts(b, start + 3600.0, sfx); printf("%s\n", b); }
            else fputs("\\N\n", stdout);
        }
        else {
            double span = ended ? dur : 30.0;
            for (k = 0; k < R; k++) {
                long long j = (i - 1) * R + k + 1;
                ts(a, start + span * (double)k / (double)R, sfx);
                printf("%lld\t%lld\t%s\tstep %lld: processed %lld records\t%s\n",
                       j, i, mtype[j % 10], k + 1, (j * 31) % 9973, a);
            }
        }
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
EOF
cc -O2 -o "$work/gen" "$work/gen.c" || die "cannot build the generator"
chmod 755 "$work/gen"

# Every SQL statement of the module as it is now (tests/bench/sql_dump.c,
# built by make build/sql_dump), as "driver<TAB>index<TAB>NAME<TAB>SQL" and
# the per-connection init statements with NAME "INIT": the dialects the
# module uses with our servers (for mysql MariaDB's, not MySQL 8's).
make -s -C "$top" build/sql_dump >/dev/null ||
    die "cannot build the SQL dumper (make build/sql_dump)"
"$top/build/sql_dump" >"$work/sql_dump.txt"
awk -F'|' '
    $1 == "dialect" { drv[$2] = ($3 == "mysql") ? "" : $4; next }
    ($1 == "init" || $1 == "sql") && drv[$2] != "" {
        s = $0; name = "INIT"
        if ($1 == "sql") { name = $3; sub(/^([^|]*[|]){3}/, "", s) }
        else sub(/^([^|]*[|]){2}/, "", s)
        print drv[$2] "\t" $2 "\t" name "\t" s
    }' "$work/sql_dump.txt" >"$work/statements.tsv"
[ -s "$work/statements.tsv" ] || die "build/sql_dump printed no statement"
cp "$work/statements.tsv" "$logdir/statements.tsv"
# The module's own constants for the tick estimate (the watchdog's).
RET_CRONS=$(awk -F'|' '$1 == "const" && $2 == "RETENTION_CRONS" { print $3 }' "$work/sql_dump.txt")
RET_BATCHES=$(awk -F'|' '$1 == "const" && $2 == "MAX_BATCHES" { print $3 }' "$work/sql_dump.txt")

# sql_of DRIVER NAME: the statement's text (MariaDB's for mysql).
sql_of() {
    awk -F'\t' -v d="$1" -v n="$2" '$1 == d && $3 == n { s = $4 } END { if (s != "") print s }' "$work/statements.tsv"
}
hot_names() {
    awk -F'\t' -v d="$1" '$1 == d && $3 != "INIT" && $3 !~ /^ST_WD_/ && $3 != "ST_LAST_ID" && !seen[$3]++ { print $3 }' "$work/statements.tsv"
}
wd_names() {
    awk -F'\t' -v d="$1" '$1 == d && $3 ~ /^ST_WD_/ && !seen[$3]++ { print $3 }' "$work/statements.tsv"
}
placeholders() {    # the placeholders of SQL text, in order: s, d, lld
    printf '%s' "$1" | perl -ne 'while (/%(%|lld|d|s)/g) { print "$1\n" if $1 ne "%" }'
}

# ---------------------------------------------------------------- data ---

NOW=$(date +%s)
TAIL=$(( N / 10000 < 10 ? 10 : N / 10000 ))
CHUNKS=$(( N < 20 ? 1 : 20 ))
CHUNK=$(( (N + CHUNKS - 1) / CHUNKS ))
N_LABEL=$(human "$N")
M_LABEL=$(human "$M")
say "data: $N executions, $M messages ($R each), $C crons; chunks of $CHUNK executions"

# The crons, the same in every database: cron i is 'forbid' when i % 50 is
# 25, has max_runtime 3600 when i % 10 is 0.  The benchmark starts the
# 'allow' ones.
pg_crons_sql="INSERT INTO charon_cron (id, slug, name, active, created_at, concurrency, max_runtime)
SELECT i, 'bench-' || lpad(i::text, 4, '0'), 'Benchmark cron ' || i, TRUE,
       to_timestamp($NOW) - interval '400 days',
       CASE WHEN i % 50 = 25 THEN 'forbid' ELSE 'allow' END,
       CASE WHEN i % 10 = 0 THEN 3600 END
FROM generate_series(1, $C) i;
SELECT setval(pg_get_serial_sequence('charon_cron', 'id'), $C);"
sq_crons_sql="INSERT INTO charon_cron (id, slug, name, active, created_at, concurrency, max_runtime)
SELECT value, 'bench-' || printf('%04d', value), 'Benchmark cron ' || value, 1,
       strftime('%Y-%m-%d %H:%M:%f', $NOW, 'unixepoch', '-400 days'),
       CASE WHEN value % 50 = 25 THEN 'forbid' ELSE 'allow' END,
       CASE WHEN value % 10 = 0 THEN 3600 END
FROM generate_series(1, $C);"
my_crons_sql="INSERT INTO charon_cron (id, slug, name, active, created_at, concurrency, max_runtime)
SELECT seq, CONCAT('bench-', LPAD(seq, 4, '0')), CONCAT('Benchmark cron ', seq), TRUE,
       FROM_UNIXTIME($NOW) - INTERVAL 400 DAY,
       IF(seq % 50 = 25, 'forbid', 'allow'), IF(seq % 10 = 0, 3600, NULL)
FROM seq_1_to_$C;"

# The SQLite rows of executions A..B, as gen.c makes them (times with
# millisecond text, as the module writes them).
sq_chunk_sql() {
    local a=$1 b=$2
    cat <<EOF
INSERT INTO charon_execution (id, cron_id, started_at, ended_at, success, type,
                              api_key, remote_addr, forbid_overlap, lost_at)
SELECT i, cron, strftime('%Y-%m-%d %H:%M:%f', t, 'unixepoch'),
       CASE WHEN st IN (1, 2) THEN strftime('%Y-%m-%d %H:%M:%f', t + dur, 'unixepoch') END,
       CASE st WHEN 1 THEN 1 WHEN 2 THEN 0 END,
       CASE st WHEN 1 THEN 'success' WHEN 2 THEN 'error' END,
       'app-' || (i % 20), '10.0.' || (i % 4) || '.' || (i % 250),
       CASE WHEN cron % 50 = 25 AND (st <> 0 OR i > $N - $C) THEN 1 ELSE 0 END,
       CASE WHEN st = 3 THEN strftime('%Y-%m-%d %H:%M:%f', t + 3600, 'unixepoch') END
FROM (SELECT i, cron, t, dur,
             CASE WHEN (i > $N - $TAIL AND i % 2 = 0) OR t + dur > $NOW THEN 0
                  WHEN i % 1000 = 7 THEN 3 WHEN i % 20 = 3 THEN 2 ELSE 1 END AS st
      FROM (SELECT value AS i, (value - 1) % $C + 1 AS cron,
                   $NOW - 60.0 - 365.0 * 86400.0 * ($N - value) / $N AS t,
                   ((value * 7919) % 600 + 1) + (value % 1000) / 1000.0 AS dur
            FROM generate_series($a, $b)));
INSERT INTO charon_message (id, execution_id, type, message, created_at)
SELECT j, e,
       CASE j % 10 WHEN 0 THEN 'warning' WHEN 1 THEN 'error' WHEN 9 THEN 'success' ELSE 'info' END,
       printf('step %d: processed %d records', k + 1, (j * 31) % 9973),
       datetime(t + (CASE WHEN (e > $N - $TAIL AND e % 2 = 0) OR t + dur > $NOW
                               OR e % 1000 = 7 THEN 30.0 ELSE dur END) * k / $R, 'unixepoch')
FROM (SELECT j, e, k, $NOW - 60.0 - 365.0 * 86400.0 * ($N - e) / $N AS t,
             ((e * 7919) % 600 + 1) + (e % 1000) / 1000.0 AS dur
      FROM (SELECT value AS j, (value - 1) / $R + 1 AS e, (value - 1) % $R AS k
            FROM generate_series(($a - 1) * $R + 1, $b * $R)));
EOF
}

# ------------------------------------------------------------ databases ---

# db_setup DB: start the server, create both databases with the schema and
# the crons.
db_setup() {
    case $1 in
    pgsql)
        charon_pg_start "$work/pg" || return 1
        charon_pg_psql -d postgres -q -c 'CREATE DATABASE charon_empty' >/dev/null
        local d
        for d in charon charon_empty; do
            charon_pg_psql -d "$d" -q <"$top/sql/postgresql.sql" >/dev/null
            charon_pg_psql -d "$d" -q -c "$pg_crons_sql" >/dev/null
        done
        # No WAL for the load (the tables are truncated in its
        # transaction); back to replica before measuring.
        charon_pg_psql -q -c "ALTER SYSTEM SET wal_level = minimal" \
            -c "ALTER SYSTEM SET max_wal_senders = 0" >/dev/null
        charon_pg_restart
        ;;
    sqlite)
        mkdir -p "$work/sqlite"
        local f
        for f in empty big; do
            charon_sqlite_create "$work/sqlite/$f.db" "$top/sql/sqlite.sql" || return 1
            sqlite3 -bail "$work/sqlite/$f.db" "$sq_crons_sql"
        done
        ;;
    mysql)
        charon_my_start "$work/my" || return 1
        charon_my_sql -e "SET GLOBAL innodb_buffer_pool_size = 1073741824;
            CREATE DATABASE charon_empty CHARACTER SET utf8mb4;
            GRANT ALL ON charon_empty.* TO 'charon'@'127.0.0.1';"
        local d
        for d in charon charon_empty; do
            charon_my_sql "$d" <"$top/sql/mysql.sql"
            charon_my_sql "$d" -e "$my_crons_sql"
        done
        ;;
    esac
}

# db_load DB DEADLINE: load the big database, in chunks, until done or
# DEADLINE (Unix time) passes; writes "executions messages seconds" to
# $work/load-DB.res.  Runs in the background.
db_load() {
    local db=$1 deadline=$2 t0 t1 c a b ne nm
    t0=$(now)
    case $db in
    pgsql)
        # The secondary indexes of charon_execution that are neither
        # unique nor partial (charon_execution_cron: 10M inserts at 1000
        # places) are dropped for the load and built again, from their own
        # definition, at its end: a sorted build is several times faster.
        local rebuild
        rebuild=$(charon_pg_psql -At -c "SELECT pg_get_indexdef(indexrelid) || ';' FROM pg_index
            WHERE indrelid = 'charon_execution'::regclass AND NOT indisunique AND NOT indisprimary
              AND indpred IS NULL")
        {
            echo "SET session_replication_role = replica;"   # no FK triggers
            echo "SET maintenance_work_mem = '512MB';"
            echo "BEGIN;"
            echo "TRUNCATE charon_message, charon_execution;"
            charon_pg_psql -At -c "SELECT 'DROP INDEX ' || indexrelid::regclass || ';' FROM pg_index
                WHERE indrelid = 'charon_execution'::regclass AND NOT indisunique AND NOT indisprimary
                  AND indpred IS NULL"
            echo "SELECT true AS go \\gset"
            for ((c = 0; c < CHUNKS; c++)); do
                a=$((c * CHUNK + 1)); b=$(((c + 1) * CHUNK)); [ "$b" -le "$N" ] || b=$N
                [ "$a" -le "$b" ] || break
                printf '%s\n' "\\if :go"
                echo "COPY charon_execution (id, cron_id, started_at, ended_at, success, type, api_key, remote_addr, forbid_overlap, lost_at) FROM PROGRAM '$work/gen pg exec $N $R $C $a $b $NOW' WITH (FREEZE);"
                [ "$R" -gt 0 ] && echo "COPY charon_message (id, execution_id, type, message, created_at) FROM PROGRAM '$work/gen pg msg $N $R $C $a $b $NOW' WITH (FREEZE);"
                printf '%s\n' "\\echo chunk $((c + 1)) of $CHUNKS: executions up to $b"
                echo "SELECT clock_timestamp() < to_timestamp($deadline) AS go \\gset"
                printf '%s\n' "\\endif"
            done
            printf '%s\n' "\\echo rebuilding: $rebuild"
            printf '%s\n' "$rebuild"
            echo "COMMIT;"
        } >"$work/pg-load.sql"
        charon_pg_psql -q -f - <"$work/pg-load.sql" >"$logdir/pgsql-load.log" 2>&1 || return 1
        ne=$(charon_pg_psql -At -c "SELECT coalesce(max(id), 0) FROM charon_execution")
        nm=$(charon_pg_psql -At -c "SELECT coalesce(max(id), 0) FROM charon_message")
        ;;
    sqlite)
        local f="$work/sqlite/big.db" rebuild
        : >"$logdir/sqlite-load.log"
        # As for PostgreSQL: charon_execution_cron is built after the load.
        rebuild=$(sqlite3 "$f" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index'
            AND tbl_name = 'charon_execution' AND sql IS NOT NULL
            AND upper(sql) NOT LIKE '%UNIQUE%' AND upper(sql) NOT LIKE '% WHERE %'")
        sqlite3 "$f" "SELECT 'DROP INDEX ' || name || ';' FROM sqlite_master WHERE type = 'index'
            AND tbl_name = 'charon_execution' AND sql IS NOT NULL
            AND upper(sql) NOT LIKE '%UNIQUE%' AND upper(sql) NOT LIKE '% WHERE %'" | sqlite3 -bail "$f"
        for ((c = 0; c < CHUNKS; c++)); do
            a=$((c * CHUNK + 1)); b=$(((c + 1) * CHUNK)); [ "$b" -le "$N" ] || b=$N
            [ "$a" -le "$b" ] || break
            [ "$(date +%s)" -lt "$deadline" ] || break
            { echo "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;"
              echo "BEGIN;"; sq_chunk_sql "$a" "$b"; echo "COMMIT;"
            } | sqlite3 -bail "$f" >>"$logdir/sqlite-load.log" 2>&1 || return 1
            echo "chunk $((c + 1)) of $CHUNKS: executions up to $b" >>"$logdir/sqlite-load.log"
        done
        echo "rebuilding: $rebuild" >>"$logdir/sqlite-load.log"
        { echo "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000;"
          echo "$rebuild"
        } | sqlite3 -bail "$f" >>"$logdir/sqlite-load.log" 2>&1 || return 1
        sqlite3 "$f" "PRAGMA journal_mode = WAL" >/dev/null
        ne=$(sqlite3 "$f" "SELECT coalesce(max(id), 0) FROM charon_execution")
        nm=$(sqlite3 "$f" "SELECT coalesce(max(id), 0) FROM charon_message")
        ;;
    mysql)
        local cols_e="id, cron_id, started_at, ended_at, success, type, api_key, remote_addr, forbid_overlap, lost_at"
        local cols_m="id, execution_id, type, message, created_at"
        : >"$logdir/mysql-load.log"
        for ((c = 0; c < CHUNKS; c++)); do
            a=$((c * CHUNK + 1)); b=$(((c + 1) * CHUNK)); [ "$b" -le "$N" ] || b=$N
            [ "$a" -le "$b" ] || break
            [ "$(date +%s)" -lt "$deadline" ] || break
            "$work/gen" my exec "$N" "$R" "$C" "$a" "$b" "$NOW" |
                charon_my_sql --local-infile=1 charon -e "SET foreign_key_checks = 0; SET unique_checks = 0;
                    LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE charon_execution ($cols_e)" \
                    >>"$logdir/mysql-load.log" 2>&1 || return 1
            if [ "$R" -gt 0 ]; then
                "$work/gen" my msg "$N" "$R" "$C" "$a" "$b" "$NOW" |
                    charon_my_sql --local-infile=1 charon -e "SET foreign_key_checks = 0; SET unique_checks = 0;
                        LOAD DATA LOCAL INFILE '/dev/stdin' INTO TABLE charon_message ($cols_m)" \
                        >>"$logdir/mysql-load.log" 2>&1 || return 1
            fi
            echo "chunk $((c + 1)) of $CHUNKS: executions up to $b at $(date +%T)" >>"$logdir/mysql-load.log"
        done
        ne=$(charon_my_sql charon -N -B -e "SELECT coalesce(max(id), 0) FROM charon_execution")
        nm=$(charon_my_sql charon -N -B -e "SELECT coalesce(max(id), 0) FROM charon_message")
        ;;
    esac
    t1=$(now)
    echo "$ne $nm $(calc "$t1 - $t0")" >"$work/load-$db.res"
}

# db_post_load DB: what follows a load (sequences, statistics, ownership);
# prints the seconds it took.
db_post_load() {
    local t0 t1
    t0=$(now)
    case $1 in
    pgsql)
        charon_pg_psql -q -c "ALTER SYSTEM RESET wal_level" -c "ALTER SYSTEM RESET max_wal_senders" >/dev/null
        local kv
        for kv in ${CHARON_BIGT_PG_CONF:-}; do
            charon_pg_psql -q -c "ALTER SYSTEM SET ${kv%%=*} = '${kv#*=}'" >/dev/null
        done
        charon_pg_restart
        # COPY gave the ids: the identity sequences follow.  VACUUM: a
        # table in service has been vacuumed (and autovacuum would
        # otherwise start on 60M new rows during the measurement).
        charon_pg_psql -q -c "SELECT setval(pg_get_serial_sequence('charon_execution', 'id'), greatest(max(id), 1)) FROM charon_execution" \
            -c "SELECT setval(pg_get_serial_sequence('charon_message', 'id'), greatest(max(id), 1)) FROM charon_message" \
            -c "VACUUM (ANALYZE) charon_execution, charon_message, charon_cron" >/dev/null
        charon_pg_psql -d charon_empty -q -c "VACUUM (ANALYZE)" >/dev/null
        # PostgreSQL runs with fsync off: what it wrote is still in the
        # page cache, and the kernel would write it out during the
        # measurement.  Now, once.
        find "$CHARON_PG_DIR/data" -type f -print0 | xargs -0 -r sync
        ;;
    sqlite)
        if [ "$(id -u)" = 0 ]; then
            chown -R "$run_user:$run_group" "$work/sqlite"
        fi
        # The load ran with synchronous=OFF: the first checkpoint's fsync
        # would write out gigabytes in the middle of the measurement.
        sync "$work/sqlite"/*
        ;;
    mysql)
        charon_my_sql charon -e "ANALYZE TABLE charon_cron, charon_execution, charon_message" >/dev/null
        charon_my_sql charon_empty -e "ANALYZE TABLE charon_cron, charon_execution, charon_message" >/dev/null
        ;;
    esac
    t1=$(now)
    calc "$t1 - $t0"
}

# db_params DB SIZE: DBDriver and DBDParams of the httpd for the empty or
# the big database.
db_driver() { case $1 in pgsql) echo pgsql ;; mysql) echo mysql ;; sqlite) echo sqlite3 ;; esac; }
db_params() {
    case $1:$2 in
    pgsql:big)    echo "host=127.0.0.1 port=$CHARON_PG_PORT dbname=charon user=postgres connect_timeout=5" ;;
    pgsql:empty)  echo "host=127.0.0.1 port=$CHARON_PG_PORT dbname=charon_empty user=postgres connect_timeout=5" ;;
    mysql:big)    echo "$CHARON_MY_DBDPARAMS" ;;
    mysql:empty)  echo "${CHARON_MY_DBDPARAMS/dbname=charon /dbname=charon_empty }" ;;
    sqlite:*)     echo "$work/sqlite/$2.db" ;;
    esac
}

# db_query DB SIZE SQL: one value (or tab-separated row) from the database.
db_query() {
    case $1 in
    pgsql)
        local d=charon; [ "$2" = empty ] && d=charon_empty
        charon_pg_psql -d "$d" -At -F $'\t' -c "$3" ;;
    sqlite)
        as_run_user sqlite3 -batch -separator $'\t' -cmd '.timeout 10000' "$work/sqlite/$2.db" "$3" ;;
    mysql)
        local d=charon; [ "$2" = empty ] && d=charon_empty
        charon_my_sql "$d" -N -B -e "$3" ;;
    esac
}

# db_stop DB: stop the server once measured (its files go at exit:
# deleting gigabytes now would be I/O in the next database's measurement).
db_stop() {
    case $1 in
    pgsql) charon_pg_down fast >/dev/null 2>&1 || true
           cp "$CHARON_PG_LOG" "$logdir/pgsql-postgres.log" 2>/dev/null || true ;;
    mysql) charon_my_down shutdown >/dev/null 2>&1 || true
           cp "$CHARON_MY_LOG" "$logdir/mysql-mariadb.err" 2>/dev/null || true ;;
    esac
}

# ----------------------------------------------------------------- httpd ---

API_KEY=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# httpd_start DB SIZE: an httpd for that database; sets PORT_<SIZE>.
httpd_start() {
    local db=$1 size=$2 dir="$work/httpd-$1-$2" port user_lines="" init="" procs=2
    [ "$db" = sqlite ] && procs=$SQLITE_PROCS
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown "$run_user:$run_group" "$dir"
    port=$(charon_free_port)
    [ "$(id -u)" = 0 ] && user_lines="User $run_user
Group $run_group"
    [ "$db" = sqlite ] && init="DBDInitSQL \"PRAGMA synchronous = $SQLITE_SYNC\""
    cat >"$dir/httpd.conf" <<CONF
# Written by scripts/bench-bigtables.sh; thrown away after the run.
ServerRoot "$dir"
ServerName localhost
Listen 127.0.0.1:$port
PidFile "$dir/httpd.pid"
DefaultRuntimeDir "$dir"
ErrorLog "$dir/error_log"
LogLevel warn
$user_lines

LoadModule mpm_event_module  $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule dbd_module        $MODS/mod_dbd.so
LoadModule charon_module     "$work/mod_charon.so"

StartServers      $procs
ServerLimit       $procs
ThreadLimit       16
ThreadsPerChild   16
MaxRequestWorkers $((procs * 16))
MinSpareThreads   1
MaxSpareThreads   32
KeepAlive On
KeepAliveTimeout 10
MaxKeepAliveRequests 0
Timeout 20

DBDriver $(db_driver "$db")
DBDParams "$(db_params "$db" "$size")"
DBDMin 1
DBDKeep 8
DBDMax 8
DBDExptime 300
$init

<Location "/api/">
    SetHandler charon
    Require all granted
    CharonApiKey bench "$API_KEY"
</Location>
CONF
    httpd_confs+=("$dir/httpd.conf")
    "$HTTPD" -f "$dir/httpd.conf" -k start || { cat "$dir/error_log" >&2; return 1; }
    local n=100 code
    while [ $n -gt 0 ]; do
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' -H "X-API-KEY: $API_KEY" \
            "http://127.0.0.1:$port/api/bench-0001/can-start" || true)
        [ "$code" = 200 ] && break
        sleep 0.1; n=$((n - 1))
    done
    [ "$code" = 200 ] || { say "httpd for $db/$size answers $code"; tail -n 20 "$dir/error_log" >&2; return 1; }
    printf -v "PORT_$size" '%s' "$port"
}

httpd_stop() {
    local db=$1 size=$2 dir="$work/httpd-$1-$2"
    [ -f "$dir/httpd.conf" ] || return 0
    httpd_stop_conf "$dir/httpd.conf"
    cp "$dir/error_log" "$logdir/$db-$size-error_log" 2>/dev/null || true
}

# ------------------------------------------------------------------- wrk ---

cat >"$work/bench.lua" <<'EOF'
-- BT_MODE start: random 'allow' crons; message: executions BT_LO..BT_HI in
-- turn, round and round; end: each of them once, then the thread stops
-- (BT_CONNS ids are kept in reserve for the requests that may still go
-- out before it does).
local mode = os.getenv("BT_MODE")
local key = os.getenv("BT_KEY")
local crons = tonumber(os.getenv("BT_CRONS"))
local lo = tonumber(os.getenv("BT_LO") or "0")
local hi = tonumber(os.getenv("BT_HI") or "0")
local conns = tonumber(os.getenv("BT_CONNS") or "1")
local headers = { ["X-API-KEY"] = key, ["Content-Type"] = "application/json" }
local threads = {}
local nthreads = 0

function setup(thread)
    thread:set("tid", nthreads)
    nthreads = nthreads + 1
    table.insert(threads, thread)
end

local nextid, stride, n, stopping

function init(args)
    stride = 1
    nextid = lo + tid
    n = 0
    stopping = false
    math.randomseed(os.time() * 1000 + tid)
end

function request()
    n = n + 1
    if mode == "start" then
        local c
        repeat c = math.random(1, crons) until c % 50 ~= 25
        return wrk.format("POST", "/api/" .. c .. "/start", headers, "")
    end
    local id = nextid
    nextid = nextid + stride
    if mode == "message" then
        if nextid > hi then nextid = lo end
        return wrk.format("POST", "/api/" .. id .. "/message", headers,
            '{"message":"processed ' .. (n % 9973) .. ' records","type":"info"}')
    end
    if id > hi then
        overrun = (overrun or 0) + 1
        id = hi
    end
    return wrk.format("POST", "/api/" .. id .. "/end", headers,
        '{"message":"done","type":"success","success":true}')
end

function response(status, headers, body)
    if mode == "end" and not stopping and nextid > hi - conns then
        stopping = true
        wrk.thread:stop()
    end
end

function done(summary, latency, requests)
    local overruns = 0
    for _, t in ipairs(threads) do overruns = overruns + (t:get("overrun") or 0) end
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d non2xx=%d sockerr=%d overrun=%d p50=%.1f p99=%.1f mean=%.1f max=%.1f\n",
        summary.requests, e.status, e.connect + e.read + e.write + e.timeout, overruns,
        latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
EOF

# run_wrk DB SIZE MODE SECONDS [LO HI] [LABEL]: prints the RESULT fields
# "requests non2xx sockerr p50 p99 mean" (microseconds).
run_wrk() {
    local db=$1 size=$2 mode=$3 secs=$4 lo=${5:-0} hi=${6:-0} label=${7:-$3}
    local port_var="PORT_$size" out="$logdir/$db-$size-$label.txt"
    BT_MODE=$mode BT_KEY=$API_KEY BT_CRONS=$C BT_LO=$lo BT_HI=$hi BT_CONNS=$CONC \
        wrk -t1 -c"$CONC" -d"${secs}s" --timeout 10s -s "$work/bench.lua" \
        "http://127.0.0.1:${!port_var}/" >"$out" 2>&1 || true
    local res
    res=$(grep '^RESULT ' "$out" | tail -n 1)
    [ -n "$res" ] || { say "wrk printed no result for $db/$size/$label:"; cat "$out" >&2; echo "0 0 0 0 0 0"; return 1; }
    # shellcheck disable=SC2001
    echo "$res" | sed 's/RESULT requests=\([0-9]*\) non2xx=\([0-9]*\) sockerr=\([0-9]*\) overrun=\([0-9]*\) p50=\([0-9.]*\) p99=\([0-9.]*\) mean=\([0-9.]*\).*/\1 \2 \3 \4 \5 \6 \7/' |
        awk '{ print $1, $2 + $4, $3, $5, $6, $7 }'
}

# ---------------------------------------------------- the measurement ---

declare -A LOADED_E=() LOADED_M=() LOAD_S=() POST_S=()

# load_rows DB: the load's row.
load_rows() {
    local db=$1 ne=${LOADED_E[$1]} nm=${LOADED_M[$1]} s=${LOAD_S[$1]} budget=$2
    local per frac verdict fig
    per=$(calc "($ne + $nm) > 0 ? $s / (($ne + $nm) / 1e6) : 0")
    frac=$(calc "($ne + $nm) / ($N + $M)")
    local after=""
    case $db in
        pgsql) after="; then $(fmt %.0f "${POST_S[$db]}") s to restart with wal_level=replica and VACUUM ANALYZE" ;;
        mysql) after="; then $(fmt %.0f "${POST_S[$db]}") s of ANALYZE TABLE" ;;
    esac
    fig="$ne executions + $nm messages in $(fmt %.0f "$s") s ($(fmt %.2f "$per") s per million rows$after)"
    if [ "$ne" = "$N" ] && [ "$nm" = "$M" ]; then
        verdict=ok
    else
        verdict=below
        fig="SHORT: $fig; the whole would take about $(fmt %.0f "$(calc "$per * ($N + $M) / 1e6")") s"
        say "$db: loaded $ne of $N executions and $nm of $M messages within the budget of $budget s"
    fi
    row "big tables: load $N_LABEL executions + $M_LABEL messages" "$db" "$fig" \
        "$N + $M rows within $budget s" "$(fmt %.2f "$frac")" "all rows within the budget" "$verdict"
}

# measure DB: the latency rows, empty against big, endpoint by endpoint,
# in CHARON_BIGT_ROUNDS rounds (empty first in odd rounds, big first in
# even ones); each figure is the median of the rounds' figures.
measure() {
    local db=$1 size ep r lo hi cnt sizes_label round order
    declare -A res=() range_lo=() range_hi=() base=()
    base[empty]=0
    base[big]=${LOADED_E[$db]}
    sizes_label="$(human "${LOADED_E[$db]}") exec/$(human "${LOADED_M[$db]}") msg"
    for size in empty big; do
        httpd_start "$db" "$size" || return 1
    done
    for size in empty big; do
        run_wrk "$db" "$size" start "$WARM" 0 0 warmup >/dev/null || true
    done
    for ((round = 1; round <= ROUNDS; round++)); do
        order="empty big"
        [ $((round % 2)) = 0 ] && order="big empty"
        for ep in start message end; do
            for size in $order; do
                if [ "$ep" = start ]; then
                    r=$(run_wrk "$db" "$size" start "$SECS" 0 0 "start-$round") || failed=1
                else
                    r=$(run_wrk "$db" "$size" "$ep" "$SECS" "${range_lo[$size]}" "${range_hi[$size]}" "$ep-$round") || failed=1
                fi
                res[$ep:$size:$round]=$r
                say "$db $size $ep (round $round): $(echo "$r" | awk '{ printf "%d requests, %d non-2xx, %d socket errors, p50 %.2f ms, p99 %.2f ms, mean %.2f ms", $1, $2, $3, $4 / 1000, $5 / 1000, $6 / 1000 }')"
                if [ "$ep" = start ]; then
                    # The executions created so far and not ended: ids
                    # above what was loaded (and above the last round's).
                    read -r lo hi cnt <<<"$(db_query "$db" "$size" "SELECT min(id), max(id), count(*) FROM charon_execution WHERE id > ${base[$size]}")"
                    if [ -z "$lo" ] || [ "$cnt" -lt 1 ]; then
                        say "$db $size: the start phase created no execution"; failed=1; lo=1 hi=1
                    elif [ "$cnt" != $((hi - lo + 1)) ]; then
                        say "$db $size: the new executions are not contiguous ($cnt between $lo and $hi)"
                    fi
                    range_lo[$size]=$lo range_hi[$size]=$hi
                fi
            done
        done
        # The next round's executions come after these.
        for size in empty big; do base[$size]=${range_hi[$size]}; done
    done
    for size in empty big; do httpd_stop "$db" "$size"; done

    local i k name e b ratio verdict fig bad nreq
    for ep in start message end; do
        for i in 1 2 3; do
            case $i in 1) name=p50 ;; 2) name=p99 ;; 3) name=mean ;; esac
            k=$((i + 3))
            e=$(for ((round = 1; round <= ROUNDS; round++)); do echo "${res[$ep:empty:$round]}"; done |
                awk -v k=$k '{ print $k / 1000 }' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
            b=$(for ((round = 1; round <= ROUNDS; round++)); do echo "${res[$ep:big:$round]}"; done |
                awk -v k=$k '{ print $k / 1000 }' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
            ratio=$(calc "$e > 0 ? $b / $e : 0")
            verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r > 0 && r <= t) ? "ok" : "below" }')
            fig="$(fmt %.3f "$b") ms"
            [ "$ROUNDS" -gt 1 ] && fig="$fig (median of $ROUNDS rounds)"
            # Answers other than 2xx make a figure worthless.
            bad=0 nreq=1
            for ((round = 1; round <= ROUNDS; round++)); do
                bad=$((bad + $(echo "${res[$ep:empty:$round]} ${res[$ep:big:$round]}" | awk '{ print $2 + $3 + $8 + $9 }')))
                [ "$(echo "${res[$ep:big:$round]}" | awk '{ print $1 }')" = 0 ] && nreq=0
            done
            if [ "$bad" != 0 ] || [ "$nreq" = 0 ]; then
                verdict=ERROR; failed=1
                fig="$fig ($bad non-2xx or socket errors)"
            fi
            row "big tables: $ep $name latency, c$CONC, $sizes_label vs empty" "$db" \
                "$fig" "$(fmt %.3f "$e") ms" "$(fmt %.2f "$ratio")" "<= $TARGET" "$verdict"
        done
    done
}

# ------------------------------------------------------------ the plans ---

# stmt_values NAME: the statement's arguments, |-separated, in placeholder
# order; empty when unknown (dummy values are used then, and the plan is
# not executed).
MID=1 RUN=1 CRON_ALLOW=500 CRON_FORBID=25
stmt_values() {
    case $1 in
        ST_CRON_BY_SLUG) echo "bench-$(printf %04d $CRON_FORBID)" ;;
        ST_CRON_BY_ID) echo "$CRON_FORBID" ;;
        ST_EXECUTION_SLUG|ST_EXECUTION_ENDED) echo "$MID" ;;
        ST_START) echo "bench|127.0.0.1|$CRON_ALLOW" ;;
        ST_LOSE_OVERDUE|ST_REFUSED_INACTIVE) echo "$CRON_ALLOW" ;;
        ST_REFUSED_LOCKED) echo "$CRON_FORBID" ;;
        ST_END) echo "1|success|$RUN" ;;
        ST_END_LOST) echo "$RUN" ;;
        ST_END_WITH_MESSAGE) echo "1|success|$RUN|success|done" ;;
        ST_MESSAGE) echo "info|processed 42 records|$MID" ;;
        ST_END_MESSAGE) echo "success|done|$RUN" ;;
        ST_IDEM_GET) echo "86400|bench|bt-key-1" ;;
        ST_IDEM_EXPIRE) echo "bench|bt-key-1|86400" ;;
        ST_IDEM_PUT) echo "bench|bt-key-1|$(printf '%064d' 0)|200|{\"id\":1}" ;;
        ST_WD_LOSE|ST_WD_REOPEN) echo "" ;;
        ST_WD_IDEM_PURGE) echo "86400" ;;
        ST_WD_NEXT_CRON) echo "0" ;;
        *) echo "?" ;;
    esac
}

# args_for NAME SQL: the values to run it with, "|"-separated, or "?" when
# they are not known or do not match its placeholders.
args_for() {
    local v n
    v=$(stmt_values "$1")
    n=$(placeholders "$2" | wc -l)
    [ "$1" = ST_WD_RETENTION ] && v=$(retention_values "$n" "$CRON_ALLOW" "$KEEP" "$MAX_AGE")
    if [ "$v" = "?" ]; then echo "?"; return; fi
    if [ -z "$v" ]; then [ "$n" = 0 ] && echo "" || echo "?"; return; fi
    [ "$(echo "$v" | awk -F'|' '{ print NF }')" = "$n" ] && echo "$v" || echo "?"
}

# pg_prepare LABEL SQL: "PREPARE LABEL(types) AS sql" (placeholders to $n).
pg_prepare() {
    printf '%s' "$2" | perl -e '
        my ($label) = @ARGV; local $/; my $s = <STDIN>; my ($n, @t) = (0);
        $s =~ s/%(%|lld|d|s)/$1 eq "%" ? "%" : do {
            push @t, { s => "varchar", d => "int4", lld => "int8" }->{$1}; "\$" . ++$n }/ge;
        print "PREPARE $label", (@t ? "(" . join(", ", @t) . ")" : ""), " AS $s;\n";' "$1"
}
# sql_args VALUES: "('a', 'b')" from "a|b" (each a quoted literal), or "".
sql_args() {
    [ -n "$1" ] || return 0
    printf '%s' "$1" | perl -e 'local $/; my $v = <STDIN>;
        print "(", join(", ", map { (my $x = $_) =~ s/\x27/\x27\x27/g; "\x27$x\x27" } split /\|/, $v, -1), ")";'
}
# literal_sql SQL VALUES: the statement with its placeholders replaced by
# the values as literals (SQLite, MariaDB).
literal_sql() {
    perl -e 'my ($s, $v) = @ARGV; my @v = split /\|/, $v, -1;
        sub lit { my ($type, $x) = @_; $x = "1" unless defined $x;
                  return $x if $type ne "s"; $x =~ s/\x27/\x27\x27/g; return "\x27$x\x27" }
        $s =~ s{%(%|lld|d|s)}{$1 eq "%" ? "%" : lit($1, shift @v)}ge;
        print $s;' "$1" "$2"
}

# The parser of the plans: per statement (marked "=== NAME" on the request
# path, "### NAME" for the watchdog's), the full scans of tables, the
# indexes used, the execution time; tab-separated, with "hot" or "wd".
# Full scans of charon_idempotency are not counted on the request path:
# the table is empty in this benchmark, and a planner may scan an empty
# table rather than use its key.
cat >"$work/plans.pl" <<'EOF'
use strict; use warnings;
my ($db, $file) = @ARGV;
my ($st, @order, %cat, %err, %scan, %idx, %t, %sub);
open my $fh, "<", $file or die "$file: $!";
while (<$fh>) {
    chomp;
    if (/^(===|###) (\S+)/) { $st = $2; $cat{$st} = $1 eq "===" ? "hot" : "wd"; push @order, $st; next }
    next unless defined $st;
    $err{$st} = 1 if /\bERROR\b|^Error|Parse error/;
    if ($db eq "pgsql") {
        $scan{$st}{$1} = 1 if /Seq Scan on (charon_\w+)/;
        $idx{$st}{$1} = 1 if /(?:Index Scan|Index Only Scan)(?: Backward)? using (\w+)/ || /Bitmap Index Scan on (\w+)/;
        $t{$st} = $1 if /Execution Time: ([\d.]+)/;
    } elsif ($db eq "sqlite") {
        # a subquery's result (MATERIALIZE, CO-ROUTINE) is no table
        $sub{$st}{$1} = 1 if /(?:MATERIALIZE|CO-ROUTINE) (\S+)/;
        # SCAN x USING INDEX i: every entry of index i (here the partial
        # index of the open runs): listed with the indexes
        if (/\bSCAN (\S+) USING (?:COVERING )?INDEX (\w+)/) { $idx{$st}{"$2 (all of it)"} = 1 }
        elsif (/\bSCAN (?!CONSTANT)(\S+)/ && !$sub{$st}{$1}) { $scan{$st}{$1} = 1 }
        $idx{$st}{$1} = 1 if /SEARCH \S+ USING (?:COVERING )?INDEX (\w+)/;
        $idx{$st}{"rowid"} = 1 if /SEARCH \S+ USING INTEGER PRIMARY KEY/;
    } else {
        my @f = split /\t/;
        next if @f < 10 || $f[0] eq "id" || $f[1] eq "INSERT";
        $scan{$st}{"$f[2]($f[3])"} = 1 if ($f[3] eq "ALL" || $f[3] eq "index") && $f[2] =~ /^charon_|^[a-z]$/;
        $idx{$st}{$f[5]} = 1 if $f[5] ne "NULL" && $f[5] ne "";
    }
}
for my $s (@order) {
    my @q = sort grep { $cat{$s} eq "wd" || !/idempotency/ } keys %{$scan{$s} || {}};
    my @i = sort keys %{$idx{$s} || {}};
    printf "%s\t%s\t%s\t%s\t%s\t%s\n", $s, (@q ? join(",", @q) : "-"), (@i ? join(",", @i) : "-"),
        ($t{$s} // "-"), ($err{$s} ? "error" : "ok"), $cat{$s};
}
EOF

# plans DB: the hot path's plans on the big tables: a row, the plans in
# the log directory (and on stderr with --explain).
plans() {
    local db=$1 name sql vals lbl bad="" n=0 summary=""
    local out="$logdir/$db-plans.txt"
    : >"$out"
    case $db in
    pgsql)
        {
            printf '%s\n' '\pset pager off'
            for name in $(hot_names pgsql); do
                sql=$(sql_of pgsql "$name")
                vals=$(args_for "$name" "$sql")
                printf '%s\n' "\\echo '=== $name'"
                lbl="p_$(echo "$name" | tr '[:upper:]' '[:lower:]')"
                pg_prepare "$lbl" "$sql"
                if [ "$vals" = "?" ]; then
                    # Unknown arguments: the generic plan only, not run.
                    vals=$(placeholders "$sql" | awk '{ printf "%s%s", (NR > 1 ? "|" : ""), ($1 == "s" ? "x" : "1") }')
                    printf '%s\n' "\\echo '--- generic (dummy arguments, not run)'"
                    echo "SET plan_cache_mode = force_generic_plan;"
                    echo "EXPLAIN (COSTS OFF) EXECUTE $lbl$(sql_args "$vals");"
                else
                    printf '%s\n' "\\echo '--- custom'"
                    echo "SET plan_cache_mode = force_custom_plan;"
                    echo "BEGIN;"
                    echo "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE $lbl$(sql_args "$vals");"
                    echo "ROLLBACK;"
                    printf '%s\n' "\\echo '--- generic'"
                    echo "SET plan_cache_mode = force_generic_plan;"
                    echo "EXPLAIN (COSTS OFF) EXECUTE $lbl$(sql_args "$vals");"
                fi
                echo "RESET plan_cache_mode;"
                echo "DEALLOCATE $lbl;"
            done
            # The watchdog's statements, for the record (not judged here:
            # see the watchdog rows).
            for name in $(wd_names pgsql); do
                sql=$(sql_of pgsql "$name")
                vals=$(args_for "$name" "$sql")
                [ "$vals" = "?" ] && continue
                lbl="w_$(echo "$name" | tr '[:upper:]' '[:lower:]')"
                printf '%s\n' "\\echo '### $name (watchdog)'"
                pg_prepare "$lbl" "$sql"
                echo "EXPLAIN (COSTS OFF) EXECUTE $lbl$(sql_args "$vals");"
                echo "DEALLOCATE $lbl;"
            done
        } >"$work/pg-plans.sql"
        charon_pg_psql -v ON_ERROR_STOP=0 -f - <"$work/pg-plans.sql" >"$out" 2>&1 || true
        # Per statement: the scans of the big tables that are not index
        # scans, and the indexes used.
        summary=$(perl "$work/plans.pl" pgsql "$out")
        ;;
    sqlite)
        local f="$work/sqlite/big.db"
        for name in $(hot_names sqlite3) $(wd_names sqlite3); do
            sql=$(sql_of sqlite3 "$name" | perl -pe 's/%(%|lld|d|s)/$1 eq "%" ? "%" : "?"/ge')
            {
                case $name in
                    ST_WD_*) echo "### $name (watchdog)" ;;
                    *) echo "=== $name" ;;
                esac
                as_run_user sqlite3 -batch "$f" "EXPLAIN QUERY PLAN $sql" 2>&1 || echo "ERROR"
            } >>"$out"
        done
        summary=$(perl "$work/plans.pl" sqlite "$out")
        ;;
    mysql)
        for name in $(hot_names mysql) $(wd_names mysql); do
            sql=$(sql_of mysql "$name")
            vals=$(args_for "$name" "$sql")
            [ "$vals" = "?" ] && vals=$(placeholders "$sql" | awk '{ printf "%s%s", (NR > 1 ? "|" : ""), "1" }')
            {
                case $name in
                    ST_WD_*) echo "### $name (watchdog)" ;;
                    *) echo "=== $name" ;;
                esac
                charon_my_sql charon -B -e "EXPLAIN $(literal_sql "$sql" "$vals")" 2>&1 || echo "ERROR"
            } >>"$out"
        done
        summary=$(perl "$work/plans.pl" mysql "$out")
        ;;
    esac
    printf '%s\n' "$summary" >"$logdir/$db-plans-summary.txt"
    [ "$explain" = 1 ] && { say "plans on $db ($out):"; cat "$out" >&2; }
    say "$db plans (statement, full scans, indexes, ms):"
    printf '%s\n' "$summary" | awk -F'\t' '{ printf "    %-20s %-4s scans: %-28s indexes: %s%s%s\n", $1, $6, $2, $3, ($4 != "-" ? "  " $4 " ms" : ""), ($5 == "error" ? "  (error)" : "") }' >&2
    local s sc er cat wdbad="" nwd=0 sizes
    sizes="$(human "${LOADED_E[$db]}") exec/$(human "${LOADED_M[$db]}") msg"
    while IFS=$'\t' read -r s sc _ _ er cat; do
        [ -n "$s" ] || continue
        if [ "$cat" = wd ]; then
            nwd=$((nwd + 1))
            [ "$er" = error ] && sc="${sc/#-/} (error)"
            [ "$sc" != "-" ] && wdbad="$wdbad${wdbad:+; }$s: $sc"
            continue
        fi
        n=$((n + 1))
        [ "$er" = error ] && sc="${sc/#-/} (error)"
        [ "$sc" != "-" ] && bad="$bad${bad:+; }$s: $sc"
    done <<<"$summary"
    if [ -z "$bad" ]; then
        row "big tables: hot-path plans on $sizes" "$db" \
            "all $n statements are index lookups" "-" "-" "index lookups only" ok
    else
        row "big tables: hot-path plans on $sizes" "$db" \
            "not index lookups: $bad (of $n statements)" "-" "-" "index lookups only" below
    fi
    if [ "$nwd" -gt 0 ] && [ -n "$wdbad" ]; then
        row "big tables: watchdog plans on $sizes" "$db" \
            "full scans of tables: $wdbad (charon_cron holds $C rows; charon_idempotency is empty here)" "-" "-" "-" report
    elif [ "$nwd" -gt 0 ]; then
        row "big tables: watchdog plans on $sizes" "$db" \
            "no full scan of a table in the $nwd statements" "-" "-" "-" report
    fi
}

# ---------------------------------------------------- watchdog statements ---

# The retention arguments: one cron (current form: cron, keep, keep,
# max-age, max-age, keep-failures) or the whole table (before 8ab1b9f:
# keep, keep, max-age, max-age, keep-failures).
retention_values() {   # retention_values NPLACEHOLDERS CRON KEEP MAXAGE
    case $1 in
        6) echo "$2|$3|$3|$4|$4|$KEEP_FAILURES" ;;
        5) echo "$3|$3|$4|$4|$KEEP_FAILURES" ;;
        *) echo "?" ;;
    esac
}

# stats MS...: "median max count" of the times.
stats() {
    printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
        if (NR == 0) { print "0 0 0"; exit }
        m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
        print m, a[NR], NR }'
}

# The timer for SQLite and MariaDB (Perl DBI, prepared statements, the
# same transactions as below): lines "label ms rows".
cat >"$work/wdtime.pl" <<'EOF'
use strict; use warnings;
use DBI; use Time::HiRes qw(time);
my ($dsn, $user, $pass, $batches, @specs) = @ARGV;
my $dbh = DBI->connect($dsn, $user, $pass, { RaiseError => 1, AutoCommit => 1, PrintError => 0 });
if ($dsn =~ /^dbi:SQLite/) {
    $dbh->do("PRAGMA foreign_keys = ON");
    $dbh->sqlite_busy_timeout(10000);
}
for my $spec (@specs) {
    my ($label, $sql, @args) = split /\x1f/, $spec, -1;
    my $sth = $dbh->prepare($sql);
    my $run = sub {
        my $t0 = time;
        my $n = $sth->execute(@args);
        my $ms = (time - $t0) * 1000;
        $n = 0 if !defined $n || $n eq "0E0" || $n < 0;
        printf "%s %.3f %d\n", $label, $ms, $n;
        return $n;
    };
    if ($label eq "backlog") {
        # One cron, batch after batch, as the watchdog does in a tick.
        $dbh->begin_work;
        for (1 .. $batches) { last if $run->() < 1000 }
        $dbh->rollback;
    } elsif ($label eq "lose") {
        for (1 .. 5) { $dbh->begin_work; $run->(); $dbh->rollback }
    } else {
        $dbh->begin_work; $run->(); $dbh->rollback;
    }
}
EOF

# watchdog DB: times of the watchdog's statements on the big tables, each
# in a transaction that is rolled back: ST_WD_LOSE (one batch of lost
# runs), ST_WD_RETENTION on one cron with a backlog (batch after batch, as
# a tick does, until one deletes less than 1000), and on one cron with
# nothing to delete.
watchdog() {
    local db=$1 out="$logdir/$1-watchdog.txt" drv lose ret nret cron=$CRON_ALLOW
    drv=$(db_driver "$db")
    lose=$(sql_of "$drv" ST_WD_LOSE)
    ret=$(sql_of "$drv" ST_WD_RETENTION)
    nret=$(placeholders "$ret" | wc -l)
    local backlog steady
    backlog=$(retention_values "$nret" "$cron" "$KEEP" "$MAX_AGE")
    # Nothing to delete, everything ranked (keep beyond the cron's runs,
    # max-age off), on the crons after it, each once, as a tick walks them:
    # a tick's worth (RETENTION_CRONS), 5 on MariaDB, whose statements
    # take seconds.
    local steady_n=${RET_CRONS:-100} c steady_list=()
    [ "$db" = mysql ] && steady_n=5
    [ "$nret" = 5 ] && steady_n=3
    for ((c = cron + 1; c <= cron + steady_n && c <= C; c++)); do
        steady_list+=("$(retention_values "$nret" "$c" 100000000 0)")
    done
    steady=${steady_list[0]:-?}
    local sizes
    sizes="$(human "${LOADED_E[$db]}") exec/$(human "${LOADED_M[$db]}") msg"
    local ret_label="keep=$KEEP max-age=$((MAX_AGE / 86400))d keep-failures=$KEEP_FAILURES"
    local tmo ref
    tmo=$(awk -F'\t' -v d="$drv" '$1 == d && $3 == "INIT" && /statement_timeout/ { print $4 }' "$work/statements.tsv" |
          sed -n "s/.*statement_timeout *= *'\([^']*\)'.*/\1/p" | head -n 1)
    ref="${tmo:+statement_timeout $tmo}"; ref=${ref:--}
    [ "$db" = sqlite ] && ref="holds the write lock"
    : >"$out"
    local times="" has_lose=0
    # Statements renamed or changed since this was written are left out
    # (with a row saying so), not failed.
    if [ -n "$lose" ] && [ "$(placeholders "$lose" | wc -l)" = 0 ]; then
        has_lose=1
    else
        row "big tables: watchdog ST_WD_LOSE" "$db" "n/a (not found, or it now takes arguments)" "-" "-" "-" report
    fi
    case $db in
    pgsql)
        {
            printf '%s\n' '\pset pager off'
            printf '%s\n' '\timing on'
            if [ "$has_lose" = 1 ]; then
                pg_prepare wd_lose "$lose"
                for _ in 1 2 3 4 5; do echo "BEGIN;"; printf '%s\n' "\\echo '=== lose'"; echo "EXECUTE wd_lose;"; echo "ROLLBACK;"; done
            fi
            if [ "$backlog" != "?" ]; then
                pg_prepare wd_ret "$ret"
                echo "BEGIN;"
                for _ in $(seq 1 "${RET_BATCHES:-10}"); do
                    printf '%s\n' "\\echo '=== backlog'"; echo "EXECUTE wd_ret$(sql_args "$backlog");"
                done
                echo "ROLLBACK;"
                for steady in "${steady_list[@]}"; do
                    echo "BEGIN;"; printf '%s\n' "\\echo '=== steady'"; echo "EXECUTE wd_ret$(sql_args "$steady");"; echo "ROLLBACK;"
                done
                printf '%s\n' "\\timing off"
                printf '%s\n' "\\echo '--- plan of one retention batch'"
                echo "BEGIN;"
                echo "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE wd_ret$(sql_args "$backlog");"
                echo "ROLLBACK;"
            fi
            if [ "$has_lose" = 1 ]; then
                printf '%s\n' "\\timing off"
                printf '%s\n' "\\echo '--- plan of ST_WD_LOSE'"
                echo "BEGIN;"
                echo "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE wd_lose;"
                echo "ROLLBACK;"
            fi
        } >"$work/pg-wd.sql"
        charon_pg_psql -v ON_ERROR_STOP=0 -f - <"$work/pg-wd.sql" >"$out" 2>&1 || true
        # "label ms rows", the backlog cut after its first short batch
        times=$(perl -ne '
            if (/^=== (\w+)/) { $w = $1; $pend = 1; $n = 0; next }
            next unless $pend;
            if (/^(?:UPDATE|DELETE) (\d+)/) { $n = $1; next }
            if (/^Time: ([\d.]+) ms/) {
                $pend = 0;
                next if $w eq "backlog" && $cut;
                print "$w $1 $n\n";
                $cut = 1 if $w eq "backlog" && $n < 1000;
                next;
            }
            if (/ERROR/) { print "$w error 0\n"; $pend = 0 }' "$out")
        ;;
    sqlite|mysql)
        local dsn user="" pass=""
        if [ "$db" = sqlite ]; then
            dsn="dbi:SQLite:dbname=$work/sqlite/big.db"
        else
            local drvname=MariaDB
            perl -MDBD::MariaDB -e1 2>/dev/null || drvname=mysql
            dsn="dbi:$drvname:database=charon;host=127.0.0.1;port=$CHARON_MY_PORT"
            user=$CHARON_MY_USER pass=$CHARON_MY_PASS
        fi
        local lq rq
        lq=$(printf '%s' "$lose" | perl -pe 's/%(%|lld|d|s)/$1 eq "%" ? "%" : "?"/ge')
        rq=$(printf '%s' "$ret" | perl -pe 's/%(%|lld|d|s)/$1 eq "%" ? "%" : "?"/ge')
        local specs=()
        [ "$has_lose" = 1 ] && specs+=("lose"$'\x1f'"$lq")
        if [ "$backlog" != "?" ]; then
            specs+=("backlog"$'\x1f'"$rq"$'\x1f'"${backlog//|/$'\x1f'}")
            for steady in "${steady_list[@]}"; do
                specs+=("steady"$'\x1f'"$rq"$'\x1f'"${steady//|/$'\x1f'}")
            done
        fi
        if [ "$db" = sqlite ]; then
            as_run_user perl "$work/wdtime.pl" "$dsn" "$user" "$pass" "${RET_BATCHES:-10}" "${specs[@]}" >"$out" 2>&1 || true
        else
            perl "$work/wdtime.pl" "$dsn" "$user" "$pass" "${RET_BATCHES:-10}" "${specs[@]}" >"$out" 2>&1 || true
        fi
        times=$(grep -E '^(lose|backlog|steady) [0-9.]+ [0-9]+$' "$out" || true)
        if grep -qvE '^(lose|backlog|steady) [0-9.]+ [0-9]+$' "$out"; then
            times="$times"$'\n'"error error 0"
        fi
        ;;
    *)
        row "big tables: watchdog statements" "$db" "n/a (not timed on $db)" "-" "-" "-" report
        return 0
        ;;
    esac
    [ "$explain" = 1 ] && { say "watchdog statements on $db ($out):"; cat "$out" >&2; }
    if echo "$times" | grep -q ' error '; then
        say "$db: a watchdog statement failed; see $out"
        row "big tables: watchdog statements, $sizes" "$db" "n/a (error: see $out)" "-" "-" "-" report
        failed=1
        return 0
    fi
    local w ts med mx cnt rows_del est
    for w in lose backlog steady; do
        ts=$(echo "$times" | awk -v w=$w '$1 == w { print $2 }')
        [ -n "$ts" ] || continue
        # shellcheck disable=SC2086
        read -r med mx cnt <<<"$(stats $ts)"
        rows_del=$(echo "$times" | awk -v w=$w '$1 == w { s += $3 } END { print s + 0 }')
        case $w in
        lose)
            row "big tables: watchdog ST_WD_LOSE (lost runs, one batch), $sizes" "$db" \
                "$(fmt %.3f "$med") ms (median of $cnt, max $(fmt %.3f "$mx") ms; $rows_del rows marked)" "$ref" "-" "report" report ;;
        backlog)
            est=""
            if [ -n "$RET_CRONS" ] && [ "$nret" = 6 ]; then
                # A tick does this for $RET_CRONS crons: the batches of
                # this one, times that.
                local total
                total=$(echo "$times" | awk '$1 == "backlog" { s += $2 } END { print s + 0 }')
                est="; this cron's $cnt batches took $(fmt %.0f "$total") ms: a tick of $RET_CRONS such crons about $(fmt %.1f "$(calc "$total * $RET_CRONS / 1000")") s"
            fi
            [ "$nret" = 5 ] && est="; ranks the whole table"
            row "big tables: watchdog ST_WD_RETENTION ($ret_label), a cron with a backlog: one batch (up to 1000 executions and their messages deleted), $sizes" "$db" \
                "$(fmt %.2f "$med") ms (median of $cnt batches, max $(fmt %.2f "$mx") ms; $rows_del executions deleted$est)" "$ref" "-" "report" report ;;
        steady)
            local total
            total=$(echo "$times" | awk '$1 == "steady" { s += $2 } END { print s + 0 }')
            est="; these $cnt crons took $(fmt %.2f "$(calc "$total / 1000")") s in all"
            if [ -n "$RET_CRONS" ] && [ "$nret" = 6 ] && [ "$cnt" != "$RET_CRONS" ]; then
                est="$est: a tick of $RET_CRONS crons about $(fmt %.1f "$(calc "$med * $RET_CRONS / 1000")") s"
            elif [ -n "$RET_CRONS" ] && [ "$nret" = 6 ]; then
                est="$est (a tick's worth)"
            fi
            row "big tables: watchdog ST_WD_RETENTION, crons with nothing to delete (each ranks all its ~$(( ${LOADED_E[$db]} / C )) runs, each cron once), $sizes" "$db" \
                "$(fmt %.2f "$med") ms per cron (median of $cnt, max $(fmt %.2f "$mx") ms$est)" "$ref" "-" "report" report ;;
        esac
    done
    if [ "$backlog" = "?" ]; then
        row "big tables: watchdog ST_WD_RETENTION, $sizes" "$db" "n/a (its $nret placeholders are not a known form)" "-" "-" "-" report
    fi
}

# ----------------------------------------------------------------- main ---

t_all=$(now)
dbs=()
for d in "${named[@]}"; do
    if [ "$d" = mysql ] && [ "$with_mysql" != 1 ]; then
        row "big tables: $N_LABEL executions + $M_LABEL messages" mysql \
            "not measured (MariaDB only with --mysql: its load is slow)" "-" "-" "<= $TARGET" report
        continue
    fi
    printf '%s\n' "${dbs[@]}" | grep -qx "$d" || dbs+=("$d")
done
[ ${#dbs[@]} -gt 0 ] || exit 0

# PostgreSQL and SQLite load side by side; MariaDB on its own, after them.
groups=()
fast=()
for d in "${dbs[@]}"; do [ "$d" = mysql ] || fast+=("$d"); done
[ ${#fast[@]} -gt 0 ] && groups+=("${fast[*]}")
printf '%s\n' "${dbs[@]}" | grep -qx mysql && groups+=(mysql)

for group in "${groups[@]}"; do
    # shellcheck disable=SC2206
    gdbs=($group)
    budget=$BUDGET
    [ "$group" = mysql ] && budget=$MY_BUDGET
    for d in "${gdbs[@]}"; do
        say "$d: setting up (server, schema, $C crons)"
        db_setup "$d" || die "$d: setup failed"
    done
    say "loading ${gdbs[*]} (budget $budget s, load average $(cut -d' ' -f1-3 /proc/loadavg))"
    deadline=$(( $(date +%s) + budget ))
    pids=()
    for d in "${gdbs[@]}"; do
        db_load "$d" "$deadline" >"$logdir/$d-load.out" 2>&1 &
        pids+=($!); bg_pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { cat "$logdir/${gdbs[$i]}-load.out" >&2; die "${gdbs[$i]}: load failed (see $logdir)"; }
    done
    bg_pids=()
    for d in "${gdbs[@]}"; do
        read -r "LOADED_E[$d]" "LOADED_M[$d]" "LOAD_S[$d]" <"$work/load-$d.res"
        POST_S[$d]=$(db_post_load "$d")
        say "$d: loaded ${LOADED_E[$d]} executions and ${LOADED_M[$d]} messages in $(fmt %.0f "${LOAD_S[$d]}") s (+ $(fmt %.0f "${POST_S[$d]}") s after)"
        load_rows "$d" "$budget"
    done
    # Called beside the benchmark's soak: measure only once it is over.
    if [ -n "${CHARON_BIGT_WAIT_FOR:-}" ] && [ ! -e "$CHARON_BIGT_WAIT_FOR" ]; then
        say "loaded; waiting for $CHARON_BIGT_WAIT_FOR before measuring"
        waited=0
        while [ ! -e "$CHARON_BIGT_WAIT_FOR" ] && [ "$waited" -lt 3600 ]; do
            sleep 1; waited=$((waited + 1))
        done
    fi
    for d in "${gdbs[@]}"; do
        # A loaded execution in the middle of the table, and the newest
        # loaded one (running when the whole table was loaded).
        MID=$(( (${LOADED_E[$d]} + 1) / 2 )); [ "$MID" -ge 1 ] || MID=1
        RUN=${LOADED_E[$d]}; [ "$RUN" -ge 1 ] || RUN=1
        # Plans and watchdog statements first, on the data as loaded
        # (their writes are rolled back); then the requests.
        plans "$d" || failed=1
        watchdog "$d" || failed=1
        say "$d: measuring (load average $(cut -d' ' -f1-3 /proc/loadavg))"
        measure "$d" || { failed=1; say "$d: measurement failed"; }
        db_stop "$d"
    done
done

say "done in $(fmt %.0f "$(calc "$(now) - $t_all")") s; rows in $rows_file"
[ "$failed" = 0 ] || { say "the benchmark itself failed (see above)"; exit 1; }
exit 0
