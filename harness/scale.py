"""Two Apache servers on a replicated database, under load and faults.

  python3 -m harness.scale [--quick] [pgsql] [galera] [--only F1,F2]
                           [--module SO]

  (default)  every fault on both topologies
  --quick    one fault per topology (PostgreSQL: kill the primary and
             promote the standby; Galera: kill the node one Apache uses)
  --only     run only the named faults (see the list below)

Topologies, everything on 127.0.0.1:

  pgsql   PostgreSQL 15 primary + synchronous standby (harness.pg_replica);
          both Apache servers' DBDParams name both hosts
          (target_session_attrs=read-write), so they follow a failover by
          themselves. A fault that kills the primary leaves one node, so
          each fault gets a fresh pair and fresh Apache servers.
  galera  MariaDB Galera, three nodes (harness.galera); Apache server 1
          uses node 0, Apache server 2 node 1 (DBDParams host/port of its
          node), node 2 serves no Apache server. Nodes come back after
          each fault, so the faults share one cluster.

Each fault runs under load: one load client process per Apache server
(harness.load: keep-alive cycles of can-start/start/messages/end, every
acknowledged item recorded, the contract checked), each with a key name of
its own, at the same time. Then, for each fault:

  - ledger: every acknowledged start, message and end of both clients is
    in the database, read from a surviving node (harness.ledger.verify);
    nothing ended twice, nothing stored twice ("dup" in the table);
  - only 503 among 5xx answers, no request slower than the bound
    (CHARON_SCALE_MAX_LATENCY, 12 s), no connection error but the
    keep-alive race (except to an Apache server that is being killed);
  - the first 200 on every endpoint of both servers after the fault
    (seconds after the fault began; "never" fails);
  - the overlap lock: a fresh cron with concurrency 'forbid' gets 8
    concurrent starts, 4 to each server, released together, 3 rounds:
    exactly one 200 and seven 409 naming the winner, exactly one running
    execution in the database, and no forbid cron holding two;
  - the watchdog with two servers: overdue runs (max_runtime 1, started
    2 h ago) written while the fault is on are each marked lost once:
    charon_cron_stats.runs_lost and the 'lost' alert outcomes equal their
    number (both servers tick every second);
  - each server's error_log during the fault: CHARON118 (an outage began)
    and CHARON119 (it ended) lines, and no crash.

Faults:
  pg-kill-primary    SIGKILL the primary, 1 s later promote the standby,
                     emptying its synchronous_standby_names (what a
                     failover tool does)
  pg-sync-stuck      the same, but the promoted node keeps naming the dead
                     standby: every commit waits for it. The module cancels
                     a statement past 6 s and answers 503 (committed
                     locally, not confirmed). Checks: no request slower
                     than the bound; a start and an end sent with an
                     Idempotency-Key get 503, and the same request retried
                     through the other server gets the first answer
                     (Idempotent-Replayed) and writes nothing twice. After
                     16 s (CHARON_SCALE_STUCK_SECONDS) the names are emptied
                     and writes recover.
  galera-kill-node   SIGKILL node 2 (no Apache server's), restart it 4 s
                     later: it rejoins (IST); no 503 expected
  galera-kill-used   SIGKILL node 0 (Apache server 1's), restart it 5 s
                     later: server 1 answers 503 meanwhile, then recovers
  galera-partition   SIGSTOP node 1 (Apache server 2's) past the group's
                     timeout (CHARON_SCALE_FREEZE_SECONDS, 8 s), SIGCONT:
                     the others go on as the primary component, node 1
                     rejoins
  apache-kill-graceful  (both topologies) SIGKILL every process of Apache
                     server 1, graceful restart of server 2 a second
                     later, server 1 started again 3 s after its death
  checker-self-test  (each topology, with the first fault) 4 rows damaged
                     on purpose: the ledger check must report exactly
                     those; and the lock and watchdog judgements given
                     wrong figures must fail

The table (also in build/scale/table.txt) has a row per fault and topology;
the last line is "scale: N passed, M failed"; the exit status is non-zero
when any failed. Logs: build/scale/<topology>/ (CHARON_SCALE_LOGDIR for
another place): both httpd error_logs (and access_logs, gzipped) and the
database logs of each fault, the load clients' results (JSON) and output.
Everything started here is stopped by the cleanup stack (harness.proc),
also on failure or Ctrl-C. Run as root (httpd's children run as www-data,
PostgreSQL as postgres).
"""

import argparse
import gzip
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

from . import faults, httpd, ledger, pg_replica, proc, stats
from .proc import Failure, Usage

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOPOLOGIES = ("pgsql", "galera")
FAULTS = {
    "pgsql": ("pg-kill-primary", "pg-sync-stuck", "apache-kill-graceful"),
    "galera": ("galera-kill-node", "galera-kill-used", "galera-partition",
               "apache-kill-graceful"),
}
QUICK = {"pgsql": "pg-kill-primary", "galera": "galera-kill-used"}
ALL_FAULTS = sorted(set(f for fs in FAULTS.values() for f in fs)
                    | {"checker-self-test"})
CRONS = 6           # the load's crons (concurrency allow)
LOCK_STARTS = 8     # concurrent starts on a forbid cron, half to each server
LOCK_ROUNDS = 3
OVERDUE = 12        # overdue runs the watchdogs must mark lost, once each

say = proc.say_as("scale")


def _env(name, default):
    v = os.environ.get(name, default)
    try:
        return float(v)
    except ValueError:
        raise Usage("%s must be a number of seconds, not %r" % (name, v)) from None


