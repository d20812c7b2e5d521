package dev.stepwise.engine.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How one {@link Attempt} of a step ended. The JSON value of each constant is its lowercase name. */
public enum AttemptOutcome {
    /** Started and not ended (yet, or its process died: see {@link #INTERRUPTED}). */
    RUNNING,
    /** Returned an output that was recorded. */
    SUCCEEDED,
    /** Threw, or returned something that could not be recorded. */
    FAILED,
    /** Ran past its step's timeout and was interrupted. */
    TIMED_OUT,
    /** Stopped because the job was cancelled. */
    CANCELLED,
    /** Its runner lost the lease while it ran (the process died or stalled): its result was never recorded. */
    INTERRUPTED,
    /** A worker shutting down gave up on it after the grace period; the step runs again. */
    ABANDONED;

    /** @return the lowercase value used in JSON and in the store, e.g. {@code "timed_out"} */
    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param value a lowercase value
     * @return the outcome
     * @throws IllegalArgumentException if it names none
     */
    @JsonCreator
    public static AttemptOutcome fromValue(String value) {
        for (AttemptOutcome o : values()) {
            if (o.value().equals(value)) {
                return o;
            }
        }
        throw new IllegalArgumentException("unknown attempt outcome '" + value + "'");
    }

    @Override
    public String toString() {
        return value();
    }
}
