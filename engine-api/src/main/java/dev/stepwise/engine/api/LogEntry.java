package dev.stepwise.engine.api;

import java.time.Instant;
import java.util.Objects;

/**
 * One persisted log line of a job. Logs are append-only; {@link #cursor()} grows with every
 * entry of a store, so a poller asks for the entries after the last cursor it saw.
 *
 * @param cursor   position in the store's log, assigned on insert (0 before it is stored)
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
     * @param cursor the cursor the store assigned
     * @return this entry with that cursor
     */
    public LogEntry withCursor(long cursor) {
        return new LogEntry(cursor, jobId, stepKey, attempt, at, level, message);
    }
}
