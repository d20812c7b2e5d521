package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.ClaimCandidate;
import dev.stepwise.engine.api.EngineException;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a run got its job: {@code run(jobId)} claims it with its first write ({@link ByCaller}); a
 * worker without recipe limits claims a candidate it picked from {@code findClaimable} with its
 * first write too ({@link ByWorkerPick}); a worker with recipe limits runs a job the store's
 * {@code claimNext} already claimed ({@link ByWorker}). What differs between them lives here, so
 * the runner asks the claim instead of testing a flag.
 */
public sealed interface Claim {
    /** @return a claim for {@code run(jobId)} on the caller's thread */
    static Claim byCaller() {
        return new ByCaller();
    }

    /**
     * @param claimed the job, {@code running} under this engine's lease
     * @return a claim for a worker
     */
    static Claim byWorker(Job claimed) {
        return new ByWorker(claimed);
    }

    /**
     * @param candidate a job read by {@code findCandidates} ({@code pending} and due when read),
     *                  with its step rows if the store read them with it
     * @param owner     the worker's lease owner ({@code runnerId#wN})
     * @return a claim for a worker that claims the candidate with its first write
     */
    static Claim byWorkerPick(ClaimCandidate candidate, String owner) {
        return new ByWorkerPick(candidate, owner);
    }

    /**
     * Reads the job and checks that this claim may run it.
     *
     * @param services the engine's services
     * @param jobId    the job
     * @return the job as read
     */
    Job load(EngineServices services, String jobId);

    /**
     * Reads the job's step rows, after {@link #load}.
     *
     * @param services the engine's services
     * @param jobId    the job
     * @return its step rows in step order
     */
    default List<JobStep> steps(EngineServices services, String jobId) {
        return services.store().findSteps(jobId);
    }

    /**
     * @param read     the job as read
     * @param services the engine's services
     * @param now      the time
     * @return the job row this run writes (running, under this claim's lease)
     */
    Job running(Job read, EngineServices services, Instant now);

    /**
     * @param read the job as read
     * @param now  the time
     * @return the guard of the first write
     */
    WriteGuard firstGuard(Job read, Instant now);

    /** @return whether the job is this runner's before its first write (a worker's claim is committed) */
    boolean ownedAtStart();

    /** @return whether a retry hands the job back {@code pending} with a later run-at, instead of waiting in this run */
    boolean durableRetries();

    /** @return whether steps run on the engine's step executor even when the recipe would allow the caller's thread */
    boolean stepsOffThread();

    /**
     * This engine lacks a step type of the job.
     *
     * @param services the engine's services
     * @param read     the job as read
     * @param e        what is missing
     */
    void unrunnable(EngineServices services, Job read, UnknownStepTypeException e);

    /**
     * The job row a claim that rides with the first write commits: running under {@code owner}'s
     * new lease, epoch + 1, started now unless it started before, the last run's end cleared.
     */
    private static Job claimedBy(Job read, String owner, EngineServices services, Instant now) {
        return read.toBuilder()
                .status(JobStatus.RUNNING)
                .epoch(read.epoch() + 1)
                .leaseOwner(owner)
                .leaseExpiresAt(now.plus(services.leaseTtl()))
                .startedAt(read.startedAt() == null ? now : read.startedAt())
                .finishedAt(null)
                .lastError(null)
                .updatedAt(now)
                .build();
    }

    /**
     * A worker's hand-back of a job it cannot run (this engine lacks a step type): pending again,
     * runnable after one lease TTL (for another engine that has the type), with a WARN line.
     */
    private static void handBack(EngineServices services, Job read, long epoch, WriteGuard guard, String runner,
            Instant now, UnknownStepTypeException e) {
        Job back = read.toBuilder().status(JobStatus.PENDING).epoch(epoch).leaseOwner(null).leaseExpiresAt(null)
                .runAt(now.plus(services.leaseTtl())).updatedAt(now).build();
        services.store().write(new JobWrite(back, guard, List.of(), List.of(new LogEntry(0, read.id(), null, 0, now,
                LogLevel.WARN, "runner " + runner + " cannot run it: " + e.getMessage())), false, false)
                .numberedAfter(read.logCursor()));
    }

    /** {@code run(jobId)}: the claim rides with the first write; retries wait in the run. */
    record ByCaller() implements Claim {
        private static final Logger LOG = LoggerFactory.getLogger(Claim.class);

