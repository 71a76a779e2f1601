# shellcheck shell=bash
# Throwaway databases for the bash benchmark. harness/db.py is its
# replacement, with the same servers and settings; this file stays only
# until scripts/bench.sh, which sources it,
# move to harness/ (issue 12).
# A change to one of the two must be made in the other. Source this file:
#
#   . scripts/testdb.sh
#   charon_pg_start "$(mktemp -d /tmp/charon-pg.XXXXXX)"   # sets CHARON_PG_*
#   charon_pg_load sql/postgresql.sql
#   ...                                                    # use it
#   charon_pg_stop                                         # stops, deletes DIR
#
# Every server listens on 127.0.0.1 only, on a free port picked at start, and
# keeps its data, socket and log in the directory it is given (which it owns
# from then on: *_stop deletes it). *_down / *_up stop and start the same
# server again with its data and port, for tests of a database restart.
#
# What each start sets (all exported, so child processes see them):
#   CHARON_<DB>_PORT      TCP port on 127.0.0.1
#   CHARON_<DB>_DBDPARAMS the DBDParams string for mod_dbd
#   CHARON_<DB>_DSN, CHARON_<DB>_USER, CHARON_<DB>_PASS   for Perl DBI
#   CHARON_<DB>_DIR, CHARON_<DB>_LOG                      where things are
# with <DB> = PG or MY. SQLite needs no server: see charon_sqlite_create.
#
# Safe under `set -euo pipefail` (the scripts above use it).
# Works as root (the servers then run as user postgres, and as root for
# MariaDB, which allows it when told --user=root) and as an ordinary user.
# Functions return non-zero with a message on stderr; they never exit, so a
# caller's traps keep working.

charon_db_log() { printf 'testdb: %s\n' "$*" >&2; }

# charon_free_port: print a TCP port that nothing listens on at 127.0.0.1.
# Ports are drawn below Linux's ephemeral range (32768+), so the kernel does
# not hand the same port to an outgoing connection in the meantime. The check
# binds the port, as the server will; what remains is a short race with other
# programs picking ports the same way, which a start reports clearly.
charon_free_port() {
    perl -MIO::Socket::INET -e '
        for (1 .. 200) {
            my $p = 20000 + int rand 12000;
            my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
                LocalPort => $p, Proto => "tcp", Listen => 1, ReuseAddr => 1)
                or next;
            close $s; print "$p\n"; exit 0;
        }
        exit 1;' || { charon_db_log "no free port found"; return 1; }
}

# charon_wait_pid PID SECONDS: wait for a process to be gone.
charon_wait_pid() {
    local pid=$1 n=$(( $2 * 10 ))
    while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.1; n=$((n - 1))
    done
    ! kill -0 "$pid" 2>/dev/null
}

# charon_random_password: 24 hex digits; hex needs no quoting anywhere
# (DBDParams, SQL, DBI DSN).
charon_random_password() {
    od -An -N12 -tx1 /dev/urandom | tr -d ' \n'
}

# ---------------------------------------------------------------- SQLite ---

# charon_sqlite_create FILE SCHEMA [OWNER]: create a fresh SQLite database
# from SCHEMA. SQLite writes journal/WAL files next to the database, so both
# the file and its directory must belong to whoever runs httpd's children
# (else "attempt to write a readonly database"): pass that user as OWNER.
charon_sqlite_create() {
    local file=$1 schema=$2 owner=${3:-}
    local dir
    dir=$(dirname "$file")
    [ -r "$schema" ] || { charon_db_log "sqlite: schema $schema not found"; return 1; }
    mkdir -p "$dir" || return 1
    rm -f "$file" "$file-wal" "$file-shm" "$file-journal"
    # stdout: a PRAGMA journal_mode=WAL in the schema prints "wal".
    if ! sqlite3 -bail "$file" <"$schema" >/dev/null; then
        charon_db_log "sqlite: loading $schema into $file failed"
        return 1
    fi
    if [ -n "$owner" ]; then
        chown "$owner" "$dir" "$file"* || return 1
    fi
}

# ------------------------------------------------------------ PostgreSQL ---

CHARON_PG_BIN=${CHARON_PG_BIN:-/usr/lib/postgresql/15/bin}