class Scale:
    """One run: options, bounds, directories, results. PROCS, THREADS and
    DBDMAX are what faults.make_httpd reads: two servers and the database
    nodes share two cores here, so each server is small."""

    PROCS, THREADS, DBDMAX = 2, 16, 4

    def __init__(self, a):
        self.quick, self.module = a.quick, a.module
        self.topologies = a.topologies or list(TOPOLOGIES)
        self.only = set(a.only.split(",")) if a.only else set()
        # 6 s until the module cancels a PostgreSQL statement, up to 5 s
        # waiting for a pooled connection before it: about 12 s at worst.
        self.max_lat = _env("CHARON_SCALE_MAX_LATENCY", 12)
        self.late_grace = _env("CHARON_SCALE_LATE_GRACE", 5)
        # harness.galera evicts a silent node after 3 s (its FAST_EVS)
        self.freeze_s = _env("CHARON_SCALE_FREEZE_SECONDS", 8)
        # long enough for a try that waits 5 s for a pooled connection and
        # 6 s at its COMMIT, and its retry
        self.stuck_s = _env("CHARON_SCALE_STUCK_SECONDS", 16)
        self.connections = int(_env("CHARON_SCALE_CONNECTIONS", 6))
        self.logdir = os.environ.get("CHARON_SCALE_LOGDIR",
                                     os.path.join(TOP, "build", "scale"))
        self.user = (os.environ.get("CHARON_SCALE_USER", "www-data")
                     if proc.is_root() else None)
        self.top, self.work = TOP, None
        self.results = []       # (row, doc) per fault
        self.setup_failed = 0
        self.finished = False
        self.current = None     # the ScaleFault under way

    def faults_of(self, topo):
        if self.quick:
            names = [QUICK[topo]]
        else:
            names = list(FAULTS[topo])
        if self.only:
            names = [f for f in names if f in self.only]
        return names

    def want_selfcheck(self):
        return not self.quick and (not self.only
                                   or "checker-self-test" in self.only)

    def counts(self):
        ok = sum(1 for r in self.results if ledger.passed(r))
        return ok, len(self.results) - ok + self.setup_failed


# ------------------------------------------------------------- topologies ---

class Topology:
    """A replicated database and two Apache servers in front of it.
    Subclasses: start_db(), dbd_params(i), store(), write(sql),
    db_logs(), stop_db()."""

    kind = label = driver = None

    def __init__(self, run, tag):
        self.run, self.tag = run, tag
        self.dir = os.path.join(run.work, "%s-%s" % (self.kind, tag))
        self.logdir = os.path.join(run.logdir, self.kind)
        os.makedirs(self.logdir, exist_ok=True)
        self.httpds = []
        self.keys = {}
        self.crons = ""
        self.idem_cron = None
        self._logs = None
        self._serial = 0

    def setup(self, key_names):
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.start_db()
        self.write("INSERT INTO charon_cron (slug, name, active) VALUES "
                   + ", ".join("('scale-%d', 'Scale cron %d', TRUE)" % (i, i)
                               for i in range(1, CRONS + 1)))
        self.crons = ",".join("%s:%s" % tuple(r) for r in self.store().query(
            "SELECT id, slug FROM charon_cron WHERE slug LIKE 'scale-%' "
            "ORDER BY id"))
        self.idem_cron = self.new_cron("idem")
        keys = {n: proc.random_password(16) for n in key_names}
        for i in (0, 1):
            root = os.path.join(self.dir, "httpd%d" % (i + 1))
            h = faults.make_httpd(
                self.run, root, self.driver, self.dbd_params(i),
                log_format=True, extra="CharonWatchdogInterval 1\n\n")
            # The same keys on both servers: a request retried through the
            # other server is the same client (key name).
            with open(os.path.join(root, "keys.conf"), "w") as f:
                f.writelines('    CharonApiKey load-%s "%s"\n' % kv
                             for kv in keys.items())
            self.httpds.append(h)
        self.keys = keys
        self._logs = proc.cleanup.push(self.save_logs)
        for h in self.httpds:
            h.start()

    def new_cron(self, what, concurrency="allow", max_runtime=None):
        """A cron of its own for one check; its id."""
        self._serial += 1
        slug = "%s-%s-%d" % (what, self.tag, self._serial)
        self.write("INSERT INTO charon_cron (slug, name, active, concurrency, "
                   "max_runtime) VALUES ('%s', '%s', TRUE, '%s', %s)"
                   % (slug, slug, concurrency,
                      "NULL" if max_runtime is None else int(max_runtime)))
        return int(self.store().query(
            "SELECT id FROM charon_cron WHERE slug = '%s'" % slug)[0][0])

    def save_logs(self, suffix=""):
        """Both httpds' logs and the database's, into the log directory,
        named after the fault (tag)."""
        for i, h in enumerate(self.httpds):
            base = os.path.join(self.logdir, "%s-httpd%d-" % (self.tag, i + 1))
            if os.path.exists(h.error_log):
                shutil.copy(h.error_log, base + "error_log")
            access = os.path.join(h.root, "access_log")
            if os.path.exists(access):
                with open(access, "rb") as src, \
                        gzip.open(base + "access_log.gz", "wb") as dst:
                    shutil.copyfileobj(src, dst)
        for name, path in self.db_logs():
            if path and os.path.exists(path):
                shutil.copy(path, os.path.join(
                    self.logdir, "%s-%s" % (self.tag, name)))

    def teardown(self):
        if self._logs:
            proc.cleanup.done(self._logs)
            self._logs = None
        for h in self.httpds:
            h.stop()
        self.stop_db()


class PgTopology(Topology):
    """harness.pg_replica's pair; both servers name both hosts."""

    kind, label, driver = "pgsql", "pgsql primary+sync standby", "pgsql"

    def start_db(self):
        self.pair = pg_replica.Pair(os.path.join(self.dir, "pg"))
        self.pair.start()

    def dbd_params(self, i):
        return self.pair.dbd_params()

    def node(self):
        """The node that takes writes now (or, when none does, a running
        one)."""
        i = self.pair.primary_index()
        if i is None:
            i = next((k for k, n in enumerate(self.pair.nodes) if n.running()),
                     self.pair._rw)
        return self.pair.nodes[i]

    def store(self):
        return ledger.Store(self.node())

    def write(self, sql):
        # local: the harness's own writes must not wait for a standby that
        # may be gone (pg-sync-stuck)
        return self.node().query("SET synchronous_commit = local;\n" + sql)

    def db_logs(self):
        return [("pg-%s.log" % n.name, n.log) for n in self.pair.nodes]

    def stop_db(self):
        if getattr(self, "pair", None):
            self.pair.stop()


