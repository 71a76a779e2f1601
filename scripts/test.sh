#!/usr/bin/env bash
# Runs the Apache::Test suite (t/*.t) once per database backend.
#
#   scripts/test.sh [sqlite] [pgsql] [mysql] [-- TEST.PL args...]
#
# Default: all three, in that order. Arguments after "--" go to t/TEST.PL,
# e.g. `scripts/test.sh sqlite -- -verbose t/start.t`.
#
# Expects the module already built at .libs/mod_charon.so (`make test` builds
# it and runs the unit tests first). For each backend it
#   1. copies the tree (without .git, build/, run/) to a fresh directory
#      under /tmp that the test user owns: Apache::Test refuses to run as
#      root and then exits 0 having run nothing, and a CI clone may sit
#      under /root (mode 0700), where no other user can read it;
#   2. creates a throwaway database (scripts/testdb.sh) listening on
#      127.0.0.1 only, loads sql/<backend>.sql and writes t/conf/db.conf;
#   3. runs t/TEST.PL as that user (nobody when we are root) and judges the
#      run from its output, not its exit code: PASS needs "Result: PASS"
#      and more than zero tests;
#   4. stops the database and deletes every temporary directory, also when
#      tests fail or the script is interrupted.
# Logs of each run (the test output, httpd's error_log, the database's log)
# are kept in build/apache-test/<backend>/ (CHARON_TEST_LOGDIR to change).
#
# The last line is "apache-test: N passed, M failed"; the exit status is
# non-zero when any backend failed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/testdb.sh
. "$top/scripts/testdb.sh"

say() { printf 'test.sh: %s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------ arguments ---

dbs=()
pass_args=()
while [ $# -gt 0 ]; do
    case $1 in
        sqlite|pgsql|mysql) dbs+=("$1") ;;
        --) shift; pass_args=("$@"); break ;;
        *) die "unknown backend '$1' (expected sqlite, pgsql or mysql)" ;;
    esac
    shift
