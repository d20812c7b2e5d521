package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.core.LogContext;
import org.slf4j.MDC;

/**
 * Sets the {@link LogContext} keys on the current thread for one step execution, and puts back
 * what was there before when closed (on the same thread).
 */
final class StepMdc implements AutoCloseable {
    private static final String[] KEYS = {LogContext.JOB_ID, LogContext.RECIPE, LogContext.STEP, LogContext.ATTEMPT};

    private final String[] previous = new String[KEYS.length];

    private StepMdc(String... values) {
        for (int i = 0; i < KEYS.length; i++) {
            previous[i] = MDC.get(KEYS[i]);
            MDC.put(KEYS[i], values[i]);
        }
    }

    /**
     * @param jobId   the job
     * @param recipe  its recipe's slug
     * @param stepKey the step
     * @param attempt the attempt number
     * @return the keys, set until closed
     */
    static StepMdc set(String jobId, String recipe, String stepKey, int attempt) {
        return new StepMdc(jobId, recipe, stepKey, Integer.toString(attempt));
    }

    @Override
    public void close() {
        for (int i = 0; i < KEYS.length; i++) {
            if (previous[i] == null) {
                MDC.remove(KEYS[i]);
            } else {
                MDC.put(KEYS[i], previous[i]);
            }
        }
    }
}
