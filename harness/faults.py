"""The faults of harness.reliability, each under the load client.

Each fault function takes the run (reliability.Reliability) and the
database under test with its httpd (reliability.Site), does nothing when
the run does not want it (--only), and records one result (or two, for
graceful and its checker self-test). ``Fault`` is the bookkeeping they
share: the result file, the marks the load client reads (when the fault
began, when the database was back), the load client as a process of its
own, and the checks after it: the database against what was acknowledged
(harness.ledger), no crash in error_log, the same httpd parent.
"""

import argparse
import os
import re
import subprocess
import sys
import time

from . import httpd, ledger, load, proc
from .proc import Usage

say = proc.say_as("reliability")

def parse_args(argv, prog, doc, what, metavar, choices, known, module):
    """The command line of a fault harness (reliability, scale): what
    (METAVAR...) among choices (default: all), --quick, --only F1,F2
    among known, --module SO."""
    p = argparse.ArgumentParser(
        prog=prog, description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(what, nargs="*", metavar=metavar,
                   help="%s (default: all)" % ", ".join(choices))
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", metavar="F1,F2")
    p.add_argument("--module", default=module)
    a = p.parse_args(argv)
    for x in getattr(a, what):
        if x not in choices:
            p.error("unknown %s %r (%s)" % (metavar.lower(), x,
                                            ", ".join(choices)))
    unknown = set(a.only.split(",")) - set(known) if a.only else ()
    if unknown:
        p.error("unknown fault %s (known: %s)" % (", ".join(sorted(unknown)),
                                                  ", ".join(known)))
    return a


def env_seconds(name, default):
    """A number of seconds from the environment, or default."""
    v = os.environ.get(name, default)
    try:
        return float(v)
    except ValueError:
        raise Usage("%s must be a number of seconds, not %r" % (name, v)) from None


def report_abort(prog, run):
    """The last lines of a run of prog that did not finish, after
    everything it started was stopped: the abort counts as one failure.
    run has .finished, .counts() and .logdir."""
    if not run.finished:
        passed, failed = run.counts()
        print("%s: aborted; see %s" % (prog, run.logdir))
        print("%s: %d passed, %d failed" % (prog, passed, failed + 1))


def check_server(module):
    """httpd and the module built, said before anything starts."""
    if not os.access(httpd.HTTPD, os.X_OK):
        raise Usage("%s not found (apt-get install apache2)" % httpd.HTTPD)
    if not os.path.isfile(module):
        raise Usage("%s is missing: run make first" % module)


# A crash of a child, as httpd's error_log tells it (AH00051/AH00052 say
# "exit signal"; an assertion's message goes to the child's stderr).
CRASH = re.compile(r"exit signal|[Ss]egmentation|seg fault|core dump|double free"
                   r"|corrupted|AH00060|Assertion")

# How each database's lock session takes and holds its lock: client
# arguments, database, statements (inside: more statements under the lock).
LOCKS = {
    "pgsql": (["-At"], None,
              "BEGIN;\nLOCK TABLE charon_execution IN ACCESS EXCLUSIVE MODE;\n"
              "{inside}SELECT 'locked';\nSELECT pg_sleep({s});\nCOMMIT;\n"),
    "mysql": (["-N", "-B"], "charon",
              "LOCK TABLES charon_execution WRITE;\n"
              "{inside}SELECT 'locked';\nSELECT SLEEP({s});\nUNLOCK TABLES;\n"),
    "sqlite": ([], None,
               "BEGIN EXCLUSIVE;\n{inside}SELECT 'locked';\n.shell sleep {s}\n"
               "COMMIT;\n"),
}


def hold_lock(database, seconds, out, inside=""):
    """In the background, another session holds an exclusive lock on
    charon_execution (SQLite: the whole file) for seconds; its output goes
    to the file out, "locked" once it has the lock, which this waits for
    (5 s at most). Returns the session (proc.finish waits for it)."""
    args, name, sql = LOCKS[database.kind]
    with open(out, "w") as f:
        p = database.session(args, f, name)
    p.stdin.write(sql.format(inside=inside, s="%g" % seconds).encode())
    p.stdin.close()
    end = time.monotonic() + 5
    while "locked" not in proc.read_text(out) and time.monotonic() < end:
        time.sleep(0.05)
    return p


def access_pids(site, offset, method="POST"):
    """The processes (%P) that answered requests of that method in the
    access_log (make_httpd's log_format) from byte offset on."""
    path = os.path.join(site.httpd.root, "access_log")
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
    except OSError:
        return set()
    pids = set()
    for line in text.splitlines():
        w = line.split()
        if len(w) >= 3 and w[2] == method:
            pids.add(w[-1].split("/")[0])
    return pids


def make_httpd(rel, root, driver, params, log_format=False, extra=""):
    """An httpd for the faults: rel's MPM and pool sizes, the API with an
    Include of keys.conf (write_keys), warnings and the module's debug
    lines in error_log; log_format: an access_log that says, for matching
    the client's view, which connection each answer went to and whether it
    was kept open (%X: + kept alive, - closed, X aborted)."""
    body = ""
    if log_format:
        body = ('LogFormat "%%{%%H:%%M:%%S}t.%%{msec_frac}t %%a:%%{remote}p %%m '
                '%%U %%>s %%X %%k %%D %%P/%%{tid}P" rel\n'
                'CustomLog "%s/access_log" rel\n\n' % root)
    # ServerLimit leaves room for the processes of the old generation
    # during a graceful restart.
    body += (httpd.event_mpm(rel.PROCS, rel.THREADS, server_limit=rel.PROCS * 2,
                             max_keepalive_requests=1000)
             + extra
             + httpd.dbd(driver, params, keep=4, max=rel.DBDMAX, exptime=60)
             + httpd.api_location(include=os.path.join(root, "keys.conf"))
             + httpd.METRICS_LOCATION)
    h = httpd.Httpd(root, rel.module, body, user=rel.user,
                    log_level="warn mpm_event:trace1 charon:debug",
                    writer="harness/reliability.py")
    h.write()
    return h


def write_keys(h, names):
    """A random key for each name (the key's name: load-NAME), in the
    httpd's keys.conf; returns {name: key}."""
    keys = {n: proc.random_password(16) for n in names}
    with open(os.path.join(h.root, "keys.conf"), "w") as f:
        f.writelines('    CharonApiKey load-%s "%s"\n' % kv for kv in keys.items())
    return keys


class Fault:
    """One fault: its result, marks, load client and checks."""

    def __init__(self, rel, site, name):
        self.rel, self.site, self.name = rel, site, name
        self.kind = site.kind
        self.out = rel.result_path(self.kind, name)
        self.marks = os.path.join(rel.work, "%s-%s.marks" % (self.kind, name))
        open(self.marks, "w").close()
        self.log_off = site.httpd.log_size()
        self.master = site.httpd.pid()
        self.load = self.doc = None
        say("---- %s: %s" % (self.kind, name))

    def mark(self, name):
        with open(self.marks, "a") as f:
            f.write("%s %.6f\n" % (name, time.time()))

    def spawn_load(self, key, out, scenario, *args):
        """The load client (python3 -m harness.load run) in the background
        with the key of that name, writing its result to out; returns
        (process, file of its output)."""
        site = self.site
        argv = [sys.executable, "-m", "harness.load", "run",
                "--base", site.httpd.base, "--key", site.keys[key],
                "--key-name", "load-" + key, "--crons", site.crons,
                "--out", out, "--scenario", scenario, "--db-label", self.kind]
        text = os.path.join(self.rel.work, "%s-%s.load.out" % (self.kind, scenario))
        with open(text, "w") as f:
            p = proc.spawn(argv + ["%g" % a if isinstance(a, (int, float)) else a
                                   for a in args],
                           stdout=f, stderr=subprocess.STDOUT, cwd=self.rel.top)
        return p, text

    def load_bg(self, *args):
        """This fault's load; args add to or override the defaults."""
        rel = self.rel
        self.load = self.spawn_load(
            self.name, self.out, self.name, "--marks", self.marks,
            "--max-latency", rel.max_lat, "--late-grace", rel.late_grace,
            *ledger.db_args(self.site.db) + list(args))

    def wait_load(self, p, text, out):
        """Wait for a load client, show what it said; its result, verified
        against the database."""
        rc = proc.finish(p)
        sys.stdout.write(proc.read_text(text))
        sys.stdout.flush()
        try:
            doc = ledger.read_json(out)
        except (OSError, ValueError):
            return ledger.empty_result(self.name, self.kind, [
                "the load client wrote no result (exit %s)" % rc])
        ledger.verify_result(doc, self.site.store())
        return doc

    def end(self):
        """Wait for the load, verify, check httpd; record the result."""
        self.doc = self.wait_load(*self.load, self.out)
        self.checks()

    def checks(self):
        """httpd still the same process, no crash in its log."""
        h = self.site.httpd
        lines = h.log_since(self.log_off).splitlines()
        crash = [l for l in lines if CRASH.search(l)][:5]
        if crash:
            self.doc["failures"].append("httpd crashed: " + "\n".join(crash))
        if any("AH00485" in l for l in lines):
            self.doc["notes"].append("scoreboard full (AH00485): httpd ran "
                                     "out of workers")
        now = h.pid()
        if not now or not proc.alive(now):
            self.doc["failures"].append("httpd is gone")
        elif self.master and now != self.master:
            self.doc["failures"].append("httpd's parent changed (%s -> %s)"
                                        % (self.master, now))
        ledger.annotate(self.doc, extra={
            "log_lines": sum(1 for l in lines if "charon" in l)})
        self.rel.add(self.out, self.doc)

    def fail(self, text):
        self.doc["failures"].append(text)
        ledger.write_json(self.out, self.doc)

    def note(self, text):
        self.doc["notes"].append(text)
        ledger.write_json(self.out, self.doc)

    def verdict(self):
        say("%s %s: %s" % (self.kind, self.name,
                           "pass" if ledger.passed(self.doc) else "FAIL"))


# ----------------------------------------------------------------- faults ---

def down_at_start(rel, site):
    """The database is down when httpd starts, and back 6 s later."""
    site.db.down()
    site.start_httpd()
    f = Fault(rel, site, "down-at-start")
    f.load_bg("--duration", 16, "--expect-503", "--recover-mark", "db_back")
    time.sleep(6)
    site.db.up()
    f.mark("db_back")
    f.end()
    f.verdict()


def fast_restart(rel, site):
    if not rel.want("fast-restart"):
        return
    f = Fault(rel, site, "fast-restart")
    f.load_bg("--duration", rel.t_short, "--recover-mark", "db_back")
    time.sleep(4)
    f.mark("fault")
    site.db.restart()
    f.mark("db_back")
    f.end()
    f.verdict()


def crash(rel, site):
    """Killed under load (PostgreSQL immediate shutdown, MariaDB
    SIGKILL), down 5 s."""
    if not rel.want("crash-5s"):
        return
    f = Fault(rel, site, "crash-5s")
    f.load_bg("--duration", 18, "--expect-503", "--recover-mark", "db_back")
    time.sleep(4)
    site.db.kill()
    f.mark("db_down")
    time.sleep(5)
    site.db.up()
    f.mark("db_back")
    f.end()
    f.verdict()


def lock(rel, site, name, conns, hold, bound):
    """Another session locks charon_execution for hold seconds while conns
    clients run; no request may take longer than bound."""
    if not rel.want(name):
        return
    f = Fault(rel, site, name)
    extra = ["--sample-db-conns"]
    if site.kind != "sqlite":
        extra += ["--max-db-conns", rel.POOL_TOTAL]
    f.load_bg("--duration", hold + 10, "--connections", conns, "--expect-503",
              "--recover-mark", "db_back", "--max-latency", bound, *extra)
    time.sleep(3)
    out = os.path.join(rel.work, "lock.out")
    session = hold_lock(site.db, hold, out)
    f.mark("locked")
    busy = site.httpd.sqlite_busy() if site.kind == "sqlite" else None
    rc = proc.finish(session)
    f.mark("db_back")
    taken = "locked" in proc.read_text(out)
    f.end()
    if not taken:
        f.fail("the lock was never taken: " + proc.read_text(out)[:300])
    elif rc != 0:
        f.note("the lock session exited %s: %s"
               % (rc, proc.read_text(out)[:300].replace("\n", " ")))
    if busy is not None:
        # The counter writers-queue relies on: the sqlite3 shell's lock
        # is met, and counted.
        after = site.httpd.sqlite_busy()
        if after is None or after <= busy:
            f.fail("charon_sqlite_busy_total did not count the writers "
                   "that met the sqlite3 shell's lock (%s -> %s)"
                   % (busy, after))
        else:
            f.note("charon_sqlite_busy_total %d -> %d" % (busy, after))
    f.verdict()


def writers_queue(rel, site):
    """SQLite: the load's writers in both children at once, nothing else
    near the file.  Each write unit holds the file's global mutex
    (src/db/sqlite_writers.c), so no statement may meet the lock:
    charon_sqlite_busy_total does not move.  The locked-writer fault after
    it shows the counter does count when another writer holds the file."""
    if site.kind != "sqlite" or not rel.want("writers-queue"):
        return
    f = Fault(rel, site, "writers-queue")
    access = os.path.join(site.httpd.root, "access_log")
    at = os.path.getsize(access) if os.path.exists(access) else 0
    before = site.httpd.sqlite_busy()
    f.load_bg("--duration", 6, "--connections", 60)
    f.end()
    after = site.httpd.sqlite_busy()
    pids = access_pids(site, at)
    if before is None or after is None:
        f.fail("no charon_sqlite_busy_total in /charon-metrics")
    elif after != before:
        f.fail("SQLite's writers met the lock %d times: they must queue"
               % (after - before))
    if len(pids) < 2:
        f.fail("the writes were answered by %d process(es): the queue "
               "between children was not exercised" % len(pids))
    f.note("writes answered by %d processes; charon_sqlite_busy_total "
           "%s -> %s" % (len(pids), before, after))
    f.verdict()


def frozen(rel, site):
    """The database server stopped (SIGSTOP) under 30 clients. A statement
    in flight then waits for the server to resume: neither the server's
    statement timeout nor apr_dbd can end it (the drivers have no
    client-side query timeout). What the module can and must bound is
    everything else: at most DBDMax requests per process stay stuck (one
    per pooled connection), every other one gets 503 within the wait for a
    connection, and no connection piles up."""
    if not rel.want("frozen"):
        return
    f = Fault(rel, site, "frozen")
    f.load_bg("--duration", rel.frozen_s + 10, "--connections", 30,
              "--expect-503", "--recover-mark", "db_back",
              "--max-latency", rel.max_lat_pool, "--max-slow", rel.POOL_TOTAL)
    time.sleep(3)
    site.db.freeze()
    f.mark("frozen")
    time.sleep(rel.frozen_s)
    site.db.thaw()
    f.mark("db_back")
    f.end()
    f.verdict()


def graceful(rel, site):
    """Two graceful restarts under load; then the checker's self-test on
    the rows they left."""
    if not (rel.want("graceful") or rel.want("checker-self-test")):
        return
    f = Fault(rel, site, "graceful")
    f.load_bg("--duration", 16)
    time.sleep(4)
    site.httpd.graceful()
    f.mark("graceful1")
    time.sleep(6)
    site.httpd.graceful()
    f.mark("graceful2")
    f.end()
    # No 503 either: the database was fine all along.
    n = f.doc.get("run", {}).get("by_status", {}).get("503", 0)
    if n:
        f.fail("%d answers were 503 during a graceful restart" % n)
    f.verdict()
    # The loss checker must see damage done on purpose to these rows.
    name = "checker-self-test"
    say("---- %s: %s" % (site.kind, name))
    path = rel.result_path(site.kind, name)
    doc = ledger.selfcheck(f.doc, site.store(), site.kind)
    rel.add(path, doc)
    say("%s %s: %s" % (site.kind, name, "pass" if ledger.passed(doc) else "FAIL"))


def midbody(rel, site):
    """Clients leave in the middle of a body while a load with its own key
    runs alongside, so that the aborts meet busy workers."""
    if not rel.want("midbody"):
        return
    f = Fault(rel, site, "midbody")
    bg_out = os.path.join(rel.work, "bg-%s-midbody.json" % site.kind)
    bg = f.spawn_load("midbody-bg", bg_out, "midbody-bg", "--duration", 8,
                      "--connections", 8, "--max-latency", rel.max_lat)
    f.doc = load.midbody(site.httpd.base, site.keys["midbody"], "load-midbody",
                         int(site.crons.split(":")[0]), site.store(), site.kind)
    b = f.wait_load(*bg, bg_out)
    f.doc["failures"] += ["load alongside: " + x for x in b["failures"]]
    f.doc["notes"].append("load alongside: %d requests %s" % (
        b["run"].get("requests", 0), b["run"].get("by_status", {})))
    f.checks()
    f.verdict()