done
[ ${#dbs[@]} -gt 0 ] || dbs=(sqlite pgsql mysql)

# ----------------------------------------------------------- preflight ---

[ -f "$top/.libs/mod_charon.so" ] ||
    die "$top/.libs/mod_charon.so is missing: build the module first (make, or make test)"
[ -f "$top/t/TEST.PL" ] || die "$top/t/TEST.PL is missing"

# Apache::Test learns httpd's path and modules directory from apxs.
APXS=$(command -v "${APXS:-apxs}") || die "apxs not found (apt-get install apache2-dev)"

# Apache::Test starts httpd as the user running it, and refuses root.
if [ "$(id -u)" = 0 ]; then
    run_user=${CHARON_TEST_USER:-nobody}
    id "$run_user" >/dev/null 2>&1 || die "user $run_user does not exist"
else
    run_user=$(id -un)
fi

# The tests' PATH: root's may name directories the test user cannot read.
test_path=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin

# perl_has MODULE: whether the tests' perl can load MODULE.
perl_has() { PATH=$test_path perl -M"$1" -e 1 2>/dev/null; }

missing=""
perl_has Apache::Test    || missing="$missing libapache2-mod-perl2(Apache::Test)"
perl_has LWP::UserAgent  || missing="$missing libwww-perl(LWP::UserAgent)"
perl_has JSON            || missing="$missing libjson-perl(JSON)"
perl_has DBI             || missing="$missing libdbi-perl(DBI)"
[ -z "$missing" ] || die "missing Perl modules, install:$missing"

# The DSN of Perl's side for MySQL: DBD::MariaDB (libdbd-mariadb-perl) when
# present, else DBD::mysql.
my_dbd=MariaDB
perl_has DBD::MariaDB || my_dbd=mysql

# ---------------------------------------------------- cleanup, always ---

tmpdirs=()      # removed on exit
runner_pid=""   # process group of the running t/TEST.PL
tail_pid=""     # the live view of its log
copy=""         # tree of the current run

# stop_runner: end a running t/TEST.PL and the httpd it started. INT first:
# Apache::TestRun catches it and stops its server itself; then TERM/KILL of
# the whole process group (TEST.PL runs in its own session, see run_tests);
# last, httpd by its pid file, since httpd detaches into its own session.
stop_runner() {
    if [ -n "$runner_pid" ] && kill -0 "$runner_pid" 2>/dev/null; then
        kill -INT -- "-$runner_pid" 2>/dev/null || true
        charon_wait_pid "$runner_pid" 15 || kill -TERM -- "-$runner_pid" 2>/dev/null || true
        charon_wait_pid "$runner_pid" 5 || kill -KILL -- "-$runner_pid" 2>/dev/null || true
        wait "$runner_pid" 2>/dev/null || true
    fi
    runner_pid=""
    if [ -n "$tail_pid" ]; then
        kill "$tail_pid" 2>/dev/null || true
        wait "$tail_pid" 2>/dev/null || true
        tail_pid=""
    fi
    local pidfile="$copy/t/logs/httpd.pid" pid
    if [ -n "$copy" ] && [ -f "$pidfile" ]; then
        pid=$(cat "$pidfile" 2>/dev/null) || true
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            say "stopping leftover httpd $pid"
            kill -TERM "$pid" 2>/dev/null || true
            charon_wait_pid "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_runner
    charon_pg_stop || true
    charon_my_stop || true
    [ ${#tmpdirs[@]} -eq 0 ] || rm -rf "${tmpdirs[@]}"
    exit "$rc"
}
trap cleanup EXIT
trap 'echo; say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# ------------------------------------------------------------- helpers ---

now() { printf '%s' "$EPOCHREALTIME"; }
# elapsed START: seconds since START, one decimal.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# new_tmpdir VAR PREFIX: a fresh private directory, removed on exit, into
# VAR (not printed: a $(...) subshell would lose the tmpdirs entry).
new_tmpdir() {
    local _new_dir   # a name no caller uses: printf -v would set this local
    _new_dir=$(mktemp -d "/tmp/charon-$2.XXXXXX") || return 1
    tmpdirs+=("$_new_dir")
    printf -v "$1" '%s' "$_new_dir"
}

# copy_tree DEST: the working tree minus what is not source or belongs to a
# previous run (generated Apache::Test files hold the old paths and ports).
copy_tree() {
    tar -C "$top" \
        --exclude=./.git --exclude=./build --exclude=./run \
        --exclude=./t/logs --exclude=./t/state \
        --exclude=./t/conf/apache_test_config.pm --exclude=./t/conf/httpd.conf \
        --exclude=./t/conf/extra.conf --exclude=./t/conf/db.conf \
        --exclude=./t/conf/keys.txt \
        -cf - . | tar -C "$1" -xf -
}

# apr_dbd_driver_present NAME: apr-util loads its database drivers as DSOs,
# one package each (libaprutil1-dbd-NAME).
apr_dbd_driver_present() {
    compgen -G "/usr/lib/*/apr-util-1/apr_dbd_$1*.so" >/dev/null ||
        compgen -G "/usr/lib/apr-util-1/apr_dbd_$1*.so" >/dev/null
}

# write_db_conf FILE DRIVER PARAMS: the mod_dbd part of the test
# configuration, Included by t/conf/extra.conf.in. DBDMax bounds the
# connections of each httpd child; a full pool blocks without timeout, so it
# is generous next to the few concurrent requests the tests make.
write_db_conf() {
    cat >"$1" <<EOF
# Generated by scripts/test.sh for this run; do not edit.
DBDriver $2
DBDParams "$3"
DBDPersist On
DBDMin 1
DBDKeep 2
DBDMax 10
DBDExptime 60
EOF
}

# run_tests DB LOG: t/TEST.PL as the test user in $copy, output to LOG and,
# live, to our stdout. In its own session (setsid) so stop_runner can end
# the whole group: TEST.PL, the test scripts it forks and runuser.
run_tests() {
    local db=$1 log=$2
    local -a as_user=()
    [ "$(id -u)" = 0 ] && as_user=(runuser -u "$run_user" --)
    # A clean environment (HOME must be writable by the test user). Pass
    # through what tunes Apache::Test and the harness, and the sanitizers'
    # options.
    local -a envs=(
        "HOME=$copy" "PATH=$test_path"
        "LANG=C.UTF-8" "TMPDIR=/tmp"
        "CHARON_TEST_DB=$db" "CHARON_TEST_DSN=$t_dsn"
        "CHARON_TEST_DBUSER=$t_user" "CHARON_TEST_DBPASS=$t_pass"
        "CHARON_TEST_DBDRIVER=$t_driver" "CHARON_TEST_DBDPARAMS=$t_params"
    )
    local v
    while IFS= read -r v; do
        envs+=("$v=${!v}")
    done < <(compgen -e | grep -E '^(APACHE_TEST_|HARNESS_|TEST_VERBOSE$|[A-Z]+SAN_OPTIONS$)' || true)

    : >"$log"
    [ "$(id -u)" = 0 ] && chown "$run_user" "$log"
    (
        cd "$copy" &&
        exec setsid --wait "${as_user[@]}" env -i "${envs[@]}" \
            perl t/TEST.PL -apxs "$APXS" -port select "${pass_args[@]}"
    ) </dev/null >>"$log" 2>&1 &
    runner_pid=$!
    tail -n +1 -f --pid="$runner_pid" "$log" &
    tail_pid=$!
    local rc=0
    wait "$runner_pid" || rc=$?
    runner_pid=""
    wait "$tail_pid" 2>/dev/null || true
    tail_pid=""
    return "$rc"
}

# backtraces DB LOGDIR: httpd children that crashed leave core files in
# t/ (Apache::Test raises the core size limit). The copy is deleted at the
# end of the run, so keep what matters: every thread's backtrace, in
# LOGDIR/core-backtrace.txt, and print the crashing thread's.
backtraces() {
    local db=$1 logdir=$2 core n=0
    for core in "$copy"/t/core "$copy"/t/core.[0-9]*; do
        [ -f "$core" ] || continue
        n=$((n + 1))
        [ "$n" -le 3 ] || continue  # the same crash, many times: three is plenty
        if ! command -v gdb >/dev/null; then
            say "$db: httpd dumped core ($core); install gdb for a backtrace"
            continue
        fi
        {
            echo "=== $core"
            gdb -nx -batch -ex 'set pagination off' -ex 'bt' \
                -ex 'thread apply all bt' /usr/sbin/apache2 "$core" 2>&1 |
                grep -v -E '^\[New LWP|^warning: (Can.t|Could not)|^Downloading'
        } >>"$logdir/core-backtrace.txt"
        printf '\n----- %s: backtrace of %s (crashing thread; all threads in %s) -----\n' \
            "$db" "${core#"$copy"/}" "$logdir/core-backtrace.txt"
        gdb -nx -batch -ex 'bt 25' /usr/sbin/apache2 "$core" 2>/dev/null | grep -E '^#' || true
    done
    [ "$n" -le 3 ] || say "$db: $n core files; backtraces of the first 3 kept"
}

# ------------------------------------------------------------ one run ---

declare -A result=() detail=() timing=()

# test_db DB: one whole run. Sets result[DB], detail[DB] and timing[DB];
# returns 0 (the verdict is in result[DB]).
test_db() {
    local db=$1 t0 t_phase timings=""
    local logdir=${CHARON_TEST_LOGDIR:-$top/build/apache-test}/$db
    result[$db]=FAIL
    detail[$db]=""
    timing[$db]=""
    t0=$(now)
    printf '\n===== apache-test %s =====\n' "$db"
    rm -rf "$logdir"; mkdir -p "$logdir"

    case $db in
        sqlite) t_driver=sqlite3; perl_has DBD::SQLite  || { detail[$db]="missing libdbd-sqlite3-perl"; return 0; } ;;
        pgsql)  t_driver=pgsql;   perl_has DBD::Pg      || { detail[$db]="missing libdbd-pg-perl"; return 0; } ;;
        mysql)  t_driver=mysql;   perl_has "DBD::$my_dbd" || { detail[$db]="missing libdbd-mariadb-perl"; return 0; } ;;
    esac
    apr_dbd_driver_present "$t_driver" ||
        { detail[$db]="apr_dbd driver $t_driver missing (libaprutil1-dbd-$t_driver)"; return 0; }

    # 1. the copy
    t_phase=$(now)
    if ! new_tmpdir copy "test-$db" || ! copy_tree "$copy"; then
        detail[$db]="copying the tree failed"; return 0
    fi
    mkdir -p "$copy/t/conf"
    timings+="copy $(elapsed "$t_phase")s"

    # 2. the database
    t_phase=$(now)
    local schema
    case $db in
        sqlite)
            schema=$top/sql/sqlite.sql
            local file=$copy/testdb/charon.sqlite
            charon_sqlite_create "$file" "$schema" || { detail[$db]="creating the database failed"; return 0; }
            t_params=$file t_dsn="dbi:SQLite:dbname=$file" t_user="" t_pass=""
            ;;
        pgsql)
            schema=$top/sql/postgresql.sql
            # The directory itself, not a subdirectory: charon_pg_start gives
            # it to user postgres, who could not enter a 0700 root parent.
            local d
            new_tmpdir d pg || return 0
            if ! charon_pg_start "$d" || ! charon_pg_load "$schema"; then
                detail[$db]="starting PostgreSQL or loading $schema failed"; return 0
            fi
            t_params=$CHARON_PG_DBDPARAMS t_dsn=$CHARON_PG_DSN
            t_user=$CHARON_PG_USER t_pass=$CHARON_PG_PASS
            ;;
        mysql)
            schema=$top/sql/mysql.sql
            local d
            new_tmpdir d my || return 0
            if ! charon_my_start "$d" || ! charon_my_load "$schema"; then
                detail[$db]="starting MariaDB or loading $schema failed"; return 0
            fi
            t_params=$CHARON_MY_DBDPARAMS t_dsn=$CHARON_MY_DSN
            t_user=$CHARON_MY_USER t_pass=$CHARON_MY_PASS
            ;;
    esac
    write_db_conf "$copy/t/conf/db.conf" "$t_driver" "$t_params"
    [ "$(id -u)" = 0 ] && chown -R "$run_user" "$copy"
    timings+=", database $(elapsed "$t_phase")s"

    # 3. the tests
    t_phase=$(now)
    local log=$copy/apache-test.log rc=0
    run_tests "$db" "$log" || rc=$?
    timings+=", tests $(elapsed "$t_phase")s"

    # The verdict, from the output: Apache::Test exits 0 when it refused to
    # run (as root) or its configuration failed, and a suite that ran no
    # test proves nothing.
    local files tests counts
    counts=$(grep -Eo 'Files=[0-9]+, Tests=[0-9]+' "$log" | tail -n 1 || true)
    files=$(sed -n 's/^Files=\([0-9]*\),.*/\1/p' <<<"$counts")
    tests=$(sed -n 's/.*Tests=\([0-9]*\)$/\1/p' <<<"$counts")
    if grep -q '^Result: PASS' "$log" && [ "${tests:-0}" -gt 0 ] && [ "$rc" -eq 0 ]; then
        result[$db]=PASS
        detail[$db]="Files=$files, Tests=$tests"
    else
        if [ -z "$counts" ]; then
            detail[$db]="no test ran, exit $rc"
        elif [ "${tests:-0}" -eq 0 ]; then
            detail[$db]="Files=$files, Tests=0: no test ran, exit $rc"
        else
            detail[$db]="Files=$files, Tests=$tests, exit $rc"
        fi
        local el=$copy/t/logs/error_log
        if [ -f "$el" ]; then
            # Apache::Test sets LogLevel trace8 (and debug): those lines
            # drown the rest, except the module's own.
            printf '\n----- %s: last lines of t/logs/error_log (trace and debug lines omitted, but charon'"'"'s) -----\n' "$db"
            grep -E -v '\[[a-z_0-9]+:(trace[0-9]|debug)\]' "$el" | tail -n 60 || true
            printf -- '----- end of error_log -----\n'
        fi
    fi
    backtraces "$db" "$logdir"

    # 4. keep the logs, stop and delete the rest
    stop_runner
    cp "$log" "$logdir/apache-test.log" 2>/dev/null || true
    cp "$copy/t/logs/error_log" "$copy/t/logs/access_log" "$logdir/" 2>/dev/null || true
    t_phase=$(now)
    case $db in
        pgsql) cp "$CHARON_PG_LOG" "$logdir/postgres.log" 2>/dev/null || true; charon_pg_stop ;;
        mysql) cp "$CHARON_MY_LOG" "$logdir/mariadb.err" 2>/dev/null || true; charon_my_stop ;;
    esac
    rm -rf "$copy"; copy=""
    timing[$db]="$timings, stop $(elapsed "$t_phase")s, total $(elapsed "$t0")s"
    return 0
}

# ------------------------------------------------------------- main ---

t_driver="" t_params="" t_dsn="" t_user="" t_pass=""
for db in "${dbs[@]}"; do
    test_db "$db"
done

passed=0 failed=0
echo
for db in "${dbs[@]}"; do
    if [ "${result[$db]}" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    echo "apache-test $db: ${result[$db]} (${detail[$db]})${timing[$db]:+ [${timing[$db]}]}"
done
echo "apache-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
