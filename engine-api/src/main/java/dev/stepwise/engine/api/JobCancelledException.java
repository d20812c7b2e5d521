package dev.stepwise.engine.api;

/** Thrown by {@link StepContext#throwIfCancelled()} when a cancel of the job was requested. */
public class JobCancelledException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String jobId;

    /** @param jobId the job */
    public JobCancelledException(String jobId) {
        super("job " + jobId + " was cancelled");
        this.jobId = jobId;
    }

    /** @return the job */
    public String jobId() {
        return jobId;
    }
}
