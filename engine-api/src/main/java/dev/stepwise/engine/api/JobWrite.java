package dev.stepwise.engine.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * One atomic write of a job: the job row, changed step rows and new log lines, committed in
 * one transaction if and only if the {@link WriteGuard} holds. This is the checkpoint: a step's
 * result, the job's progress and the next step's {@code running} record go together.
 *
 * <p>The job row is written whole except three columns: the input and the idempotency key,
 * which never change after {@link JobStore#insertJob}; the manifest, written only when
 * {@code writeManifest} is set; and the cancel flag, which only {@link JobStore#requestCancel}
 * sets and only {@code clearCancel} clears (so a runner never loses a concurrent cancel).
 * The stored {@code logCursor} never decreases.
 *
 * <p>Log lines carry their cursors: a writer numbers them after the {@link Job#logCursor()} it read
 * (contiguously, counting the routine lines its step rows' attempt records derive) and writes the
 * job with the new greatest cursor. A line with cursor 0 is numbered by the store after the
 * stored {@code logCursor} (for callers that do not number). A write made with
 * {@link #afterLogCursor(long)} holds only if the stored {@code logCursor} is still the one its
 * writer numbered from, so two writers never number the same cursor: the loser gets a
 * {@link WriteConflictException}.
 *
 * @param job               the job row's new values
 * @param guard             the condition the current row must meet
 * @param steps             step rows to update (matched by id), possibly empty
 * @param logs              log lines to append, possibly empty
 * @param writeManifest     whether to write {@code job.manifest()}
 * @param clearCancel       whether to clear the cancel flag
 * @param previousLogCursor the stored {@code logCursor} the writer numbered from, if the guard
 *                          checks it (set with {@link #afterLogCursor(long)})
 */
public record JobWrite(Job job, WriteGuard guard, List<JobStep> steps, List<LogEntry> logs, boolean writeManifest,
        boolean clearCancel, OptionalLong previousLogCursor) {

    /**
     * A write whose guard does not check the stored {@code logCursor}.
     *
     * @param job           the job row's new values
     * @param guard         the condition the current row must meet
     * @param steps         step rows to update (matched by id), possibly empty
     * @param logs          log lines to append, possibly empty
     * @param writeManifest whether to write {@code job.manifest()}
     * @param clearCancel   whether to clear the cancel flag
     */
    public JobWrite(Job job, WriteGuard guard, List<JobStep> steps, List<LogEntry> logs, boolean writeManifest,
            boolean clearCancel) {
        this(job, guard, steps, logs, writeManifest, clearCancel, OptionalLong.empty());
    }

    /**
     * @param previous the stored {@code logCursor} this write's lines were numbered from
     * @return this write, guarded also by the stored {@code logCursor} being {@code previous}
     */
    public JobWrite afterLogCursor(long previous) {
        return new JobWrite(job, guard, steps, logs, writeManifest, clearCancel, OptionalLong.of(previous));
    }

    /**
     * Numbers this write's lines the way a writer that read the job does: lines with cursor 0
     * get the cursors after {@code previous} in order (lines with a cursor keep it), the job
     * carries the greatest, and the write holds only if the stored {@code logCursor} is still
     * {@code previous} ({@link #afterLogCursor(long)}).
     *
     * @param previous the {@link Job#logCursor()} of the job as the writer read it
     * @return this write, numbered and guarded by it
     */
    public JobWrite numberedAfter(long previous) {
        long cursor = previous;
        List<LogEntry> numbered = new ArrayList<>(logs.size());
        for (LogEntry e : logs) {
            if (e.cursor() == 0) {
                numbered.add(e.withCursor(++cursor));
            } else {
                numbered.add(e);
                cursor = Math.max(cursor, e.cursor());
            }
        }
        Job next = job.toBuilder().logCursor(Math.max(job.logCursor(), cursor)).build();
        return new JobWrite(next, guard, steps, numbered, writeManifest, clearCancel, OptionalLong.of(previous));
    }

    /**
     * @return the job's {@code logCursor} after this write: the greatest of the written job's and
     *         of the lines' cursors (lines with cursor 0, numbered by the store, not counted)
     */
    public long newLogCursor() {
        long max = job.logCursor();
        for (LogEntry e : logs) {
            max = Math.max(max, e.cursor());
        }
        return max;
    }

    /** Validates and copies the lists. */
    public JobWrite {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(guard, "guard");
        steps = List.copyOf(steps);
        logs = List.copyOf(logs);
        Objects.requireNonNull(previousLogCursor, "previousLogCursor");
        for (JobStep s : steps) {
            if (!s.jobId().equals(job.id())) {
                throw new IllegalArgumentException("step " + s.stepKey() + " belongs to job " + s.jobId() + ", not " + job.id());
            }
        }
    }
}
