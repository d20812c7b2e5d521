package dev.stepwise.engine.api;

/**
 * A step returned something the engine cannot record as JSON: a value that refers to itself, a
 * number that is not finite ({@code NaN}, {@code Infinity}), a Java object that has no JSON form,
 * or a value deeper or larger than the engine's limits. The step fails with this as its cause; its
 * retry policy decides whether it runs again (list this class in {@code non_retryable} to fail at
 * once). Nothing of the output is stored.
 */
public class InvalidOutputException extends StepFailedException {
    private static final long serialVersionUID = 1L;
    private final String problem;

    /**
     * @param jobId   the job
     * @param stepKey the step
     * @param problem what is wrong with the output, e.g. "it nests deeper than 1000 levels at $.a.a"
     */
    public InvalidOutputException(String jobId, String stepKey, String problem) {
        super(jobId, stepKey, "its output cannot be recorded: " + problem, null);
        this.problem = problem;
    }

    /** @return what is wrong with the output */
    public String problem() {
        return problem;
    }
}
