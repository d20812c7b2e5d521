package dev.stepwise.engine.core;

import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.QueueStats;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownRecipeException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.core.internal.EngineServices;
import dev.stepwise.engine.core.internal.EngineThreads;
import dev.stepwise.engine.core.internal.JobCreator;
import dev.stepwise.engine.core.internal.Manifests;
import dev.stepwise.engine.core.internal.Retries;
import dev.stepwise.engine.core.internal.RoutineLines;
import dev.stepwise.engine.core.internal.RunHandle;
import dev.stepwise.engine.core.internal.Runner;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.Optional;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The entry point: creates jobs from recipes, runs them with durable per-step checkpoints,
 * submits them to workers, cancels, retries and recovers them, and reads them back. Recipes
 * and config are published and read through {@link #catalog()}; settings are made on the
 * {@link JobEngineBuilder} from {@link #builder(JobStore)}.
 *
 * <pre>{@code
 * JobEngine engine = JobEngine.builder(store)
 *     .step("count-words", new CountWords())
 *     .recipe(Recipe.builder("wordcount").step("count", "count-words").build())
 *     .build();
 * Job job = engine.createJob("wordcount", input);
 * engine.run(job.id());   // on this thread; returns the job in its terminal state
 * }</pre>
 *
 * <p>Thread-safe. {@link #run} executes on the caller's thread. The engine starts, lazily, one
 * daemon heartbeat thread ({@code stepwise-heartbeat}) at the first run and a pool of daemon
 * step threads ({@code stepwise-step-N}) the first time a step runs off-thread (unless the host
 * gave its own executor), and worker threads when asked; {@link #close()} stops them.
 */
public final class JobEngine implements AutoCloseable {
    /** Default lease time-to-live: a runner that stops heartbeating loses its job after this. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);
    /** Default heartbeat interval (a third of the lease TTL). */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
    /** Default poison-pill limit: a step whose process died more often than this fails the job. */
    public static final int DEFAULT_MAX_INTERRUPTIONS = 5;

    /** Default most steps of one job running at once (recipes with {@code dependsOn}). */
    public static final int DEFAULT_JOB_PARALLELISM = 4;

    /** Default: recover orphaned jobs when the engine is built. */
    public static final boolean DEFAULT_RECOVER_ON_START = true;

    private static final Logger LOG = LoggerFactory.getLogger(JobEngine.class);

    private final EngineServices services;
    private final EngineThreads threads;
    private final RecipeCatalog catalog;
    private final JobCreator creator;
    private final Retries retries;
    private final List<Workers> workers = new CopyOnWriteArrayList<>();

    JobEngine(EngineServices services, EngineThreads threads, RecipeCatalog catalog) {
        this.services = services;
        this.threads = threads;
        this.catalog = catalog;
        this.creator = new JobCreator(services);
        this.retries = new Retries(services);
    }

    /**
     * @param store where jobs live
     * @return a builder (see {@link JobEngineBuilder} for every setting and its default)
     */
    public static JobEngineBuilder builder(JobStore store) {
        return new JobEngineBuilder(store);
    }

    /** @return this engine's recipes and config: publish, set and read them */
    public RecipeCatalog catalog() {
        return catalog;
    }

    /**
     * Creates a {@code pending} job on the latest registered version of a recipe.
     *
     * @param recipeSlug the recipe
     * @param input      the job input (a JSON object; null means {@code {}})
     * @return the job as stored
     * @throws UnknownRecipeException   if no such recipe is registered (nothing written)
     * @throws UnknownStepTypeException if a step's type is not registered (nothing written)
     */
    public Job createJob(String recipeSlug, JsonNode input) {
        return createJob(recipeSlug, null, input);
    }

    /**
     * Creates a {@code pending} job on one version of a recipe, or the latest when
     * {@code version} is null. The recipe is copied into the job's manifest and the job always
     * runs that copy.
     *
     * @param recipeSlug the recipe
     * @param version    its version, or null for the latest
     * @param input      the job input (a JSON object; null means {@code {}})
     * @return the job as stored
     * @throws UnknownRecipeException   if no such recipe is registered (nothing written)
     * @throws UnknownStepTypeException if a step's type is not registered (nothing written)
     * @throws InvalidInputException    if the input is not an object or fails the recipe's input schema (nothing written)
     */
    public Job createJob(String recipeSlug, Integer version, JsonNode input) {
        return create(recipeSlug, input, SubmitOptions.defaults().withRecipeVersion(version)).job();
    }

    /**
     * Submits a job for the workers: creates it {@code pending} (runnable from
     * {@code options.runAt()}, at {@code options.priority()}) and returns at once, waking an
     * idle worker of this engine. Submitting again with the same idempotency key returns the
     * existing job instead of creating a second one, also when processes race.
     *
     * @param recipeSlug the recipe
     * @param input      the job input
     * @param options    version, run-at, priority, idempotency key
     * @return the job (new, or the existing one with the same idempotency key) and which of the two
     * @throws UnknownRecipeException   if no such recipe exists (nothing written)
     * @throws InvalidInputException    if the input fails the recipe's schema (nothing written)
     */
    public Submitted submit(String recipeSlug, JsonNode input, SubmitOptions options) {
        Submitted submitted = create(recipeSlug, input, Objects.requireNonNull(options, "options"));
        for (Workers w : workers) {
            w.wake();
        }
        return submitted;
    }

    /**
     * Starts worker loops that claim and run submitted jobs until {@link Workers#close()} (or
     * {@link #close()}).
     *
     * @param options how many, poll interval, grace period, per-recipe limits, executor
     * @return the running workers
     */
    public Workers startWorkers(WorkerOptions options) {
        threads.ensureOpen();
        Workers w = new Workers(services, options, this::recover);
        workers.add(w);
        return w;
    }

    private Submitted create(String recipeSlug, JsonNode input, SubmitOptions options) {
        return creator.create(catalog.forNewJob(recipeSlug, options.recipeVersion()), input, options);
    }

    /**
     * Runs a job to a terminal state on this thread: takes its lease, executes each step whose
     * checkpoint is not valid, and commits each result before the next step starts.
     *
     * @param jobId the job
     * @return the job as committed at the end: {@code completed}, {@code failed} or {@code cancelled}
     * @throws UnknownJobException        if there is no such job (nothing written)
     * @throws IllegalTransitionException if it is completed, failed or cancelled (nothing written)
     * @throws JobBusyException           if another runner holds its lease (nothing written)
     * @throws UnknownStepTypeException   if a step's type is not registered here (nothing written)
     * @throws LeaseLostException         if this runner lost the lease mid-run (its late results were refused)
     * @throws StoreException             if the store failed and the failure could not be recorded
     */
    public Job run(String jobId) {
        threads.ensureOpen();
        return Runner.forCaller(services, jobId).run();
    }

    /**
     * Cancels a job. A {@code pending} job becomes {@code cancelled} at once. For a
     * {@code running} job the request is recorded; no further step starts, the running step
     * sees {@code StepContext.isCancelled()}, and the job becomes {@code cancelled} when that
     * step returns (at once in this process, within a heartbeat interval in another).
     *
     * @param jobId the job
     * @return the job after the request
     * @throws UnknownJobException        if there is no such job
     * @throws IllegalTransitionException if it is completed or failed
     */
    public Job cancel(String jobId) {
        for (int tries = 0; tries < 5; tries++) {
            Job job = job(jobId);
            switch (job.status()) {
                case CANCELLED -> {
                    return job;
                }
                case COMPLETED, FAILED -> throw new IllegalTransitionException(jobId, job.status(), JobStatus.CANCELLED,
                        "only pending or running jobs can be cancelled");
                case PENDING -> {
                    Instant now = services.nowMillis();
                    Job cancelled = job.toBuilder().status(JobStatus.CANCELLED).finishedAt(now).updatedAt(now).build();
                    cancelled = cancelled.toBuilder().manifest(Manifests.build(cancelled, steps(jobId),
                            Manifests.snapshotsOf(job)).toJson()).build();
                    try {
                        JobWrite write = new JobWrite(cancelled, new WriteGuard.Status(job.epoch(), JobStatus.PENDING),
                                List.of(), List.of(log(jobId, LogLevel.INFO, "job cancelled before it ran")), true, true)
                                .numberedAfter(job.logCursor());
                        services.store().write(write);
                        cancelled = write.job();
                        services.publish(cancelled, cancelled.manifest());
                        return cancelled;
                    } catch (WriteConflictException raced) {
                        // claimed meanwhile: go round again and cancel it as running
                    }
                }
                case RUNNING -> {
                    // The durable flag first: a runner in this process, signalled next, may end the
                    // job at once, and the job read back must show the request.
                    services.store().requestCancel(jobId, services.nowMillis());
                    RunHandle handle = services.active().get(jobId);
                    if (handle != null) {
                        handle.requestCancel();
                    }
                    return job(jobId);
                }
            }
        }
        throw new StoreException("job " + jobId + " kept changing while cancelling it; try again");
    }

    /**
     * Moves a {@code failed} or {@code cancelled} job back to {@code pending}. The next run reuses
     * every valid checkpoint and executes from the first step without one; attempts keep counting.
     *
     * @param jobId the job
     * @return the job, {@code pending}
     * @throws UnknownJobException        if there is no such job
     * @throws IllegalTransitionException if it is not failed or cancelled
     */
    public Job retry(String jobId) {
        return retries.retry(jobId);
    }

    /**
     * Retries one step: moves a {@code completed}, {@code failed} or {@code cancelled} job back
     * to {@code pending} with the checkpoints of {@code stepKey} and of every step downstream of
     * it dropped, in one guarded write, so its next run re-executes them (even when their inputs
     * did not change) and reuses the checkpoints upstream. Downstream: every later step of a
     * sequential recipe; every step depending on it, directly or not, in a recipe with
     * {@code depends_on}. Recorded in the job's log and in its manifest ({@code retries}).
     *
     * @param jobId   the job
     * @param stepKey the step to re-run from
     * @return the job, {@code pending}
     * @throws UnknownJobException        if there is no such job
     * @throws dev.stepwise.engine.api.UnknownStepException if the job has no such step
     * @throws IllegalTransitionException if it is pending or running (nothing written)
     */
    public Job retryFrom(String jobId, String stepKey) {
        return retries.retryFrom(jobId, stepKey);
    }

    /**
     * Deletes the artifacts no step row refers to and that were written more than
     * {@code olderThan} ago. The grace period protects what a running step has put but not yet
     * recorded: make it longer than your longest step (a day is a safe choice).
     *
     * @param olderThan the grace period, >= 0
     * @return what was deleted
     * @throws IllegalArgumentException if it is negative
     */
    public ArtifactStore.Collected collectArtifacts(Duration olderThan) {
        if (olderThan.isNegative()) {
            throw new IllegalArgumentException("olderThan must be >= 0, was " + olderThan);
        }
        Set<String> referenced = services.store().referencedArtifacts();
        return services.artifacts().deleteUnreferenced(referenced, services.nowMillis().minus(olderThan));
    }

    /** @return where this engine's steps keep artifacts */
    public ArtifactStore artifacts() {
        return services.artifacts();
    }

    /**
     * Hands orphaned jobs back: every {@code running} job whose lease expired (its runner died
     * or stalled) becomes {@code pending}; its next run re-executes the step that was in flight.
     *
     * @return the jobs handed back
     */
    public List<Job> recover() {
        Instant now = services.nowMillis();
        List<Job> recovered = new ArrayList<>();
        for (Job job : services.store().findExpiredLeases(now, 1000)) {
            Job pending = job.toBuilder().status(JobStatus.PENDING).epoch(job.epoch() + 1).leaseOwner(null)
                    .leaseExpiresAt(null).updatedAt(now).build();
            try {
                JobWrite write = new JobWrite(pending, new WriteGuard.Claimable(job.epoch(), now), List.of(),
                        List.of(log(job.id(), LogLevel.WARN, "lease of runner " + job.leaseOwner() + " expired at "
                                + job.leaseExpiresAt() + "; job handed back for another run")),
                        false, false).numberedAfter(job.logCursor());
                services.store().write(write);
                recovered.add(write.job());
                services.events().orphanRecovered(job);
                LOG.warn("recovered orphaned job {} (lease of {} expired at {})", job.id(), job.leaseOwner(),
                        job.leaseExpiresAt());
            } catch (WriteConflictException raced) {
                LOG.debug("job {} changed while recovering it; left alone", job.id());
            }
        }
        return recovered;
    }

    /** @return the engine's clock (every time it writes comes from it) */
    public java.time.Clock clock() {
        return services.clock();
    }

    /**
     * Counts the jobs of each recipe that wait, run or failed, and how long the oldest runnable one
     * has waited, as the store reports them ({@link JobStore#queueStats(Instant)}): what queue
     * gauges show.
     *
     * @return one entry per recipe with such jobs, ordered by recipe slug
     */
    public List<QueueStats> queueStats() {
        return services.store().queueStats(services.nowMillis());
    }

    /**
     * @param jobId a job id
     * @return the job
     * @throws UnknownJobException if there is no such job
     */
    public Job job(String jobId) {
        return services.store().findJob(jobId).orElseThrow(() -> new UnknownJobException(jobId));
    }

    /**
     * @param query which jobs
     * @return the jobs, newest first
     */
    public List<Job> jobs(JobQuery query) {
        return services.store().findJobs(query);
    }

    /**
     * @param jobId a job id
     * @return its steps in recipe order
     * @throws UnknownJobException if there is no such job
     */
    public List<JobStep> steps(String jobId) {
        List<JobStep> steps = services.store().findSteps(jobId);
        if (steps.isEmpty()) {
            job(jobId);
        }
        return steps;
    }

    /**
     * Reads a job's log incrementally: its stored lines merged by cursor with the routine lines
     * its step rows' attempt records carry ("attempt N started", "attempt N succeeded in X ms").
     * A poller that goes on after the last cursor it got sees every line once, in order.
     *
     * @param jobId       a job id
     * @param afterCursor the last cursor already read (0 for the start)
     * @param limit       at most this many
     * @return the lines after that cursor, in order
     */
    public List<LogEntry> logs(String jobId, long afterCursor, int limit) {
        // In this order: the job's log cursor (every line up to it is committed), the stored lines,
        // the step rows the routine lines derive from (RoutineLines.page says why).
        Optional<Job> job = services.store().findJob(jobId);
        List<LogEntry> stored = services.store().findLogs(jobId, afterCursor, limit);
        if (job.isEmpty()) {
            return stored;
        }
        List<LogEntry> derived = RoutineLines.derive(services.store().findSteps(jobId), afterCursor);
        return RoutineLines.page(stored, derived, limit, job.get().logCursor());
    }

    /**
     * The job's manifest as of now, built from its committed rows.
     *
     * @param jobId a job id
     * @return the manifest JSON (validates against the manifest schema)
     * @throws UnknownJobException if there is no such job
     */
    public JsonNode manifest(String jobId) {
        Job job = job(jobId);
        List<JobStep> steps = services.store().findSteps(jobId);
        return Manifests.build(job, steps, Manifests.snapshotsOf(job)).toJson();
    }

    /** @return this engine's runner id (the lease owner it writes) */
    public String runnerId() {
        return services.runnerId();
    }

    private LogEntry log(String jobId, LogLevel level, String message) {
        return new LogEntry(0, jobId, null, 0, services.nowMillis(), level, message);
    }

    /**
     * Stops the workers gracefully (see {@link Workers#close()}), then the heartbeat and step
     * threads. Does not close the store (the host owns it).
     */
    @Override
    public void close() {
        for (Workers w : workers) {
            w.close();
        }
        threads.close();
    }
}
