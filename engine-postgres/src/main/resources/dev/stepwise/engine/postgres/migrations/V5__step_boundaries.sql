-- Stepwise PostgreSQL schema, version 5: cheaper step boundaries (issue 16).
-- Statements end with ';' at the end of a line (that is how the migrator splits them), except
-- inside a $$-quoted function body.
--
-- 1. The step cache moves out of job_steps' indexes into a table of its own, step_cache, kept
--    by a trigger. The partial index job_steps_cache (V2) named status, input_hash and
--    completed_at, so every update of a step row changed an indexed column: PostgreSQL could
--    never update a step row in place (a HOT update) and wrote a new entry in each of the
--    table's indexes at every step boundary (the bench counted 0 HOT updates of 20,000).
--    Without it, no column a boundary changes is indexed. step_cache holds one entry per step
--    row that has succeeded as a cacheable step (the latest such execution); the lookup joins
--    the row and checks it again, so an entry whose row was later reset (retry-from) is never
--    served.
-- 2. A write of a running job becomes a function, write_job. Until version 4 it was one
--    statement of data-modifying CTEs (write_job in queries.sql). Measured with the statement
--    log, the server spent 0.3-0.5 ms in each of parse, bind (planning) and execute of it,
--    three times the floor's plain UPDATEs, and parsed it anew at about one write in two
--    (pgjdbc prepares again when a parameter that was null gets a value). A PL/pgSQL function
--    plans each of its statements once per session and keeps the plans; the call itself is
--    trivial to parse and plan. The write is still one round trip and one implicit
--    transaction.

CREATE TABLE {schema}.step_cache (
    step_id    text NOT NULL PRIMARY KEY REFERENCES {schema}.job_steps (id),
    step_type  text NOT NULL,
    input_hash text NOT NULL
);

-- The lookup: the entries of a step type and input hash.
CREATE INDEX step_cache_by_input ON {schema}.step_cache (step_type, input_hash);

INSERT INTO {schema}.step_cache (step_id, step_type, input_hash)
SELECT id, step_type, input_hash FROM {schema}.job_steps
WHERE status = 'success' AND cacheable AND input_hash IS NOT NULL;

CREATE FUNCTION {schema}.step_cache_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {schema}.step_cache (step_id, step_type, input_hash)
    VALUES (NEW.id, NEW.step_type, NEW.input_hash)
    ON CONFLICT (step_id) DO UPDATE SET step_type = EXCLUDED.step_type, input_hash = EXCLUDED.input_hash
    WHERE step_cache.step_type <> EXCLUDED.step_type OR step_cache.input_hash <> EXCLUDED.input_hash;
    RETURN NULL;
END
$$;

-- Fires only for rows the cache may serve; an ordinary boundary runs no trigger code.
CREATE TRIGGER job_steps_cache AFTER INSERT OR UPDATE ON {schema}.job_steps FOR EACH ROW
    WHEN (NEW.status = 'success' AND NEW.cacheable AND NEW.input_hash IS NOT NULL)
    EXECUTE FUNCTION {schema}.step_cache_add();

DROP INDEX {schema}.job_steps_cache;

