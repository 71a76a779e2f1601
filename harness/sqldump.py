"""The module's SQL as build/sql_dump prints it (tests/bench/sql_dump.c),
so that the benchmarks run the very statements the module runs.

    dump = sqldump.load(TOP)            # builds build/sql_dump when needed
    d = dump.dialect("mariadb")         # pgsql, mysql (MySQL 8), mariadb,
                                        # sqlite3
    d.sql["ST_END"], d.init, d.begin, d.driver
    dump.const("MAX_BATCHES")           # 10
    sqldump.placeholders(sql)           # ["d", "s", "lld"]

Placeholders are apr_dbd's: %s, %d, %lld, and %% for a percent sign; each
statement's arguments come in the order of its _ARG_ enum in
src/db/statements.h. The helpers below write a statement for a client:
PostgreSQL's PREPARE with the types the module's driver gives ($n),
'?' for SQLite and MariaDB's PREPARE, or literal values.
"""

import os
import re
import subprocess

from .proc import Failure

_PLACEHOLDER = re.compile(r"%(%|lld|d|s)")
# apr_dbd_pgsql prepares %s as varchar, %d as int4, %lld as int8.
PG_TYPES = {"s": "varchar", "d": "int4", "lld": "int8"}


class Dialect:
    """One dialect of the module: its name and apr_dbd driver, what opens a
    write transaction, the per-connection statements and every statement
    by name (ST_...), in the module's order."""

    def __init__(self, index, name, driver):
        self.index, self.name, self.driver = index, name, driver
        self.begin = None
        self.init = []
        self.sql = {}

    def init_setting(self, name):
        """The value a per-connection SET gives a setting
        (statement_timeout: '5s'), or None."""
        pat = re.compile(r"\bSET\b.*\b%s\s*(?:=|TO)\s*'?([^';]+)'?"
                         % re.escape(name), re.I)
        for s in self.init:
            m = pat.search(s)
            if m:
                return m.group(1).strip()
        return None


class Dump:
    """Every dialect, and the watchdog's constants."""

    def __init__(self, text):
        self.dialects = []
        self.consts = {}
        self.text = text
        for n, line in enumerate(text.split("\n"), 1):
            if line:
                self._record(n, line)

    def _record(self, n, line):
        kind = line.split("|", 1)[0]
        try:
            if kind == "dialect":
                _, i, name, driver = line.split("|", 3)
                self.dialects.append(Dialect(int(i), name, driver))
            elif kind == "const":
                _, name, value = line.split("|", 2)
                self.consts[name] = int(value)
            elif kind in ("begin", "init", "sql"):
                d = self.dialects[int(line.split("|", 2)[1])]
                if kind == "begin":
                    d.begin = line.split("|", 2)[2]
                elif kind == "init":
                    d.init.append(line.split("|", 2)[2])
                else:
                    _, _, name, sql = line.split("|", 3)
                    d.sql[name] = sql
            else:
                raise ValueError("unknown record")
        except (ValueError, IndexError):
            raise Failure("sql_dump, line %d: cannot read %r" % (n, line[:80]))

    def dialect(self, name):
        for d in self.dialects:
            if d.name == name:
                return d
        raise Failure("sql_dump has no dialect %r (it has %s)" % (
            name, ", ".join(d.name for d in self.dialects)))

    def const(self, name, default=None):
        return self.consts.get(name, default)


def load(top):
    """Build build/sql_dump if it is missing or older than its sources
    (make), run it, read its output."""
    p = subprocess.run(["make", "-s", "--no-print-directory", "-C", top,
                        "build/sql_dump"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise Failure("make build/sql_dump failed:\n" + p.stdout)
    p = subprocess.run([os.path.join(top, "build", "sql_dump")],
                       stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise Failure("build/sql_dump exited %d" % p.returncode)
    return Dump(p.stdout)


def placeholders(sql):
    """The kinds of sql's placeholders in order: 's', 'd' or 'lld'."""
    return [k for k in _PLACEHOLDER.findall(sql) if k != "%"]


def _replace(sql, fn):
    """sql with each placeholder replaced by fn(number from 1, kind), and
    %% by %."""
    n = [0]

    def sub(m):
        if m.group(1) == "%":
            return "%"
        n[0] += 1
        return fn(n[0], m.group(1))
    return _PLACEHOLDER.sub(sub, sql)


def pg_prepare(label, sql):
    """PREPARE label(types) AS sql, with $1, $2... as the module's driver
    prepares it."""
    types = [PG_TYPES[k] for k in placeholders(sql)]
    body = _replace(sql, lambda i, k: "$%d" % i)
    return "PREPARE %s%s AS %s;" % (
        label, "(%s)" % ", ".join(types) if types else "", body)


def qmarks(sql):
    """sql with '?' for each placeholder (SQLite, MariaDB's PREPARE)."""
    return _replace(sql, lambda i, k: "?")


def quote(value):
    """A value as an SQL string literal."""
    return "'%s'" % str(value).replace("'", "''")


def args_list(values):
    """('a', 'b') for EXECUTE label(...); '' for no values."""
    return "(%s)" % ", ".join(quote(v) for v in values) if values else ""


def literal(sql, values):
    """sql with its placeholders replaced by values as literals (numbers
    bare for %d and %lld, strings quoted; a missing value is 1)."""
    values = list(values)

    def lit(i, kind):
        v = values[i - 1] if i <= len(values) else "1"
        return str(v) if kind != "s" else quote(v)
    return _replace(sql, lit)
