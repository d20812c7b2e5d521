package dev.stepwise.engine.api;

/** The store failed (I/O, SQL, a database from a newer version). Nothing was half-written. */
public class StoreException extends EngineException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed and what to do */
    public StoreException(String message) {
        super(message);
    }

    /**
     * @param message what failed and what to do
     * @param cause   the underlying failure
     */
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
