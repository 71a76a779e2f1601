#!/usr/bin/env bash
# Tests the schema upgrade scripts sql/upgrade/1-to-2/<db>.sql and
# sql/upgrade/2-to-3/<db>.sql, run one after the other on schema 1.
#
#   scripts/upgrade-test.sh [sqlite] [pgsql] [mysql]
#
# Default: all three, in that order. For each database it
#   1. creates a throwaway database (scripts/testdb.sh; MariaDB stands for
#      MySQL), loads the frozen schema 1 (tests/sql/schema1/<db>.sql) and
#      puts crons (one deleted), executions (running and ended) and messages
#      in it, and keeps a copy of what it reads back;
#   2. runs the upgrade script as an operator would (SQLite: sqlite3 -bail;
#      PostgreSQL: psql with ON_ERROR_STOP; MariaDB: the mariadb client as
#      the application's user, who has ALL on its database only);
#   3. checks that
#      - the data is all still there, unchanged, and the new columns of the
#        existing rows have their defaults (crons 'allow', no max_runtime,
#        no off_reason/off_until, zero counters; executions not
#        forbid_overlap, not lost); ids go on where they were;
#      - the upgraded schema equals that of a fresh database loaded from
#        sql/<db>.sql, read from the catalog (PostgreSQL: pg_dump
#        --schema-only; MariaDB: SHOW CREATE TABLE of each table, without
#        AUTO_INCREMENT=N; SQLite: PRAGMA table_xinfo, foreign_key_list,
#        index_list and index_xinfo, the index definitions, and each column
#        and constraint of the CREATE TABLE texts, without comments and
#        layout, since ALTER TABLE ADD COLUMN appends to the text of the
#        table as written); a difference is printed as a diff;
#      - the upgraded database enforces what schema 2 must: one running
#        execution per 'forbid' cron through the unique lock index (not
#        counting ended, lost, or 'allow' runs, per cron), the CHECK
#        constraints of the new columns, the primary key of
#        charon_idempotency;
#      - charon_cron_stats counts the runs there were, and the triggers
#        count the runs that end or are lost afterwards;
#      - a second run of the last upgrade fails and changes nothing.
# Every server started here is stopped, and every temporary directory
# deleted, on exit, also on failure or Ctrl-C. Works as root (PostgreSQL then
# runs as user postgres) and as an ordinary user. About 20 s for the three.
#
# The last line is "upgrade-test: N passed, M failed", N + M the checks
# run; the exit status is non-zero when any failed.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/testdb.sh
. "$top/scripts/testdb.sh"

say() { printf 'upgrade-test: %s\n' "$*"; }
die() { printf 'upgrade-test: %s\n' "$*" >&2; exit 2; }

# ------------------------------------------------------------ arguments ---

dbs=()
while [ $# -gt 0 ]; do
    case $1 in
        sqlite|pgsql|mysql) dbs+=("$1") ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (expected sqlite, pgsql, mysql)" ;;
    esac
    shift
