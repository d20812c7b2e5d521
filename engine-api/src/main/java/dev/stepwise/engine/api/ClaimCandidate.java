package dev.stepwise.engine.api;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A job a worker may claim ({@link JobStore#findCandidates(java.time.Instant, int, java.util.Set)}), with its step
 * rows when the store read them in the same statement as the job.
 *
 * <p>A store that reads both at once saves the runner a round trip per job; the rows are as
 * fresh as the job row, and the claim's {@link WriteGuard.Claimable} guard (the epoch read here)
 * tells the runner if either changed before it wrote.
 *
 * @param job   the job, as {@link JobStore#findClaimable(java.time.Instant, int)} returns it
 * @param steps its step rows in step order, read with it; empty when the store did not read them
 *              (the runner reads them with {@link JobStore#findSteps(String)})
 */
public record ClaimCandidate(Job job, Optional<List<JobStep>> steps) {

    /** Validates and copies. */
    public ClaimCandidate {
        Objects.requireNonNull(job, "job");
        Objects.requireNonNull(steps, "steps");
        steps = steps.map(List::copyOf);
        steps.ifPresent(rows -> rows.forEach(s -> {
            if (!s.jobId().equals(job.id())) {
                throw new IllegalArgumentException("step row " + s.id() + " belongs to job " + s.jobId() + ", not " + job.id());
            }
        }));
    }

    /**
     * @param job a job read without its step rows
     * @return the candidate
     */
    public static ClaimCandidate withoutSteps(Job job) {
        return new ClaimCandidate(job, Optional.empty());
    }

    /**
     * @param job   a job
     * @param steps its step rows, read in the same statement
     * @return the candidate
     */
    public static ClaimCandidate withSteps(Job job, List<JobStep> steps) {
        return new ClaimCandidate(job, Optional.of(steps));
    }
}