# PostgreSQL refuses to run as root: as root, run its programs as postgres,
# from a directory postgres can enter (runuser keeps the current directory,
# which may be root's 0700 home).
charon_pg_as() {
    if [ "$(id -u)" = 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# charon_pg_start DIR: initdb a cluster in DIR/data and start it on a free
# port, with trust authentication (it is reachable from this machine only)
# and durability off (fsync, synchronous_commit: a crash loses a throwaway
# database, nothing else). Creates the database "charon".
charon_pg_start() {
    local dir=${1:?charon_pg_start DIR}
    local initdb="$CHARON_PG_BIN/initdb"
    [ -x "$initdb" ] || { charon_db_log "pgsql: $initdb not found (apt-get install postgresql-15)"; return 1; }
    mkdir -p "$dir" || return 1
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$dir" || return 1
        if ! runuser -u postgres -- test -w "$dir"; then
            charon_db_log "pgsql: user postgres cannot write $dir (is a parent directory private?)"
            return 1
        fi
    fi
    chmod 700 "$dir"

    export CHARON_PG_DIR="$dir" CHARON_PG_LOG="$dir/postgres.log"
    mkdir -p "$dir/sock" && chmod 700 "$dir/sock"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir/sock"

    # --no-sync: nothing needs to survive a power cut here, and it saves
    # seconds. --no-locale and UTF8: byte-wise, machine-independent sorting.
    if ! charon_pg_as "$initdb" -D "$dir/data" -U postgres --auth=trust \
            -E UTF8 --no-locale --no-sync >"$dir/initdb.log" 2>&1; then
        charon_db_log "pgsql: initdb failed:"; cat "$dir/initdb.log" >&2
        return 1
    fi

    CHARON_PG_PORT=$(charon_free_port) || return 1
    export CHARON_PG_PORT
    charon_pg_up || return 1

    if ! charon_pg_psql -d postgres -q -c 'CREATE DATABASE charon' >/dev/null; then
        charon_db_log "pgsql: CREATE DATABASE charon failed"
        return 1
    fi
    export CHARON_PG_USER=postgres CHARON_PG_PASS=""
    export CHARON_PG_DSN="dbi:Pg:dbname=charon;host=127.0.0.1;port=$CHARON_PG_PORT"
    # connect_timeout: mod_dbd opens connections under its pool lock, so a
    # hung connect would stall every thread waiting for a connection.
    export CHARON_PG_DBDPARAMS="host=127.0.0.1 port=$CHARON_PG_PORT dbname=charon user=postgres connect_timeout=5"
}

# charon_pg_up: (re)start the cluster set up by charon_pg_start, same port.
# listen_addresses=127.0.0.1: TCP on loopback only; the Unix socket lives in
# the private DIR/sock.
charon_pg_up() {
    [ -n "${CHARON_PG_DIR:-}" ] || { charon_db_log "pgsql: not set up"; return 1; }
    if ! charon_pg_as "$CHARON_PG_BIN/pg_ctl" -D "$CHARON_PG_DIR/data" \
            -l "$CHARON_PG_LOG" -w -t 60 \
            -o "-p $CHARON_PG_PORT -k $CHARON_PG_DIR/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null; then
        charon_db_log "pgsql: server did not start on 127.0.0.1:$CHARON_PG_PORT; log:"
        tail -n 20 "$CHARON_PG_LOG" >&2
        return 1
    fi
}

# charon_pg_down [MODE]: stop the server, keep its data (MODE: fast, the
# default, or immediate, which is a crash as far as clients can tell).
charon_pg_down() {
    [ -n "${CHARON_PG_DIR:-}" ] && [ -f "$CHARON_PG_DIR/data/postmaster.pid" ] || return 0
    local pid
    pid=$(head -n 1 "$CHARON_PG_DIR/data/postmaster.pid" 2>/dev/null) || true
    if ! charon_pg_as "$CHARON_PG_BIN/pg_ctl" -D "$CHARON_PG_DIR/data" \
            -m "${1:-fast}" -w -t 30 stop >/dev/null 2>&1; then
        # pg_ctl failed or timed out: do not leave a postmaster behind.
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            charon_db_log "pgsql: pg_ctl stop failed; killing postmaster $pid"
            kill -KILL "$pid" 2>/dev/null || true
            charon_wait_pid "$pid" 10 || true
        fi
    fi
}

# charon_pg_restart: what an operator's `pg_ctl restart -m fast` does.
charon_pg_restart() {
    charon_pg_down fast && charon_pg_up
}

# charon_pg_psql ARGS...: psql as postgres over TCP, database charon unless
# ARGS say otherwise (-d). ON_ERROR_STOP so a bad schema fails loudly.
charon_pg_psql() {
    local dbarg=(-d charon)
    case " $* " in *" -d "*|*" --dbname"*) dbarg=() ;; esac
    charon_pg_as "$CHARON_PG_BIN/psql" -X -v ON_ERROR_STOP=1 -h 127.0.0.1 \
        -p "$CHARON_PG_PORT" -U postgres "${dbarg[@]}" "$@"
}

# charon_pg_load FILE: run an SQL file in database charon. psql reads it on
# its stdin, so user postgres need not be able to read FILE.
charon_pg_load() {
    [ -r "$1" ] || { charon_db_log "pgsql: $1 not found"; return 1; }
    if ! charon_pg_psql -q <"$1" >/dev/null; then
        charon_db_log "pgsql: loading $1 failed"
        return 1
    fi
}

# charon_pg_stop: stop the server and delete its directory.
charon_pg_stop() {
    [ -n "${CHARON_PG_DIR:-}" ] || return 0
    charon_pg_down fast
    rm -rf "$CHARON_PG_DIR"
    unset CHARON_PG_DIR CHARON_PG_LOG CHARON_PG_PORT CHARON_PG_DSN \
          CHARON_PG_DBDPARAMS CHARON_PG_USER CHARON_PG_PASS
}

# --------------------------------------------------------------- MariaDB ---

# Every MariaDB program gets --no-defaults first: /etc/mysql/my.cnf belongs to
# the system's server (its socket, datadir, port 3306), not to ours.
CHARON_MY_USER_OPT=""
charon_my_admin() {
    mariadb-admin --no-defaults --socket="$CHARON_MY_DIR/mysqld.sock" -uroot "$@"
}

# charon_my_sql ARGS...: the mariadb client as root, through the private
# socket (root@localhost has no password and no TCP access).
charon_my_sql() {
    mariadb --no-defaults --socket="$CHARON_MY_DIR/mysqld.sock" -uroot "$@"
}

# charon_my_start DIR: install a data directory in DIR/data, start mariadbd on
# a free port of 127.0.0.1, create database charon and user
# 'charon'@'127.0.0.1' with a random password, allowed everything on charon.*.
charon_my_start() {
    local dir=${1:?charon_my_start DIR}
    command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] ||
        { charon_db_log "mysql: mariadbd not found (apt-get install mariadb-server)"; return 1; }
    mkdir -p "$dir" || return 1
    dir=$(cd "$dir" && pwd)
    chmod 700 "$dir"
    export CHARON_MY_DIR="$dir" CHARON_MY_LOG="$dir/mariadb.err"
    mkdir -p "$dir/tmp"

    # MariaDB runs as root only when told so explicitly; as another user the
    # option is left out and it runs as that user.
    CHARON_MY_USER_OPT=""
    [ "$(id -u)" = 0 ] && CHARON_MY_USER_OPT="--user=root"

    # normal root authentication (not unix_socket), so root can log in via
    # the socket whatever the calling Unix user is called.
    # shellcheck disable=SC2086
    if ! mariadb-install-db --no-defaults --datadir="$dir/data" $CHARON_MY_USER_OPT \
            --auth-root-authentication-method=normal --skip-test-db \
            --skip-name-resolve >"$dir/install.log" 2>&1; then
        charon_db_log "mysql: mariadb-install-db failed:"; tail -n 30 "$dir/install.log" >&2
        return 1
    fi

    CHARON_MY_PORT=$(charon_free_port) || return 1
    export CHARON_MY_PORT
    charon_my_up || return 1

    CHARON_MY_PASS=$(charon_random_password)
    export CHARON_MY_USER=charon CHARON_MY_PASS
    if ! charon_my_sql -e "
            CREATE DATABASE charon CHARACTER SET utf8mb4;
            CREATE USER 'charon'@'127.0.0.1' IDENTIFIED BY '$CHARON_MY_PASS';
            GRANT ALL ON charon.* TO 'charon'@'127.0.0.1';"; then
        charon_db_log "mysql: creating database and user failed"
        return 1
    fi
    # DBD::MariaDB (libdbd-mariadb-perl) when present, else DBD::mysql.
    local drv=MariaDB
    perl -MDBD::MariaDB -e1 2>/dev/null || drv=mysql
    export CHARON_MY_DSN="dbi:$drv:database=charon;host=127.0.0.1;port=$CHARON_MY_PORT"
    # apr_dbd_mysql: the password key is "pass", not "password".
    # reconnect=0: a silent reconnect would lose the prepared statements
    # (mod_dbd's own advice); connect_timeout: see charon_pg_start.
    export CHARON_MY_DBDPARAMS="host=127.0.0.1 port=$CHARON_MY_PORT user=charon pass=$CHARON_MY_PASS dbname=charon reconnect=0 connect_timeout=5"
}