done
[ ${#dbs[@]} -gt 0 ] || dbs=(sqlite pgsql mysql)

# The file names under sql/, per database.
declare -A sqlname=([sqlite]=sqlite [pgsql]=postgresql [mysql]=mysql)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ------------------------------------------------------- state, cleanup ---

work=$(mktemp -d /tmp/charon-upgrade.XXXXXX)
chmod 755 "$work"       # user postgres goes below it when we are root

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    charon_pg_stop >/dev/null 2>&1 || true
    charon_my_stop >/dev/null 2>&1 || true
    rm -rf "$work"
    if [ -z "${finished:-}" ]; then
        echo "upgrade-test: aborted (exit $rc)"
        echo "upgrade-test: ${passed:-0} passed, $(( ${failed:-0} + 1 )) failed"
        [ "$rc" != 0 ] || rc=1
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

passed=0
failed=0

# record NAME RC OUTPUT: count a check's result (ok=1 when it passed), and
# print what it said when it failed.
ok=0
record() {
    if [ "$2" -eq 0 ]; then
        passed=$((passed + 1)) ok=1
        say "$DB: PASS $1"
    else
        failed=$((failed + 1)) ok=0
        say "$DB: FAIL $1"
        { sed "s/^/    /" "$3" | head -n 100; } || true   # head may cut sed off
    fi
}

# check NAME COMMAND...: run COMMAND in a subshell with errexit on, so that
# the first failing command in it fails the check, and record the result.
# Call it as a plain command, never in a condition (if, &&, ||, !): there
# bash ignores errexit in the subshell too, and only COMMAND's last command
# would count.
check() {
    local name=$1 out=$work/check.out rc
    shift
    set +e
    ( set -e; "$@" ) >"$out" 2>&1
    rc=$?
    set -e
    record "$name" "$rc" "$out"
}

# ------------------------------------------------- talking to databases ---

DB=""
sqlite_file=""

# q SQL: run SQL in the database under test (as its administrator), print
# the rows, one a line, columns separated by '|', NULL as NULL; fails on any
# error (the statements before it stay done).
q() {
    case $DB in
        sqlite)
            sqlite3 -batch -bail -noheader -separator '|' -nullvalue NULL \
                -cmd 'PRAGMA foreign_keys = ON' "$sqlite_file" <<<"$1" ;;
        pgsql)
            charon_pg_psql -q -At -F '|' -P null=NULL <<<"$1" ;;
        mysql)
            charon_my_sql --default-character-set=utf8mb4 -N -B charon <<<"$1" |
                tr '\t' '|' ;;
    esac
}

# expect WHAT SQL EXPECTED: the rows SQL prints must be EXPECTED.
expect() {
    local got
    got=$(q "$2")
    if [ "$got" != "$3" ]; then
        printf '%s: expected\n%s\ngot\n%s\n' "$1" "$3" "$got"
        return 1
    fi
}

# refused WHAT PATTERN SQL: SQL must fail, with an error matching PATTERN
# (an extended regular expression).
refused() {
    local out
    if out=$(q "$3" 2>&1); then
        printf '%s: accepted, but must be refused:\n  %s\n' "$1" "$3"
        return 1
    fi
    if ! grep -Eq "$2" <<<"$out"; then
        printf '%s: refused, but not for the expected reason (%s):\n%s\n' "$1" "$2" "$out"
        return 1
    fi
}

# The upgrades, in order: schema 1 is upgraded through each.
steps=(1-to-2 2-to-3)

# run_step STEP: one upgrade script, run as an operator would.
run_step() {
    local f=$top/sql/upgrade/$1/${sqlname[$DB]}.sql
    [ -r "$f" ] || { echo "$f not found"; return 1; }
    case $DB in
        sqlite) sqlite3 -batch -bail "$sqlite_file" <"$f" ;;
        pgsql)  charon_pg_load "$f" ;;
        mysql)  charon_my_load "$f" ;;
    esac
}

# run_upgrade: every step; run_last: the last one (run twice).
run_upgrade() {
    local st
    for st in "${steps[@]}"; do run_step "$st"; done
}
run_last() { run_step "${steps[-1]}"; }

