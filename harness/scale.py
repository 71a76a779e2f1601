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
  throughput         no fault: the load through Apache server 1 alone for
                     10 s, then through both at once; requests a second
                     of each, side by side, in the row's notes
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

import os
import shutil
import subprocess
import sys

from . import faults, httpd, ledger, proc, stats
from .proc import Failure, Usage
from .scale_checks import self_test
from .scale_faults import RUNNERS
from .scale_topo import TOP, GaleraTopology, PgTopology

TOPOLOGIES = ("pgsql", "galera")
FAULTS = {
    "pgsql": ("throughput", "pg-kill-primary", "pg-sync-stuck",
              "apache-kill-graceful"),
    "galera": ("throughput", "galera-kill-node", "galera-kill-used",
               "galera-partition", "apache-kill-graceful"),
}
QUICK = {"pgsql": "pg-kill-primary", "galera": "galera-kill-used"}
ALL_FAULTS = sorted(set(f for fs in FAULTS.values() for f in fs)
                    | {"checker-self-test"})

say = proc.say_as("scale")


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
        self.max_lat = faults.env_seconds("CHARON_SCALE_MAX_LATENCY", 12)
        self.late_grace = faults.env_seconds("CHARON_SCALE_LATE_GRACE", 5)
        # harness.galera evicts a silent node after 3 s (its FAST_EVS)
        self.freeze_s = faults.env_seconds("CHARON_SCALE_FREEZE_SECONDS", 8)
        # long enough for a try that waits 5 s for a pooled connection and
        # 6 s at its COMMIT, and its retry
        self.stuck_s = faults.env_seconds("CHARON_SCALE_STUCK_SECONDS", 16)
        self.connections = int(faults.env_seconds("CHARON_SCALE_CONNECTIONS", 6))
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
                    "never" if f200 is None and r["requests"] and r.get("timed", True) else
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
        if n == "throughput":
            out.append("throughput-one-1")
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
    return faults.parse_args(
        argv, "python3 -m harness.scale", __doc__, "topologies", "TOPOLOGY",
        TOPOLOGIES,
        ALL_FAULTS, os.path.join(TOP, ".libs", "mod_charon.so"))


def preflight(run):
    faults.check_server(run.module)
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
    proc.cleanup.push(faults.report_abort, "scale", run)
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


if __name__ == "__main__":
    proc.main("scale", main)
