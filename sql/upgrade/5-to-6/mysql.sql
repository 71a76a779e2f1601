-- mod_charon: upgrade a MySQL or MariaDB database from schema 5 to schema
-- 6 (sql/mysql.sql): the record of changes made through the management
-- API.
--
--   mysql charon < sql/upgrade/5-to-6/mysql.sql
--
-- Apache may keep running (the module of schema 5 reads none of the new
-- table; load the schema-6 module afterwards).  One statement (MySQL
-- commits each CREATE TABLE by itself): it is done or it is not.  Not
-- meant to be run twice: a second run fails on CREATE TABLE (charon_audit
-- exists) and changes nothing.  The record starts empty: changes made
-- before are not in it.

-- Schema 6: the record of changes made through the management API
-- (docs/MANAGEMENT.md), written in the change's own transaction: when
-- (UTC), who ('key:NAME' or 'user:NAME'), the action, the cron and its
-- document (JSON) before and after (NULL for a create's before and a
-- delete's after).  No foreign key on cron_id: the record outlives the
-- cron.
CREATE TABLE charon_audit (
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
