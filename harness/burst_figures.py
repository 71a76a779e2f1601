"""The minute-0 burst's figures (harness.bench_burst), free of processes
and servers so that harness/tests/test_bench_burst.py can check them: how
the burst and the reference are shared out, what ab, pgbench and the
clients print, where the latencies fall, and issue 18's targets for
SQLite.
"""

import re

from . import sqldump

REF_TAG = "burst-ref"           # the reference client's executions' api_key
TARGET_P99_MS = 250.0
TARGET_WALL_X_PG = 1.5


def split(total, parts):
    """total shared into parts whole numbers that differ by one at most,
    the larger first."""
    q, r = divmod(total, parts)
    return [q + 1 if i < r else q for i in range(parts)]


def plan(requests, clients, processes):
    """The ab processes: [(cron id, requests, clients)], each on a cron of
    its own (1, 2, ...), as many as asked or as there are clients,
    whichever is fewer; each has at least as many requests as clients
    (requests >= clients)."""
    n = min(processes, clients)
    return list(zip(range(1, n + 1), split(requests, n), split(clients, n)))


def shares(requests, clients):
    """[(first request index, how many)] of each reference client."""
    out, first = [], 0
    for n in split(requests, clients):
        out.append((first, n))
        first += n
    return out


_AB_NUM = {"complete": r"^Complete requests:\s*(\d+)",
           "failed": r"^Failed requests:\s*(\d+)",
           "non2xx": r"^Non-2xx responses:\s*(\d+)",
           "write_errors": r"^Write errors:\s*(\d+)",
           "seconds": r"^Time taken for tests:\s*([0-9.]+) seconds"}


def parse_ab(text):
    """ab's report: complete, failed, non2xx, write_errors (ints; what ab
    left out, 0), seconds (float), and the breakdown of the failures
    (text, '' when none); None when there is no report."""
    if not re.search(_AB_NUM["complete"], text, re.M):
        return None
    out = {}
    for k, pattern in _AB_NUM.items():
        m = re.search(pattern, text, re.M)
        out[k] = (float if k == "seconds" else int)(m.group(1)) if m else 0
    m = re.search(r"^\s*\((Connect: .*?)\)\s*$", text, re.M)
    out["breakdown"] = m.group(1) if m else ""
    return out


def parse_gnuplot(text):
    """The time of each request (ms, connect to last byte: ttime) of an
    ab -g file."""
    out = []
    for line in text.splitlines()[1:]:
        f = line.split("\t")
        if len(f) >= 6 and f[4].strip().isdigit():
            out.append(int(f[4]))
    return out


def parse_pgbench_log(text):
    """Each transaction's latency (ms) of a pgbench --log file (client,
    transaction, latency in us, script, epoch, us)."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 6 and f[2].isdigit():
            out.append(int(f[2]) / 1000.0)
    return out


_SQLITE_TIMER = re.compile(r"^Run Time: real ([0-9.]+)", re.M)
_MARIADB_TIMER = re.compile(r"(?:rows? in set|Empty set|Query OK, \d+ rows? "
                            r"affected) \(([0-9.]+) sec\)")


def client_latencies(kind, text, last):
    """The time (ms) of the last `last` statements the client timed:
    sqlite3's .timer lines, mariadb -vvv's '(0.001 sec)'."""
    pattern = _SQLITE_TIMER if kind == "sqlite" else _MARIADB_TIMER
    got = [float(x) * 1000.0 for x in pattern.findall(text)]
    return got[-last:] if last else []


def client_scripts(kind, dialect, requests, clients, crons, sqlite_sync):
    """Each reference client's script (bytes): the connection's settings
    as the module's (the dialect's init statements; SQLite: the
    benchmark's DBDInitSQL, then .timer on), then its share of the
    module's START statement, the crons 1..crons taken in turn over all
    clients."""
    head = [l + ";" for l in dialect.init]
    if kind == "sqlite":
        head += ["PRAGMA synchronous = %s;" % sqlite_sync, ".timer on"]
    st = dialect.sql["ST_START"]
    out = []
    for first, n in shares(requests, clients):
        lines = head + [sqldump.bind(st, [REF_TAG, "127.0.0.1",
                                          1 + (first + i) % crons]) + ";"
                        for i in range(n)]
        out.append(("\n".join(lines) + "\n").encode())
    return out


def client_errors(kind, text):
    """The statements the client reports as failed (its stderr)."""
    if kind == "mysql":
        return len(re.findall(r"^ERROR \d+", text, re.M))
    return len(re.findall(r"^(?:Error|Runtime error|Parse error)\b", text,
                          re.M))


SPREAD_MS = (100, 200, 300, 500, 1000)


def spread(latencies, edges=SPREAD_MS):
    """Where the latencies (ms) fall between edges: text such as
    '<100 ms 91.2%, 100-199 6.0%, 500-999 0.05%, >=1000 0.1%', empty bins
    left out.  (apr_dbd_sqlite3 sleeps 100 ms on a locked database: its
    waits are the steps of 100 ms.)"""
    if not latencies:
        return "-"
    bins = [0] * (len(edges) + 1)
    for x in latencies:
        bins[next((i for i, e in enumerate(edges) if x < e), len(edges))] += 1
    out = []
    for i, n in enumerate(bins):
        if not n:
            continue
        label = ("<%d ms" % edges[0] if i == 0 else ">=%d" % edges[-1]
                 if i == len(edges) else "%d-%d" % (edges[i - 1],
                                                    edges[i] - 1))
        pct = 100.0 * n / len(latencies)
        out.append("%s %.*f%%" % (label, 1 if pct >= 0.1 else 2, pct))
    return ", ".join(out)


def sqlite_targets(wall, p99_ms, non2xx, pg_wall):
    """(what each of issue 18's targets came to, verdict): p99 under
    250 ms, no answer other than 2xx, a wall time at most 1.5 times
    PostgreSQL's (pg_wall None: not measured in this run, so not
    judged)."""
    parts, met = [], True
    ok = p99_ms < TARGET_P99_MS
    met &= ok
    parts.append("p99 < %.0f ms: %s (%s)" % (TARGET_P99_MS,
                                             "yes" if ok else "no",
                                             ms(p99_ms)))
    ok = non2xx == 0
    met &= ok
    parts.append("0 non-2xx: %s (%d)" % ("yes" if ok else "no", non2xx))
    if pg_wall:
        x = wall / pg_wall
        ok = x <= TARGET_WALL_X_PG
        met &= ok
        parts.append("wall <= %.1fx PostgreSQL's: %s (%.2fx)" % (
            TARGET_WALL_X_PG, "yes" if ok else "no", x))
    else:
        parts.append("wall <= %.1fx PostgreSQL's: not judged (PostgreSQL "
                     "not measured)" % TARGET_WALL_X_PG)
    return "; ".join(parts), "ok" if met else "below"


def log_codes(text):
    """{CHARONnnn: count} of the module's lines in an error_log."""
    out = {}
    for code in re.findall(r"\b(CHARON\d+)", text):
        out[code] = out.get(code, 0) + 1
    return out


def ms(x):
    """A latency as text: whole ms from 10 ms on, one decimal from 1 ms,
    two below; 0 is what a client that times to the millisecond (ab,
    sqlite3, mariadb) rounds a shorter time to."""
    if x == 0:
        return "<0.5 ms"
    return "%.*f ms" % (0 if x >= 10 else 1 if x >= 1 else 2, x)
