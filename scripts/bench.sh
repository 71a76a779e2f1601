#!/usr/bin/env bash
# The benchmark of mod_charon: starts its own httpd and databases on
# 127.0.0.1, loads them with wrk (and pgbench, the mariadb and sqlite3
# clients for the database baselines), prints one table, stops everything.
#
#   scripts/bench.sh [--quick | --smoke] [--seconds N] [--soak N]
#                    [pgsql] [mysql] [sqlite]
#
#   (default)  every figure on PostgreSQL, MariaDB and SQLite, 2 s each
#              (a figure with a reference: 2 rounds of 2 s each, alternating),
#              a 1,000,000-request soak on PostgreSQL (50,000 on the
#              others, which are slower); big tables on PostgreSQL, loaded
#              beside its soak (neither is a speed figure) and measured
#              after it (the others: make bench-bigtables, or
#              CHARON_BENCH_BIGTABLES=all, after everything else): under
#              10 minutes on 2 cores
#   --quick    (or QUICK=1) 1 s per figure (2 s for pgbench's), latency
#              at concurrency 1 and 32 only, soaks of 10,000 and 5,000
#              requests, big tables in their quick mode: under 2 minutes
#   --smoke    what `make test` runs: 1 s per figure, references too, a
#              5,000-request soak, SQLite unless databases are named, big
#              tables not measured: about 30 s
#   CHARON_BENCH_BIGTABLES=0 leaves big tables out (a "not measured" row),
#              =all measures them on every database named
#
# Every figure is taken in this one run, side by side with its reference,
# and reported as a ratio to it: on a small machine wrk, httpd and the
# database share the cores, so only ratios of one run compare.
#
#   measurement                     reference                       target
#   can-start req/s, c32            the same httpd serving a static   >= 0.6
#                                   file of the answer's size          (SQLite, PostgreSQL)
#   start req/s, c8 and c32         pgbench -M prepared running the   >= 0.7
#   (PostgreSQL)                    module's INSERT, same clients,
#                                   same synchronous_commit
#   start+message+end cycles/s, c1  the database's own client running report
#   (MariaDB, SQLite)               the module's statements in a loop
#   p50/p99 latency, c1/c32/c128,   -                                 p99 <= 10 ms
#   each endpoint                                                     at c32, PostgreSQL
#   soak: RSS per child, open fds,  the start of the soak             < 1 MiB, no growth
#   database connections
#   big tables (scripts/bench-bigtables.sh, when it exists and is executable)
#
# Each measurement prints
#   row|<measurement>|<database>|<figure>|<reference>|<ratio>|<target>|<verdict>
# (verdict ok, below or report); the rows are collected into a markdown
# table (for docs/PERFORMANCE.md), preceded by the machine and the
# settings, followed by the time each section took.
#
# Figures are reported, not asserted: the exit status is non-zero only
# when the benchmark itself failed: a run that got an answer other than
# 2xx (an error page is fast, and its figure worthless), a socket error, a
# reference that did not do its work, a missing row or a row without a
# number.  That is what `make test` checks (--smoke).
#
# The httpd: event MPM, CHARON_BENCH_PROCS (2) processes of
# CHARON_BENCH_THREADS (128) threads, DBDMax CHARON_BENCH_DBDMAX (16) per
# process, KeepAlive with no request limit, LogLevel warn and no access
# log (a line per request would be what is measured).  The databases are
# scripts/testdb.sh's: PostgreSQL with fsync off and synchronous_commit
# CHARON_BENCH_PG_SYNC (off, set on the database, so that pgbench and the
# module run with the same), MariaDB with innodb_flush_log_at_trx_commit=2,
# SQLite in WAL mode with synchronous CHARON_BENCH_SQLITE_SYNC (NORMAL, set
# by DBDInitSQL and in the sqlite3 client alike; FULL measures the disk's
# fsync, a few hundred commits per second here).  Other settings:
# CHARON_BENCH_SECONDS (seconds per figure), CHARON_BENCH_SOAK (requests
# of the main soak: PostgreSQL's, else the first database's),
# CHARON_BENCH_SOAK_OTHER (the other databases'), CHARON_BENCH_SOAK_CONNS
# (16), CHARON_BENCH_LOGDIR (build/bench: each
# run's output, the error_log, table.md).
#
# Run as root (httpd's children then run as www-data, PostgreSQL as
# postgres; everything they read is copied to a private /tmp directory) or
# as a plain user.  Everything started here is stopped by a trap, also on
# failure or Ctrl-C.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/testdb.sh
. "$top/scripts/testdb.sh"

say() { printf 'bench: %s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 2; }

# ------------------------------------------------------------ arguments ---

mode=full
[ -n "${QUICK:-}" ] && [ "${QUICK:-0}" != 0 ] && mode=quick
dbs=()
opt_seconds=""
opt_soak=""
while [ $# -gt 0 ]; do
    case $1 in
        --quick) mode=quick ;;
        --smoke) mode=smoke ;;
        --seconds) shift; opt_seconds=${1:?--seconds needs a number} ;;
        --soak) shift; opt_soak=${1:?--soak needs a number} ;;
        pgsql|mysql|sqlite) dbs+=("$1") ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1'" ;;
    esac
    shift
done
case $mode in
    full)  SECS=2; SOAK=1000000; SOAK_OTHER=50000 ;;
    quick) SECS=1; SOAK=10000;   SOAK_OTHER=5000 ;;
    smoke) SECS=1; SOAK=5000;    SOAK_OTHER=5000 ;;
esac
if [ ${#dbs[@]} -eq 0 ]; then
    if [ "$mode" = smoke ]; then dbs=(sqlite); else dbs=(pgsql mysql sqlite); fi
fi
SECS=${opt_seconds:-${CHARON_BENCH_SECONDS:-$SECS}}
SOAK=${opt_soak:-${CHARON_BENCH_SOAK:-$SOAK}}
SOAK_OTHER=${CHARON_BENCH_SOAK_OTHER:-$SOAK_OTHER}
[ "$SOAK_OTHER" -le "$SOAK" ] || SOAK_OTHER=$SOAK
SOAK_MAIN=${dbs[0]}
for d in "${dbs[@]}"; do if [ "$d" = pgsql ]; then SOAK_MAIN=pgsql; fi; done
WARM=$((SECS >= 2 ? 2 : 1))
SOAK_CONNS=${CHARON_BENCH_SOAK_CONNS:-16}
CYCLE_RPS=1000
PROCS=${CHARON_BENCH_PROCS:-2}
THREADS=${CHARON_BENCH_THREADS:-128}
DBDMAX=${CHARON_BENCH_DBDMAX:-16}
PG_SYNC=${CHARON_BENCH_PG_SYNC:-off}
SQLITE_SYNC=${CHARON_BENCH_SQLITE_SYNC:-NORMAL}
logdir=${CHARON_BENCH_LOGDIR:-$top/build/bench}
NCPU=$(nproc)
CONCS=(1 32 128)                # latency of each endpoint at these
# Quick: c1 and c32 (the target's), to stay within its 2 minutes.
[ "$mode" = quick ] && CONCS=(1 32)
NCRONS=64                       # crons bench-1 .. bench-64, ids 1 .. 64
NMSG_EXEC=1000                  # open executions that receive messages

case "$SECS$SOAK$SOAK_OTHER$SOAK_CONNS$PROCS$THREADS$DBDMAX" in
    *[!0-9]*) die "seconds, soak, processes, threads and DBDMax must be whole numbers" ;;
esac
[ "$SECS" -ge 1 ] || die "--seconds must be at least 1"

# ----------------------------------------------------------- preflight ---

HTTPD=/usr/sbin/apache2
MODS=/usr/lib/apache2/modules
PGBENCH=$CHARON_PG_BIN/pgbench
[ -x "$HTTPD" ] || die "$HTTPD not found (apt-get install apache2)"
[ -f "$MODS/mod_mpm_event.so" ] || die "$MODS/mod_mpm_event.so not found"
[ -f "$top/.libs/mod_charon.so" ] || die "$top/.libs/mod_charon.so is missing: run make first"
for c in wrk curl perl cc apr-1-config; do
    command -v "$c" >/dev/null || die "$c not found (make deps)"
done
for d in "${dbs[@]}"; do
    case $d in
        pgsql) [ -x "$PGBENCH" ] || die "$PGBENCH not found (apt-get install postgresql-15)" ;;
        mysql) command -v mariadb >/dev/null || die "mariadb (the client) not found" ;;
        sqlite) command -v sqlite3 >/dev/null || die "sqlite3 not found" ;;
    esac
