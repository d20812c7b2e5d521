-- Named statements of the PostgreSQL store, loaded once by SqlFile.
-- Each statement follows a '-- name: <name>' header. ':param' marks a named parameter (bound,
-- never spliced). {schema} stands for the store's schema: a validated identifier, quoted.
-- Parameters whose type PostgreSQL cannot infer are CAST. Instants the store passes for
-- run_at and lease_expires_at (and the times compared with them) are already on the
-- database's clock; the others are the engine's.

-- ---------------------------------------------------------------- schema and migrations

-- name: create_schema
CREATE SCHEMA IF NOT EXISTS {schema}

-- name: create_schema_version
CREATE TABLE IF NOT EXISTS {schema}.schema_version (
    version     integer     NOT NULL PRIMARY KEY,
    description text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)

-- Serialises migrations of one schema across processes (held until the transaction ends).
-- name: lock_migrations
SELECT pg_advisory_xact_lock(hashtextextended(:lockKey, 0))

-- name: select_schema_version
SELECT COALESCE(MAX(version), 0) AS version FROM {schema}.schema_version

-- name: insert_schema_version
INSERT INTO {schema}.schema_version (version, description) VALUES (:version, :description)

-- The database's clock, read to measure the offset of the engine's clock from it.
-- name: select_now
SELECT clock_timestamp() AS now

-- ---------------------------------------------------------------- writes

