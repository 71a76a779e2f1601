#!/bin/sh
# Installs what building, running and testing mod_charon need, on Debian 12.
#
#   scripts/deps.sh             Debian's packages (make deps)
#   scripts/deps.sh --browser   those, then what the browser test
#                               (t/browser.t) needs besides them (make
#                               browser-deps; make test runs it)
#
# Does nothing (quickly) when everything is present, so `make run` and
# `make test` can call it every time.
#
# --browser: playwright-core, exactly as pinned in t/browser/package-lock.json
# (`npm ci`), into build/browser/node_modules. The browser is Debian's
# chromium (/usr/bin/chromium) and node/npm are Debian's nodejs and npm, all
# in the package list below; playwright-core downloads no browser. Fails,
# saying why, when node, npm or chromium are missing or the npm registry
# cannot be reached. Runs at the same time (two `make test` in one tree)
# take turns (flock), and an install is renamed into place only once
# complete.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

PKGS="apache2 apache2-dev libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql
libaprutil1-dbd-mysql libjson-c-dev libssl-dev mariadb-server mariadb-client
sqlite3 libapache2-mod-perl2 libwww-perl libjson-perl libdbi-perl
libdbd-sqlite3-perl libdbd-pg-perl libdbd-mariadb-perl postgresql-15 wrk
pkg-config gcc make curl gdb python3 valgrind prometheus chromium nodejs npm
libcurl4-openssl-dev clang-format git libicu-dev tzdata python3-aiosmtpd
galera-4 rsync"

# debian_packages: install those of PKGS that are missing.
debian_packages() {
    missing=""
    for p in $PKGS; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
            # Some nodejs builds (NodeSource's) carry npm and conflict with
            # Debian's npm package.
            [ "$p" = npm ] && command -v npm >/dev/null && continue
            missing="$missing $p"
        fi
    done
    [ -n "$missing" ] || return 0

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
}

# ------------------------------------------------------------- --browser ---

src=$top/t/browser
dest=$top/build/browser
stamp=$dest/.installed-lock   # the package-lock.json that was installed

bsay() { printf 'browser-deps: %s\n' "$*"; }
bdie() { printf 'browser-deps: %s\n' "$*" >&2; exit 1; }

# browser_installed: the pinned lock is what build/browser holds.
browser_installed() {
    [ -f "$stamp" ] && cmp -s "$stamp" "$src/package-lock.json" &&
        [ -f "$dest/node_modules/playwright-core/package.json" ]
}

browser_packages() {
    if [ ! -f "$src/package.json" ] || [ ! -f "$src/package-lock.json" ]; then
        bdie "$src/package.json or package-lock.json is missing"
    fi
    browser_installed && return 0

    command -v node >/dev/null ||
        bdie "node not found: run scripts/deps.sh (Debian package nodejs)"
    command -v npm >/dev/null ||
        bdie "npm not found: run scripts/deps.sh (Debian package npm)"
    [ -x /usr/bin/chromium ] ||
        bdie "/usr/bin/chromium not found: run scripts/deps.sh (Debian package chromium)"
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" -ge 18 ] ||
        bdie "node $(node --version) is too old: playwright-core needs 18 or later"

    mkdir -p "$top/build"
    exec 9>"$top/build/.browser-deps.lock"
    flock 9
    browser_installed && return 0   # another run installed it while we waited

    tmp=$(mktemp -d "$top/build/browser.new.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    cp "$src/package.json" "$src/package-lock.json" "$tmp/"
    bsay "installing playwright-core from $src/package-lock.json into $dest"
    # --prefer-offline: from npm's cache when it holds that version (`make
    # clean` removes build/, so make test reinstalls; the lock's integrity
    # hash is checked either way). Few, short retries: an unreachable
    # registry fails in about a minute, not after npm's default backoff.
    # --ignore-scripts: nothing to build, and no package's install script
    # runs as root here.
    if ! (cd "$tmp" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund \
            --fetch-retries=1 --fetch-retry-mintimeout=2000 \
            --fetch-retry-maxtimeout=10000 --fetch-timeout=60000 \
            --loglevel=error); then
        bdie "npm ci failed: is the npm registry reachable? (npm config get registry: $(npm config get registry 2>/dev/null || echo '?'))"
    fi
    # shellcheck disable=SC2016  # JavaScript, not shell
    node -e '
        const fs = require("fs");
        const [lockFile, pkgFile] = process.argv.slice(1);
        const want = JSON.parse(fs.readFileSync(lockFile)).packages["node_modules/playwright-core"].version;
        const got = JSON.parse(fs.readFileSync(pkgFile)).version;
        if (got !== want) {
            console.error(`browser-deps: installed playwright-core ${got}, the lock says ${want}`);
            process.exit(1);
        }
        require(require("path").dirname(pkgFile));   // it loads
    ' "$src/package-lock.json" "$tmp/node_modules/playwright-core/package.json" ||
        bdie "the installed playwright-core is not the pinned one, or does not load"
    cp "$src/package-lock.json" "$tmp/.installed-lock"
    # The tests run as another user (nobody when root runs them).
    chmod -R a+rX "$tmp"
    rm -rf "$dest"
    mv "$tmp" "$dest"
    trap - EXIT
    bsay "playwright-core $(node -p "require('$dest/node_modules/playwright-core/package.json').version") installed"
}

case ${1:-} in
    "") debian_packages ;;
    --browser) debian_packages; browser_packages ;;
    *) echo "deps: unknown argument '$1' (expected nothing or --browser)" >&2; exit 2 ;;
esac