# The SQLite catalog, normalized, in a stable order (python3's sqlite3 is
# the system's libsqlite3, as the sqlite3 program).
sqlite_schema() {
    python3 - "$1" <<'EOF'
import re, sqlite3, sys

con = sqlite3.connect('file:%s?mode=ro' % sys.argv[1], uri=True)
rows = lambda sql, *a: con.execute(sql, a).fetchall()

def norm(s):
    """SQL text without comments, layout, and IF NOT EXISTS."""
    s = re.sub(r'--[^\n]*', ' ', s)
    s = re.sub(r'\s+', ' ', s).strip()
    s = re.sub(r'\(\s+', '(', s)
    s = re.sub(r'\s+\)', ')', s)
    s = re.sub(r'\s*,\s*', ', ', s)
    return s.replace(' IF NOT EXISTS', '')

def parts(body):
    """The comma-separated items of a CREATE TABLE body, at depth 0."""
    out, depth, quote, cur = [], 0, None, ''
    for c in body:
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == '(':
            depth += 1
        elif c == ')':
            depth -= 1
        elif c == ',' and depth == 0:
            out.append(cur.strip()); cur = ''; continue
        cur += c
    out.append(cur.strip())
    return out

print('journal_mode', rows('PRAGMA journal_mode')[0][0])
print('user_version', rows('PRAGMA user_version')[0][0])
for (t, sql) in rows("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"):
    print('table', t)
    s = norm(sql)
    head, body = s[:s.index('(')], s[s.index('(') + 1:s.rindex(')')]
    print('  create', head.strip(), '...', s[s.rindex(')') + 1:].strip())
    for p in parts(body):
        print('  def', p)
    for r in rows('SELECT * FROM pragma_table_xinfo(?) ORDER BY cid', t):
        print('  column', r)
    for r in rows('SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq', t):
        print('  foreign key', r)
    for (_, i, uniq, origin, partial) in rows('SELECT * FROM pragma_index_list(?) ORDER BY name', t):
        print('  index', i, 'unique' if uniq else '', origin, 'partial' if partial else '')
        for r in rows('SELECT * FROM pragma_index_xinfo(?) ORDER BY seqno', i):
            print('    key', r)
for (i, t, sql) in rows("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"):
    print('index', i, 'on', t, ':', norm(sql))
for (ty, n, sql) in rows("SELECT type, name, sql FROM sqlite_master WHERE type NOT IN ('table', 'index') ORDER BY name"):
    print(ty, n, ':', norm(sql or ''))
EOF
}

# schema_of WHICH: the catalog of the database under test (WHICH=charon)
# or of the fresh one (WHICH=fresh), normalized, in a stable order.
schema_of() {
    local which=$1 t
    case $DB in
        sqlite)
            if [ "$which" = fresh ]; then sqlite_schema "$work/fresh.db"
            else sqlite_schema "$sqlite_file"; fi ;;
        pgsql)
            # \restrict lines (pg_dump 15.14 and later) carry a random key.
            charon_pg_as "$CHARON_PG_BIN/pg_dump" -h 127.0.0.1 -p "$CHARON_PG_PORT" \
                -U postgres --schema-only --no-owner --no-privileges -d "$which" |
                grep -Ev '^\\(un)?restrict ' ;;
        mysql)
            local tables
            tables=$(charon_my_sql -N -B -e "SELECT table_name FROM information_schema.tables
                WHERE table_schema = '$which' ORDER BY table_name")
            # shellcheck disable=SC2086  # one line, blank-separated
            echo "tables:" $tables
            for t in $tables; do
                charon_my_sql -N -B -r "$which" -e "SHOW CREATE TABLE \`$t\`" |
                    cut -f 2- | sed -E 's/ AUTO_INCREMENT=[0-9]+//'
            done
            charon_my_sql -N -B -r -e "SELECT trigger_name, action_timing,
                event_manipulation, event_object_table, action_statement
                FROM information_schema.triggers
                WHERE trigger_schema = '$which' ORDER BY trigger_name" ;;
    esac
}

# ------------------------------------------------------- the test data ---

# The same statements on the three databases (TRUE/FALSE, quoted times):
# crons 1..3 stay, 4 is deleted (ids must not be reused); executions 1..6,
# 2 and 5 running; messages, one of several lines.
seed_sql="
INSERT INTO charon_cron (slug, name) VALUES ('backup', 'Nightly backup');
INSERT INTO charon_cron (slug, name, active, created_at)
    VALUES ('report', 'Rapport d''été ☀', FALSE, '2025-01-02 03:04:05.678');
