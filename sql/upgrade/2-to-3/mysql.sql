-- mod_charon: upgrade a MySQL/MariaDB database from schema 2 to schema 3
-- (sql/mysql.sql): each cron's outcome counters, for the metrics and the
-- manager page.
--
--   mysql charon < sql/upgrade/2-to-3/mysql.sql
--
-- Stop Apache first, or the runs that end between the counting and the
-- trigger are not counted (MySQL commits each DDL statement by itself).
-- Not meant to be run twice: a second run fails on CREATE TABLE and
-- changes nothing.  The counters start from the runs in charon_execution:
-- one pass over it; runs that retention deleted are not counted.  With
-- binary logging on, creating the trigger needs SUPER or
-- log_bin_trust_function_creators = 1.

-- Schema 3: each cron's outcomes, kept by the database as runs end or are
-- lost, so that metrics and the manager page never count executions.
-- A cron gets its row with its first outcome; none means zero and NULL.
-- A lost run that ends late is counted once, as lost.  (A table of its
-- own: a trigger may not update charon_cron, which the statements that
-- mark runs lost read.)  With binary logging on, creating the trigger
-- needs SUPER or log_bin_trust_function_creators = 1.
CREATE TABLE charon_cron_stats (
    cron_id         BIGINT      NOT NULL PRIMARY KEY,
    runs_succeeded  BIGINT      NOT NULL DEFAULT 0,
    runs_failed     BIGINT      NOT NULL DEFAULT 0,
    runs_lost       BIGINT      NOT NULL DEFAULT 0,
    last_success_at DATETIME(6) NULL,
    last_failure_at DATETIME(6) NULL,     -- an unsuccessful end, or lost
    last_ended_at   DATETIME(6) NULL,
    last_duration   DOUBLE      NULL,     -- seconds, of the run that ended last
    CONSTRAINT charon_cron_stats_cron FOREIGN KEY (cron_id)
        REFERENCES charon_cron (id) ON DELETE CASCADE
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The runs so far.
INSERT INTO charon_cron_stats (cron_id, runs_succeeded, runs_failed,
    runs_lost, last_success_at, last_failure_at, last_ended_at, last_duration)
SELECT e.cron_id,
    SUM(e.ended_at IS NOT NULL AND e.lost_at IS NULL AND e.success IS TRUE),
    SUM(e.ended_at IS NOT NULL AND e.lost_at IS NULL AND e.success IS NOT TRUE),
    SUM(e.lost_at IS NOT NULL),
    MAX(IF(e.success IS TRUE, e.ended_at, NULL)),
    MAX(CASE WHEN e.lost_at IS NOT NULL THEN e.lost_at
             WHEN e.ended_at IS NOT NULL AND e.success IS NOT TRUE THEN e.ended_at END),
    MAX(e.ended_at),
    (SELECT TIMESTAMPDIFF(MICROSECOND, l.started_at, l.ended_at) / 1000000
     FROM charon_execution l
     WHERE l.cron_id = e.cron_id AND l.ended_at IS NOT NULL
     ORDER BY l.ended_at DESC, l.id DESC LIMIT 1)
FROM charon_execution e
WHERE e.ended_at IS NOT NULL OR e.lost_at IS NOT NULL
GROUP BY e.cron_id;

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
