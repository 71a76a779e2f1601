"""The plans of the module's statements on the big tables, read before the
requests, on the data as loaded; every statement that writes runs in a
transaction that is rolled back, with realistic arguments (a 'forbid'
cron, an execution in the middle of the table, the newest one, which is
running).

  PostgreSQL  EXPLAIN ANALYZE of the custom plan and EXPLAIN of the generic
              one (prepared statements go generic after five runs) for the
              request path; the custom plan for the manager's reads (they
              force custom plans, MGR_CUSTOM_PLANS), metrics and health;
              EXPLAIN for the watchdog's
  SQLite      EXPLAIN QUERY PLAN (Python's sqlite3: the system's SQLite, as
              the module's driver)
  MariaDB     EXPLAIN with the arguments written in

Three groups, a row each: the request path ("hot": the API's statements,
ok when each is an index lookup; a full scan of charon_idempotency does
not count, the table is empty here and a planner may scan an empty table
rather than use its key), the manager's, metrics' and health's ("admin":
ok when charon_execution and charon_message are read by index only; the
small tables, one row per cron, may be read whole), the watchdog's (the
full scans are reported). Plans go to <db>-plans.txt, the summary (per
statement: full scans, indexes, ms, ok/error, group) to
<db>-plans-summary.txt.
"""

import re
import sqlite3

from . import proc, sqldump
from .proc import Failure

GROUPS = ("hot", "admin", "watchdog")
BIG_TABLES = ("charon_execution", "charon_message")


def group(name):
    """hot, admin or watchdog; None for ST_LAST_ID (MySQL 8's, no plan)."""
    if name.startswith("ST_WD_"):
        return "watchdog"
    if name.startswith(("ST_MGR_", "ST_METRICS_", "ST_HEALTH_")):
        return "admin"
    return None if name == "ST_LAST_ID" else "hot"