done

if [ "$(id -u)" = 0 ]; then
    run_user=${CHARON_BENCH_USER:-www-data}
    run_group=$(id -gn "$run_user") || die "user $run_user does not exist"
else
    run_user=$(id -un)
    run_group=$(id -gn)
fi

# ------------------------------------------------------- state, cleanup ---

work=$(mktemp -d /tmp/charon-bench.XXXXXX)
chmod 755 "$work"           # postgres and httpd's children go below it
# The module is copied: a rebuild during the run must not change what is
# measured (and a checkout under /root is out of www-data's reach).
cp "$top/.libs/mod_charon.so" "$work/mod_charon.so"
lua_dir="$top/tests/bench"  # read by wrk, which runs as us
rows="$work/rows"
: >"$rows"
sections="$work/sections"
: >"$sections"
failures=()
httpd_conf=""
hdir="$work/httpd"          # the current httpd's ServerRoot: one per database
DB=""

fail() {
    failures+=("${DB:+[$DB] }$*")
    printf 'bench: FAILED: %s%s\n' "${DB:+[$DB] }" "$*" >&2
}

httpd_pid() { cat "$hdir/httpd.pid" 2>/dev/null || true; }

httpd_stop() {
    [ -n "$httpd_conf" ] || return 0
    local pid kids
    pid=$(httpd_pid)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
        "$HTTPD" -f "$httpd_conf" -k stop >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
        if ! charon_wait_pid "$pid" 30; then
            say "httpd $pid ignores stop; killing it and its children"
            # shellcheck disable=SC2086
            kill -KILL "$pid" $kids 2>/dev/null || true
            charon_wait_pid "$pid" 5 || true
        fi
    fi
    if [ -f "$hdir/error_log" ] && [ -n "$DB" ]; then
        cp "$hdir/error_log" "$logdir/$DB-error_log" 2>/dev/null || true
    fi
    httpd_conf=""
}

bg_pid=""               # a database stopping in the background
bt_pid=""               # big tables, loading beside the soak
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    # It stops its own servers on TERM.
    if [ -n "$bt_pid" ]; then kill -TERM "$bt_pid" 2>/dev/null || true; wait "$bt_pid" 2>/dev/null || true; fi
    # Let it finish: killed half-way, it would leave its server running.
    if [ -n "$bg_pid" ]; then wait "$bg_pid" 2>/dev/null || true; fi
    httpd_stop
    if [ -n "${CHARON_PG_LOG:-}" ] && [ -f "$CHARON_PG_LOG" ]; then
        cp "$CHARON_PG_LOG" "$logdir/pgsql-postgres.log" 2>/dev/null || true
    fi
    if [ -n "${CHARON_MY_LOG:-}" ] && [ -f "$CHARON_MY_LOG" ]; then
        cp "$CHARON_MY_LOG" "$logdir/mysql-mariadb.err" 2>/dev/null || true
    fi
    charon_pg_stop >/dev/null 2>&1 || true
    charon_my_stop >/dev/null 2>&1 || true
    rm -rf "$work"
    if [ -z "${finished:-}" ]; then
        echo "bench: aborted (exit $rc); logs in $logdir"
        [ "$rc" != 0 ] || rc=1
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

rm -rf "$logdir" 2>/dev/null || true
mkdir -p "$logdir"

# ------------------------------------------------------------- helpers ---

now() { date +%s.%N; }
# f EXPR: floating-point arithmetic (awk), printed with %.Nf by fmt.
f() { awk "BEGIN { print $* }"; }
fmt() { awk -v d="$1" -v x="$2" 'BEGIN { printf "%.*f", d, x }'; }
ratio() {       # ratio A B: A / B, two decimals, "-" when B is 0
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# row MEASUREMENT DB FIGURE REFERENCE RATIO TARGET VERDICT
row() {
    local line
    line=$(printf 'row|%s|%s|%s|%s|%s|%s|%s' "$@")
    echo "$line" >>"$rows"
    echo "$line"
}

sec_name="" sec_t0=""
section() {             # section NAME: ends the previous one, starts NAME
    section_end
    sec_name=$1 sec_t0=$(now)
    say "---- ${DB:+$DB: }$sec_name"
}
section_end() {
    [ -n "$sec_name" ] || return 0
    local s
    s=$(fmt 1 "$(f "$(now) - $sec_t0")")
    echo "${DB:--}|$sec_name|$s" >>"$sections"
    say "     ${DB:+$DB: }$sec_name took $s s"
    sec_name=""
}

# ------------------------------------------------ the module's own SQL ---

# tests/bench/sql_dump.c (make build/sql_dump) prints the statements of
# src/db/dialect_*.c as this checkout has them, so that pgbench and the
# database clients run exactly what the module runs (the SQL changes as the
# module does).  Its records are "dialect|N|NAME|DRIVER", "begin|N|SQL",
# "init|N|SQL", "sql|N|ST_NAME|SQL".
make -s -C "$top" build/sql_dump >/dev/null ||
    die "building tests/bench/sql_dump.c against src/ failed (make build/sql_dump)"
"$top/build/sql_dump" >"$work/sql.txt"

# dialect_entry DRIVER: the dialect the module uses with our servers: for
# MySQL, MariaDB 10.5+'s (INSERT ... RETURNING), which is what we run.
dialect_entry() {
    local name=$1
    [ "$name" = mysql ] && name=mariadb
    awk -F'|' -v d="$name" '$1 == "dialect" && $3 == d { print $2; exit }' "$work/sql.txt"
}
# sql_text ENTRY ST_NAME: the statement, placeholders and all ("" when the
# dialect has none).
sql_text() {
    awk -F'|' -v e="$1" -v n="$2" '$1 == "sql" && $2 == e && $3 == n {
        sub(/^([^|]*[|]){3}/, ""); print; exit }' "$work/sql.txt"
}
# sql_bind SQL ARG...: apr_dbd's placeholders (%s %d %lld) replaced by the
# arguments in order, %% by %: the statement as a client would type it.
sql_bind() {
    perl -e 'my $s = shift; my @a = @ARGV;
             $s =~ s/%(%|s|d|lld)/$1 eq "%" ? "%" : (@a ? shift @a : die "too few arguments\n")/ge;
             die "too many arguments\n" if @a; print $s' "$@"
}

# ----------------------------------------------------------------- httpd ---

KEY=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

