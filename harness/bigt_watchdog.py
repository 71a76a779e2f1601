"""The times of the watchdog's statements on the big tables, each in a
transaction that is rolled back:

  ST_WD_LOSE       one batch of lost runs, five times
  ST_WD_RETENTION  with keep, max-age and keep-failures of opts (1000, 90 d,
                   10), on one cron with a backlog (its ~10,000 runs, 9000
                   to delete): batch after batch, with their messages, as a
                   tick does, until one deletes less than a batch; and on
                   the crons after it with nothing to delete (all their runs
                   ranked), a tick's worth (RETENTION_CRONS; 5 on MariaDB,
                   whose statements take seconds); and what a tick of
                   RETENTION_CRONS crons like the first would take

PostgreSQL through psql (PREPARE/EXECUTE with the module's parameter types,
\\timing); SQLite through Python's sqlite3 (the system's SQLite, as the
module's driver; values bound as text, as apr_dbd binds them); MariaDB
through its client (PREPARE/EXECUTE USING, timed by the server). The
output goes to <db>-watchdog.txt.
"""

import re
import sqlite3
import time

from . import proc, sqldump, stats
from .bigt_plans import pg_execute, pg_prepare, qmarks
from .proc import Failure

LABELS = ("lose", "backlog", "steady")


class Spec:
    """What to time: the SQL of ST_WD_LOSE and ST_WD_RETENTION and the
    arguments of each run."""

    def __init__(self, big, dialect, opts, dump, args):
        self.lose = dialect.sql.get("ST_WD_LOSE")
        if self.lose is not None and sqldump.placeholders(self.lose):
            self.lose = None            # it now takes arguments: left out
        self.ret = dialect.sql.get("ST_WD_RETENTION", "")
        self.nret = len(sqldump.placeholders(self.ret))
        self.batch = dump.consts.get("BATCH", 1000)
        self.batches = dump.consts.get("MAX_BATCHES", 10)
        self.ret_crons = dump.consts.get("RETENTION_CRONS")
        self.known = self.ret and self.nret == 6
        cron = args.cron_allow
        self.backlog = [str(v) for v in args.retention(cron, opts.keep,
                                                       opts.max_age)]
        # Nothing to delete, everything ranked (keep beyond the cron's runs,
        # max-age off), on the crons after it, each once, as a tick walks
        # them.
        n = 5 if big.kind == "mysql" else (self.ret_crons or 100)
        self.steady = [[str(v) for v in args.retention(c, 100000000, 0)]
                       for c in range(cron + 1, min(cron + n, opts.crons) + 1)]


def parse_psql(text, batch):
    """(label, ms, rows) of psql's output: a '=== label' line, then the
    statement's 'UPDATE n' or 'DELETE n' and its 'Time: ms'; the backlog
    stops after its first batch that deletes less than batch rows."""
    out, label, pending, n, cut = [], None, False, 0, False
    for line in text.split("\n"):
        m = re.match(r"^=== (\w+)", line)
        if m:
            label, pending, n = m.group(1), True, 0
            continue
        if not pending:
            continue
        m = re.match(r"^(?:UPDATE|DELETE) (\d+)", line)
        if m:
            n = int(m.group(1))
            continue
        m = re.match(r"^Time: ([\d.]+) ms", line)
        if m:
            pending = False
            if label == "backlog" and cut:
                continue
            out.append((label, float(m.group(1)), n))
            if label == "backlog" and n < batch:
                cut = True
        elif "ERROR" in line:
            out.append((label, None, 0))
            pending = False
    return out


