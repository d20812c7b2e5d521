-- Stepwise PostgreSQL schema, version 2: the cross-job step cache (as the SQLite store's
-- versions 6 and 7).
-- Statements end with ';' at the end of a line (that is how the migrator splits them).
--
-- cached_from names the job whose identical execution a step reused (skip_reason 'cache').
-- cacheable says that the step's execution may be reused by another job (its definition had
-- cache: true when it ran). The partial index serves the cache lookup (find_cached_step): the
-- newest reusable successful execution of a step type with an input hash, in any job. Only such
-- rows are in it, so the index costs nothing on the other boundary writes of a step.
ALTER TABLE {schema}.job_steps ADD COLUMN cached_from text;
ALTER TABLE {schema}.job_steps ADD COLUMN cacheable boolean NOT NULL DEFAULT true;
CREATE INDEX job_steps_cache ON {schema}.job_steps (step_type, input_hash, completed_at)
    WHERE status = 'success' AND cacheable;