httpd_write_conf() {
    local driver=$1 params=$2 init_sql=${3:-}
    hdir="$work/httpd-$DB"
    mkdir -p "$hdir" "$work/htdocs"
    [ "$(id -u)" = 0 ] && chown "$run_user:$run_group" "$hdir"
    HTTP_PORT=$(charon_free_port)
    BASE="http://127.0.0.1:$HTTP_PORT/api/"
    local user_lines=""
    [ "$(id -u)" = 0 ] && user_lines="User $run_user
Group $run_group"
    httpd_conf="$hdir/httpd.conf"
    cat >"$httpd_conf" <<CONF
# Written by scripts/bench.sh; thrown away after the run.
ServerRoot "$hdir"
ServerName localhost
Listen 127.0.0.1:$HTTP_PORT
PidFile "$hdir/httpd.pid"
DefaultRuntimeDir "$hdir"
ErrorLog "$hdir/error_log"
LogLevel warn
# No access log: a line written per request would be the bottleneck.
$user_lines

LoadModule mpm_event_module  $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule dbd_module        $MODS/mod_dbd.so
LoadModule charon_module     "$work/mod_charon.so"

# A fixed set of processes: none is started or stopped during the run
# (the soak follows each one's memory).
StartServers           $PROCS
ServerLimit            $PROCS
ThreadLimit            $THREADS
ThreadsPerChild        $THREADS
MaxRequestWorkers      $((PROCS * THREADS))
MinSpareThreads        1
MaxSpareThreads        $((PROCS * THREADS))
MaxConnectionsPerChild 0
KeepAlive              On
KeepAliveTimeout       5
MaxKeepAliveRequests   0
Timeout                20

# The static reference is read(), not mmap()ed: on a VM, an mmap and
# munmap per request of a threaded process (TLB shootdowns) halves the
# static rate, which would flatter the module's ratio.
EnableMMAP Off
DocumentRoot "$work/htdocs"
<Directory "$work/htdocs">
    Require all granted
</Directory>

DBDriver $driver
DBDParams "$params"
DBDMin     1
DBDKeep    $DBDMAX
DBDMax     $DBDMAX
DBDExptime 300
${init_sql:+DBDInitSQL \"$init_sql\"}

<Location "/api/">
    SetHandler charon
    Require all granted
    CharonApiKey bench "$KEY"
</Location>
CONF
}

httpd_start() {
    : >"$hdir/error_log"
    "$HTTPD" -f "$httpd_conf" -k start || { cat "$hdir/error_log" >&2; return 1; }
    local n=150 code
    while [ $n -gt 0 ]; do
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "${BASE}x/can-start" || true)
        [ "$code" = 401 ] && return 0
        sleep 0.1; n=$((n - 1))
    done
    say "httpd did not answer on $BASE"; tail -n 20 "$hdir/error_log" >&2
    return 1
}

httpd_children() {
    local pid
    pid=$(httpd_pid)
    [ -n "$pid" ] || return 0
    ps -o pid= --ppid "$pid" | tr -d ' ' | sort -n
}

# ------------------------------------------------------------- databases ---

# db_sql SQL: one query, rows on stdout, fields separated by blanks.
db_sql() {
    case $DB in
        pgsql)  charon_pg_psql -At -F ' ' -c "$1" ;;
        mysql)  my_client -N -B -e "$1" | tr '\t' ' ' ;;
        sqlite) sqlite_as -separator ' ' "$SQLITE_FILE" "$1" ;;
    esac
}
# The mariadb client as user charon over TCP, as the module connects.
my_client() {
    mariadb --no-defaults -h 127.0.0.1 -P "$CHARON_MY_PORT" -u charon \
        -p"$CHARON_MY_PASS" charon "$@"
}
# The sqlite3 client as httpd's user: no file of the database owned by root.
sqlite_as() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$run_user" -- sqlite3 -batch -bail -cmd '.timeout 10000' "$@"
    else
        sqlite3 -batch -bail -cmd '.timeout 10000' "$@"
    fi
}

# db_setup: the database, the schema, NCRONS active crons with ids 1..N
# and slugs bench-<id>; sets DRIVER, PARAMS, INIT_SQL, SETTINGS.
db_setup() {
    INIT_SQL=""
    case $DB in
    pgsql)
        charon_pg_start "$work/pg" || return 1
        charon_pg_load "$top/sql/postgresql.sql" || return 1
        # On the database, so that every session (the module's, pgbench's)
        # runs with it, whatever the server's command line says.
        charon_pg_psql -q -c "ALTER DATABASE charon SET synchronous_commit = $PG_SYNC" >/dev/null || return 1
        db_sql "INSERT INTO charon_cron (id, slug, name, active)
                SELECT g, 'bench-' || g, 'Bench cron ' || g, TRUE
                FROM generate_series(1, $NCRONS) g" >/dev/null || return 1
        DRIVER=pgsql
        PARAMS=$CHARON_PG_DBDPARAMS
        SETTINGS="synchronous_commit=$(db_sql 'SHOW synchronous_commit'), fsync=$(db_sql 'SHOW fsync'), max_connections=$(db_sql 'SHOW max_connections')"
        ;;
    mysql)
        charon_my_start "$work/my" || return 1
        charon_my_load "$top/sql/mysql.sql" || return 1
        db_sql "INSERT INTO charon_cron (id, slug, name, active)
                SELECT seq, CONCAT('bench-', seq), CONCAT('Bench cron ', seq), TRUE
                FROM seq_1_to_$NCRONS" >/dev/null || return 1
        DRIVER=mysql
        PARAMS=$CHARON_MY_DBDPARAMS
        SETTINGS="innodb_flush_log_at_trx_commit=$(db_sql 'SELECT @@innodb_flush_log_at_trx_commit'), binlog off, innodb_autoinc_lock_mode=$(db_sql 'SELECT @@innodb_autoinc_lock_mode'), isolation $(db_sql 'SELECT @@tx_isolation')"
        ;;
    sqlite)
        SQLITE_FILE="$work/sqlite/charon.db"
        charon_sqlite_create "$SQLITE_FILE" "$top/sql/sqlite.sql" "$run_user:$run_group" || return 1
        db_sql "INSERT INTO charon_cron (id, slug, name, active)
                WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $NCRONS)
                SELECT n, 'bench-' || n, 'Bench cron ' || n, 1 FROM g" >/dev/null || return 1
        DRIVER=sqlite3
        PARAMS=$SQLITE_FILE
        INIT_SQL="PRAGMA synchronous = $SQLITE_SYNC"
        SETTINGS="journal_mode=$(db_sql 'PRAGMA journal_mode'), synchronous=$SQLITE_SYNC (DBDInitSQL and the client)"
        ;;
    esac
    [ "$(db_sql "SELECT COUNT(*) FROM charon_cron")" = "$NCRONS" ] || { say "seeding the crons failed"; return 1; }
}

# teardown_bg: httpd_stop and db_teardown in the background (the next
# database starts meanwhile); wait_bg waits for it.  The variables that
# name the stopped servers are dropped here, so that nothing later acts
# on them.
teardown_bg() {
    (httpd_stop; db_teardown) >/dev/null 2>&1 &
    bg_pid=$!
    httpd_conf=""
    unset CHARON_PG_DIR CHARON_PG_LOG CHARON_PG_PORT CHARON_MY_DIR \
          CHARON_MY_LOG CHARON_MY_PORT CHARON_MY_PID
}
wait_bg() {
    [ -n "$bg_pid" ] || return 0
    wait "$bg_pid" 2>/dev/null || true
    bg_pid=""
}

db_teardown() {
    case $DB in
        pgsql) cp "$CHARON_PG_LOG" "$logdir/pgsql-postgres.log" 2>/dev/null || true; charon_pg_stop ;;
        mysql) cp "$CHARON_MY_LOG" "$logdir/mysql-mariadb.err" 2>/dev/null || true; charon_my_stop ;;
        sqlite) rm -rf "$work/sqlite" ;;
    esac
}

# supply TAG N: N open executions made with SQL (api_key TAG), for the
# ends and the messages; sets SUP_LO and SUP_HI, and checks the ids are
# SUP_LO..SUP_HI.
SUP_LO="" SUP_HI=""
supply() {
    local tag=$1 n=$2 out lo hi cnt
    SUP_LO="" SUP_HI=""
    case $DB in
        pgsql) db_sql "INSERT INTO charon_execution (cron_id, started_at, api_key, remote_addr)
                       SELECT 1 + g % $NCRONS, now(), '$tag', '127.0.0.1'
                       FROM generate_series(1, $n) g" >/dev/null ;;
        mysql) db_sql "INSERT INTO charon_execution (cron_id, started_at, api_key, remote_addr)
                       SELECT 1 + seq % $NCRONS, UTC_TIMESTAMP(6), '$tag', '127.0.0.1'
                       FROM seq_1_to_$n" >/dev/null ;;
        sqlite) db_sql "INSERT INTO charon_execution (cron_id, started_at, api_key, remote_addr)
                        WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $n)
                        SELECT 1 + n % $NCRONS, strftime('%Y-%m-%d %H:%M:%f', 'now'), '$tag', '127.0.0.1' FROM g" >/dev/null ;;
    esac
    out=$(db_sql "SELECT MIN(id), MAX(id), COUNT(*) FROM charon_execution WHERE api_key = '$tag'")
    read -r lo hi cnt <<<"$out"
    if [ "$cnt" != "$n" ] || [ $((hi - lo + 1)) != "$n" ]; then
        fail "supply $tag: asked for $n executions with consecutive ids, got '$out'"
        return 1
    fi
    SUP_LO=$lo SUP_HI=$hi
}

