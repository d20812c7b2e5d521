package dev.stepwise.engine.api;

import java.util.List;
import java.util.Objects;

/**
 * One atomic write of a job: the job row, changed step rows and new log lines, committed in
 * one transaction if and only if the {@link WriteGuard} holds. This is the checkpoint: a step's
 * result, the job's progress and the next step's {@code running} record go together.
 *
 * <p>The job row is written whole except three columns: the input and the idempotency key,
 * which never change after {@link JobStore#insertJob}; the manifest, written only when
 * {@code writeManifest} is set; and the cancel flag, which only {@link JobStore#requestCancel}
 * sets and only {@code clearCancel} clears (so a runner never loses a concurrent cancel).
 *
 * @param job           the job row's new values
 * @param guard         the condition the current row must meet
 * @param steps         step rows to update (matched by id), possibly empty
 * @param logs          log lines to append, possibly empty
 * @param writeManifest whether to write {@code job.manifest()}
 * @param clearCancel   whether to clear the cancel flag
 */
public record JobWrite(Job job, WriteGuard guard, List<JobStep> steps, List<LogEntry> logs, boolean writeManifest,
        boolean clearCancel) {

    /** Validates and copies the lists. */
    public JobWrite {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(guard, "guard");
        steps = List.copyOf(steps);
        logs = List.copyOf(logs);
        for (JobStep s : steps) {
            if (!s.jobId().equals(job.id())) {
                throw new IllegalArgumentException("step " + s.stepKey() + " belongs to job " + s.jobId() + ", not " + job.id());
            }
        }
    }
}
