-- mod_charon: upgrade a SQLite database from schema 2 to schema 3
-- (sql/sqlite.sql): each cron's outcome counters, for the metrics and the
-- manager page.
--
--   systemctl stop apache2
--   sqlite3 -bail /var/lib/charon/charon.db < sql/upgrade/2-to-3/sqlite.sql
--   systemctl start apache2         # with the schema-3 module
--
-- Stop Apache before, start it after (see 1-to-2).  One transaction: on
-- any error nothing is changed.  Not meant to be run twice: a second run
-- fails on CREATE TABLE and changes nothing.  The counters start from the
-- runs in charon_execution: one pass over it; runs that retention deleted
-- are not counted.

BEGIN IMMEDIATE;

-- Schema 3: each cron's outcomes, kept by the database as runs end or are
-- lost, so that metrics and the manager page never count executions.
-- A cron gets its row with its first outcome; none means zero and NULL.
-- A lost run that ends late is counted once, as lost.
CREATE TABLE charon_cron_stats (
    cron_id         INTEGER PRIMARY KEY REFERENCES charon_cron (id) ON DELETE CASCADE,
    runs_succeeded  INTEGER NOT NULL DEFAULT 0,
    runs_failed     INTEGER NOT NULL DEFAULT 0,
    runs_lost       INTEGER NOT NULL DEFAULT 0,
    last_success_at TEXT,
    last_failure_at TEXT,       -- an unsuccessful end, or lost
    last_ended_at   TEXT,
    last_duration   REAL        -- seconds, of the run that ended last
);

-- The runs so far.
INSERT INTO charon_cron_stats (cron_id, runs_succeeded, runs_failed,
    runs_lost, last_success_at, last_failure_at, last_ended_at, last_duration)
SELECT e.cron_id,
    sum(e.ended_at IS NOT NULL AND e.lost_at IS NULL AND e.success IS 1),
    sum(e.ended_at IS NOT NULL AND e.lost_at IS NULL AND e.success IS NOT 1),
    sum(e.lost_at IS NOT NULL),
    max(CASE WHEN e.success THEN e.ended_at END),
    max(CASE WHEN e.lost_at IS NOT NULL THEN e.lost_at
             WHEN e.ended_at IS NOT NULL AND e.success IS NOT 1 THEN e.ended_at END),
    max(e.ended_at),
    (SELECT round((julianday(l.ended_at) - julianday(l.started_at)) * 86400.0, 3)
     FROM charon_execution l
     WHERE l.cron_id = e.cron_id AND l.ended_at IS NOT NULL
     ORDER BY l.ended_at DESC, l.id DESC LIMIT 1)
FROM charon_execution e
WHERE e.ended_at IS NOT NULL OR e.lost_at IS NOT NULL
GROUP BY e.cron_id;

CREATE TRIGGER charon_execution_ended
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

CREATE TRIGGER charon_execution_lost
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

COMMIT;
