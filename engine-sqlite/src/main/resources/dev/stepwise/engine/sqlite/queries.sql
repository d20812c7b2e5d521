-- Named statements of the SQLite store, loaded once by SqlFile.
-- Each statement follows a '-- name: <name>' header. ':param' marks a named parameter
-- (bound, never spliced). '{value}' marks a number the store formats in itself (PRAGMA values
-- cannot be bound); it is only ever a validated integer, never outside text.

-- ---------------------------------------------------------------- transactions and pragmas

-- name: begin_immediate
BEGIN IMMEDIATE

-- name: commit
COMMIT

-- name: rollback
ROLLBACK

-- Group commit (Writer.inGroup): each write of a group inside its own savepoint.
-- name: savepoint_write
SAVEPOINT write

-- name: rollback_to_write
ROLLBACK TO write

-- name: release_write
RELEASE write

-- name: wal_checkpoint_passive
PRAGMA wal_checkpoint(PASSIVE)

-- name: set_journal_mode_wal
PRAGMA journal_mode = WAL

-- name: set_busy_timeout
PRAGMA busy_timeout = {value}

-- name: set_foreign_keys_on
PRAGMA foreign_keys = ON

-- name: set_synchronous
PRAGMA synchronous = {value}

-- name: get_journal_mode
PRAGMA journal_mode

-- name: get_busy_timeout
PRAGMA busy_timeout

-- name: get_foreign_keys
PRAGMA foreign_keys

-- name: get_synchronous
PRAGMA synchronous

-- ---------------------------------------------------------------- schema version

-- name: create_schema_version
CREATE TABLE IF NOT EXISTS schema_version (
    version     INTEGER NOT NULL PRIMARY KEY,
    description TEXT    NOT NULL,
    applied_at  INTEGER NOT NULL
)

-- name: select_schema_version
SELECT COALESCE(MAX(version), 0) AS version FROM schema_version

-- name: insert_schema_version
INSERT INTO schema_version (version, description, applied_at) VALUES (:version, :description, :appliedAt)

-- ---------------------------------------------------------------- writes

-- name: insert_job
INSERT INTO jobs (id, recipe_id, recipe_slug, recipe_version, input, manifest, status, current_step, progress,
                  last_error, duration_ms, created_at, updated_at, started_at, finished_at, lease_owner,
                  lease_expires_at, epoch, cancel_requested, run_at, priority, idempotency_key, log_cursor)
VALUES (:id, :recipeId, :recipeSlug, :recipeVersion, :input, :manifest, :status, :currentStep, :progress,
        :lastError, :durationMs, :createdAt, :updatedAt, :startedAt, :finishedAt, :leaseOwner,
        :leaseExpiresAt, :epoch, :cancelRequested, :runAt, :priority, :idempotencyKey, :logCursor)

-- The whole row except the input and the idempotency key (set on insert only, never changed),
-- the manifest (only if :writeManifest) and the cancel flag (only cleared, if :clearCancel),
-- if the guard holds. :guardEpoch is the epoch read before the write; the new row may carry
-- another (a claim increments it). log_cursor never decreases; :guardLogCursor, when not null,
-- is the log cursor the writer numbered its lines from (two writers never number one cursor).
-- name: update_job
UPDATE jobs
SET recipe_id        = :recipeId,
    recipe_slug      = :recipeSlug,
    recipe_version   = :recipeVersion,
    status           = :status,
    current_step     = :currentStep,
    progress         = :progress,
    last_error       = :lastError,
    duration_ms      = :durationMs,
    created_at       = :createdAt,
    updated_at       = :updatedAt,
    started_at       = :startedAt,
    finished_at      = :finishedAt,
    lease_owner      = :leaseOwner,
    lease_expires_at = :leaseExpiresAt,
    epoch            = :epoch,
    run_at           = :runAt,
    priority         = :priority,
    manifest         = CASE WHEN :writeManifest = 1 THEN :manifest ELSE manifest END,
    cancel_requested = CASE WHEN :clearCancel = 1 THEN 0 ELSE cancel_requested END,
    log_cursor       = MAX(log_cursor, :logCursor)
WHERE id = :id
  AND epoch = :guardEpoch
  AND (:guardLogCursor IS NULL OR log_cursor = :guardLogCursor)
  AND (   (:guardKind = 'owner' AND status = 'running' AND lease_owner = :guardOwner)
       OR (:guardKind = 'claimable'
           AND (status = 'pending' OR (status = 'running' AND lease_expires_at <= :guardNow)))
       OR (:guardKind = 'status' AND status = :guardStatus))

