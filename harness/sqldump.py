"""The module's SQL, as build/sql_dump prints it (tests/bench/sql_dump.c).

The benchmarks' database baselines (pgbench, the mariadb and sqlite3
clients) and the big-table plans run the very statements the module runs:

    dump = sqldump.load(TOP)               # make build/sql_dump, then run it
    d = dump.dialect("mariadb")            # pgsql, mysql, mariadb, sqlite3
    d.sql["ST_START"], d.begin, d.init, dump.consts["BATCH"]
    sqldump.bind(d.sql["ST_END"], [1, "success", 42])    # literal SQL
    sqldump.substitute(sql, lambda kind, i: ":" + names[i])  # pgbench

The format, one record a line, '|'-separated, the SQL last and on one line
(it may hold '|' itself):

    dialect|<n>|<name>|<driver>     n from 0
    begin|<n>|<SQL>                 what opens a write transaction
    init|<n>|<SQL>                  run once per connection, in order
    sql|<n>|ST_<NAME>|<SQL>         each statement the dialect has
    const|<NAME>|<value>            the watchdog's batch constants

A line of any other shape is an error: a change of the format must fail
here, not measure something else.
"""

import os
import re
from dataclasses import dataclass, field

from . import proc
from .proc import Failure

# apr_dbd's placeholders; %% is a percent sign.
_PLACEHOLDER = re.compile(r"%(%|s|d|lld)")


@dataclass
class Dialect:
    index: int
    name: str           # pgsql, mysql (MySQL 8), mariadb (10.5+), sqlite3
    driver: str         # apr_dbd's driver: pgsql, mysql, sqlite3
    begin: str = ""
    init: list = field(default_factory=list)
    sql: dict = field(default_factory=dict)     # "ST_START" -> text

    def returns(self, name):
        """Whether statement name gives its result itself (RETURNING):
        then no LAST_ID or follow-up statement is needed."""
        return bool(re.search(r"\bRETURNING\b", self.sql.get(name, "")))


@dataclass
class Dump:
    dialects: list
    consts: dict

    def dialect(self, name):
        for d in self.dialects:
            if d.name == name:
                return d
        raise Failure("sql_dump has no dialect %r (it has %s)" % (
            name, ", ".join(d.name for d in self.dialects)))


def parse(text):
    """The Dump of sql_dump's output; Failure on a line it does not know."""
    dialects, consts = {}, {}

    def of(n, lineno):
        if not n.isdigit() or int(n) not in dialects:
            raise Failure("sql_dump line %d: no dialect %r declared before"
                          % (lineno, n))
        return dialects[int(n)]

    for lineno, line in enumerate(text.splitlines(), 1):
        kind, _, rest = line.partition("|")
        if kind == "dialect":
            f = rest.split("|")
            if len(f) != 3 or not f[0].isdigit() or not all(f):
                raise Failure("sql_dump line %d: bad dialect record: %r"
                              % (lineno, line))
            dialects[int(f[0])] = Dialect(int(f[0]), f[1], f[2])
        elif kind in ("begin", "init"):
            n, sep, sql = rest.partition("|")
            d = of(n, lineno)
            if not sep or not sql:
                raise Failure("sql_dump line %d: %s without SQL" % (lineno,
                                                                      kind))
            if kind == "begin":
                d.begin = sql
            else:
                d.init.append(sql)
        elif kind == "sql":
            f = rest.split("|", 2)
            if len(f) != 3 or not f[1].startswith("ST_") or not f[2]:
                raise Failure("sql_dump line %d: bad sql record: %r"
                              % (lineno, line[:80]))
            of(f[0], lineno).sql[f[1]] = f[2]
        elif kind == "const":
            f = rest.split("|")
            if len(f) != 2 or not re.fullmatch(r"-?\d+", f[1]):
                raise Failure("sql_dump line %d: bad const record: %r"
                              % (lineno, line))
            consts[f[0]] = int(f[1])
        elif line:
            raise Failure("sql_dump line %d: unknown record %r" % (lineno,
                                                                   line[:80]))
    if not dialects:
        raise Failure("sql_dump printed no dialect")
    return Dump([dialects[n] for n in sorted(dialects)], consts)


def load(top):
    """make build/sql_dump in top (it follows src/db/dialect_*.c), run it,
    parse its output."""
    proc.run(["make", "-s", "-C", top, "build/sql_dump"], quiet=True)
    out = proc.run([os.path.join(top, "build", "sql_dump")]).stdout
    return parse(out)


def placeholders(sql):
    """The kinds of sql's placeholders in order: 's', 'd', 'lld'."""
    return [m.group(1) for m in _PLACEHOLDER.finditer(sql) if m.group(1) != "%"]


def substitute(sql, fn):
    """sql with each placeholder replaced by fn(kind, index), index
    counting from 0, and %% by %."""
    count = [0]

    def one(m):
        if m.group(1) == "%":
            return "%"
        count[0] += 1
        return fn(m.group(1), count[0] - 1)
    return _PLACEHOLDER.sub(one, sql)


def quote(value):
    """An SQL string literal (standard quoting: ' doubled)."""
    return "'%s'" % str(value).replace("'", "''")


def bind(sql, args):
    """The statement as a client would type it: %s becomes a string
    literal, %d and %lld a whole number, in the order of args (the
    order of src/db/statements.h); ValueError when the counts differ."""
    n = len(placeholders(sql))
    if n != len(args):
        raise ValueError("%d placeholders, %d arguments: %s"
                         % (n, len(args), sql[:60]))
    return substitute(sql, lambda kind, i: quote(args[i]) if kind == "s"
                      else "%d" % int(args[i]))
