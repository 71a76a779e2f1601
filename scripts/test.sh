#!/usr/bin/env bash
# Runs the Apache::Test suite (t/*.t) once per database backend (and MPM).
#
#   scripts/test.sh [sqlite] [pgsql] [mysql] [--mpm=LIST] [--check=MODE]
#                   [-- TEST.PL args...]
#
# Default: all three, in that order. Arguments after "--" go to t/TEST.PL,
# e.g. `scripts/test.sh sqlite -- -verbose t/start.t`.
#
#   --mpm=LIST    event, worker, prefork, or a comma-separated list of them
#                 (default: $CHARON_TEST_MPM, else TEST.PL's choice, event).
#                 Each backend is tested under each MPM, a fresh database
#                 each time.
#   --check=asan  the module must be an AddressSanitizer/UBSan build (`make
#                 asan`). httpd, which is not, is started with the runtimes
#                 the module was linked with preloaded (LD_PRELOAD, for
#                 httpd only, not perl or the tests); their reports go to
#                 t/logs/sanitizer.<pid> (UBSan's to the error_log) and are
#                 kept with the logs. LeakSanitizer runs at each httpd
#                 process's exit, with t/lsan.supp. A run FAILS on any
#                 AddressSanitizer or UndefinedBehaviorSanitizer report,
#                 wherever it is (only the module is instrumented, so reports
#                 come from its code or from memory it handed to libc), and
#                 on any leak with a frame in mod_charon; other leaks are
#                 listed, not fatal.
#   --check=valgrind  httpd runs in one process (Apache::Test's
#                 -one-process: -D ONE_PROCESS, every MPM) under valgrind's
#                 memcheck with t/valgrind.supp, --log-file
#                 t/logs/valgrind.<pid>.log. A run FAILS on any valgrind
#                 error with a frame in mod_charon, and on any definite leak
#                 with one; the others are listed. One to three times as
#                 slow as a normal run.
#                 Either check also FAILS when no httpd process got to the
#                 end of its leak check at exit (it did not run under the
#                 check, or was killed first): "N processes leak-checked".
# (Or CHARON_TEST_CHECK=asan|valgrind.) Default options of the sanitizers
# and valgrind can be extended: ASAN_OPTIONS, UBSAN_OPTIONS, LSAN_OPTIONS
# (appended to ours: later options win), CHARON_TEST_VALGRIND_OPTS (added
# to valgrind's command line).
#
# Expects the module already built at .libs/mod_charon.so (`make test` builds
# it and runs the unit tests first). For each backend it
#   1. copies the tree (without .git, build/, run/) to a fresh directory
#      under /tmp that the test user owns: Apache::Test refuses to run as
#      root and then exits 0 having run nothing, and a CI clone may sit
#      under /root (mode 0700), where no other user can read it;
#   2. creates a throwaway database (scripts/testdb.sh) listening on
#      127.0.0.1 only, loads sql/<backend>.sql and writes t/conf/db.conf;
#   3. runs t/TEST.PL as that user (nobody when we are root), on a random
#      free base port (see port_args), and judges the run from its output,
#      not its exit code: PASS needs "Result: PASS" and more than zero
#      tests, and with --check, reports that pass (see above);
#   4. stops the database and deletes every temporary directory, also when
#      tests fail or the script is interrupted.
# Logs of each run (the test output, httpd's error_log, the database's log,
# sanitizer and valgrind reports) are kept in build/apache-test/<run>/
# (CHARON_TEST_LOGDIR to change), where <run> is the backend, followed by
# -<mpm> when --mpm was given and -<check> with --check.
#
# The last line is "apache-test: N passed, M failed"; the exit status is
# non-zero when any run failed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/testdb.sh
. "$top/scripts/testdb.sh"

