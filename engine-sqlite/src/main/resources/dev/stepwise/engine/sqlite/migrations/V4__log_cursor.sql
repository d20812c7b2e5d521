-- Stepwise SQLite schema, version 4: job_logs.cursor without AUTOINCREMENT.
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- AUTOINCREMENT made every append also update sqlite_sequence: one more B-tree page in every
-- commit that logs (every step boundary). Without it, SQLite gives a new row max(cursor) + 1,
-- so cursors still only grow as long as the row with the largest cursor is never deleted. The
-- store never deletes log rows (nor jobs), so the cursor order stays the append order and
-- findLogs(jobId, afterCursor, ...) reads incrementally as before; a row once read is never
-- followed by a smaller cursor. (Should a future retention feature delete logs, it must keep
-- the newest row, or put AUTOINCREMENT back.) The table is rebuilt: SQLite cannot change a
-- column's AUTOINCREMENT in place. Existing cursors are kept.

CREATE TABLE job_logs_v4 (
    cursor   INTEGER PRIMARY KEY,
    job_id   TEXT    NOT NULL REFERENCES jobs (id),
    step_key TEXT,
    attempt  INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    at       INTEGER NOT NULL,
    level    TEXT    NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    message  TEXT    NOT NULL
) STRICT;

INSERT INTO job_logs_v4 (cursor, job_id, step_key, attempt, at, level, message)
SELECT cursor, job_id, step_key, attempt, at, level, message FROM job_logs ORDER BY cursor;

DROP TABLE job_logs;

ALTER TABLE job_logs_v4 RENAME TO job_logs;

-- Incremental reads of one job's log.
CREATE INDEX job_logs_by_job ON job_logs (job_id, cursor);