# db_conns: the module's connections to the database (n/a for SQLite).
db_conns() {
    case $DB in
        pgsql)  db_sql "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = 'charon'
                        AND backend_type = 'client backend' AND pid <> pg_backend_pid()" ;;
        mysql)  charon_my_sql -N -B -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'charon'" ;;
        sqlite) echo "n/a" ;;
    esac
}

# ------------------------------------------------------------------ wrk ---

# wrk_run LABEL CONC SECONDS URL [LUA [ARGS...]]: one wrk run, its output
# kept in $logdir/LABEL.txt; sets W[...] from report.lua's BENCH line
# (requests, rps, p50_ms, p99_ms, non2xx, ...).  Threads: WRK_THREADS, or
# one per core (at most one per connection).  Any answer other than 2xx
# or 3xx, any socket error, is a failure of the benchmark.
declare -A W=()
wrk_run() {
    local label=$1 conc=$2 secs=$3 url=$4 lua=${5:-report.lua}
    shift 4; [ $# -gt 0 ] && shift
    local t=${WRK_THREADS:-$((conc < NCPU ? conc : NCPU))}
    local out="$logdir/$label.txt" rc=0 kv line
    local script_args=()
    [ $# -eq 0 ] || script_args=(-- "$@")
    W=()
    CHARON_BENCH_LUA="$lua_dir" wrk -t "$t" -c "$conc" -d "${secs}s" --latency \
        --timeout 10s -H "X-API-KEY: $KEY" -s "$lua_dir/$lua" "$url" \
        "${script_args[@]}" >"$out" 2>&1 || rc=$?
    line=$(grep '^BENCH ' "$out" | tail -n 1 || true)
    if [ "$rc" != 0 ] || [ -z "$line" ]; then
        fail "$label: wrk failed (exit $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
        W=([requests]=0 [rps]=0 [p50_ms]=0 [p99_ms]=0 [non2xx]=0 [failed]=1)
        return 0
    fi
    for kv in ${line#BENCH }; do W[${kv%%=*}]=${kv#*=}; done
    # wrk's own lines, as well as the script's count.
    local non2xx sock
    non2xx=$(sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$out")
    sock=$(sed -n 's/^ *Socket errors: *\(.*\)/\1/p' "$out")
    W[failed]=0
    if [ "${W[requests]}" -eq 0 ]; then
        fail "$label: no request was answered"; W[failed]=1
    fi
    if [ "${W[non2xx]}" != 0 ] || [ -n "$non2xx" ]; then
        fail "$label: ${non2xx:-${W[non2xx]}} of ${W[requests]} answers were not 2xx or 3xx (an error page's figure means nothing)"
        W[failed]=1
        show_error_sample "$url"
    fi
    if [ -n "$sock" ]; then
        fail "$label: socket errors: $sock"; W[failed]=1
    fi
    if [ -n "${W[exhausted]:-}" ] && [ "${W[exhausted]}" != 0 ]; then
        fail "$label: ran out of open executions (${W[exhausted]} requests went to an ended one)"
        W[failed]=1
    fi
    if [ -n "${W[broken]:-}" ] && [ "${W[broken]}" != 0 ]; then
        fail "$label: ${W[broken]} cycles broke off on an unexpected answer"
        W[failed]=1
    fi
    return 0
}

show_error_sample() {
    tail -n 5 "$hdir/error_log" 2>/dev/null | sed 's/^/    error_log: /' >&2 || true
}

verdict() {     # verdict FAILED OK?: ERROR, ok or below
    if [ "$1" = 1 ]; then echo ERROR; elif [ "$2" = 1 ]; then echo ok; else echo below; fi
}

lat_fig() {     # p50 / p99 and the rate of the last wrk run
    printf 'p50 %s ms, p99 %s ms (%s req/s)' "$(fmt 2 "${W[p50_ms]}")" \
        "$(fmt 2 "${W[p99_ms]}")" "$(fmt 0 "${W[rps]}")"
}

# latency_row ENDPOINT CONC: the row of the last wrk run.
latency_row() {
    local ep=$1 c=$2 target="-" v=report
    if [ "$DB" = pgsql ] && [ "$c" = 32 ]; then
        target="p99 <= 10 ms"
        v=$(verdict "${W[failed]}" "$(awk -v p="${W[p99_ms]}" 'BEGIN { print (p <= 10) ? 1 : 0 }')")
    elif [ "${W[failed]}" = 1 ]; then
        v=ERROR
    fi
    row "latency $ep, c$c" "$DB" "$(lat_fig)" "-" "-" "$target" "$v"
}

# ------------------------------------------------------------ sections ---

# A figure and its reference are taken in alternating rounds (module,
# reference, module, reference), so that a machine whose speed drifts (a
# VM's neighbours) moves both alike.  ACC_M and ACC_R add the rounds up:
# requests per second over the whole time, the worst p50 and p99.
# Rounds of at least 2 s: pgbench needs about 0.5 s here to open 32
# connections, which it leaves out of its tps but not out of -T.
if [ "$SECS" -ge 2 ]; then ROUNDS=2 RSECS=$((SECS / 2 > 2 ? SECS / 2 : 2)); else ROUNDS=1 RSECS=2; fi
[ "$mode" = full ] || RSECS=$SECS     # quick and smoke: 1 s (wrk needs no ramp)
PG_RSECS=$((RSECS > 2 ? RSECS : 2))     # pgbench's rounds, and the module's beside them
declare -A ACC_M=() ACC_R=()
# shellcheck disable=SC2178   # namerefs to the arrays above
acc_reset() { local -n a=$1; a=([req]=0 [dur]=0 [p50]=0 [p99]=0 [failed]=0); }
# shellcheck disable=SC2178
acc_add() {     # acc_add NAME REQUESTS SECONDS [P50 P99 FAILED]
    local -n a=$1
    a[req]=$(f "${a[req]} + $2")
    a[dur]=$(f "${a[dur]} + $3")
    a[p50]=$(awk -v x="${a[p50]}" -v y="${4:-0}" 'BEGIN { print (y > x) ? y : x }')
    a[p99]=$(awk -v x="${a[p99]}" -v y="${5:-0}" 'BEGIN { print (y > x) ? y : x }')
    [ "${6:-0}" = 1 ] && a[failed]=1
    return 0
}
acc_wrk() { acc_add "$1" "${W[requests]}" "${W[duration_s]}" "${W[p50_ms]}" "${W[p99_ms]}" "${W[failed]}"; }
# shellcheck disable=SC2178
acc_rps() { local -n a=$1; awk -v r="${a[req]}" -v d="${a[dur]}" 'BEGIN { print (d > 0) ? r / d : 0 }'; }
# acc_to_w NAME: the sums as if they were one wrk run (for latency_row).
# shellcheck disable=SC2178
acc_to_w() {
    local -n a=$1
    W[rps]=$(acc_rps "$1") W[p50_ms]=${a[p50]} W[p99_ms]=${a[p99]} W[failed]=${a[failed]}
}

sec_can_start() {
    section "can-start vs a static file"
    local url="${BASE}bench-1/can-start" body size r
    body=$(curl -s -H "X-API-KEY: $KEY" "$url")
    case $body in
        *'"canStart":'*true*) ;;
        *) fail "can-start answered '$body'"; return 0 ;;
    esac
    # The reference: the same bytes, as a file of the same httpd.
    printf '%s' "$body" >"$work/htdocs/can-start.json"
    size=$(wc -c <"$work/htdocs/can-start.json")
    local static_url="http://127.0.0.1:$HTTP_PORT/can-start.json"
    [ "$(curl -s "$static_url")" = "$body" ] || { fail "the static file is not served"; return 0; }

    acc_reset ACC_M; acc_reset ACC_R
    for r in $(seq "$ROUNDS"); do
        wrk_run "$DB-can-start-c32-$r" 32 "$RSECS" "$url"
        acc_wrk ACC_M
        wrk_run "$DB-static-c32-$r" 32 "$RSECS" "$static_url"
        acc_wrk ACC_R
    done
    local rps srps failed=0 target="-" v=report
    rps=$(acc_rps ACC_M); srps=$(acc_rps ACC_R)
    [ "${ACC_M[failed]}" = 1 ] || [ "${ACC_R[failed]}" = 1 ] && failed=1
    acc_to_w ACC_M
    latency_row can-start 32
    r=$(ratio "$rps" "$srps")
    if [ "$DB" != mysql ]; then
        target=">= 0.6"
        v=$(verdict "$failed" "$(awk -v r="$r" 'BEGIN { print (r >= 0.6) ? 1 : 0 }')")
    elif [ "$failed" = 1 ]; then v=ERROR; fi
    row "can-start req/s, c32, keep-alive" "$DB" "$(fmt 0 "$rps") req/s" \
        "static file of $size bytes: $(fmt 0 "$srps") req/s" "$r" "$target" "$v"
    CAN_RPS[32]=$rps
    for c in "${CONCS[@]}"; do
        [ "$c" = 32 ] && continue       # taken above, beside its reference
        wrk_run "$DB-can-start-c$c" "$c" "$SECS" "$url"
        CAN_RPS[$c]=${W[rps]}
        latency_row can-start "$c"
    done
}

declare -A START_RPS=() CAN_RPS=() MSG_RPS=() END_RPS=()
sec_start() {
    section "start"
    local url=$BASE c r
    if [ "$DB" = pgsql ]; then
        # pgbench runs the module's INSERT with -M prepared, as the module
        # does (prepared statements on pooled connections), same clients,
        # same duration, same database settings.
        local e sql
        e=$(dialect_entry pgsql)
        sql=$(sql_text "$e" ST_START)
        [ -n "$sql" ] || { fail "no ST_START for pgsql in src/db/dialect_pgsql.c"; return 0; }
        {
            echo "\\set cid random(1, $NCRONS)"
            sql_bind "$sql" :key :addr :cid
            echo ";"
        } >"$work/start.pgbench"
        say "pgbench script (src/db/dialect_pgsql.c ST_START):"
        sed 's/^/    /' "$work/start.pgbench"
        local sync
        sync=$(db_sql "SHOW synchronous_commit")
        for c in 8 32; do
            acc_reset ACC_M; acc_reset ACC_R
            for r in $(seq "$ROUNDS"); do
                wrk_run "$DB-start-c$c-$r" "$c" "$PG_RSECS" "$url" start.lua 1 "$NCRONS"
                acc_wrk ACC_M
                pgbench_run "$c" "$r"
                acc_add ACC_R "$PGB_TPS" 1 0 0 "$PGB_FAILED"
            done
            local rps tps failed=0 v
            rps=$(acc_rps ACC_M); tps=$(acc_rps ACC_R)
            [ "${ACC_M[failed]}" = 1 ] || [ "${ACC_R[failed]}" = 1 ] && failed=1
            START_RPS[$c]=$rps
            if [ "$c" = 32 ]; then acc_to_w ACC_M; latency_row start 32; fi
            r=$(ratio "$rps" "$tps")
            v=$(verdict "$failed" "$(awk -v r="$r" 'BEGIN { print (r >= 0.7) ? 1 : 0 }')")
            row "start req/s, c$c" "$DB" "$(fmt 0 "$rps") req/s" \
                "pgbench -M prepared, same INSERT: $(fmt 0 "$tps") tps (synchronous_commit=$sync)" \
                "$r" ">= 0.7" "$v"
        done
    else
        wrk_run "$DB-start-c32" 32 "$SECS" "$url" start.lua 1 "$NCRONS"
        START_RPS[32]=${W[rps]}
        latency_row start 32
    fi
    for c in "${CONCS[@]}"; do
        [ "$c" = 32 ] && continue       # taken above, beside its reference
        wrk_run "$DB-start-c$c" "$c" "$SECS" "$url" start.lua 1 "$NCRONS"
        START_RPS[$c]=${W[rps]}
        latency_row start "$c"
    done
}

# pgbench_run CLIENTS ROUND: sets PGB_TPS (0 on failure) and PGB_FAILED.
PGB_TPS=0 PGB_FAILED=0
pgbench_run() {
    local c=$1
    local out="$logdir/$DB-pgbench-c$c-$2.txt" rc=0 before after done_tx
    PGB_FAILED=1
    local j=$((c < NCPU ? c : NCPU))
    before=$(db_sql "SELECT COUNT(*) FROM charon_execution WHERE api_key = 'pgbench'")
    "$PGBENCH" -n -M prepared -c "$c" -j "$j" -T "$PG_RSECS" -D key=pgbench \
        -D addr=127.0.0.1 -f "$work/start.pgbench" -h 127.0.0.1 \
        -p "$CHARON_PG_PORT" -U postgres charon >"$out" 2>&1 || rc=$?
    PGB_TPS=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time).*/\1/p' "$out")
    done_tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
    after=$(db_sql "SELECT COUNT(*) FROM charon_execution WHERE api_key = 'pgbench'")
    if [ "$rc" != 0 ] || [ -z "$PGB_TPS" ] || [ -z "$done_tx" ]; then
        fail "pgbench c$c failed (exit $rc): $(tail -n 3 "$out" | tr '\n' ' ')"
        PGB_TPS=0; return 0
    fi
    if grep -q '^number of failed transactions: [1-9]' "$out"; then
        fail "pgbench c$c: $(grep '^number of failed' "$out")"; return 0
    fi
    # Each transaction must have inserted its row, as the module's 200s did.
    if [ $((after - before)) != "$done_tx" ]; then
        fail "pgbench c$c: $done_tx transactions but $((after - before)) executions inserted"
        return 0
    fi
    PGB_FAILED=0
}

sec_message() {
    section "message"
    local c
    supply bench-msg "$NMSG_EXEC" || return 0
    for c in "${CONCS[@]}"; do
        wrk_run "$DB-message-c$c" "$c" "$SECS" "$BASE" message.lua "$SUP_LO" "$SUP_HI"
        MSG_RPS[$c]=${W[rps]}
        latency_row message "$c"
    done
}

sec_end() {
    section "end"
    local c n t rate
    for c in "${CONCS[@]}"; do
        # Open executions for this run, so that none runs out: an end is
        # not faster than can-start (a read) at the same concurrency; half
        # as many again, and 2000 more.
        rate=${CAN_RPS[$c]:-0}
        ge "$rate" "${START_RPS[$c]:-0}" || rate=${START_RPS[$c]:-0}
        n=$(awk -v r="$rate" -v s="$SECS" 'BEGIN { print int(1.5 * r * s) + 2000 }')
        supply "bench-end-c$c" "$n" || continue
        t=$((c < NCPU ? c : NCPU))
        wrk_run "$DB-end-c$c" "$c" "$SECS" "$BASE" end.lua "$SUP_LO" "$SUP_HI" "$t"
        END_RPS[$c]=${W[rps]}
        latency_row end "$c"
    done
}

# The cycle, and the same statements from the database's own client: one
# client, one connection, one statement after the other, N cycles, timed.
#
# What the gap between the two includes, per cycle: three HTTP requests
# and answers over loopback TCP (the client's statements travel on one
# connection, and the sqlite3 client has no network at all); httpd's
# request processing and the event MPM handing connections to threads;
# the API key check (SHA-256 of the key); reading and parsing the JSON
# bodies and writing the JSON answers; mod_dbd's pool (a connection
# acquired and released per request; for MySQL apr_dbd_check_conn() is a
# mysql_ping(), one more round trip per request); apr_dbd's prepared
# statements (binary protocol) instead of the client's text; for SQLite,
# apr_dbd's process-wide mutex.  wrk runs on the same cores.
sec_cycle() {
    section "cycle: start+message+end vs the database's client"
    local e next n out t0 secs cli_rate
    wrk_run "$DB-cycle-c1" 1 "$SECS" "$BASE" cycle.lua 1 "$NCRONS" bench- 0
    local failed=${W[failed]} cycles=${W[cycles]:-0} dur=${W[duration_s]:-1}
    local http_rate
    http_rate=$(f "$cycles / $dur")
    n=$cycles
    [ "$n" -ge 50 ] || n=50

    e=$(dialect_entry "$DRIVER")
    local s_start s_msg s_end s_lost
    s_start=$(sql_text "$e" ST_START)
    s_msg=$(sql_text "$e" ST_MESSAGE)
    s_end=$(sql_text "$e" ST_END)
    s_lost=$(sql_text "$e" ST_END_LOST)
    local begin
    begin=$(awk -F'|' -v e="$e" '$1 == "begin" && $2 == e { sub(/^([^|]*[|]){2}/, ""); print }' "$work/sql.txt")
    local last_id init
    last_id=$(sql_text "$e" ST_LAST_ID)
    init=$(awk -F'|' -v e="$e" '$1 == "init" && $2 == e { sub(/^([^|]*[|]){2}/, ""); print }' "$work/sql.txt")

    # The ids the client's executions will get: one client alone inserts
    # one row at a time, so they follow each other (checked afterwards).
    case $DB in
        mysql)  next=$(db_sql "SELECT AUTO_INCREMENT FROM information_schema.TABLES
                               WHERE TABLE_SCHEMA = 'charon' AND TABLE_NAME = 'charon_execution'") ;;
        sqlite) next=$(db_sql "SELECT COALESCE((SELECT seq FROM sqlite_sequence
                               WHERE name = 'charon_execution'), 0) + 1") ;;
    esac
    local script="$work/cycles.sql"
    # What the module sends for each request (src/ops/): a single
    # statement where the database returns the new id itself (RETURNING),
    # else BEGIN, the statement, LAST_INSERT_ID(), COMMIT; an end without a
    # message is the UPDATE, then lost_at where UPDATE has no RETURNING.
    perl -e '
        my ($n, $next, $db, $begin, $last, $start, $msg, $end, $lost, $sync, $ncrons, $init) = @ARGV;
        sub bnd { my ($s, @a) = @_;
                   $s =~ s/%(%|s|d|lld)/$1 eq "%" ? "%" : shift @a/ge; $s }
        my $idq = $db eq "mysql" ? sub { "\x27$_[0]\x27" } : sub { $_[0] };
        my $ret_start = $start =~ / RETURNING /;
        my $ret_msg = $msg =~ / RETURNING /;
        my $ret_end = $end =~ / RETURNING /;
        # The settings of the connection, as for the module: its own
        # (from src/db/dialect_*.c), and for SQLite the DBDInitSQL of the bench.
        print "$_;\n" for split /\n/, $init;
        print "PRAGMA synchronous = $sync;\n" if $db eq "sqlite";
        for my $i (0 .. $n - 1) {
            my $e = $next + $i;
            my $cron = 1 + $i % $ncrons;
            my @s;
            my $st = bnd($start, "\x27bench-cli\x27", "\x27127.0.0.1\x27", $idq->($cron));
            push @s, $ret_start ? $st : ($begin, $st, $last, "COMMIT");
            my $m = bnd($msg, "\x27info\x27", "\x27bench: a line of log, as a job writes it\x27", $idq->($e));
            push @s, $ret_msg ? $m : ($begin, $m, $last, "COMMIT");
            push @s, bnd($end, 1, "\x27success\x27", $idq->($e));
            push @s, bnd($lost, $idq->($e)) unless $ret_end;
            print map { "$_;\n" } @s;
        }' "$n" "$next" "$DB" "$begin" "$last_id" "$s_start" "$s_msg" "$s_end" "$s_lost" "$SQLITE_SYNC" "$NCRONS" "$init" >"$script"
    local client=sqlite3
    [ "$DB" = mysql ] && client=mariadb
    say "the $client client: $n cycles of $(( $(wc -l <"$script") / n )) statements, the first:"
    sed -n '1,12p' "$script" | cut -c1-160 | sed 's/^/    /'
    chmod 644 "$script"

    t0=$(now)
    case $DB in
        mysql)  my_client -N -B <"$script" >"$work/cycles.out" 2>&1 || { fail "the mariadb client failed: $(tail -n 2 "$work/cycles.out")"; failed=1; } ;;
        sqlite) sqlite_as "$SQLITE_FILE" <"$script" >"$work/cycles.out" 2>&1 || { fail "the sqlite3 client failed: $(tail -n 2 "$work/cycles.out")"; failed=1; } ;;
    esac
    secs=$(f "$(now) - $t0")
    # The client did its work: N executions, each ended, each with its message.
    out=$(db_sql "SELECT COUNT(*), SUM(CASE WHEN e.ended_at IS NOT NULL THEN 1 ELSE 0 END),
                  (SELECT COUNT(*) FROM charon_message m WHERE m.execution_id BETWEEN $next AND $((next + n - 1)))
                  FROM charon_execution e WHERE e.api_key = 'bench-cli'
                  AND e.id BETWEEN $next AND $((next + n - 1))")
    if [ "$out" != "$n $n $n" ]; then
        fail "the $DB client's $n cycles left (executions, ended, messages) = ($out), not all $n"
        failed=1
    fi
    cli_rate=$(f "$n / $secs")
    local v=report
    [ "$failed" = 1 ] && v=ERROR
    row "start+message+end cycles/s, c1" "$DB" "$(fmt 0 "$http_rate") cycles/s" \
        "the $client client, same statements: $(fmt 0 "$cli_rate") cycles/s ($n in $(fmt 1 "$secs") s)" \
        "$(ratio "$http_rate" "$cli_rate")" "report" "$v"
}

