"""The soak: what a cron job does, over and over, and whether httpd grows.

cycle.lua (can-start, start, message, end; one connection per wrk thread)
runs n requests in all, after everything else (pools full, every code path
taken): a sample of every httpd child (VmRSS, open fds) and of the
database's connections at the start, after half the requests, at the end.
Rows: the RSS of the child that grew most (< 1 MiB), the open fds (the
most of any child: no growth), the connections (no growth).
"""

from . import stats
from .bench_report import verdict


def soak_seconds(n, rate):
    """Seconds for n requests at rate requests per second (at least 1)."""
    return max(1, int(n / (rate if rate > 0 else 1) + 0.5))


def first_rate(can, start, message, end, fallback):
    """The rate of a cycle's mix, from the four endpoints' rates at c32
    (their harmonic mean), else fallback (the warm-up's cycle rate)."""
    rates = (can, start, message, end)
    if all(r > 0 for r in rates):
        return 4 / sum(1 / r for r in rates)
    return fallback


def growth(samples):
    """From three samples [(pid, rss KiB, fds)] (start, middle, end):
    (children in all three, children missing from one, start/middle/end
    RSS of the child that grew most, and the most open fds of any child at
    start, middle and end)."""
    by_pid = {}
    for i, sample in enumerate(samples):
        for pid, rss, fds in sample:
            by_pid.setdefault(pid, [None] * len(samples))[i] = (rss, fds)
    stayed, gone, rss, fds, most = 0, 0, (0, 0, 0), [None] * 3, None
    for pid in sorted(by_pid):
        x = by_pid[pid]
        if None in x:
            gone += 1
            continue
        stayed += 1
        g = x[2][0] - x[0][0]
        if most is None or g > most:
            most, rss = g, (x[0][0], x[1][0], x[2][0])
        fds = [max(f, s[1]) if f is not None else s[1]
               for f, s in zip(fds, x)]
    return stayed, gone, rss, tuple(f or 0 for f in fds)


def soak(b, n):
    """The soak of n requests on the current database of Bench b."""
    rate = first_rate(*(b.rates[ep].get(32, 0) for ep in
                        ("can-start", "start", "message", "end")),
                      fallback=b.cycle_rps)

    def samples():
        if not b.httpd.settle():
            b.say("soak: httpd still holds %d client connections; sampling "
                  "anyway" % b.httpd.open_connections())
        return b.httpd.sample(), b.bdb.conns()

    def run(k, secs):
        return b.wrk("soak-%d" % k, b.o.soak_conns, secs, b.httpd.base,
                     "cycle.lua", [1, b.o.ncrons, "bench-", 1],
                     threads=b.o.soak_conns)

    s0, c0 = samples()
    r = run(1, soak_seconds(n / 2, rate))
    failed, total = r.failed, r.requests
    s1, c1 = samples()
    # The second half, then more (at most twice) while short of n.
    for k in (2, 3, 4):
        r = run(k, soak_seconds(n - total, r.rps))
        failed, total = failed or r.failed, total + r.requests
        if total >= n * 97 // 100:
            break
    s2, c2 = samples()
    b.say("samples (pid:VmRSS KiB:fds): start %s | middle %s | end %s; "
          "connections %s %s %s" % (_show(s0), _show(s1), _show(s2),
                                    c0, c1, c2))
    stayed, gone, (rs, rm, re_), (fs, fm, fe) = growth([s0, s1, s2])
    if stayed == 0 or gone:
        b.fail("soak: %d httpd children came or went during the soak (%d "
               "stayed)" % (gone, stayed))
        failed = True
    b.row("soak: RSS per child, %d requests" % total,
          "middle %d KiB, end %d KiB (%+d KiB)" % (rm, re_, re_ - rs),
          "start %d KiB" % rs, stats.ratio(re_, rs), "< 1 MiB growth",
          verdict(failed, re_ - rs < 1024))
    b.row("soak: open fds per child (max of %d)" % stayed,
          "middle %d, end %d" % (fm, fe), "start %d" % fs,
          stats.ratio(fe, fs), "no growth", verdict(failed, fe <= fs))
    if c0 == "n/a":
        b.row("soak: database connections", "n/a (SQLite: no server)", "-",
              "-", "no growth", "report")
    else:
        b.row("soak: database connections", "middle %s, end %s" % (c1, c2),
              "start %s" % c0, stats.ratio(c2, c0),
              "no growth (DBDMax %d x %d)" % (b.o.dbdmax, b.o.procs),
              verdict(failed, c2 <= c0))


def _show(sample):
    return " ".join("%d:%d:%d" % s for s in sample)
