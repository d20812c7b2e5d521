-- Stepwise SQLite schema, version 10: step rows with one index instead of three (issue 15).
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- A job's creation inserts one row per step, and each row went into the table and three
-- indexes: the primary key on id, UNIQUE (job_id, step_key) and UNIQUE (job_id, step_order).
-- Every query on step rows reads or writes them by job (select_steps: a job's rows in order;
-- update_step: one row of a job by its order, its id checked too), so (job_id, step_order) is
-- the one index they need. The id stays a column (the engine makes it, "<job id>-<order>"), and
-- a step key is unique within its recipe, which the recipe checks. So creating a 5-step job
-- writes two B-trees for its steps instead of four. The partial index of the step cache (V6)
-- is made again on the new table.
CREATE TABLE job_steps_v10 (
    id            TEXT    NOT NULL,
    job_id        TEXT    NOT NULL REFERENCES jobs (id),
    step_key      TEXT    NOT NULL,
    step_order    INTEGER NOT NULL CHECK (step_order >= 0),
    step_type     TEXT    NOT NULL,
    input_hash    TEXT,
    status        TEXT    NOT NULL
                  CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped')),
    output_refs   TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    duration_ms   INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    started_at    INTEGER,
    completed_at  INTEGER,
    error         TEXT,
    skip_reason   TEXT,
    interruptions INTEGER NOT NULL DEFAULT 0 CHECK (interruptions >= 0),
    attempt_log   TEXT    NOT NULL DEFAULT '[]',
    cached_from   TEXT,
    cacheable     INTEGER NOT NULL DEFAULT 0 CHECK (cacheable IN (0, 1)),
    UNIQUE (job_id, step_order)
) STRICT;
INSERT INTO job_steps_v10 (id, job_id, step_key, step_order, step_type, input_hash, status, output_refs, attempts,
                           duration_ms, started_at, completed_at, error, skip_reason, interruptions, attempt_log,
                           cached_from, cacheable)
SELECT id, job_id, step_key, step_order, step_type, input_hash, status, output_refs, attempts, duration_ms,
       started_at, completed_at, error, skip_reason, interruptions, attempt_log, cached_from, cacheable
FROM job_steps ORDER BY job_id, step_order;
DROP TABLE job_steps;
ALTER TABLE job_steps_v10 RENAME TO job_steps;
CREATE INDEX job_steps_cache ON job_steps (step_type, input_hash, completed_at) WHERE status = 'success' AND cacheable = 1;
