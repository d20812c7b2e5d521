package dev.stepwise.engine.api;

import java.time.Duration;

/** A step ran past its timeout: it was interrupted, and any late result is discarded. */
public class StepTimeoutException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String stepKey;
    private final Duration timeout;

    /**
     * @param stepKey the step
     * @param timeout its timeout
     */
    public StepTimeoutException(String stepKey, Duration timeout) {
        super("step '" + stepKey + "' timed out after " + timeout.toMillis() + " ms");
        this.stepKey = stepKey;
        this.timeout = timeout;
    }

    /** @return the step */
    public String stepKey() {
        return stepKey;
    }

    /** @return its timeout */
    public Duration timeout() {
        return timeout;
    }
}
