package dev.stepwise.engine.core;

import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.ManifestWriter;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownRecipeException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.core.internal.EngineServices;
import dev.stepwise.engine.core.internal.Ids;
import dev.stepwise.engine.core.internal.Json;
import dev.stepwise.engine.core.internal.Manifests;
import dev.stepwise.engine.core.internal.RunHandle;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.internal.Runner;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The entry point: creates jobs from recipes, runs them with durable per-step checkpoints,
 * cancels, retries and recovers them, and reads them back.
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
 * <p>Thread-safe. {@link #run} executes on the caller's thread; the only thread the engine
 * starts itself is one daemon heartbeat thread ({@code stepwise-heartbeat}), created at the
 * first run and stopped by {@link #close()}.
 */
public final class JobEngine implements AutoCloseable {
    /** Default lease time-to-live: a runner that stops heartbeating loses its job after this. */
    public static final Duration DEFAULT_LEASE_TTL = Duration.ofSeconds(30);
    /** Default heartbeat interval (a third of the lease TTL). */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);
    /** Default poison-pill limit: a step whose process died more often than this fails the job. */
    public static final int DEFAULT_MAX_INTERRUPTIONS = 5;
    /** Default: recover orphaned jobs when the engine is built. */
    public static final boolean DEFAULT_RECOVER_ON_START = true;

    private static final Logger LOG = LoggerFactory.getLogger(JobEngine.class);

    private final EngineServices services;
    private final Map<String, TreeMap<Integer, Recipe>> recipes;
    private final Ids ids = new Ids();
    private final Object heartbeatLock = new Object();
    private ScheduledExecutorService heartbeatExecutor;
    private volatile boolean closed;

    private JobEngine(Builder b) {
        this.recipes = b.recipes;
        this.services = new EngineServices(b.store, Map.copyOf(b.steps), List.copyOf(b.writers), b.clock, b.runnerId,
                b.leaseTtl, b.heartbeatInterval, b.maxInterruptions, this::heartbeats, new ConcurrentHashMap<>(),
                b.listener);
    }

    /**
     * @param store where jobs live
     * @return a builder
     */
    public static Builder builder(JobStore store) {
        return new Builder(store);
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
     * @throws IllegalArgumentException if the input is not a JSON object (nothing written)
     */
    public Job createJob(String recipeSlug, Integer version, JsonNode input) {
        Recipe recipe = recipe(recipeSlug, version);
        for (StepDefinition def : recipe.steps()) {
            if (!services.steps().containsKey(def.type())) {
                throw new UnknownStepTypeException(recipe.id(), def.key(), def.type(), services.steps().keySet());
            }
        }
        JsonNode in = input == null || input.isNull() ? Json.object() : input;
        if (!in.isObject()) {
            throw new IllegalArgumentException("job input must be a JSON object, was " + in.getNodeType());
        }
        Instant now = services.now();
        String id = ids.next(now);
        List<JobStep> rows = new ArrayList<>();
        for (int i = 0; i < recipe.steps().size(); i++) {
            StepDefinition def = recipe.steps().get(i);
            rows.add(JobStep.pending(id + "-" + i, id, def.key(), i, def.type()));
        }
        Job job = Job.builder().id(id).recipeId(recipe.id()).recipeSlug(recipe.slug()).recipeVersion(recipe.version())
                .input(in.deepCopy()).status(JobStatus.PENDING).createdAt(now).updatedAt(now).build();
        job = job.toBuilder().manifest(Manifests.build(job, rows, Manifests.snapshots(recipe)).toJson()).build();
        services.store().insertJob(job, rows,
                List.of(new LogEntry(0, id, null, 0, now, LogLevel.INFO, "job created from recipe " + recipe.id())));
        LOG.debug("created job {} from recipe {}", id, recipe.id());
        return job;
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
        ensureOpen();
        return new Runner(services, jobId).run();
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
                    Instant now = services.now();
                    Job cancelled = job.toBuilder().status(JobStatus.CANCELLED).finishedAt(now).updatedAt(now).build();
                    cancelled = cancelled.toBuilder().manifest(Manifests.build(cancelled, steps(jobId),
                            Manifests.snapshotsOf(job)).toJson()).build();
                    try {
                        services.store().write(new JobWrite(cancelled, new WriteGuard.Status(job.epoch(), JobStatus.PENDING),
                                List.of(), List.of(log(jobId, LogLevel.INFO, "job cancelled before it ran")), true, true));
                        services.publish(cancelled, cancelled.manifest());
                        return cancelled;
                    } catch (WriteConflictException raced) {
                        // claimed meanwhile: go round again and cancel it as running
                    }
                }
                case RUNNING -> {
                    RunHandle handle = services.active().get(jobId);
                    if (handle != null) {
                        handle.requestCancel();
                    }
                    services.store().requestCancel(jobId, services.now());
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
        Job job = job(jobId);
        if (job.status() != JobStatus.FAILED && job.status() != JobStatus.CANCELLED) {
            throw new IllegalTransitionException(jobId, job.status(), JobStatus.PENDING,
                    "only failed or cancelled jobs can be retried");
        }
        Instant now = services.now();
        Job pending = job.toBuilder().status(JobStatus.PENDING).finishedAt(null).updatedAt(now).cancelRequested(false)
                .build();
        try {
            services.store().write(new JobWrite(pending, new WriteGuard.Status(job.epoch(), job.status()), List.of(),
                    List.of(log(jobId, LogLevel.INFO, "job retried (was " + job.status() + ")")), false, true));
        } catch (WriteConflictException e) {
            throw new IllegalTransitionException(jobId, job(jobId).status(), JobStatus.PENDING,
                    "it changed while retrying it; read it again");
        }
        return pending;
    }

    /**
     * Hands orphaned jobs back: every {@code running} job whose lease expired (its runner died
     * or stalled) becomes {@code pending}; its next run re-executes the step that was in flight.
     *
     * @return the jobs handed back
     */
    public List<Job> recover() {
        Instant now = services.now();
        List<Job> recovered = new ArrayList<>();
        for (Job job : services.store().findExpiredLeases(now, 1000)) {
            Job pending = job.toBuilder().status(JobStatus.PENDING).epoch(job.epoch() + 1).leaseOwner(null)
                    .leaseExpiresAt(null).updatedAt(now).build();
            try {
                services.store().write(new JobWrite(pending, new WriteGuard.Claimable(job.epoch(), now), List.of(),
                        List.of(log(job.id(), LogLevel.WARN, "lease of runner " + job.leaseOwner() + " expired at "
                                + job.leaseExpiresAt() + "; job handed back for another run")),
                        false, false));
                recovered.add(pending);
                LOG.warn("recovered orphaned job {} (lease of {} expired at {})", job.id(), job.leaseOwner(),
                        job.leaseExpiresAt());
            } catch (WriteConflictException raced) {
                LOG.debug("job {} changed while recovering it; left alone", job.id());
            }
        }
        return recovered;
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
     * Reads a job's log incrementally.
     *
     * @param jobId       a job id
     * @param afterCursor the last cursor already read (0 for the start)
     * @param limit       at most this many
     * @return the lines after that cursor, in order
     */
    public List<LogEntry> logs(String jobId, long afterCursor, int limit) {
        return services.store().findLogs(jobId, afterCursor, limit);
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
        return Manifests.build(job, services.store().findSteps(jobId), Manifests.snapshotsOf(job)).toJson();
    }

    /** @return the registered recipes: slug to versions, ascending */
    public Map<String, List<Integer>> recipes() {
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        recipes.forEach((slug, versions) -> out.put(slug, List.copyOf(versions.keySet())));
        return out;
    }

    /** @return this engine's runner id (the lease owner it writes) */
    public String runnerId() {
        return services.runnerId();
    }

    private Recipe recipe(String slug, Integer version) {
        TreeMap<Integer, Recipe> versions = recipes.get(slug);
        if (versions == null || versions.isEmpty()) {
            throw new UnknownRecipeException(slug, version, recipes.keySet());
        }
        Recipe r = version == null ? versions.lastEntry().getValue() : versions.get(version);
        if (r == null) {
            throw new UnknownRecipeException(slug, version, recipes.keySet());
        }
        return r;
    }

    private LogEntry log(String jobId, LogLevel level, String message) {
        return new LogEntry(0, jobId, null, 0, services.now(), level, message);
    }

    private ScheduledExecutorService heartbeats() {
        synchronized (heartbeatLock) {
            ensureOpen();
            if (heartbeatExecutor == null) {
                ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
                    Thread t = new Thread(r, "stepwise-heartbeat");
                    t.setDaemon(true);
                    return t;
                });
                ex.setRemoveOnCancelPolicy(true);
                heartbeatExecutor = Executors.unconfigurableScheduledExecutorService(ex);
            }
            return heartbeatExecutor;
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("this JobEngine is closed");
        }
    }

    /** Stops the heartbeat thread. Does not close the store (the host owns it). */
    @Override
    public void close() {
        synchronized (heartbeatLock) {
            closed = true;
            if (heartbeatExecutor != null) {
                heartbeatExecutor.shutdownNow();
            }
        }
    }

    /** Builds a {@link JobEngine}; settings are validated by {@link #build()}. */
    public static final class Builder {
        private final JobStore store;
        private final Map<String, Step> steps = new LinkedHashMap<>();
        private final Map<String, TreeMap<Integer, Recipe>> recipes = new LinkedHashMap<>();
        private final List<ManifestWriter> writers = new ArrayList<>();
        private Clock clock = Clock.systemUTC();
        private String runnerId;
        private Duration leaseTtl = DEFAULT_LEASE_TTL;
        private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
        private int maxInterruptions = DEFAULT_MAX_INTERRUPTIONS;
        private boolean recoverOnStart = DEFAULT_RECOVER_ON_START;
        private RunListener listener = RunListener.NONE;

        private Builder(JobStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /**
         * Registers a step implementation under a type name.
         *
         * @param type the name recipes use
         * @param step the implementation
         * @return this
         */
        public Builder step(String type, Step step) {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(step, "step");
            if (steps.putIfAbsent(type, step) != null) {
                throw new IllegalArgumentException("step type '" + type + "' is registered twice");
            }
            return this;
        }

        /**
         * Registers a recipe version.
         *
         * @param recipe the recipe
         * @return this
         */
        public Builder recipe(Recipe recipe) {
            Objects.requireNonNull(recipe, "recipe");
            if (recipes.computeIfAbsent(recipe.slug(), s -> new TreeMap<>()).putIfAbsent(recipe.version(), recipe) != null) {
                throw new IllegalArgumentException("recipe " + recipe.id() + " is registered twice");
            }
            return this;
        }

        /** @param writer receives manifests at start and at the terminal state @return this */
        public Builder manifestWriter(ManifestWriter writer) {
            writers.add(Objects.requireNonNull(writer, "writer"));
            return this;
        }

        /** @param clock the time source (default: system UTC) @return this */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @param runnerId lease owner id (default: host name, pid and a random suffix) @return this */
        public Builder runnerId(String runnerId) {
            this.runnerId = Objects.requireNonNull(runnerId, "runnerId");
            return this;
        }

        /** @param ttl lease time-to-live (default {@link #DEFAULT_LEASE_TTL}) @return this */
        public Builder leaseTtl(Duration ttl) {
            this.leaseTtl = Objects.requireNonNull(ttl, "ttl");
            return this;
        }

        /** @param interval heartbeat interval (default {@link #DEFAULT_HEARTBEAT_INTERVAL}) @return this */
        public Builder heartbeatInterval(Duration interval) {
            this.heartbeatInterval = Objects.requireNonNull(interval, "interval");
            return this;
        }

        /** @param max poison-pill limit (default {@value #DEFAULT_MAX_INTERRUPTIONS}) @return this */
        public Builder maxInterruptions(int max) {
            this.maxInterruptions = max;
            return this;
        }

        /** @param recover whether {@link #build()} recovers orphaned jobs (default true) @return this */
        public Builder recoverOnStart(boolean recover) {
            this.recoverOnStart = recover;
            return this;
        }

        /**
         * Hooks into runs (tests use it to halt at named points; hosts for observability).
         *
         * @param listener the listener
         * @return this
         */
        public Builder listener(RunListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @return the engine; recovers orphaned jobs first unless turned off
         * @throws IllegalArgumentException if a setting is out of range
         */
        public JobEngine build() {
            if (leaseTtl.isNegative() || leaseTtl.isZero()) {
                throw new IllegalArgumentException("leaseTtl must be positive, was " + leaseTtl);
            }
            if (heartbeatInterval.isNegative() || heartbeatInterval.isZero() || heartbeatInterval.compareTo(leaseTtl) >= 0) {
                throw new IllegalArgumentException("heartbeatInterval must be positive and shorter than leaseTtl ("
                        + leaseTtl + "), was " + heartbeatInterval);
            }
            if (maxInterruptions < 0) {
                throw new IllegalArgumentException("maxInterruptions must be >= 0, was " + maxInterruptions);
            }
            if (runnerId == null) {
                runnerId = ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
            }
            JobEngine engine = new JobEngine(this);
            LOG.info("stepwise engine {}: {} step types, {} recipes, leaseTtl={}, heartbeatInterval={}, maxInterruptions={}, store={}",
                    runnerId, steps.size(), recipes.size(), leaseTtl, heartbeatInterval, maxInterruptions,
                    store.getClass().getSimpleName());
            if (recoverOnStart) {
                engine.recover();
            }
            return engine;
        }
    }
}
