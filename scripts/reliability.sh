#!/usr/bin/env bash
# Fault injection under load: proves that mod_charon loses nothing it
# acknowledged, never crashes, answers 503 in bounded time while the
# database is away, slow or out of connections, and recovers by itself.
#
#   scripts/reliability.sh [--quick] [pgsql] [mysql] [sqlite] [--only F1,F2]
#
#   (default)  every fault on every database, about 6 minutes
#   --quick    one fault per database (PostgreSQL fast restart, MariaDB
#              stop/start, SQLite locked writer), under 2 minutes
#   --only     run only the named faults (see the list below)
#
# For each database it starts a throwaway server (scripts/testdb.sh) and its
# own httpd (event MPM, 2 processes x 32 threads, DBDMin 1, DBDKeep 4,
# DBDMax 8) on 127.0.0.1, then for each fault runs the load client
# (tests/load/charon_load.py) while injecting the fault, and afterwards has
# it check the database: everything acknowledged with a 200 is there with
# exactly the acknowledged content, nothing ended twice or half, nothing
# stored twice.  It also checks httpd's error_log for crashes, and that the
# same httpd (no restart) is still serving.
#
# Faults (name: what happens):
#   down-at-start   the database is down when httpd starts, comes up 6 s
#                   later: 503 with Retry-After in bounded time, then 200s
#                   without restarting httpd
#   fast-restart    pg_ctl restart -m fast / MariaDB shutdown + start, under load
#   crash-5s        the database is killed under load (PostgreSQL immediate
#                   shutdown, MariaDB SIGKILL), stays down 5 s, comes back
#   slow-lock       another session holds an exclusive lock on
#                   charon_execution for 12 s, 8 clients: 503 within one
#                   statement timeout, no pile-up of database connections
#   pool-exhausted  the same lock for 15 s with 30 clients: more than DBDMax
#                   x processes (16), fewer than the threads of one process (32)
#   frozen          the database server is stopped (SIGSTOP) for 12 s under
#                   30 clients: at most DBDMax requests per process (those
#                   with a statement in flight) may wait for it; all others
#                   get 503 within the bound, no connection piles up
#   locked-writer   SQLite: the sqlite3 CLI holds BEGIN EXCLUSIVE for 8 s:
#                   writes get 503 (not 500), reads go on
#   graceful        apache2 -k graceful twice under load: no 5xx, no
#                   connection error but the keep-alive race (a kept-alive
#                   connection closed as a request goes out; the client
#                   retries it, and the check shows it had not been done)
#   checker-self-test  4 rows of the graceful fault are damaged on purpose:
#                   the loss checker must report exactly those
#   midbody         clients send headers with Content-Length 1000 (or a
#                   chunked body) and 10 bytes, then close or reset, while
#                   a load runs: nothing written, no crash
#
# Bounds (environment, seconds): CHARON_REL_STMT_TIMEOUT (5) and
# CHARON_REL_GATE_WAIT (5) are the module's statement timeout and its wait
# for a pooled connection; no request may take longer than
# CHARON_REL_MAX_LATENCY (statement timeout + 1), or, with the pool
# exhausted, CHARON_REL_MAX_LATENCY_POOL (both + 1).  CHARON_REL_LATE_GRACE
# (5): a 503 to a request sent this long after the database is back is a
# failure.  CHARON_REL_LOCK_SECONDS (12), CHARON_REL_LOCK_POOL_SECONDS (15):
# how long the locks are held.  CHARON_REL_LOGDIR (build/reliability): the
# results (JSON per fault, table.txt), httpd's and the databases' logs.
#
# The last line is "reliability: N passed, M failed" (N + M faults run); the
# exit status is non-zero when any failed.  Everything started here is
# stopped by a trap, also on failure or Ctrl-C.  Run as root (httpd's
# children then run as www-data, PostgreSQL as postgres) or as a plain user.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/testdb.sh
. "$top/scripts/testdb.sh"