class GaleraStore(ledger.Store):
    """A Galera node read with causal reads (wsrep_sync_wait=1): what
    another node committed is visible."""

    def query(self, sql, timeout=60):
        return [list(r) for r in self.db.query(
            "SET SESSION wsrep_sync_wait = 1;\n" + sql, timeout=timeout)]


class GaleraTopology(Topology):
    """harness.galera's three nodes; server 1 uses node 0, server 2 node 1."""

    kind, label, driver = "galera", "galera 3 nodes", "mysql"
    USED = (0, 1)

    def start_db(self):
        from . import galera     # harness/galera.py (branch scale-galera)
        self.down = set()
        self.hit = None
        self._env = os.environ.get("MARIADB_HOME")
        self.cluster = galera.Cluster(os.path.join(self.dir, "galera"), nodes=3)
        self.cluster.start()
        self.cluster.node(0).load(os.path.join(TOP, "sql", "mysql.sql"))
        # apr_dbd_mysql has no connect_timeout key: the client library
        # reads one from an option file (DBDParams group=charon) found
        # through MARIADB_HOME, in httpd's environment from its start. A
        # connection opened to a frozen node would otherwise hang, under
        # mod_dbd's pool lock.
        self._env = os.environ.get("MARIADB_HOME")
        os.environ["MARIADB_HOME"] = self.cluster.client_cnf(
            group="charon", connect_timeout=3)

    def dbd_params(self, i):
        return self.cluster.node(self.USED[i]).params(group="charon")

    def alive_node(self):
        """A node to read and write through: up, and not the one the
        last fault hit (which has just rejoined, by IST)."""
        order = [i for i in (0, 1, 2) if i not in self.down]
        order.sort(key=lambda i: i == self.hit)
        if not order:
            raise Failure("galera: no node is up")
        return self.cluster.node(order[0])

    def store(self):
        return GaleraStore(self.alive_node())

    def write(self, sql):
        return self.alive_node().query(sql)

    def db_logs(self):
        out = []
        for i in range(3):
            n = self.cluster.node(i)
            out.append(("galera-node%d.err" % i, getattr(n, "log", None)))
        return out

    def stop_db(self):
        if getattr(self, "cluster", None):
            self.cluster.stop()
            if self._env is None:
                os.environ.pop("MARIADB_HOME", None)
            else:
                os.environ["MARIADB_HOME"] = self._env


# ----------------------------------------------------------------- checks ---

def api(port, method, path, key, headers=None, body=None, timeout=30):
    """(status, headers (lower-case names), body bytes, seconds) of one
    request to 127.0.0.1:port; status None on a connection error."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"X-API-KEY": key}
    h.update(headers or {})
    data = json.dumps(body).encode() if body is not None else (
        b"" if method == "POST" else None)
    t0 = proc.now()
    try:
        c.request(method, "/api/" + path, body=data, headers=h)
        r = c.getresponse()
        return (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read(),
                proc.now() - t0)
    except (OSError, http.client.HTTPException) as e:
        return None, {}, str(e).encode(), proc.now() - t0
    finally:
        c.close()


def _json(payload):
    try:
        return json.loads(payload)
    except (ValueError, TypeError):
        return None


def race(topo, cron, key, n=LOCK_STARTS):
    """n starts of cron at the same moment, alternately to each server
    (connections opened first, requests released by a barrier). Returns
    [(server, status, body dict)]."""
    out = [None] * n
    barrier = threading.Barrier(n)

    def one(i):
        h = topo.httpds[i % 2]
        c = http.client.HTTPConnection("127.0.0.1", h.port, timeout=30)
        try:
            c.connect()
            barrier.wait(10)
            c.request("POST" if i % 4 < 2 else "GET", "/api/%d/start" % cron,
                      body=b"" if i % 4 < 2 else None,
                      headers={"X-API-KEY": key})
            r = c.getresponse()
            out[i] = (i % 2 + 1, r.status, _json(r.read()))
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as e:
            out[i] = (i % 2 + 1, None, {"error": str(e)})
        finally:
            c.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


def judge_race(answers, running_ids):
    """What is wrong with one round of the race: answers from race(), and
    the ids of the cron's running executions in the database. [] when
    exactly one start got 200, every other 409 naming it as the running
    execution, and the winner is the one running execution."""
    bad = []
    won = [b for _, st, b in answers if st == 200]
    codes = sorted(str(st) for _, st, _ in answers)
    if len(won) != 1 or codes.count("409") != len(answers) - 1:
        bad.append("statuses %s (expected one 200, %d 409)"
                   % (",".join(codes), len(answers) - 1))
    winner = won[0].get("id") if len(won) == 1 and isinstance(won[0], dict) else None
    for _, st, b in answers:
        if st == 409 and winner is not None and (
                not isinstance(b, dict) or b.get("refusal") != "locked"
                or b.get("runningExecutionId") != winner):
            bad.append("a 409 that does not name %s: %r" % (winner, b))
            break
    if len(running_ids) != 1 or (winner is not None and running_ids != [winner]):
        bad.append("running executions in the database: %s (winner %s)"
                   % (running_ids or "none", winner))
    return bad


def lock_check(topo, key):
    """LOCK_ROUNDS races on a fresh forbid cron, the winner ended between
    rounds; then no forbid cron of the database holds two running
    executions. Returns (summary text, failures)."""
    cron = topo.new_cron("lock", concurrency="forbid")
    fails = []
    ok = 0
    for rnd in range(1, LOCK_ROUNDS + 1):
        answers = race(topo, cron, key)
        running = sorted(int(r[0]) for r in topo.store().query(
            "SELECT id FROM charon_execution WHERE cron_id = %d AND ended_at "
            "IS NULL AND lost_at IS NULL" % cron))
        bad = judge_race(answers, running)
        if bad:
            fails.append("lock round %d: %s" % (rnd, "; ".join(bad)))
        else:
            ok += 1
        for eid in running:
            st = api(topo.httpds[rnd % 2].port, "POST", "%d/end" % eid, key,
                      body={"success": True, "type": "info"})[0]
            if st != 200:
                fails.append("lock round %d: ending %d answered %s" % (rnd, eid, st))
    doubles = topo.store().query(
        "SELECT e.cron_id, COUNT(*) FROM charon_execution e JOIN charon_cron c "
        "ON c.id = e.cron_id WHERE c.concurrency = 'forbid' AND e.forbid_overlap "
        "AND e.ended_at IS NULL AND e.lost_at IS NULL GROUP BY e.cron_id "
        "HAVING COUNT(*) > 1")
    if doubles:
        fails.append("forbid crons with more than one running execution: %s"
                     % doubles)
    return "%d/%d" % (ok, LOCK_ROUNDS), fails


def seed_overdue(topo):
    """A cron with max_runtime 1 and OVERDUE runs started 2 h ago, written
    directly: both servers' watchdogs find them on their next tick."""
    cron = topo.new_cron("wd", max_runtime=1)
    if topo.driver == "pgsql":
        ago = "now() - interval '2 hours'"
    else:
        ago = "UTC_TIMESTAMP(6) - INTERVAL 2 HOUR"
    topo.write("INSERT INTO charon_execution (cron_id, started_at, api_key, "
               "remote_addr) VALUES " + ", ".join(
                   "(%d, %s, 'scale-watchdog', '127.0.0.1')" % (cron, ago)
                   for _ in range(OVERDUE)))
    return cron