# One sample of every child: "pid:rss_kib:fds ...".
sample_children() {
    local pid rss fds out=""
    for pid in $(httpd_children); do
        rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
        out="$out $pid:$rss:$fds"
    done
    echo "${out# }"
}

# error_log_row: what httpd's error_log says at level error and above
# during the run (LogLevel warn: warnings are left out).  A crash is a
# failure of the run; the module's errors are a finding: a row.
error_log_row() {
    local el="$hdir/error_log" n first v=ok crash
    crash=$(grep -E 'exit signal|[Ss]egmentation fault|AH00060|AH00052' "$el" | head -n 3 || true)
    [ -z "$crash" ] || fail "httpd crashed: $(tr '\n' ' ' <<<"$crash")"
    n=$(grep -cE '\[[a-z_0-9]+:(error|crit|alert|emerg)\]' "$el" || true)
    first=$(grep -E '\[[a-z_0-9]+:(error|crit|alert|emerg)\]' "$el" | head -n 1 |
            sed 's/^\[[^]]*\] //; s/ \[pid [^]]*\]//' | cut -c1-200 || true)
    # The module names statements by number: add the name (src/charon.h).
    if [[ $first =~ statement\ ([0-9]+) ]]; then
        local name
        name=$(sed -n '/^typedef enum {/,/} charon_stmt_e;/p' "$top/src/charon.h" |
               grep -oE '^ *ST_[A-Z_]+' | tr -d ' ' | sed -n "$((BASH_REMATCH[1] + 1))p")
        [ -z "$name" ] || first=${first/statement ${BASH_REMATCH[1]}/statement ${BASH_REMATCH[1]} ($name)}
    fi
    [ "${n:-0}" = 0 ] || v=below
    [ -z "$crash" ] || v=ERROR
    row "httpd error_log: lines at error level or above" "$DB" \
        "$n${first:+ (first: ${first//|//})}" "-" "-" "none" "$v"
}

