"""The scale test's faults: ScaleFault (one fault on one topology: its
two load clients, marks, checks and row) and the runners of each fault
(pg-kill-primary, pg-sync-stuck with its Idempotency-Key probes,
apache-kill-graceful, galera-kill-node, galera-kill-used,
galera-partition), named in RUNNERS. Used by harness.scale."""

import os
import subprocess
import sys
import threading
import time

from . import ledger, proc
from .proc import Failure
from .scale_checks import (NO_503_RATE, _json, api, cross_check, lock_check,
                           log_counts, no_503, seed_overdue, watchdog_check)
from .scale_topo import GaleraTopology, kill_httpd, restart_httpd

say = proc.say_as("scale")


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
                   expect_503=(False, False), past=None, servers=(0, 1), tag=""):
        """A load client per server, for duration seconds (with past: at
        least, and until past seconds after its recovery mark). recover
        None: no fault, no recovery to time."""
        topo = self.topo
        self.recover = recover
        for i, h in enumerate(topo.httpds):
            if i not in servers:
                continue
            kn = "%s%s-%d" % (self.name, tag, i + 1)
            out = os.path.join(self.dir, "%s%s-load%d.json" % (self.name, tag, i + 1))
            text = os.path.join(self.dir, "%s%s-load%d.out" % (self.name, tag, i + 1))
            argv = [sys.executable, "-m", "harness.load", "run",
                    "--base", h.base, "--key", topo.keys[kn],
                    "--key-name", "load-" + kn, "--crons", topo.crons,
                    "--out", out, "--scenario", "%s/server%d" % (self.name, i + 1),
                    "--db-label", topo.kind, "--duration", "%g" % duration,
                    "--connections", str(self.run.connections),
                    "--marks", self.marks,
                    "--max-latency", "%g" % self.run.max_lat,
                    "--late-grace", "%g" % self.run.late_grace]
            if recover is not None:
                argv += ["--recover-mark", recover[i]]
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
            sys.stdout.write(proc.read_text(text))
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
        if self.recover is None:
            return None
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
               "timed": self.recover is not None,
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


def throughput(run, topo):
    """No fault: the same load through one Apache server, then through
    both at once, each for THROUGHPUT_S seconds; answered requests a
    second, side by side (one machine: the servers, the database and the
    load clients share its cores)."""
    f = ScaleFault(run, topo, "throughput")
    f.start_load(THROUGHPUT_S, recover=None, servers=(0,), tag="-one")
    f.wait_load()
    one = f.docs[0].get("run", {})
    f.loads = []
    f.start_load(THROUGHPUT_S, recover=None)

    def more(f):
        no_503(f)
        # after the load: each run's start and end meet on two nodes
        cross, fails = cross_check(topo, topo.keys["lock"])
        f.failures += fails
        f.notes.append("started through one server, ended through the other "
                       "at once: %s runs answered 200 throughout" % cross)
    f.finish(more)
    rate1 = one.get("requests", 0) / max(one.get("duration", 1), 1e-6)
    rate2 = sum(d.get("run", {}).get("requests", 0)
                / max(d.get("run", {}).get("duration", 1), 1e-6)
                for d in f.docs[1:])
    f.notes.append("one Apache server %.0f requests/s, two %.0f requests/s "
                   "(x%.2f)" % (rate1, rate2, rate2 / rate1 if rate1 else 0))
    return f


THROUGHPUT_S = 10


RUNNERS = {
    "throughput": throughput,
    "pg-kill-primary": pg_kill_primary,
    "pg-sync-stuck": pg_sync_stuck,
    "apache-kill-graceful": apache_kill_graceful,
    "galera-kill-node": galera_kill_node,
    "galera-kill-used": galera_kill_used,
    "galera-partition": galera_partition,
}
