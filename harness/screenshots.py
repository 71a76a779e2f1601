"""The README's pictures of the manager page, taken of the demo.

    python3 -m harness.screenshots [--out DIR]        (make screenshots)

Creates a fresh demo database (harness/demo.py, the one `make run` serves:
five crons with schedules and days of history) in a temporary directory,
starts an httpd with the module on 127.0.0.1 (the API, the manager page
behind Basic auth with a throwaway password, metrics and health, where
scripts/run.sh puts them), waits until the watchdog has judged heartbeat's
first slot missed, then has headless Chromium (t/browser/screenshots.mjs)
take, at 1280 px wide:

  manager-list.png           the list: every schedule's state, heartbeat
                             missed, weekly-report off
  manager-cron-schedule.png  nightly-backup: its schedule, its next five
                             slots in Europe/Paris and UTC, ten nights of
                             runs with a too-short one and a failure
  manager-cron-off.png       weekly-report, switched off with a reason,
                             its slots not judged meanwhile

They replace those in docs/screenshots/ (or DIR) only when every one was
taken: the script checks that each page shows what its caption says.
httpd is stopped and the directory removed at the end, also on failure.
Needs the module built (make) and playwright-core (scripts/deps.sh
--browser). About two minutes, most of it waiting for heartbeat's slot.
"""

import argparse
import base64
import os
import re
import shutil
import subprocess
import sys
import time

from . import demo, httpd, proc
from .proc import Failure

say = proc.say_as("screenshots")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PICTURES = ("manager-list.png", "manager-cron-schedule.png",
            "manager-cron-off.png")
MOUNT = "/charon-manager"
USER = "operator"
# Slots are judged at the first tick 10 s or more after their deadline:
# with ticks this close, heartbeat's misses show within seconds of that.
INTERVAL = "2s"
# heartbeat (@every 1m, grace 30 s): at worst a minute to its first slot
# after the watchdog takes it in, 30 s of grace, 10 s more, the tick; and
# a loaded machine.
MISSED_TIMEOUT = 180
BROWSER_TIMEOUT = 200      # t/browser/screenshots.mjs stops itself at 150 s


def manager_locations(htpasswd):
    """The locations of scripts/run.sh besides the API's."""
    return """
<Location "%s">
    SetHandler charon-manager
    AuthType Basic
    AuthName "Charon manager (make screenshots)"
    AuthBasicProvider file
    AuthUserFile "%s"
    Require user %s
</Location>
<Location "/charon-metrics">
    SetHandler charon-metrics
    Require all granted
</Location>
<Location "/charon-health">
    SetHandler charon-health
    Require all granted
</Location>
""" % (MOUNT, htpasswd, USER)


def sched_state(html, slug):
    """The schedule state shown in the list's row of slug, or None."""
    row = re.search(r'<tr[^>]*\bdata-slug="%s".*?</tr>' % re.escape(slug),
                    html, re.S)
    state = row and re.search(r'data-sched-state="([a-z-]+)"', row.group(0))
    return state.group(1) if state else None


def wait_for_missed(h, auth):
    """Until the list shows heartbeat's state missed: the watchdog has
    judged its first slot. Polls the page, as the browser will see it."""
    say("waiting for the watchdog to judge heartbeat's first slot missed "
        "(up to %d s)" % MISSED_TIMEOUT)
    t0 = proc.now()
    last = None
    while proc.now() - t0 < MISSED_TIMEOUT:
        status, body = h.request("GET", MOUNT, {"Authorization": auth},
                                 timeout=10)
        if status != 200:
            raise Failure("GET %s answered %s: %s" % (
                MOUNT, status, body[:300] if isinstance(body, bytes) else body))
        state = sched_state(body.decode(errors="replace"), "heartbeat")
        if state != last:
            say("heartbeat: %s after %s s" % (state, proc.elapsed(t0, 0)))
            last = state
        if state == "missed":
            return
        time.sleep(1)
    raise Failure("heartbeat was not shown missed within %d s (last state: "
                  "%s)" % (MISSED_TIMEOUT, last))


