#!/bin/sh
# Installs what building, running and testing mod_charon need, on Debian 12.
#
#   scripts/deps.sh             Debian's packages (make deps)
#   scripts/deps.sh --browser   those, then what the browser test
#                               (t/browser.t) and the OpenAPI checks need
#                               besides them (make browser-deps; make test
#                               runs it)
#   scripts/deps.sh --openapi   those, then the OpenAPI checks' packages
#   scripts/deps.sh --deb       what `make deb` and `make deb-test` need,
#                               and only that: dpkg-dev, fakeroot, lintian,
#                               git, mmdebstrap, then the Build-Depends of
#                               debian/control
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
#
# The OpenAPI checks (make openapi-lint, and the check of every answer the
# Apache::Test suite received): Redocly's CLI, openapi-backend and
# openapi-response-validator as pinned in tests/openapi/package-lock.json,
# into build/openapi/node_modules, the same way.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)

PKGS="apache2 apache2-dev libaprutil1-dbd-sqlite3 libaprutil1-dbd-pgsql
libaprutil1-dbd-mysql libjson-c-dev libssl-dev libsqlite3-dev mariadb-server mariadb-client
sqlite3 libapache2-mod-perl2 libwww-perl libjson-perl libdbi-perl
libdbd-sqlite3-perl libdbd-pg-perl libdbd-mariadb-perl postgresql-15 wrk
pkg-config gcc make curl gdb python3 valgrind prometheus chromium nodejs npm
libcurl4-openssl-dev clang-format git libicu-dev tzdata python3-aiosmtpd
galera-4 rsync"

# debian_packages [LIST]: install those of PKGS (or of LIST, names
# separated by blanks) that are missing.
debian_packages() {
    list=${1:-$PKGS}
    missing=""
    for p in $list; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
            # Some nodejs builds (NodeSource's) carry npm and conflict with
            # Debian's npm package.
            [ "$p" = npm ] && command -v npm >/dev/null && continue
            missing="$missing $p"
        fi
    done
    [ -n "$missing" ] || return 0

    echo "deps: installing:$missing"
    apt_ready "$missing"
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    echo "deps: done"
}

# apt_ready WHAT: SUDO set (or root), package lists refreshed once (stale
# or missing lists make installs fail).
apt_ready() {
    SUDO=""
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { echo "deps: need root or sudo to install:$1" >&2; exit 1; }
        SUDO="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    [ -n "${apt_updated:-}" ] || $SUDO apt-get update -qq
    apt_updated=1
}

# ----------------------------------------------------------------- --deb ---

# deb_packages: the tools of `make deb` (and mmdebstrap, which makes the
# fresh Debian root `make deb-test` installs them in), then the build
# dependencies that debian/control names (the one list of them), with
# apt-get build-dep on the source tree when dpkg-checkbuilddeps finds some
# missing.
DEB_PKGS="dpkg-dev fakeroot build-essential lintian git mmdebstrap"
deb_packages() {
    debian_packages "$DEB_PKGS"
    unmet=$(cd "$top" && dpkg-checkbuilddeps 2>&1) && return 0
    echo "deps: ${unmet#dpkg-checkbuilddeps: error: }"
    apt_ready "build dependencies"
    $SUDO apt-get build-dep -y -qq --no-install-recommends "$top" >/dev/null
    echo "deps: done"
}

# ------------------------------------------------------------- --browser ---

# npm_packages LABEL SRC DEST: the packages pinned by SRC/package-lock.json
# (`npm ci`) into DEST/node_modules, unless DEST already holds that lock.
npm_packages() {
    label=$1 src=$2 dest=$3
    stamp=$dest/.installed-lock   # the package-lock.json that was installed
    nsay() { printf '%s: %s\n' "$label" "$*"; }
    ndie() { printf '%s: %s\n' "$label" "$*" >&2; exit 1; }
    if [ ! -f "$src/package.json" ] || [ ! -f "$src/package-lock.json" ]; then
        ndie "$src/package.json or package-lock.json is missing"
    fi
    [ -f "$stamp" ] && cmp -s "$stamp" "$src/package-lock.json" &&
        [ -d "$dest/node_modules" ] && return 0

    command -v node >/dev/null ||
        ndie "node not found: run scripts/deps.sh (Debian package nodejs)"
    command -v npm >/dev/null ||
        ndie "npm not found: run scripts/deps.sh (Debian package npm)"
    major=$(node -p 'process.versions.node.split(".")[0]')
    [ "$major" -ge 18 ] ||
        ndie "node $(node --version) is too old: 18 or later is needed"

    mkdir -p "$top/build"
    exec 9>"$top/build/.$label.lock"
    flock 9
    # another run installed it while we waited
    [ -f "$stamp" ] && cmp -s "$stamp" "$src/package-lock.json" &&
        [ -d "$dest/node_modules" ] && return 0

    tmp=$(mktemp -d "$dest.new.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    cp "$src/package.json" "$src/package-lock.json" "$tmp/"
    nsay "installing from $src/package-lock.json into $dest"
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
        ndie "npm ci failed: is the npm registry reachable? (npm config get registry: $(npm config get registry 2>/dev/null || echo '?'))"
    fi
    # Each package the lock pins directly is the pinned version, and loads.
    # shellcheck disable=SC2016  # JavaScript, not shell
    (cd "$tmp" && node -e '
        const fs = require("fs");
        const lock = JSON.parse(fs.readFileSync("package-lock.json"));
        for (const name of Object.keys(lock.packages[""].dependencies)) {
            const want = lock.packages["node_modules/" + name].version;
            const got = JSON.parse(fs.readFileSync("node_modules/" + name + "/package.json")).version;
            if (got !== want) {
                console.error(`installed ${name} ${got}, the lock says ${want}`);
                process.exit(1);
            }
        }
    ') || ndie "the installed packages are not the pinned ones"
    cp "$src/package-lock.json" "$tmp/.installed-lock"
    # The tests run as another user (nobody when root runs them).
    chmod -R a+rX "$tmp"
    rm -rf "$dest"
    mv "$tmp" "$dest"
    trap - EXIT
    nsay "installed: $(cd "$dest" && node -p 'Object.entries(require("./package.json").dependencies).map(([n, v]) => n + " " + v).join(", ")')"
}

browser_packages() {
    [ -x /usr/bin/chromium ] || {
        echo "browser-deps: /usr/bin/chromium not found: run scripts/deps.sh (Debian package chromium)" >&2
        exit 1
    }
    npm_packages browser-deps "$top/t/browser" "$top/build/browser"
    # playwright-core loads
    node -e 'require(process.argv[1])' "$top/build/browser/node_modules/playwright-core" ||
        { echo "browser-deps: playwright-core does not load" >&2; exit 1; }
}

openapi_packages() {
    npm_packages openapi-deps "$top/tests/openapi" "$top/build/openapi"
}

case ${1:-} in
    "") debian_packages ;;
    --browser) debian_packages; browser_packages; openapi_packages ;;
    --openapi) debian_packages; openapi_packages ;;
    --deb) deb_packages ;;
    *) echo "deps: unknown argument '$1' (expected nothing, --browser, --openapi or --deb)" >&2; exit 2 ;;
esac
