"""The data and catalog readers of the schema upgrade test (upgrade_test).

The same statements run on the three databases (TRUE/FALSE, quoted times).
"""

import re
import sqlite3

# Crons 1..3 stay, 4 is deleted (ids must not be reused); executions 1..6,
# 2 and 5 running; messages, one of several lines.
SEED = """
INSERT INTO charon_cron (slug, name) VALUES ('backup', 'Nightly backup');
INSERT INTO charon_cron (slug, name, active, created_at)
    VALUES ('report', 'Rapport d''été ☀', FALSE, '2025-01-02 03:04:05.678');
INSERT INTO charon_cron (slug, name) VALUES ('cleanup', 'Clean up');
INSERT INTO charon_cron (slug, name) VALUES ('gone', 'Deleted before the upgrade');
DELETE FROM charon_cron WHERE slug = 'gone';
INSERT INTO charon_execution (cron_id, started_at, ended_at, success, type, api_key, remote_addr)
    VALUES (1, '2025-03-01 00:00:00.125', '2025-03-01 00:05:00.5', TRUE, 'success', 'ci', '10.0.0.1');
INSERT INTO charon_execution (cron_id, api_key, remote_addr) VALUES (1, 'ci', '::1');
INSERT INTO charon_execution (cron_id, started_at, ended_at, success, type, api_key, remote_addr)
    VALUES (2, '2025-03-02 00:00:00', '2025-03-02 01:00:00', FALSE, 'error', 'ops', '10.0.0.2');
INSERT INTO charon_execution (cron_id, started_at, ended_at, success, api_key, remote_addr)
    VALUES (3, '2025-03-03 00:00:00', '2025-03-03 00:00:01', TRUE, 'ci', '10.0.0.3');
INSERT INTO charon_execution (cron_id, started_at, api_key, remote_addr)
    VALUES (3, '2025-03-04 00:00:00', 'ci', '10.0.0.3');
INSERT INTO charon_execution (cron_id, started_at, ended_at, success, type, api_key, remote_addr)
    VALUES (3, '2025-03-05 00:00:00', '2025-03-05 00:10:00', TRUE, 'warning', 'ci', '10.0.0.3');
INSERT INTO charon_message (execution_id, type, message) VALUES (1, 'info', 'started');
INSERT INTO charon_message (execution_id, type, message, created_at)
    VALUES (1, 'success', 'done: 42 files', '2025-03-01 00:05:00');
INSERT INTO charon_message (execution_id, type, message) VALUES (3, 'error', 'line 1
line 2: it''s broken');
INSERT INTO charon_message (execution_id, type, message) VALUES (5, 'warning', 'slow disk');
INSERT INTO charon_message (execution_id, type, message) VALUES (6, 'info', 'ünïcødé ✓');
"""

# What schema 1 holds, read back the same way before and after.
DATA = """
SELECT id, slug, name, active, created_at FROM charon_cron ORDER BY id;
SELECT id, cron_id, started_at, ended_at, success, type, api_key, remote_addr
    FROM charon_execution ORDER BY id;
SELECT id, execution_id, type, message, created_at FROM charon_message ORDER BY id;
SELECT 'crons', count(*) FROM charon_cron;
SELECT 'executions', count(*) FROM charon_execution;
SELECT 'messages', count(*) FROM charon_message;
"""

# Uniqueness errors: SQLite names the index's columns, PostgreSQL and
# MariaDB the index.
DUP_LOCK = (r"charon_execution_lock"
            r"|UNIQUE constraint failed: charon_execution\.cron_id")
DUP_SLOT = (r"charon_execution_slot|Duplicate entry|UNIQUE constraint "
            r"failed: charon_execution\.cron_id, charon_execution\.slot")
DUP_IDEM = (r"charon_idempotency_pkey|PRIMARY|UNIQUE constraint failed: "
            r"charon_idempotency\.key_name, charon_idempotency\.idem_key")


def norm(s):
    """SQL text without comments, layout, and IF NOT EXISTS."""
    s = re.sub(r"--[^\n]*", " ", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\(\s+", "(", s)
    s = re.sub(r"\s+\)", ")", s)
    s = re.sub(r"\s*,\s*", ", ", s)
    return s.replace(" IF NOT EXISTS", "")


def parts(body):
    """The comma-separated items of a CREATE TABLE body, at depth 0."""
    out, depth, quote, cur = [], 0, None, ""
    for c in body:
        if quote:
            quote = None if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
            continue
        cur += c
    out.append(cur.strip())
    return out


def sqlite_schema(path):
    """The SQLite catalog, normalized, in a stable order, as lines. Since
    ALTER TABLE ADD COLUMN appends to the text of the table as written, the
    CREATE TABLE texts are compared item by item, without comments and
    layout, next to what the PRAGMAs say of each table and index. Python's
    sqlite3 is the system's libsqlite3, as the sqlite3 program."""
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    try:
        return _sqlite_schema(lambda sql, *a: con.execute(sql, a).fetchall())
    finally:
        con.close()


def _sqlite_schema(rows):
    out = ["journal_mode %s" % rows("PRAGMA journal_mode")[0][0],
           "user_version %s" % rows("PRAGMA user_version")[0][0]]
    for t, sql in rows("SELECT name, sql FROM sqlite_master "
                       "WHERE type = 'table' ORDER BY name"):
        out.append("table " + t)
        s = norm(sql)
        head, body = s[:s.index("(")], s[s.index("(") + 1:s.rindex(")")]
        out.append("  create %s ... %s" % (head.strip(),
                                           s[s.rindex(")") + 1:].strip()))
        out.extend("  def " + p for p in parts(body))
        for r in rows("SELECT * FROM pragma_table_xinfo(?) ORDER BY cid", t):
            out.append("  column %r" % (r,))
        for r in rows("SELECT * FROM pragma_foreign_key_list(?) "
                      "ORDER BY id, seq", t):
            out.append("  foreign key %r" % (r,))
        for _, i, uniq, origin, partial in rows(
                "SELECT * FROM pragma_index_list(?) ORDER BY name", t):
            out.append("  index %s %s %s %s" % (i, "unique" if uniq else "",
                                                origin,
                                                "partial" if partial else ""))
            for r in rows("SELECT * FROM pragma_index_xinfo(?) ORDER BY seqno",
                          i):
                out.append("    key %r" % (r,))
    for i, t, sql in rows("SELECT name, tbl_name, sql FROM sqlite_master WHERE "
                          "type = 'index' AND sql IS NOT NULL ORDER BY name"):
        out.append("index %s on %s : %s" % (i, t, norm(sql)))
    for ty, n, sql in rows("SELECT type, name, sql FROM sqlite_master WHERE "
                           "type NOT IN ('table', 'index') ORDER BY name"):
        out.append("%s %s : %s" % (ty, n, norm(sql or "")))
    return out
