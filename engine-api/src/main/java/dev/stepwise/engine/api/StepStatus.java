package dev.stepwise.engine.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The status of a {@link JobStep}: {@code pending -> running -> success | failed}, or
 * {@code pending -> skipped}. The JSON value of each constant is the ADR's lowercase string.
 */
public enum StepStatus {
    /** Not started in the current run. */
    PENDING,
    /** Its {@code running} record is committed and it executes (or crashed while executing). */
    RUNNING,
    /** Executed and its output committed. */
    SUCCESS,
    /** Executed and threw, timed out or returned something that is not JSON. */
    FAILED,
    /** Not executed: a valid checkpoint (same input hash) was reused. */
    SKIPPED;

    /** @return the lowercase string used in JSON and in the store, e.g. {@code "success"} */
    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Parses the lowercase store/JSON value.
     *
     * @param value e.g. {@code "skipped"}
     * @return the status
     * @throws IllegalArgumentException if the value names no status
     */
    @JsonCreator
    public static StepStatus fromValue(String value) {
        for (StepStatus s : values()) {
            if (s.value().equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown step status '" + value + "'; expected one of pending, running, success, failed, skipped");
    }

    /** @return true when the step's output is committed and reusable ({@code success} or {@code skipped}) */
    public boolean hasOutput() {
        return this == SUCCESS || this == SKIPPED;
    }

    @Override
    public String toString() {
        return value();
    }
}
