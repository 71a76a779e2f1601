-- mod_charon: upgrade a MySQL or MariaDB database from schema 3 to schema
-- 4 (sql/mysql.sql): schedules, and the slots that never came.
--
--   mysql charon < sql/upgrade/3-to-4/mysql.sql
--
-- Apache may keep running (the module of schema 3 reads none of the new
-- columns; load the schema-4 module afterwards).  MySQL commits each ALTER
-- by itself: should one fail, the ones before it stay; the statements are
-- in an order that leaves a database the schema-3 module still works
-- with.  Not meant to be run twice: a second run fails on ADD COLUMN and
-- changes nothing.  Adding columns rebuilds charon_execution: a minute or
-- more per ten million runs (ALGORITHM=INSTANT where the server can).

ALTER TABLE charon_cron
    ADD COLUMN schedule    VARCHAR(255) NULL,
    ADD COLUMN timezone    VARCHAR(64)  NULL,
    ADD COLUMN grace       INT          NOT NULL DEFAULT 300,
    ADD COLUMN min_runtime INT          NULL,
    ADD CONSTRAINT charon_cron_grace CHECK (grace > 0 AND grace <= 31622400),
    ADD CONSTRAINT charon_cron_min_runtime
        CHECK (min_runtime IS NULL OR min_runtime > 0);

ALTER TABLE charon_execution
    ADD COLUMN slot        DATETIME(6)  NULL,
    ADD COLUMN missed      VARCHAR(7)   NULL,
    ADD COLUMN unscheduled BOOLEAN      NOT NULL DEFAULT FALSE,
    ADD COLUMN too_short   BOOLEAN      NOT NULL DEFAULT FALSE,
    ADD COLUMN missed_slot DATETIME(6) AS (CASE WHEN missed IS NOT NULL THEN slot END)
               VIRTUAL,
    ADD UNIQUE KEY charon_execution_slot (cron_id, missed_slot),
    ADD CONSTRAINT charon_execution_missed CHECK
        (missed IS NULL OR missed IN ('missed', 'unknown'));

ALTER TABLE charon_cron_stats
    ADD COLUMN runs_missed      BIGINT     NOT NULL DEFAULT 0,
    ADD COLUMN runs_unknown     BIGINT     NOT NULL DEFAULT 0,
    ADD COLUMN runs_unscheduled BIGINT     NOT NULL DEFAULT 0,
    ADD COLUMN last_missed_at   DATETIME(6) NULL;

-- Schema 4: what the watchdog has judged of each scheduled cron's slots.
-- A row per cron with a schedule, made by the watchdog; reset when the
-- schedule, the zone or the grace change.
CREATE TABLE charon_cron_watch (
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
CREATE TABLE charon_watchdog (
    id          INT          NOT NULL PRIMARY KEY,
    seen_at     DATETIME(6)  NOT NULL,
    outage_from DATETIME(6)  NULL,
    outage_to   DATETIME(6)  NULL,
    CONSTRAINT charon_watchdog_one CHECK (id = 1)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
