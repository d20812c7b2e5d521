-- Stepwise SQLite schema, version 6: the cross-job step cache.
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- cached_from names the job whose identical execution a step reused (skip_reason 'cache').
-- The partial index serves the cache lookup (find_cached_step): the newest successful execution
-- of a step type with an input hash, in any job. Only 'success' rows are in it, so the index
-- costs nothing on the other boundary writes of a step (pending, running, failed, skipped).
ALTER TABLE job_steps ADD COLUMN cached_from TEXT;
CREATE INDEX job_steps_cache ON job_steps (step_type, input_hash, completed_at) WHERE status = 'success';
