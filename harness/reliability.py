"""Fault injection under load: proves that mod_charon loses nothing it
acknowledged, never crashes, answers 503 in bounded time while the
database is away, slow or out of connections, and recovers by itself.

  python3 -m harness.reliability [--quick] [pgsql] [mysql] [sqlite]
                                 [--only F1,F2] [--module SO]

  (default)  every fault on every database, about 7 minutes
  --quick    one fault per database (PostgreSQL fast restart, MariaDB
             stop/start, SQLite locked writer, after its writers' queue),
             under 2 minutes
  --only     run only the named faults (see the list below)
  --module   test this build of mod_charon.so instead of .libs/'s

For each database it starts a throwaway server (harness.db) and its own
httpd (harness.httpd: event MPM, 2 processes x 32 threads, DBDMin 1,
DBDKeep 4, DBDMax 8) on 127.0.0.1, then for each fault runs the load client
(harness.load) while injecting the fault, and afterwards checks the
database (harness.ledger): everything acknowledged with a 200 is there with
exactly the acknowledged content, nothing ended twice or half, nothing
stored twice. It also checks httpd's error_log for crashes, and that the
same httpd (no restart) is still serving.

Faults (name: what happens; harness.faults, harness.tick_exit):
  down-at-start   the database is down when httpd starts, comes up 6 s
                  later: 503 with Retry-After in bounded time, then 200s
                  without restarting httpd
  fast-restart    pg_ctl restart -m fast / MariaDB shutdown + start, under load
  crash-5s        the database is killed under load (PostgreSQL immediate
                  shutdown, MariaDB SIGKILL), stays down 5 s, comes back
  slow-lock       another session holds an exclusive lock on
                  charon_execution for 12 s, 8 clients: 503 within one
                  statement timeout, no pile-up of database connections
  pool-exhausted  the same lock for 15 s with 30 clients: more than DBDMax
                  x processes (16), fewer than the threads of one process (32)
  frozen          the database server is stopped (SIGSTOP) for 12 s under
                  30 clients: at most DBDMax requests per process (those
                  with a statement in flight) may wait for it; all others
                  get 503 within the bound, no connection piles up
  writers-queue   SQLite: 60 clients for 6 s, answered by both children,
                  nothing else near the file: every write queues on the
                  file's mutex, charon_sqlite_busy_total does not move
  locked-writer   SQLite: the sqlite3 CLI holds BEGIN EXCLUSIVE for 8 s:
                  writes get 503 (not 500), reads go on, and
                  charon_sqlite_busy_total counts the writers that met it
  graceful        apache2 -k graceful twice under load: no 5xx, no
                  connection error but the keep-alive race (a kept-alive
                  connection closed as a request goes out; the client
                  retries it, and the check shows it had not been done)
  checker-self-test  4 rows of the graceful fault are damaged on purpose:
                  the loss checker must report exactly those
  midbody         clients send headers with Content-Length 1000 (or a
                  chunked body) and 10 bytes, then close or reset, while
                  a load runs: nothing written, no crash
  tick-stop       SQLite, own httpd: a child ends (apache2 -k stop) while
                  its watchdog tick waits for a lock inside a statement:
                  no assertion, no core, httpd gone in bounded time
  tick-graceful   the same with apache2 -k graceful: the old generation
                  ends cleanly, the same parent goes on serving

Bounds (environment, seconds): CHARON_REL_STMT_TIMEOUT (5) and
CHARON_REL_GATE_WAIT (5) are the module's statement timeout and its wait
for a pooled connection; no request may take longer than
CHARON_REL_MAX_LATENCY (statement timeout + 1), or, with the pool
exhausted, CHARON_REL_MAX_LATENCY_POOL (both + 1).  CHARON_REL_LATE_GRACE
(5): a 503 to a request sent this long after the database is back is a
failure.  CHARON_REL_LOCK_SECONDS (12), CHARON_REL_LOCK_POOL_SECONDS (15),
CHARON_REL_FROZEN_SECONDS (12): how long the locks and the freeze last.
CHARON_REL_TICK_STOP_BOUND (8): how long a stop, or the old generation's
end, may take in the tick faults.  CHARON_REL_LOGDIR (build/reliability):
the results (JSON per fault, table.txt), httpd's and the databases' logs.

The last line is "reliability: N passed, M failed" (N + M faults run); the
exit status is non-zero when any failed.  Everything started here is
stopped by the cleanup stack (harness.proc), also on failure or Ctrl-C.
Run as root (httpd's children then run as www-data, CHARON_REL_USER,
PostgreSQL as postgres) or as a plain user.
"""

import gzip
import os
import shutil
import sys

from . import db, faults, httpd, ledger, proc, tick_exit
from .proc import Failure, Usage

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DBS = ("pgsql", "mysql", "sqlite")
FAULTS = ("down-at-start", "fast-restart", "crash-5s", "slow-lock",
          "pool-exhausted", "frozen", "writers-queue", "locked-writer",
          "graceful",
          "checker-self-test", "midbody") + tick_exit.FAULTS
