-- Stepwise PostgreSQL schema, version 1: the same model as the SQLite store at its version 5
-- (jobs with the queue columns, step rows with their attempt log, the append-only log,
-- versioned documents), in PostgreSQL's types.
-- Statements end with ';' at the end of a line (that is how the migrator splits them), except
-- inside a $$-quoted function body.
--
-- Clocks: lease_expires_at and run_at are on the DATABASE's clock (the store converts the
-- engine's instants with the offset it measured between the two clocks), so workers on
-- machines whose clocks disagree compare leases and due times on one clock. The other
-- timestamps are the engine's, as given. JSON columns hold JSON text exactly as the engine
-- wrote it (cast to jsonb to query them).

CREATE TABLE {schema}.jobs (
    id               text        COLLATE "C" NOT NULL PRIMARY KEY,
    recipe_id        text        NOT NULL,
    recipe_slug      text        NOT NULL,
    recipe_version   integer     NOT NULL CHECK (recipe_version >= 1),
    input            text        NOT NULL,
    manifest         text,
    status           text        NOT NULL
                     CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled')),
    current_step     text,
    progress         integer     NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    last_error       text,
    duration_ms      bigint      NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    started_at       timestamptz,
    finished_at      timestamptz,
    lease_owner      text,
    lease_expires_at timestamptz,
    epoch            bigint      NOT NULL DEFAULT 0 CHECK (epoch >= 0),
    cancel_requested boolean     NOT NULL DEFAULT false,
    run_at           timestamptz NOT NULL,
    priority         integer     NOT NULL DEFAULT 0,
    idempotency_key  text        CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200),
    -- Which write of which store last changed the row: after a connection broke during a
    -- commit, the store looks for its token to know whether the commit happened.
    write_token      text
) WITH (fillfactor = 80);

-- Listing, newest first (ids are time-ordered, so id breaks ties).
CREATE INDEX jobs_by_created ON {schema}.jobs (created_at DESC, id DESC);

-- Listing filtered by status.
CREATE INDEX jobs_by_status ON {schema}.jobs (status, created_at DESC, id DESC);

-- Recovery: running jobs whose lease expired.
CREATE INDEX jobs_by_lease ON {schema}.jobs (lease_expires_at) WHERE status = 'running';

-- At most one job per idempotency key.
CREATE UNIQUE INDEX jobs_by_idempotency_key ON {schema}.jobs (idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The claim: pending jobs in claim order (highest priority, then earliest run_at, then oldest id).
CREATE INDEX jobs_claim ON {schema}.jobs (priority DESC, run_at, id) WHERE status = 'pending';

-- Running jobs per recipe, for per-recipe concurrency limits.
CREATE INDEX jobs_running_by_recipe ON {schema}.jobs (recipe_slug) WHERE status = 'running';

CREATE TABLE {schema}.job_steps (
    id            text        NOT NULL PRIMARY KEY,
    job_id        text        NOT NULL REFERENCES {schema}.jobs (id),
    step_key      text        NOT NULL,
    step_order    integer     NOT NULL CHECK (step_order >= 0),
    step_type     text        NOT NULL,
    input_hash    text,
    status        text        NOT NULL
                  CHECK (status IN ('pending', 'running', 'success', 'failed', 'skipped')),
    output_refs   text,
    attempts      integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    duration_ms   bigint      NOT NULL DEFAULT 0 CHECK (duration_ms >= 0),
    started_at    timestamptz,
    completed_at  timestamptz,
    error         text,
    skip_reason   text,
    interruptions integer     NOT NULL DEFAULT 0 CHECK (interruptions >= 0),
    -- A JSON array of {attempt, started_at, ended_at, outcome, error, retry_delay_ms}, oldest
    -- first (dev.stepwise.engine.api.Attempt#toJson).
    attempt_log   text        NOT NULL DEFAULT '[]',
    UNIQUE (job_id, step_key),
    UNIQUE (job_id, step_order)
) WITH (fillfactor = 80);

-- The cursor comes from a sequence. Every append happens after the job row is locked in the
-- same transaction (by the job's insert, its guarded update or its lease renewal), so appends
-- to one job commit in cursor order and an incremental reader never misses a line.
CREATE TABLE {schema}.job_logs (
    cursor   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id   text        NOT NULL REFERENCES {schema}.jobs (id),
    step_key text,
    attempt  integer     NOT NULL DEFAULT 0 CHECK (attempt >= 0),
    at       timestamptz NOT NULL,
    level    text        NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
    message  text        NOT NULL
);

-- Incremental reads of one job's log.
CREATE INDEX job_logs_by_job ON {schema}.job_logs (job_id, cursor);

-- Versioned documents (recipes and the config entries recipes refer to). One row per published
-- version; a version, once published, never changes and is never removed.
CREATE TABLE {schema}.documents (
    kind         text        NOT NULL CHECK (kind IN ('recipe', 'prompt', 'preset', 'provider')),
    key          text        COLLATE "C" NOT NULL CHECK (length(key) > 0),
    version      integer     NOT NULL CHECK (version >= 1),
    content_hash text        NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    content      text        NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (kind, key, version)
);

CREATE FUNCTION {schema}.documents_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.version <> 1 + COALESCE((SELECT max(d.version) FROM {schema}.documents d
                                         WHERE d.kind = NEW.kind AND d.key = NEW.key), 0) THEN
            RAISE EXCEPTION 'published versions are immutable; a new version must be the latest version + 1';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'published versions are immutable';
END;
$$;

CREATE TRIGGER documents_next_version BEFORE INSERT ON {schema}.documents
    FOR EACH ROW EXECUTE FUNCTION {schema}.documents_immutable();

CREATE TRIGGER documents_no_change BEFORE UPDATE OR DELETE ON {schema}.documents
    FOR EACH ROW EXECUTE FUNCTION {schema}.documents_immutable();