class Args:
    """The arguments each statement is run with, in the order of its _ARG_
    enum (src/db/statements.h)."""

    def __init__(self, loaded, opts):
        self.o = opts
        self.cron_allow, self.cron_forbid = 500, 25
        # an execution in the middle of the table, and the newest one
        self.mid = max((loaded + 1) // 2, 1)
        self.run = max(loaded, 1)
        # one of cron_allow's executions, in the middle of its runs
        per_cron = loaded // opts.crons
        self.before = (per_cron // 2) * opts.crons + self.cron_allow
        if self.before > loaded:
            self.before = self.mid

    def retention(self, cron, keep, max_age):
        o = self.o
        return (cron, keep, keep, max_age, max_age, o.keep_failures)

    def values(self, name):
        """The values, or None when they are not known."""
        ca, cf = self.cron_allow, self.cron_forbid
        mid, run = self.mid, self.run
        table = {
            "ST_CRON_BY_SLUG": ("bench-%04d" % cf,),
            "ST_CRON_BY_ID": (cf,),
            "ST_EXECUTION_SLUG": (mid,), "ST_EXECUTION_ENDED": (mid,),
            "ST_START": ("bench", "127.0.0.1", ca),
            "ST_LOSE_OVERDUE": (ca,), "ST_REFUSED_INACTIVE": (ca,),
            "ST_REFUSED_LOCKED": (cf,),
            "ST_END": (1, "success", run), "ST_END_LOST": (run,),
            "ST_END_WITH_MESSAGE": (1, "success", run, "success", "done"),
            "ST_MESSAGE": ("info", "processed 42 records", mid),
            "ST_END_MESSAGE": ("success", "done", run),
            "ST_IDEM_GET": (86400, "bench", "bt-key-1"),
            "ST_IDEM_EXPIRE": ("bench", "bt-key-1", 86400),
            "ST_IDEM_PUT": ("bench", "bt-key-1", "0" * 64, 200, '{"id":1}'),
            "ST_WD_LOSE": (), "ST_WD_REOPEN": (),
            "ST_WD_IDEM_PURGE": (86400,), "ST_WD_NEXT_CRON": (0,),
            "ST_WD_RETENTION": self.retention(ca, self.o.keep,
                                              self.o.max_age),
            "ST_MGR_CRON": (ca,), "ST_MGR_HISTORY": (ca,),
            "ST_MGR_EXECS_FIRST": (ca,),
            "ST_MGR_EXECS_BEFORE": (ca,) + (self.before,) * 3,
            "ST_MGR_MESSAGES": (mid,), "ST_MGR_MESSAGE_COUNT": (mid,),
            "ST_MGR_CUSTOM_PLANS": (),
            "ST_MGR_CREATE": ("bench-new", "New cron", "allow", ""),
            "ST_MGR_ID_BY_SLUG": ("bench-%04d" % cf,),
            "ST_MGR_EXISTS": (cf,), "ST_MGR_RENAME": ("Renamed", cf),
            "ST_MGR_OFF": ("maintenance", "", cf), "ST_MGR_ON": (cf,),
            "ST_MGR_POLICY": ("allow", "3600", cf),
            "ST_METRICS_CRONS": (), "ST_HEALTH_ALIVE": (),
            "ST_HEALTH_FAILING": (),
        }
        for state in ("ALL", "FAILING", "RUNNING", "OFF", "LOST"):
            table["ST_MGR_LIST_" + state] = ("%", 0)
        return table.get(name)

    def for_sql(self, name, sql):
        """The values when they match sql's placeholders, else None."""
        v = self.values(name)
        if v is None or len(v) != len(sqldump.placeholders(sql)):
            return None
        return [str(x) for x in v]


def dummies(sql):
    return ["x" if k == "s" else "1" for k in sqldump.placeholders(sql)]


# ------------------------------------------- statements for the clients ---

# apr_dbd_pgsql prepares %s as varchar, %d as int4, %lld as int8.
PG_TYPES = {"s": "varchar", "d": "int4", "lld": "int8"}


def pg_prepare(label, sql):
    """PREPARE label(types) AS sql, with $1, $2... as the module's driver
    prepares it."""
    types = [PG_TYPES[k] for k in sqldump.placeholders(sql)]
    body = sqldump.substitute(sql, lambda kind, i: "$%d" % (i + 1))
    return "PREPARE %s%s AS %s;" % (
        label, "(%s)" % ", ".join(types) if types else "", body)


def pg_execute(label, values):
    """EXECUTE label('a', '1'), every value a literal (as the driver sends
    text)."""
    return "EXECUTE %s%s;" % (label, "(%s)" % ", ".join(
        sqldump.quote(v) for v in values) if values else "")


def qmarks(sql):
    """sql with '?' for each placeholder (SQLite, MariaDB's PREPARE)."""
    return sqldump.substitute(sql, lambda kind, i: "?")


def statements(dialect):
    """(name, group, sql) of every statement with a plan, hot first."""
    out = [(n, group(n), s) for n, s in dialect.sql.items() if group(n)]
    return sorted(out, key=lambda t: GROUPS.index(t[1]))


# ------------------------------------------------------- the collectors ---

def pg_script(dialect, args):
    """The psql script of every plan."""
    lines = ["\\pset pager off"]
    for name, grp, sql in statements(dialect):
        vals = args.for_sql(name, sql)
        label = "p_" + name.lower()
        if grp == "watchdog" and vals is None:
            continue
        lines += ["\\echo '=== %s (%s)'" % (name, grp),
                  pg_prepare(label, sql)]
        if grp == "watchdog":
            lines.append("EXPLAIN (COSTS OFF) " + pg_execute(label, vals))
        elif vals is None:
            # Unknown arguments: the generic plan only, not run.
            lines += ["\\echo '--- generic (dummy arguments, not run)'",
                      "SET plan_cache_mode = force_generic_plan;",
                      "EXPLAIN (COSTS OFF) " + pg_execute(label,
                                                          dummies(sql))]
        else:
            run = pg_execute(label, vals)
            lines += ["\\echo '--- custom'",
                      "SET plan_cache_mode = force_custom_plan;", "BEGIN;",
                      "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + run,
                      "ROLLBACK;"]
            if grp == "hot":
                lines += ["\\echo '--- generic'",
                          "SET plan_cache_mode = force_generic_plan;",
                          "EXPLAIN (COSTS OFF) " + run]
        lines += ["RESET plan_cache_mode;", "DEALLOCATE %s;" % label]
    return "\n".join(lines) + "\n"


def collect_pgsql(big, dialect, args):
    return big.pg.psql(["-v", "ON_ERROR_STOP=0", "-f", "-"],
                       input=pg_script(dialect, args), check=False,
                       merge=True).stdout


def collect_sqlite(big, dialect, args):
    out = []
    con = sqlite3.connect(big.files["big"].file, timeout=10)
    try:
        for name, grp, sql in statements(dialect):
            out.append("=== %s (%s)" % (name, grp))
            vals = args.for_sql(name, sql) or dummies(sql)
            try:
                rows = con.execute("EXPLAIN QUERY PLAN " + qmarks(sql),
                                   vals).fetchall()
            except sqlite3.Error as e:
                out.append("ERROR: %s" % e)
                continue
            depth = {0: -1}
            for node, parent, _, detail in rows:
                depth[node] = depth.get(parent, -1) + 1
                out.append("  " * depth[node] + detail)
    finally:
        con.close()
    return "\n".join(out) + "\n"


MY_COLUMNS = ("id", "select_type", "table", "type", "possible_keys", "key",
              "key_len", "ref", "rows", "Extra")


def collect_mysql(big, dialect, args):
    out = []
    for name, grp, sql in statements(dialect):
        out.append("=== %s (%s)" % (name, grp))
        vals = args.for_sql(name, sql) or ["1"] * len(
            sqldump.placeholders(sql))
        try:
            rows = big.my.query("EXPLAIN " + sqldump.bind(sql, vals))
        except Failure as e:
            out.append("ERROR: %s" % e)
            continue
        out.append("\t".join(MY_COLUMNS))
        out += ["\t".join("NULL" if v is None else v for v in r)
                for r in rows]
    return "\n".join(out) + "\n"


COLLECT = {"pgsql": collect_pgsql, "sqlite": collect_sqlite,
           "mysql": collect_mysql}


# ------------------------------------------------------------ the parser ---

class Summary:
    """One statement's plan in short."""

    def __init__(self, name, grp):
        self.name, self.group = name, grp
        self.scans, self.indexes = set(), set()
        self.ms = None
        self.error = False
        self._subqueries = set()

    def line(self):
        return "\t".join((self.name, ",".join(sorted(self.scans)) or "-",
                          ",".join(sorted(self.indexes)) or "-",
                          self.ms or "-", "error" if self.error else "ok",
                          self.group))


_MARK = re.compile(r"^=== (\S+) \((\w+)\)")
_ERROR = re.compile(r"\bERROR\b|^Error|Parse error")
_ALIAS = re.compile(r"\b(charon_\w+)\s+(?:AS\s+)?([a-z])\b")


def _pg_line(s, line):
    m = re.search(r"Seq Scan on (charon_\w+)", line)
    if m:
        s.scans.add(m.group(1))
    m = (re.search(r"(?:Index Scan|Index Only Scan)(?: Backward)? using (\w+)",
                   line) or re.search(r"Bitmap Index Scan on (\w+)", line))
    if m:
        s.indexes.add(m.group(1))
    m = re.search(r"Execution Time: ([\d.]+)", line)
    if m:
        s.ms = m.group(1)


def _sqlite_line(s, line, aliases):
    # a subquery's result (MATERIALIZE, CO-ROUTINE) is no table
    m = re.search(r"(?:MATERIALIZE|CO-ROUTINE) (\S+)", line)
    if m:
        s._subqueries.add(m.group(1))
    # SCAN x USING INDEX i: every entry of index i (here the partial index
    # of the open runs): listed with the indexes
    m = re.search(r"\bSCAN (\S+) USING (?:COVERING )?INDEX (\w+)", line)
    if m:
        s.indexes.add("%s (all of it)" % m.group(2))
    else:
        m = re.search(r"\bSCAN (?!CONSTANT)(\S+)", line)
        if m and m.group(1) not in s._subqueries:
            s.scans.add(aliases.get(m.group(1), m.group(1)))
    m = re.search(r"SEARCH \S+ USING (?:COVERING )?INDEX (\w+)", line)
    if m:
        s.indexes.add(m.group(1))
    if re.search(r"SEARCH \S+ USING INTEGER PRIMARY KEY", line):
        s.indexes.add("rowid")


def _mysql_line(s, line, aliases):
    f = line.split("\t")
    if len(f) < 10 or f[0] == "id" or f[1] == "INSERT":
        return
    table = aliases.get(f[2], f[2])
    if f[3] in ("ALL", "index") and table.startswith("charon_"):
        s.scans.add("%s(%s)" % (table, f[3]))
    if f[5] not in ("NULL", ""):
        s.indexes.add(f[5])


def parse(kind, text, sqls=None):
    """The Summary of each statement of a plans file, in order. sqls
    (name -> SQL) names the tables SQLite and MariaDB call by their alias
    (c: charon_cron)."""
    out, s, aliases = [], None, {}
    for line in text.split("\n"):
        m = _MARK.match(line)
        if m:
            s = Summary(m.group(1), m.group(2))
            out.append(s)
            aliases = dict((a, t) for t, a in
                           _ALIAS.findall((sqls or {}).get(s.name, "")))
            continue
        if s is None:
            continue
        if _ERROR.search(line):
            s.error = True
        if kind == "pgsql":
            _pg_line(s, line)
        elif kind == "sqlite":
            _sqlite_line(s, line, aliases)
        else:
            _mysql_line(s, line, aliases)
    return out


def _table(scan):
    """charon_cron of charon_cron(ALL)."""
    return scan.split("(")[0]


def _listed(found):
    """'ST_X: a,b; ST_Y: (error)' of [(summary, scans)]."""
    return "; ".join(
        "%s: %s" % (s.name, " ".join(x for x in (",".join(sorted(scans)),
                                                  "(error)" if s.error else "")
                                     if x))
        for s, scans in found)


def _found(summaries, keep):
    """[(summary, its scans that keep() keeps)] of the statements with such
    scans or an error."""
    out = []
    for s in summaries:
        scans = set(x for x in s.scans if keep(x))
        if scans or s.error:
            out.append((s, scans))
    return out


def rows(big, summaries, crons):
    """The rows of the three groups."""
    kind, sizes = big.kind, big.sizes_label
    by = dict((g, [s for s in summaries if s.group == g]) for g in GROUPS)
    out = []
    if by["hot"]:
        bad = _found(by["hot"], lambda x: "idempotency" not in x)
        fig = ("not index lookups: %s (of %d statements)"
               % (_listed(bad), len(by["hot"])) if bad else
               "all %d statements are index lookups" % len(by["hot"]))
        out.append(("big tables: hot-path plans on " + sizes, kind, fig, "-",
                    "-", "index lookups only", "below" if bad else "ok"))
    if by["admin"]:
        bad = _found(by["admin"], lambda x: _table(x) in BIG_TABLES)
        small = [(s, sc) for s, sc in _found(
            by["admin"], lambda x: _table(x) not in BIG_TABLES) if sc]
        fig = ("full scans of big tables: %s (of %d statements)"
               % (_listed(bad), len(by["admin"])) if bad else
               "all %d statements read charon_execution and charon_message "
               "by index only" % len(by["admin"]))
        if small:
            fig += ("; full scans of tables of a row per cron: "
                    + _listed(small))
        out.append(("big tables: manager, metrics and health plans on "
                    + sizes, kind, fig, "-", "-", "big tables by index only",
                    "below" if bad else "ok"))
    if by["watchdog"]:
        wd = _found(by["watchdog"], lambda x: True)
        fig = ("full scans of tables: %s (charon_cron holds %d rows; "
               "charon_idempotency is empty here)" % (_listed(wd), crons)
               if wd else "no full scan of a table in the %d statements"
               % len(by["watchdog"]))
        out.append(("big tables: watchdog plans on " + sizes, kind, fig, "-",
                    "-", "-", "report"))
    return out


def summary_text(summaries):
    """The summary as the log shows it, one statement a line."""
    out = []
    for s in summaries:
        extra = ("  %s ms" % s.ms if s.ms else "") + (
            "  (error)" if s.error else "")
        out.append("    %-20s %-8s scans: %-28s indexes: %s%s" % (
            s.name, s.group, ",".join(sorted(s.scans)) or "-",
            ",".join(sorted(s.indexes)) or "-", extra))
    return "\n".join(out)


def plans(big, dialect, opts):
    """Collect, keep and summarise the plans of one database: its rows."""
    say = proc.say_as("bigtables", opts.stream)
    args = Args(big.loaded_e, opts)
    text = COLLECT[big.kind](big, dialect, args)
    path = big.log("plans.txt")
    with open(path, "w") as f:
        f.write(text)
    summaries = parse(big.kind, text, dialect.sql)
    with open(big.log("plans-summary.txt"), "w") as f:
        f.write("".join(s.line() + "\n" for s in summaries))
    if opts.explain:
        say("plans on %s (%s):\n%s" % (big.kind, path, text))
    say("%s plans (statement, group, full scans, indexes, ms):\n%s"
        % (big.kind, summary_text(summaries)))
    return rows(big, summaries, opts.crons)
