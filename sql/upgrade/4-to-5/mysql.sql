-- mod_charon: upgrade a MySQL or MariaDB database from schema 4 to schema
-- 5 (sql/mysql.sql): alerts.
--
--   mysql charon < sql/upgrade/4-to-5/mysql.sql
--
-- Apache may keep running (the module of schema 4 reads none of the new
-- columns or tables; load the schema-5 module afterwards).  MySQL commits
-- each statement by itself: should one fail, the ones before it stay, and
-- the schema-4 module still works with what they leave.  Not meant to be
-- run twice: a second run fails on ADD COLUMN and changes nothing.  With
-- binary logging on, creating the triggers needs SUPER or
-- log_bin_trust_function_creators = 1.

ALTER TABLE charon_cron
    ADD COLUMN failure_threshold  INT   NOT NULL DEFAULT 1,
    ADD COLUMN recovery_threshold INT   NOT NULL DEFAULT 1,
    ADD COLUMN realert_every      INT   NULL,
    ADD COLUMN mute_until         DATETIME(6) NULL,
    ADD CONSTRAINT charon_cron_failure_threshold CHECK (failure_threshold BETWEEN 1 AND 1000),
    ADD CONSTRAINT charon_cron_recovery_threshold CHECK (recovery_threshold BETWEEN 1 AND 1000),
    ADD CONSTRAINT charon_cron_realert_every CHECK (realert_every IS NULL OR realert_every BETWEEN 60 AND 31536000);