# charon_my_up: (re)start mariadbd on the data of charon_my_start, same port.
# Durability settings are relaxed (no binary log, no flush per commit, no
# doublewrite): this database is thrown away. Character set and collation are
# those of Debian's packaged server (/etc/mysql/mariadb.conf.d/50-server.cnf),
# which --no-defaults skips: the schema must not depend on a friendlier
# default than operators get. The time zone is UTC, as sql/mysql.sql asks of
# the server, whatever the machine's.
charon_my_up() {
    [ -n "${CHARON_MY_DIR:-}" ] || { charon_db_log "mysql: not set up"; return 1; }
    local d=$CHARON_MY_DIR mariadbd=mariadbd
    command -v mariadbd >/dev/null || mariadbd=/usr/sbin/mariadbd
    # Own stdin/stdout/stderr: a background server holding the caller's
    # output pipe open would keep e.g. `make test | tee` from ever ending.
    # shellcheck disable=SC2086
    "$mariadbd" --no-defaults $CHARON_MY_USER_OPT --datadir="$d/data" \
        --socket="$d/mysqld.sock" --port="$CHARON_MY_PORT" \
        --bind-address=127.0.0.1 --skip-name-resolve \
        --pid-file="$d/mariadb.pid" --log-error="$CHARON_MY_LOG" \
        --tmpdir="$d/tmp" --skip-log-bin \
        --innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
        --innodb-buffer-pool-size=64M \
        --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
        --default-time-zone=+00:00 \
        </dev/null >>"$d/mariadbd.out" 2>&1 &
    CHARON_MY_PID=$!
    export CHARON_MY_PID
    local n=600
    while [ "$n" -gt 0 ]; do
        if ! kill -0 "$CHARON_MY_PID" 2>/dev/null; then
            charon_db_log "mysql: mariadbd exited during start; log:"
            tail -n 30 "$CHARON_MY_LOG" >&2
            return 1
        fi
        charon_my_admin --connect-timeout=1 ping >/dev/null 2>&1 && return 0
        sleep 0.1; n=$((n - 1))
    done
    charon_db_log "mysql: mariadbd did not answer within 60 s; log:"
    tail -n 30 "$CHARON_MY_LOG" >&2
    charon_my_down kill
    return 1
}