INSERT INTO charon_cron (slug, name) VALUES ('cleanup', 'Clean up');
INSERT INTO charon_cron (slug, name) VALUES ('gone', 'Deleted before the upgrade');
DELETE FROM charon_cron WHERE slug = 'gone';
INSERT INTO charon_execution (cron_id, started_at, ended_at, success, type, api_key, remote_addr)
    VALUES (1, '2025-03-01 00:00:00.125', '2025-03-01 00:05:00.5', TRUE, 'success', 'ci', '10.0.0.1');
INSERT INTO charon_execution (cron_id, api_key, remote_addr) VALUES (1, 'ci', '::1');
INSERT INTO charon_execution (cron_id, started_at, ended_at, success, type, api_key, remote_addr)
    VALUES (2, '2025-03-02 00:00:00', '2025-03-02 01:00:00', FALSE, 'error', 'ops', '10.0.0.2');
INSERT INTO charon_execution (cron_id, started_at, ended_at, success, api_key, remote_addr)
    VALUES (3, '2025-03-03 00:00:00', '2025-03-03 00:00:01', TRUE, 'ci', '10.0.0.3');
INSERT INTO charon_execution (cron_id, started_at, api_key, remote_addr)
    VALUES (3, '2025-03-04 00:00:00', 'ci', '10.0.0.3');
INSERT INTO charon_execution (cron_id, started_at, ended_at, success, type, api_key, remote_addr)
    VALUES (3, '2025-03-05 00:00:00', '2025-03-05 00:10:00', TRUE, 'warning', 'ci', '10.0.0.3');
INSERT INTO charon_message (execution_id, type, message) VALUES (1, 'info', 'started');
INSERT INTO charon_message (execution_id, type, message, created_at)
    VALUES (1, 'success', 'done: 42 files', '2025-03-01 00:05:00');
INSERT INTO charon_message (execution_id, type, message) VALUES (3, 'error', 'line 1
line 2: it''s broken');
INSERT INTO charon_message (execution_id, type, message) VALUES (5, 'warning', 'slow disk');
INSERT INTO charon_message (execution_id, type, message) VALUES (6, 'info', 'ünïcødé ✓');
"

# What schema 1 holds, read back the same way before and after.
data_sql="
SELECT id, slug, name, active, created_at FROM charon_cron ORDER BY id;
SELECT id, cron_id, started_at, ended_at, success, type, api_key, remote_addr
    FROM charon_execution ORDER BY id;
SELECT id, execution_id, type, message, created_at FROM charon_message ORDER BY id;
SELECT 'crons', count(*) FROM charon_cron;
SELECT 'executions', count(*) FROM charon_execution;
SELECT 'messages', count(*) FROM charon_message;
"

# ------------------------------------------------------------- checks ---

# start_db: the throwaway database(s), in this shell (testdb.sh's start
# functions set the variables that the others use). SQLite: the file names.
start_db() {
    case $DB in
        sqlite)
            command -v sqlite3 >/dev/null || { echo "sqlite3 not found (apt-get install sqlite3)"; return 1; }
            command -v python3 >/dev/null || { echo "python3 not found (apt-get install python3)"; return 1; }
            sqlite_file=$work/charon.db
            ;;
        pgsql)
            command -v "$CHARON_PG_BIN/pg_dump" >/dev/null ||
                { echo "$CHARON_PG_BIN/pg_dump not found (apt-get install postgresql-15)"; return 1; }
            mkdir -p "$work/pg" && charon_pg_start "$work/pg" || return 1
            ;;
        mysql)
            command -v mariadb >/dev/null || { echo "mariadb not found (apt-get install mariadb-client)"; return 1; }
            mkdir -p "$work/my" && charon_my_start "$work/my" || return 1
            ;;
    esac
}

