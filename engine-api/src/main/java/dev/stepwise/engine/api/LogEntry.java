package dev.stepwise.engine.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One log line of a job. Logs are append-only; {@link #cursor()} grows with every entry of the
 * job, so a poller asks for the job's entries after the last cursor it saw. Cursors of different
 * jobs are not comparable: each job's lines are numbered on their own, by their writer, after the
 * job's {@link Job#logCursor()}. A store holds the lines written as rows
 * ({@link JobStore#findLogs}); the routine lines of step attempts ("attempt N started",
 * "attempt N succeeded in X ms") are kept in the step rows' attempt records instead
 * ({@link Attempt#startCursor()}, {@link Attempt#endCursor()}), and the engine's reader merges
 * both.
 *
 * @param cursor   position in the job's log, given by its writer (0: the store numbers it after
 *                 the job's log cursor, for callers that do not number)
 * @param jobId    the job
 * @param stepKey  the step that logged it, or null for a job-level line
 * @param attempt  the step's attempt number (0 for a job-level line)
 * @param at       when it was logged (UTC)
 * @param level    its level
 * @param message  the text
 */
public record LogEntry(long cursor, String jobId, String stepKey, int attempt, Instant at, LogLevel level, String message) {

    /** Validates the required fields. */
    public LogEntry {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(level, "level");
        Objects.requireNonNull(message, "message");
        if (attempt < 0) {
            throw new IllegalArgumentException("attempt must be >= 0, was " + attempt);
        }
    }

    /**
     * @param cursor its cursor
     * @return this entry with that cursor
     */
    public LogEntry withCursor(long cursor) {
        return new LogEntry(cursor, jobId, stepKey, attempt, at, level, message);
    }

    /**
     * For stores that keep a job's log cursor ({@link Job#logCursor()}): what it becomes after
     * writing some lines.
     *
     * @param logCursor the job's log cursor before
     * @param lines     lines being written (a cursor of 0 counts as none)
     * @return the greatest of {@code logCursor} and the lines' cursors
     */
    public static long lastCursor(long logCursor, List<LogEntry> lines) {
        long max = logCursor;
        for (LogEntry e : lines) {
            max = Math.max(max, e.cursor());
        }
        return max;
    }
}
