package dev.stepwise.engine.api;

/**
 * A step's execution failed: it threw, or returned something that is not JSON. The runner
 * records it on the step and the job ({@code lastError}); steps may also throw it themselves.
 */
public class StepFailedException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String jobId;
    private final String stepKey;

    /**
     * @param jobId   the job
     * @param stepKey the step
     * @param reason  why it failed
     * @param cause   the underlying failure, or null
     */
    public StepFailedException(String jobId, String stepKey, String reason, Throwable cause) {
        super("step '" + stepKey + "' of job " + jobId + " failed: " + reason, cause);
        this.jobId = jobId;
        this.stepKey = stepKey;
    }

    /** @return the job */
    public String jobId() {
        return jobId;
    }

    /** @return the step */
    public String stepKey() {
        return stepKey;
    }
}
