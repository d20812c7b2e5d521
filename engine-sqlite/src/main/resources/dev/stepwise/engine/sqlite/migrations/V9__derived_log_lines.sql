-- Stepwise SQLite schema, version 9: the job's log cursor is a column of the job (issue 15).
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- The routine lines "attempt N started" / "attempt N succeeded in X ms" are no longer rows of
-- job_logs: the step row's attempt record (attempt_log JSON) carries their cursors and the
-- engine derives them when it reads the log. So a cursor is no longer max(job_logs.cursor) + 1:
-- the writer numbers every line of a write (stored or derived) after jobs.log_cursor, the
-- greatest cursor the job's lines use, and the write sets it and is guarded by its old value.
-- A boundary then writes no job_logs page unless it has a line to store, and no longer reads
-- the job's last cursor (select_last_log_cursor). Existing jobs start from their greatest
-- stored cursor; their older attempts keep their routine lines as rows.
ALTER TABLE jobs ADD COLUMN log_cursor INTEGER NOT NULL DEFAULT 0 CHECK (log_cursor >= 0);
UPDATE jobs SET log_cursor = COALESCE((SELECT MAX(l.cursor) FROM job_logs l WHERE l.job_id = jobs.id), 0);