say() { printf 'reliability: %s\n' "$*"; }
die() { printf 'reliability: %s\n' "$*" >&2; exit 2; }

# ------------------------------------------------------------ arguments ---

mode=full
dbs=()
only=""
while [ $# -gt 0 ]; do
    case $1 in
        --quick) mode=quick ;;
        --only) shift; only=",${1:?--only needs a list},"; ;;
        pgsql|mysql|sqlite) dbs+=("$1") ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1'" ;;
    esac
    shift
done
[ ${#dbs[@]} -gt 0 ] || dbs=(pgsql mysql sqlite)

# The module's own bounds (src/charon_db.c, src/charon_gate.c): a statement
# is cancelled after STMT_T s, a request waits at most GATE_T s for a pooled
# connection.  A request may take one statement timeout (plus 1 s of slack
# on this small machine); when the pool is exhausted, the wait for a
# connection on top.
STMT_T=${CHARON_REL_STMT_TIMEOUT:-5}
GATE_T=${CHARON_REL_GATE_WAIT:-5}
MAX_LAT=${CHARON_REL_MAX_LATENCY:-$((STMT_T + 1))}
MAX_LAT_POOL=${CHARON_REL_MAX_LATENCY_POOL:-$((GATE_T + STMT_T + 1))}
LATE_GRACE=${CHARON_REL_LATE_GRACE:-5}
# Locks are held longer than the bounds, so that a request that waited for
# the lock instead of giving up is caught.
LOCK_S=${CHARON_REL_LOCK_SECONDS:-12}
LOCK_POOL_S=${CHARON_REL_LOCK_POOL_SECONDS:-15}
FROZEN_S=${CHARON_REL_FROZEN_SECONDS:-12}
logdir=${CHARON_REL_LOGDIR:-$top/build/reliability}

# Pool and MPM sizes: the pool-exhausted fault depends on them.
PROCS=2
THREADS=32
DBDMAX=8
POOL_TOTAL=$((PROCS * DBDMAX))

# ----------------------------------------------------------- preflight ---

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3) || die "python3 not found (apt-get install python3)"
LOAD="$top/tests/load/charon_load.py"
HTTPD=/usr/sbin/apache2
MODS=/usr/lib/apache2/modules
[ -x "$HTTPD" ] || die "$HTTPD not found (apt-get install apache2)"
[ -f "$top/.libs/mod_charon.so" ] || die "$top/.libs/mod_charon.so is missing: run make first"
for c in curl sqlite3 mariadb; do
    command -v "$c" >/dev/null || die "$c not found"
done

if [ "$(id -u)" = 0 ]; then
    run_user=${CHARON_REL_USER:-www-data}
    run_group=$(id -gn "$run_user") || die "user $run_user does not exist"
else
    run_user=$(id -un)
    run_group=$(id -gn)
fi

# ------------------------------------------------------- state, cleanup ---

work=$(mktemp -d /tmp/charon-rel.XXXXXX)
chmod 755 "$work"       # postgres and the httpd children go below it
mkdir -p "$work/results"
# The module is copied: a rebuild during the run (or a graceful restart
# reloading a half-written file) must not change what is being tested.
cp "$top/.libs/mod_charon.so" "$work/mod_charon.so"

bg_pids=()              # load clients and fault injectors started here
httpd_conf=""
results=()              # result files, in order
setup_failed=0

httpd_pid() { cat "$work/httpd/httpd.pid" 2>/dev/null || true; }

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
    httpd_conf=""
}

