#!/bin/sh
# Installs what the browser test (t/browser.t) needs besides Debian's
# packages: playwright-core, exactly as pinned in t/browser/package-lock.json
# (`npm ci`), into build/browser/node_modules. The browser is Debian's
# chromium (/usr/bin/chromium) and node/npm are Debian's nodejs and npm, all
# installed by scripts/deps.sh; playwright-core downloads no browser.
#
#   scripts/browser-deps.sh          (make test runs it)
#
# Does nothing (quickly) when that lock is already installed, so it can run
# every time. Fails, saying why, when node, npm or chromium are missing or
# the npm registry cannot be reached. Runs of it at the same time (two
# `make test` in one tree) take turns (flock), and an install is renamed into
# place only once complete.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
src=$top/t/browser
dest=$top/build/browser
stamp=$dest/.installed-lock   # the package-lock.json that was installed

say() { printf 'browser-deps: %s\n' "$*"; }
die() { printf 'browser-deps: %s\n' "$*" >&2; exit 1; }

# installed: the pinned lock is what build/browser holds.
installed() {
    [ -f "$stamp" ] && cmp -s "$stamp" "$src/package-lock.json" &&
        [ -f "$dest/node_modules/playwright-core/package.json" ]
}

[ -f "$src/package.json" ] && [ -f "$src/package-lock.json" ] ||
    die "$src/package.json or package-lock.json is missing"
installed && exit 0

command -v node >/dev/null ||
    die "node not found: run scripts/deps.sh (Debian package nodejs)"
command -v npm >/dev/null ||
    die "npm not found: run scripts/deps.sh (Debian package npm)"
[ -x /usr/bin/chromium ] ||
    die "/usr/bin/chromium not found: run scripts/deps.sh (Debian package chromium)"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 18 ] ||
    die "node $(node --version) is too old: playwright-core needs 18 or later"

mkdir -p "$top/build"
exec 9>"$top/build/.browser-deps.lock"
flock 9
installed && exit 0            # another run installed it while we waited

tmp=$(mktemp -d "$top/build/browser.new.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$src/package.json" "$src/package-lock.json" "$tmp/"
say "installing playwright-core from $src/package-lock.json into $dest"
# --prefer-offline: from npm's cache when it holds that version (`make
# clean` removes build/, so make test reinstalls; the lock's integrity hash
# is checked either way). Few, short retries: an unreachable registry fails
# in about a minute, not after npm's default backoff. --ignore-scripts:
# nothing to build, and no package's install script runs as root here.
if ! (cd "$tmp" && npm ci --prefer-offline --ignore-scripts --no-audit --no-fund \
        --fetch-retries=1 --fetch-retry-mintimeout=2000 \
        --fetch-retry-maxtimeout=10000 --fetch-timeout=60000 \
        --loglevel=error); then
    die "npm ci failed: is the npm registry reachable? (npm config get registry: $(npm config get registry 2>/dev/null || echo '?'))"
fi
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
    die "the installed playwright-core is not the pinned one, or does not load"
cp "$src/package-lock.json" "$tmp/.installed-lock"
# The tests run as another user (nobody when root runs them).
chmod -R a+rX "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
say "playwright-core $(node -p "require('$dest/node_modules/playwright-core/package.json').version") installed"