def watchdog_counts(topo, cron):
    """(runs marked lost, runs_lost counted). runs_lost is kept by a
    trigger on each marking (lost_at going from NULL to a time): a run
    marked twice, or a marking lost, shows there. (The 'lost' alert
    outcomes cannot be counted: the watchdog consumes them.)"""
    q = topo.store().query(
        "SELECT (SELECT COUNT(*) FROM charon_execution WHERE cron_id = %d AND "
        "lost_at IS NOT NULL), (SELECT COALESCE(MAX(runs_lost), 0) FROM "
        "charon_cron_stats WHERE cron_id = %d)" % (cron, cron))
    return tuple(int(x) for x in q[0])


def judge_watchdog(counts, n=OVERDUE):
    marked, counted = counts
    bad = []
    if marked != n:
        bad.append("%d of %d overdue runs marked lost" % (marked, n))
    if counted != n:
        bad.append("runs_lost is %d for %d lost runs (each must be counted "
                   "once)" % (counted, n))
    return bad


def watchdog_check(topo, cron, wait=20):
    """Wait (up to wait s) until the overdue runs are marked, a few ticks
    more for a second marking to show, then judge."""
    end = proc.now() + wait
    counts = (0, 0)
    while proc.now() < end:
        try:
            counts = watchdog_counts(topo, cron)
        except Failure:
            pass
        if counts[0] >= OVERDUE:
            break
        time.sleep(0.5)
    time.sleep(2.5)
    try:
        counts = watchdog_counts(topo, cron)
    except Failure as e:
        return "-", ["watchdog counts could not be read: %s" % e]
    bad = judge_watchdog(counts)
    return "%d/%d" % counts, bad


def log_counts(h, offset):
    """CHARON118 and CHARON119 lines, and crash lines, of h's error_log
    from offset."""
    text = h.log_since(offset)
    lines = text.splitlines()
    return (sum("CHARON118" in l for l in lines),
            sum("CHARON119" in l for l in lines),
            [l for l in lines if faults.CRASH.search(l)][:5])


# ----------------------------------------------------------------- faults ---

