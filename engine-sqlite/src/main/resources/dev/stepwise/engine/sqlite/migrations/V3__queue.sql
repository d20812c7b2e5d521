-- Stepwise SQLite schema, version 3: the job queue. A job carries when it may run (run_at),
-- its priority and the submitter's idempotency key; workers claim the best runnable job.
-- Statements end with ';' at the end of a line (that is how the migrator splits them).

-- Not claimed before this time (epoch ms). Existing rows: their creation time. The DEFAULT
-- only lets ADD COLUMN fill existing rows (a NOT NULL column needs one); the store always
-- writes run_at itself.
ALTER TABLE jobs ADD COLUMN run_at INTEGER NOT NULL DEFAULT 0;

UPDATE jobs SET run_at = created_at;

-- Higher first.
ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;

-- Set on insert only, never changed.
ALTER TABLE jobs ADD COLUMN idempotency_key TEXT NULL
    CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200);

-- At most one job per idempotency key.
CREATE UNIQUE INDEX jobs_by_idempotency_key ON jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The claim: pending jobs in claim order (highest priority, then earliest run_at, then oldest id).
CREATE INDEX jobs_claim ON jobs (status, priority DESC, run_at, id);

-- Running jobs per recipe, for per-recipe concurrency limits.
CREATE INDEX jobs_by_recipe_status ON jobs (recipe_slug, status);
