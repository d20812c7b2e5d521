package dev.stepwise.engine.examples;

/** Bad usage or input on the command line: exit {@value StepwiseCli#EXIT_USAGE}. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
