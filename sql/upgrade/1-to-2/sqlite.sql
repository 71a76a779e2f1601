-- mod_charon: upgrade a SQLite database from schema 1 to schema 2
-- (sql/sqlite.sql): run control, lost runs, Idempotency-Key.
--
--   systemctl stop apache2          # stop Apache first
--   cp /var/lib/charon/charon.db /var/lib/charon/charon.db.bak   # if wanted
--   sqlite3 -bail /var/lib/charon/charon.db < sql/upgrade/1-to-2/sqlite.sql
--   systemctl start apache2         # with the schema-2 module
--
-- Stop Apache before, start it after: SQLite invalidates for good the
-- statements that running connections prepared when another process
-- changes the schema ("database schema has changed"), as sql/sqlite.sql
-- says.  A reload is not enough.
--
-- One transaction: on any error (sqlite3 -bail stops at the first) nothing
-- is changed.  Not meant to be run twice: a second run fails on the first
-- ADD COLUMN (duplicate column name) and changes nothing.
-- Existing rows keep their data; crons get concurrency 'allow', no
-- max_runtime, no off_reason/off_until, zero refusal counters; existing
-- executions get forbid_overlap = 0 (they never hold the overlap lock) and
-- no lost_at.  Every new column has a constant default, so ALTER TABLE ADD
-- COLUMN adds it without copying the table (SQLite 3.37 or later checks the
-- new CHECK constraints against the existing rows).  The CREATE TABLE text
-- that SQLite keeps for the two altered tables then differs in layout and
-- comments from sql/sqlite.sql, not in meaning.

BEGIN IMMEDIATE;

-- Each column definition on one line: SQLite appends it as written to the
-- table's CREATE TABLE text.
ALTER TABLE charon_cron ADD COLUMN concurrency TEXT NOT NULL DEFAULT 'allow' CHECK (concurrency IN ('allow', 'forbid'));
ALTER TABLE charon_cron ADD COLUMN max_runtime INTEGER CHECK (max_runtime IS NULL OR max_runtime > 0);
ALTER TABLE charon_cron ADD COLUMN off_reason TEXT;
ALTER TABLE charon_cron ADD COLUMN off_until TEXT;
ALTER TABLE charon_cron ADD COLUMN refused_inactive INTEGER NOT NULL DEFAULT 0;
ALTER TABLE charon_cron ADD COLUMN refused_locked INTEGER NOT NULL DEFAULT 0;

ALTER TABLE charon_execution ADD COLUMN forbid_overlap INTEGER NOT NULL DEFAULT 0 CHECK (forbid_overlap IN (0, 1));
ALTER TABLE charon_execution ADD COLUMN lost_at TEXT;

-- The overlap lock: at most one running execution that holds it per cron.
CREATE UNIQUE INDEX charon_execution_lock
    ON charon_execution (cron_id)
    WHERE forbid_overlap AND ended_at IS NULL AND lost_at IS NULL;
-- What the watchdog scans for lost runs.
CREATE INDEX charon_execution_open
    ON charon_execution (cron_id)
    WHERE ended_at IS NULL AND lost_at IS NULL;

-- Answers kept for Idempotency-Key retries, per API key name.  IF NOT
-- EXISTS: loading the new sql/sqlite.sql into a schema-1 database (without
-- -bail) creates this table, and only this table.
CREATE TABLE IF NOT EXISTS charon_idempotency (
    key_name    TEXT    NOT NULL,
    idem_key    TEXT    NOT NULL,
    request     TEXT    NOT NULL,     -- SHA-256 (hex) of route and body
    status      INTEGER NOT NULL,
    response    TEXT    NOT NULL,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    PRIMARY KEY (key_name, idem_key)
);
CREATE INDEX IF NOT EXISTS charon_idempotency_created
    ON charon_idempotency (created_at);

COMMIT;
