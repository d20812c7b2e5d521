package dev.stepwise.engine.core;

import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.SecretResolver;
import dev.stepwise.engine.api.VersionedDocument;
import dev.stepwise.engine.core.internal.RecipeValidator;
import dev.stepwise.engine.core.internal.Schemas;
import dev.stepwise.engine.core.internal.Secrets;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.node.ObjectNode;
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
import dev.stepwise.engine.core.internal.Retries;
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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
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
    private static final java.util.regex.Pattern CONFIG_KEY = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /** Default most steps of one job running at once (recipes with {@code dependsOn}). */
    public static final int DEFAULT_JOB_PARALLELISM = 4;

    /** Default: recover orphaned jobs when the engine is built. */
    public static final boolean DEFAULT_RECOVER_ON_START = true;

    private static final Logger LOG = LoggerFactory.getLogger(JobEngine.class);

    private final EngineServices services;
    private final Retries retries;
    private final Ids ids = new Ids();
    private final Object heartbeatLock = new Object();
    private ScheduledExecutorService heartbeatExecutor;
    private volatile boolean closed;

    private ExecutorService stepExecutor;
    private final ExecutorService hostStepExecutor;
    private final List<Workers> workers = new java.util.concurrent.CopyOnWriteArrayList<>();

    private JobEngine(Builder b) {
        this.hostStepExecutor = b.stepExecutor;
        this.services = new EngineServices(b.store, Map.copyOf(b.steps), List.copyOf(b.writers), b.clock, b.runnerId,
                b.leaseTtl, b.heartbeatInterval, b.maxInterruptions, this::heartbeats, new ConcurrentHashMap<>(),
                b.listener, b.secretResolver, b.jobParallelism, this::stepExecutor);
        this.retries = new Retries(services);
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
     * @throws InvalidInputException    if the input is not an object or fails the recipe's input schema (nothing written)
     */
    public Job createJob(String recipeSlug, Integer version, JsonNode input) {
        return create(recipeSlug, input, SubmitOptions.defaults().withRecipeVersion(version));
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
     * @return the job (new, or the existing one with the same idempotency key)
     * @throws UnknownRecipeException   if no such recipe exists (nothing written)
     * @throws InvalidInputException    if the input fails the recipe's schema (nothing written)
     */
    public Job submit(String recipeSlug, JsonNode input, SubmitOptions options) {
        Job job = create(recipeSlug, input, Objects.requireNonNull(options, "options"));
        for (Workers w : workers) {
            w.wake();
        }
        return job;
    }

    /**
     * Starts worker loops that claim and run submitted jobs until {@link Workers#close()} (or
     * {@link #close()}).
     *
     * @param options how many, poll interval, grace period, per-recipe limits, executor
     * @return the running workers
     */
    public Workers startWorkers(WorkerOptions options) {
        ensureOpen();
        Workers w = new Workers(services, options, this::recover);
        workers.add(w);
        return w;
    }

    private Job create(String recipeSlug, JsonNode input, SubmitOptions options) {
        Integer version = options.recipeVersion();
        Recipe recipe = recipe(recipeSlug, version);
        for (StepDefinition def : recipe.steps()) {
            if (!services.steps().containsKey(def.type())) {
                throw new UnknownStepTypeException(recipe.id(), def.key(), def.type(), services.steps().keySet());
            }
        }
        JsonNode in = input == null || input.isNull() ? Json.object() : input;
        if (!in.isObject()) {
            throw new InvalidInputException(recipe.id(), List.of(new InvalidInputException.Violation("$",
                    "a job input must be a JSON object, was " + in.getNodeType().toString().toLowerCase(java.util.Locale.ROOT))));
        }
        if (recipe.inputSchema() != null) {
            List<InvalidInputException.Violation> violations = Schemas.validate(recipe.inputSchema(), in);
            if (!violations.isEmpty()) {
                throw new InvalidInputException(recipe.id(), violations);
            }
        }
        ObjectNode snapshots = Manifests.snapshots(recipe, (kind, key) -> services.store().findDocument(kind, key, null)
                .orElseThrow(() -> new InvalidRecipeException(recipe.slug(),
                        List.of("it refers to " + kind + " '" + key + "', which no longer exists"))));
        Instant now = services.now();
        String id = ids.next(now);
        List<JobStep> rows = new ArrayList<>();
        for (int i = 0; i < recipe.steps().size(); i++) {
            StepDefinition def = recipe.steps().get(i);
            rows.add(JobStep.pending(id + "-" + i, id, def.key(), i, def.type()));
        }
        Job job = Job.builder().id(id).recipeId(recipe.id()).recipeSlug(recipe.slug()).recipeVersion(recipe.version())
                .input(in.deepCopy()).status(JobStatus.PENDING).createdAt(now).updatedAt(now)
                .runAt(options.runAt() == null ? now : options.runAt().truncatedTo(java.time.temporal.ChronoUnit.MILLIS))
                .priority(options.priority()).idempotencyKey(options.idempotencyKey()).build();
        job = job.toBuilder().manifest(Manifests.build(job, rows, snapshots).toJson()).build();
        Job stored = services.store().insertJob(job, rows,
                List.of(new LogEntry(0, id, null, 0, now, LogLevel.INFO, "job created from recipe " + recipe.id())));
        LOG.debug("created job {} from recipe {}", stored.id(), recipe.id());
        return stored;
    }

    /**
     * Publishes a recipe document: validated (every problem listed), then stored as the next
     * version of its slug, or as nothing new if its content equals the latest version. A
     * {@code version} member in the document is ignored: the store assigns versions.
     *
     * @param document the recipe JSON (see {@link Recipe})
     * @return the published recipe, with its version
     * @throws InvalidRecipeException if it is not valid: bad shape, duplicate step keys, unknown
     *                                step types, an invalid schema, a missing config reference
     */
    public Recipe publishRecipe(JsonNode document) {
        return publishRecipe(document, false);
    }

    /**
     * @param seed when true, content equal to ANY stored version is a no-op (start-up seeding
     *             must not undo a newer publish); when false, only the latest version counts
     */
    private Recipe publishRecipe(JsonNode document, boolean seed) {
        Recipe recipe = RecipeValidator.validate(document, services.steps().keySet(), services.store());
        ObjectNode content = recipe.toJson();
        content.remove("version");
        String hash = Json.sha256(Json.canonical(content));
        if (seed) {
            Optional<VersionedDocument> same = services.store().findVersions(DocumentKind.RECIPE, recipe.slug()).stream()
                    .filter(d -> d.contentHash().equals(hash)).findFirst();
            if (same.isPresent()) {
                return recipe.withVersion(same.get().version());
            }
        }
        VersionedDocument doc = services.store().publish(DocumentKind.RECIPE, recipe.slug(), content, hash, services.now());
        LOG.debug("recipe {} is at version {}", recipe.slug(), doc.version());
        return recipe.withVersion(doc.version());
    }

    /**
     * Publishes a recipe built in code (its version is ignored: the store assigns it).
     *
     * @param recipe the recipe
     * @return the published recipe, with its version
     * @throws InvalidRecipeException if it is not valid
     */
    public Recipe publishRecipe(Recipe recipe) {
        return publishRecipe(recipe.toJson());
    }

    /**
     * @param slug    a recipe slug
     * @param version a version, or null for the latest
     * @return that recipe version
     * @throws UnknownRecipeException if there is none
     */
    public Recipe recipe(String slug, Integer version) {
        VersionedDocument doc = services.store().findDocument(DocumentKind.RECIPE, slug, version)
                .orElseThrow(() -> new UnknownRecipeException(slug, version,
                        services.store().findDocuments(DocumentKind.RECIPE).stream().map(VersionedDocument::key).toList()));
        return Recipe.fromJson(doc.content()).withVersion(doc.version());
    }

    /** @return the latest version of every published recipe, by slug */
    public List<Recipe> recipes() {
        return services.store().findDocuments(DocumentKind.RECIPE).stream()
                .map(d -> Recipe.fromJson(d.content()).withVersion(d.version())).toList();
    }

    /**
     * @param slug a recipe slug
     * @return every published version of it, oldest first
     */
    public List<Recipe> recipeVersions(String slug) {
        return services.store().findVersions(DocumentKind.RECIPE, slug).stream()
                .map(d -> Recipe.fromJson(d.content()).withVersion(d.version())).toList();
    }

    /**
     * Sets a config entry: publishes its value as the next version of {@code kind/key}, or as
     * nothing new if it equals the latest. Jobs already created keep the version they
     * snapshotted. Fields that look like secrets ({@code api_key}, {@code token},
     * {@code password}, ...) must hold references such as {@code {"secret": "env:NAME"}}.
     *
     * @param kind  prompt, preset or provider
     * @param key   the entry's key (1-64 letters, digits, {@code - _ .})
     * @param value its value
     * @return the stored version
     * @throws InvalidRecipeException if the entry is not valid (e.g. a literal secret)
     */
    public VersionedDocument putConfig(DocumentKind kind, String key, JsonNode value) {
        return putConfig(kind, key, value, false);
    }

    private VersionedDocument putConfig(DocumentKind kind, String key, JsonNode value, boolean seed) {
        List<String> problems = new ArrayList<>();
        if (!kind.isConfig()) {
            problems.add("kind must be prompt, preset or provider, was " + kind + " (publish recipes with publishRecipe)");
        }
        if (key == null || !CONFIG_KEY.matcher(key).matches()) {
            problems.add("config key '" + key + "' is invalid: use 1-64 letters, digits, '-', '_' or '.'");
        }
        if (value == null || value.isNull() || value.isMissingNode()) {
            problems.add("a config value must be JSON, was nothing");
        } else {
            for (String path : Secrets.literalSecrets(value)) {
                problems.add(path + " looks like a secret but holds a literal value; store a reference such as "
                        + "{\"secret\": \"env:NAME\"} instead");
            }
        }
        if (!problems.isEmpty()) {
            throw new InvalidRecipeException(kind + "/" + key, problems);
        }
        String hash = Json.sha256(Json.canonical(value));
        if (seed) {
            Optional<VersionedDocument> same = services.store().findVersions(kind, key).stream()
                    .filter(d -> d.contentHash().equals(hash)).findFirst();
            if (same.isPresent()) {
                return same.get();
            }
        }
        return services.store().publish(kind, key, value.deepCopy(), hash, services.now());
    }

    /**
     * @param kind    prompt, preset or provider
     * @param key     the entry's key
     * @param version a version, or null for the latest
     * @return that version, or empty
     */
    public Optional<VersionedDocument> config(DocumentKind kind, String key, Integer version) {
        return services.store().findDocument(kind, key, version);
    }

    /**
     * @param kind prompt, preset or provider
     * @return the latest version of every entry of that kind, by key
     */
    public List<VersionedDocument> configs(DocumentKind kind) {
        return services.store().findDocuments(kind);
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
        List<JobStep> steps = services.store().findSteps(jobId);
        List<LogEntry> logs = Manifests.hasRetries(steps) ? services.store().findLogs(jobId, 0, 100_000) : List.of();
        return Manifests.build(job, steps, Manifests.snapshotsOf(job), logs).toJson();
    }

    /** @return this engine's runner id (the lease owner it writes) */
    public String runnerId() {
        return services.runnerId();
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

    private ExecutorService stepExecutor() {
        if (hostStepExecutor != null) {
            return hostStepExecutor;
        }
        synchronized (heartbeatLock) {
            ensureOpen();
            if (stepExecutor == null) {
                java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
                stepExecutor = Executors.newCachedThreadPool(r -> {
                    Thread t = new Thread(r, "stepwise-step-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
            }
            return stepExecutor;
        }
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
        synchronized (heartbeatLock) {
            closed = true;
            if (heartbeatExecutor != null) {
                heartbeatExecutor.shutdownNow();
            }
            if (stepExecutor != null) {
                stepExecutor.shutdownNow();
            }
        }
    }

    /** Builds a {@link JobEngine}; settings are validated by {@link #build()}. */
    public static final class Builder {
        private final JobStore store;
        private final Map<String, Step> steps = new LinkedHashMap<>();
        private final List<Recipe> recipes = new ArrayList<>();
        private final List<JsonNode> recipeDocuments = new ArrayList<>();
        private final List<Object[]> configs = new ArrayList<>();
        private SecretResolver secretResolver = Secrets.ENVIRONMENT;
        private int jobParallelism = DEFAULT_JOB_PARALLELISM;
        private ExecutorService stepExecutor;
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
         * Seeds a recipe: {@link #build()} publishes it, unless a stored version (any, not only
         * the latest) has the same content, so seeding at every start-up never undoes a newer
         * version published since.
         *
         * @param recipe the recipe (its version is ignored)
         * @return this
         */
        public Builder recipe(Recipe recipe) {
            recipes.add(Objects.requireNonNull(recipe, "recipe"));
            return this;
        }

        /**
         * Seeds every {@code *.json} recipe file of a directory (in name order), or one file.
         *
         * @param path a directory or a file
         * @return this
         * @throws java.io.UncheckedIOException if it cannot be read
         * @throws IllegalArgumentException     if a file is not JSON
         */
        public Builder recipes(Path path) {
            try {
                List<Path> files;
                if (Files.isDirectory(path)) {
                    try (var list = Files.list(path)) {
                        files = list.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
                    }
                } else {
                    files = List.of(path);
                }
                for (Path f : files) {
                    recipeDocuments.add(readJson(Files.readString(f), f.toString()));
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read recipes from " + path + ": " + e.getMessage(), e);
            }
            return this;
        }

        /**
         * Seeds a recipe from a classpath resource.
         *
         * @param resource an absolute resource name, e.g. {@code /recipes/wordcount.json}
         * @return this
         * @throws IllegalArgumentException if it is missing or not JSON
         */
        public Builder recipeResource(String resource) {
            try (InputStream in = JobEngine.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new IllegalArgumentException("recipe resource " + resource + " is not on the classpath");
                }
                recipeDocuments.add(readJson(new String(in.readAllBytes(), StandardCharsets.UTF_8), resource));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read recipe resource " + resource, e);
            }
            return this;
        }

        private static JsonNode readJson(String text, String where) {
            try {
                return Json.MAPPER.readTree(text);
            } catch (JacksonException e) {
                throw new IllegalArgumentException(where + " is not valid JSON: " + e.getOriginalMessage());
            }
        }

        /**
         * Seeds a config entry: {@link #build()} sets it (before the recipes, which may refer to it),
         * unless a stored version of it already has this value.
         *
         * @param kind  prompt, preset or provider
         * @param key   its key
         * @param value its value
         * @return this
         */
        public Builder config(DocumentKind kind, String key, JsonNode value) {
            configs.add(new Object[] {kind, key, value});
            return this;
        }

        /**
         * @param n most steps of one job running at once, for recipes with {@code dependsOn}
         *          (default {@value #DEFAULT_JOB_PARALLELISM})
         * @return this
         */
        public Builder jobParallelism(int n) {
            this.jobParallelism = n;
            return this;
        }

        /**
         * @param executor runs steps off the runner's thread (steps with a timeout, parallel
         *                 steps, steps run by workers); it must not bound the number of tasks
         *                 below workers x job parallelism. Default: an internal cached pool of
         *                 daemon threads {@code stepwise-step-N}. The host shuts it down.
         * @return this
         */
        public Builder stepExecutor(ExecutorService executor) {
            this.stepExecutor = Objects.requireNonNull(executor, "executor");
            return this;
        }

        /**
         * @param resolver resolves secret references in provider config (default: {@code env:NAME}
         *                 from the environment)
         * @return this
         */
        public Builder secretResolver(SecretResolver resolver) {
            this.secretResolver = Objects.requireNonNull(resolver, "resolver");
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
            if (jobParallelism < 1) {
                throw new IllegalArgumentException("jobParallelism must be >= 1, was " + jobParallelism);
            }
            if (maxInterruptions < 0) {
                throw new IllegalArgumentException("maxInterruptions must be >= 0, was " + maxInterruptions);
            }
            if (runnerId == null) {
                runnerId = ManagementFactory.getRuntimeMXBean().getName() + "-" + UUID.randomUUID().toString().substring(0, 8);
            }
            JobEngine engine = new JobEngine(this);
            for (Object[] c : configs) {
                engine.putConfig((DocumentKind) c[0], (String) c[1], (JsonNode) c[2], true);
            }
            for (Recipe r : recipes) {
                engine.publishRecipe(r.toJson(), true);
            }
            for (JsonNode doc : recipeDocuments) {
                engine.publishRecipe(doc, true);
            }
            LOG.info("stepwise engine {}: {} step types, {} recipes seeded, leaseTtl={}, heartbeatInterval={}, maxInterruptions={}, store={}",
                    runnerId, steps.size(), recipes.size() + recipeDocuments.size(), leaseTtl, heartbeatInterval,
                    maxInterruptions, store.getClass().getSimpleName());
            if (recoverOnStart) {
                engine.recover();
            }
            return engine;
        }
    }
}
