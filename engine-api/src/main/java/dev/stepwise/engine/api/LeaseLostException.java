package dev.stepwise.engine.api;

/**
 * The runner lost the job's lease (it expired and another runner claimed the job): its
 * results are refused and it stops. The new owner carries on from the last checkpoint.
 */
public class LeaseLostException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String jobId;
    private final long epoch;

    /**
     * @param jobId the job
     * @param epoch the epoch the runner held
     */
    public LeaseLostException(String jobId, long epoch) {
        super("runner lost the lease of job " + jobId + " (epoch " + epoch
                + "); another runner owns it now and this runner's late results were not written");
        this.jobId = jobId;
        this.epoch = epoch;
    }

    /** @return the job */
    public String jobId() {
        return jobId;
    }

    /** @return the epoch the runner held */
    public long epoch() {
        return epoch;
    }
}
