-- Stepwise SQLite schema, version 6: the cross-job step cache.
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- cached_from names the job whose identical execution a step reused (skip_reason 'cache');
-- cacheable marks the rows of steps declared "cache": true, the only ones other jobs may reuse.
-- The partial index serves the cache lookup (find_cached_step): the newest successful execution
-- of a step type with an input hash, in any job. Only successful rows of cacheable steps are in
-- it, so a step boundary of an ordinary step touches no extra B-tree (measured: indexing every
-- 'success' row cost about 1.6 more WAL pages per commit, ~25% of run(jobId) throughput).
ALTER TABLE job_steps ADD COLUMN cached_from TEXT;
ALTER TABLE job_steps ADD COLUMN cacheable INTEGER NOT NULL DEFAULT 0 CHECK (cacheable IN (0, 1));
CREATE INDEX job_steps_cache ON job_steps (step_type, input_hash, completed_at) WHERE status = 'success' AND cacheable = 1;
