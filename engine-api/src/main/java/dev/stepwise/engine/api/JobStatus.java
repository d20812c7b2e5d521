package dev.stepwise.engine.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Set;

/**
 * The status of a {@link Job}: {@code pending -> running -> completed | failed | cancelled}.
 * The JSON value of each constant is the ADR's lowercase string ({@link #value()}).
 */
public enum JobStatus {
    /** Created (or handed back for a retry or a recovery) and waiting for a runner. */
    PENDING,
    /** A runner holds the job's lease and executes its steps. */
    RUNNING,
    /** Every step succeeded or was skipped; terminal. */
    COMPLETED,
    /** A step failed (or the store failed while running it); terminal until retried. */
    FAILED,
    /** Cancelled before it finished; terminal until retried. */
    CANCELLED;

    /** @return the lowercase string used in JSON and in the store, e.g. {@code "completed"} */
    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses the lowercase store/JSON value.
     *
     * @param value e.g. {@code "running"}
     * @return the status
     * @throws IllegalArgumentException if the value names no status
     */
    @JsonCreator
    public static JobStatus fromValue(String value) {
        for (JobStatus s : values()) {
            if (s.value().equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown job status '" + value + "'; expected one of pending, running, completed, failed, cancelled");
    }

    /** @return true for {@code completed}, {@code failed} and {@code cancelled} */
    public boolean isTerminal() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }

    /**
     * The transitions the ADR allows, plus those that hand a job back for another run:
     * {@code failed|cancelled -> pending} (retry), {@code completed -> pending} (retry from a
     * step, which drops that step's checkpoint and those downstream of it) and
     * {@code running -> pending} (recovery of an orphaned job, or a graceful hand-back).
     *
     * @param next the status to move to
     * @return whether the move is allowed
     */
    public boolean canTransitionTo(JobStatus next) {
        return switch (this) {
            case PENDING -> Set.of(RUNNING, CANCELLED).contains(next);
            case RUNNING -> Set.of(COMPLETED, FAILED, CANCELLED, PENDING).contains(next);
            case FAILED, CANCELLED, COMPLETED -> next == PENDING;
        };
    }

    @Override
    public String toString() {
        return value();
    }
}