-- The step-boundary write of a running job by its owner (the new row keeps status 'running',
-- the owner and the epoch that the guard checks): the same row as update_job, but the columns
-- of the jobs indexes that do not change (status, owner, epoch, recipe_slug, created_at,
-- run_at, priority) are compared instead of set, so SQLite leaves those indexes' pages alone
-- (it rewrites an index entry whenever one of its columns is in the SET list). Changes no row
-- if any of them differs; the store then runs update_job, which also tells a lost guard apart.
-- name: update_job_running
UPDATE jobs
SET recipe_id        = :recipeId,
    recipe_version   = :recipeVersion,
    current_step     = :currentStep,
    progress         = :progress,
    last_error       = :lastError,
    duration_ms      = :durationMs,
    updated_at       = :updatedAt,
    started_at       = :startedAt,
    finished_at      = :finishedAt,
    lease_expires_at = :leaseExpiresAt,
    manifest         = CASE WHEN :writeManifest = 1 THEN :manifest ELSE manifest END,
    cancel_requested = CASE WHEN :clearCancel = 1 THEN 0 ELSE cancel_requested END,
    log_cursor       = MAX(log_cursor, :logCursor)
WHERE id = :id
  AND epoch = :guardEpoch
  AND (:guardLogCursor IS NULL OR log_cursor = :guardLogCursor)
  AND status = 'running'
  AND lease_owner = :guardOwner
  AND recipe_slug = :recipeSlug
  AND created_at = :createdAt
  AND run_at = :runAt
  AND priority = :priority

-- As update_job_running when the write keeps the stored lease expiry: lease_expires_at is
-- compared instead of set, so the index jobs_by_lease is left alone too (the runner moves its
-- lease only now and then; the heartbeat renews it). Changes no row if the lease differs.
-- name: update_job_running_same_lease
UPDATE jobs
SET recipe_id        = :recipeId,
    recipe_version   = :recipeVersion,
    current_step     = :currentStep,
    progress         = :progress,
    last_error       = :lastError,
    duration_ms      = :durationMs,
    updated_at       = :updatedAt,
    started_at       = :startedAt,
    finished_at      = :finishedAt,
    manifest         = CASE WHEN :writeManifest = 1 THEN :manifest ELSE manifest END,
    cancel_requested = CASE WHEN :clearCancel = 1 THEN 0 ELSE cancel_requested END,
    log_cursor       = MAX(log_cursor, :logCursor)
WHERE id = :id
  AND epoch = :guardEpoch
  AND (:guardLogCursor IS NULL OR log_cursor = :guardLogCursor)
  AND status = 'running'
  AND lease_owner = :guardOwner
  AND recipe_slug = :recipeSlug
  AND created_at = :createdAt
  AND run_at = :runAt
  AND priority = :priority
  AND lease_expires_at = :leaseExpiresAt

-- name: insert_step
INSERT INTO job_steps (id, job_id, step_key, step_order, step_type, input_hash, status, output_refs, attempts,
                       duration_ms, started_at, completed_at, error, skip_reason, interruptions, attempt_log,
                       cached_from, cacheable)
VALUES (:id, :jobId, :stepKey, :stepOrder, :stepType, :inputHash, :status, :outputRefs, :attempts,
        :durationMs, :startedAt, :completedAt, :error, :skipReason, :interruptions, :attemptLog, :cachedFrom, :cacheable)

