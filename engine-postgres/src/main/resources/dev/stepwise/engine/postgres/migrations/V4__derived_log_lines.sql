-- Stepwise PostgreSQL schema, version 4: per-job log cursors numbered by the writer (as the
-- SQLite store's versions 8 and 9; issue 15).
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- The routine lines "attempt N started" / "attempt N succeeded in X ms" are no longer rows of
-- job_logs: the step row's attempt record (attempt_log JSON) carries their cursors and the
-- engine derives them when it reads the log. So the identity no longer numbers lines: the
-- writer numbers every line of a write (stored or derived) after jobs.log_cursor, the greatest
-- cursor the job's lines use, and write_job sets it and is guarded by its old value. A cursor
-- is now unique within its job only: (job_id, cursor) is the primary key, which also serves
-- select_logs, so job_logs_by_job is dropped. Existing cursors are kept (they increase within
-- each job), and each job's log cursor starts at its greatest one.
ALTER TABLE {schema}.jobs ADD COLUMN log_cursor bigint NOT NULL DEFAULT 0 CHECK (log_cursor >= 0);
UPDATE {schema}.jobs j SET log_cursor = l.last
FROM (SELECT job_id, MAX(cursor) AS last FROM {schema}.job_logs GROUP BY job_id) l
WHERE l.job_id = j.id;
ALTER TABLE {schema}.job_logs ALTER COLUMN cursor DROP IDENTITY;
ALTER TABLE {schema}.job_logs DROP CONSTRAINT job_logs_pkey;
ALTER TABLE {schema}.job_logs ADD PRIMARY KEY (job_id, cursor);
ALTER TABLE {schema}.job_logs ADD CONSTRAINT job_logs_cursor_positive CHECK (cursor >= 1);
DROP INDEX {schema}.job_logs_by_job;