# load_db: schema 1 and the test data in database charon, schema 2 in a
# fresh database to compare with.
load_db() {
    case $DB in
        sqlite)
            charon_sqlite_create "$sqlite_file" "$top/tests/sql/schema1/sqlite.sql"
            charon_sqlite_create "$work/fresh.db" "$top/sql/sqlite.sql"
            ;;
        pgsql)
            charon_pg_load "$top/tests/sql/schema1/postgresql.sql"
            charon_pg_psql -d postgres -q -c 'CREATE DATABASE fresh' >/dev/null
            charon_pg_psql -d fresh -q <"$top/sql/postgresql.sql" >/dev/null
            ;;
        mysql)
            charon_my_load "$top/tests/sql/schema1/mysql.sql"
            charon_my_sql -e 'CREATE DATABASE fresh CHARACTER SET utf8mb4'
            charon_my_sql fresh <"$top/sql/mysql.sql"
            ;;
    esac
    q "$seed_sql"
    q "$data_sql" >"$work/data.before"
    expect "messages in schema 1" "SELECT count(*) FROM charon_message" 5
}

check_data() {
    q "$data_sql" >"$work/data.after"
    if ! diff -u "$work/data.before" "$work/data.after"; then
        echo "the data read back after the upgrade differs from before (- before, + after)"
        return 1
    fi
    expect "new columns of the crons" "
        SELECT id, CASE WHEN concurrency = 'allow' AND max_runtime IS NULL
                         AND off_reason IS NULL AND off_until IS NULL
                         AND refused_inactive = 0 AND refused_locked = 0
                        THEN 'defaults' ELSE 'CHANGED' END
        FROM charon_cron ORDER BY id" "1|defaults
2|defaults
3|defaults"
    expect "new columns of the executions" "
        SELECT id, CASE WHEN NOT forbid_overlap AND lost_at IS NULL
                        THEN 'defaults' ELSE 'CHANGED' END
        FROM charon_execution ORDER BY id" "1|defaults
2|defaults
3|defaults
4|defaults
5|defaults
6|defaults"
    if [ "$DB" = mysql ]; then
        expect "lock_cron_id of the executions" \
            "SELECT count(*) FROM charon_execution WHERE lock_cron_id IS NOT NULL" 0
    fi
    expect "charon_idempotency" "SELECT count(*) FROM charon_idempotency" 0
    # Ids go on where they were: cron 4 was deleted, the next one is 5.
    q "INSERT INTO charon_cron (slug, name) VALUES ('after', 'Made after the upgrade')"
    expect "id of a cron made after the upgrade" \
        "SELECT id, concurrency, refused_inactive FROM charon_cron WHERE slug = 'after'" "5|allow|0"
    q "INSERT INTO charon_execution (cron_id, api_key, remote_addr) VALUES (5, 'ci', '::1')"
    expect "id of an execution made after the upgrade" \
        "SELECT max(id), count(*) FROM charon_execution WHERE cron_id = 5" "7|1"
}

check_schema() {
    schema_of charon >"$work/schema.upgraded"
    schema_of fresh >"$work/schema.fresh"
    [ -s "$work/schema.fresh" ] || { echo "reading the fresh schema gave nothing"; return 1; }
    if ! diff -u "$work/schema.fresh" "$work/schema.upgraded"; then
        echo "the upgraded schema differs from sql/${sqlname[$DB]}.sql (- fresh, + upgraded)"
        return 1
    fi
    wc -l <"$work/schema.fresh" | awk '{ print $1 " lines of catalog compared" }'
}

# Uniqueness errors: SQLite names the index's columns, PostgreSQL and
# MariaDB the index.
dup_lock='charon_execution_lock|UNIQUE constraint failed: charon_execution\.cron_id'
dup_idem='charon_idempotency_pkey|PRIMARY|UNIQUE constraint failed: charon_idempotency\.key_name, charon_idempotency\.idem_key'

