-- Stepwise PostgreSQL schema, version 6: the CHECK constraints of the tables a step boundary
-- writes (jobs, job_steps, job_logs) become domains (issue 16).
-- Statements end with ';' at the end of a line (that is how the migrator splits them), except
-- inside a $$-quoted function body.
--
-- Why: PostgreSQL keeps a table's CHECK constraints as serialized expression trees and parses
-- them again for every statement that writes the table (ExecConstraints reads pg_constraint's
-- text through stringToNode, once per statement, not per session). For jobs that was 5 KB of
-- node text per write, for job_steps 2.8 KB, for job_logs 1.8 KB: about 50 KB per five-step
-- job, and in a profile of the bench 9 % of the server's CPU. A domain's constraints are parsed
-- once per session and kept in its type cache, so the same checks cost only their evaluation.
-- The rules are unchanged: the same values are refused, with SQLSTATE 23514 (check_violation)
-- as before; the message names the domain instead of the table's constraint. PostgreSQL
-- reports a domain column to clients as its base type, so nothing reads differently.
--
-- Cost of the upgrade: changing a column to a domain with constraints makes PostgreSQL check
-- every row, and it rewrites the three tables once, under an exclusive lock, inside the
-- migration's transaction. The job_steps_cache trigger names job_steps.status in its WHEN
-- clause, and PostgreSQL does not change the type of a column a trigger names: it is dropped and
-- created again around the change, unchanged.

CREATE DOMAIN {schema}.job_status AS text
    CHECK (VALUE IN ('pending', 'running', 'completed', 'failed', 'cancelled'));
CREATE DOMAIN {schema}.step_status AS text
    CHECK (VALUE IN ('pending', 'running', 'success', 'failed', 'skipped'));
CREATE DOMAIN {schema}.log_level AS text
    CHECK (VALUE IN ('debug', 'info', 'warn', 'error'));
CREATE DOMAIN {schema}.idempotency_key AS text
    CHECK (VALUE IS NULL OR length(VALUE) BETWEEN 1 AND 200);
CREATE DOMAIN {schema}.percent AS integer CHECK (VALUE BETWEEN 0 AND 100);
CREATE DOMAIN {schema}.non_negative_int AS integer CHECK (VALUE >= 0);
CREATE DOMAIN {schema}.non_negative_bigint AS bigint CHECK (VALUE >= 0);
CREATE DOMAIN {schema}.positive_int AS integer CHECK (VALUE >= 1);
CREATE DOMAIN {schema}.positive_bigint AS bigint CHECK (VALUE >= 1);

DROP TRIGGER job_steps_cache ON {schema}.job_steps;

ALTER TABLE {schema}.jobs
    DROP CONSTRAINT jobs_recipe_version_check,
    DROP CONSTRAINT jobs_status_check,
    DROP CONSTRAINT jobs_progress_check,
    DROP CONSTRAINT jobs_duration_ms_check,
    DROP CONSTRAINT jobs_epoch_check,
    DROP CONSTRAINT jobs_idempotency_key_check,
    DROP CONSTRAINT jobs_log_cursor_check,
    ALTER COLUMN recipe_version TYPE {schema}.positive_int,
    ALTER COLUMN status TYPE {schema}.job_status,
    ALTER COLUMN progress TYPE {schema}.percent,
    ALTER COLUMN duration_ms TYPE {schema}.non_negative_bigint,
    ALTER COLUMN epoch TYPE {schema}.non_negative_bigint,
    ALTER COLUMN idempotency_key TYPE {schema}.idempotency_key,
    ALTER COLUMN log_cursor TYPE {schema}.non_negative_bigint;

ALTER TABLE {schema}.job_steps
    DROP CONSTRAINT job_steps_step_order_check,
    DROP CONSTRAINT job_steps_status_check,
    DROP CONSTRAINT job_steps_attempts_check,
    DROP CONSTRAINT job_steps_duration_ms_check,
    DROP CONSTRAINT job_steps_interruptions_check,
    ALTER COLUMN step_order TYPE {schema}.non_negative_int,
    ALTER COLUMN status TYPE {schema}.step_status,
    ALTER COLUMN attempts TYPE {schema}.non_negative_int,
    ALTER COLUMN duration_ms TYPE {schema}.non_negative_bigint,
    ALTER COLUMN interruptions TYPE {schema}.non_negative_int;

ALTER TABLE {schema}.job_logs
    DROP CONSTRAINT job_logs_attempt_check,
    DROP CONSTRAINT job_logs_level_check,
    DROP CONSTRAINT job_logs_cursor_positive,
    ALTER COLUMN attempt TYPE {schema}.non_negative_int,
    ALTER COLUMN level TYPE {schema}.log_level,
    ALTER COLUMN cursor TYPE {schema}.positive_bigint;

-- As version 5 created it.
CREATE TRIGGER job_steps_cache AFTER INSERT OR UPDATE ON {schema}.job_steps FOR EACH ROW
    WHEN (NEW.status = 'success' AND NEW.cacheable AND NEW.input_hash IS NOT NULL)
    EXECUTE FUNCTION {schema}.step_cache_add();
