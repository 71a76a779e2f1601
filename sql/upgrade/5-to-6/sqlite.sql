-- mod_charon: upgrade a SQLite database from schema 5 to schema 6
-- (sql/sqlite.sql): the record of changes made through the management API.
--
--   systemctl stop apache2
--   sqlite3 -bail /var/lib/charon/charon.db < sql/upgrade/5-to-6/sqlite.sql
--   systemctl start apache2         # with the schema-6 module
--
-- Stop Apache before, start it after: SQLite invalidates the statements
-- running connections prepared when the schema changes.  One transaction:
-- on any error nothing is changed.  Not meant to be run twice: a second
-- run fails on CREATE TABLE (charon_audit exists) and changes nothing.
-- The record starts empty: changes made before are not in it.

BEGIN IMMEDIATE;

-- Schema 6: the record of changes made through the management API
-- (docs/MANAGEMENT.md), written in the change's own transaction: when,
-- who ('key:NAME' or 'user:NAME'), the action, the cron and its document
-- (JSON) before and after (NULL for a create's before and a delete's
-- after).  No foreign key on cron_id: the record outlives the cron.
CREATE TABLE charon_audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    who         TEXT    NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('create', 'replace', 'patch', 'delete', 'off', 'on')),
    cron_id     INTEGER,
    slug        TEXT    NOT NULL,
    before_doc  TEXT,
    after_doc   TEXT
);
CREATE INDEX charon_audit_slug
    ON charon_audit (slug, id);

COMMIT;