save_logs() {
    mkdir -p "$logdir" 2>/dev/null || return 0
    local db=$1
    if [ -f "$work/httpd/error_log" ]; then
        cp "$work/httpd/error_log" "$logdir/$db-error_log" || true
    fi
    if [ -f "$work/httpd/access_log" ]; then
        gzip -c "$work/httpd/access_log" >"$logdir/$db-access_log.gz" || true
    fi
    case $db in
    pgsql) if [ -f "${CHARON_PG_LOG:-}" ]; then cp "$CHARON_PG_LOG" "$logdir/pgsql-postgres.log" || true; fi ;;
    mysql) if [ -f "${CHARON_MY_LOG:-}" ]; then cp "$CHARON_MY_LOG" "$logdir/mysql-mariadb.err" || true; fi ;;
    esac
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    local p
    for p in "${bg_pids[@]}"; do
        kill -TERM "$p" 2>/dev/null || true
    done
    for p in "${bg_pids[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    db_thaw
    if [ -z "${finished:-}" ] && [ -n "${DB:-}" ]; then
        save_logs "$DB" 2>/dev/null || true
    fi
    httpd_stop
    charon_pg_stop >/dev/null 2>&1 || true
    charon_my_stop >/dev/null 2>&1 || true
    if [ -d "$work/results" ] && mkdir -p "$logdir" 2>/dev/null; then
        cp "$work"/results/* "$logdir/" 2>/dev/null || true
    fi
    rm -rf "$work"
    if [ -z "${finished:-}" ]; then
        echo "reliability: aborted (exit $rc); see $logdir"
        echo "reliability: 0 passed, 1 failed"
        [ "$rc" != 0 ] || rc=1
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

rm -rf "$logdir" 2>/dev/null || true
mkdir -p "$logdir"

# ----------------------------------------------------------------- httpd ---

# httpd_write_conf DRIVER PARAMS: the configuration of this database's
# httpd, with one API key per fault (the executions of a fault are found
# by its key's name).
httpd_write_conf() {
    local driver=$1 params=$2 f
    mkdir -p "$work/httpd"
    [ "$(id -u)" = 0 ] && chown "$run_user:$run_group" "$work/httpd"
    HTTP_PORT=$(charon_free_port)
    BASE="http://127.0.0.1:$HTTP_PORT/api/"
    : >"$work/httpd/keys.conf"
    KEYS=()
    for f in down-at-start fast-restart crash-5s slow-lock pool-exhausted frozen locked-writer \
             graceful midbody midbody-bg; do
        KEYS[$f]=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
        printf '    CharonApiKey load-%s "%s"\n' "$f" "${KEYS[$f]}" >>"$work/httpd/keys.conf"
    done
    local user_lines=""
    [ "$(id -u)" = 0 ] && user_lines="User $run_user
Group $run_group"
    httpd_conf="$work/httpd/httpd.conf"
    cat >"$httpd_conf" <<CONF
# Written by scripts/reliability.sh; thrown away after the run.
ServerRoot "$work/httpd"
ServerName localhost
Listen 127.0.0.1:$HTTP_PORT
PidFile "$work/httpd/httpd.pid"
DefaultRuntimeDir "$work/httpd"
ErrorLog "$work/httpd/error_log"
LogLevel warn mpm_event:trace1 charon:debug
# Which connection each answer went to, and whether it was kept open
# (%X: + kept alive, - closed, X aborted), for matching the client's view.
LogFormat "%{%H:%M:%S}t.%{msec_frac}t %a:%{remote}p %m %U %>s %X %k %D %P/%{tid}P" rel
CustomLog "$work/httpd/access_log" rel
$user_lines

LoadModule mpm_event_module  $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule dbd_module        $MODS/mod_dbd.so
LoadModule charon_module     "$work/mod_charon.so"

# $PROCS processes of $THREADS threads; ServerLimit leaves room for the
# processes of the old generation during a graceful restart.
StartServers      $PROCS
ServerLimit       $((PROCS * 2))
ThreadLimit       $THREADS
ThreadsPerChild   $THREADS
MaxRequestWorkers $((PROCS * THREADS))
MinSpareThreads   1
MaxSpareThreads   $((PROCS * THREADS))
KeepAlive On
KeepAliveTimeout 5
MaxKeepAliveRequests 1000
Timeout 20

DBDriver $driver
DBDParams "$params"
DBDMin 1
DBDKeep 4
DBDMax $DBDMAX
DBDExptime 60

<Location "/api/">
    SetHandler charon
    Require all granted
    Include "$work/httpd/keys.conf"
</Location>
CONF
}

# One random key per fault, made by httpd_write_conf.
declare -A KEYS=()
key_of() { printf '%s' "${KEYS[$1]:?no key for $1}"; }

httpd_start() {
    : >"$work/httpd/error_log"
    : >"$work/httpd/access_log"
    "$HTTPD" -f "$httpd_conf" -k start || { cat "$work/httpd/error_log" >&2; return 1; }
    local n=150 code
    while [ $n -gt 0 ]; do
        # 401 needs no database: httpd and the module are up.
        code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' "${BASE}x/can-start" || true)
        [ "$code" = 401 ] && return 0
        sleep 0.1; n=$((n - 1))
    done
    say "httpd did not answer on $BASE"; tail -n 20 "$work/httpd/error_log" >&2
    return 1
}

# ------------------------------------------------------------- databases ---

# db_setup DB: start the database, load the schema, seed 8 crons; sets
# DB_ARGS (how charon_load.py reaches it), DRIVER, PARAMS, CRONS.
db_setup() {
    local db=$1 i seed=""
    for i in 1 2 3 4 5 6 7 8; do
        seed="$seed${seed:+, }('rel-$i', 'Reliability cron $i', TRUE)"
    done
    case $db in
    pgsql)
        charon_pg_start "$work/pg" || return 1
        charon_pg_load "$top/sql/postgresql.sql" || return 1
        # testdb.sh starts PostgreSQL with synchronous_commit=off, which
        # acknowledges commits before their WAL is written: a crash (the
        # crash-5s fault) then loses acknowledged transactions, in the
        # database, before the module has any say.  On for this database
        # (a database setting outranks the server's command line).
        charon_pg_psql -q -c "ALTER DATABASE charon SET synchronous_commit = on" >/dev/null
        charon_pg_psql -q -c "INSERT INTO charon_cron (slug, name, active) VALUES $seed" >/dev/null
        CRONS=$(charon_pg_psql -At -F: -c "SELECT id, slug FROM charon_cron ORDER BY id" | paste -sd,)
        DRIVER=pgsql
        PARAMS="host=127.0.0.1 port=$CHARON_PG_PORT dbname=charon user=postgres connect_timeout=2"
        DB_ARGS=(--db pgsql --db-port "$CHARON_PG_PORT" --db-user postgres --psql "$CHARON_PG_BIN/psql")
        ;;
    mysql)
        charon_my_start "$work/my" || return 1
        charon_my_load "$top/sql/mysql.sql" || return 1
        charon_my_sql charon -e "INSERT INTO charon_cron (slug, name, active) VALUES $seed"
        CRONS=$(charon_my_sql charon -N -B -e "SELECT CONCAT(id, ':', slug) FROM charon_cron ORDER BY id" | paste -sd,)
        DRIVER=mysql
        # Debian's apr_dbd_mysql (apr-util 1.6.3) knows no timeout keys.
        PARAMS="host=127.0.0.1 port=$CHARON_MY_PORT user=charon pass=$CHARON_MY_PASS dbname=charon reconnect=0"
        DB_ARGS=(--db mysql --db-port "$CHARON_MY_PORT" --db-user charon --db-pass "$CHARON_MY_PASS")
        ;;
    sqlite)
        SQLITE_FILE="$work/sqlite/charon.db"
        charon_sqlite_create "$SQLITE_FILE" "$top/sql/sqlite.sql" "$run_user:$run_group" || return 1
        sqlite_as "$SQLITE_FILE" "INSERT INTO charon_cron (slug, name, active) VALUES $seed"
        CRONS=$(sqlite_as "$SQLITE_FILE" "SELECT id || ':' || slug FROM charon_cron ORDER BY id" | paste -sd,)
        DRIVER=sqlite3
        PARAMS=$SQLITE_FILE
        DB_ARGS=(--db sqlite3 --db-file "$SQLITE_FILE")
        [ "$(id -u)" = 0 ] && DB_ARGS+=(--db-owner "$run_user")
        ;;
    esac
}

# sqlite_as FILE SQL: the sqlite3 CLI as httpd's user, so that no file
# next to the database ends up owned by root.
sqlite_as() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$run_user" -- sqlite3 -batch -bail -cmd '.timeout 10000' "$@"
    else
        sqlite3 -batch -bail -cmd '.timeout 10000' "$@"
    fi
}

# db_down DB [crash]: stop the database cleanly, or kill it (PostgreSQL
# immediate shutdown, which skips the shutdown checkpoint and drops every
# connection at once; SIGKILL for MariaDB).
db_down() {
    case $1:${2:-} in
        pgsql:) charon_pg_down fast ;;
        pgsql:crash) charon_pg_down immediate ;;
        mysql:) charon_my_down shutdown ;;
        mysql:crash) charon_my_down kill ;;
    esac
}
db_up() {
    case $1 in
        pgsql) charon_pg_up ;;
        mysql) charon_my_up ;;
    esac
}
db_restart() {
    case $1 in
        pgsql) charon_pg_restart ;;
        mysql) charon_my_restart ;;
    esac
}

# db_freeze DB / db_thaw DB: SIGSTOP / SIGCONT every process of the
# database server: it accepts TCP connections (the kernel does) but
# answers nothing, like a paused VM or a partition without resets.
FROZEN=""
db_pids() {
    case $1 in
    pgsql)
        local pm
        pm=$(head -n 1 "$CHARON_PG_DIR/data/postmaster.pid")
        # shellcheck disable=SC2046
        echo "$pm" $(ps -o pid= --ppid "$pm")
        ;;
    mysql) echo "$CHARON_MY_PID" ;;
    esac
}
db_freeze() {
    FROZEN=$(db_pids "$1")
    # shellcheck disable=SC2086
    kill -STOP $FROZEN
}
db_thaw() {
    [ -n "$FROZEN" ] || return 0
    # shellcheck disable=SC2086
    kill -CONT $FROZEN 2>/dev/null || true
    FROZEN=""
}

db_teardown() {
    case $1 in
        pgsql) charon_pg_stop ;;
        mysql) charon_my_stop ;;
        sqlite) rm -rf "$work/sqlite" ;;
    esac
}

# lock_tables DB SECONDS: in the background, another session holds an
# exclusive lock on charon_execution for SECONDS; sets LOCK_PID.  Writes
# "locked" to $work/lock.out once it has the lock.
lock_tables() {
    local db=$1 s=$2
    : >"$work/lock.out"
    case $db in
    pgsql)
        charon_pg_psql -At >"$work/lock.out" 2>&1 <<SQL &
BEGIN;
LOCK TABLE charon_execution IN ACCESS EXCLUSIVE MODE;
SELECT 'locked';
SELECT pg_sleep($s);
COMMIT;
SQL
        ;;
    mysql)
        charon_my_sql charon -N -B >"$work/lock.out" 2>&1 <<SQL &
LOCK TABLES charon_execution WRITE;
SELECT 'locked';
SELECT SLEEP($s);
UNLOCK TABLES;
SQL
        ;;
    sqlite)
        sqlite_as "$SQLITE_FILE" >"$work/lock.out" 2>&1 <<SQL &
BEGIN EXCLUSIVE;
SELECT 'locked';
.shell sleep $s
COMMIT;
SQL
        ;;
    esac
    LOCK_PID=$!
    bg_pids+=("$LOCK_PID")
    local n=100
    while [ $n -gt 0 ] && ! grep -q locked "$work/lock.out"; do
        sleep 0.05; n=$((n - 1))
    done
}

# ------------------------------------------------------------- scenarios ---

# scenario_begin FAULT: bookkeeping before a fault.
scenario_begin() {
    FAULT=$1
    OUT="$work/results/$(printf '%02d' ${#results[@]})-$DB-$FAULT.json"
    MARKS="$work/$DB-$FAULT.marks"
    : >"$MARKS"
    LOG_OFF=$(stat -c %s "$work/httpd/error_log" 2>/dev/null || echo 0)
    MASTER=$(httpd_pid)
    say "---- $DB: $FAULT"
}

mark() { printf '%s %s\n' "$1" "$(date +%s.%N)" >>"$MARKS"; }

# load_bg ARGS...: the load client in the background (LOAD_PID), with this
# fault's key; ARGS add to or override the defaults.
load_bg() {
    "$PY" "$LOAD" run --base "$BASE" --key "$(key_of "$FAULT")" --key-name "load-$FAULT" \
        --crons "$CRONS" --out "$OUT" --scenario "$FAULT" --db-label "$DB" \
        --marks "$MARKS" --max-latency "$MAX_LAT" --late-grace "$LATE_GRACE" \
        "${DB_ARGS[@]}" "$@" >"$work/$DB-$FAULT.load.out" 2>&1 &
    LOAD_PID=$!
    bg_pids+=("$LOAD_PID")
}

# scenario_end: waits for the load, verifies, checks httpd; counts the result.
scenario_end() {
    local rc=0 crash
    wait "$LOAD_PID" || rc=$?
    cat "$work/$DB-$FAULT.load.out"
    if [ ! -s "$OUT" ]; then
        printf '{"scenario":"%s","database":"%s","run":{},"executions":[],"failures":["the load client wrote no result (exit %s)"],"notes":[]}\n' \
            "$FAULT" "$DB" "$rc" >"$OUT"
    else
        "$PY" "$LOAD" verify --out "$OUT" "${DB_ARGS[@]}" || true
    fi
    scenario_checks
}

# scenario_checks: httpd still the same process, no crash in its log.
scenario_checks() {
    local crash now_master
    crash=$(tail -c +$((LOG_OFF + 1)) "$work/httpd/error_log" |
            grep -E 'exit signal|[Ss]egmentation|seg fault|core dump|double free|corrupted|AH00060' | head -n 5 || true)
    if [ -n "$crash" ]; then
        "$PY" "$LOAD" annotate --out "$OUT" --fail "httpd crashed: $crash"
    fi
    if tail -c +$((LOG_OFF + 1)) "$work/httpd/error_log" | grep -q 'AH00485'; then
        "$PY" "$LOAD" annotate --out "$OUT" --note "scoreboard full (AH00485): httpd ran out of workers"
    fi
    now_master=$(httpd_pid)
    if [ -z "$now_master" ] || ! kill -0 "$now_master" 2>/dev/null; then
        "$PY" "$LOAD" annotate --out "$OUT" --fail "httpd is gone"
    elif [ -n "$MASTER" ] && [ "$now_master" != "$MASTER" ]; then
        "$PY" "$LOAD" annotate --out "$OUT" --fail "httpd's parent changed ($MASTER -> $now_master)"
    fi
    local n
    n=$(tail -c +$((LOG_OFF + 1)) "$work/httpd/error_log" | grep -c 'charon' || true)
    "$PY" "$LOAD" annotate --out "$OUT" --set "log_lines=$n"
    results+=("$OUT")
}

fault_failed() { "$PY" "$LOAD" annotate --out "$OUT" --fail "$1"; }

# fault_ok FILE: whether a fault's checks all passed.
fault_ok() {
    "$PY" - "$1" <<'PY'
import json, sys
sys.exit(1 if json.load(open(sys.argv[1]))["failures"] else 0)
PY
}

scenario_verdict() {
    if fault_ok "$OUT"; then say "$DB $FAULT: pass"; else say "$DB $FAULT: FAIL"; fi
}

want() {
    [ -z "$only" ] || [[ $only == *",$1,"* ]]
}

t_short=14          # seconds of load for a fault that comes and goes
[ "$mode" = quick ] && t_short=12

f_down_at_start() {
    want down-at-start || return 0
    db_down "$DB"
    httpd_start
    scenario_begin down-at-start
    load_bg --duration 16 --expect-503 --recover-mark db_back
    sleep 6
    db_up "$DB"
    mark db_back
    scenario_end
    scenario_verdict
}

f_fast_restart() {
    want fast-restart || return 0
    scenario_begin fast-restart
    load_bg --duration "$t_short" --recover-mark db_back
    sleep 4
    mark fault
    db_restart "$DB"
    mark db_back
    scenario_end
    scenario_verdict
}

f_down_5s() {
    want crash-5s || return 0
    scenario_begin crash-5s
    load_bg --duration 18 --expect-503 --recover-mark db_back
    sleep 4
    db_down "$DB" crash
    mark db_down
    sleep 5
    db_up "$DB"
    mark db_back
    scenario_end
    scenario_verdict
}

# f_lock FAULT CONNECTIONS SECONDS BOUND: another session locks
# charon_execution for SECONDS while CONNECTIONS clients run; no request
# may take longer than BOUND.
f_lock() {
    local fault=$1 conns=$2 hold=$3 bound=$4
    want "$fault" || return 0
    scenario_begin "$fault"
    local extra=(--sample-db-conns)
    [ "$DB" != sqlite ] && extra+=(--max-db-conns "$POOL_TOTAL")
    load_bg --duration $((hold + 10)) --connections "$conns" --expect-503 \
        --recover-mark db_back --max-latency "$bound" "${extra[@]}"
    sleep 3
    lock_tables "$DB" "$hold"
    mark locked
    local lrc=0
    wait "$LOCK_PID" || lrc=$?
    mark db_back
    grep -q locked "$work/lock.out" || lrc=99
    scenario_end
    if [ "$lrc" = 99 ]; then
        fault_failed "the lock was never taken: $(head -c 300 "$work/lock.out")"
    elif [ "$lrc" != 0 ]; then
        "$PY" "$LOAD" annotate --out "$OUT" --note "the lock session exited $lrc: $(head -c 300 "$work/lock.out" | tr '\n' ' ')"
    fi
    scenario_verdict
}

# f_frozen: the database server is stopped (SIGSTOP) for FROZEN_S s under
# 30 clients.  A statement in flight then waits for the server to resume:
# neither the server's statement timeout nor apr_dbd can end it (the
# drivers have no client-side query timeout).  What the module can and must
# bound is everything else: at most DBDMax requests per process stay stuck
# (one per pooled connection), every other one gets 503 within the wait
# for a connection, and no connection piles up.
f_frozen() {
    want frozen || return 0
    scenario_begin frozen
    load_bg --duration $((FROZEN_S + 10)) --connections 30 --expect-503 \
        --recover-mark db_back --max-latency "$MAX_LAT_POOL" --max-slow "$POOL_TOTAL"
    sleep 3
    db_freeze "$DB"
    mark frozen
    sleep "$FROZEN_S"
    db_thaw
    mark db_back
    scenario_end
    scenario_verdict
}

f_graceful() {
    want graceful || return 0
    scenario_begin graceful
    load_bg --duration 16
    sleep 4
    "$HTTPD" -f "$httpd_conf" -k graceful
    mark graceful1
    sleep 6
    "$HTTPD" -f "$httpd_conf" -k graceful
    mark graceful2
    scenario_end
    # No 503 either: the database was fine all along.
    "$PY" - "$OUT" <<'PY'
import json, subprocess, sys
d = json.load(open(sys.argv[1]))
n = d.get("run", {}).get("by_status", {}).get("503", 0)
if n:
    d["failures"].append("%d answers were 503 during a graceful restart" % n)
    json.dump(d, open(sys.argv[1], "w"))
PY
    scenario_verdict
}

# f_selfcheck: the loss checker must see damage done on purpose to the rows
# of the graceful fault (run after it).
f_selfcheck() {
    want graceful || return 0
    local src=$OUT
    FAULT=checker-self-test
    OUT="$work/results/$(printf '%02d' ${#results[@]})-$DB-$FAULT.json"
    say "---- $DB: $FAULT"
    "$PY" "$LOAD" selfcheck --source "$src" --out "$OUT" --db-label "$DB" "${DB_ARGS[@]}" || true
    results+=("$OUT")
    scenario_verdict
}

f_midbody() {
    want midbody || return 0
    scenario_begin midbody
    # A load with its own key alongside, so aborts meet busy workers.
    local bg_out="$work/results/bg-$DB-midbody.json"
    "$PY" "$LOAD" run --base "$BASE" --key "$(key_of midbody-bg)" --key-name load-midbody-bg \
        --crons "$CRONS" --out "$bg_out" --scenario midbody-bg --db-label "$DB" \
        --duration 8 --connections 8 --max-latency "$MAX_LAT" \
        >"$work/$DB-midbody-bg.out" 2>&1 &
    local bgp=$!
    bg_pids+=("$bgp")
    local rc=0
    "$PY" "$LOAD" midbody --base "$BASE" --key "$(key_of midbody)" --key-name load-midbody \
        --cron "${CRONS%%:*}" --out "$OUT" --scenario midbody --db-label "$DB" \
        "${DB_ARGS[@]}" || rc=$?
    wait "$bgp" || true
    cat "$work/$DB-midbody-bg.out"
    "$PY" "$LOAD" verify --out "$bg_out" "${DB_ARGS[@]}" || true
    "$PY" - "$OUT" "$bg_out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
for f in b["failures"]:
    d["failures"].append("load alongside: " + f)
d["notes"].append("load alongside: %d requests %s" % (b["run"].get("requests", 0),
                  b["run"].get("by_status", {})))
json.dump(d, open(sys.argv[1], "w"))
PY
    rm -f "$bg_out"
    scenario_checks
    scenario_verdict
}

# ------------------------------------------------------------------ main ---

t_all=$(date +%s)
say "mode $mode; databases ${dbs[*]}; logs in $logdir"
say "machine: $(nproc) CPUs, $(free -m | awk '/^Mem:/ {print $2}') MiB; latency bounds ${MAX_LAT} s, ${MAX_LAT_POOL} s with the pool exhausted"

for DB in "${dbs[@]}"; do
    t_db=$(date +%s)
    db_setup "$DB" || { say "$DB: database setup failed"; setup_failed=$((setup_failed + 1)); continue; }
    httpd_write_conf "$DRIVER" "$PARAMS"
    if [ "$mode" = quick ]; then
        httpd_start
        case $DB in
            pgsql|mysql) f_fast_restart ;;
            sqlite) f_lock locked-writer 8 8 "$MAX_LAT" ;;
        esac
    else
        case $DB in
        pgsql|mysql)
            if want down-at-start; then f_down_at_start; else httpd_start; fi
            f_fast_restart
            f_down_5s
            f_lock slow-lock 8 "$LOCK_S" "$MAX_LAT"
            f_lock pool-exhausted 30 "$LOCK_POOL_S" "$MAX_LAT_POOL"
            f_frozen
            f_graceful
            f_selfcheck
            f_midbody
            ;;
        sqlite)
            httpd_start
            f_lock locked-writer 8 8 "$MAX_LAT"
            f_graceful
            f_selfcheck
            f_midbody
            ;;
        esac
    fi
    save_logs "$DB"
    httpd_stop
    db_teardown "$DB"
    say "$DB done in $(( $(date +%s) - t_db )) s"
done

echo
"$PY" "$LOAD" table "${results[@]}" | tee "$work/results/table.txt" || true
passed=0
failed=$setup_failed
for f in "${results[@]}"; do
    if fault_ok "$f"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
say "total time $(( $(date +%s) - t_all )) s"
finished=1
echo "reliability: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
