-- mod_charon: upgrade a PostgreSQL database from schema 1 to schema 2
-- (sql/postgresql.sql): run control, lost runs, Idempotency-Key.
--
--   psql -v ON_ERROR_STOP=1 -d charon -f sql/upgrade/1-to-2/postgresql.sql
--
-- as the owner of the tables.  Then restart Apache (a graceful restart is
-- enough) with the schema-2 module: the old module keeps working meanwhile,
-- but best stop Apache before and start it after, so that no request waits
-- on the tables' locks during the upgrade (ALTER TABLE takes an exclusive
-- lock, and waits for running transactions).
--
-- One transaction: on any error (ON_ERROR_STOP=1) nothing is changed.  Not
-- meant to be run twice: a second run fails on the first ADD COLUMN
-- (column already exists) and changes nothing.
-- Existing rows keep their data; crons get concurrency 'allow', no
-- max_runtime, no off_reason/off_until, zero refusal counters; existing
-- executions get forbid_overlap = false (they never hold the overlap lock)
-- and no lost_at.  The new columns have constant defaults: PostgreSQL 11 or
-- later adds them without rewriting the tables.  Building the two new
-- indexes reads charon_execution once each.

BEGIN;

ALTER TABLE charon_cron
    ADD COLUMN concurrency VARCHAR(6)   NOT NULL DEFAULT 'allow'
                           CHECK (concurrency IN ('allow', 'forbid')),
    ADD COLUMN max_runtime INTEGER      CHECK (max_runtime > 0),
    ADD COLUMN off_reason  VARCHAR(1000),
    ADD COLUMN off_until   TIMESTAMPTZ,
    ADD COLUMN refused_inactive BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN refused_locked   BIGINT  NOT NULL DEFAULT 0;

ALTER TABLE charon_execution
    ADD COLUMN forbid_overlap BOOLEAN   NOT NULL DEFAULT FALSE,
    ADD COLUMN lost_at     TIMESTAMPTZ;

-- The overlap lock: at most one running execution that holds it per cron.
CREATE UNIQUE INDEX charon_execution_lock
    ON charon_execution (cron_id)
    WHERE forbid_overlap AND ended_at IS NULL AND lost_at IS NULL;
-- What the watchdog scans for lost runs.
CREATE INDEX charon_execution_open
    ON charon_execution (cron_id)
    WHERE ended_at IS NULL AND lost_at IS NULL;

-- Answers kept for Idempotency-Key retries, per API key name.  IF NOT
-- EXISTS: loading the new sql/postgresql.sql into a schema-1 database
-- (without ON_ERROR_STOP) creates this table, and only this table.
CREATE TABLE IF NOT EXISTS charon_idempotency (
    key_name    VARCHAR(255) NOT NULL,
    idem_key    VARCHAR(255) NOT NULL,
    request     CHAR(64)     NOT NULL,    -- SHA-256 (hex) of route and body
    status      INTEGER      NOT NULL,
    response    TEXT         NOT NULL,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT now(),
    PRIMARY KEY (key_name, idem_key)
);
CREATE INDEX IF NOT EXISTS charon_idempotency_created
    ON charon_idempotency (created_at);

COMMIT;
