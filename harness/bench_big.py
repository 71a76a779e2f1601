"""The big tables, as the benchmark runs them: through the big-table
benchmark's own entry point, python3 -m harness.bigtables, in a process of
its own (it loads beside the soak, and stops its own servers on SIGTERM),
which starts what it needs itself and prints its rows as ``row|...``
lines, collected here.

Big tables take minutes to load, and the soak minutes to run; neither is a
speed figure (the soak measures growth), so on PostgreSQL they run side by
side: PostgreSQL is measured last, its big tables load while its soak runs
(CHARON_BIGT_WAIT_FOR: the file that says the soak is over), and they are
measured once everything else is done. The others' big tables are in
`make bench-bigtables` (CHARON_BENCH_BIGTABLES=all: after everything else).
"""

import os
import signal
import subprocess
import sys

from . import bench_report, proc

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "big tables (10M executions, 50M messages)"
TARGET = "within 1.2x"


class BigTables:
    """The big tables of one run of the benchmark b (its options, rows,
    failures, log directory)."""

    def __init__(self, b, work):
        self.b, self.o = b, b.o
        self.cmd = [sys.executable, "-m", "harness.bigtables"]
        self.go = os.path.join(work, "bigtables-go")
        self.out = os.path.join(self.o.logdir, "bigtables.txt")
        self.running = None     # (process, cleanup handle)
        o = self.o
        self.beside_soak = (o.mode != "smoke"
                            and o.bigtables not in ("0", "all")
                            and "pgsql" in o.dbs)

    def launch(self, dbs, wait_for=False):
        """Start it on dbs, its output in the log directory; wait_for: it
        loads, then waits for self.go before measuring. On an abort it gets
        SIGTERM, and stops its own servers."""
        env = dict(os.environ)
        if wait_for:
            self.b.say("big tables: loading beside the soak (measured after "
                       "it)")
            env["CHARON_BIGT_WAIT_FOR"] = self.go
            env.setdefault("CHARON_BIGT_LOAD_BUDGET",
                           "60" if self.o.mode == "quick" else "300")
        quick = ["--quick"] if self.o.mode == "quick" else []
        with open(self.out, "w") as out:
            p = subprocess.Popen(self.cmd + quick + dbs, cwd=TOP, env=env,
                                 stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT,
                                 start_new_session=True)
        self.running = (p, proc.cleanup.push(_stop, p))

    def finish(self):
        """The big tables' rows: loaded beside PostgreSQL's soak, or run
        now, or a "not measured" row."""
        b, o = self.b, self.o
        reason = None
        if self.running:
            for d in o.dbs:
                if d != "pgsql":
                    b.row(NAME, "not measured here: make bench-bigtables", "-",
                          "-", TARGET, "report", db=d)
            open(self.go, "w").close()
        elif o.mode == "smoke":
            reason = "--smoke"
        elif o.bigtables == "0":
            reason = "CHARON_BENCH_BIGTABLES=0"
        else:
            # CHARON_BENCH_BIGTABLES=all, or no PostgreSQL: every database
            # named, after everything else.
            self.launch(o.dbs)
        if reason:
            b.row(NAME, "not measured (%s)" % reason, "-", "-", TARGET,
                  "report", db="all")
            return
        p, handle = self.running
        rc = p.wait()
        proc.cleanup.done(handle, run=False)
        self.collect(rc)

    def collect(self, rc):
        """Its rows into the table; a failure or no row fails the run."""
        b = self.b
        name = "harness.bigtables"
        with open(self.out, errors="replace") as f:
            text = f.read()
        rows = [r for r in map(bench_report.parse_row, text.splitlines()) if r]
        for m, d, *rest in rows:
            b.row(m, *rest, db=d)
        if rc != 0:
            b.fail("%s exited %d: %s" % (name, rc, " ".join(
                proc.tail(text, 3).split("\n"))))
        if not rows:
            b.fail("%s printed no row" % name)
            b.row("big tables", "no figure", "-", "-", TARGET, "ERROR",
                  db="all")


def _stop(p):
    """SIGTERM to the big-table benchmark, which then stops its servers;
    what is left of it after two minutes is killed."""
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(120)
        except subprocess.TimeoutExpired:
            pass
    proc.stop_group(p.pid, ((signal.SIGKILL, 5),))
