-- Stepwise SQLite schema, version 1: jobs, their step rows and their append-only log.
-- Instants are epoch milliseconds (UTC); JSON columns hold JSON text; statuses are lowercase.
-- Statements end with ';' at the end of a line (that is how the migrator splits them).

CREATE TABLE jobs (
    id               TEXT    NOT NULL PRIMARY KEY,
    recipe_id        TEXT    NOT NULL,
    recipe_slug      TEXT    NOT NULL,
    recipe_version   INTEGER NOT NULL CHECK (recipe_version >= 1),
    input            TEXT    NOT NULL,
    manifest         TEXT,
    status           TEXT    NOT NULL
                     CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    current_step     TEXT,
    progress         INTEGER NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    last_error       TEXT,
    duration_ms      INTEGER NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    epoch            INTEGER NOT NULL DEFAULT 0 CHECK (epoch >= 0),
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1))
) STRICT;

-- Listing, newest first (ids are time-ordered, so id breaks ties).
CREATE INDEX jobs_by_created ON jobs (created_at DESC, id DESC);

-- Listing filtered by status.
CREATE INDEX jobs_by_status ON jobs (status, created_at DESC, id DESC);

-- Recovery: running jobs whose lease expired.
CREATE INDEX jobs_by_lease ON jobs (status, lease_expires_at);

CREATE TABLE job_steps (
    id            TEXT    NOT NULL PRIMARY KEY,
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
    UNIQUE (job_id, step_key),
    UNIQUE (job_id, step_order)
) STRICT;

CREATE TABLE job_logs (
    cursor   INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id   TEXT    NOT NULL REFERENCES jobs (id),
    step_key TEXT,
    attempt  INTEGER NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    at       INTEGER NOT NULL,
    level    TEXT    NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    message  TEXT    NOT NULL
) STRICT;

-- Incremental reads of one job's log.
CREATE INDEX job_logs_by_job ON job_logs (job_id, cursor);
