package dev.stepwise.engine.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;

/**
 * One step of a job as the store holds it (the ADR's JobStep). Its logs live in their own
 * append-only table ({@link JobStore#findLogs}), except the routine lines of its attempts, whose
 * cursors its attempt records carry (see {@link LogEntry}).
 *
 * @param id            store id
 * @param jobId         the job
 * @param stepKey       the step's key in the recipe
 * @param stepOrder     0-based position in the recipe
 * @param stepType      the step implementation's type name
 * @param inputHash     SHA-256 (hex) of what the step's execution depended on, or null before it ran
 * @param status        where the step is
 * @param outputRefs    the committed output (JSON), or null
 * @param attempts      how many times its execution started, over every run of the job
 * @param durationMs    wall time of its last execution
 * @param startedAt     start of its last execution, or null
 * @param completedAt   end of its last execution, or null
 * @param error         why its last execution failed, or null
 * @param skipReason    why it was skipped (e.g. {@code "checkpoint"}), or null
 * @param interruptions how many runs found it {@code running}: its runner lost the lease while executing it
 * @param attemptLog    each execution it had (number, start, end, outcome, error, retry delay), oldest first
 * @param cachedFrom    the job whose identical execution was reused (skip reason {@code "cache"}), or null
 * @param cacheable     whether its step is declared {@code cache}: only such rows are offered to other jobs
 *                      by {@link JobStore#findCachedStep} (so the store indexes only them)
 */
public record JobStep(
        String id,
        String jobId,
        String stepKey,
        int stepOrder,
        String stepType,
        String inputHash,
        StepStatus status,
        JsonNode outputRefs,
        int attempts,
        long durationMs,
        Instant startedAt,
        Instant completedAt,
        String error,
        String skipReason,
        int interruptions,
        List<Attempt> attemptLog,
        String cachedFrom,
        boolean cacheable) {

    /** Validates the fields. */
    public JobStep {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(stepKey, "stepKey");
        Objects.requireNonNull(stepType, "stepType");
        Objects.requireNonNull(status, "status");
        if (stepOrder < 0) {
            throw new IllegalArgumentException("stepOrder must be >= 0, was " + stepOrder);
        }
        if (attempts < 0) {
            throw new IllegalArgumentException("attempts must be >= 0, was " + attempts);
        }
        if (durationMs < 0) {
            throw new IllegalArgumentException("durationMs must be >= 0, was " + durationMs);
        }
        if (interruptions < 0) {
            throw new IllegalArgumentException("interruptions must be >= 0, was " + interruptions);
        }
        attemptLog = List.copyOf(Objects.requireNonNull(attemptLog, "attemptLog"));
    }

    /**
     * A new {@code pending} step row.
     *
     * @param id        store id
     * @param jobId     the job
     * @param stepKey   key in the recipe
     * @param stepOrder position in the recipe
     * @param stepType  implementation type name
     * @return the row
     */
    public static JobStep pending(String id, String jobId, String stepKey, int stepOrder, String stepType) {
        return new JobStep(id, jobId, stepKey, stepOrder, stepType, null, StepStatus.PENDING, null, 0, 0, null, null,
                null, null, 0, List.of(), null, false);
    }

    /** @return a builder holding this step's fields */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Builder for changed copies of a {@link JobStep}; every setter returns this builder. */
    public static final class Builder {
        private final String id;
        private final String jobId;
        private final String stepKey;
        private final int stepOrder;
        private final String stepType;
        private String inputHash;
        private StepStatus status;
        private JsonNode outputRefs;
        private int attempts;
        private long durationMs;
        private Instant startedAt;
        private Instant completedAt;
        private String error;
        private String skipReason;
        private int interruptions;
        private List<Attempt> attemptLog;
        private String cachedFrom;
        private boolean cacheable;

        private Builder(JobStep s) {
            id = s.id;
            jobId = s.jobId;
            stepKey = s.stepKey;
            stepOrder = s.stepOrder;
            stepType = s.stepType;
            inputHash = s.inputHash;
            status = s.status;
            outputRefs = s.outputRefs;
            attempts = s.attempts;
            durationMs = s.durationMs;
            startedAt = s.startedAt;
            completedAt = s.completedAt;
            error = s.error;
            skipReason = s.skipReason;
            interruptions = s.interruptions;
            attemptLog = s.attemptLog;
            cachedFrom = s.cachedFrom;
            cacheable = s.cacheable;
        }

        /** @param v input hash @return this */
        public Builder inputHash(String v) { inputHash = v; return this; }
        /** @param v status @return this */
        public Builder status(StepStatus v) { status = v; return this; }
        /** @param v output @return this */
        public Builder outputRefs(JsonNode v) { outputRefs = v; return this; }
        /** @param v attempts @return this */
        public Builder attempts(int v) { attempts = v; return this; }
        /** @param v duration in ms @return this */
        public Builder durationMs(long v) { durationMs = v; return this; }
        /** @param v start time @return this */
        public Builder startedAt(Instant v) { startedAt = v; return this; }
        /** @param v end time @return this */
        public Builder completedAt(Instant v) { completedAt = v; return this; }
        /** @param v error @return this */
        public Builder error(String v) { error = v; return this; }
        /** @param v skip reason @return this */
        public Builder skipReason(String v) { skipReason = v; return this; }
        /** @param v interruptions @return this */
        public Builder interruptions(int v) { interruptions = v; return this; }
        /** @param v every attempt, oldest first @return this */
        public Builder attemptLog(List<Attempt> v) { attemptLog = v; return this; }
        /** @param v the job whose execution was reused, or null @return this */
        public Builder cachedFrom(String v) { cachedFrom = v; return this; }
        /** @param v whether its step is declared {@code cache} @return this */
        public Builder cacheable(boolean v) { cacheable = v; return this; }

        /**
         * @param change what happens to the latest attempt
         * @return this, with the latest attempt replaced by {@code change} applied to it (no-op without one)
         */
        public Builder lastAttempt(UnaryOperator<Attempt> change) {
            if (!attemptLog.isEmpty()) {
                List<Attempt> next = new ArrayList<>(attemptLog);
                next.set(next.size() - 1, change.apply(next.get(next.size() - 1)));
                attemptLog = next;
            }
            return this;
        }

        /** @param a a new attempt @return this, with it appended */
        public Builder addAttempt(Attempt a) {
            List<Attempt> next = new ArrayList<>(attemptLog);
            next.add(a);
            attemptLog = next;
            return this;
        }

        /** @return the step row */
        public JobStep build() {
            return new JobStep(id, jobId, stepKey, stepOrder, stepType, inputHash, status, outputRefs, attempts,
                    durationMs, startedAt, completedAt, error, skipReason, interruptions, attemptLog, cachedFrom, cacheable);
        }
    }
}
