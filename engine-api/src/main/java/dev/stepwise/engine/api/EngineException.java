package dev.stepwise.engine.api;

/**
 * Root of every error Stepwise throws on purpose. Unchecked; each subclass carries the ids
 * involved as accessors, and its message names them and says what to do.
 */
public class EngineException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what happened and what to do */
    public EngineException(String message) {
        super(message);
    }

    /**
     * @param message what happened and what to do
     * @param cause   the underlying failure
     */
    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
