-- mod_charon schema 6 for MySQL 8 and MariaDB 10.5 or later.
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
    -- Schema 4.  When it should run: Debian cron's five fields, a nickname
    -- (@daily) or @every DURATION; NULL: unscheduled.  Its time zone (an
    -- IANA name; NULL: CharonDefaultTimezone, else UTC), how long after a
    -- slot its start may come (seconds), and the shortest run that is not
    -- too short (seconds; NULL: none).
    schedule    VARCHAR(255) NULL,
    timezone    VARCHAR(64)  NULL,
    grace       INT          NOT NULL DEFAULT 300,
    min_runtime INT          NULL,
    -- Schema 5: alerts.  Down after failure_threshold bad runs in a row,
    -- up after recovery_threshold good ones; a down event again every
    -- realert_every seconds while down (NULL: never); events muted
    -- (recorded, not sent) until mute_until (UTC).
    failure_threshold  INT   NOT NULL DEFAULT 1,
    recovery_threshold INT   NOT NULL DEFAULT 1,
    realert_every      INT   NULL,
    mute_until         DATETIME(6) NULL,
    UNIQUE KEY charon_cron_slug (slug),
    CONSTRAINT charon_cron_concurrency CHECK (concurrency IN ('allow', 'forbid')),
    CONSTRAINT charon_cron_max_runtime CHECK (max_runtime IS NULL OR max_runtime > 0),
    CONSTRAINT charon_cron_grace CHECK (grace > 0 AND grace <= 31622400),
    CONSTRAINT charon_cron_min_runtime CHECK (min_runtime IS NULL OR min_runtime > 0),
    CONSTRAINT charon_cron_failure_threshold CHECK (failure_threshold BETWEEN 1 AND 1000),
    CONSTRAINT charon_cron_recovery_threshold CHECK (recovery_threshold BETWEEN 1 AND 1000),
    CONSTRAINT charon_cron_realert_every CHECK (realert_every IS NULL OR realert_every BETWEEN 60 AND 31536000)
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
    -- Schema 4.  The slot of the cron's schedule this start belongs to; for
    -- a row the watchdog made (missed: no start came; unknown: the module
    -- could not look), that slot, with ended_at = started_at = the slot.
    slot        DATETIME(6)  NULL,
    missed      VARCHAR(7)   NULL,
    -- A start of a scheduled cron that belongs to no slot.
    unscheduled BOOLEAN      NOT NULL DEFAULT FALSE,
    -- Ended sooner than the cron's min_runtime.
    too_short   BOOLEAN      NOT NULL DEFAULT FALSE,
    -- One missed (or unknown) row per slot, however many servers look.
    missed_slot DATETIME(6) AS (CASE WHEN missed IS NOT NULL THEN slot END)
                VIRTUAL,
    UNIQUE KEY charon_execution_lock (lock_cron_id),
    UNIQUE KEY charon_execution_slot (cron_id, missed_slot),
    -- What the watchdog scans for lost runs.
    KEY charon_execution_open (ended_at, lost_at),
    KEY charon_execution_cron (cron_id, started_at),
    CONSTRAINT charon_execution_cron_fk FOREIGN KEY (cron_id)
        REFERENCES charon_cron (id) ON DELETE CASCADE,
    CONSTRAINT charon_execution_type CHECK
        (type IS NULL OR type IN ('warning', 'info', 'success', 'error')),
    CONSTRAINT charon_execution_missed CHECK
        (missed IS NULL OR missed IN ('missed', 'unknown'))
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