-- Schema 5: what runs came to, for the alerts.  Written by the triggers
-- below in the transaction of the run's own change (so nothing is lost
-- between a run ending and its alert), read and deleted by the watchdog
-- as it moves each cron's alert state.  A good outcome is written only
-- when it can change something: the cron is down, has bad runs in a row,
-- or has outcomes waiting.
CREATE TABLE IF NOT EXISTS charon_alert_outcome (
    id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    cron_id      BIGINT      NOT NULL,
    execution_id BIGINT      NOT NULL,
    outcome      VARCHAR(9)  NOT NULL,
    at           DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    KEY charon_alert_outcome_cron (cron_id, id),
    CONSTRAINT charon_alert_outcome_cron_fk FOREIGN KEY (cron_id)
        REFERENCES charon_cron (id) ON DELETE CASCADE,
    CONSTRAINT charon_alert_outcome_kind CHECK
        (outcome IN ('succeeded', 'failed', 'lost', 'too_short', 'missed'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Schema 5: each cron's alert state, kept by the watchdog; no row: up.
CREATE TABLE IF NOT EXISTS charon_cron_alert (
    cron_id     BIGINT      NOT NULL PRIMARY KEY,
    state       VARCHAR(4)  NOT NULL DEFAULT 'up',
    bad_streak  INT         NOT NULL DEFAULT 0,
    good_streak INT         NOT NULL DEFAULT 0,
    changed_at  DATETIME(6) NULL,           -- the last change of state
    alerted_at  DATETIME(6) NULL,           -- the last down event
    CONSTRAINT charon_cron_alert_cron FOREIGN KEY (cron_id)
        REFERENCES charon_cron (id) ON DELETE CASCADE,
    CONSTRAINT charon_cron_alert_state CHECK (state IN ('up', 'down'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Schema 5: the events (an outbox: written in the transaction that
-- changes the state), and their delivery to each channel.
CREATE TABLE IF NOT EXISTS charon_alert_event (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    uid         VARCHAR(36) NOT NULL,       -- the event id sent
    cron_id     BIGINT      NULL,
    event       VARCHAR(7)  NOT NULL,
    muted       BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at  DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    document    MEDIUMTEXT  NOT NULL,       -- JSON, as sent
    UNIQUE KEY charon_alert_event_uid (uid),
    KEY charon_alert_event_created (created_at),
    KEY charon_alert_event_cron (cron_id, id),
    CONSTRAINT charon_alert_event_cron_fk FOREIGN KEY (cron_id)
        REFERENCES charon_cron (id) ON DELETE CASCADE,
    CONSTRAINT charon_alert_event_kind CHECK
        (event IN ('down', 'up', 'realert', 'test'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS charon_alert_delivery (
    id           BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id     BIGINT      NOT NULL,
    channel      VARBINARY(64) NOT NULL,    -- CharonAlert's NAME
    state        VARCHAR(9)  NOT NULL DEFAULT 'pending',
    attempts     INT         NOT NULL DEFAULT 0,
    due_at       DATETIME(6) NOT NULL,      -- the next attempt
    lease_until  DATETIME(6) NULL,          -- a watchdog is sending it
    lease_owner  VARCHAR(32) NULL,
    delivered_at DATETIME(6) NULL,
    last_error   VARCHAR(1000) NULL,
    created_at   DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    UNIQUE KEY charon_alert_delivery_once (event_id, channel),
    KEY charon_alert_delivery_due (channel, state, due_at),
    KEY charon_alert_delivery_owner (lease_owner),
    KEY charon_alert_delivery_state (state, due_at),
    CONSTRAINT charon_alert_delivery_event FOREIGN KEY (event_id)
        REFERENCES charon_alert_event (id) ON DELETE CASCADE,
    CONSTRAINT charon_alert_delivery_state CHECK
        (state IN ('pending', 'delivered', 'given_up'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Every attempt: when, what came of it, why.
CREATE TABLE IF NOT EXISTS charon_alert_attempt (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    delivery_id BIGINT      NOT NULL,
    at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    result      VARCHAR(8)  NOT NULL,
    status      INT         NULL,           -- HTTP status, exit status
    error       VARCHAR(1000) NULL,
    ms          INT         NOT NULL DEFAULT 0,
    KEY charon_alert_attempt_delivery (delivery_id),
    CONSTRAINT charon_alert_attempt_delivery_fk FOREIGN KEY (delivery_id)
        REFERENCES charon_alert_delivery (id) ON DELETE CASCADE,
    CONSTRAINT charon_alert_attempt_result CHECK
        (result IN ('ok', 'retry', 'failed', 'given_up'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Attempts counted per channel and result, for the metrics (which must
-- not go down when old attempts are purged).
CREATE TABLE IF NOT EXISTS charon_alert_stats (
    channel  VARBINARY(64) NOT NULL,
    result   VARCHAR(8)  NOT NULL,
    attempts BIGINT      NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, result)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

DROP TRIGGER IF EXISTS charon_alert_attempt_counted;
CREATE TRIGGER charon_alert_attempt_counted
    AFTER INSERT ON charon_alert_attempt FOR EACH ROW
    INSERT INTO charon_alert_stats (channel, result, attempts)
    SELECT d.channel, NEW.result, 1 FROM charon_alert_delivery d
    WHERE d.id = NEW.delivery_id
    -- Qualified: the SELECT's charon_alert_delivery has an attempts too,
    -- and MySQL refuses the bare name as ambiguous.
    ON DUPLICATE KEY UPDATE attempts = charon_alert_stats.attempts + 1;

-- A compound body, its reads plain SELECTs: InnoDB's INSERT ... SELECT
-- takes shared next-key locks on what it reads, and two failed ends of
-- one cron then deadlocked on the outcome index (each holding the gap the
-- other's insert wanted); a SELECT in a trigger's IF reads a snapshot.
DROP TRIGGER IF EXISTS charon_execution_alert;
DELIMITER //
CREATE TRIGGER charon_execution_alert
    AFTER UPDATE ON charon_execution FOR EACH ROW
BEGIN
    DECLARE what VARCHAR(9) DEFAULT NULL;
    IF OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL
       AND OLD.lost_at IS NULL AND NEW.missed IS NULL THEN
        SET what = CASE WHEN NEW.success IS NOT TRUE THEN 'failed'
                        WHEN NEW.too_short THEN 'too_short'
                        ELSE 'succeeded' END;
    ELSEIF OLD.lost_at IS NULL AND NEW.lost_at IS NOT NULL
           AND NEW.ended_at IS NULL THEN
        SET what = 'lost';
    END IF;
    IF what = 'succeeded'
       AND NOT EXISTS (SELECT 1 FROM charon_cron_alert a
                       WHERE a.cron_id = NEW.cron_id
                         AND (a.state = 'down' OR a.bad_streak > 0))
       AND NOT EXISTS (SELECT 1 FROM charon_alert_outcome x
                       WHERE x.cron_id = NEW.cron_id) THEN
        SET what = NULL;
    END IF;
    IF what IS NOT NULL THEN
        INSERT INTO charon_alert_outcome (cron_id, execution_id, outcome, at)
        VALUES (NEW.cron_id, NEW.id, what, UTC_TIMESTAMP(6));
    END IF;
END//
DELIMITER ;

DROP TRIGGER IF EXISTS charon_execution_alert_missed;
CREATE TRIGGER charon_execution_alert_missed
    AFTER INSERT ON charon_execution FOR EACH ROW
    INSERT INTO charon_alert_outcome (cron_id, execution_id, outcome, at)
    SELECT NEW.cron_id, NEW.id, 'missed', UTC_TIMESTAMP(6) FROM DUAL
    WHERE NEW.missed = 'missed';