# One API key per fault: the rows of a fault are found by its key's name.
KEYED = ("down-at-start", "fast-restart", "crash-5s", "slow-lock",
         "pool-exhausted", "frozen", "writers-queue", "locked-writer",
         "graceful", "midbody", "midbody-bg")
# The clients each database needs besides its server's own programs.
CLIENTS = {"pgsql": (), "mysql": ("mariadb",), "sqlite": ("sqlite3",)}

say = proc.say_as("reliability")


class Reliability:
    """One run: its options, bounds, work directory and results."""

    # Pool and MPM sizes: the pool-exhausted fault depends on them.
    PROCS, THREADS, DBDMAX = 2, 32, 8
    POOL_TOTAL = PROCS * DBDMAX

    def __init__(self, a):
        self.quick, self.dbs, self.module = a.quick, a.dbs or list(DBS), a.module
        self.only = set(a.only.split(",")) if a.only else set()
        # The module's own bounds (src/db): a statement is cancelled after
        # stmt s, a request waits at most gate s for a pooled connection. A
        # request may take one statement timeout (plus 1 s of slack on this
        # small machine); when the pool is exhausted, the wait for a
        # connection on top.
        stmt = faults.env_seconds("CHARON_REL_STMT_TIMEOUT", 5)
        gate = faults.env_seconds("CHARON_REL_GATE_WAIT", 5)
        self.max_lat = faults.env_seconds("CHARON_REL_MAX_LATENCY", stmt + 1)
        self.max_lat_pool = faults.env_seconds("CHARON_REL_MAX_LATENCY_POOL", gate + stmt + 1)
        self.late_grace = faults.env_seconds("CHARON_REL_LATE_GRACE", 5)
        # Locks are held longer than the bounds, so that a request that
        # waited for the lock instead of giving up is caught.
        self.lock_s = faults.env_seconds("CHARON_REL_LOCK_SECONDS", 12)
        self.lock_pool_s = faults.env_seconds("CHARON_REL_LOCK_POOL_SECONDS", 15)
        self.frozen_s = faults.env_seconds("CHARON_REL_FROZEN_SECONDS", 12)
        self.tick_bound = faults.env_seconds("CHARON_REL_TICK_STOP_BOUND", 8)
        # seconds of load for a fault that comes and goes
        self.t_short = 12 if self.quick else 14
        self.logdir = os.environ.get("CHARON_REL_LOGDIR",
                                     os.path.join(TOP, "build", "reliability"))
        self.user = (os.environ.get("CHARON_REL_USER", "www-data")
                     if proc.is_root() else None)
        self.top, self.work = TOP, None
        self.results = []       # result documents, in order
        self.setup_failed = 0
        self.finished = False

    def want(self, fault):
        return not self.only or fault in self.only

    def result_path(self, kind, fault):
        return os.path.join(self.logdir, "%02d-%s-%s.json"
                            % (len(self.results), kind, fault))

    def add(self, path, doc):
        """Record a fault's result (and keep its file)."""
        ledger.write_json(path, doc)
        self.results.append(doc)

    def counts(self):
        ok = sum(1 for d in self.results if ledger.passed(d))
        return ok, len(self.results) - ok + self.setup_failed


class Site:
    """One database under test, seeded with 8 crons, and its httpd."""

    def __init__(self, rel, kind):
        self.rel, self.kind = rel, kind
        self.db = self.httpd = None
        self.crons = ""
        self.keys = {}
        self._logs = None

    def setup(self):
        rel = self.rel
        self.db = db.make(self.kind, os.path.join(rel.work, self.kind), rel.user)
        self.db.start()
        self.db.load(self.db.schema(TOP))
        params = self.db.dbd_params
        if self.kind == "pgsql":
            # harness.db starts PostgreSQL with synchronous_commit=off,
            # which acknowledges commits before their WAL is written: a
            # crash (the crash-5s fault) then loses acknowledged
            # transactions, in the database, before the module has any say.
            # On for this database (a database setting outranks the
            # server's command line).
            self.db.query("ALTER DATABASE charon SET synchronous_commit = on")
            params = self.db.params(connect_timeout=2)
        elif self.kind == "mysql":
            # Debian's apr_dbd_mysql (apr-util 1.6.3) knows no timeout keys.
            params = self.db.params(connect_timeout=0)
        self.db.query("INSERT INTO charon_cron (slug, name, active) VALUES "
                      + ", ".join("('rel-%d', 'Reliability cron %d', TRUE)"
                                  % (i, i) for i in range(1, 9)))
        self.crons = ",".join("%s:%s" % r for r in self.db.query(
            "SELECT id, slug FROM charon_cron ORDER BY id"))
        self.httpd = faults.make_httpd(
            rel, os.path.join(rel.work, "httpd-" + self.kind), self.db.driver,
            params, log_format=True)
        self.keys = faults.write_keys(self.httpd, KEYED)

    def start_httpd(self):
        self.httpd.start()
        self._logs = self._logs or proc.cleanup.push(self.save_logs)

    def store(self):
        return ledger.Store(self.db)

    def save_logs(self):
        """httpd's logs and the database's, into the log directory."""
        d, kind = self.rel.logdir, self.kind
        h = self.httpd
        if h and os.path.exists(h.error_log):
            shutil.copy(h.error_log, os.path.join(d, kind + "-error_log"))
        access = h and os.path.join(h.root, "access_log")
        if access and os.path.exists(access):
            with open(access, "rb") as src, \
                    gzip.open(os.path.join(d, kind + "-access_log.gz"), "wb") as dst:
                shutil.copyfileobj(src, dst)
        if self.db and self.db.log and os.path.exists(self.db.log):
            shutil.copy(self.db.log, os.path.join(
                d, "%s-%s" % (kind, os.path.basename(self.db.log))))

    def teardown(self):
        if self._logs:
            proc.cleanup.done(self._logs)
            self._logs = None
        if self.httpd:
            self.httpd.stop()
        if self.db:
            self.db.stop()


