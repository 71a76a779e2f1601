"""The big-table benchmark's latencies: wrk (one thread, opts.concurrency
connections, keep-alive, tests/bench/bigtables.lua) against two httpds,
one on the empty database and one on the big one, in turn, endpoint by
endpoint, after a warm-up of `start` on each:

  start    POST {cron}/start on random crons (those that allow overlaps)
  message  POST {id}/message {"message":"processed N records","type":"info"}
           on the executions the start phase created, in turn
  end      POST {id}/end {"message":"done","type":"success","success":true}
           on those executions, each once (the phase stops early when they
           run out)

p50, p99 and mean are wrk's (its latency histogram). opts.rounds rounds of
(empty, big), big first in even rounds; each figure is the median of the
rounds'. The httpd: event MPM, 2 processes (SQLite: opts.sqlite_procs) x 16
threads, DBDMax 8, KeepAlive without a request limit, no access log, no
mod_watchdog (the watchdog's statements are timed on their own).
"""

import os
import re
import shutil

from . import httpd, proc, stats

ENDPOINTS = ("start", "message", "end")
FIGURES = (("p50", "p50"), ("p99", "p99"), ("mean", "mean"))
_RESULT = re.compile(
    r"^RESULT requests=(\d+) non2xx=(\d+) sockerr=(\d+) overrun=(\d+) "
    r"p50=([\d.]+) p99=([\d.]+) mean=([\d.]+)", re.M)


def parse_result(text):
    """The figures of bigtables.lua's RESULT line (its last), latencies in
    ms; None when there is none. bad: answers other than 2xx, and `end`
    requests beyond the executions there were."""
    found = _RESULT.findall(text)
    if not found:
        return None
    req, non2xx, sock, overrun, p50, p99, mean = found[-1]
    return {"requests": int(req), "bad": int(non2xx) + int(overrun),
            "sockerr": int(sock), "p50": float(p50) / 1000,
            "p99": float(p99) / 1000, "mean": float(mean) / 1000}


def describe(r):
    return ("%d requests, %d non-2xx, %d socket errors, p50 %.2f ms, "
            "p99 %.2f ms, mean %.2f ms" % (r["requests"], r["bad"],
                                           r["sockerr"], r["p50"], r["p99"],
                                           r["mean"]))


