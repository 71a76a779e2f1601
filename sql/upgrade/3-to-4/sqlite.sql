-- mod_charon: upgrade a SQLite database from schema 3 to schema 4
-- (sql/sqlite.sql): schedules, and the slots that never came.
--
--   systemctl stop apache2
--   sqlite3 -bail /var/lib/charon/charon.db < sql/upgrade/3-to-4/sqlite.sql
--   systemctl start apache2         # with the schema-4 module
--
-- Stop Apache before, start it after: SQLite invalidates the statements
-- running connections prepared when the schema changes.  One transaction:
-- on any error nothing is changed.  Not meant to be run twice: a second
-- run fails on ADD COLUMN and changes nothing.

BEGIN IMMEDIATE;

-- When each cron should run, and how long after a slot its start may
-- come (see sql/sqlite.sql).
ALTER TABLE charon_cron ADD COLUMN schedule TEXT;
ALTER TABLE charon_cron ADD COLUMN timezone TEXT;
ALTER TABLE charon_cron ADD COLUMN grace INTEGER NOT NULL DEFAULT 300
                        CHECK (grace > 0 AND grace <= 31622400);
ALTER TABLE charon_cron ADD COLUMN min_runtime INTEGER CHECK (min_runtime IS NULL OR min_runtime > 0);

-- The slot a start belongs to; the rows of slots with no start.
ALTER TABLE charon_execution ADD COLUMN slot TEXT;
ALTER TABLE charon_execution ADD COLUMN missed TEXT CHECK (missed IN ('missed', 'unknown'));
ALTER TABLE charon_execution ADD COLUMN unscheduled INTEGER NOT NULL DEFAULT 0 CHECK (unscheduled IN (0, 1));
ALTER TABLE charon_execution ADD COLUMN too_short INTEGER NOT NULL DEFAULT 0 CHECK (too_short IN (0, 1));
CREATE UNIQUE INDEX charon_execution_slot
    ON charon_execution (cron_id, slot)
    WHERE missed IS NOT NULL;

ALTER TABLE charon_cron_stats ADD COLUMN runs_missed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE charon_cron_stats ADD COLUMN runs_unknown INTEGER NOT NULL DEFAULT 0;
ALTER TABLE charon_cron_stats ADD COLUMN runs_unscheduled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE charon_cron_stats ADD COLUMN last_missed_at TEXT;

-- Schema 4: what the watchdog has judged of each scheduled cron's slots.
-- A row per cron with a schedule, made by the watchdog; reset when the
-- schedule, the zone or the grace change.  Times as charon_execution's.
CREATE TABLE charon_cron_watch (
    cron_id       INTEGER PRIMARY KEY REFERENCES charon_cron (id) ON DELETE CASCADE,
    schedule      TEXT    NOT NULL,         -- as judged
    timezone      TEXT,
    grace         INTEGER NOT NULL,
    checked_until TEXT    NOT NULL,         -- slots whose deadline is up to here
    starts_until  TEXT    NOT NULL,         -- starts before here: bound or not
    off_seen      TEXT,                     -- when the cron was last seen off
    next_slot     TEXT,                     -- the first slot after the last look
    next_deadline TEXT    NOT NULL,         -- when the next slot is judged
    last_slot     TEXT,                     -- the latest slot judged
    last_state    TEXT    CHECK (last_state IN ('ok', 'missed', 'unknown')),
    error         TEXT                      -- why the schedule cannot be used
);
CREATE INDEX charon_cron_watch_due
    ON charon_cron_watch (next_deadline);

-- Schema 4: the watchdog's last tick, of any server, and the last time the
-- module could not look (no tick for much longer than the interval).
CREATE TABLE charon_watchdog (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seen_at     TEXT    NOT NULL,
    outage_from TEXT,
    outage_to   TEXT
);

COMMIT;
