-- mod_charon schema 6 for SQLite 3.35 or later.
--   sqlite3 /var/lib/charon/charon.db < sql/sqlite.sql
-- Create it before Apache starts: SQLite invalidates the statements that
-- running connections prepared when another process changes the schema.

-- WAL lets readers go on while one writer writes; the setting stays in
-- the file.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS charon_cron (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    -- Run control (schema 2).  'forbid': one running execution at a time.
    concurrency TEXT    NOT NULL DEFAULT 'allow'
                        CHECK (concurrency IN ('allow', 'forbid')),
    -- Seconds after which a running execution is lost; NULL: never.
    max_runtime INTEGER CHECK (max_runtime IS NULL OR max_runtime > 0),
    -- Why the cron is off, and when it comes back on by itself (UTC,
    -- 'YYYY-MM-DD HH:MM:SS' or any form julianday() reads).
    off_reason  TEXT,
    off_until   TEXT,
    -- Refused starts: while switched off (418), while locked (409).
    refused_inactive INTEGER NOT NULL DEFAULT 0,
    refused_locked   INTEGER NOT NULL DEFAULT 0,
    -- Schema 4.  When it should run: Debian cron's five fields, a nickname
    -- (@daily) or @every DURATION; NULL: unscheduled.  Its time zone (an
    -- IANA name; NULL: CharonDefaultTimezone, else UTC), how long after a
    -- slot its start may come (seconds), and the shortest run that is not
    -- too short (seconds; NULL: none).
    schedule    TEXT,
    timezone    TEXT,
    grace       INTEGER NOT NULL DEFAULT 300
                        CHECK (grace > 0 AND grace <= 31622400),
    min_runtime INTEGER CHECK (min_runtime IS NULL OR min_runtime > 0),
    -- Schema 5: alerts.  Down after failure_threshold bad runs in a row,
    -- up after recovery_threshold good ones; a down event again every
    -- realert_every seconds while down (NULL: never); events muted
    -- (recorded, not sent) until mute_until.
    failure_threshold  INTEGER NOT NULL DEFAULT 1
                       CHECK (failure_threshold BETWEEN 1 AND 1000),
    recovery_threshold INTEGER NOT NULL DEFAULT 1
                       CHECK (recovery_threshold BETWEEN 1 AND 1000),
    realert_every      INTEGER CHECK (realert_every IS NULL OR realert_every BETWEEN 60 AND 31536000),
    mute_until         TEXT
);

CREATE TABLE IF NOT EXISTS charon_execution (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    cron_id     INTEGER NOT NULL REFERENCES charon_cron (id) ON DELETE CASCADE,
    started_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    ended_at    TEXT,
    success     INTEGER CHECK (success IN (0, 1)),
    type        TEXT    CHECK (type IN ('warning', 'info', 'success', 'error')),
    api_key     TEXT    NOT NULL,
    remote_addr TEXT    NOT NULL,
    -- Started while the cron's concurrency was 'forbid': holds the lock
    -- until it ends or is lost.
    forbid_overlap INTEGER NOT NULL DEFAULT 0 CHECK (forbid_overlap IN (0, 1)),
    -- When the module found it still running past max_runtime.
    lost_at     TEXT,
    -- Schema 4.  The slot of the cron's schedule this start belongs to; for
    -- a row the watchdog made (missed: no start came; unknown: the module
    -- could not look), that slot, with ended_at = started_at = the slot.
    slot        TEXT,
    missed      TEXT    CHECK (missed IN ('missed', 'unknown')),
    -- A start of a scheduled cron that belongs to no slot.
    unscheduled INTEGER NOT NULL DEFAULT 0 CHECK (unscheduled IN (0, 1)),
    -- Ended sooner than the cron's min_runtime.
    too_short   INTEGER NOT NULL DEFAULT 0 CHECK (too_short IN (0, 1))
);
CREATE INDEX IF NOT EXISTS charon_execution_cron
    ON charon_execution (cron_id, started_at);
-- The overlap lock: at most one running execution that holds it per cron.
CREATE UNIQUE INDEX IF NOT EXISTS charon_execution_lock
    ON charon_execution (cron_id)
    WHERE forbid_overlap AND ended_at IS NULL AND lost_at IS NULL;
-- What the watchdog scans for lost runs.
CREATE INDEX IF NOT EXISTS charon_execution_open
    ON charon_execution (cron_id)
    WHERE ended_at IS NULL AND lost_at IS NULL;
-- One missed (or unknown) row per slot, however many servers look.
CREATE UNIQUE INDEX IF NOT EXISTS charon_execution_slot
    ON charon_execution (cron_id, slot)
    WHERE missed IS NOT NULL;