class ScaleFault:
    """One fault on one topology: its two load clients, marks, checks,
    and its row."""

    def __init__(self, run, topo, name):
        self.run, self.topo, self.name = run, topo, name
        self.dir = topo.logdir
        self.marks = os.path.join(self.dir, "%s.marks" % name)
        open(self.marks, "w").close()
        self.offsets = [h.log_size() for h in topo.httpds]
        self.loads = []
        self.docs = []
        self.failures, self.notes = [], []
        self.wd_cron = None
        self.t0 = proc.now()
        run.current = self
        say("---- %s: %s" % (topo.kind, name))

    def mark(self, name):
        with open(self.marks, "a") as f:
            f.write("%s %.6f\n" % (name, time.time()))

    def key_name(self, i):
        return "%s-%d" % (self.name, i + 1)

    def start_load(self, duration, recover=("back", "back"), allow_conn=(False, False),
                   expect_503=(False, False), past=None):
        """A load client per server, for duration seconds (with past: at
        least, and until past seconds after its recovery mark)."""
        topo = self.topo
        self.recover = recover
        for i, h in enumerate(topo.httpds):
            kn = self.key_name(i)
            out = os.path.join(self.dir, "%s-load%d.json" % (self.name, i + 1))
            text = os.path.join(self.dir, "%s-load%d.out" % (self.name, i + 1))
            argv = [sys.executable, "-m", "harness.load", "run",
                    "--base", h.base, "--key", topo.keys[kn],
                    "--key-name", "load-" + kn, "--crons", topo.crons,
                    "--out", out, "--scenario", "%s/server%d" % (self.name, i + 1),
                    "--db-label", topo.kind, "--duration", "%g" % duration,
                    "--connections", str(self.run.connections),
                    "--marks", self.marks, "--recover-mark", recover[i],
                    "--max-latency", "%g" % self.run.max_lat,
                    "--late-grace", "%g" % self.run.late_grace]
            if past is not None:
                argv += ["--run-past-mark", "%g" % past]
            if topo.kind == "galera":
                argv += ["--late-503-rate", "%g" % NO_503_RATE]
            if allow_conn[i]:
                argv.append("--allow-conn-errors")
            if expect_503[i]:
                argv.append("--expect-503")
            with open(text, "w") as f:
                p = proc.spawn(argv, stdout=f, stderr=subprocess.STDOUT,
                               cwd=self.run.top)
            self.loads.append((p, text, out))

    def wait_load(self):
        """Wait for both clients; verify what each was told against the
        database (a surviving node)."""
        store = self.topo.store()
        for p, text, out in self.loads:
            rc = proc.finish(p, timeout=self.run.max_lat + 120)
            sys.stdout.write(faults.read(text))
            try:
                doc = ledger.read_json(out)
            except (OSError, ValueError):
                doc = ledger.empty_result(self.name, self.topo.kind, [
                    "the load client wrote no result (exit %s)" % rc])
                doc["key_name"] = None
            if doc.get("key_name"):
                ledger.verify_result(doc, store)
                ledger.write_json(out, doc)
            self.docs.append(doc)

    def finish(self, more=None):
        """After the load: the lock race, the watchdog's work, the logs,
        the httpds, more(self) when given; then the row."""
        topo = self.topo
        self.wait_load()
        lock_key = "lock"
        try:
            self.lock, fails = lock_check(topo, topo.keys[lock_key])
        except Failure as e:
            self.lock, fails = "-", ["lock check could not run: %s" % e]
        self.failures += fails
        if self.wd_cron is not None:
            self.wd, fails = watchdog_check(topo, self.wd_cron)
            self.failures += fails
        else:
            self.wd = "-"
        self.logs = []
        for i, h in enumerate(topo.httpds):
            n118, n119, crash = log_counts(h, self.offsets[i])
            self.logs.append((n118, n119))
            if crash:
                self.failures.append("httpd %d crashed: %s" % (i + 1, " | ".join(crash)))
            if not h.pid() or not proc.alive(h.pid()):
                self.failures.append("httpd %d is not running" % (i + 1))
        if more:
            more(self)
        self.seconds = proc.now() - self.t0
        return self.record()

    def first_200(self):
        """Seconds from the fault mark until every endpoint of both
        clients had answered 200 again (None: some never did). Each
        client counts its recovery from its --recover-mark."""
        worst = 0.0
        for doc, ref in zip(self.docs, self.recover):
            r = doc.get("run", {})
            rec, marks = r.get("recovery"), r.get("marks", {})
            if not rec or "fault" not in marks or ref not in marks:
                return None
            for v in rec.values():
                if v is None:
                    return None
                worst = max(worst, v + marks[ref] - marks["fault"])
        return worst

    def record(self):
        reqs = sum(d.get("run", {}).get("requests", 0) for d in self.docs)
        n503 = sum(d.get("run", {}).get("by_status", {}).get("503", 0)
                   for d in self.docs)
        lost = sum(d.get("verify", {}).get("lost", 0) for d in self.docs)
        dup = sum(d.get("verify", {}).get("bad", 0) for d in self.docs)
        unacked = sum(d.get("verify", {}).get("unacked_starts_written", 0)
                      + d.get("verify", {}).get("unacked_messages_written", 0)
                      + d.get("verify", {}).get("unacked_ends_written", 0)
                      for d in self.docs)
        fails = list(self.failures)
        for i, d in enumerate(self.docs):
            fails += ["server %d load: %s" % (i + 1, f) for f in d.get("failures", [])]
            for ex in d.get("verify_examples", [])[:5]:
                self.notes.append("server %d: %s" % (i + 1, ex))
        if not any("verify" in d for d in self.docs):
            fails.append("nothing was verified")
        f200 = self.first_200()
        maxlat = max([d.get("run", {}).get("max_latency", 0) for d in self.docs] or [0])
        row = {"fault": self.name, "topology": self.topo.kind,
               "requests": reqs, "503": n503,
               "first_200": f200, "max_latency": maxlat,
               "lost": lost, "dup": dup, "unacked": unacked,
               "lock": self.lock, "watchdog": self.wd,
               "log118_119": self.logs, "seconds": self.seconds,
               "failures": fails, "notes": self.notes}
        ledger.write_json(os.path.join(self.dir, "%s-result.json" % self.name),
                          dict(row, loads=[d.get("run") for d in self.docs]))
        self.run.results.append(row)
        say("%s %s: %s (%.0f s)" % (self.topo.kind, self.name,
                                    "pass" if not fails else "FAIL", self.seconds))
        for f in fails:
            say("  FAIL: %s" % f)
        return row


# -- PostgreSQL

def pg_kill_primary(run, topo, stuck=False):
    """SIGKILL the primary, promote the standby 1 s later; stuck: it keeps
    naming the dead standby for 12 s, with the Idempotency-Key probes."""
    name = "pg-sync-stuck" if stuck else "pg-kill-primary"
    f = ScaleFault(run, topo, name)
    probes = IdemProbes(topo) if stuck else None
    f.start_load(run.stuck_s + 20 if stuck else 20, expect_503=(True, True))
    time.sleep(4)
    f.mark("fault")
    topo.pair.kill_primary()
    time.sleep(1)
    topo.pair.promote(clear_sync=not stuck)
    if stuck:
        f.mark("stuck")
        probes.start()
        time.sleep(run.stuck_s)
        n = topo.pair.primary
        n.psql(["-q", "-c", "ALTER SYSTEM SET synchronous_standby_names = ''",
                "-c", "SELECT pg_reload_conf()"], database="postgres", quiet=True)
    f.mark("back")
    f.wd_cron = seed_overdue(topo)
    if probes:
        probes.join()
        f.failures += probes.failures
        f.notes += probes.notes
    f.finish()
    return f


