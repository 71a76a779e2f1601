-- mod_charon: upgrade a SQLite database from schema 4 to schema 5
-- (sql/sqlite.sql): alerts.
--
--   systemctl stop apache2
--   sqlite3 -bail /var/lib/charon/charon.db < sql/upgrade/4-to-5/sqlite.sql
--   systemctl start apache2         # with the schema-5 module
--
-- Stop Apache before, start it after: SQLite invalidates the statements
-- running connections prepared when the schema changes.  One transaction:
-- on any error nothing is changed.  Not meant to be run twice: a second
-- run fails on ADD COLUMN and changes nothing.  Every cron starts up,
-- with the default policy (down at the first bad run, up at the first
-- good one, no realert, not muted).

BEGIN IMMEDIATE;

-- Each cron's alert policy (see sql/sqlite.sql).
ALTER TABLE charon_cron ADD COLUMN failure_threshold  INTEGER NOT NULL DEFAULT 1
                       CHECK (failure_threshold BETWEEN 1 AND 1000);
ALTER TABLE charon_cron ADD COLUMN recovery_threshold INTEGER NOT NULL DEFAULT 1
                       CHECK (recovery_threshold BETWEEN 1 AND 1000);
ALTER TABLE charon_cron ADD COLUMN realert_every      INTEGER CHECK (realert_every IS NULL OR realert_every BETWEEN 60 AND 31536000);
ALTER TABLE charon_cron ADD COLUMN mute_until         TEXT;

-- Schema 5: what runs came to, for the alerts.  Written by the triggers
-- below in the transaction of the run's own change (so nothing is lost
-- between a run ending and its alert), read and deleted by the watchdog
-- as it moves each cron's alert state.  A good outcome is written only
-- when it can change something: the cron is down, has bad runs in a row,
-- or has outcomes waiting.
CREATE TABLE IF NOT EXISTS charon_alert_outcome (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    cron_id      INTEGER NOT NULL REFERENCES charon_cron (id) ON DELETE CASCADE,
    execution_id INTEGER NOT NULL,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'lost', 'too_short', 'missed')),
    at           TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX IF NOT EXISTS charon_alert_outcome_cron
    ON charon_alert_outcome (cron_id, id);

-- Schema 5: each cron's alert state, kept by the watchdog; no row: up.
CREATE TABLE IF NOT EXISTS charon_cron_alert (
    cron_id     INTEGER PRIMARY KEY REFERENCES charon_cron (id) ON DELETE CASCADE,
    state       TEXT    NOT NULL DEFAULT 'up' CHECK (state IN ('up', 'down')),
    bad_streak  INTEGER NOT NULL DEFAULT 0,
    good_streak INTEGER NOT NULL DEFAULT 0,
    changed_at  TEXT,                       -- the last change of state
    alerted_at  TEXT                        -- the last down event
);

-- Schema 5: the events (an outbox: written in the transaction that
-- changes the state), and their delivery to each channel.
CREATE TABLE IF NOT EXISTS charon_alert_event (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    uid         TEXT    NOT NULL UNIQUE,    -- the event id sent
    cron_id     INTEGER REFERENCES charon_cron (id) ON DELETE CASCADE,
    event       TEXT    NOT NULL CHECK (event IN ('down', 'up', 'realert', 'test')),
    muted       INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    document    TEXT    NOT NULL            -- JSON, as sent
);
CREATE INDEX IF NOT EXISTS charon_alert_event_created
    ON charon_alert_event (created_at);
CREATE INDEX IF NOT EXISTS charon_alert_event_cron
    ON charon_alert_event (cron_id, id);

CREATE TABLE IF NOT EXISTS charon_alert_delivery (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     INTEGER NOT NULL REFERENCES charon_alert_event (id) ON DELETE CASCADE,
    channel      TEXT    NOT NULL,          -- CharonAlert's NAME
    state        TEXT    NOT NULL DEFAULT 'pending'
                         CHECK (state IN ('pending', 'delivered', 'given_up')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    due_at       TEXT    NOT NULL,          -- the next attempt
    lease_until  TEXT,                      -- a watchdog is sending it
    lease_owner  TEXT,
    delivered_at TEXT,
    last_error   TEXT,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    UNIQUE (event_id, channel)
);
CREATE INDEX IF NOT EXISTS charon_alert_delivery_due
    ON charon_alert_delivery (channel, state, due_at);
CREATE INDEX IF NOT EXISTS charon_alert_delivery_owner
    ON charon_alert_delivery (lease_owner);
-- What is still to send, of every channel (metrics, health).
CREATE INDEX IF NOT EXISTS charon_alert_delivery_state
    ON charon_alert_delivery (state, due_at);

-- Every attempt: when, what came of it, why.
CREATE TABLE IF NOT EXISTS charon_alert_attempt (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES charon_alert_delivery (id) ON DELETE CASCADE,
    at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    result      TEXT    NOT NULL CHECK (result IN ('ok', 'retry', 'failed', 'given_up')),
    status      INTEGER,                    -- HTTP status, exit status
    error       TEXT,
    ms          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS charon_alert_attempt_delivery
    ON charon_alert_attempt (delivery_id);

-- Attempts counted per channel and result, for the metrics (which must
-- not go down when old attempts are purged).
CREATE TABLE IF NOT EXISTS charon_alert_stats (
    channel  TEXT    NOT NULL,
    result   TEXT    NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, result)
);

CREATE TRIGGER IF NOT EXISTS charon_alert_attempt_counted
    AFTER INSERT ON charon_alert_attempt
BEGIN
    INSERT INTO charon_alert_stats (channel, result, attempts)
    SELECT d.channel, NEW.result, 1 FROM charon_alert_delivery d
    WHERE d.id = NEW.delivery_id
    ON CONFLICT (channel, result) DO UPDATE SET attempts = attempts + 1;
END;

CREATE TRIGGER IF NOT EXISTS charon_execution_alert_ended
    AFTER UPDATE OF ended_at ON charon_execution
    WHEN OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL
         AND OLD.lost_at IS NULL AND NEW.missed IS NULL
         AND (NOT NEW.success OR NEW.too_short
              OR EXISTS (SELECT 1 FROM charon_cron_alert a
                         WHERE a.cron_id = NEW.cron_id
                           AND (a.state = 'down' OR a.bad_streak > 0))
              OR EXISTS (SELECT 1 FROM charon_alert_outcome o
                         WHERE o.cron_id = NEW.cron_id))
BEGIN
    INSERT INTO charon_alert_outcome (cron_id, execution_id, outcome)
    VALUES (NEW.cron_id, NEW.id,
            CASE WHEN NOT NEW.success THEN 'failed'
                 WHEN NEW.too_short THEN 'too_short'
                 ELSE 'succeeded' END);
END;

CREATE TRIGGER IF NOT EXISTS charon_execution_alert_lost
    AFTER UPDATE OF lost_at ON charon_execution
    WHEN OLD.lost_at IS NULL AND NEW.lost_at IS NOT NULL
         AND NEW.ended_at IS NULL
BEGIN
    INSERT INTO charon_alert_outcome (cron_id, execution_id, outcome)
    VALUES (NEW.cron_id, NEW.id, 'lost');
END;

CREATE TRIGGER IF NOT EXISTS charon_execution_alert_missed
    AFTER INSERT ON charon_execution
    WHEN NEW.missed = 'missed'
BEGIN
    INSERT INTO charon_alert_outcome (cron_id, execution_id, outcome)
    VALUES (NEW.cron_id, NEW.id, 'missed');
END;

COMMIT;
