package dev.stepwise.engine.api;

/**
 * Thrown by a step to say its failure is permanent: the step's retry policy does not retry it
 * (bad data, a refused request), and the job fails at once.
 */
public class PermanentStepException extends EngineException {
    private static final long serialVersionUID = 1L;

    /** @param message why the step cannot succeed */
    public PermanentStepException(String message) {
        super(message);
    }

    /**
     * @param message why the step cannot succeed
     * @param cause   the underlying failure
     */
    public PermanentStepException(String message, Throwable cause) {
        super(message, cause);
    }
}