def time_pgsql(big, spec):
    lines = ["\\pset pager off", "\\timing on"]
    prep, run = pg_prepare, pg_execute
    if spec.lose:
        lines.append(prep("wd_lose", spec.lose))
        for _ in range(5):
            lines += ["BEGIN;", "\\echo '=== lose'", run("wd_lose", []),
                      "ROLLBACK;"]
    if spec.known:
        lines += [prep("wd_ret", spec.ret), "BEGIN;"]
        for _ in range(spec.batches):
            lines += ["\\echo '=== backlog'", run("wd_ret", spec.backlog)]
        lines.append("ROLLBACK;")
        for vals in spec.steady:
            lines += ["BEGIN;", "\\echo '=== steady'", run("wd_ret", vals),
                      "ROLLBACK;"]
        lines += ["\\timing off", "\\echo '--- plan of one retention batch'",
                  "BEGIN;", "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
                  + run("wd_ret", spec.backlog), "ROLLBACK;"]
    if spec.lose:
        lines += ["\\timing off", "\\echo '--- plan of ST_WD_LOSE'", "BEGIN;",
                  "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) "
                  + run("wd_lose", []), "ROLLBACK;"]
    text = big.pg.psql(["-v", "ON_ERROR_STOP=0", "-f", "-"],
                       input="\n".join(lines) + "\n", check=False,
                       merge=True).stdout
    return text, parse_psql(text, spec.batch)


def _runs(spec):
    """(label, sql, values, batches) of each timed statement, for the
    clients that run them one by one."""
    out = []
    if spec.lose:
        out += [("lose", spec.lose, [], 1)] * 5
    if spec.known:
        out.append(("backlog", spec.ret, spec.backlog, spec.batches))
        out += [("steady", spec.ret, v, 1) for v in spec.steady]
    return out


def time_sqlite(big, spec, dialect):
    times, text = [], []
    con = sqlite3.connect(big.files["big"].file, timeout=10,
                          isolation_level=None)
    try:
        for s in dialect.init:
            con.execute(qmarks(s))
        for label, sql, vals, batches in _runs(spec):
            q = qmarks(sql)
            con.execute("BEGIN")
            for _ in range(batches):
                t0 = time.perf_counter()
                try:
                    n = con.execute(q, vals).rowcount
                except sqlite3.Error as e:
                    text.append("%s error %s" % (label, e))
                    times.append((label, None, 0))
                    break
                ms = (time.perf_counter() - t0) * 1000
                n = max(n, 0)
                text.append("%s %.3f %d" % (label, ms, n))
                times.append((label, ms, n))
                if n < spec.batch:
                    break
            con.execute("ROLLBACK")
    finally:
        con.close()
    return "\n".join(text) + "\n", times


def mysql_script(spec):
    """The mariadb client's script: each run prints 'label ms rows'. Each
    transaction is one compound statement, so that the server times the
    statement alone (no round trip, no client) and the backlog stops after
    its first short batch."""
    lines = []
    for i, (label, sql, vals, batches) in enumerate(_runs(spec)):
        names = ["@a%d" % j for j in range(len(vals))]
        lines.append("PREPARE s%d FROM %s;" % (i, sqldump.quote(
            qmarks(sql))))
        lines += ["SET %s = %s;" % (n, sqldump.quote(v))
                  for n, v in zip(names, vals)]
        lines += [
            "DELIMITER ;;",
            "BEGIN NOT ATOMIC",
            "  DECLARE t0 DATETIME(6);",
            "  DECLARE n BIGINT DEFAULT 0;",
            "  DECLARE i INT DEFAULT 0;",
            "  START TRANSACTION;",
            "  runs: LOOP",
            "    SET t0 = SYSDATE(6);",
            "    EXECUTE s%d%s;" % (i, " USING " + ", ".join(names)
                                   if names else ""),
            "    SET n = ROW_COUNT();",
            "    SELECT '%s', TIMESTAMPDIFF(MICROSECOND, t0, SYSDATE(6)) "
            "/ 1000, n;" % label,
            "    SET i = i + 1;",
            "    IF n < %d OR i >= %d THEN LEAVE runs; END IF;"
            % (spec.batch, batches),
            "  END LOOP;",
            "  ROLLBACK;",
            "END;;",
            "DELIMITER ;",
            "DEALLOCATE PREPARE s%d;" % i]
    return "\n".join(lines) + "\n"


def time_mysql(big, spec):
    try:
        rows = big.my.query(mysql_script(spec), app=True)
    except Failure as e:
        return "error %s\n" % e, [("error", None, 0)]
    times = [(label, float(ms), max(int(n), 0)) for label, ms, n in rows]
    return "".join("%s %.3f %d\n" % t for t in times), times


