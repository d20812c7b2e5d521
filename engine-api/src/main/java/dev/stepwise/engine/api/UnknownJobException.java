package dev.stepwise.engine.api;

/** No job with this id exists in the store. */
public class UnknownJobException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String jobId;

    /** @param jobId the id that was asked for */
    public UnknownJobException(String jobId) {
        super("no job with id '" + jobId + "'; list jobs to find its id");
        this.jobId = jobId;
    }

    /** @return the id that was asked for */
    public String jobId() {
        return jobId;
    }
}
