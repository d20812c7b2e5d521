-- Stepwise PostgreSQL schema, version 2: the cross-job step cache (as the SQLite store's
-- version 6).
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- cached_from names the job whose identical execution a step reused (skip_reason 'cache');
-- cacheable marks the rows of steps declared "cache": true, the only ones other jobs may reuse.
-- The partial index serves the cache lookup (find_cached_step): the newest successful execution
-- of a cacheable step type with an input hash, in any job. Only those rows are in it, so a step
-- boundary of an ordinary step touches no extra index (as measured on SQLite: indexing every
-- 'success' row cost about 1.6 more WAL pages per commit).
ALTER TABLE {schema}.job_steps ADD COLUMN cached_from text;
ALTER TABLE {schema}.job_steps ADD COLUMN cacheable boolean NOT NULL DEFAULT false;
CREATE INDEX job_steps_cache ON {schema}.job_steps (step_type, input_hash, completed_at)
    WHERE status = 'success' AND cacheable;
