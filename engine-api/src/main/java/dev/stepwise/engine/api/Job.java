package dev.stepwise.engine.api;

import java.time.Instant;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * A job as the store holds it: one run of a pinned recipe version on one input. The first ten
 * fields are the ADR's model; the rest are what durable execution needs (timestamps, the lease
 * and its fencing epoch, the cancel flag).
 *
 * <p>Build one with {@link #builder()} or change one with {@link #toBuilder()}.
 *
 * @param id              time-ordered id (26 characters, sortable)
 * @param recipeId        id of the pinned recipe version
 * @param recipeSlug      slug of the recipe
 * @param recipeVersion   pinned recipe version (>= 1)
 * @param input           the job input (a JSON object)
 * @param manifest        the last persisted manifest, or null
 * @param status          where the job is
 * @param currentStep     key of the step running or last reached, or null
 * @param progress        0-100, the share of steps done
 * @param lastError       why the job failed (names the step and cause), or null
 * @param durationMs      time spent running, summed over every run of the job
 * @param createdAt       creation time
 * @param updatedAt       time of the last write
 * @param startedAt       time the first run started, or null
 * @param finishedAt      time it reached its last terminal status, or null
 * @param leaseOwner      id of the runner holding the lease, or null
 * @param leaseExpiresAt  when that lease expires unless renewed, or null
 * @param epoch           fencing epoch: incremented by every claim; writes of a runner check it
 * @param cancelRequested whether a cancel was requested while it ran
 * @param runAt           not claimed by workers before this time (a retry's backoff, a scheduled job)
 * @param priority        workers claim higher priorities first (default 0)
 * @param idempotencyKey  the submitter's key: submitting again with it returns this job, or null
 * @param logCursor       the greatest cursor used by the job's log lines, stored or derived from
 *                        attempt records (0: none yet); writers number new lines after it
 */
public record Job(
        String id,
        String recipeId,
        String recipeSlug,
        int recipeVersion,
        JsonNode input,
        JsonNode manifest,
        JobStatus status,
        String currentStep,
        int progress,
        String lastError,
        long durationMs,
        Instant createdAt,
        Instant updatedAt,
        Instant startedAt,
        Instant finishedAt,
        String leaseOwner,
        Instant leaseExpiresAt,
        long epoch,
        boolean cancelRequested,
        Instant runAt,
        int priority,
        String idempotencyKey,
        long logCursor) {

    /** Validates the fields. */
    public Job {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(recipeId, "recipeId");
        Objects.requireNonNull(recipeSlug, "recipeSlug");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (recipeVersion < 1) {
            throw new IllegalArgumentException("recipeVersion must be >= 1, was " + recipeVersion);
        }
        if (progress < 0 || progress > 100) {
            throw new IllegalArgumentException("progress must be 0-100, was " + progress);
        }
        if (durationMs < 0) {
            throw new IllegalArgumentException("durationMs must be >= 0, was " + durationMs);
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, was " + epoch);
        }
        if (logCursor < 0) {
            throw new IllegalArgumentException("logCursor must be >= 0, was " + logCursor);
        }
        if (runAt == null) {
            runAt = createdAt;
        }
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 200)) {
            throw new IllegalArgumentException("idempotencyKey must be 1-200 characters, was '" + idempotencyKey + "'");
        }
    }

    /** @return a builder with no fields set */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding this job's fields */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builder for {@link Job}; every setter returns this builder. */
    public static final class Builder {
        private String id;
        private String recipeId;
        private String recipeSlug;
        private int recipeVersion;
        private JsonNode input;
        private JsonNode manifest;
        private JobStatus status = JobStatus.PENDING;
        private String currentStep;
        private int progress;
        private String lastError;
        private long durationMs;
        private Instant createdAt;
        private Instant updatedAt;
        private Instant startedAt;
        private Instant finishedAt;
        private String leaseOwner;
        private Instant leaseExpiresAt;
        private long epoch;
        private boolean cancelRequested;
        private Instant runAt;
        private int priority;
        private String idempotencyKey;
        private long logCursor;

        private Builder() {
        }

        private Builder(Job j) {
            id = j.id;
            recipeId = j.recipeId;
            recipeSlug = j.recipeSlug;
            recipeVersion = j.recipeVersion;
            input = j.input;
            manifest = j.manifest;
            status = j.status;
            currentStep = j.currentStep;
            progress = j.progress;
            lastError = j.lastError;
            durationMs = j.durationMs;
            createdAt = j.createdAt;
            updatedAt = j.updatedAt;
            startedAt = j.startedAt;
            finishedAt = j.finishedAt;
            leaseOwner = j.leaseOwner;
            leaseExpiresAt = j.leaseExpiresAt;
            epoch = j.epoch;
            cancelRequested = j.cancelRequested;
            runAt = j.runAt;
            priority = j.priority;
            idempotencyKey = j.idempotencyKey;
            logCursor = j.logCursor;
        }

        /** @param v id @return this */
        public Builder id(String v) { id = v; return this; }
        /** @param v recipe id @return this */
        public Builder recipeId(String v) { recipeId = v; return this; }
        /** @param v recipe slug @return this */
        public Builder recipeSlug(String v) { recipeSlug = v; return this; }
        /** @param v recipe version @return this */
        public Builder recipeVersion(int v) { recipeVersion = v; return this; }
        /** @param v input @return this */
        public Builder input(JsonNode v) { input = v; return this; }
        /** @param v manifest @return this */
        public Builder manifest(JsonNode v) { manifest = v; return this; }
        /** @param v status @return this */
        public Builder status(JobStatus v) { status = v; return this; }
        /** @param v current step key @return this */
        public Builder currentStep(String v) { currentStep = v; return this; }
        /** @param v progress 0-100 @return this */
        public Builder progress(int v) { progress = v; return this; }
        /** @param v last error @return this */
        public Builder lastError(String v) { lastError = v; return this; }
        /** @param v duration in ms @return this */
        public Builder durationMs(long v) { durationMs = v; return this; }
        /** @param v creation time @return this */
        public Builder createdAt(Instant v) { createdAt = v; return this; }
        /** @param v last write time @return this */
        public Builder updatedAt(Instant v) { updatedAt = v; return this; }
        /** @param v first start time @return this */
        public Builder startedAt(Instant v) { startedAt = v; return this; }
        /** @param v terminal time @return this */
        public Builder finishedAt(Instant v) { finishedAt = v; return this; }
        /** @param v lease owner @return this */
        public Builder leaseOwner(String v) { leaseOwner = v; return this; }
        /** @param v lease expiry @return this */
        public Builder leaseExpiresAt(Instant v) { leaseExpiresAt = v; return this; }
        /** @param v fencing epoch @return this */
        public Builder epoch(long v) { epoch = v; return this; }
        /** @param v cancel flag @return this */
        public Builder cancelRequested(boolean v) { cancelRequested = v; return this; }

        /** @param v earliest time a worker may claim it (default: createdAt) @return this */
        public Builder runAt(Instant v) { runAt = v; return this; }
        /** @param v priority, higher first (default 0) @return this */
        public Builder priority(int v) { priority = v; return this; }
        /** @param v the submitter's idempotency key, or null @return this */
        public Builder idempotencyKey(String v) { idempotencyKey = v; return this; }
        /** @param v the greatest cursor of the job's log lines (default 0) @return this */
        public Builder logCursor(long v) { logCursor = v; return this; }

        /** @return the job @throws NullPointerException or IllegalArgumentException on bad fields */
        public Job build() {
            return new Job(id, recipeId, recipeSlug, recipeVersion, input, manifest, status, currentStep, progress,
                    lastError, durationMs, createdAt, updatedAt, startedAt, finishedAt, leaseOwner, leaseExpiresAt,
                    epoch, cancelRequested, runAt, priority, idempotencyKey, logCursor);
        }
    }
}
