"""wrk, the benchmarks' load generator, and the line its Lua scripts print.

    r = wrk.run(out_file, url, 32, 2, "start.lua", [1, 64],
                headers={"X-API-KEY": key})
    r.rps, r.p50_ms, r.p99_ms, r.requests, r.get("cycles"), r.failures

Every script of tests/bench/ ends a run with one line (report.lua):

    BENCH requests=N duration_s=S rps=R p50_ms=.. p90_ms=.. p99_ms=..
          max_ms=.. non2xx=N connect=N read=N write=N timeout=N [k=v ...]

(the extras: end.lua's used= and exhausted=, cycle.lua's cycles= and
broken=). A run FAILS, and its figure means nothing, when wrk failed or
printed no such line, when nothing was answered, when any answer was not
2xx or 3xx (an error page is fast), on any socket error (a connection the
server closed, refused or let time out), when end.lua ran out of open
executions, or when cycle.lua broke a cycle off.
"""

import os
import re
import subprocess

from . import proc

LUA_DIR = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "tests", "bench")

_NON2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s*(\d+)", re.M)
_SOCKET = re.compile(r"^\s*Socket errors:\s*(.*?)\s*$", re.M)


def parse_bench(text):
    """The key=value pairs of the last BENCH line of text (numbers as int
    or float), or None when there is none."""
    lines = [l for l in text.splitlines() if l.startswith("BENCH ")]
    if not lines:
        return None
    values = {}
    for kv in lines[-1].split()[1:]:
        k, _, v = kv.partition("=")
        try:
            values[k] = int(v)
        except ValueError:
            try:
                values[k] = float(v)
            except ValueError:
                values[k] = v
    return values


class Result:
    """One wrk run: the BENCH values, and why it failed (if it did)."""

    def __init__(self, values, failures, non2xx=False):
        self.values = values
        self.failures = failures
        self.non2xx = non2xx        # answers other than 2xx or 3xx came

    @property
    def failed(self):
        return bool(self.failures)

    def get(self, key, default=0):
        return self.values.get(key, default)

    requests = property(lambda self: self.get("requests"))
    duration = property(lambda self: self.get("duration_s"))
    rps = property(lambda self: self.get("rps"))
    p50_ms = property(lambda self: self.get("p50_ms"))
    p99_ms = property(lambda self: self.get("p99_ms"))


def judge(text, rc=0):
    """The Result of wrk's output text (its exit status rc)."""
    values = parse_bench(text)
    if rc != 0 or values is None:
        last = " ".join(proc.tail(text, 3).split("\n"))
        return Result({}, ["wrk failed (exit %d): %s" % (rc, last)])
    failures, non2xx = [], False
    if not values.get("requests"):
        failures.append("no request was answered")
    m = _NON2XX.search(text)
    if values.get("non2xx") or m:
        non2xx = True
        failures.append("%s of %s answers were not 2xx or 3xx (an error "
                        "page's figure means nothing)"
                        % (m.group(1) if m else values.get("non2xx"),
                           values.get("requests")))
    m = _SOCKET.search(text)
    if m:
        failures.append("socket errors: " + m.group(1))
    if values.get("exhausted"):
        failures.append("ran out of open executions (%d requests went to an "
                        "ended one)" % values["exhausted"])
    if values.get("broken"):
        failures.append("%d cycles broke off on an unexpected answer"
                        % values["broken"])
    return Result(values, failures, non2xx)


def run(out, url, conc, secs, script="report.lua", args=(), threads=None,
        headers=None, lua_dir=LUA_DIR):
    """wrk with conc connections for secs seconds, keep-alive, latencies
    recorded, a 10 s timeout, the Lua script of lua_dir and its args;
    threads: one per core (at most one per connection) unless given. Its
    output is kept in the file out; returns the Result."""
    if threads is None:
        threads = min(conc, len(os.sched_getaffinity(0)))
    argv = ["wrk", "-t", str(threads), "-c", str(conc), "-d", "%ds" % secs,
            "--latency", "--timeout", "10s"]
    for k, v in (headers or {}).items():
        argv += ["-H", "%s: %s" % (k, v)]
    argv += ["-s", os.path.join(lua_dir, script), url]
    if args:
        argv += ["--"] + [str(a) for a in args]
    with open(out, "w+") as f:
        rc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=f,
                            stderr=subprocess.STDOUT,
                            env=dict(os.environ, CHARON_BENCH_LUA=lua_dir)
                            ).returncode
        f.seek(0)
        return judge(f.read(), rc)


class Rounds:
    """Runs of one figure added up, as if they were one: requests per
    second over the whole time, the worst p50 and p99, failed if any
    failed."""

    def __init__(self):
        self.requests = self.seconds = 0.0
        self.p50_ms = self.p99_ms = 0.0
        self.failed = False

    def add(self, requests, seconds, p50_ms=0.0, p99_ms=0.0, failed=False):
        self.requests += requests
        self.seconds += seconds
        self.p50_ms = max(self.p50_ms, p50_ms)
        self.p99_ms = max(self.p99_ms, p99_ms)
        self.failed = self.failed or failed

    def add_run(self, r):
        self.add(r.requests, r.duration, r.p50_ms, r.p99_ms, r.failed)

    @property
    def rps(self):
        return self.requests / self.seconds if self.seconds > 0 else 0.0