def run_site(rel, site):
    """The faults of one database, in order, on its httpd."""
    kind = site.kind
    if rel.quick:
        site.start_httpd()
        if kind == "sqlite":
            faults.writers_queue(rel, site)
            faults.lock(rel, site, "locked-writer", 8, 8, rel.max_lat)
        else:
            faults.fast_restart(rel, site)
        return
    if kind == "sqlite":
        site.start_httpd()
        faults.writers_queue(rel, site)
        faults.lock(rel, site, "locked-writer", 8, 8, rel.max_lat)
    else:
        if rel.want("down-at-start"):
            faults.down_at_start(rel, site)
        else:
            site.start_httpd()
        faults.fast_restart(rel, site)
        faults.crash(rel, site)
        faults.lock(rel, site, "slow-lock", 8, rel.lock_s, rel.max_lat)
        faults.lock(rel, site, "pool-exhausted", 30, rel.lock_pool_s,
                    rel.max_lat_pool)
        faults.frozen(rel, site)
    faults.graceful(rel, site)
    faults.midbody(rel, site)


def parse_args(argv):
    return faults.parse_args(
        argv, "python3 -m harness.reliability", __doc__, "dbs", "DB", DBS,
        list(FAULTS), os.path.join(TOP, ".libs", "mod_charon.so"))


def preflight(rel):
    """What the run needs, said before anything starts."""
    faults.check_server(rel.module)
    for kind in rel.dbs:
        for c in CLIENTS[kind]:
            if not shutil.which(c):
                raise Usage("%s not found (make deps)" % c)
    if rel.user:
        proc.user_ids(rel.user)


def machine():
    with open("/proc/meminfo") as f:
        kib = next(int(l.split()[1]) for l in f if l.startswith("MemTotal:"))
    return "%d CPUs, %d MiB" % (os.cpu_count(), kib // 1024)


def main():
    rel = Reliability(parse_args(sys.argv[1:]))
    preflight(rel)
    t_all = proc.now()
    proc.cleanup.push(faults.report_abort, "reliability", rel)
    rel.work = proc.temp_dir("rel", 0o755)   # postgres, httpd's children
    # The module is copied: a rebuild during the run (or a graceful restart
    # reloading a half-written file) must not change what is tested.
    rel.module = httpd.copy_module(TOP, rel.work, rel.module)
    shutil.rmtree(rel.logdir, ignore_errors=True)
    os.makedirs(rel.logdir)
    say("mode %s; databases %s; logs in %s"
        % ("quick" if rel.quick else "full", " ".join(rel.dbs), rel.logdir))
    say("machine: %s; latency bounds %g s, %g s with the pool exhausted"
        % (machine(), rel.max_lat, rel.max_lat_pool))
    for kind in rel.dbs:
        t_db = proc.now()
        site = Site(rel, kind)
        try:
            site.setup()
        except Failure as e:
            say("%s: database setup failed: %s" % (kind, e))
            rel.setup_failed += 1
            site.teardown()
            continue
        run_site(rel, site)
        site.teardown()
        if kind == "sqlite" and not rel.quick:
            tick_exit.run(rel)
        say("%s done in %.0f s" % (kind, proc.now() - t_db))
    print()
    text = ledger.table(rel.results)
    sys.stdout.write(text)
    with open(os.path.join(rel.logdir, "table.txt"), "w") as f:
        f.write(text)
    passed, failed = rel.counts()
    say("total time %.0f s" % (proc.now() - t_all))
    rel.finished = True
    print("reliability: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    proc.main("reliability", main)
