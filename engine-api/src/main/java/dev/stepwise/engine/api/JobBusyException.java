package dev.stepwise.engine.api;

import java.time.Instant;

/** Another runner holds the job's lease: a job has at most one runner at a time. */
public class JobBusyException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String jobId;
    private final String owner;
    private final Instant leaseExpiresAt;

    /**
     * @param jobId          the job
     * @param owner          the runner holding the lease (null if unknown)
     * @param leaseExpiresAt when that lease expires unless renewed (null if unknown)
     */
    public JobBusyException(String jobId, String owner, Instant leaseExpiresAt) {
        super("job " + jobId + " is running on " + (owner == null ? "another runner" : "runner " + owner)
                + (leaseExpiresAt == null ? "" : " until " + leaseExpiresAt)
                + "; wait for it, cancel it, or resume it after its lease expires");
        this.jobId = jobId;
        this.owner = owner;
        this.leaseExpiresAt = leaseExpiresAt;
    }

    /** @return the job */
    public String jobId() {
        return jobId;
    }

    /** @return the runner holding the lease, or null */
    public String owner() {
        return owner;
    }

    /** @return when that lease expires unless renewed, or null */
    public Instant leaseExpiresAt() {
        return leaseExpiresAt;
    }
}