say() { printf 'test.sh: %s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------ arguments ---

dbs=()
pass_args=()
mpm_list=${CHARON_TEST_MPM:-}
check=${CHARON_TEST_CHECK:-}
while [ $# -gt 0 ]; do
    case $1 in
        sqlite|pgsql|mysql) dbs+=("$1") ;;
        --mpm=*) mpm_list=${1#--mpm=} ;;
        --mpm) [ $# -gt 1 ] || die "--mpm needs a value"; mpm_list=$2; shift ;;
        --check=*) check=${1#--check=} ;;
        --check) [ $# -gt 1 ] || die "--check needs a value"; check=$2; shift ;;
        --) shift; pass_args=("$@"); break ;;
        *) die "unknown argument '$1' (expected sqlite, pgsql, mysql, --mpm=..., --check=...)" ;;
    esac
    shift
done
[ ${#dbs[@]} -gt 0 ] || dbs=(sqlite pgsql mysql)

# The MPMs: "" is TEST.PL's default (event), and keeps the plain log names.
mpms=()
IFS=', ' read -r -a mpms <<<"$mpm_list" || true
for m in ${mpms[@]+"${mpms[@]}"}; do
    case $m in
        event|worker|prefork) ;;
        *) die "unknown MPM '$m' (expected event, worker or prefork)" ;;
    esac
done
[ ${#mpms[@]} -gt 0 ] || mpms=("")

case $check in
    ""|asan|valgrind) ;;
    *) die "unknown check '$check' (expected asan or valgrind)" ;;
esac

# ----------------------------------------------------------- preflight ---

[ -f "$top/.libs/mod_charon.so" ] ||
    die "$top/.libs/mod_charon.so is missing: build the module first (make, or make test)"
[ -f "$top/t/TEST.PL" ] || die "$top/t/TEST.PL is missing"

# Apache::Test learns httpd's path and modules directory from apxs.
APXS=$(command -v "${APXS:-apxs}") || die "apxs not found (apt-get install apache2-dev)"

# A module built with AddressSanitizer (`make asan`) cannot be loaded by an
# httpd started without its runtime preloaded: it needs --check=asan, which
# preloads the very runtimes it was linked with (ldd says which).
san_rt=$(ldd "$top/.libs/mod_charon.so" 2>/dev/null |
         awk '$1 ~ /^lib(asan|ubsan)\.so/ && $3 ~ /^\// { print $3 }' | paste -sd: -) || true
case $check in
    asan)
        case $san_rt in
            *libasan*) ;;
            *) die "--check=asan: .libs/mod_charon.so is not an AddressSanitizer build (make asan, or make test-asan)" ;;
        esac
        for f in ${san_rt//:/ }; do
            [ -r "$f" ] || die "--check=asan: sanitizer runtime $f is not readable"
        done
        ;;
    *)
        [ -z "$san_rt" ] ||
            die ".libs/mod_charon.so is a sanitizer build (it needs $san_rt): use --check=asan, or rebuild it (make clean all)"
        ;;
esac
if [ "$check" = valgrind ]; then
    command -v valgrind >/dev/null || die "--check=valgrind: valgrind not found (apt-get install valgrind)"
fi

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
httpd_grace=0   # seconds httpd may take to exit by itself (valgrind's leak check)
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
        if [ -n "$pid" ] && [ "$httpd_grace" -gt 0 ] && kill -0 "$pid" 2>/dev/null; then
            # Under valgrind httpd may still be writing its leak report
            # after Apache::Test gave up waiting: a signal would lose it.
            say "waiting up to ${httpd_grace}s for httpd $pid to exit"
            charon_wait_pid "$pid" "$httpd_grace" || true
        fi
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

