package dev.stepwise.engine.api;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** Level of a persisted {@link LogEntry}; its JSON value is lowercase. */
public enum LogLevel {
    /** Detail useful when debugging a step. */
    DEBUG,
    /** Normal progress. */
    INFO,
    /** Something unexpected that did not fail the step. */
    WARN,
    /** A failure. */
    ERROR;

    /** @return the lowercase value, e.g. {@code "info"} */
    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @param value a lowercase level
     * @return the level
     * @throws IllegalArgumentException if unknown
     */
    public static LogLevel fromValue(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