class IdemProbes(threading.Thread):
    """pg-sync-stuck: a start through server 1 and an end through server 2,
    each with an Idempotency-Key, while the new primary waits for its
    standby: each must be answered (503) within the bound; the same
    request retried through the other server must get the first answer
    (200, Idempotent-Replayed: true) and write nothing twice."""

    def __init__(self, topo):
        super().__init__(daemon=True)
        self.topo = topo
        self.failures, self.notes = [], []
        self.key = topo.keys["idem"]
        # an execution to end, started before the fault
        st, _, body, _ = api(topo.httpds[0].port, "POST",
                              "%d/start" % topo.idem_cron, self.key)
        self.running = (_json(body) or {}).get("id") if st == 200 else None
        if not self.running:
            self.failures.append("idempotency probe: the start before the "
                                 "fault answered %s" % st)

    def run(self):
        # Once the servers reach the database again (reads answer 200),
        # so that the first attempt gets as far as its COMMIT rather than
        # a 503 from the module's gate, which writes nothing.
        slug = "scale-1"
        end = proc.now() + 5
        while proc.now() < end and not all(
                api(h.port, "GET", "%s/can-start" % slug, self.key)[0] == 200
                for h in self.topo.httpds):
            time.sleep(0.2)
        probes = [threading.Thread(target=self._guarded, args=(
            "start", "%d/start" % self.topo.idem_cron, None, 0))]
        if self.running:
            probes.append(threading.Thread(target=self._guarded, args=(
                "end", "%d/end" % self.running,
                {"success": True, "type": "success",
                 "message": "ended while stuck"}, 1)))
        for t in probes:
            t.start()
        for t in probes:
            t.join()

    def _guarded(self, *args):
        try:
            self._probe(*args)
        except Exception as e:          # noqa: BLE001 -- a failure, not a crash
            self.failures.append("idempotency probe crashed: %r" % e)

    def _probe(self, what, path, body, first):
        """The request with an Idempotency-Key through one server; while
        it is not 200, the same again through the other, alternately."""
        ikey = "scale-%s-%s" % (what, proc.random_password(6))
        hdr = {"Idempotency-Key": ikey}
        bound = self.topo.run.max_lat
        tries = []
        for attempt in range(10):
            h = self.topo.httpds[(first + attempt) % 2]
            st, hd, payload, secs = api(h.port, "POST", path, self.key, hdr, body)
            replayed = hd.get("idempotent-replayed") == "true"
            tries.append((st, secs, replayed))
            self.notes.append("stuck %s, Idempotency-Key, try %d via server "
                              "%d: %s%s in %.1f s" % (
                                  what, attempt + 1, (first + attempt) % 2 + 1,
                                  st, " replayed" if replayed else "", secs))
            if st is None or secs > bound:
                self.failures.append("stuck %s try %d: %s after %.1f s "
                                     "(bound %g s)" % (what, attempt + 1, st,
                                                       secs, bound))
            if st == 200:
                break
            time.sleep(0.5)
        if st != 200:
            self.failures.append("stuck %s: no 200 in %d tries with the same "
                                 "Idempotency-Key" % (what, len(tries)))
            return
        doc = _json(payload) or {}
        # A 503 that took the module's full 6 s was a COMMIT cancelled while
        # it waited for the standby: written. The retry must replay it.
        cancelled = [t for t in tries[:-1] if t[0] == 503 and t[1] >= 5.9]
        if cancelled and not replayed:
            self.failures.append("stuck %s: a try was cancelled at its COMMIT "
                                 "(503 after %.1f s), and the retry with the "
                                 "same Idempotency-Key did the work again "
                                 "instead of replaying" % (what, cancelled[0][1]))
        if not cancelled:
            self.notes.append("stuck %s: no try reached its COMMIT while stuck "
                              "(the replay was not exercised)" % what)
        store = self.topo.store()
        if what == "start":
            rows = store.query("SELECT id FROM charon_execution WHERE cron_id = %d "
                               "AND id <> %d" % (self.topo.idem_cron,
                                                 self.running or 0))
            ids = [int(r[0]) for r in rows]
            if ids != [doc.get("id")]:
                self.failures.append("stuck start: executions written %s, the "
                                     "answer says %s" % (ids, doc.get("id")))
        else:
            rows = store.query("SELECT CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, "
                               "(SELECT COUNT(*) FROM charon_message WHERE "
                               "execution_id = %d) FROM charon_execution WHERE id = %d"
                               % (self.running, self.running))
            if doc != {"id": self.running} or not rows or rows[0] != ["1", "1"]:
                self.failures.append("stuck end: answer %r, stored (ended, "
                                     "messages) %s" % (doc, rows))


def pg_sync_stuck(run, topo):
    return pg_kill_primary(run, topo, stuck=True)


# -- both

def kill_httpd(h):
    """SIGKILL every process of h (parent and children), as a crash of the
    machine's Apache would."""
    pid = h.pid()
    if not pid:
        raise Failure("httpd %s is not running" % h.root)
    pids = [pid] + proc.children(pid)
    proc.signal_pids(pids, signal.SIGKILL)
    for p in pids:
        proc.wait_pid(p, 5)


def restart_httpd(h, timeout=15):
    """Start h again after a kill, keeping its logs (Httpd.start empties
    them)."""
    p = h.ctl("start", check=False)
    if p.returncode != 0:
        raise Failure("httpd did not start again: %s" % p.stderr)
    end = proc.now() + timeout
    while proc.now() < end:
        if h.request("GET", h.base + "x/can-start")[0] == 401:
            return
        time.sleep(0.1)
    raise Failure("httpd did not answer after its restart")


def apache_kill_graceful(run, topo):
    f = ScaleFault(run, topo, "apache-kill-graceful")
    h1, h2 = topo.httpds
    f.start_load(16, recover=("back", "fault"), allow_conn=(True, False))
    time.sleep(4)
    f.mark("fault")
    kill_httpd(h1)
    time.sleep(1)
    h2.graceful()
    f.wd_cron = seed_overdue(topo)
    time.sleep(2)
    restart_httpd(h1)
    f.mark("back")
    f.finish(no_503)
    return f


