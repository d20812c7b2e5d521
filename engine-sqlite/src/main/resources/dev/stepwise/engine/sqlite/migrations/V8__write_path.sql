-- Stepwise SQLite schema, version 8: fewer B-trees per commit (issue 15).
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- 1. job_logs is clustered by job: PRIMARY KEY (job_id, cursor), WITHOUT ROWID. The only query
--    on it (select_logs: one job's lines after a cursor, in cursor order) is a range of that
--    key, so the separate index job_logs_by_job is gone: a commit with log lines writes one
--    B-tree instead of two (the rowid table and its index). A cursor now increases within a
--    job (the store gives a new line the job's greatest cursor + 1); every reader reads one
--    job's lines (JobStore.findLogs), so that is all a cursor has to do. Existing cursors are
--    kept (they were increasing within each job already).
-- 2. Two indexes of jobs that no query needs are dropped (checked with EXPLAIN QUERY PLAN):
--    jobs_by_lease (select_expired_leases walks jobs_by_status for status = 'running', a few
--    rows, and sorts them) and jobs_by_recipe_status (select_running_counts does the same walk).
--    Each was rewritten at every claim and every terminal write (status changes), and
--    jobs_by_lease whenever a lease moved.
CREATE TABLE job_logs_v8 (
    job_id   TEXT    NOT NULL REFERENCES jobs (id),
    cursor   INTEGER NOT NULL CHECK (cursor >= 1),
    step_key TEXT,
    attempt  INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    at       INTEGER NOT NULL,
    level    TEXT    NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    message  TEXT    NOT NULL,
    PRIMARY KEY (job_id, cursor)
) STRICT, WITHOUT ROWID;
INSERT INTO job_logs_v8 (job_id, cursor, step_key, attempt, at, level, message)
SELECT job_id, cursor, step_key, attempt, at, level, message FROM job_logs ORDER BY job_id, cursor;
DROP TABLE job_logs;
ALTER TABLE job_logs_v8 RENAME TO job_logs;
DROP INDEX jobs_by_lease;
DROP INDEX jobs_by_recipe_status;
