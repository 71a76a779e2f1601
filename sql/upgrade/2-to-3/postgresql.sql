-- mod_charon: upgrade a PostgreSQL database from schema 2 to schema 3
-- (sql/postgresql.sql): each cron's outcome counters, for the metrics and
-- the manager page.
--
--   psql -v ON_ERROR_STOP=1 -d charon -f sql/upgrade/2-to-3/postgresql.sql
--
-- Apache may keep running (the module of schema 2 does not read the new
-- table; load the schema-3 module afterwards).  One transaction: on any
-- error nothing is changed.  Not meant to be run twice: a second run fails
-- on CREATE TABLE and changes nothing.  The counters start from the runs
-- in charon_execution: one pass over it, in the transaction (about a
-- minute per 10 million runs); runs that retention deleted are not
-- counted.

BEGIN;

-- Schema 3: each cron's outcomes, kept by the database as runs end or are
-- lost, so that metrics and the manager page never count executions.
-- A cron gets its row with its first outcome; none means zero and NULL.
-- A lost run that ends late is counted once, as lost.
CREATE TABLE charon_cron_stats (
    cron_id         BIGINT      PRIMARY KEY REFERENCES charon_cron (id) ON DELETE CASCADE,
    runs_succeeded  BIGINT      NOT NULL DEFAULT 0,
    runs_failed     BIGINT      NOT NULL DEFAULT 0,
    runs_lost       BIGINT      NOT NULL DEFAULT 0,
    last_success_at TIMESTAMPTZ,
    last_failure_at TIMESTAMPTZ,      -- an unsuccessful end, or lost
    last_ended_at   TIMESTAMPTZ,
    last_duration   DOUBLE PRECISION  -- seconds, of the run that ended last
);

-- The runs so far.
INSERT INTO charon_cron_stats (cron_id, runs_succeeded, runs_failed,
    runs_lost, last_success_at, last_failure_at, last_ended_at, last_duration)
SELECT e.cron_id,
    count(*) FILTER (WHERE e.ended_at IS NOT NULL AND e.lost_at IS NULL AND e.success),
    count(*) FILTER (WHERE e.ended_at IS NOT NULL AND e.lost_at IS NULL AND e.success IS NOT TRUE),
    count(*) FILTER (WHERE e.lost_at IS NOT NULL),
    max(e.ended_at) FILTER (WHERE e.success),
    max(coalesce(e.lost_at, e.ended_at)) FILTER (WHERE e.lost_at IS NOT NULL
        OR (e.ended_at IS NOT NULL AND e.success IS NOT TRUE)),
    max(e.ended_at),
    (SELECT EXTRACT(EPOCH FROM l.ended_at - l.started_at) FROM charon_execution l
     WHERE l.cron_id = e.cron_id AND l.ended_at IS NOT NULL
     ORDER BY l.ended_at DESC, l.id DESC LIMIT 1)
FROM charon_execution e
WHERE e.ended_at IS NOT NULL OR e.lost_at IS NOT NULL
GROUP BY e.cron_id;

CREATE OR REPLACE FUNCTION charon_execution_outcome() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL THEN
        INSERT INTO charon_cron_stats AS s (cron_id, runs_succeeded,
            runs_failed, last_success_at, last_failure_at, last_ended_at,
            last_duration)
        VALUES (NEW.cron_id,
            CASE WHEN NEW.success AND OLD.lost_at IS NULL THEN 1 ELSE 0 END,
            CASE WHEN NEW.success OR OLD.lost_at IS NOT NULL THEN 0 ELSE 1 END,
            CASE WHEN NEW.success THEN NEW.ended_at END,
            CASE WHEN NEW.success THEN NULL ELSE NEW.ended_at END,
            NEW.ended_at,
            EXTRACT(EPOCH FROM NEW.ended_at - NEW.started_at))
        ON CONFLICT (cron_id) DO UPDATE SET
            runs_succeeded = s.runs_succeeded + excluded.runs_succeeded,
            runs_failed = s.runs_failed + excluded.runs_failed,
            last_success_at = coalesce(excluded.last_success_at, s.last_success_at),
            last_failure_at = coalesce(excluded.last_failure_at, s.last_failure_at),
            last_ended_at = excluded.last_ended_at,
            last_duration = excluded.last_duration;
    ELSIF OLD.lost_at IS NULL AND NEW.lost_at IS NOT NULL
          AND NEW.ended_at IS NULL THEN
        INSERT INTO charon_cron_stats AS s (cron_id, runs_lost, last_failure_at)
        VALUES (NEW.cron_id, 1, NEW.lost_at)
        ON CONFLICT (cron_id) DO UPDATE SET
            runs_lost = s.runs_lost + 1,
            last_failure_at = excluded.last_failure_at;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER charon_execution_outcome
    AFTER UPDATE OF ended_at, lost_at ON charon_execution
    FOR EACH ROW EXECUTE FUNCTION charon_execution_outcome();

COMMIT;