class Latency:
    """The two httpds of one database and their measurement."""

    def __init__(self, big, opts, key):
        self.b, self.o, self.key = big, opts, key
        self.say = proc.say_as("bigtables", opts.stream)
        self.httpds = {}
        self.failed = False

    def start(self, size):
        o, b = self.o, self.b
        procs = o.sqlite_procs if b.kind == "sqlite" else 2
        init = ("PRAGMA synchronous = %s" % o.sqlite_sync
                if b.kind == "sqlite" else None)
        body = (httpd.event_mpm(procs, 16, max_spare=32, keepalive_timeout=10)
                + httpd.dbd(b.driver, b.params(size), keep=8, max=8,
                            exptime=300, init_sql=init)
                + httpd.api_location([("bench", self.key)]))
        h = httpd.Httpd(os.path.join(o.work, "httpd-%s-%s" % (b.kind, size)),
                        o.module, body, user=o.run_user,
                        writer="harness/bigtables.py")
        self.httpds[size] = h
        h.start("bench-0001/can-start", 200, {"X-API-KEY": self.key},
                timeout=10)

    def stop(self):
        for size, h in self.httpds.items():
            h.stop()
            try:
                shutil.copy(h.error_log, os.path.join(
                    self.o.logdir, "%s-%s-error_log" % (self.b.kind, size)))
            except OSError:
                pass

    def wrk(self, size, mode, seconds, label, lo=0, hi=0):
        """One wrk run; its output is kept as <db>-<size>-<label>.txt."""
        o = self.o
        env = dict(os.environ, BT_MODE=mode, BT_KEY=self.key,
                   BT_CRONS=str(o.crons), BT_LO=str(lo), BT_HI=str(hi),
                   BT_CONNS=str(o.concurrency))
        p = proc.run(["wrk", "-t1", "-c%d" % o.concurrency, "-d%ds" % seconds,
                      "--timeout", "10s", "-s", o.lua,
                      "http://127.0.0.1:%d/" % self.httpds[size].port],
                     env=env, check=False)
        out = os.path.join(o.logdir, "%s-%s-%s.txt" % (self.b.kind, size,
                                                       label))
        with open(out, "w") as f:
            f.write(p.stdout + p.stderr)
        r = parse_result(p.stdout)
        if r is None:
            self.say("wrk printed no result for %s/%s/%s:\n%s"
                     % (self.b.kind, size, label, p.stdout + p.stderr))
            self.failed = True
            return {"requests": 0, "bad": 0, "sockerr": 0, "p50": 0.0,
                    "p99": 0.0, "mean": 0.0}
        return r

    def new_runs(self, size, base):
        """(lo, hi) of the executions created above id base, not ended."""
        row = self.b.query(size, "SELECT min(id), max(id), count(*) FROM "
                           "charon_execution WHERE id > %d" % base)[0]
        if not row[0] or int(row[2]) < 1:
            self.say("%s %s: the start phase created no execution"
                     % (self.b.kind, size))
            self.failed = True
            return 1, 1
        lo, hi, cnt = int(row[0]), int(row[1]), int(row[2])
        if cnt != hi - lo + 1:
            self.say("%s %s: the new executions are not contiguous (%d "
                     "between %d and %d)" % (self.b.kind, size, cnt, lo, hi))
        return lo, hi

    def run(self):
        """Every round; returns {(endpoint, size): [result per round]}."""
        o, kind = self.o, self.b.kind
        base = {"empty": 0, "big": self.b.loaded_e}
        res = {}
        for size in ("empty", "big"):
            self.start(size)
        for size in ("empty", "big"):
            self.wrk(size, "start", o.warmup, "warmup")
        for rnd in range(1, o.rounds + 1):
            order = ("big", "empty") if rnd % 2 == 0 else ("empty", "big")
            ranges = {}
            for ep in ENDPOINTS:
                for size in order:
                    lo, hi = ranges.get(size, (0, 0))
                    r = self.wrk(size, ep, o.seconds, "%s-%d" % (ep, rnd),
                                 lo, hi)
                    res.setdefault((ep, size), []).append(r)
                    self.say("%s %s %s (round %d): %s" % (kind, size, ep, rnd,
                                                          describe(r)))
                    if ep == "start":
                        ranges[size] = self.new_runs(size, base[size])
            # The next round's executions come after these.
            for size in ("empty", "big"):
                base[size] = ranges[size][1]
        return res


def rows(big, opts, res):
    """The latency rows, big against empty, and whether one is worthless
    (answers other than 2xx, or no request at all)."""
    out, failed = [], False
    label = "c%d, %s vs empty" % (opts.concurrency, big.sizes_label)
    for ep in ENDPOINTS:
        for name, field in FIGURES:
            e = stats.median(r[field] for r in res[(ep, "empty")])
            b = stats.median(r[field] for r in res[(ep, "big")])
            ratio = b / e if e > 0 else 0.0
            verdict = "ok" if 0 < ratio <= opts.target else "below"
            fig = "%.3f ms" % b
            if opts.rounds > 1:
                fig += " (median of %d rounds)" % opts.rounds
            bad = sum(r["bad"] + r["sockerr"] for size in ("empty", "big")
                      for r in res[(ep, size)])
            if bad or any(r["requests"] == 0 for r in res[(ep, "big")]):
                verdict, failed = "ERROR", True
                fig += " (%d non-2xx or socket errors)" % bad
            out.append(("big tables: %s %s latency, %s" % (ep, name, label),
                        big.kind, fig, "%.3f ms" % e, "%.2f" % ratio,
                        "<= %s" % opts.target_text, verdict))
    return out, failed


def measure(big, opts, key):
    """Start the two httpds, measure, stop them; (rows, failed)."""
    lat = Latency(big, opts, key)
    try:
        res = lat.run()
    finally:
        lat.stop()
    out, failed = rows(big, opts, res)
    return out, failed or lat.failed
