"""What a PostgreSQL failover does to mod_charon and its commits: probes.

  python3 -m harness.pg_failover [module] [syncrep] [knobs] [timings]
                                 [--rounds N]

Each part starts its own pg_replica.Pair (primary "a", synchronous standby
"b"), crashes a (SIGKILL), promotes b and prints what it saw, with times;
everything it starts is stopped at the end, also on failure. Default: all
four. The module part needs .libs/mod_charon.so (make all).

  module   httpd with the module on the pair's multi-host DBDParams: GET
           can-start every 25 ms across the crash and the promotion (when
           the first 200 comes back), then a POST start on the promoted
           node, which still names the dead one in synchronous_standby_
           names: does the module's statement_timeout (5 s) end it?
  syncrep  psql as charon on that promoted node, statement_timeout=2s
           (PGOPTIONS): an autocommit INSERT and BEGIN/INSERT/COMMIT, each
           ended by pg_cancel_backend, by SIGINT to psql (its Ctrl-C), or
           by pg_terminate_backend; what the client gets, whether the row
           is there.
  knobs    what bounds the wait without the module: synchronous_commit =
           local (session, transaction), ANY 1 (a, b), emptying
           synchronous_standby_names while a commit waits; a frozen node
           (SIGSTOP) against tcp_user_timeout and connect_timeout.
  timings  --rounds times: pair start, kill, promote, and how long libpq's
           multi-host conninfo (target_session_attrs=read-write) takes to
           reach the new primary, probed with psql every 50 ms.

The findings they support are in the issue's notes; this is how to see
them again.
"""

import argparse
import os
import re
import signal
import subprocess
import threading
import time

from . import httpd, pg_replica, proc
from .proc import Failure

say = proc.say_as("pg_failover")
TOP = pg_replica.TOP
PSQL = os.path.join(pg_replica.db.PG_BIN, "psql")
PARTS = ("module", "syncrep", "knobs", "timings")
HOLD = 5.0      # how long a commit is left waiting before it is ended


def out(text=""):
    print(text, flush=True)


def show(text, indent="    "):
    for line in text.rstrip("\n").split("\n"):
        out(indent + line)


# -------------------------------------------------------------- clients ---

def psql(conninfo, sql, timeout=15, options=None):
    """psql with a conninfo (run as us: a client needs no OS user), sql on
    its stdin; (exit status or 'timeout', output, seconds)."""
    env = dict(os.environ)
    if options:
        env["PGOPTIONS"] = options
    t0 = proc.now()
    try:
        p = proc.run([PSQL, "-X", "-At", conninfo], input=sql, check=False,
                     merge=True, env=env, timeout=timeout)
        return p.returncode, p.stdout, proc.now() - t0
    except subprocess.TimeoutExpired as e:
        got = e.output or ""
        return "timeout", got.decode() if isinstance(got, bytes) else got, \
            proc.now() - t0