-- write_job: what it does, in this order, all or nothing:
--   1. the guarded update of the job row (the guard as before: the epoch read before the write,
--      the log cursor the writer numbered from when given, and the kind: 'owner' (running, held
--      by p_guard_owner), 'claimable' (pending, or running with a lease expired at
--      p_guard_now, on the database's clock) or 'status' (the job has p_guard_status));
--      if the guard fails nothing is written and the function returns 0 (a claim whose row
--      another transaction holds locked returns 0 without waiting for it);
--   2. the step rows (p_steps, a JSON array as Codec#steps writes it): each must exist in this
--      job, else it raises no_data_found (P0002) and the whole write rolls back;
--   3. the log lines (p_logs, Codec#logs), numbered as before: a line with a cursor keeps it,
--      the p_unnumbered others take the cursors after the greatest, in order;
--   4. when p_notify, pg_notify(p_channel, milliseconds until the job's run_at) at commit.
-- Integer parameters are bigint so that callers bind any Java integer type.
CREATE FUNCTION {schema}.write_job(
    p_id text, p_recipe_id text, p_recipe_slug text, p_recipe_version bigint, p_status text,
    p_current_step text, p_progress bigint, p_last_error text, p_duration_ms bigint,
    p_created_at timestamptz, p_updated_at timestamptz, p_started_at timestamptz, p_finished_at timestamptz,
    p_lease_owner text, p_lease_expires_at timestamptz, p_epoch bigint, p_run_at timestamptz,
    p_priority bigint, p_write_token text, p_write_manifest boolean, p_manifest text,
    p_clear_cancel boolean, p_log_cursor bigint, p_unnumbered bigint,
    p_guard_epoch bigint, p_guard_log_cursor bigint, p_guard_kind text, p_guard_owner text,
    p_guard_now timestamptz, p_guard_status text,
    p_steps text, p_step_count bigint, p_logs text, p_notify boolean, p_channel text)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    new_run_at     timestamptz;
    new_log_cursor bigint;
    steps_written  bigint;
BEGIN
    -- A claim does not queue behind another writer of the row: a locked pending job is being
    -- claimed (or cancelled) by someone else, and waiting for their commit only to find the
    -- epoch changed would hold this worker for a commit's time at every lost race. It returns 0
    -- at once, as a failed guard does, and the worker picks again.
    IF p_guard_kind = 'claimable' THEN
        PERFORM 1 FROM {schema}.jobs WHERE id = p_id FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN 0;
        END IF;
    END IF;

    UPDATE {schema}.jobs
    SET recipe_id        = p_recipe_id,
        recipe_slug      = p_recipe_slug,
        recipe_version   = p_recipe_version,
        status           = p_status,
        current_step     = p_current_step,
        progress         = p_progress,
        last_error       = p_last_error,
        duration_ms      = p_duration_ms,
        created_at       = p_created_at,
        updated_at       = p_updated_at,
        started_at       = p_started_at,
        finished_at      = p_finished_at,
        lease_owner      = p_lease_owner,
        lease_expires_at = p_lease_expires_at,
        epoch            = p_epoch,
        run_at           = p_run_at,
        priority         = p_priority,
        write_token      = p_write_token,
        manifest         = CASE WHEN p_write_manifest THEN p_manifest ELSE manifest END,
        cancel_requested = CASE WHEN p_clear_cancel THEN false ELSE cancel_requested END,
        log_cursor       = GREATEST(log_cursor, p_log_cursor) + p_unnumbered
    WHERE id = p_id
      AND epoch = p_guard_epoch
      AND (p_guard_log_cursor IS NULL OR log_cursor = p_guard_log_cursor)
      AND (   (p_guard_kind = 'owner' AND status = 'running' AND lease_owner = p_guard_owner)
           OR (p_guard_kind = 'claimable'
               AND (status = 'pending' OR (status = 'running' AND lease_expires_at <= p_guard_now)))
           OR (p_guard_kind = 'status' AND status = p_guard_status))
    RETURNING run_at, log_cursor INTO new_run_at, new_log_cursor;
    IF NOT FOUND THEN
        RETURN 0;
    END IF;

    IF p_step_count > 0 THEN
        UPDATE {schema}.job_steps t
        SET input_hash    = v.input_hash,
            status        = v.status,
            output_refs   = v.output_refs,
            attempts      = v.attempts,
            duration_ms   = v.duration_ms,
            started_at    = v.started_at,
            completed_at  = v.completed_at,
            error         = v.error,
            skip_reason   = v.skip_reason,
            interruptions = v.interruptions,
            attempt_log   = v.attempt_log,
            cached_from   = v.cached_from,
            cacheable     = v.cacheable
        FROM json_to_recordset(CAST(p_steps AS json)) AS v(id text, input_hash text, status text, output_refs text,
             attempts integer, duration_ms bigint, started_at timestamptz, completed_at timestamptz, error text,
             skip_reason text, interruptions integer, attempt_log text, cached_from text, cacheable boolean)
        WHERE t.id = v.id
          AND t.job_id = p_id;
        GET DIAGNOSTICS steps_written = ROW_COUNT;
        IF steps_written <> p_step_count THEN
            RAISE EXCEPTION 'write of job %: % of its % step rows exist', p_id, steps_written, p_step_count
                USING ERRCODE = 'no_data_found';
        END IF;
    END IF;

    IF p_logs <> '[]' THEN
        INSERT INTO {schema}.job_logs (job_id, cursor, step_key, attempt, at, level, message)
        SELECT v.job_id,
               CASE WHEN v.cursor > 0 THEN v.cursor ELSE new_log_cursor - p_unnumbered + v.unnumbered END,
               v.step_key, v.attempt, v.at, v.level, v.message
        FROM json_to_recordset(CAST(p_logs AS json)) AS v(job_id text, cursor bigint, unnumbered bigint,
             step_key text, attempt integer, at timestamptz, level text, message text);
    END IF;

    IF p_notify THEN
        PERFORM pg_notify(p_channel,
                          CAST(CAST(GREATEST(0, CEIL(EXTRACT(EPOCH FROM (new_run_at - now())) * 1000)) AS bigint) AS text));
    END IF;
    RETURN 1;
END
$$;
