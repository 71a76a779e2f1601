-- Frozen schema 1 (sql/mysql.sql at 84f6a0d), to test sql/upgrade/1-to-2/mysql.sql.
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
    UNIQUE KEY charon_cron_slug (slug)
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