        @Override
        public Job load(EngineServices services, String jobId) {
            Job read = services.store().findJob(jobId).orElseThrow(() -> new UnknownJobException(jobId));
            Instant now = services.nowMillis();
            switch (read.status()) {
                case PENDING -> {
                }
                case RUNNING -> {
                    if (read.leaseExpiresAt() != null && read.leaseExpiresAt().isAfter(now)) {
                        throw new JobBusyException(jobId, read.leaseOwner(), read.leaseExpiresAt());
                    }
                    LOG.info("job {}: lease of runner {} expired at {}; taking it over", jobId, read.leaseOwner(),
                            read.leaseExpiresAt());
                }
                case COMPLETED -> throw new IllegalTransitionException(jobId, read.status(), JobStatus.RUNNING,
                        "a completed job does not run again; create a new job");
                case FAILED, CANCELLED -> throw new IllegalTransitionException(jobId, read.status(), JobStatus.RUNNING,
                        "retry it first to run it again from its first step without a valid checkpoint");
            }
            return read;
        }

        @Override
        public Job running(Job read, EngineServices services, Instant now) {
            return claimedBy(read, services.runnerId(), services, now);
        }

        @Override
        public WriteGuard firstGuard(Job read, Instant now) {
            return new WriteGuard.Claimable(read.epoch(), now);
        }

        @Override
        public boolean ownedAtStart() {
            return false;
        }

        @Override
        public boolean durableRetries() {
            return false;
        }

        @Override
        public boolean stepsOffThread() {
            return false;
        }

        @Override
        public void unrunnable(EngineServices services, Job read, UnknownStepTypeException e) {
            // nothing was written: the caller gets the exception
        }
    }

    /**
     * A worker's picked candidate: claimed by the run's first write under a
     * {@link WriteGuard.Claimable} guard at the epoch it was read with, so the claim costs no
     * transaction of its own. If another worker (a thread of another engine, another process)
     * took the job first, the guard fails and nothing was written: the runner throws
     * {@link JobBusyException} or {@link IllegalTransitionException}, which the worker takes as a
     * lost race. Otherwise as {@link ByWorker}: durable retries, steps off the worker's thread.
     *
     * @param candidate the job as {@code findCandidates} read it, with its step rows if the
     *                  store read them in the same statement (then the run reads them no more)
     * @param owner     the worker's lease owner
     */
    record ByWorkerPick(ClaimCandidate candidate, String owner) implements Claim {
        private static final Logger LOG = LoggerFactory.getLogger(Claim.class);

        @Override
        public Job load(EngineServices services, String jobId) {
            return candidate.job();
        }

        @Override
        public List<JobStep> steps(EngineServices services, String jobId) {
            return candidate.steps().orElseGet(() -> Claim.super.steps(services, jobId));
        }

        @Override
        public Job running(Job read, EngineServices services, Instant now) {
            return claimedBy(read, owner, services, now);
        }

        @Override
        public WriteGuard firstGuard(Job read, Instant now) {
            return new WriteGuard.Claimable(read.epoch(), now);
        }

        @Override
        public boolean ownedAtStart() {
            return false;
        }

        @Override
        public boolean durableRetries() {
            return true;
        }

        @Override
        public boolean stepsOffThread() {
            return true;
        }

        /**
         * Gives the job back for another engine that has the step type, as {@link ByWorker} does,
         * but guarded as a claim (the job is not this worker's yet); the epoch moves on, so other
         * workers' stale picks of it fail. A lost guard means another worker took the job: fine.
         */
        @Override
        public void unrunnable(EngineServices services, Job read, UnknownStepTypeException e) {
            Instant now = services.nowMillis();
            try {
                handBack(services, read, read.epoch() + 1, firstGuard(read, now), owner, now, e);
            } catch (WriteConflictException taken) {
                LOG.debug("job {}: taken by another runner before it was handed back: {}", read.id(), taken.getMessage());
            } catch (EngineException second) {
                e.addSuppressed(second);
            }
        }
    }

    /**
     * A worker's job: claimed by the store, retries are durable (the job goes back {@code pending}
     * with a later run-at), steps run on the step executor so the worker can watch timeouts.
     *
     * @param job the claimed job
     */
    record ByWorker(Job job) implements Claim {
        @Override
        public Job load(EngineServices services, String jobId) {
            return job;
        }

        @Override
        public Job running(Job read, EngineServices services, Instant now) {
            return read.toBuilder().lastError(null).updatedAt(now).build();
        }

        @Override
        public WriteGuard firstGuard(Job read, Instant now) {
            return new WriteGuard.Owner(read.epoch(), read.leaseOwner());
        }

        @Override
        public boolean ownedAtStart() {
            return true;
        }

        @Override
        public boolean durableRetries() {
            return true;
        }

        @Override
        public boolean stepsOffThread() {
            return true;
        }

        /** Gives the job back for another engine that has the step type. */
        @Override
        public void unrunnable(EngineServices services, Job read, UnknownStepTypeException e) {
            Instant now = services.nowMillis();
            try {
                handBack(services, read, read.epoch(), firstGuard(read, now), read.leaseOwner(), now, e);
            } catch (EngineException second) {
                e.addSuppressed(second);
            }
        }
    }
}
