package dev.stepwise.engine.api;

/**
 * A step's logger. Every entry is persisted with a timestamp in the job's log (and also sent
 * to slf4j). Messages use slf4j's {@code {}} placeholders.
 */
public interface StepLogger {

    /**
     * @param format message with {@code {}} placeholders
     * @param args   values for the placeholders
     */
    void debug(String format, Object... args);

    /**
     * @param format message with {@code {}} placeholders
     * @param args   values for the placeholders
     */
    void info(String format, Object... args);

    /**
     * @param format message with {@code {}} placeholders
     * @param args   values for the placeholders
     */
    void warn(String format, Object... args);

    /**
     * @param format message with {@code {}} placeholders
     * @param args   values for the placeholders
     */
    void error(String format, Object... args);
}
