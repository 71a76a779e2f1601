-- mod_charon: upgrade a MySQL 8 or MariaDB 10.5+ database from schema 1 to
-- schema 2 (sql/mysql.sql): run control, lost runs, Idempotency-Key.
--
--   mysql charon < sql/upgrade/1-to-2/mysql.sql      (or: mariadb charon < ...)
--
-- as a user allowed to ALTER and CREATE in the database.  Stop Apache
-- before (so that no request waits on the tables' metadata locks) and start
-- it after with the schema-2 module; or at least restart it after (a
-- graceful restart is enough).
--
-- NOT one transaction: MySQL and MariaDB commit each ALTER TABLE and CREATE
-- TABLE implicitly, and cannot roll DDL back.  Each statement below changes
-- one table, atomically.  The client stops at the first error; the tables
-- changed by the statements before it stay changed: then finish by hand
-- with the remaining statements (or restore the backup).  Take a backup
-- first (mysqldump --single-transaction charon > charon-schema1.sql).
-- Not meant to be run twice: a second run fails on the first statement
-- (duplicate column name 'concurrency') and changes nothing.
--
-- Existing rows keep their data; crons get concurrency 'allow', no
-- max_runtime, no off_reason/off_until, zero refusal counters; existing
-- executions get forbid_overlap = FALSE (they never hold the overlap lock)
-- and no lost_at, so lock_cron_id is NULL for all of them.  Plain ADD
-- COLUMN (MySQL 8 has no ADD COLUMN IF NOT EXISTS); new columns go at the
-- end, as in sql/mysql.sql.

ALTER TABLE charon_cron
    -- Run control (schema 2).  'forbid': one running execution at a time.
    ADD COLUMN concurrency VARCHAR(6)   NOT NULL DEFAULT 'allow',
    -- Seconds after which a running execution is lost; NULL: never.
    ADD COLUMN max_runtime INT          NULL,
    -- Why the cron is off, and when it comes back on by itself (UTC).
    ADD COLUMN off_reason  VARCHAR(1000) NULL,
    ADD COLUMN off_until   DATETIME(6)  NULL,
    -- Refused starts: while switched off (418), while locked (409).
    ADD COLUMN refused_inactive BIGINT  NOT NULL DEFAULT 0,
    ADD COLUMN refused_locked   BIGINT  NOT NULL DEFAULT 0,
    ADD CONSTRAINT charon_cron_concurrency CHECK (concurrency IN ('allow', 'forbid')),
    ADD CONSTRAINT charon_cron_max_runtime CHECK (max_runtime IS NULL OR max_runtime > 0);

-- charon_execution_cron is dropped and added again (the same index) only
-- so that the keys come in the order of sql/mysql.sql; the foreign key on
-- cron_id keeps an index all along, the statement being atomic.
ALTER TABLE charon_execution
    -- Started while the cron's concurrency was 'forbid': holds the lock
    -- until it ends or is lost.
    ADD COLUMN forbid_overlap BOOLEAN   NOT NULL DEFAULT FALSE,
    -- When the module found it still running past max_runtime.
    ADD COLUMN lost_at     DATETIME(6)  NULL,
    -- The overlap lock: the cron's id while this execution holds it, else
    -- NULL; unique, so at most one holder per cron.  (VIRTUAL: MySQL
    -- refuses a STORED column over cron_id, whose foreign key cascades.)
    ADD COLUMN lock_cron_id BIGINT AS (CASE WHEN forbid_overlap AND ended_at IS NULL
                                  AND lost_at IS NULL THEN cron_id END) VIRTUAL,
    DROP KEY charon_execution_cron,
    ADD UNIQUE KEY charon_execution_lock (lock_cron_id),
    -- What the watchdog scans for lost runs.
    ADD KEY charon_execution_open (ended_at, lost_at),
    ADD KEY charon_execution_cron (cron_id, started_at);

-- Answers kept for Idempotency-Key retries, per API key name.  IF NOT
-- EXISTS: loading the new sql/mysql.sql into a schema-1 database succeeds
-- without a word (its CREATE TABLE IF NOT EXISTS skip the existing tables)
-- and creates this table, and only this table.
CREATE TABLE IF NOT EXISTS charon_idempotency (
    key_name    VARBINARY(255) NOT NULL,
    idem_key    VARBINARY(255) NOT NULL,
    request     CHAR(64)     NOT NULL,    -- SHA-256 (hex) of route and body
    status      INT          NOT NULL,
    response    TEXT         NOT NULL,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (key_name, idem_key),
    KEY charon_idempotency_created (created_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