# With the database fine, a 503 is a unit that lost its certification
# (or a deadlock) on every one of its twelve spaced tries: writers on two
# nodes meet on one cron's counters. Allowed: one in 1,000 answers, each
# counted in the row's notes.
NO_503_RATE = 0.001


def no_503(f):
    """The database was fine all along: hardly any 503."""
    n = sum(d.get("run", {}).get("by_status", {}).get("503", 0) for d in f.docs)
    reqs = sum(d.get("run", {}).get("requests", 0) for d in f.docs)
    if n > NO_503_RATE * reqs:
        f.failures.append("%d answers of %d were 503 although the database "
                          "was fine (more than %g)" % (n, reqs, NO_503_RATE))
    elif n:
        f.notes.append("%d answers of %d were 503 with the database fine "
                       "(conflicts lost on every try)" % (n, reqs))


# -- Galera

def galera_kill(run, topo, node, name, down_s):
    """SIGKILL a node, start it again down_s later, wait until it is
    synced (IST)."""
    f = ScaleFault(run, topo, name)
    used = node in GaleraTopology.USED
    f.start_load(down_s + 16, expect_503=(node == 0, node == 1), past=10)
    time.sleep(4)
    f.mark("fault")
    topo.down.add(node)
    topo.hit = node
    topo.cluster.kill(node)
    f.wd_cron = seed_overdue(topo)
    time.sleep(down_s)
    topo.cluster.start_node(node)
    topo.cluster.wait_synced(node)
    topo.down.discard(node)
    f.mark("back")
    if not used:
        f.notes.append("node %d serves no Apache server" % node)
    f.finish(None if used else no_503)
    return f


def galera_kill_node(run, topo):
    return galera_kill(run, topo, 2, "galera-kill-node", 4)


def galera_kill_used(run, topo):
    return galera_kill(run, topo, 0, "galera-kill-used", 5)


def galera_partition(run, topo):
    """SIGSTOP node 1 past the group's timeout; SIGCONT; it rejoins."""
    f = ScaleFault(run, topo, "galera-partition")
    f.start_load(run.freeze_s + 20, expect_503=(False, True), past=10)
    time.sleep(4)
    f.mark("fault")
    topo.down.add(1)
    topo.hit = 1
    topo.cluster.freeze(1)
    time.sleep(2)
    f.wd_cron = seed_overdue(topo)
    time.sleep(max(0, run.freeze_s - 2))
    topo.cluster.thaw(1)
    topo.cluster.wait_synced(1)
    topo.down.discard(1)
    f.mark("back")
    f.finish()
    return f


RUNNERS = {
    "pg-kill-primary": pg_kill_primary,
    "pg-sync-stuck": pg_sync_stuck,
    "apache-kill-graceful": apache_kill_graceful,
    "galera-kill-node": galera_kill_node,
    "galera-kill-used": galera_kill_used,
    "galera-partition": galera_partition,
}


# ------------------------------------------------------------- self-test ---

def self_test(run, topo, src_doc):
    """The checks must be able to fail: the ledger on damaged rows
    (ledger.selfcheck: exactly 3 lost and 1 unknown), the lock and
    watchdog judgements on wrong figures."""
    fails = []
    doc = ledger.selfcheck(src_doc, topo.store(), topo.kind)
    fails += doc["failures"]
    wrong = [
        ("two 200s", [(1, 200, {"id": 5}), (2, 200, {"id": 6})] +
         [(1, 409, {"refusal": "locked", "runningExecutionId": 5})] * 6, [5, 6]),
        ("a 503", [(1, 200, {"id": 5}), (2, 503, {})] +
         [(1, 409, {"refusal": "locked", "runningExecutionId": 5})] * 6, [5]),
        ("a 409 naming another", [(1, 200, {"id": 5})] +
         [(1, 409, {"refusal": "locked", "runningExecutionId": 4})] * 7, [5]),
        ("two running", [(1, 200, {"id": 5})] +
         [(1, 409, {"refusal": "locked", "runningExecutionId": 5})] * 7, [4, 5]),
    ]
    for what, answers, running in wrong:
        if not judge_race(answers, running):
            fails.append("the lock judgement passed %s" % what)
    if judge_race([(1, 200, {"id": 5})] +
                  [(2, 409, {"refusal": "locked", "runningExecutionId": 5})] * 7, [5]):
        fails.append("the lock judgement failed a good round")
    for counts in ((OVERDUE, OVERDUE + 1), (OVERDUE - 1, OVERDUE - 1),
                   (OVERDUE, OVERDUE - 1)):
        if not judge_watchdog(counts):
            fails.append("the watchdog judgement passed %s" % (counts,))
    if judge_watchdog((OVERDUE,) * 2):
        fails.append("the watchdog judgement failed a good count")
    row = {"fault": "checker-self-test", "topology": topo.kind, "requests": 0,
           "503": 0, "first_200": None, "max_latency": 0, "lost": 0, "dup": 0,
           "unacked": 0, "lock": "-", "watchdog": "-", "log118_119": [],
           "seconds": 0, "failures": fails,
           "notes": ["4 rows damaged on purpose; wrong race and watchdog "
                     "figures judged"]}
    run.results.append(row)
    say("%s checker-self-test: %s" % (topo.kind, "pass" if not fails else "FAIL"))
    return row


# ------------------------------------------------------------------ table ---

HEAD = ("fault", "topology", "requests", "503s", "first 200 s", "max s",
        "lost=0?", "dup", "unacked", "lock", "watchdog marked/counted",
        "118/119 s1; s2", "time s", "verdict")