# check_env: the environment that --check adds to the tests' (printed one
# VAR=value a line), for the current $copy. The sanitizers' options: ours
# first, the caller's after them (the last value of an option wins).
check_env() {
    local logs=$copy/t/logs
    case $check in
        asan)
            # One log_path for both: the last one parsed applies to ASan's
            # reports, and UBSan's go to stderr (httpd's error_log) anyway.
            # detect_leaks: LeakSanitizer at each process's exit, which is
            # after httpd destroyed its pools (apr_terminate at exit);
            # fast_unwind_on_malloc=0: complete allocation stacks through
            # libraries built without frame pointers (json-c, apr), or a leak
            # of the module's through them would not show its frames.
            # exitcode=0: LeakSanitizer's exit status would otherwise be that
            # of httpd's first process (it exits when httpd detaches), which
            # Apache::Test takes for a failed start; reports are judged from
            # the files. halt_on_error: a memory error ends the process.
            # abort_on_error=0, disable_coredump: no core dumps of ASan's
            # shadow memory.
            printf 'CHARON_TEST_HTTPD_WRAPPER=env LD_PRELOAD=%s\n' "$san_rt"
            printf 'ASAN_OPTIONS=log_path=%s/sanitizer:detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=40:halt_on_error=1:abort_on_error=0:exitcode=0:disable_coredump=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1%s\n' \
                "$logs" "${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
            printf 'LSAN_OPTIONS=suppressions=%s/t/lsan.supp:print_suppressions=1%s\n' \
                "$copy" "${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
            printf 'UBSAN_OPTIONS=log_path=%s/sanitizer:print_stacktrace=1:halt_on_error=0:report_error_type=1%s\n' \
                "$logs" "${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
            ;;
        valgrind)
            # --keep-debuginfo: httpd unloads its modules before exiting,
            # when the leaks are reported; without it their frames are ???.
            printf 'CHARON_TEST_HTTPD_WRAPPER=valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,possible --errors-for-leak-kinds=definite --keep-debuginfo=yes --num-callers=40 --error-limit=no --trace-children=no --child-silent-after-fork=yes --gen-suppressions=all --suppressions=%s/t/valgrind.supp --log-file=%s/valgrind.%%p.log%s\n' \
                "$copy" "$logs" "${CHARON_TEST_VALGRIND_OPTS:+ $CHARON_TEST_VALGRIND_OPTS}"
            ;;
    esac
}