check_lock() {
    local ins="INSERT INTO charon_execution (cron_id, api_key, remote_addr, forbid_overlap)"
    # Cron 3 has a running execution from before the upgrade: not a holder.
    q "UPDATE charon_cron SET concurrency = 'forbid', max_runtime = 3600 WHERE id IN (1, 3)"
    q "$ins VALUES (3, 'ci', '127.0.0.1', TRUE)"
    refused "a second running forbid_overlap execution" "$dup_lock" \
        "$ins VALUES (3, 'ci', '127.0.0.2', TRUE)"
    # Executions that do not hold the lock: started under 'allow', ended.
    q "$ins VALUES (3, 'ci', '127.0.0.3', FALSE)"
    q "INSERT INTO charon_execution (cron_id, ended_at, success, api_key, remote_addr, forbid_overlap)
           VALUES (3, '2025-04-01 00:00:00', TRUE, 'ci', '127.0.0.4', TRUE)"
    # One holder per cron: cron 1 may have its own.
    q "$ins VALUES (1, 'ci', '127.0.0.5', TRUE)"
    # A lost run releases the lock; a new holder is refused again.
    q "UPDATE charon_execution SET lost_at = '2025-04-02 00:00:00'
           WHERE cron_id = 3 AND forbid_overlap AND ended_at IS NULL AND lost_at IS NULL"
    q "$ins VALUES (3, 'ci', '127.0.0.6', TRUE)"
    refused "a running forbid_overlap execution while another holds the lock" "$dup_lock" \
        "$ins VALUES (3, 'ci', '127.0.0.7', TRUE)"
    # An ended run releases it too.
    q "UPDATE charon_execution SET ended_at = '2025-04-03 00:00:00', success = TRUE
           WHERE cron_id = 3 AND remote_addr = '127.0.0.6'"
    q "$ins VALUES (3, 'ci', '127.0.0.8', TRUE)"
    expect "holders of the lock per cron" "
        SELECT cron_id, count(*) FROM charon_execution
        WHERE forbid_overlap AND ended_at IS NULL AND lost_at IS NULL
        GROUP BY cron_id ORDER BY cron_id" "1|1
3|1"
    expect "refused executions made nothing" \
        "SELECT count(*) FROM charon_execution WHERE remote_addr IN ('127.0.0.2', '127.0.0.7')" 0
}

check_constraints() {
    refused "concurrency 'maybe'" 'concurrency|CHECK' \
        "UPDATE charon_cron SET concurrency = 'maybe' WHERE id = 1"
    refused "max_runtime 0" 'max_runtime|CHECK' \
        "UPDATE charon_cron SET max_runtime = 0 WHERE id = 1"
    refused "a cron without concurrency" 'concurrency|NOT NULL|null value' \
        "UPDATE charon_cron SET concurrency = NULL WHERE id = 1"
    if [ "$DB" = sqlite ]; then
        refused "forbid_overlap 2" 'forbid_overlap|CHECK' \
            "UPDATE charon_execution SET forbid_overlap = 2 WHERE id = 1"
    fi
    q "UPDATE charon_cron SET max_runtime = NULL, concurrency = 'allow' WHERE id = 1"
}

check_idempotency() {
    local ins="INSERT INTO charon_idempotency (key_name, idem_key, request, status, response)"
    local h=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    q "$ins VALUES ('ci', 'k-1', '$h', 200, '{\"id\":1}')"
    refused "the same key name and Idempotency-Key" "$dup_idem" \
        "$ins VALUES ('ci', 'k-1', '$h', 409, '{}')"
    # Other keys: case, a trailing blank and another key name count.
    q "$ins VALUES ('ci', 'K-1', '$h', 200, '{}')"
    q "$ins VALUES ('ci', 'k-1 ', '$h', 200, '{}')"
    q "$ins VALUES ('ops', 'k-1', '$h', 200, '{}')"
    expect "idempotency records" "
        SELECT key_name, idem_key, status, response, CASE WHEN created_at IS NULL
               THEN 'no created_at' ELSE 'created_at' END
        FROM charon_idempotency WHERE key_name = 'ci' AND idem_key = 'k-1'" \
        'ci|k-1|200|{"id":1}|created_at'
    expect "number of idempotency records" "SELECT count(*) FROM charon_idempotency" 4
}