def table(rows):
    out = []
    for r in rows:
        logs = "; ".join("%d/%d" % x for x in r["log118_119"]) or "-"
        f200 = r["first_200"]
        out.append((r["fault"], r["topology"], str(r["requests"]), str(r["503"]),
                    "never" if f200 is None and r["requests"] else
                    "-" if f200 is None else "%.2f" % f200,
                    "%.2f" % r["max_latency"],
                    "yes" if r["lost"] == 0 else "NO (%d)" % r["lost"],
                    str(r["dup"]), str(r["unacked"]), r["lock"], r["watchdog"],
                    logs, "%.0f" % r["seconds"],
                    "pass" if ledger.passed(r) else "FAIL"))
    text = [stats.markdown_table(HEAD, out, pad=True)]
    for r in rows:
        for kind, key in (("FAIL", "failures"), ("note", "notes")):
            for t in r.get(key, []):
                text.append("%s %s/%s: %s\n" % (kind, r["topology"], r["fault"], t))
    return "".join(text)


# ------------------------------------------------------------------- main ---

def key_names(names):
    out = ["lock", "idem"]
    for n in names:
        out += ["%s-1" % n, "%s-2" % n]
    return out


def run_topology(run, kind):
    names = run.faults_of(kind)
    if not names:
        return
    t0 = proc.now()
    selfcheck_done = not run.want_selfcheck()
    cls = PgTopology if kind == "pgsql" else GaleraTopology
    if kind == "pgsql":
        # each fault on a fresh pair: a killed primary is not brought back
        for name in names:
            topo = cls(run, name)
            try:
                topo.setup(key_names(names))
            except Failure as e:
                say("%s %s: setup failed: %s" % (kind, name, e))
                run.setup_failed += 1
                topo.teardown()
                continue
            try:
                f = RUNNERS[name](run, topo)
                if not selfcheck_done and clean(f.docs):
                    self_test(run, topo, clean(f.docs))
                    selfcheck_done = True
            except (Failure, subprocess.TimeoutExpired) as e:
                fault_broke(run, kind, name, e)
            finally:
                topo.teardown()
    else:
        topo = cls(run, "cluster")
        try:
            topo.setup(key_names(names))
        except Failure as e:
            say("%s: setup failed: %s" % (kind, e))
            run.setup_failed += 1
            topo.teardown()
            return
        try:
            for name in names:
                try:
                    f = RUNNERS[name](run, topo)
                except (Failure, subprocess.TimeoutExpired) as e:
                    # the cluster is in no known state: the faults after
                    # this one would not test what they say
                    fault_broke(run, kind, name, e)
                    break
                if not selfcheck_done and clean(f.docs):
                    self_test(run, topo, clean(f.docs))
                    selfcheck_done = True
        finally:
            topo.teardown()
    say("%s done in %.0f s; logs in %s" % (kind, proc.now() - t0,
                                           os.path.join(run.logdir, kind)))


def clean(docs):
    """The first load result that verified clean (the self-test damages
    its rows and expects exactly that damage), or None."""
    for d in docs:
        v = d.get("verify")
        if v and not v["lost"] and not v["bad"]:
            return d
    return None


def fault_broke(run, kind, name, e):
    """A fault that could not be carried out (a step of the topology
    failed): a failed row, with why; the load clients it started are
    stopped by the cleanup stack's turn for them (proc.finish) or at the
    end."""
    say("%s %s: could not be carried out: %s" % (kind, name, e))
    f = run.current
    if f is not None and f.name == name:
        for p, _, _ in f.loads:
            proc.finish(p, timeout=0)
    run.results.append({
        "fault": name, "topology": kind, "requests": 0, "503": 0,
        "first_200": None, "max_latency": 0, "lost": 0, "dup": 0,
        "unacked": 0, "lock": "-", "watchdog": "-", "log118_119": [],
        "seconds": 0, "notes": [],
        "failures": ["could not be carried out: %s" % str(e)[:600]]})


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python3 -m harness.scale", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("topologies", nargs="*", metavar="TOPOLOGY",
                   help="pgsql, galera (default: both)")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--only", metavar="F1,F2")
    p.add_argument("--module", default=os.path.join(TOP, ".libs", "mod_charon.so"))
    a = p.parse_args(argv)
    for t in a.topologies:
        if t not in TOPOLOGIES:
            p.error("unknown topology %r (pgsql, galera)" % t)
    unknown = set(a.only.split(",")) - set(ALL_FAULTS) if a.only else ()
    if unknown:
        p.error("unknown fault %s (known: %s)" % (", ".join(sorted(unknown)),
                                                  ", ".join(ALL_FAULTS)))
    return a


def preflight(run):
    if not os.access(httpd.HTTPD, os.X_OK):
        raise Usage("%s not found (apt-get install apache2)" % httpd.HTTPD)
    if not os.path.isfile(run.module):
        raise Usage("%s is missing: run make first" % run.module)
    if "galera" in run.topologies:
        for c in ("mariadb", "mariadbd"):
            if not shutil.which(c) and not os.path.exists("/usr/sbin/" + c):
                raise Usage("%s not found (make deps)" % c)
    if run.user:
        proc.user_ids(run.user)


def main():
    run = Scale(parse_args(sys.argv[1:]))
    preflight(run)
    t_all = proc.now()
    proc.cleanup.push(_report_abort, run)
    run.work = proc.temp_dir("scale", 0o755)
    run.module = httpd.copy_module(TOP, run.work, run.module)
    shutil.rmtree(run.logdir, ignore_errors=True)
    os.makedirs(run.logdir)
    say("mode %s; topologies %s; logs in %s" % (
        "quick" if run.quick else "full", " ".join(run.topologies), run.logdir))
    for kind in run.topologies:
        run_topology(run, kind)
    print()
    text = table(run.results)
    sys.stdout.write(text)
    with open(os.path.join(run.logdir, "table.txt"), "w") as f:
        f.write(text)
    passed, failed = run.counts()
    say("total time %.0f s; logs in %s" % (proc.now() - t_all, run.logdir))
    run.finished = True
    print("scale: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


def _report_abort(run):
    if not run.finished:
        passed, failed = run.counts()
        print("scale: aborted; see %s" % run.logdir)
        print("scale: %d passed, %d failed" % (passed, failed + 1))


if __name__ == "__main__":
    proc.main("scale", main)