# port_args: the -port option for TEST.PL. Apache::Test's "-port select"
# tries 8529, 8549, ... in that order, so runs started at the same time on
# one machine (other users' too) pick the same port and one of them fails
# ("port 8549 is in use"). Instead: a random base port in 10000-19999 whose
# next 9 ports are free too (the virtual hosts take the next ones). The
# caller's -port, or APACHE_TEST_PORT, wins.
port_args() {
    local a
    for a in ${pass_args[@]+"${pass_args[@]}"}; do
        case $a in -port|--port|-port=*|--port=*) return 0 ;; esac
    done
    if [ -n "${APACHE_TEST_PORT:-}" ]; then
        echo "-port"; echo "select"; return 0
    fi
    perl -MIO::Socket::INET -e '
        PORT: for (1 .. 100) {
            my $base = 10000 + 10 * int rand 1000;
            for my $p ($base .. $base + 9) {
                my $s = IO::Socket::INET->new(LocalAddr => "0.0.0.0",
                    LocalPort => $p, Proto => "tcp", Listen => 1,
                    ReuseAddr => 1) or next PORT;
                close $s;
            }
            print "-port\n$base\n"; exit 0;
        }
        print "-port\nselect\n";'
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
    [ -z "$mpm" ] || envs+=("CHARON_TEST_MPM=$mpm")
    local v
    while IFS= read -r v; do
        envs+=("$v=${!v}")
    done < <(compgen -e | grep -E '^(APACHE_TEST_|HARNESS_|TEST_VERBOSE$|[A-Z]+SAN_OPTIONS$|CHARON_TEST_HTTPD_WRAPPER$)' || true)
    # after the caller's: these include them
    while IFS= read -r v; do
        envs+=("$v")
    done < <(check_env)
    local -a extra=()
    while IFS= read -r v; do
        extra+=("$v")
    done < <(port_args)
    if [ "$check" = valgrind ]; then
        extra+=(-one-process)
    fi

    : >"$log"
    [ "$(id -u)" = 0 ] && chown "$run_user" "$log"
    (
        cd "$copy" &&
        exec setsid --wait "${as_user[@]}" env -i "${envs[@]}" \
            perl t/TEST.PL -apxs "$APXS" ${extra[@]+"${extra[@]}"} \
            ${pass_args[@]+"${pass_args[@]}"}
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

# ------------------------------------------------------ --check reports ---

# scan_reports MODE REPORT FILES...: read the sanitizers' (MODE asan) or
# valgrind's (MODE valgrind) report files; write every report found to
# REPORT, those with a frame in mod_charon first; print one line:
#   errors=N module_errors=N leaks=N module_leaks=N other=N checked=N
# where errors are memory errors, undefined behaviour and the like, leaks
# are LeakSanitizer's direct/indirect leaks or valgrind's definite ones
# (possible ones go to "other", with what is neither), and checked counts
# the processes whose leak check at exit ran to its end.
scan_reports() {
    perl - "$@" <<'PERL'
use strict;
use warnings;
my ($mode, $report, @files) = @ARGV;
# A frame in the module: its shared object, or one of its source files.
my $ours = qr{mod_charon\.so|\b(?:mod_charon|charon_\w+)\.c:\d+};
my (@err, @leak, @other);
my $checked = 0;
for my $f (@files) {
    open my $fh, '<', $f or next;
    my $text = do { local $/; <$fh> };
    close $fh;
    if ($mode eq 'asan') {
        # print_suppressions=1: LeakSanitizer says what it suppressed
        $checked++ if $text =~ /^Suppressions used:|ERROR: LeakSanitizer: detected memory leaks/m;
        # The patterns are anchored on the sanitizers' own line formats:
        # the error_log is read too, and requests may carry any text.
        # AddressSanitizer errors, from ERROR to SUMMARY (blank lines inside)
        while ($text =~ /(^==\d+==ERROR: AddressSanitizer.*?^SUMMARY: AddressSanitizer[^\n]*)/msg) {
            push @err, [$f, $1];
        }
        # AddressSanitizer's own failures, and LeakSanitizer's that are no
        # leak list (it could not run)
        while ($text =~ /^(==\d+==\s*(?:AddressSanitizer CHECK failed|ERROR: LeakSanitizer: (?!detected memory leaks))[^\n]*)/mg) {
            push @err, [$f, $1];
        }
        # UndefinedBehaviorSanitizer: "file:line:col: runtime error: ...",
        # then its stack
        while ($text =~ /^([^\s:]+:\d+:\d+: runtime error: [^\n]*\n(?:[ \t]+#\d[^\n]*\n?)*)/mg) {
            push @err, [$f, $1];
        }
        # LeakSanitizer: one paragraph a leak
        while ($text =~ /^((?:Direct|Indirect) leak of .*?)(?=\n[ \t]*\n|\z)/msg) {
            push @leak, [$f, $1];
        }
    } else {
        $checked++ if $text =~ /^==\d+== (?:LEAK SUMMARY:|All heap blocks were freed)/m;
        # valgrind: "==PID== " lines, reports separated by "==PID== " alone;
        # the suppressions printed by --gen-suppressions follow each one.
        my @blocks = ('');
        for my $line (split /\n/, $text) {
            if ($line =~ /^==\d+==\s*$/) { push @blocks, '' if $blocks[-1] ne '' }
            elsif ($line =~ /^==\d+== /) { $blocks[-1] .= "$line\n" }
            else {  # a suppression: it goes with the report before it
                $blocks[$blocks[-1] eq '' && @blocks > 1 ? -2 : -1] .= "$line\n";
            }
        }
        for my $b (grep { /\S/ } @blocks) {
            # the report's first line ("Thread N:" says whose it is)
            my ($first) = grep { !/^Thread \d+/ } $b =~ /^==\d+== (\S.*)$/mg;
            $first //= '';
            if ($first =~ /bytes in [\d,]+ blocks are definitely lost/) { push @leak, [$f, $b] }
            elsif ($first =~ /bytes in [\d,]+ blocks are /) { push @other, [$f, $b] }
            elsif ($b =~ /^==\d+==\s+(?:at|by) 0x/m) { push @err, [$f, $b] }
        }
    }
}
my @mine_err  = grep { $_->[1] =~ $ours } @err;
my @mine_leak = grep { $_->[1] =~ $ours } @leak;
open my $out, '>', $report or die "write $report: $!";
my $section = sub {
    my ($title, @r) = @_;
    return unless @r;
    print {$out} "##### $title: ", scalar @r, "\n\n";
    print {$out} "--- $_->[0]\n$_->[1]\n\n" for @r;
};
$section->('errors with a frame in mod_charon', @mine_err);
$section->('leaks with a frame in mod_charon', @mine_leak);
$section->('other errors', grep { $_->[1] !~ $ours } @err);
$section->('other leaks', grep { $_->[1] !~ $ours } @leak);
$section->('other reports', @other);
close $out;
printf "errors=%d module_errors=%d leaks=%d module_leaks=%d other=%d checked=%d\n",
    scalar @err, scalar @mine_err, scalar @leak, scalar @mine_leak, scalar @other,
    $checked;
PERL
}

# check_reports RUN LOGDIR: after the run (httpd stopped), collect the
# reports of --check into LOGDIR, judge them and print their summary.
# Prints nothing without --check. Sets check_detail[RUN]; returns 1 when
# the reports fail the run.
declare -A check_detail=()
check_reports() {
    local run=$1 logdir=$2 logs=$copy/t/logs
    check_detail[$run]=""
    [ -n "$check" ] || return 0
    local -a files=()
    local f
    case $check in
        asan) for f in "$logs"/sanitizer.*; do [ -f "$f" ] && files+=("$f"); done ;;
        valgrind) for f in "$logs"/valgrind.*.log; do [ -f "$f" ] && files+=("$f"); done ;;
    esac
    local n_files=${#files[@]}
    mkdir -p "$logdir/$check"
    [ "$n_files" -eq 0 ] || cp "${files[@]}" "$logdir/$check/"
    # Before log_path applies, or when it cannot be written, the sanitizers
    # write to stderr, which is httpd's error_log.
    if [ "$check" = asan ] && [ -f "$logs/error_log" ]; then
        files+=("$logs/error_log")
    fi
    local report=$logdir/$check-report.txt counts
    counts=$(scan_reports "$check" "$report" ${files[@]+"${files[@]}"}) ||
        { check_detail[$run]="$check: reading the reports failed"; return 1; }
    local errors=0 module_errors=0 leaks=0 module_leaks=0 other=0 checked=0
    read -r errors module_errors leaks module_leaks other checked < <(sed 's/[a-z_]*=//g' <<<"$counts")
    local fail=0 why=""
    # No process that finished its leak check: the check did not happen
    # (httpd did not run under it, or was killed before its end). Unless
    # the caller turned leak checking off.
    case ${ASAN_OPTIONS:-}:${LSAN_OPTIONS:-} in
        *detect_leaks=0*|*detect_leaks=false*) [ "$check" = asan ] && checked=-1 ;;
    esac
    [ "$checked" -ne 0 ] || { fail=1; why="no process's leak check at exit completed"; }
    # httpd SIGKILLs children that do not exit within a few seconds of its
    # SIGTERM (AH00046); on a loaded machine, LeakSanitizer at exit in many
    # children at once can take that long, and their leaks go unchecked.
    local killed=0
    if [ -f "$logs/error_log" ]; then
        killed=$(grep -c 'AH00046' "$logs/error_log" || true)
    fi
    case $check in
        asan)
            # Any sanitizer error fails: only the module is instrumented, so
            # an error comes from its code or from libc calls (memcpy, free)
            # made on memory it handles. Leaks fail when they are the
            # module's.
            [ "${errors:-0}" -eq 0 ] || { fail=1; why="${why:+$why, }sanitizer errors"; }
            [ "${module_leaks:-0}" -eq 0 ] || { fail=1; why="${why:+$why, }leaks in mod_charon"; }
            ;;
        valgrind)
            [ "${module_errors:-0}" -eq 0 ] || { fail=1; why="${why:+$why, }errors in mod_charon"; }
            [ "${module_leaks:-0}" -eq 0 ] || { fail=1; why="${why:+$why, }definite leaks in mod_charon"; }
            ;;
    esac
    local line="$check: $errors errors ($module_errors in mod_charon), $leaks leaks ($module_leaks in mod_charon), $other other; $checked processes leak-checked, $n_files report files"
    [ "$checked" -ge 0 ] || line=${line/-1 processes leak-checked/leak checks off}
    [ "${killed:-0}" -eq 0 ] || line+="; WARNING: $killed httpd children SIGKILLed at shutdown (AH00046), their leaks unchecked"
    check_detail[$run]=$line
    printf '\n----- %s: %s -----\n' "$run" "$line"
    if [ "$fail" -ne 0 ] || [ "$errors" -gt 0 ] || [ "$leaks" -gt 0 ]; then
        # the first reports, mod_charon's first; all of them in the report
        head -n 80 "$report"
        printf -- '----- all reports: %s -----\n' "$report"
    fi
    if [ "$fail" -ne 0 ]; then
        check_detail[$run]="$line: FAIL, $why"
        return 1
    fi
    return 0
}