-- One step row, found through the index on (job_id, step_order) (the only index of job_steps
-- besides the step cache's since V10); the id is checked too.
-- name: update_step
UPDATE job_steps
SET input_hash    = :inputHash,
    status        = :status,
    output_refs   = :outputRefs,
    attempts      = :attempts,
    duration_ms   = :durationMs,
    started_at    = :startedAt,
    completed_at  = :completedAt,
    error         = :error,
    skip_reason   = :skipReason,
    interruptions = :interruptions,
    attempt_log   = :attemptLog,
    cached_from   = :cachedFrom,
    cacheable     = :cacheable
WHERE job_id = :jobId
  AND step_order = :stepOrder
  AND id = :id

-- A line's cursor is given by its writer, after jobs.log_cursor (V9); job_logs is clustered by
-- (job_id, cursor) since V8.
-- name: insert_log
INSERT INTO job_logs (job_id, cursor, step_key, attempt, at, level, message)
VALUES (:jobId, :cursor, :stepKey, :attempt, :at, :level, :message)

-- Only for lines handed over without a cursor (callers of the SPI that do not number): the
-- store numbers them after this.
-- name: select_log_cursor
SELECT log_cursor AS cursor FROM jobs WHERE id = :jobId

-- The lines of a renewal are numbered by the lease holder after the log cursor it knows.
-- name: renew_lease
UPDATE jobs
SET lease_expires_at = :expiresAt,
    log_cursor       = MAX(log_cursor, :logCursor)
WHERE id = :id
  AND epoch = :epoch
  AND lease_owner = :owner
  AND status = 'running'

-- name: request_cancel
UPDATE jobs
SET cancel_requested = 1,
    updated_at       = :now
WHERE id = :id
  AND status IN ('pending', 'running')

-- The claim of one pending job (chosen by select_claim_candidate in the same transaction).
-- name: claim_job
UPDATE jobs
SET status           = 'running',
    lease_owner      = :owner,
    lease_expires_at = :leaseExpiresAt,
    epoch            = epoch + 1,
    started_at       = COALESCE(started_at, :now),
    updated_at       = :now,
    finished_at      = NULL
WHERE id = :id
  AND status = 'pending'

-- name: insert_document
INSERT INTO documents (kind, key, version, content_hash, content, created_at)
VALUES (:kind, :key, :version, :contentHash, :content, :createdAt)

-- ---------------------------------------------------------------- reads

-- name: select_job
SELECT * FROM jobs WHERE id = :id

-- name: select_jobs
SELECT * FROM jobs ORDER BY created_at DESC, id DESC LIMIT :limit

-- :statuses is a JSON array of lowercase statuses.
-- name: select_jobs_by_status
SELECT * FROM jobs
WHERE status IN (SELECT value FROM json_each(:statuses))
ORDER BY created_at DESC, id DESC
LIMIT :limit

-- name: select_steps
SELECT * FROM job_steps WHERE job_id = :jobId ORDER BY step_order

-- The step cache: the newest successful execution of this step type and input hash, any job
-- (index job_steps_cache, V6).
-- name: find_cached_step
SELECT * FROM job_steps
WHERE step_type = :stepType AND input_hash = :inputHash AND status = 'success' AND cacheable = 1
ORDER BY completed_at DESC
LIMIT 1

-- Artifact garbage collection: the outputs that refer to an artifact. A full scan, but only
-- the rows whose output text holds an artifact reference are returned and parsed.
-- name: select_artifact_outputs
SELECT output_refs FROM job_steps WHERE output_refs LIKE '%"artifact":"sha256:%'

-- name: select_logs
SELECT * FROM job_logs WHERE job_id = :jobId AND cursor > :afterCursor ORDER BY cursor LIMIT :limit

-- name: select_job_by_idempotency_key
SELECT * FROM jobs WHERE idempotency_key = :idempotencyKey

-- The best runnable job: pending, due, highest priority, then earliest run_at, then oldest id;
-- none of the recipes in :saturated (a JSON array of slugs at their concurrency limit). Walks
-- the index jobs_claim in its order and stops at the first row that qualifies.
-- name: select_claim_candidate
SELECT id FROM jobs
WHERE status = 'pending'
  AND run_at <= :now
  AND recipe_slug NOT IN (SELECT value FROM json_each(:saturated))
ORDER BY priority DESC, run_at, id
LIMIT 1

-- The jobs a worker may claim with its first write (issue 15): pending and due, in claim order
-- (the order of select_claim_candidate, without recipe limits: a worker with limits claims
-- through claim_job). A read on the read pool; walks the index jobs_claim in its order and stops
-- after :limit rows. The worker's guarded first write decides which of several pickers gets a row.
-- name: select_claimable
SELECT * FROM jobs
WHERE status = 'pending'
  AND run_at <= :now
ORDER BY priority DESC, run_at, id
LIMIT :limit

-- Running jobs of each of the recipes in :slugs (a JSON array); recipes with none are absent.
-- name: select_running_counts
SELECT recipe_slug, count(*) AS running FROM jobs
WHERE status = 'running'
  AND recipe_slug IN (SELECT value FROM json_each(:slugs))
GROUP BY recipe_slug

-- Queue gauges (issue 14): per recipe, pending, running and failed jobs, and the earliest
-- run_at among the pending jobs that are due. No index covers it since V8 dropped
-- jobs_by_recipe_status (which cost a write at every claim); it runs once per gauge refresh,
-- not per step.
-- name: select_queue_stats
SELECT recipe_slug,
       sum(status = 'pending') AS pending,
       sum(status = 'running') AS running,
       sum(status = 'failed') AS failed,
       min(CASE WHEN status = 'pending' AND run_at <= :now THEN run_at END) AS oldest_runnable
FROM jobs
WHERE status IN ('pending', 'running', 'failed')
GROUP BY recipe_slug
ORDER BY recipe_slug

-- name: select_expired_leases
SELECT * FROM jobs
WHERE status = 'running' AND lease_expires_at <= :now
ORDER BY lease_expires_at, id
LIMIT :limit

-- name: select_latest_document
SELECT * FROM documents
WHERE kind = :kind AND key = :key
ORDER BY version DESC
LIMIT 1

-- name: select_document
SELECT * FROM documents WHERE kind = :kind AND key = :key AND version = :version

-- The latest version of each key of a kind.
-- name: select_latest_documents
SELECT d.* FROM documents d
WHERE d.kind = :kind
  AND d.version = (SELECT MAX(version) FROM documents WHERE kind = d.kind AND key = d.key)
ORDER BY d.key

-- name: select_document_versions
SELECT * FROM documents WHERE kind = :kind AND key = :key ORDER BY version
