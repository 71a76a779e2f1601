-- mod_charon schema for MySQL 8 and MariaDB 10.5 or later.
--   mysql charon < sql/mysql.sql
-- Times are DATETIME(6) in UTC: the module writes UTC_TIMESTAMP(6).  The
-- defaults below use the session's time zone; run the server in UTC, or
-- give created_at explicitly, when seeding crons by hand.
-- Slugs are VARBINARY: they match byte for byte, as sent (utf8mb4_bin is a
-- PAD SPACE collation, which would take 'x ' for 'x').

CREATE TABLE IF NOT EXISTS charon_cron (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    slug        VARBINARY(255) NOT NULL,
    name        VARCHAR(255) NOT NULL,
    active      BOOLEAN      NOT NULL DEFAULT TRUE,
    created_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    -- Run control (schema 2).  'forbid': one running execution at a time.
    concurrency VARCHAR(6)   NOT NULL DEFAULT 'allow',
    -- Seconds after which a running execution is lost; NULL: never.
    max_runtime INT          NULL,
    -- Why the cron is off, and when it comes back on by itself (UTC).
    off_reason  VARCHAR(1000) NULL,
    off_until   DATETIME(6)  NULL,
    -- Refused starts: while switched off (418), while locked (409).
    refused_inactive BIGINT  NOT NULL DEFAULT 0,
    refused_locked   BIGINT  NOT NULL DEFAULT 0,
    UNIQUE KEY charon_cron_slug (slug),
    CONSTRAINT charon_cron_concurrency CHECK (concurrency IN ('allow', 'forbid')),
    CONSTRAINT charon_cron_max_runtime CHECK (max_runtime IS NULL OR max_runtime > 0)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS charon_execution (
    id          BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    cron_id     BIGINT       NOT NULL,
    started_at  DATETIME(6)  NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    ended_at    DATETIME(6)  NULL,
    success     BOOLEAN      NULL,
    type        VARCHAR(7)   NULL,
    api_key     VARCHAR(64)  NOT NULL,
    remote_addr VARCHAR(64)  NOT NULL,
    -- Started while the cron's concurrency was 'forbid': holds the lock
    -- until it ends or is lost.
    forbid_overlap BOOLEAN   NOT NULL DEFAULT FALSE,
    -- When the module found it still running past max_runtime.
    lost_at     DATETIME(6)  NULL,
    -- The overlap lock: the cron's id while this execution holds it, else
    -- NULL; unique, so at most one holder per cron.  (VIRTUAL: MySQL
    -- refuses a STORED column over cron_id, whose foreign key cascades.)
    lock_cron_id BIGINT AS (CASE WHEN forbid_overlap AND ended_at IS NULL
                                  AND lost_at IS NULL THEN cron_id END) VIRTUAL,
    UNIQUE KEY charon_execution_lock (lock_cron_id),
    -- What the watchdog scans for lost runs.
    KEY charon_execution_open (ended_at, lost_at),
    KEY charon_execution_cron (cron_id, started_at),
    CONSTRAINT charon_execution_cron_fk FOREIGN KEY (cron_id)
        REFERENCES charon_cron (id) ON DELETE CASCADE,
    CONSTRAINT charon_execution_type CHECK
        (type IS NULL OR type IN ('warning', 'info', 'success', 'error'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS charon_message (
    id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    execution_id BIGINT      NOT NULL,
    type         VARCHAR(7)  NOT NULL,
    message      MEDIUMTEXT  NOT NULL,
    created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY charon_message_execution (execution_id, id),
    CONSTRAINT charon_message_execution_fk FOREIGN KEY (execution_id)
        REFERENCES charon_execution (id) ON DELETE CASCADE,
    CONSTRAINT charon_message_type CHECK
        (type IN ('warning', 'info', 'success', 'error'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Answers kept for Idempotency-Key retries, per API key name.
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
