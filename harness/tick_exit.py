"""A child ending during a watchdog tick: faults tick-stop and tick-graceful
of harness.reliability (SQLite, full run).

mod_watchdog stops its thread only after the child's pool is destroyed,
and mod_dbd's pools of connections are subpools of it. A child that ended
while its watchdog tick had a connection out (waiting in the sqlite3
driver's busy loop) destroyed the pool under the tick: apr_reslist asserted
`rl->ntotal == 0` and the child dumped core. Fixed in 48a73f8
(src/server/watchdog.c): a pre-cleanup of the child's pool ends the tick
after its current statement and waits for it.

Each fault has its own SQLite database and its own httpd (the faults'
MPM and pool, CharonWatchdogInterval 1, CoreDumpDirectory, core files
allowed), a cron with max_runtime 1 and three runs long overdue:

  1. the watchdog marks them lost: ticks run and write (if none does
     within 10 s the fault fails: it would prove nothing);
  2. the sqlite3 CLI holds BEGIN EXCLUSIVE (as locked-writer does) and,
     under the lock, makes the runs overdue again: each tick's lost-run
     update waits in the driver's busy loop (16 tries 100 ms apart), and
     the module tries it a second time when it fails;
  3. once error_log shows a tick meeting the lock (CHARON105 on WD_LOSE),
     0.5 s later, inside the second try: apache2 -k stop (tick-stop) or
     apache2 -k graceful (tick-graceful);
  4. checks: no core file; in error_log no "Assertion", no "exit signal"
     (AH00051/AH00052: a child killed by a signal), no child SIGKILLed
     (AH00046); tick-stop: httpd gone within CHARON_REL_TICK_STOP_BOUND
     seconds (8); tick-graceful: the old generation gone within that bound,
     and the same parent still answering.
"""

import os
import re
import resource
import shutil
import time

from . import db, faults, ledger, proc
from .proc import Failure

FAULTS = ("tick-stop", "tick-graceful")

say = proc.say_as("reliability")

# A tick meeting the lock: the first try of its lost-run update failed.
MET_LOCK = re.compile(r"\[pid (\d+):tid \d+\] CHARON10[59]: .*WD_LOSE.*"
                      r"database is locked")
OVERDUE = ("INSERT INTO charon_cron (slug, name, max_runtime) "
           "VALUES ('tick', 'A child ending during a tick', 1);\n"
           "INSERT INTO charon_execution (cron_id, started_at, api_key, "
           "remote_addr) SELECT c.id, '2000-01-01 00:00:00.000', 'tick', "
           "'127.0.0.1' FROM charon_cron c, (SELECT 1 UNION ALL SELECT 2 "
           "UNION ALL SELECT 3);\n")
AGAIN = "UPDATE charon_execution SET lost_at = NULL;\n"


def run(rel):
    for name in FAULTS:
        if rel.want(name):
            TickExit(rel, name).run()


def wait_for(fn, seconds):
    """fn()'s first true value within seconds (polled), else None."""
    end = time.monotonic() + seconds
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(0.1)


class TickExit:

    def __init__(self, rel, name):
        self.rel, self.name = rel, name
        self.dir = os.path.join(rel.work, name)
        self.doc = ledger.empty_result(name, "sqlite")
        self.doc["run"] = {"requests": 0, "by_status": {}}
        self.db = self.httpd = self.session = None

    def run(self):
        say("---- sqlite: " + self.name)
        try:
            self.setup()
            self.provoke()
        except Failure as e:
            self.doc["failures"].append(str(e))
        finally:
            self.teardown()
        self.rel.add(self.rel.result_path("sqlite", self.name), self.doc)
        say("sqlite %s: %s" % (self.name,
                               "pass" if ledger.passed(self.doc) else "FAIL"))

    def setup(self):
        rel = self.rel
        self.db = db.SQLite(os.path.join(self.dir, "db", "charon.sqlite"),
                            rel.user)
        self.db.start()
        self.db.load(self.db.schema(rel.top))
        self.db.query(OVERDUE)
        self.cores = os.path.join(self.dir, "cores")
        os.makedirs(self.cores)
        if rel.user:
            proc.chown_tree(self.cores, rel.user)
        self.httpd = faults.make_httpd(
            rel, os.path.join(self.dir, "httpd"), self.db.driver,
            self.db.dbd_params, extra="CharonWatchdogInterval 1\n"
            'CoreDumpDirectory "%s"\n\n' % self.cores)
        faults.write_keys(self.httpd, ())
        # httpd's children inherit the limit; CoreDumpDirectory makes them
        # dumpable again after they changed user.
        soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (hard, hard))
        try:
            self.httpd.start()
        finally:
            resource.setrlimit(resource.RLIMIT_CORE, (soft, hard))
        if hard == 0:
            self.doc["notes"].append("core files are off here (RLIMIT_CORE "
                                     "0): the error_log checks remain")

    def provoke(self):
        h, bound = self.httpd, self.rel.tick_bound
        if not wait_for(lambda: self.db.value(
                "SELECT count(*) FROM charon_execution WHERE lost_at IS NULL")
                == "0", 10):
            raise Failure("no watchdog tick marked the overdue runs lost "
                          "within 10 s: the fault would prove nothing")
        off = h.log_size()
        out = os.path.join(self.dir, "lock.out")
        self.session = faults.hold_lock(self.db, 60, out, inside=AGAIN)
        if "locked" not in proc.read_text(out):
            raise Failure("the lock was never taken: " + proc.read_text(out)[:300])
        met = wait_for(lambda: MET_LOCK.search(h.log_since(off)), 10)
        if not met:
            raise Failure("no watchdog tick met the lock within 10 s "
                          "(CHARON105 on WD_LOSE in error_log)")
        time.sleep(0.5)
        master, old = h.pid(), h.children()
        t0 = proc.now()
        if self.name == "tick-stop":
            h.ctl("stop", check=False)
            ended = proc.wait_pid(master, bound)
            what = "httpd stopped"
        else:
            h.graceful()
            ended = all(proc.wait_pid(k, max(0, t0 + bound - proc.now()))
                        for k in old)
            what = "the old generation ended"
        took = proc.now() - t0
        if not ended:
            self.doc["failures"].append("%s: not within %g s" % (what, bound))
        self.doc["notes"].append(
            "%s in %.2f s, 0.5 s after the tick of child %s met the lock"
            % (what, took, met.group(1)))
        time.sleep(0.2)
        self.check(h.log_since(off))
        if self.name == "tick-graceful":
            status = h.request("GET", h.base + "x/can-start")[0]
            if h.pid() != master or status != 401:
                self.doc["failures"].append(
                    "after the graceful restart: parent %s (was %s), "
                    "x/can-start answered %s" % (h.pid(), master, status))

    def check(self, log):
        """No crash in the log, no core file."""
        crash = [l for l in log.splitlines()
                 if faults.CRASH.search(l) or "AH00046" in l][:5]
        if crash:
            self.doc["failures"].append("a child crashed: " + "\n".join(crash))
        cores = sorted(n for n in os.listdir(self.cores) if n.startswith("core"))
        if cores:
            self.doc["failures"].append("core files: " + ", ".join(cores))

    def teardown(self):
        if self.session:
            proc.finish(self.session, 0)
        if self.httpd:
            self.httpd.stop()
            if os.path.exists(self.httpd.error_log):
                shutil.copy(self.httpd.error_log, os.path.join(
                    self.rel.logdir, "sqlite-%s-error_log" % self.name))
        if self.db:
            self.db.stop()
