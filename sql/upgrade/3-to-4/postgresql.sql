-- mod_charon: upgrade a PostgreSQL database from schema 3 to schema 4
-- (sql/postgresql.sql): schedules, and the slots that never came.
--
--   psql -v ON_ERROR_STOP=1 -d charon -f sql/upgrade/3-to-4/postgresql.sql
--
-- Apache may keep running (the module of schema 3 reads none of the new
-- columns; load the schema-4 module afterwards).  One transaction: on any
-- error nothing is changed.  Not meant to be run twice: a second run fails
-- on ADD COLUMN and changes nothing.  Every cron starts unscheduled; the
-- new columns of existing rows take their defaults, without rewriting the
-- tables (PostgreSQL 11+ adds a column with a constant default in place).

BEGIN;

-- When each cron should run, and how long after a slot its start may
-- come (see sql/postgresql.sql).
ALTER TABLE charon_cron
    ADD COLUMN schedule    VARCHAR(255),
    ADD COLUMN timezone    VARCHAR(64),
    ADD COLUMN grace       INTEGER      NOT NULL DEFAULT 300
                           CHECK (grace > 0 AND grace <= 31622400),
    ADD COLUMN min_runtime INTEGER      CHECK (min_runtime > 0);

-- The slot a start belongs to; the rows of slots with no start.
ALTER TABLE charon_execution
    ADD COLUMN slot        TIMESTAMPTZ,
    ADD COLUMN missed      VARCHAR(7)   CHECK (missed IN ('missed', 'unknown')),
    ADD COLUMN unscheduled BOOLEAN      NOT NULL DEFAULT FALSE,
    ADD COLUMN too_short   BOOLEAN      NOT NULL DEFAULT FALSE;
CREATE UNIQUE INDEX charon_execution_slot
    ON charon_execution (cron_id, slot)
    WHERE missed IS NOT NULL;

ALTER TABLE charon_cron_stats
    ADD COLUMN runs_missed      BIGINT     NOT NULL DEFAULT 0,
    ADD COLUMN runs_unknown     BIGINT     NOT NULL DEFAULT 0,
    ADD COLUMN runs_unscheduled BIGINT     NOT NULL DEFAULT 0,
    ADD COLUMN last_missed_at   TIMESTAMPTZ;

-- Schema 4: what the watchdog has judged of each scheduled cron's slots.
-- A row per cron with a schedule, made by the watchdog; reset when the
-- schedule, the zone or the grace change.
CREATE TABLE charon_cron_watch (
    cron_id       BIGINT       PRIMARY KEY REFERENCES charon_cron (id) ON DELETE CASCADE,
    schedule      VARCHAR(255) NOT NULL,    -- as judged
    timezone      VARCHAR(64),
    grace         INTEGER      NOT NULL,
    checked_until TIMESTAMPTZ  NOT NULL,    -- slots whose deadline is up to here
    starts_until  TIMESTAMPTZ  NOT NULL,    -- starts before here: bound or not
    off_seen      TIMESTAMPTZ,              -- when the cron was last seen off
    next_slot     TIMESTAMPTZ,              -- the first slot after the last look
    next_deadline TIMESTAMPTZ  NOT NULL,    -- when the next slot is judged
    last_slot     TIMESTAMPTZ,              -- the latest slot judged
    last_state    VARCHAR(7)   CHECK (last_state IN ('ok', 'missed', 'unknown')),
    error         VARCHAR(255)              -- why the schedule cannot be used
);
CREATE INDEX charon_cron_watch_due
    ON charon_cron_watch (next_deadline);

-- Schema 4: the watchdog's last tick, of any server, and the last time the
-- module could not look (no tick for much longer than the interval).
CREATE TABLE charon_watchdog (
    id          INTEGER      PRIMARY KEY CHECK (id = 1),
    seen_at     TIMESTAMPTZ  NOT NULL,
    outage_from TIMESTAMPTZ,
    outage_to   TIMESTAMPTZ
);

COMMIT;