-- A new job in ONE statement (its own transaction, one round trip): the job row (nothing when
-- another job has the idempotency key: then no row comes back and the store reads that job),
-- its step rows (:steps, Codec#steps), its log lines (:logs, Codec#logs) and, for a pending job,
-- pg_notify at commit. Returns the inserted job row. The step and log rows' foreign keys are
-- checked at the end of the statement, when the job row exists.
-- name: insert_job_all
WITH j AS (
    INSERT INTO {schema}.jobs (id, recipe_id, recipe_slug, recipe_version, input, manifest, status, current_step,
                               progress, last_error, duration_ms, created_at, updated_at, started_at, finished_at,
                               lease_owner, lease_expires_at, epoch, cancel_requested, run_at, priority,
                               idempotency_key, write_token, log_cursor)
    VALUES (:id, :recipeId, :recipeSlug, :recipeVersion, :input, :manifest, :status, :currentStep,
            :progress, :lastError, :durationMs, :createdAt, :updatedAt, :startedAt, :finishedAt,
            :leaseOwner, :leaseExpiresAt, :epoch, :cancelRequested, :runAt, :priority,
            :idempotencyKey, :writeToken, :logCursor)
    ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
    RETURNING *
), s AS (
    INSERT INTO {schema}.job_steps (id, job_id, step_key, step_order, step_type, input_hash, status, output_refs,
                                    attempts, duration_ms, started_at, completed_at, error, skip_reason,
                                    interruptions, attempt_log, cached_from, cacheable)
    SELECT v.id, v.job_id, v.step_key, v.step_order, v.step_type, v.input_hash, v.status, v.output_refs,
           v.attempts, v.duration_ms, v.started_at, v.completed_at, v.error, v.skip_reason,
           v.interruptions, v.attempt_log, v.cached_from, v.cacheable
    FROM json_to_recordset(CAST(:steps AS json)) AS v(id text, job_id text, step_key text, step_order integer,
         step_type text, input_hash text, status text, output_refs text, attempts integer, duration_ms bigint,
         started_at timestamptz, completed_at timestamptz, error text, skip_reason text, interruptions integer,
         attempt_log text, cached_from text, cacheable boolean)
    WHERE EXISTS (SELECT 1 FROM j)
    RETURNING 1
), l AS (
    INSERT INTO {schema}.job_logs (job_id, cursor, step_key, attempt, at, level, message)
    SELECT v.job_id, v.cursor, v.step_key, v.attempt, v.at, v.level, v.message
    FROM json_to_recordset(CAST(:logs AS json)) AS v(job_id text, cursor bigint, unnumbered bigint, step_key text,
         attempt integer, at timestamptz, level text, message text)
    WHERE EXISTS (SELECT 1 FROM j)
    RETURNING 1
), n AS (
    SELECT pg_notify(:channel, CAST(GREATEST(0, CEIL(EXTRACT(EPOCH FROM (j.run_at - now())) * 1000)) AS bigint)::text)
    FROM j
    WHERE j.status = 'pending'
)
SELECT j.*, (SELECT count(*) FROM s) AS inserted_steps, (SELECT count(*) FROM l) AS inserted_logs,
       (SELECT count(*) FROM n) AS notified
FROM j

-- A whole write of a running job: one call of the function write_job (migration V5, which says
-- what it does and why it is a function), so one round trip and (run outside an explicit
-- transaction) one implicit transaction. Returns 1, or 0 when the guard failed and nothing was
-- written. :guardEpoch is the epoch read before the write; the new row may carry another (a
-- claim increments it). Under READ COMMITTED a concurrent update of the row makes the guarded
-- update wait and then test its WHERE again on the new row: a compare-and-set.
-- name: write_job
SELECT {schema}.write_job(
    :id, :recipeId, :recipeSlug, :recipeVersion, :status,
    :currentStep, :progress, :lastError, :durationMs,
    :createdAt, :updatedAt, :startedAt, :finishedAt,
    :leaseOwner, :leaseExpiresAt, :epoch, :runAt,
    :priority, :writeToken, :writeManifest, :manifest,
    :clearCancel, :logCursor, :unnumbered,
    :guardEpoch, :guardLogCursor, :guardKind, :guardOwner,
    :guardNow, :guardStatus,
    :steps, :stepCount, :logs, :notify, :channel) AS jobs

-- A line with the cursor its writer (or, for lines handed over without one, the store) gave it.
-- name: insert_log
INSERT INTO {schema}.job_logs (job_id, cursor, step_key, attempt, at, level, message)
VALUES (:jobId, :cursor, :stepKey, :attempt, :at, :level, :message)

-- The lines of a renewal are numbered by the lease holder after the log cursor it knows
-- (:logCursor, the greatest); :unnumbered lines without a cursor get the ones after it.
-- name: renew_lease
UPDATE {schema}.jobs
SET lease_expires_at = :expiresAt,
    write_token      = :writeToken,
    log_cursor       = GREATEST(log_cursor, CAST(:logCursor AS bigint)) + CAST(:unnumbered AS bigint)
WHERE id = :id
  AND epoch = :epoch
  AND lease_owner = :owner
  AND status = 'running'
RETURNING *

-- name: request_cancel
UPDATE {schema}.jobs
SET cancel_requested = true,
    updated_at       = :now
WHERE id = :id
  AND status IN ('pending', 'running')

-- Per-recipe limits: before the claim, the claim's transaction takes one advisory lock per
-- limited recipe (in slug order, so two claimers never wait on each other in a cycle). Claims
-- that limit the same recipe therefore run one after the other, and each one's claim statement
-- (a new snapshot under READ COMMITTED) counts the running jobs the previous ones committed.
-- :limits is a JSON object {slug: limit}. The locks are released at commit.
-- name: lock_recipe_limits
SELECT count(pg_advisory_xact_lock(hashtextextended(:lockPrefix || l.slug, 0))) AS locked
FROM (SELECT key AS slug FROM json_each_text(CAST(:limits AS json)) ORDER BY key) l

-- The claim, in one statement: the best runnable job (pending, due on the database's clock,
-- highest priority, then earliest run_at, then oldest id; none of the recipes that already
-- run as many jobs as their limit in :limits), locked with FOR UPDATE SKIP LOCKED so that
-- concurrent claimers each take a different row instead of waiting, and made running with this
-- owner and lease, its epoch incremented.
-- name: claim_next
UPDATE {schema}.jobs
SET status           = 'running',
    lease_owner      = :owner,
    lease_expires_at = :leaseExpiresAt,
    epoch            = epoch + 1,
    started_at       = COALESCE(started_at, CAST(:engineNow AS timestamptz)),
    updated_at       = :engineNow,
    finished_at      = NULL,
    write_token      = :writeToken
WHERE id = (
    SELECT c.id FROM {schema}.jobs c
    WHERE c.status = 'pending'
      AND c.run_at <= :now
      AND c.recipe_slug NOT IN (
          SELECT l.key FROM json_each_text(CAST(:limits AS json)) l
          WHERE (SELECT count(*) FROM {schema}.jobs r
                 WHERE r.status = 'running' AND r.recipe_slug = l.key) >= CAST(l.value AS integer))
    ORDER BY c.priority DESC, c.run_at, c.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED)
RETURNING *

-- name: insert_document
INSERT INTO {schema}.documents (kind, key, version, content_hash, content, created_at)
VALUES (:kind, :key, :version, :contentHash, :content, :createdAt)

-- Serialises publications of one document key across processes (held until commit).
-- name: lock_document
SELECT pg_advisory_xact_lock(hashtextextended(:lockKey, 0))

-- ---------------------------------------------------------------- reads

-- name: select_job
SELECT * FROM {schema}.jobs WHERE id = :id

-- After a connection broke during a commit: did that write commit?
-- name: select_job_by_write_token
SELECT * FROM {schema}.jobs WHERE id = :id AND write_token = :writeToken

-- After a connection broke during a claim's commit: which job did the claim take, if any?
-- name: select_claimed_by_write_token
SELECT * FROM {schema}.jobs WHERE status = 'running' AND lease_owner = :owner AND write_token = :writeToken

-- name: select_jobs
SELECT * FROM {schema}.jobs ORDER BY created_at DESC, id DESC LIMIT :limit

-- :statuses is a JSON array of lowercase statuses.
-- name: select_jobs_by_status
SELECT * FROM {schema}.jobs
WHERE status IN (SELECT value FROM json_array_elements_text(CAST(:statuses AS json)))
ORDER BY created_at DESC, id DESC
LIMIT :limit

-- name: select_steps
SELECT * FROM {schema}.job_steps WHERE job_id = :jobId ORDER BY step_order

-- The step cache: the newest reusable successful execution of this step type and input hash,
-- any job. step_cache (V5) finds the candidates; the row itself is checked again, because an
-- entry outlives a reset of its row (retry-from).
-- name: find_cached_step
SELECT s.* FROM {schema}.step_cache c JOIN {schema}.job_steps s ON s.id = c.step_id
WHERE c.step_type = :stepType AND c.input_hash = :inputHash
  AND s.step_type = :stepType AND s.input_hash = :inputHash AND s.status = 'success' AND s.cacheable
ORDER BY s.completed_at DESC
LIMIT 1

-- Artifact garbage collection: the outputs that refer to an artifact. A full scan, but only
-- the rows whose output text holds an artifact reference are returned and parsed.
-- name: select_artifact_outputs
SELECT output_refs FROM {schema}.job_steps WHERE output_refs LIKE '%"artifact":"sha256:%'

-- name: select_logs
SELECT * FROM {schema}.job_logs WHERE job_id = :jobId AND cursor > :afterCursor ORDER BY cursor LIMIT :limit

-- name: select_job_by_idempotency_key
SELECT * FROM {schema}.jobs WHERE idempotency_key = :idempotencyKey

-- Queue gauges (issue 14): per recipe, pending, running and failed jobs, and the earliest
-- run_at (database clock) among the pending jobs that are due. Uses the index jobs_by_status.
-- name: select_queue_stats
SELECT recipe_slug,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'running') AS running,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       min(run_at) FILTER (WHERE status = 'pending' AND run_at <= :now) AS oldest_runnable
FROM {schema}.jobs
WHERE status IN ('pending', 'running', 'failed')
GROUP BY recipe_slug
ORDER BY recipe_slug COLLATE "C"