# ------------------------------------------------------------ one run ---

declare -A result=() detail=() timing=()
runs=()

# test_db DB [MPM]: one whole run, named RUN (DB[-MPM][-CHECK]). Sets
# result[RUN], detail[RUN] and timing[RUN]; returns 0 (the verdict is in
# result[RUN]).
test_db() {
    local db=$1 mpm=${2:-} t0 t_phase timings=""
    local run=$db${mpm:+-$mpm}${check:+-$check}
    local logdir=${CHARON_TEST_LOGDIR:-$top/build/apache-test}/$run
    runs+=("$run")
    result[$run]=FAIL
    detail[$run]=""
    timing[$run]=""
    t0=$(now)
    printf '\n===== apache-test %s =====\n' "$run"
    rm -rf "$logdir"; mkdir -p "$logdir"

    case $db in
        sqlite) t_driver=sqlite3; perl_has DBD::SQLite  || { detail[$run]="missing libdbd-sqlite3-perl"; return 0; } ;;
        pgsql)  t_driver=pgsql;   perl_has DBD::Pg      || { detail[$run]="missing libdbd-pg-perl"; return 0; } ;;
        mysql)  t_driver=mysql;   perl_has "DBD::$my_dbd" || { detail[$run]="missing libdbd-mariadb-perl"; return 0; } ;;
    esac
    apr_dbd_driver_present "$t_driver" ||
        { detail[$run]="apr_dbd driver $t_driver missing (libaprutil1-dbd-$t_driver)"; return 0; }

    # 1. the copy
    t_phase=$(now)
    if ! new_tmpdir copy "test-$run" || ! copy_tree "$copy"; then
        detail[$run]="copying the tree failed"; return 0
    fi
    mkdir -p "$copy/t/conf"
    # t/browser.t (SQLite pass only) loads playwright-core from build/browser
    # (scripts/browser-deps.sh), which copy_tree leaves out.
    if [ "$db" = sqlite ] && [ -d "$top/build/browser/node_modules" ]; then
        mkdir -p "$copy/build" && cp -a "$top/build/browser" "$copy/build/"
    fi
    timings+="copy $(elapsed "$t_phase")s"

    # 2. the database
    t_phase=$(now)
    local schema
    case $db in
        sqlite)
            schema=$top/sql/sqlite.sql
            local file=$copy/testdb/charon.sqlite
            charon_sqlite_create "$file" "$schema" || { detail[$run]="creating the database failed"; return 0; }
            t_params=$file t_dsn="dbi:SQLite:dbname=$file" t_user="" t_pass=""
            ;;
        pgsql)
            schema=$top/sql/postgresql.sql
            # The directory itself, not a subdirectory: charon_pg_start gives
            # it to user postgres, who could not enter a 0700 root parent.
            local d
            new_tmpdir d pg || return 0
            if ! charon_pg_start "$d" || ! charon_pg_load "$schema"; then
                detail[$run]="starting PostgreSQL or loading $schema failed"; return 0
            fi
            t_params=$CHARON_PG_DBDPARAMS t_dsn=$CHARON_PG_DSN
            t_user=$CHARON_PG_USER t_pass=$CHARON_PG_PASS
            ;;
        mysql)
            schema=$top/sql/mysql.sql
            local d
            new_tmpdir d my || return 0
            if ! charon_my_start "$d" || ! charon_my_load "$schema"; then
                detail[$run]="starting MariaDB or loading $schema failed"; return 0
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
        result[$run]=PASS
        detail[$run]="Files=$files, Tests=$tests"
    else
        if [ -z "$counts" ]; then
            detail[$run]="no test ran, exit $rc"
        elif [ "${tests:-0}" -eq 0 ]; then
            detail[$run]="Files=$files, Tests=0: no test ran, exit $rc"
        else
            detail[$run]="Files=$files, Tests=$tests, exit $rc"
        fi
        local el=$copy/t/logs/error_log
        if [ -f "$el" ]; then
            # Apache::Test sets LogLevel trace8 (and debug): those lines
            # drown the rest, except the module's own.
            printf '\n----- %s: last lines of t/logs/error_log (trace and debug lines omitted, but charon'"'"'s) -----\n' "$run"
            grep -E -v '\[[a-z_0-9]+:(trace[0-9]|debug)\]' "$el" | tail -n 60 || true
            printf -- '----- end of error_log -----\n'
        fi
    fi
    backtraces "$run" "$logdir"

    # 4. keep the logs, stop and delete the rest
    stop_runner
    check_reports "$run" "$logdir" || result[$run]=FAIL
    [ -z "${check_detail[$run]}" ] || detail[$run]+="; ${check_detail[$run]}"
    cp "$log" "$logdir/apache-test.log" 2>/dev/null || true
    cp "$copy/t/logs/error_log" "$copy/t/logs/access_log" "$logdir/" 2>/dev/null || true
    # t/browser.t's screenshots: this run's go with the logs; those it put in
    # docs/screenshots/ (only when all its checks passed: then they are newer
    # than the repository's) go back to the repository, for the README.
    if [ -d "$copy/t/logs/screenshots" ]; then
        cp -r "$copy/t/logs/screenshots" "$logdir/" 2>/dev/null || true
        if compgen -G "$copy/docs/screenshots/manager-*.png" >/dev/null; then
            { mkdir -p "$top/docs/screenshots" &&
              cp -u "$copy"/docs/screenshots/manager-*.png "$top/docs/screenshots/"; } ||
                say "$run: could not copy the screenshots to $top/docs/screenshots"
        fi
    fi
    t_phase=$(now)
    case $db in
        pgsql) cp "$CHARON_PG_LOG" "$logdir/postgres.log" 2>/dev/null || true; charon_pg_stop ;;
        mysql) cp "$CHARON_MY_LOG" "$logdir/mariadb.err" 2>/dev/null || true; charon_my_stop ;;
    esac
    rm -rf "$copy"; copy=""
    timing[$run]="$timings, stop $(elapsed "$t_phase")s, total $(elapsed "$t0")s"
    return 0
}

# ------------------------------------------------------------- main ---

# valgrind's leak check runs when httpd exits, which takes a while.
[ "$check" = valgrind ] && httpd_grace=${CHARON_TEST_HTTPD_GRACE:-300}

t_driver="" t_params="" t_dsn="" t_user="" t_pass=""
t_start=$(now)
for mpm in "${mpms[@]}"; do
    for db in "${dbs[@]}"; do
        test_db "$db" "$mpm"
    done
done

passed=0 failed=0
echo
for run in "${runs[@]}"; do
    if [ "${result[$run]}" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    echo "apache-test $run: ${result[$run]} (${detail[$run]})${timing[$run]:+ [${timing[$run]}]}"
done
echo "apache-test: $passed passed, $failed failed ($(elapsed "$t_start")s)"
[ "$failed" -eq 0 ]