sec_soak() {
    # The full soak on one database (PostgreSQL when it is measured: the
    # fastest here), a shorter one on the others, so that the default run
    # stays within 10 minutes.
    local n=$SOAK_OTHER
    [ "$DB" = "$SOAK_MAIN" ] && n=$SOAK
    section "soak: $n requests"
    # What a cron job does, over and over: can-start, start, message, end
    # (cycle.lua, one connection per wrk thread).  Everything else has run
    # by now (pools full, every code path taken): the start sample, half
    # the requests, the middle sample, the rest, the end sample.  The
    # first half is timed from the rates of the four endpoints at c32.
    local s0 s1 s2 c0 c1 c2 rate total=0 failed=0 secs
    rate=$(awk -v a="${CAN_RPS[32]:-0}" -v b="${START_RPS[32]:-0}" -v c="${MSG_RPS[32]:-0}" \
               -v d="${END_RPS[32]:-0}" -v f="$CYCLE_RPS" \
               'BEGIN { if (a > 0 && b > 0 && c > 0 && d > 0) print 4 / (1/a + 1/b + 1/c + 1/d); else print f }')
    s0=$(sample_children); c0=$(db_conns)
    secs=$(awk -v n="$n" -v r="$rate" 'BEGIN { s = int(n / 2 / (r > 0 ? r : 1) + 0.5); print (s < 1) ? 1 : s }')
    WRK_THREADS=$SOAK_CONNS wrk_run "$DB-soak-1" "$SOAK_CONNS" "$secs" "$BASE" \
        cycle.lua 1 "$NCRONS" bench- 1
    [ "${W[failed]}" = 1 ] && failed=1
    total=$((total + W[requests]))
    rate=${W[rps]}
    s1=$(sample_children); c1=$(db_conns)
    secs=$(awk -v n="$((n - total))" -v r="$rate" 'BEGIN { s = int(n / (r > 0 ? r : 1) + 0.5); print (s < 1) ? 1 : s }')
    # The second half, then more (at most twice) while short of n.
    local k
    for k in 2 3 4; do
        WRK_THREADS=$SOAK_CONNS wrk_run "$DB-soak-$k" "$SOAK_CONNS" "$secs" "$BASE" \
            cycle.lua 1 "$NCRONS" bench- 1
        [ "${W[failed]}" = 1 ] && failed=1
        total=$((total + W[requests]))
        rate=${W[rps]}
        [ "$total" -lt $((n * 97 / 100)) ] || break
        secs=$(awk -v n="$((n - total))" -v r="$rate" 'BEGIN { s = int(n / (r > 0 ? r : 1) + 0.5); print (s < 1) ? 1 : s }')
    done
    s2=$(sample_children); c2=$(db_conns)
    say "samples (pid:VmRSS KiB:fds): start $s0 | middle $s1 | end $s2; connections $c0 $c1 $c2"

    # Per child: growth of RSS and of fds from the start sample.
    local report
    report=$(perl -e '
        my %s;
        for my $i (0 .. 2) {
            for (split " ", $ARGV[$i]) { my ($p, $r, $f) = split /:/; $s{$p}[$i] = [$r, $f]; }
        }
        my ($n, $gone, $rs, $rm, $re, $fs, $fm, $fe, $g) = (0, 0);
        for my $p (sort keys %s) {
            my @x = @{ $s{$p} };
            if (grep { !defined } @x[0 .. 2]) { $gone++; next; }
            $n++;
            my $growth = $x[2][0] - $x[0][0];
            if (!defined $g || $growth > $g) {
                ($g, $rs, $rm, $re) = ($growth, $x[0][0], $x[1][0], $x[2][0]);
            }
            $fs = $x[0][1] if !defined $fs || $x[0][1] > $fs;
            $fm = $x[1][1] if !defined $fm || $x[1][1] > $fm;
            $fe = $x[2][1] if !defined $fe || $x[2][1] > $fe;
        }
        print $n ? "$n $gone $rs $rm $re $fs $fm $fe" : "0 $gone 0 0 0 0 0 0";
    ' "$s0" "$s1" "$s2")
    local n gone rs rm re fs fm fe
    read -r n gone rs rm re fs fm fe <<<"$report"
    if [ "$n" = 0 ] || [ "$gone" != 0 ]; then
        fail "soak: $gone httpd children came or went during the soak ($n stayed)"
        failed=1
    fi
    local v
    v=$(verdict "$failed" "$(awk -v a="$rs" -v b="$re" 'BEGIN { print (b - a < 1024) ? 1 : 0 }')")
    row "soak: RSS per child, $total requests" "$DB" \
        "middle $rm KiB, end $re KiB (+$((re - rs)) KiB)" "start $rs KiB" \
        "$(ratio "$re" "$rs")" "< 1 MiB growth" "$v"
    v=$(verdict "$failed" "$([ "$fe" -le "$fs" ] && echo 1 || echo 0)")
    row "soak: open fds per child (max of $n)" "$DB" "middle $fm, end $fe" "start $fs" \
        "$(ratio "$fe" "$fs")" "no growth" "$v"
    if [ "$DB" = sqlite ]; then
        row "soak: database connections" "$DB" "n/a (SQLite: no server)" "-" "-" "no growth" "report"
    else
        v=$(verdict "$failed" "$([ "$c2" -le "$c0" ] && echo 1 || echo 0)")
        row "soak: database connections" "$DB" "middle $c1, end $c2" "start $c0" \
            "$(ratio "$c2" "$c0")" "no growth (DBDMax $DBDMAX x $PROCS)" "$v"
    fi
}

# ------------------------------------------------------------------ main ---

t_all=$(now)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
busy_note=""
if awk -v l="${load_before%% *}" 'BEGIN { exit !(l > 0.5) }'; then
    busy_note=" (something else was using the CPU when the run began: the figures are noisier, the ratios less so)"
    say "warning: load average $load_before: something else is using the CPU"
fi
say "mode $mode: $SECS s per figure, soak $SOAK requests; databases ${dbs[*]}; logs in $logdir"

mpm_line="event MPM, $PROCS processes x $THREADS threads (ThreadsPerChild $THREADS, MaxRequestWorkers $((PROCS * THREADS))), KeepAlive On with no request limit, LogLevel warn, no access log (it would be the bottleneck)"
pool_line="DBDMin 1, DBDKeep $DBDMAX, DBDMax $DBDMAX per process"
declare -A db_settings=()

# Big tables take minutes to load, and the soak minutes to run; neither
# is a speed figure (the soak measures growth), so on PostgreSQL they run
# side by side: PostgreSQL comes last, its big tables load while its soak
# runs, and they are measured once everything else is done.
bt="$top/scripts/bench-bigtables.sh"
bt_overlap=0
if [ "$mode" != smoke ] && [ "${CHARON_BENCH_BIGTABLES:-1}" != 0 ] &&
   [ "${CHARON_BENCH_BIGTABLES:-1}" != all ] && [ -x "$bt" ] &&
   printf '%s\n' "${dbs[@]}" | grep -qx pgsql; then
    bt_overlap=1
    order=()
    for d in "${dbs[@]}"; do [ "$d" = pgsql ] || order+=("$d"); done
    dbs=("${order[@]}" pgsql)
fi
bt_go="$work/bigtables-go"
bt_start() {
    local args=()
    [ "$mode" = quick ] && args+=(--quick)
    say "big tables: loading beside the soak (measured after it)"
    env -u CHARON_PG_DIR -u CHARON_PG_LOG -u CHARON_PG_PORT \
        CHARON_BIGT_WAIT_FOR="$bt_go" \
        CHARON_BIGT_LOAD_BUDGET="${CHARON_BIGT_LOAD_BUDGET:-$([ "$mode" = quick ] && echo 60 || echo 300)}" \
        "$bt" "${args[@]}" pgsql >"$logdir/bigtables.txt" 2>&1 &
    bt_pid=$!
}

for DB in "${dbs[@]}"; do
    section "setup"
    if ! db_setup; then
        fail "database setup failed"; db_teardown || true; section_end; continue
    fi
    db_settings[$DB]=$SETTINGS
    httpd_write_conf "$DRIVER" "$PARAMS" "$INIT_SQL"
    # The previous database stopped while this one started: gone now,
    # before anything is measured.
    wait_bg
    if ! httpd_start; then
        fail "httpd did not start"; httpd_stop; db_teardown || true; section_end; continue
    fi
    # Warm-up: every child opens its DBDMax connections (mod_dbd opens
    # them one at a time, under the pool's lock: the first burst after a
    # start waits for that, up to hundreds of ms at p99 here), and runs
    # every statement once on them.
    section "warm-up"
    wrk_run "$DB-warmup-1" 128 "$WARM" "${BASE}bench-1/can-start"
    WRK_THREADS=$SOAK_CONNS wrk_run "$DB-warmup-2" "$SOAK_CONNS" "$WARM" "$BASE" \
        cycle.lua 1 "$NCRONS" bench- 1
    CYCLE_RPS=${W[rps]}

    sec_can_start
    sec_start
    sec_message
    sec_end
    if [ "$DB" != pgsql ]; then sec_cycle; fi
    if [ "$DB" = pgsql ] && [ "$bt_overlap" = 1 ]; then bt_start; fi
    sec_soak
    section "stop"
    error_log_row
    teardown_bg
    section_end
done
wait_bg
DB=""

# Big tables: scripts/bench-bigtables.sh starts what it needs itself.
# bt_collect RC: its rows into the table; a failure or no row fails the run.
bt_collect() {
    grep '^row|' "$logdir/bigtables.txt" | tee -a "$rows" || true
    if [ "$1" != 0 ]; then
        fail "scripts/bench-bigtables.sh exited $1: $(tail -n 3 "$logdir/bigtables.txt" | tr '\n' ' ')"
    fi
    if ! grep -q '^row|' "$logdir/bigtables.txt"; then
        fail "scripts/bench-bigtables.sh printed no row"
        row "big tables" "all" "no figure" "-" "-" "within 1.2x" "ERROR"
    fi
}
section "big tables"
bt_rc=0
if [ -n "$bt_pid" ]; then
    # PostgreSQL's, loaded beside its soak (see bt_start).
    for d in "${dbs[@]}"; do
        [ "$d" = pgsql ] || row "big tables (10M executions, 50M messages)" "$d" "not measured here: make bench-bigtables" "-" "-" "within 1.2x" "report"
    done
    touch "$bt_go"
    wait "$bt_pid" || bt_rc=$?
    bt_pid=""
    bt_collect "$bt_rc"
elif [ "$mode" = smoke ]; then
    row "big tables (10M executions, 50M messages)" "all" "not measured (--smoke)" "-" "-" "within 1.2x" "report"
elif [ "${CHARON_BENCH_BIGTABLES:-1}" = 0 ]; then
    row "big tables (10M executions, 50M messages)" "all" "not measured (CHARON_BENCH_BIGTABLES=0)" "-" "-" "within 1.2x" "report"
elif [ -x "$bt" ]; then
    # CHARON_BENCH_BIGTABLES=all, or no PostgreSQL: every database named,
    # after everything else.
    bt_args=()
    [ "$mode" = quick ] && bt_args+=(--quick)
    "$bt" "${bt_args[@]}" "${dbs[@]}" >"$logdir/bigtables.txt" 2>&1 || bt_rc=$?
    bt_collect "$bt_rc"
else
    row "big tables (10M executions, 50M messages)" "all" "not measured (no executable scripts/bench-bigtables.sh)" "-" "-" "within 1.2x" "report"
fi
section_end
total_s=$(fmt 0 "$(f "$(now) - $t_all")")

# ---------------------------------------------------------- the table ---

# Every row the run must have printed, with a number in it.
expected=()
for d in "${dbs[@]}"; do
    expected+=("can-start req/s, c32, keep-alive|$d")
    [ "$d" = pgsql ] && expected+=("start req/s, c8|$d" "start req/s, c32|$d")
    [ "$d" != pgsql ] && expected+=("start+message+end cycles/s, c1|$d")
    for ep in can-start start message end; do
        for c in "${CONCS[@]}"; do expected+=("latency $ep, c$c|$d"); done
    done
    expected+=("soak: open fds per child|$d" "soak: database connections|$d" "soak: RSS per child|$d")
    expected+=("httpd error_log|$d")
done
for x in "${expected[@]}"; do
    m=${x%|*} d=${x#*|}
    if ! awk -F'|' -v m="$m" -v d="$d" '$3 == d && index($2, m) == 1 { found = 1 } END { exit !found }' "$rows"; then
        fail "the table has no row '$m' for $d"
    fi
done
while IFS='|' read -r _ m d fig _ _ _ v; do
    case $fig in
        "n/a"*|"not measured"*) continue ;;
    esac
    [[ $fig =~ [0-9] ]] || fail "row '$m' ($d) has no number: '$fig'"
    if [ "$v" = ERROR ]; then
        fail "row '$m' ($d) is marked ERROR"
    elif [[ $fig =~ ^0(\.0+)?\  ]] && [[ $m != "httpd error_log"* ]]; then
        fail "row '$m' ($d): zero ('$fig')"
    fi
done <"$rows"

{
    echo "## mod_charon benchmark ($(date -u '+%Y-%m-%d %H:%M UTC'), mode $mode)"
    echo
    echo "- load average before the run: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)${busy_note}"
    echo "- machine: $NCPU CPUs ($(sed -n 's/^model name[^:]*: *//p' /proc/cpuinfo | head -n 1)), $(free -m | awk '/^Mem:/ { print $2 }') MiB, Linux $(uname -r)"
    echo "- httpd: $("$HTTPD" -v | sed -n 's/^Server version: *//p'); $mpm_line"
    echo "- mod_dbd pool: $pool_line"
    for d in "${dbs[@]}"; do
        case $d in
            pgsql)  echo "- PostgreSQL $("$CHARON_PG_BIN/postgres" -V | awk '{ print $3 }'): ${db_settings[$d]:-not set up}; pgbench and the module alike" ;;
            mysql)  echo "- MariaDB $(mariadbd --version 2>/dev/null | sed -n 's/.*Ver \([^ ]*\).*/\1/p'): ${db_settings[$d]:-not set up}" ;;
            sqlite) echo "- SQLite $(sqlite3 --version | awk '{ print $1 }'): ${db_settings[$d]:-not set up}" ;;
        esac
    done
    echo "- load: $(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }'), keep-alive, $SECS s per figure, one thread per core (one per connection for the cycles and the soak, $SOAK_CONNS connections); $NCRONS crons; all on 127.0.0.1"
    echo
    echo "| measurement | database | figure | reference | ratio | target | verdict |"
    echo "|---|---|---|---|---|---|---|"
    # Ratios first, then latencies, the soak, the rest; by database in the
    # order they ran, by endpoint, by concurrency.
    perl -e '
        my %db; my $i = 0; $db{$_} = $i++ for @ARGV;
        my @ep = qw(can-start start message end);
        sub key {
            my ($m, $d) = @{ $_[0] }[1, 2];
            my $cat = $m =~ /^can-start req/ ? 1 : $m =~ /^start req/ ? 2
                    : $m =~ /^start\+message/ ? 3 : $m =~ /^latency/ ? 4
                    : $m =~ /^soak/ ? 5 : $m =~ /^httpd error_log/ ? 6 : 7;
            my ($e) = grep { $m =~ /^latency \Q$ep[$_]\E,/ } 0 .. $#ep;
            my ($c) = $m =~ /\bc(\d+)\b/;
            return [$cat, $db{$d} // 99, $e // 0, $c // 0];
        }
        my @r = map { chomp; [split /\|/, $_, -1] } <STDIN>;
        my $n = 0; $_->[9] = $n++ for @r;
        for my $x (sort { my ($p, $q) = (key($a), key($b));
                          $p->[0] <=> $q->[0] || $p->[1] <=> $q->[1] || $p->[2] <=> $q->[2]
                          || $p->[3] <=> $q->[3] || $a->[9] <=> $b->[9] } @r) {
            print "| ", join(" | ", @$x[1 .. 7]), " |\n";
        }' "${dbs[@]}" <"$rows"
    echo
    echo "Time per section (s): $(awk -F'|' '{ printf "%s%s%s %s", (NR > 1 ? ", " : ""), ($1 == "-" ? "" : $1 ": "), $2, $3 }' "$sections"); total $total_s s"
} >"$logdir/table.md"
echo
cat "$logdir/table.md"
echo
if [ ${#failures[@]} -gt 0 ]; then
    say "${#failures[@]} failures (the figures above are not to be trusted):"
    for x in "${failures[@]}"; do echo "  - $x"; done
fi
finished=1
say "total time $total_s s; table in $logdir/table.md"
[ ${#failures[@]} -eq 0 ]