CREATE TABLE IF NOT EXISTS charon_message (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id INTEGER NOT NULL REFERENCES charon_execution (id) ON DELETE CASCADE,
    type         TEXT    NOT NULL CHECK (type IN ('warning', 'info', 'success', 'error')),
    message      TEXT    NOT NULL,
    created_at   TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE INDEX IF NOT EXISTS charon_message_execution
    ON charon_message (execution_id, id);

-- Answers kept for Idempotency-Key retries, per API key name.
CREATE TABLE IF NOT EXISTS charon_idempotency (
    key_name    TEXT    NOT NULL,
    idem_key    TEXT    NOT NULL,
    request     TEXT    NOT NULL,     -- SHA-256 (hex) of route and body
    status      INTEGER NOT NULL,
    response    TEXT    NOT NULL,
    created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    PRIMARY KEY (key_name, idem_key)
);
CREATE INDEX IF NOT EXISTS charon_idempotency_created
    ON charon_idempotency (created_at);

-- Schema 3: each cron's outcomes, kept by the database as runs end or are
-- lost, so that metrics and the manager page never count executions.
-- A cron gets its row with its first outcome; none means zero and NULL.
-- A lost run that ends late is counted once, as lost.
CREATE TABLE IF NOT EXISTS charon_cron_stats (
    cron_id         INTEGER PRIMARY KEY REFERENCES charon_cron (id) ON DELETE CASCADE,
    runs_succeeded  INTEGER NOT NULL DEFAULT 0,
    runs_failed     INTEGER NOT NULL DEFAULT 0,
    runs_lost       INTEGER NOT NULL DEFAULT 0,
    last_success_at TEXT,
    last_failure_at TEXT,       -- an unsuccessful end, or lost
    last_ended_at   TEXT,
    last_duration   REAL,       -- seconds, of the run that ended last
    -- Schema 4, counted by the watchdog as it judges slots.
    runs_missed      INTEGER NOT NULL DEFAULT 0,
    runs_unknown     INTEGER NOT NULL DEFAULT 0,
    runs_unscheduled INTEGER NOT NULL DEFAULT 0,
    last_missed_at   TEXT       -- the latest slot missed
);

CREATE TRIGGER IF NOT EXISTS charon_execution_ended
    AFTER UPDATE OF ended_at ON charon_execution
    WHEN OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL
BEGIN
    INSERT INTO charon_cron_stats (cron_id, runs_succeeded, runs_failed,
        last_success_at, last_failure_at, last_ended_at, last_duration)
    VALUES (NEW.cron_id,
        CASE WHEN NEW.success AND OLD.lost_at IS NULL THEN 1 ELSE 0 END,
        CASE WHEN NEW.success OR OLD.lost_at IS NOT NULL THEN 0 ELSE 1 END,
        CASE WHEN NEW.success THEN NEW.ended_at END,
        CASE WHEN NEW.success THEN NULL ELSE NEW.ended_at END,
        NEW.ended_at,
        round((julianday(NEW.ended_at) - julianday(NEW.started_at)) * 86400.0, 3))
    ON CONFLICT (cron_id) DO UPDATE SET
        runs_succeeded = runs_succeeded + excluded.runs_succeeded,
        runs_failed = runs_failed + excluded.runs_failed,
        last_success_at = coalesce(excluded.last_success_at, last_success_at),
        last_failure_at = coalesce(excluded.last_failure_at, last_failure_at),
        last_ended_at = excluded.last_ended_at,
        last_duration = excluded.last_duration;
END;

CREATE TRIGGER IF NOT EXISTS charon_execution_lost
    AFTER UPDATE OF lost_at ON charon_execution
    WHEN OLD.lost_at IS NULL AND NEW.lost_at IS NOT NULL
         AND NEW.ended_at IS NULL
BEGIN
    INSERT INTO charon_cron_stats (cron_id, runs_lost, last_failure_at)
    VALUES (NEW.cron_id, 1, NEW.lost_at)
    ON CONFLICT (cron_id) DO UPDATE SET
        runs_lost = runs_lost + 1,
        last_failure_at = excluded.last_failure_at;
END;

-- Schema 4: what the watchdog has judged of each scheduled cron's slots.
-- A row per cron with a schedule, made by the watchdog; reset when the
-- schedule, the zone or the grace change.  Times as charon_execution's.
CREATE TABLE IF NOT EXISTS charon_cron_watch (
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
CREATE INDEX IF NOT EXISTS charon_cron_watch_due
    ON charon_cron_watch (next_deadline);

-- Schema 4: the watchdog's last tick, of any server, and the last time the
-- module could not look (no tick for much longer than the interval).
CREATE TABLE IF NOT EXISTS charon_watchdog (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seen_at     TEXT    NOT NULL,
    outage_from TEXT,
    outage_to   TEXT
);

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

-- Schema 6: the record of changes made through the management API
-- (docs/MANAGEMENT.md), written in the change's own transaction: when,
-- who ('key:NAME' or 'user:NAME'), the action, the cron and its document
-- (JSON) before and after (NULL for a create's before and a delete's
-- after).  No foreign key on cron_id: the record outlives the cron.
CREATE TABLE IF NOT EXISTS charon_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    who         TEXT    NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('create', 'replace', 'patch', 'delete', 'off', 'on')),
    cron_id     INTEGER,
    slug        TEXT    NOT NULL,
    before_doc  TEXT,
    after_doc   TEXT
);
CREATE INDEX IF NOT EXISTS charon_audit_slug
    ON charon_audit (slug, id);