# charon_my_down MODE: stop mariadbd, keep its data. MODE "shutdown" asks
# it to shut down cleanly; "kill" SIGKILLs it (a crash, as clients see it).
charon_my_down() {
    local mode=${1:?charon_my_down shutdown|kill} pid=${CHARON_MY_PID:-}
    if [ -z "$pid" ] && [ -n "${CHARON_MY_DIR:-}" ]; then
        pid=$(cat "$CHARON_MY_DIR/mariadb.pid" 2>/dev/null) || true
    fi
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
        unset CHARON_MY_PID
        return 0
    fi
    if [ "$mode" != kill ]; then
        charon_my_admin --connect-timeout=5 shutdown >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
        charon_wait_pid "$pid" 30 || charon_db_log "mysql: mariadbd $pid ignores shutdown; killing it"
    fi
    kill -KILL "$pid" 2>/dev/null || true
    charon_wait_pid "$pid" 10 || true
    wait "$pid" 2>/dev/null || true   # reap it if it is our child
    unset CHARON_MY_PID
    return 0
}

charon_my_restart() {
    charon_my_down shutdown && charon_my_up
}

# charon_my_load FILE: run an SQL file in database charon as user charon,
# over TCP, which also proves the user, its password and its grant work.
charon_my_load() {
    [ -r "$1" ] || { charon_db_log "mysql: $1 not found"; return 1; }
    if ! mariadb --no-defaults -h 127.0.0.1 -P "$CHARON_MY_PORT" -u charon \
            -p"$CHARON_MY_PASS" charon <"$1"; then
        charon_db_log "mysql: loading $1 failed"
        return 1
    fi
}

# charon_my_stop: stop the server and delete its directory.
charon_my_stop() {
    [ -n "${CHARON_MY_DIR:-}" ] || return 0
    charon_my_down shutdown
    rm -rf "$CHARON_MY_DIR"
    unset CHARON_MY_DIR CHARON_MY_LOG CHARON_MY_PORT CHARON_MY_DSN \
          CHARON_MY_DBDPARAMS CHARON_MY_USER CHARON_MY_PASS
}
