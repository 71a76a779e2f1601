#!/bin/sh
# Installs what building, running and testing mod_charon need, on Debian 12.
# Does nothing (quickly) when everything is present, so `make run` and
# `make test` can call it every time.
set -eu

PKGS="apache2 apache2-dev libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql
libaprutil1-dbd-mysql libjson-c-dev libssl-dev mariadb-server mariadb-client
sqlite3 libapache2-mod-perl2 libwww-perl libjson-perl libdbi-perl
libdbd-sqlite3-perl libdbd-pg-perl libdbd-mariadb-perl postgresql-15 wrk
pkg-config gcc make curl gdb python3 valgrind prometheus chromium nodejs npm
libcurl4-openssl-dev"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        # Some nodejs builds (NodeSource's) carry npm and conflict with
        # Debian's npm package.
        [ "$p" = npm ] && command -v npm >/dev/null && continue
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "deps: need root or sudo to install:$missing" >&2; exit 1; }
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Stale or missing package lists make installs fail; refresh once.
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "deps: done"