# check_stats: the outcome counters start from the runs there were, and
# follow the runs that end or are lost after the upgrade (the triggers).
check_stats() {
    local int=INTEGER
    [ "$DB" = mysql ] && int=SIGNED
    local stats="SELECT cron_id, runs_succeeded, runs_failed, runs_lost,
        CASE WHEN last_success_at IS NULL THEN '-' ELSE 's' END,
        CASE WHEN last_failure_at IS NULL THEN '-' ELSE 'f' END,
        CAST(round(last_duration) AS $int) FROM charon_cron_stats ORDER BY cron_id"
    expect "counters from the runs before the upgrade" "$stats" "1|1|0|0|s|-|300
2|0|1|0|-|f|3600
3|2|0|0|s|-|600"
    # Execution 2 (cron 1) and 5 (cron 3) were running.
    q "UPDATE charon_execution SET started_at = '2025-03-01 00:00:00' WHERE id = 2"
    q "UPDATE charon_execution SET ended_at = '2025-03-01 00:10:00', success = FALSE WHERE id = 2"
    q "UPDATE charon_execution SET lost_at = '2025-03-04 02:00:00' WHERE id = 5"
    q "UPDATE charon_execution SET ended_at = '2025-03-04 03:00:00', success = TRUE WHERE id = 5"
    expect "counters after an end, a lost run and its late end" "$stats" "1|1|1|0|s|f|600
2|0|1|0|-|f|3600
3|2|0|1|s|f|10800"
}

check_second_run() {
    schema_of charon >"$work/schema.once"
    if run_last >"$work/second.out" 2>&1; then
        echo "a second run of the upgrade succeeded; it must fail"
        return 1
    fi
    echo "second run failed as it should: $(grep -m 1 -Ei 'error' "$work/second.out" || head -n 1 "$work/second.out")"
    schema_of charon >"$work/schema.twice"
    if ! diff -u "$work/schema.once" "$work/schema.twice"; then
        echo "the failed second run changed the schema"
        return 1
    fi
}

stop_db() {
    case $DB in
        pgsql) charon_pg_stop ;;
        mysql) charon_my_stop ;;
    esac
    rm -rf "${work:?}"/*
}

# ------------------------------------------------------------- main ---

t_start=$(now)
for DB in "${dbs[@]}"; do
    t0=$(now)
    rc=0
    start_db >"$work/start.out" 2>&1 || rc=$?
    record "throwaway database started" "$rc" "$work/start.out"
    if [ "$ok" = 1 ]; then check "schema 1 loaded, test data in" load_db; fi
    if [ "$ok" = 1 ]; then check "sql/upgrade/{${steps[*]}}/${sqlname[$DB]}.sql ran" run_upgrade; fi
    if [ "$ok" = 1 ]; then
        # The upgraded schema first: the other checks change data.
        check "upgraded schema equals sql/${sqlname[$DB]}.sql" check_schema
        check "data unchanged, new columns at their defaults" check_data
        check "charon_cron_stats: counted at the upgrade, then by the triggers" check_stats
        check "overlap lock: one running forbid_overlap execution per cron" check_lock
        check "CHECK and NOT NULL of the new cron columns" check_constraints
        check "charon_idempotency's primary key refuses a duplicate" check_idempotency
        check "a second run fails and changes nothing" check_second_run
    fi
    stop_db
    say "$DB: $(elapsed "$t0")s"
done

finished=1
say "total $(elapsed "$t_start")s"
echo "upgrade-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