def browser_prerequisites(pw_dir, chromium):
    missing = []
    if not shutil.which("node"):
        missing.append("node (scripts/deps.sh)")
    if not os.access(chromium, os.X_OK):
        missing.append("%s (scripts/deps.sh)" % chromium)
    if not os.path.isfile(os.path.join(pw_dir, "node_modules",
                                       "playwright-core", "package.json")):
        missing.append("playwright-core in %s (scripts/deps.sh --browser)"
                       % pw_dir)
    if not shutil.which("htpasswd"):
        missing.append("htpasswd (Debian package apache2-utils)")
    if missing:
        raise Failure("missing: " + "; ".join(missing))


def main(argv):
    p = argparse.ArgumentParser(prog="python3 -m harness.screenshots",
                                description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(TOP, "docs", "screenshots"),
                   help="where the pictures go (default docs/screenshots)")
    out = os.path.abspath(p.parse_args(argv).out)
    pw_dir = os.path.join(TOP, "build", "browser")
    chromium = "/usr/bin/chromium"
    browser_prerequisites(pw_dir, chromium)

    # The children (www-data when we are root) open the database: its
    # directory is theirs, the rest is readable.
    work = proc.temp_dir("screenshots", mode=0o755)
    module = httpd.copy_module(TOP, work)
    dbdir = os.path.join(work, "db")
    os.makedirs(dbdir)
    db = os.path.join(dbdir, "charon.db")
    demo.create(db)
    if proc.is_root():
        proc.chown_tree(dbdir, "www-data")
    say("demo database %s" % db)

    password = proc.random_password()
    htpasswd = os.path.join(work, "manager.htpasswd")
    proc.run(["htpasswd", "-ciB", htpasswd, USER], input=password + "\n",
             quiet=True)
    os.chmod(htpasswd, 0o644)
    auth = "Basic " + base64.b64encode(
        ("%s:%s" % (USER, password)).encode()).decode()

    body = (httpd.event_mpm(1, 25)
            + httpd.dbd("sqlite3", db, keep=2, max=25, exptime=300)
            + "CharonWatchdogInterval %s\nCharonDefaultTimezone UTC\n\n"
            % INTERVAL
            + httpd.api_location([("demo", proc.random_password(16))])
            + manager_locations(htpasswd))
    h = httpd.Httpd(os.path.join(work, "httpd"), module, body,
                    modules=("authz_core", "authz_user", "authn_core",
                             "authn_file", "auth_basic", "dbd"),
                    writer="harness/screenshots.py")
    h.start()
    say("httpd on 127.0.0.1:%d" % h.port)
    try:
        wait_for_missed(h, auth)
        shots = os.path.join(work, "shots")
        env = dict(os.environ,
                   CHARON_BASE_URL="http://127.0.0.1:%d" % h.port,
                   CHARON_MANAGER_PATH=MOUNT, CHARON_MANAGER_USER=USER,
                   CHARON_MANAGER_PASS=password, CHARON_SCREENSHOT_DIR=shots,
                   CHARON_PLAYWRIGHT_DIR=pw_dir, CHARON_CHROMIUM=chromium)
        t0 = proc.now()
        node = proc.spawn(["node", os.path.join(TOP, "t", "browser",
                                                "screenshots.mjs")],
                          stdin=subprocess.DEVNULL, env=env, cwd=TOP)
        rc = proc.finish(node, BROWSER_TIMEOUT)
        if rc != 0:
            raise Failure("t/browser/screenshots.mjs exited %d%s" % (
                rc, " (stopped after %d s)" % BROWSER_TIMEOUT
                if proc.now() - t0 >= BROWSER_TIMEOUT else ""))
        small = [f for f in PICTURES
                 if not os.path.isfile(os.path.join(shots, f))
                 or os.path.getsize(os.path.join(shots, f)) < 1000]
        if small:
            raise Failure("missing or empty: %s" % ", ".join(small))
    except Failure as e:
        raise Failure("%s\nhttpd's error_log:\n%s" % (
            e, proc.file_tail(h.error_log, 20) or "(empty)")) from None
    finally:
        h.stop()

    os.makedirs(out, exist_ok=True)
    for f in PICTURES:
        shutil.copy(os.path.join(shots, f), os.path.join(out, f))
        say("wrote %s" % os.path.join(out, f))
    return 0


if __name__ == "__main__":
    proc.main("screenshots", lambda: main(sys.argv[1:]))
