-- Frozen schema 1 (sql/sqlite.sql at 84f6a0d), to test sql/upgrade/1-to-2/sqlite.sql.
-- mod_charon schema for SQLite 3.35 or later.
--   sqlite3 /var/lib/charon/charon.db < sql/sqlite.sql
-- Create it before Apache starts: SQLite invalidates the statements that
-- running connections prepared when another process changes the schema.

-- WAL lets readers go on while one writer writes; the setting stays in
-- the file.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS charon_cron (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

CREATE TABLE IF NOT EXISTS charon_execution (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    cron_id     INTEGER NOT NULL REFERENCES charon_cron (id) ON DELETE CASCADE,
    started_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    ended_at    TEXT,
    success     INTEGER CHECK (success IN (0, 1)),
    type        TEXT    CHECK (type IN ('warning', 'info', 'success', 'error')),
    api_key     TEXT    NOT NULL,
    remote_addr TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS charon_execution_cron
    ON charon_execution (cron_id, started_at);

CREATE TABLE IF NOT EXISTS charon_message (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id INTEGER NOT NULL REFERENCES charon_execution (id) ON DELETE CASCADE,
    type         TEXT    NOT NULL CHECK (type IN ('warning', 'info', 'success', 'error')),
    message      TEXT    NOT NULL,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX IF NOT EXISTS charon_message_execution
    ON charon_message (execution_id, id);