-- The jobs a worker may claim with its first write (issue 15): pending and due on the database's
-- clock (:now is converted, as in claim_next), in claim order, without locks. Walks the partial
-- index jobs_claim. The worker's guarded first write (write_job, guard 'claimable') decides which
-- of several pickers gets a row; the others find the epoch moved on and pick again.
-- name: select_claimable
SELECT * FROM {schema}.jobs
WHERE status = 'pending'
  AND run_at <= :now
ORDER BY priority DESC, run_at, id
LIMIT :limit

-- The pick with each candidate's step rows (JobStore#findCandidates): a worker then claims with
-- its first write and reads nothing else, one round trip per job fewer than select_claimable
-- followed by select_steps. :skip (a JSON array of ids: the jobs the worker's siblings hold and
-- those it just lost) is left out here, so the pick reads only rows it can use. One row per
-- step row, the job's columns repeated; the step columns are prefixed s_ because the tables
-- share names. The join compares in the default collation (jobs.id is "C") so that it walks
-- job_steps' (job_id, step_order) index.
-- name: select_candidates
SELECT j.*,
       s.id AS s_id, s.job_id AS s_job_id, s.step_key AS s_step_key, s.step_order AS s_step_order,
       s.step_type AS s_step_type, s.input_hash AS s_input_hash, s.status AS s_status,
       s.output_refs AS s_output_refs, s.attempts AS s_attempts, s.duration_ms AS s_duration_ms,
       s.started_at AS s_started_at, s.completed_at AS s_completed_at, s.error AS s_error,
       s.skip_reason AS s_skip_reason, s.interruptions AS s_interruptions, s.attempt_log AS s_attempt_log,
       s.cached_from AS s_cached_from, s.cacheable AS s_cacheable
FROM (SELECT * FROM {schema}.jobs
      WHERE status = 'pending'
        AND run_at <= :now
        AND id NOT IN (SELECT value COLLATE "C" FROM json_array_elements_text(CAST(:skip AS json)))
      ORDER BY priority DESC, run_at, id
      LIMIT :limit) j
LEFT JOIN {schema}.job_steps s ON s.job_id = (j.id COLLATE "default")
ORDER BY j.priority DESC, j.run_at, j.id, s.step_order

-- name: select_expired_leases
SELECT * FROM {schema}.jobs
WHERE status = 'running' AND lease_expires_at <= :now
ORDER BY lease_expires_at, id
LIMIT :limit

-- name: select_latest_document
SELECT * FROM {schema}.documents
WHERE kind = :kind AND key = :key
ORDER BY version DESC
LIMIT 1

-- name: select_document
SELECT * FROM {schema}.documents WHERE kind = :kind AND key = :key AND version = :version

-- The latest version of each key of a kind.
-- name: select_latest_documents
SELECT DISTINCT ON (key) * FROM {schema}.documents
WHERE kind = :kind
ORDER BY key, version DESC

-- name: select_document_versions
SELECT * FROM {schema}.documents WHERE kind = :kind AND key = :key ORDER BY version