class Session:
    """psql in the background as charon, reading statements from us; its
    output (with \\timing) goes to a file, read as it comes."""

    def __init__(self, work, pair, node, name, options=None, extra=None):
        self.name = name
        self.file = os.path.join(work, name + ".out")
        env = dict(os.environ, PGAPPNAME=name)
        if options:
            env["PGOPTIONS"] = options
        conninfo = pair.conninfo([node], **(extra or {}))
        with open(self.file, "w") as f:
            self.p = proc.spawn([PSQL, "-X", "-e", conninfo],
                                stdin=subprocess.PIPE, stdout=f,
                                stderr=subprocess.STDOUT, env=env)
        self.send("\\timing on\n")

    def send(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def output(self):
        with open(self.file, errors="replace") as f:
            return f.read()

    def wait_for(self, pattern, timeout, start=0):
        """Seconds until pattern appears in the output after offset start,
        or None."""
        t0 = proc.now()
        while proc.now() - t0 < timeout:
            if re.search(pattern, self.output()[start:]):
                return proc.now() - t0
            if self.p.poll() is not None:
                return (proc.now() - t0) if re.search(
                    pattern, self.output()[start:]) else None
            time.sleep(0.01)
        return None

    def close(self, timeout=5):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        return proc.finish(self.p, timeout)


def activity(node, appname):
    """(pid, state, wait_event_type, wait_event, seconds in this query) of
    a session by application_name."""
    rows = node.query(
        "SELECT pid, state, coalesce(wait_event_type, '-'), "
        "coalesce(wait_event, '-'), round(extract(epoch FROM now() - "
        "query_start)::numeric, 2) FROM pg_stat_activity WHERE "
        "application_name = '%s'" % appname, "postgres")
    return rows[0] if rows else None


# --------------------------------------------------------------- module ---

class Poller(threading.Thread):
    """GET can-start every interval until told to stop; (sent, done,
    status) of each, times from proc.now()."""

    def __init__(self, h, key, path, interval=0.025):
        super().__init__(daemon=True)
        self.h, self.key, self.path, self.interval = h, key, path, interval
        self.seen = []
        self.halt = threading.Event()

    def run(self):
        while not self.halt.is_set():
            t0 = proc.now()
            st, _ = self.h.request("GET", self.h.base + self.path,
                                   {"X-API-KEY": self.key}, timeout=10)
            self.seen.append((t0, proc.now(), st))
            time.sleep(self.interval)


def runs(seen, origin):
    """The statuses as runs: [(status, count, first sent, last done)]."""
    out_ = []
    for t0, t1, st in seen:
        if out_ and out_[-1][0] == st:
            s, n, a, _ = out_[-1]
            out_[-1] = (s, n + 1, a, t1 - origin)
        else:
            out_.append((st, 1, t0 - origin, t1 - origin))
    return out_


def part_module(work, gap=1.0):
    out("== module: mod_charon on the pair's multi-host DBDParams")
    r = pg_replica.Pair(os.path.join(work, "pair-module"))
    r.start()
    cron_id = r.primary.value(
        "INSERT INTO charon_cron (slug, name, active) VALUES ('fo-1', "
        "'Failover probe', TRUE) RETURNING id")
    key = proc.random_password(16)
    module = httpd.copy_module(TOP, work)
    h = httpd.Httpd(os.path.join(work, "httpd"), module,
                    httpd.event_mpm(1, 8)
                    + httpd.dbd("pgsql", r.dbd_params(), keep=2, max=4,
                                exptime=60)
                    + httpd.api_location([("probe", key)]),
                    log_level="warn charon:debug",
                    writer="harness/pg_failover.py")
    h.start()
    out("DBDParams \"%s\"" % r.dbd_params().replace(r.password, "<password>"))
    st, body = h.request("GET", h.base + "fo-1/can-start",
                         {"X-API-KEY": key})
    out("GET /api/fo-1/can-start before the crash: %s %s"
        % (st, body.decode(errors="replace").strip()))
    for n in r.nodes:
        out("  charon's connections on %s (port %d): %s" % (
            n.name, n.port, n.value("SELECT count(*) FROM pg_stat_activity "
                                    "WHERE usename = 'charon'", "postgres")))
    log_fail = h.log_size()
    poll = Poller(h, key, "fo-1/can-start")
    poll.start()
    time.sleep(0.5)
    t_kill = proc.now()
    r.kill_primary()
    t_killed = proc.now()
    time.sleep(gap)          # no primary meanwhile: what do requests get?
    t_ctl0 = proc.now()
    r.promote()
    t_prom = proc.now()
    first = None
    end = proc.now() + 30
    while proc.now() < end:
        ok = [s for s in poll.seen if s[2] == 200 and s[0] >= t_ctl0]
        if ok:
            first = ok[0]
            break
        time.sleep(0.05)
    time.sleep(1)
    poll.halt.set()
    poll.join()
    out("kill: SIGKILL at +0.000, processes gone at +%.3f; pg_ctl promote "
        "began at +%.3f, the promoted node took writes at +%.3f"
        % (t_killed - t_kill, t_ctl0 - t_kill, t_prom - t_kill))
    out("GET can-start every 25 ms (status, count, first sent, last answered,"
        " s from the kill):")
    for st, n, a, b in runs(poll.seen, t_kill):
        out("    %-5s x%-4d %+8.3f .. %+8.3f" % (st, n, a, b))
    said = {}
    for ln in h.log_since(log_fail).split("\n"):
        m = re.search(r"\] (AH\d+|\w+:\s)?(.*)", ln)
        if ln.strip() and m:
            msg = re.sub(r"\d+", "N", re.sub(r"^.*?\] ", "", ln))[:420]
            msg = re.sub(r"^\[client [^]]*\] ", "", msg)
            said[msg] = said.get(msg, 0) + 1
    out("error_log meanwhile (count, line with digits as N):")
    for msg, n in sorted(said.items(), key=lambda kv: -kv[1])[:8]:
        out("    %4d %s" % (n, msg))
    if first:
        out("first 200 of a request sent after pg_ctl promote began: "
            "answered %.3f s after it began, %.3f s after the kill"
            % (first[1] - t_ctl0, first[1] - t_kill))
    else:
        out("no 200 within 30 s of the promotion")
    for n in r.nodes:
        if n.running():
            out("  charon's connections on %s now: %s" % (n.name, n.value(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = "
                "'charon'", "postgres")))

    # Writes on the promoted node, which waits for the dead one.
    out("\nPOST /api/%s/start on %s (synchronous_standby_names = %s), each "
        "left 8 s (the module's statement_timeout is 5 s), then:"
        % (cron_id, r.primary.name,
           r.primary.value("SHOW synchronous_standby_names", "postgres")))
    for how in ("cancel", "terminate", "clear"):
        module_write(r, h, key, cron_id, how)
    h.stop()
    r.stop()


def module_write(r, h, key, cron_id, how, hold=8.0):
    """One POST start left waiting hold s, then its backend cancelled
    (pg_cancel_backend), terminated, or released by emptying
    synchronous_standby_names (clear): what the client gets, what the
    database holds, what error_log says."""
    log_at = h.log_size()
    before = int(r.primary.value("SELECT count(*) FROM charon_execution"))
    res = {}

    def post():
        t0 = proc.now()
        res["status"], res["body"] = h.request(
            "POST", h.base + "%s/start" % cron_id, {"X-API-KEY": key},
            timeout=60)
        res["took"] = proc.now() - t0
    t_post = proc.now()
    th = threading.Thread(target=post, daemon=True)
    th.start()
    th.join(hold)
    waiting = r.primary.query(
        "SELECT pid, wait_event, round(extract(epoch FROM now() - "
        "query_start)::numeric, 2) FROM pg_stat_activity WHERE usename = "
        "'charon' AND wait_event = 'SyncRep'", "postgres")
    st, _ = h.request("GET", h.base + "fo-1/can-start", {"X-API-KEY": key})
    out("\n  %s: after %.1f s answered: %s; charon's backends in SyncRep "
        "(pid, event, s): %s; a GET can-start meanwhile: %s"
        % (how, proc.now() - t_post, "status" in res, waiting, st))
    t_end = proc.now()
    if how == "clear":
        r.primary.psql(["-q", "-c", "ALTER SYSTEM SET "
                        "synchronous_standby_names = ''",
                        "-c", "SELECT pg_reload_conf()"],
                       database="postgres", quiet=True)
    else:
        for pid, _, _ in waiting:
            r.primary.query("SELECT pg_%s_backend(%s)" % (how, pid),
                            "postgres")
    th.join(30)
    if "status" in res:
        body = res["body"]
        body = body.decode(errors="replace") if isinstance(body, bytes) \
            else body
        out("  the POST answered %s %s, %.3f s after the %s began"
            % (res["status"], " ".join(body.split())[:160],
               res["took"] - (t_end - t_post), how))
    else:
        out("  the POST still had no answer 30 s after the %s" % how)
    out("  executions in the database: %d more"
        % (int(r.primary.value("SELECT count(*) FROM charon_execution"))
           - before))
    lines = [re.sub(r"^\[[^]]*\] ", "", ln)[:300]
             for ln in h.log_since(log_at).split("\n")
             if re.search(r"timeout|cancel|statement|error|warn", ln, re.I)]
    out("  error_log lines about timeouts/cancels/errors: %d" % len(lines))
    for ln in lines[:6]:
        show(ln, "      ")


# -------------------------------------------------------------- syncrep ---

INSERT = "INSERT INTO probe (id, how) VALUES (%d, '%s');\n"


def stuck_pair(work, name):
    """A pair whose primary has been killed and standby promoted without
    touching synchronous_standby_names: the state of the issue. With the
    table probe, made (and replicated) before the crash."""
    r = pg_replica.Pair(os.path.join(work, name))
    r.start()
    r.primary.psql(["-q", "-c", "CREATE TABLE probe (id int PRIMARY KEY, "
                    "how text, at timestamptz DEFAULT now())"],
                   user="charon", quiet=True)
    rc, text, took = psql(r.conninfo([r.primary]),
                          "\\timing on\n" + INSERT % (0, "before the crash"))
    out("before the crash, one INSERT on %s with its sync standby: %s"
        % (r.primary.name, " ".join(text.split())))
    r.kill_primary()
    r.promote()
    out("after kill + promote: %s is read-write, synchronous_standby_names "
        "= '%s', pg_stat_replication rows: %s" % (
            r.primary.name,
            r.primary.value("SHOW synchronous_standby_names", "postgres"),
            r.primary.value("SELECT count(*) FROM pg_stat_replication",
                            "postgres")))
    return r


def end_wait(r, s, how):
    """End the session's wait: cancel, sigint (psql's Ctrl-C: it sends a
    cancel request) or terminate."""
    pid = activity(r.primary, s.name)[0]
    if how == "cancel":
        r.primary.query("SELECT pg_cancel_backend(%s)" % pid, "postgres")
    elif how == "terminate":
        r.primary.query("SELECT pg_terminate_backend(%s)" % pid, "postgres")
    elif how == "sigint":
        os.kill(s.p.pid, signal.SIGINT)


def case(work, r, n, label, script, how, options="-c statement_timeout=2s"):
    """One waiting commit, left HOLD s, then ended by how."""
    name = "case%d" % n
    out("\n-- case %d: %s, %s, ended by %s" % (n, label, options, how))
    s = Session(work, r, r.primary, name, options=options)
    s.send("SHOW statement_timeout;\n" + script.replace("ID", str(n)))
    t0 = proc.now()
    time.sleep(HOLD)
    act = activity(r.primary, name)
    out("after %.1f s: pg_stat_activity (pid, state, wait type, wait event, "
        "s in query): %s" % (proc.now() - t0, act))
    mark = len(s.output())
    t1 = proc.now()
    end_wait(r, s, how)
    took = s.wait_for(r"Time: |server closed|terminat", 10, mark)
    took = None if took is None else proc.now() - t1
    # then one more statement, to see whether the session still works
    try:
        s.send("SELECT 'session still usable';\n")
    except OSError:
        pass
    time.sleep(0.3)
    rc = s.close()
    out("ended: the client saw the end %s after the %s began; psql exit %s"
        % ("%.3f s" % took if took is not None else "never (10 s)", how, rc))
    show(s.output())
    out("row %d visible on %s: %s" % (n, r.primary.name, r.primary.value(
        "SELECT count(*) FROM probe WHERE id = %d" % n)))


def part_syncrep(work):
    out("== syncrep: statement_timeout, cancel and terminate against a "
        "commit waiting for a standby that is gone")
    r = stuck_pair(work, "pair-syncrep")
    # The control: the timeout does end a statement that is running.
    rc, text, took = psql(r.conninfo([r.primary]),
                          "\\timing on\nSELECT pg_sleep(10);\n",
                          options="-c statement_timeout=2s")
    out("\n-- control: SELECT pg_sleep(10) with statement_timeout=2s: exit "
        "%s after %.2f s" % (rc, took))
    show(text)
    auto = INSERT % (0, "autocommit")
    auto = auto.replace("(0,", "(ID,")
    block = "BEGIN;\n" + INSERT.replace("%d", "ID") % "in a block" \
        + "COMMIT;\n"
    n = 1
    for how in ("cancel", "sigint", "terminate"):
        case(work, r, n, "autocommit INSERT", auto, how)
        case(work, r, n + 1, "BEGIN; INSERT; COMMIT", block, how)
        n += 2
    r.stop()


# ---------------------------------------------------------------- knobs ---

def timed_insert(work, r, n, pre, label, post="", hold=HOLD, verbose=False):
    """An INSERT between the statements pre and post, in a session: how
    long until its commit returned, or None when still waiting after hold
    s (then it is cancelled)."""
    name = "knob%d" % n
    done = r"(?m)^COMMIT$" if post else r"(?m)^INSERT 0 1$"
    s = Session(work, r, r.primary, name)
    s.send(pre + INSERT % (n, label.replace("'", "''")) + post)
    took = s.wait_for(done, hold)
    act = None
    if took is None:
        act = activity(r.primary, name)
        end_wait(r, s, "cancel")
        s.wait_for(done, 5)
    s.close()
    times = re.findall(r"Time: ([0-9.]+ ms)", s.output())
    out("  %-55s %s" % (label, ("%s (psql's Time: %s)" % (
        "%.3f s" % took, ", ".join(times)) if took is not None else
        "still waiting after %.0f s %s; cancelled" % (hold, act))))
    if took is None or verbose:
        show(s.output(), "      ")
    return took


def part_knobs(work):
    out("== knobs: what bounds the wait without the module")
    r = stuck_pair(work, "pair-knobs")
    timed_insert(work, r, 10, "", "plain INSERT (synchronous_commit = on)")
    timed_insert(work, r, 11, "SET synchronous_commit = local;\n",
                 "SET synchronous_commit = local; INSERT")
    timed_insert(work, r, 12, "BEGIN;\nSET LOCAL synchronous_commit = local;\n",
                 "BEGIN; SET LOCAL synchronous_commit = local; INSERT; "
                 "COMMIT", post="COMMIT;\n")
    for names in ("ANY 1 (a, b)", "FIRST 1 (a, b)", "*"):
        r.primary.psql(["-q", "-c", "ALTER SYSTEM SET "
                        "synchronous_standby_names = '%s'" % names,
                        "-c", "SELECT pg_reload_conf()"],
                       database="postgres", quiet=True)
        time.sleep(0.3)
        timed_insert(work, r,
                     13 + ("ANY", "FIRST", "*").index(names.split()[0]),
                     "", "synchronous_standby_names = '%s'" % names)

    out("\n  emptying synchronous_standby_names while an INSERT waits:")
    s = Session(work, r, r.primary, "knob20")
    s.send(INSERT % (20, "released by the reload"))
    time.sleep(2)
    out("    after 2 s: %s" % (activity(r.primary, "knob20"),))
    t0 = proc.now()
    r.primary.psql(["-q", "-c", "ALTER SYSTEM SET synchronous_standby_names "
                    "= ''", "-c", "SELECT pg_reload_conf()"],
                   database="postgres", quiet=True)
    got = s.wait_for(r"(?m)^INSERT 0 1$", 10)
    took = proc.now() - t0 if got is not None else None
    s.close()
    out("    the waiting INSERT returned %s after ALTER SYSTEM + "
        "pg_reload_conf() began" % ("%.3f s" % took if took is not None
                                    else "never (10 s)"))
    show(s.output(), "      ")
    timed_insert(work, r, 21, "", "next INSERT, names emptied")
    r.stop()

    out("\n  a frozen node (SIGSTOP: the kernel still answers TCP):")
    r = pg_replica.Pair(os.path.join(work, "pair-frozen"))
    r.start()
    a = r.primary
    s = Session(work, r, a, "frozen1", extra={"tcp_user_timeout": 2000,
                                               "keepalives_idle": 1,
                                               "keepalives_interval": 1,
                                               "keepalives_count": 2})
    s.send("SELECT 'connected';\n")
    s.wait_for(r"(?m)^ +connected *$", 5)
    a.freeze()
    mark = len(s.output())
    s.send("SELECT 'answered';\n")
    took = s.wait_for(r"(?m)^ +answered *$|closed|timed out", 10, mark)
    out("    an open connection (tcp_user_timeout=2000, keepalives 1 s x2) "
        "to the frozen primary, SELECT: %s" % (
            "ended after %.2f s: %s" % (took, " ".join(
                s.output()[mark:].split())[:200]) if took is not None else
            "no answer, no error after 10 s"))
    r.promote()
    for extra in ({"connect_timeout": 2}, {}):
        ci = r.conninfo(target_session_attrs="read-write", **extra)
        rc, text, took = psql(ci, "SELECT inet_server_port();\n", timeout=10)
        out("    a new connection host=a,b %s: %s after %.2f s: %s" % (
            " ".join("%s=%s" % kv for kv in extra.items()) or
            "(no connect_timeout)", "exit %s" % rc if rc != "timeout"
            else "still connecting (killed)", took,
            " ".join(text.split())[:160] or "-"))
    a.thaw()
    s.close()
    r.stop()


# -------------------------------------------------------------- timings ---

def part_timings(work, rounds, gap=1.0):
    out("== timings: %d rounds of start, kill, promote, multi-host reconnect"
        % rounds)
    for i in range(rounds):
        r = pg_replica.Pair(os.path.join(work, "pair-t%d" % i))
        r.start()
        ci = r.dbd_params()
        seen = []
        halt = threading.Event()

        def probe():
            while not halt.is_set():
                t0 = proc.now()
                rc, text, _ = psql(ci, "SELECT inet_server_port();\n",
                                   timeout=10)
                seen.append((t0, proc.now(), rc, text.strip()))
                time.sleep(0.05)
        th = threading.Thread(target=probe, daemon=True)
        th.start()
        time.sleep(0.5)
        t_kill = proc.now()
        r.kill_primary()
        t_killed = proc.now()
        # what a failover tool would take to notice: meanwhile, libpq
        # finds a refused and b read-only
        time.sleep(gap)
        t_ctl0 = proc.now()
        r.promote()
        t_prom = proc.now()
        b_port = str(r.primary.port)
        end = proc.now() + 20
        first = None
        while proc.now() < end and not first:
            ok = [s for s in seen if s[2] == 0 and s[3] == b_port]
            first = ok[0] if ok else None
            time.sleep(0.02)
        halt.set()
        th.join()
        fails = [s for s in seen if s[2] != 0]
        errs = sorted(set(re.sub(r"\d+", "N", " ".join(s[3].split()))[:400]
                          for s in fails))
        out("round %d: start %.2f s (primary %.2f + standby %.2f); kill "
            "%.3f s; %.1f s later pg_ctl promote -w took %.3f s, writes "
            "accepted after %.3f s; the first connect to the new primary "
            "was answered %.3f s after pg_ctl promote began; attempts that "
            "failed: %d, each %.3f s at most" % (
                i + 1, r.timings["start"], r.timings["primary"],
                r.timings["standby"], t_killed - t_kill, gap,
                r.timings["pg_ctl promote"], t_prom - t_ctl0,
                first[1] - t_ctl0 if first else float("nan"), len(fails),
                max([s[1] - s[0] for s in fails] or [0])))
        for e in errs:
            out("    failed with: %s" % e)
        r.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("parts", nargs="*", help="%s (default: all)"
                    % ", ".join(PARTS))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--gap", type=float, default=1.0,
                    help="seconds between the kill and pg_ctl promote "
                    "(module, timings; default 1)")
    o = ap.parse_args()
    parts = o.parts or PARTS
    for p in parts:
        if p not in PARTS:
            raise proc.Usage("unknown part %r (%s)" % (p, ", ".join(PARTS)))
    if "module" in parts and not os.path.isfile(
            os.path.join(TOP, ".libs", "mod_charon.so")):
        raise Failure(".libs/mod_charon.so is missing: run make all")
    # httpd's children (www-data) and postgres must reach what is below
    work = proc.temp_dir("pgfo", 0o755)
    t0 = proc.now()
    for part in PARTS:
        if part in parts:
            if part == "timings":
                part_timings(work, o.rounds, o.gap)
            elif part == "module":
                part_module(work, o.gap)
            else:
                globals()["part_" + part](work)
            out()
    out("pg_failover: done in %s s" % proc.elapsed(t0))
    return 0


if __name__ == "__main__":
    proc.main("pg_failover", main)
