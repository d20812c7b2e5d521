package dev.stepwise.engine.api;

/**
 * A guarded write found the job row changed (another runner claimed it, its epoch moved on,
 * or its status is no longer the expected one). Nothing was written.
 */
public class WriteConflictException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String jobId;

    /**
     * @param jobId the job
     * @param guard the guard that did not hold
     */
    public WriteConflictException(String jobId, WriteGuard guard) {
        super("write to job " + jobId + " refused: " + guard.describe() + " no longer holds; re-read the job");
        this.jobId = jobId;
    }

    /** @return the job */
    public String jobId() {
        return jobId;
    }
}