-- Schema 3: each cron's outcomes, kept by the database as runs end or are
-- lost, so that metrics and the manager page never count executions.
-- A cron gets its row with its first outcome; none means zero and NULL.
-- A lost run that ends late is counted once, as lost.  (A table of its
-- own: a trigger may not update charon_cron, which the statements that
-- mark runs lost read.)  With binary logging on, creating the trigger
-- needs SUPER or log_bin_trust_function_creators = 1.
CREATE TABLE IF NOT EXISTS charon_cron_stats (
    cron_id         BIGINT      NOT NULL PRIMARY KEY,
    runs_succeeded  BIGINT      NOT NULL DEFAULT 0,
    runs_failed     BIGINT      NOT NULL DEFAULT 0,
    runs_lost       BIGINT      NOT NULL DEFAULT 0,
    last_success_at DATETIME(6) NULL,
    last_failure_at DATETIME(6) NULL,     -- an unsuccessful end, or lost
    last_ended_at   DATETIME(6) NULL,
    last_duration   DOUBLE      NULL,     -- seconds, of the run that ended last
    -- Schema 4, counted by the watchdog as it judges slots.
    runs_missed      BIGINT     NOT NULL DEFAULT 0,
    runs_unknown     BIGINT     NOT NULL DEFAULT 0,
    runs_unscheduled BIGINT     NOT NULL DEFAULT 0,
    last_missed_at   DATETIME(6) NULL,    -- the latest slot missed
    CONSTRAINT charon_cron_stats_cron FOREIGN KEY (cron_id)
        REFERENCES charon_cron (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

DROP TRIGGER IF EXISTS charon_execution_outcome;
CREATE TRIGGER charon_execution_outcome
    AFTER UPDATE ON charon_execution FOR EACH ROW
    INSERT INTO charon_cron_stats (cron_id, runs_succeeded, runs_failed,
        runs_lost, last_success_at, last_failure_at, last_ended_at,
        last_duration)
    SELECT NEW.cron_id,
        IF(ended AND NEW.success AND OLD.lost_at IS NULL, 1, 0),
        IF(ended AND NEW.success IS NOT TRUE AND OLD.lost_at IS NULL, 1, 0),
        IF(lost, 1, 0),
        IF(ended AND NEW.success, NEW.ended_at, NULL),
        CASE WHEN ended AND NEW.success IS NOT TRUE THEN NEW.ended_at
             WHEN lost THEN NEW.lost_at END,
        IF(ended, NEW.ended_at, NULL),
        IF(ended, TIMESTAMPDIFF(MICROSECOND, NEW.started_at, NEW.ended_at)
                  / 1000000, NULL)
    FROM (SELECT OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL AS ended,
                 OLD.lost_at IS NULL AND NEW.lost_at IS NOT NULL
                 AND NEW.ended_at IS NULL AS lost) o
    WHERE ended OR lost
    ON DUPLICATE KEY UPDATE
        runs_succeeded = runs_succeeded + VALUES(runs_succeeded),
        runs_failed = runs_failed + VALUES(runs_failed),
        runs_lost = runs_lost + VALUES(runs_lost),
        last_success_at = coalesce(VALUES(last_success_at), last_success_at),
        last_failure_at = coalesce(VALUES(last_failure_at), last_failure_at),
        last_duration = IF(VALUES(last_ended_at) IS NULL, last_duration,
                           VALUES(last_duration)),
        last_ended_at = coalesce(VALUES(last_ended_at), last_ended_at);

-- Schema 4: what the watchdog has judged of each scheduled cron's slots.
-- A row per cron with a schedule, made by the watchdog; reset when the
-- schedule, the zone or the grace change.
CREATE TABLE IF NOT EXISTS charon_cron_watch (
    cron_id       BIGINT       NOT NULL PRIMARY KEY,
    schedule      VARCHAR(255) NOT NULL,    -- as judged
    timezone      VARCHAR(64)  NULL,
    grace         INT          NOT NULL,
    checked_until DATETIME(6)  NOT NULL,    -- slots whose deadline is up to here
    starts_until  DATETIME(6)  NOT NULL,    -- starts before here: bound or not
    off_seen      DATETIME(6)  NULL,        -- when the cron was last seen off
    next_slot     DATETIME(6)  NULL,        -- the first slot after the last look
    next_deadline DATETIME(6)  NOT NULL,    -- when the next slot is judged
    last_slot     DATETIME(6)  NULL,        -- the latest slot judged
    last_state    VARCHAR(7)   NULL,
    error         VARCHAR(255) NULL,        -- why the schedule cannot be used
    KEY charon_cron_watch_due (next_deadline),
    CONSTRAINT charon_cron_watch_cron FOREIGN KEY (cron_id)
        REFERENCES charon_cron (id) ON DELETE CASCADE,
    CONSTRAINT charon_cron_watch_state CHECK
        (last_state IS NULL OR last_state IN ('ok', 'missed', 'unknown'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Schema 4: the watchdog's last tick, of any server, and the last time the
-- module could not look (no tick for much longer than the interval).
CREATE TABLE IF NOT EXISTS charon_watchdog (
    id          INT          NOT NULL PRIMARY KEY,
    seen_at     DATETIME(6)  NOT NULL,
    outage_from DATETIME(6)  NULL,
    outage_to   DATETIME(6)  NULL,
    CONSTRAINT charon_watchdog_one CHECK (id = 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

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

-- Schema 6: the record of changes made through the management API
-- (docs/MANAGEMENT.md), written in the change's own transaction: when
-- (UTC), who ('key:NAME' or 'user:NAME'), the action, the cron and its
-- document (JSON) before and after (NULL for a create's before and a
-- delete's after).  No foreign key on cron_id: the record outlives the
-- cron.
CREATE TABLE IF NOT EXISTS charon_audit (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at          DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    who         VARBINARY(512) NOT NULL,
    action      VARCHAR(7)  NOT NULL,
    cron_id     BIGINT      NULL,
    slug        VARBINARY(255) NOT NULL,
    before_doc  MEDIUMTEXT  NULL,
    after_doc   MEDIUMTEXT  NULL,
    KEY charon_audit_slug (slug, id),
    CONSTRAINT charon_audit_action CHECK
        (action IN ('create', 'replace', 'patch', 'delete', 'off', 'on'))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