def rows(big, opts, spec, times, ref, out):
    """The rows of the timings."""
    sizes = big.sizes_label
    if any(ms is None for _, ms, _ in times):
        return [("big tables: watchdog statements, " + sizes, big.kind,
                 "n/a (error: see %s)" % out, "-", "-", "-", "report")], True
    res, rc = [], spec.ret_crons
    ret_label = "keep=%d max-age=%dd keep-failures=%d" % (
        opts.keep, opts.max_age // 86400, opts.keep_failures)
    for label in LABELS:
        ms = [t for w, t, _ in times if w == label]
        if not ms:
            continue
        med, mx, cnt = stats.median(ms), max(ms), len(ms)
        done, total = sum(n for w, _, n in times if w == label), sum(ms)
        if label == "lose":
            res.append(("big tables: watchdog ST_WD_LOSE (lost runs, one "
                        "batch), " + sizes, big.kind,
                        "%.3f ms (median of %d, max %.3f ms; %d rows marked)"
                        % (med, cnt, mx, done), ref, "-", "report", "report"))
        elif label == "backlog":
            est = ("; this cron's %d batches took %.0f ms: a tick of %d such "
                   "crons about %.1f s" % (cnt, total, rc, total * rc / 1000)
                   if rc else "")
            res.append((
                "big tables: watchdog ST_WD_RETENTION (%s), a cron with a "
                "backlog: one batch (up to %d executions and their messages "
                "deleted), %s" % (ret_label, spec.batch, sizes), big.kind,
                "%.2f ms (median of %d batches, max %.2f ms; %d executions "
                "deleted%s)" % (med, cnt, mx, done, est), ref, "-", "report",
                "report"))
        else:
            est = "; these %d crons took %.2f s in all" % (cnt, total / 1000)
            if rc and cnt != rc:
                est += ": a tick of %d crons about %.1f s" % (rc,
                                                              med * rc / 1000)
            elif rc:
                est += " (a tick's worth)"
            res.append((
                "big tables: watchdog ST_WD_RETENTION, crons with nothing to "
                "delete (each ranks all its ~%d runs, each cron once), %s"
                % (big.loaded_e // opts.crons, sizes), big.kind,
                "%.2f ms per cron (median of %d, max %.2f ms%s)"
                % (med, cnt, mx, est), ref, "-", "report", "report"))
    return res, False


def watchdog(big, dialect, opts, dump, args):
    """Time the watchdog's statements on one database: (rows, failed)."""
    say = proc.say_as("bigtables", opts.stream)
    spec = Spec(big, dialect, opts, dump, args)
    out = big.log("watchdog.txt")
    res = []
    # Statements renamed or changed since this was written are left out
    # (with a row saying so), not failed.
    if not spec.lose:
        res.append(("big tables: watchdog ST_WD_LOSE", big.kind,
                    "n/a (not found, or it now takes arguments)", "-", "-",
                    "-", "report"))
    if big.kind == "pgsql":
        text, times = time_pgsql(big, spec)
    elif big.kind == "sqlite":
        text, times = time_sqlite(big, spec, dialect)
    else:
        text, times = time_mysql(big, spec)
    with open(out, "w") as f:
        f.write(text)
    if opts.explain:
        say("watchdog statements on %s (%s):\n%s" % (big.kind, out, text))
    ref = "-"
    for s in dialect.init:
        m = re.search(r"\bstatement_timeout\s*(?:=|TO)\s*'([^']+)'", s)
        if m:
            ref = "statement_timeout " + m.group(1)
    if big.kind == "sqlite":
        ref = "holds the write lock"
    more, failed = rows(big, opts, spec, times, ref, out)
    if failed:
        say("%s: a watchdog statement failed; see %s" % (big.kind, out))
    res += more
    if not spec.known:
        res.append(("big tables: watchdog ST_WD_RETENTION, " + big.sizes_label,
                    big.kind, "n/a (its %d placeholders are not a known form)"
                    % spec.nret, "-", "-", "-", "report"))
    return res, failed
