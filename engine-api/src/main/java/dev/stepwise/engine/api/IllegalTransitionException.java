package dev.stepwise.engine.api;

/** The job cannot go from its status to the one asked for (e.g. running a completed job). */
public class IllegalTransitionException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String jobId;
    private final JobStatus from;
    private final JobStatus to;

    /**
     * @param jobId the job
     * @param from  its status
     * @param to    the status asked for
     * @param hint  what to do instead
     */
    public IllegalTransitionException(String jobId, JobStatus from, JobStatus to, String hint) {
        super("job " + jobId + " is " + from + " and cannot become " + to + (hint == null ? "" : "; " + hint));
        this.jobId = jobId;
        this.from = from;
        this.to = to;
    }

    /** @return the job */
    public String jobId() {
        return jobId;
    }

    /** @return its status */
    public JobStatus from() {
        return from;
    }

    /** @return the status asked for */
    public JobStatus to() {
        return to;
    }
}
