package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.EngineException;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.InvalidOutputException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobCancelledException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.StepTimeout;
import dev.stepwise.engine.api.StepTimeoutException;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Runs one job to a terminal state (or hands it back), following the ADR's flow. Writes are
 * batched so that each step boundary costs one transaction: the claim rides with the first
 * step's {@code running} record, and each step's result rides with the next step's
 * {@code running} record (or with the job's terminal status).
 *
 * <p>Sequential recipes without timeouts execute on the caller's thread. Steps with a timeout,
 * steps of a dependency graph (several at once, up to the job parallelism) and every step run
 * by a worker execute on the engine's step executor; the runner's thread alone writes to the
 * store.
 */
public final class Runner {
    /** Skip reason of a step whose valid checkpoint was reused. */
    public static final String SKIP_CHECKPOINT = "checkpoint";

    private static final Logger LOG = LoggerFactory.getLogger(Runner.class);
    private static final Random JITTER = new Random();

    private final EngineServices services;
    private final String jobId;
    private final Job preClaimed;
    private final boolean workerMode;
    private final RunHandle handle = new RunHandle();

    private Job job;
    private final List<JobStep> steps = new ArrayList<>();
    private final Map<String, JobStep> dirty = new LinkedHashMap<>();
    private JsonNode snapshots;
    private WriteGuard guard;
    private volatile boolean claimed;
    private boolean writeManifest;
    private volatile Instant heartbeatLease;
    private long runStartNanos;

    private Recipe recipe;
    private Map<String, Step> impls;
    private List<List<Integer>> deps;
    private final Map<String, JsonNode> outputs = new HashMap<>();
    private final Map<String, String> canonicalOutputs = new HashMap<>();
    private final Map<Integer, String> hashes = new HashMap<>();
    private String inputCanon;
    private final Set<Integer> done = new HashSet<>();
    private final Map<Integer, Execution> running = new HashMap<>();
    private final Map<Integer, Long> delayed = new HashMap<>();
    private final BlockingQueue<Completion> completions = new LinkedBlockingQueue<>();
    private String failure;
    private VirtualMachineError fatal;
    private Throwable listenerThrew;
    private Instant durableRetryAt;
    private long executionSeq;

    /**
     * A runner for {@code run(jobId)}: it claims the job itself.
     *
     * @param services the engine's services
     * @param jobId    the job to run
     */
    public Runner(EngineServices services, String jobId) {
        this.services = services;
        this.jobId = jobId;
        this.preClaimed = null;
        this.workerMode = false;
    }

    /**
     * A runner for a worker: the job was claimed by the store's {@code claimNext}; retries are
     * durable (the job goes back to {@code pending} with a later {@code runAt}).
     *
     * @param services the engine's services
     * @param claimedJob the job, {@code running} under this engine's lease
     */
    public Runner(EngineServices services, Job claimedJob) {
        this.services = services;
        this.jobId = claimedJob.id();
        this.preClaimed = claimedJob;
        this.workerMode = true;
    }

    /** @return this run's shared state (cancel and stop signals) */
    public RunHandle handle() {
        return handle;
    }

    /**
     * Runs the job.
     *
     * @return the job as committed at the end: terminal, or {@code pending} when handed back
     *         (durable retry, graceful stop)
     * @throws UnknownJobException        if the job does not exist
     * @throws IllegalTransitionException if the job is completed, failed or cancelled
     * @throws JobBusyException           if another runner holds its lease
     * @throws UnknownStepTypeException   if a step's type is not registered
     * @throws LeaseLostException         if this runner lost the lease while running
     * @throws StoreException             if the store failed and the failure could not be recorded
     */
    public Job run() {
        Job read = preClaimed != null ? preClaimed
                : services.store().findJob(jobId).orElseThrow(() -> new UnknownJobException(jobId));
        Instant now = services.now();
        if (preClaimed == null) {
            checkRunnable(read, now);
        }
        recipe = Manifests.recipeOf(read);
        snapshots = Manifests.snapshotsOf(read);
        try {
            impls = resolveSteps(recipe);
        } catch (UnknownStepTypeException e) {
            if (preClaimed != null) {
                handBackUnrunnable(read, e);
            }
            throw e;
        }
        steps.addAll(services.store().findSteps(jobId));
        if (steps.size() != recipe.steps().size()) {
            throw new StoreException("job " + jobId + " has " + steps.size() + " step rows but its recipe "
                    + recipe.id() + " has " + recipe.steps().size() + " steps; the store is inconsistent");
        }
        deps = dependencies(recipe);
        runStartNanos = System.nanoTime();
        prepare(read, now);
        services.active().put(jobId, handle);
        ScheduledFuture<?> heartbeat = startHeartbeat();
        try {
            Job end = loop();
            if (fatal != null) {
                throw fatal; // recorded as failed above; the VM may be unusable, so the host decides what next
            }
            return end;
        } catch (RuntimeException | Error e) {
            if (e != fatal && e != listenerThrew && !(e instanceof EngineException)) {
                recordUnexpected(e);
            }
            throw e;
        } finally {
            heartbeat.cancel(false);
            services.active().remove(jobId, handle);
            for (Execution e : running.values()) {
                e.abandon();
            }
        }
    }

    private void checkRunnable(Job read, Instant now) {
        switch (read.status()) {
            case PENDING -> {
            }
            case RUNNING -> {
                if (read.leaseExpiresAt() != null && read.leaseExpiresAt().isAfter(now)) {
                    throw new JobBusyException(jobId, read.leaseOwner(), read.leaseExpiresAt());
                }
                LOG.info("job {}: lease of runner {} expired at {}; taking it over", jobId, read.leaseOwner(), read.leaseExpiresAt());
            }
            case COMPLETED -> throw new IllegalTransitionException(jobId, read.status(), JobStatus.RUNNING,
                    "a completed job does not run again; create a new job");
            case FAILED, CANCELLED -> throw new IllegalTransitionException(jobId, read.status(), JobStatus.RUNNING,
                    "retry it first to run it again from its first step without a valid checkpoint");
        }
    }

    private Map<String, Step> resolveSteps(Recipe r) {
        Map<String, Step> out = new LinkedHashMap<>();
        for (StepDefinition def : r.steps()) {
            Step impl = services.steps().get(def.type());
            if (impl == null) {
                throw new UnknownStepTypeException(r.id(), def.key(), def.type(), services.steps().keySet());
            }
            out.put(def.key(), impl);
        }
        return out;
    }

    /** A worker claimed a job whose step type this engine lacks: give it back for another engine. */
    private void handBackUnrunnable(Job claimedJob, UnknownStepTypeException e) {
        Instant now = services.now();
        Job back = claimedJob.toBuilder().status(JobStatus.PENDING).leaseOwner(null).leaseExpiresAt(null)
                .runAt(now.plus(services.leaseTtl())).updatedAt(now).build();
        try {
            services.store().write(new JobWrite(back, new WriteGuard.Owner(claimedJob.epoch(), claimedJob.leaseOwner()),
                    List.of(), List.of(entry(null, 0, LogLevel.WARN, "runner " + claimedJob.leaseOwner()
                            + " cannot run it: " + e.getMessage())), false, false));
        } catch (EngineException second) {
            e.addSuppressed(second);
        }
    }

    /** Sequential recipes: each step depends on all before it. Graphs: on its dependsOn. */
    private static List<List<Integer>> dependencies(Recipe r) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < r.steps().size(); i++) {
            index.put(r.steps().get(i).key(), i);
        }
        boolean graph = r.isGraph();
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < r.steps().size(); i++) {
            List<Integer> d = new ArrayList<>();
            if (graph) {
                r.steps().get(i).dependsOn().forEach(k -> d.add(index.get(k)));
            } else {
                for (int j = 0; j < i; j++) {
                    d.add(j);
                }
            }
            out.add(d);
        }
        return out;
    }

    /** Prepares the claim (committed with the first write unless a worker already claimed). */
    private void prepare(Job read, Instant now) {
        if (preClaimed != null) {
            guard = new WriteGuard.Owner(read.epoch(), read.leaseOwner());
            job = read.toBuilder().lastError(null).updatedAt(now).build();
        } else {
            guard = new WriteGuard.Claimable(read.epoch(), now);
            job = read.toBuilder()
                    .status(JobStatus.RUNNING)
                    .epoch(read.epoch() + 1)
                    .leaseOwner(services.runnerId())
                    .leaseExpiresAt(now.plus(services.leaseTtl()))
                    .startedAt(read.startedAt() == null ? now : read.startedAt())
                    .finishedAt(null)
                    .lastError(null)
                    .updatedAt(now)
                    .build();
        }
        if (read.cancelRequested()) {
            handle.requestCancel();
        }
        log(null, 0, LogLevel.INFO, "run started by runner " + job.leaseOwner() + " (epoch " + job.epoch() + ")");
        for (int i = 0; i < steps.size(); i++) {
            JobStep s = steps.get(i);
            if (s.status() == StepStatus.RUNNING) {
                JobStep interrupted = s.toBuilder().interruptions(s.interruptions() + 1).build();
                set(i, interrupted);
                log(s.stepKey(), s.attempts(), LogLevel.WARN, "attempt " + s.attempts()
                        + " was interrupted: its process stopped before the result was recorded (interruption "
                        + interrupted.interruptions() + ")");
            }
        }
        job = job.toBuilder().manifest(Manifests.build(job, steps, snapshots).toJson()).build();
        writeManifest = true;
    }

    // ------------------------------------------------------------------ the loop

    private Job loop() {
        int n = steps.size();
        while (true) {
            boolean cancelled = handle.cancelRequested() || job.cancelRequested();
            boolean stopping = handle.stopRequested();
            List<Integer> toStart = new ArrayList<>();
            if (failure == null && !cancelled && !stopping && durableRetryAt == null) {
                schedule(toStart);
            }
            if (!toStart.isEmpty()) {
                for (int i : toStart) {
                    markRunning(i);
                }
                Job failedOnStore = commit(false);
                if (failedOnStore != null) {
                    return failedOnStore;
                }
                for (int i : toStart) {
                    launch(i);
                }
            } else if (!dirty.isEmpty() && (!running.isEmpty() || !delayed.isEmpty())) {
                Job failedOnStore = commit(false); // checkpoint results while other steps still run
                if (failedOnStore != null) {
                    return failedOnStore;
                }
            }
            if (running.isEmpty()) {
                if (failure != null) {
                    return finish(JobStatus.FAILED, failure, null);
                }
                if (cancelled) {
                    return finish(JobStatus.CANCELLED, null, "cancelled");
                }
                if (durableRetryAt != null) {
                    return handBack(durableRetryAt, "retry scheduled");
                }
                if (stopping) {
                    return handBack(services.now(), "handed back: the worker is shutting down");
                }
                if (done.size() == n) {
                    return finish(JobStatus.COMPLETED, null, "completed");
                }
                if (toStart.isEmpty()) {
                    if (!delayed.isEmpty()) {
                        sleepUntilDue();
                        continue;
                    }
                    return finish(JobStatus.FAILED, "no step can run: the remaining steps wait on steps that did not succeed", null);
                }
            }
            Completion c = awaitCompletion();
            if (c != null) {
                apply(c);
            }
        }
    }

    /** Finds ready steps: reuses valid checkpoints at once, and picks steps to start. */
    private void schedule(List<Integer> toStart) {
        long nowNanos = System.nanoTime();
        boolean progressed = true;
        while (progressed && failure == null) {
            progressed = false;
            for (int i = 0; i < steps.size(); i++) {
                if (done.contains(i) || running.containsKey(i) || toStart.contains(i) || !done.containsAll(deps.get(i))) {
                    continue;
                }
                Long due = delayed.get(i);
                if (due != null && due - nowNanos > 0) {
                    continue;
                }
                JobStep row = steps.get(i);
                StepDefinition def = recipe.steps().get(i);
                if (row.interruptions() > services.maxInterruptions()) {
                    String why = "step '" + def.key() + "' was interrupted " + row.interruptions()
                            + " times (its runner lost the lease while running it: the process died or stalled; limit "
                            + services.maxInterruptions()
                            + "); failing the job as a poison pill";
                    set(i, row.toBuilder().status(StepStatus.FAILED).error(why).build());
                    failure = why;
                    return;
                }
                String hash = hashOf(i);
                if (row.status().hasOutput() && hash.equals(row.inputHash()) && row.outputRefs() != null) {
                    set(i, row.toBuilder().status(StepStatus.SKIPPED).skipReason(SKIP_CHECKPOINT).build());
                    outputs.put(def.key(), row.outputRefs());
                    done.add(i);
                    log(def.key(), row.attempts(), LogLevel.INFO, "checkpoint reused (input hash " + hash.substring(0, 12) + "...)");
                    progress(def.key());
                    progressed = true;
                } else if (running.size() + toStart.size() < maxParallel()) {
                    toStart.add(i);
                }
            }
        }
    }

    private int maxParallel() {
        return recipe.isGraph() ? services.jobParallelism() : 1;
    }

    /** The step's input hash; its dependencies have outputs, so it is fixed for this run. */
    private String hashOf(int i) {
        String cached = hashes.get(i);
        if (cached != null) {
            return cached;
        }
        StepDefinition def = recipe.steps().get(i);
        if (inputCanon == null) {
            inputCanon = Json.canonical(job.input());
        }
        Map<String, String> upstream = new HashMap<>();
        upstream(i).forEach((k, out) -> upstream.put(k, canonicalOutputs.computeIfAbsent(k, key -> Json.canonical(out))));
        String hash = Json.inputHashOfCanonical(def.key(), def.type(), impls.get(def.key()).version(),
                Json.canonical(def.params()), inputCanon, upstream);
        hashes.put(i, hash);
        return hash;
    }

    /** @return the outputs of step i's dependencies, by key, in recipe order */
    private Map<String, JsonNode> upstream(int i) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (int d : deps.get(i)) {
            String k = recipe.steps().get(d).key();
            out.put(k, outputs.get(k));
        }
        return out;
    }

    private void markRunning(int i) {
        StepDefinition def = recipe.steps().get(i);
        JobStep row = steps.get(i);
        int attempt = row.attempts() + 1;
        delayed.remove(i);
        listen(l -> l.beforeRunningRecord(jobId, def.key()));
        set(i, row.toBuilder().status(StepStatus.RUNNING).attempts(attempt).inputHash(hashOf(i))
                .startedAt(services.now()).completedAt(null).error(null).skipReason(null).outputRefs(null).durationMs(0)
                .build());
        job = job.toBuilder().currentStep(def.key()).build();
        log(def.key(), attempt, LogLevel.INFO, "attempt " + attempt + Manifests.STARTED);
    }

    // ------------------------------------------------------------------ executions

    /** One execution of a step, on this thread or the step executor. */
    private final class Execution {
        final int index;
        final long seq = ++executionSeq;
        final long startNanos = System.nanoTime();
        final long deadlineNanos;
        final DefaultStepContext ctx;
        volatile Future<?> future;
        volatile boolean abandoned;

        Execution(int index, DefaultStepContext ctx, StepTimeout timeout) {
            this.index = index;
            this.ctx = ctx;
            this.deadlineNanos = timeout instanceof StepTimeout.Explicit limit
                    ? startNanos + limit.duration().toNanos() : Long.MAX_VALUE;
        }

        void abandon() {
            abandoned = true;
            Future<?> f = future;
            if (f != null) {
                f.cancel(true);
            }
        }
    }

    private record Completion(int index, long seq, Outcome outcome, long durationMs) {
    }

    private void launch(int i) {
        StepDefinition def = recipe.steps().get(i);
        JobStep row = steps.get(i);
        DefaultStepContext ctx = new DefaultStepContext(jobId, def.key(), def.type(), row.attempts(), job.input(),
                def.params(), upstream(i), row.inputHash(), handle, services.clock(), snapshots, services.secrets());
        Execution e = new Execution(i, ctx, def.timeout());
        running.put(i, e);
        Step impl = impls.get(def.key());
        Runnable body = () -> {
            Outcome outcome = execute(impl, def, ctx);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - e.startNanos);
            if (!e.abandoned) {
                completions.add(new Completion(i, e.seq, outcome, ms));
            } else {
                LOG.warn("job {} step {}: late result of an abandoned execution discarded", jobId, def.key());
            }
        };
        if (workerMode || def.timeout() instanceof StepTimeout.Explicit || recipe.isGraph()) {
            e.future = services.stepExecutor().get().submit(body);
        } else {
            body.run();
        }
    }

    /** Waits for the next completion, enforcing timeouts and the stop deadline. */
    private Completion awaitCompletion() {
        while (true) {
            long now = System.nanoTime();
            long wait = TimeUnit.MILLISECONDS.toNanos(100);
            for (Execution e : running.values()) {
                if (e.deadlineNanos - now <= 0) {
                    e.abandon();
                    running.remove(e.index);
                    Duration timeout = recipe.steps().get(e.index).timeout().limit().orElseThrow();
                    StepTimeoutException t = new StepTimeoutException(recipe.steps().get(e.index).key(), timeout);
                    return new Completion(e.index, e.seq, new Outcome.Failed(t.getMessage(), false, t),
                            TimeUnit.NANOSECONDS.toMillis(now - e.startNanos));
                }
                wait = Math.min(wait, e.deadlineNanos - now);
            }
            if (handle.stopRequested() && handle.stopDeadlineNanos() - now <= 0 && !running.isEmpty()) {
                abandonForStop();
                return null;
            }
            try {
                Completion c = completions.poll(Math.max(1, wait), TimeUnit.NANOSECONDS);
                if (c != null) {
                    Execution e = running.get(c.index());
                    if (e != null && e.seq == c.seq()) {
                        running.remove(c.index());
                        return c;
                    }
                    continue; // a stale completion of an abandoned execution
                }
                if (running.isEmpty()) {
                    return null;
                }
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                handle.requestStop(System.nanoTime());
                abandonForStop();
                return null;
            }
        }
    }

    /** The stop deadline passed: abandon running steps; they go back to pending, unrecorded. */
    private void abandonForStop() {
        for (Execution e : List.copyOf(running.values())) {
            e.abandon();
            running.remove(e.index);
            JobStep row = steps.get(e.index);
            set(e.index, row.toBuilder().status(StepStatus.PENDING).startedAt(null).build());
            log(row.stepKey(), row.attempts(), LogLevel.WARN, "attempt " + row.attempts()
                    + " abandoned: the worker shut down before it finished; it will run again");
        }
    }

    private void apply(Completion c) {
        int i = c.index();
        StepDefinition def = recipe.steps().get(i);
        JobStep row = steps.get(i);
        int attempt = row.attempts();
        listen(l -> l.afterStepExecuted(jobId, def.key()));
        Instant ended = services.now();
        if (c.outcome() instanceof Outcome.Succeeded ok) {
            set(i, row.toBuilder().status(StepStatus.SUCCESS).outputRefs(ok.output()).durationMs(c.durationMs())
                    .completedAt(ended).build());
            outputs.put(def.key(), ok.output());
            canonicalOutputs.put(def.key(), ok.canonical());
            done.add(i);
            log(def.key(), attempt, LogLevel.INFO, "attempt " + attempt + " succeeded in " + c.durationMs() + " ms");
            progress(def.key());
            return;
        }
        if (c.outcome() instanceof Outcome.Fatal f) {
            set(i, row.toBuilder().status(StepStatus.FAILED).error(f.reason()).durationMs(c.durationMs()).completedAt(ended).build());
            log(def.key(), attempt, LogLevel.ERROR, "attempt " + attempt + Manifests.FAILED + f.reason()
                    + " (the JVM may be unusable: the job is failed, not retried)");
            if (failure == null) {
                failure = "step '" + def.key() + "' failed: " + f.reason() + " (not retried: the JVM may be unusable)";
            }
            fatal = f.cause();
            return;
        }
        Outcome.Failed f = (Outcome.Failed) c.outcome();
        set(i, row.toBuilder().status(StepStatus.FAILED).error(f.reason()).durationMs(c.durationMs()).completedAt(ended).build());
        log(def.key(), attempt, LogLevel.ERROR, "attempt " + attempt + Manifests.FAILED + f.reason());
        if (f.cancelled()) {
            handle.requestCancel();
            return;
        }
        boolean cancelled = handle.cancelRequested() || job.cancelRequested();
        if (!cancelled && !handle.stopRequested() && attempt < def.retry().maxAttempts() && f.cause() != null
                && def.retry().retries(f.cause())) {
            Duration delay = def.retry().delayAfter(attempt, JITTER);
            log(def.key(), attempt, LogLevel.WARN, Manifests.RETRYING + delay.toMillis() + " ms (attempt " + (attempt + 1)
                    + " of " + def.retry().maxAttempts() + ")");
            if (workerMode) {
                Instant at = ended.plus(delay);
                durableRetryAt = durableRetryAt == null || at.isAfter(durableRetryAt) ? at : durableRetryAt;
                job = job.toBuilder().lastError("step '" + def.key() + "' failed (attempt " + attempt + " of "
                        + def.retry().maxAttempts() + "), retrying at " + at + ": " + f.reason()).build();
            } else {
                delayed.put(i, System.nanoTime() + delay.toNanos());
            }
            return;
        }
        if (failure == null) {
            String exhausted = attempt > 1 && def.retry().maxAttempts() > 1 && attempt >= def.retry().maxAttempts()
                    ? " (after " + attempt + " attempts)" : "";
            failure = "step '" + def.key() + "' failed" + exhausted + ": " + f.reason();
        }
    }

    /** run() mode: wait, interruptibly and watching for cancel, until a delayed retry is due. */
    private void sleepUntilDue() {
        long due = delayed.values().stream().min(Long::compare).orElse(System.nanoTime());
        while (System.nanoTime() - due < 0 && !handle.cancelRequested() && !handle.stopRequested()) {
            try {
                Thread.sleep(Math.max(1, Math.min(50, TimeUnit.NANOSECONDS.toMillis(due - System.nanoTime()))));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                handle.requestCancel();
            }
        }
    }

    /** The result of invoking a step. */
    private sealed interface Outcome {
        record Succeeded(JsonNode output, String canonical) implements Outcome {
        }

        record Failed(String reason, boolean cancelled, Throwable cause) implements Outcome {
        }

        /** The step threw an error after which the VM may be unusable (out of memory): no retry. */
        record Fatal(String reason, VirtualMachineError cause) implements Outcome {
        }
    }

    private Outcome invoke(Step impl, DefaultStepContext ctx) {
        Object result;
        try {
            result = impl.execute(ctx);
        } catch (JobCancelledException e) {
            return new Outcome.Failed("cancelled while running", true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.Failed("interrupted: " + describe(e), false, e);
        } catch (VirtualMachineError e) {
            if (e instanceof StackOverflowError) {
                return new Outcome.Failed(describe(e), false, e); // its stack is unwound: an ordinary failure
            }
            return new Outcome.Fatal(describe(e), e);
        } catch (Throwable e) {
            LOG.debug("job {} step {} threw", jobId, ctx.stepKey(), e);
            return new Outcome.Failed(describe(e), false, e);
        }
        JsonGuard.Converted converted = services.jsonGuard().convert(result);
        if (converted instanceof JsonGuard.Converted.Ok ok) {
            return new Outcome.Succeeded(ok.node(), ok.canonical());
        }
        String problem = ((JsonGuard.Converted.Refused) converted).problem();
        return new Outcome.Failed(problem, false, new InvalidOutputException(jobId, ctx.stepKey(), problem));
    }

    /** Invokes and checks a step; whatever happens, the result is an outcome (never a throw). */
    private Outcome execute(Step impl, StepDefinition def, DefaultStepContext ctx) {
        try {
            return checked(invoke(impl, ctx), def, ctx);
        } catch (VirtualMachineError e) {
            return e instanceof StackOverflowError ? new Outcome.Failed(describe(e), false, e) : new Outcome.Fatal(describe(e), e);
        } catch (Throwable e) {
            LOG.warn("job {} step {}: checking its result failed", jobId, def.key(), e);
            return new Outcome.Failed("its result could not be checked: " + describe(e), false, e);
        }
    }

    /** Output schema and secret checks, and redaction of secrets from failure reasons. */
    private static Outcome checked(Outcome outcome, StepDefinition def, DefaultStepContext ctx) {
        if (outcome instanceof Outcome.Failed f) {
            return new Outcome.Failed(Secrets.redact(f.reason(), ctx.resolvedSecrets()), f.cancelled(), f.cause());
        }
        if (outcome instanceof Outcome.Fatal f) {
            return new Outcome.Fatal(Secrets.redact(f.reason(), ctx.resolvedSecrets()), f.cause());
        }
        JsonNode output = ((Outcome.Succeeded) outcome).output();
        if (!ctx.resolvedSecrets().isEmpty()) {
            String text = ((Outcome.Succeeded) outcome).canonical();
            if (!Secrets.redact(text, ctx.resolvedSecrets()).equals(text)) {
                return new Outcome.Failed("its output contains a resolved secret; secrets are never stored", false, null);
            }
        }
        if (def.outputSchema() != null) {
            var violations = Schemas.validate(def.outputSchema(), output);
            if (!violations.isEmpty()) {
                return new Outcome.Failed("its output does not match its output_schema (" + violations.size() + " violation"
                        + (violations.size() == 1 ? "" : "s") + "): "
                        + String.join("; ", violations.stream().map(Object::toString).toList()), false, null);
            }
        }
        return outcome;
    }

    static String describe(Throwable e) {
        String msg = e.getMessage();
        String name = e.getClass().getSimpleName();
        return msg == null || msg.isBlank() ? name : name + ": " + firstLine(msg);
    }

    static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private void progress(String key) {
        int pct = (int) ((long) done.size() * 100 / steps.size());
        job = job.toBuilder().progress(pct).currentStep(key).build();
    }

    // ------------------------------------------------------------------ ending

    private Job finish(JobStatus status, String lastError, String message) {
        Instant now = services.now();
        long runMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - runStartNanos);
        Job.Builder b = job.toBuilder().status(status).lastError(lastError).finishedAt(now).updatedAt(now)
                .durationMs(job.durationMs() + runMs).leaseOwner(null).leaseExpiresAt(null);
        if (status == JobStatus.COMPLETED) {
            b.progress(100);
        }
        job = b.build();
        log(null, 0, status == JobStatus.FAILED ? LogLevel.ERROR : LogLevel.INFO,
                "job " + status + (lastError != null ? ": " + lastError : message != null ? " (" + message + ")" : ""));
        writeManifest = true;
        Job failed;
        if (Manifests.hasRetries(steps)) {
            // the manifest's attempt_log is built from the log: committed lines plus this run's
            // buffered ones, with the heartbeat held off so none is in flight between the two
            synchronized (handle.heartbeatLock) {
                List<LogEntry> logs = new ArrayList<>(services.store().findLogs(jobId, 0, 100_000));
                logs.addAll(handle.peekLogs());
                job = job.toBuilder().manifest(Manifests.build(job, steps, snapshots, logs).toJson()).build();
                failed = commit(true);
            }
        } else {
            job = job.toBuilder().manifest(Manifests.build(job, steps, snapshots).toJson()).build();
            failed = commit(true);
        }
        if (failed != null) {
            return failed;
        }
        services.publish(job, job.manifest());
        LOG.info("job {} {} in {} ms{}", jobId, status, runMs, lastError == null ? "" : ": " + lastError);
        return job;
    }

    /** Hands the job back as {@code pending} (durable retry, graceful stop): lease released. */
    private Job handBack(Instant runAt, String why) {
        Instant now = services.now();
        long runMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - runStartNanos);
        job = job.toBuilder().status(JobStatus.PENDING).runAt(runAt).updatedAt(now).leaseOwner(null).leaseExpiresAt(null)
                .durationMs(job.durationMs() + runMs).build();
        log(null, 0, LogLevel.INFO, "job handed back (" + why + "), runnable at " + runAt);
        Job failed = commit(true);
        if (failed != null) {
            return failed;
        }
        LOG.debug("job {} handed back: {}", jobId, why);
        return job;
    }

    /**
     * Commits what is pending. Returns null on success; on a store failure after the claim,
     * records the job as failed with a store error and returns it.
     */
    private Job commit(boolean terminal) {
        Instant now = services.now();
        if (!terminal) {
            job = job.toBuilder().updatedAt(now).leaseExpiresAt(boundaryLease(now)).build();
        }
        JobWrite write = new JobWrite(job, guard, List.copyOf(dirty.values()), handle.drainLogs(), writeManifest, false);
        listen(l -> l.beforeCommit(jobId, terminal));
        try {
            services.store().write(write);
        } catch (WriteConflictException e) {
            if (!claimed && preClaimed == null) {
                Job current = services.store().findJob(jobId).orElseThrow(() -> new UnknownJobException(jobId));
                if (current.status().isTerminal()) {
                    throw new IllegalTransitionException(jobId, current.status(), JobStatus.RUNNING,
                            "it changed while this runner was claiming it");
                }
                throw new JobBusyException(jobId, current.leaseOwner(), current.leaseExpiresAt());
            }
            handle.leaseLost();
            LOG.warn("job {}: lease lost at epoch {}; stopping without writing", jobId, job.epoch());
            throw new LeaseLostException(jobId, job.epoch());
        } catch (StoreException e) {
            if (!claimed && preClaimed == null) {
                throw e;
            }
            return recordStoreFailure(e, write);
        }
        listen(l -> l.afterCommit(jobId, terminal));
        boolean firstCommit = !claimed;
        claimed = true;
        if (!terminal) {
            guard = new WriteGuard.Owner(job.epoch(), job.leaseOwner());
        }
        dirty.clear();
        if (firstCommit && !terminal) {
            services.publish(job, job.manifest());
        }
        writeManifest = false;
        return null;
    }

    /**
     * The lease a boundary write carries: kept as it is while more than the lease TTL less one
     * heartbeat interval (at most half the TTL) remains, else moved to now + TTL. So a boundary
     * moves the lease about once per heartbeat interval instead of at every step, and the store
     * leaves its lease index alone on the other boundaries; the heartbeat renews the lease in
     * between as before. Never earlier than the heartbeat's latest renewal.
     */
    private Instant boundaryLease(Instant now) {
        Duration ttl = services.leaseTtl();
        Duration slack = services.heartbeatInterval().compareTo(ttl.dividedBy(2)) < 0 ? services.heartbeatInterval()
                : ttl.dividedBy(2);
        Instant lease = job.leaseExpiresAt();
        Instant renewed = heartbeatLease;
        if (renewed != null && (lease == null || renewed.isAfter(lease))) {
            lease = renewed;
        }
        if (lease == null || lease.isBefore(now.plus(ttl).minus(slack))) {
            return now.plus(ttl);
        }
        return lease;
    }

    private Job recordStoreFailure(StoreException cause, JobWrite lost) {
        String why = "store error while recording "
                + (job.currentStep() == null ? "the job" : "step '" + job.currentStep() + "'") + ": " + cause.getMessage();
        LOG.error("job {}: {}", jobId, why, cause);
        try {
            // Step rows stay as last committed: a store failure is not a failure of the step's logic.
            return writeFailed(why, List.of(), lost.logs());
        } catch (EngineException second) {
            cause.addSuppressed(second);
            throw cause;
        }
    }

    /**
     * Calls the listener. A listener that throws stops the run at that point as if its process
     * died there (crash-point tests rely on it): the runner writes nothing more and rethrows.
     */
    private void listen(java.util.function.Consumer<dev.stepwise.engine.core.RunListener> call) {
        try {
            call.accept(services.listener());
        } catch (RuntimeException | Error e) {
            listenerThrew = e;
            throw e;
        }
    }

    /**
     * Something this runner did not expect escaped its loop after the claim (a bug here or in a
     * store, a step's {@code version()} that throws): record the job as failed, best effort, so it is not left running with
     * its lease held; the steps that were running fail with the same reason, so a later retry does
     * not count them as interrupted.
     */
    private void recordUnexpected(Throwable e) {
        boolean owned = claimed || preClaimed != null;
        if (!owned || job == null || job.status() != JobStatus.RUNNING || e instanceof LeaseLostException) {
            return;
        }
        String why = "the runner stopped on an unexpected error: " + describe(e);
        LOG.error("job {}: {}", jobId, why, e);
        for (int i = 0; i < steps.size(); i++) {
            if (steps.get(i).status() == StepStatus.RUNNING) {
                set(i, steps.get(i).toBuilder().status(StepStatus.FAILED).error(why).completedAt(services.now()).build());
            }
        }
        try {
            writeFailed(why, List.copyOf(dirty.values()), handle.drainLogs());
        } catch (Throwable second) {
            e.addSuppressed(second);
        }
    }

    /** Writes the job as failed (lease released) with these step rows and log lines. */
    private Job writeFailed(String why, List<JobStep> rows, List<LogEntry> pendingLogs) {
        Instant now = services.now();
        for (Execution e : running.values()) {
            e.abandon();
        }
        running.clear();
        Job failed = job.toBuilder().status(JobStatus.FAILED).lastError(why).finishedAt(now).updatedAt(now)
                .leaseOwner(null).leaseExpiresAt(null)
                .durationMs(job.durationMs() + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - runStartNanos))
                .build();
        List<LogEntry> logs = new ArrayList<>(pendingLogs);
        logs.add(entry(null, 0, LogLevel.ERROR, why));
        services.store().write(new JobWrite(failed, guard, rows, logs, false, false));
        job = failed;
        return failed;
    }

    private ScheduledFuture<?> startHeartbeat() {
        long every = services.heartbeatInterval().toMillis();
        long epoch = job.epoch();
        String owner = job.leaseOwner();
        return services.heartbeats().get().scheduleWithFixedDelay(() -> heartbeat(epoch, owner), every, every,
                TimeUnit.MILLISECONDS);
    }

    private void heartbeat(long epoch, String owner) {
        if (!claimed && preClaimed == null) {
            return; // the claim rides with the first write; nothing to renew yet
        }
        synchronized (handle.heartbeatLock) {
            renew(epoch, owner);
        }
    }

    private void renew(long epoch, String owner) {
        try {
            services.listener().beforeLeaseRenewal(jobId);
            Instant now = services.now();
            Instant expiresAt = now.plus(services.leaseTtl());
            heartbeatLease = expiresAt; // before the renewal: a boundary write never moves the lease back
            var renewed = services.store().renewLease(jobId, epoch, owner, expiresAt, handle.drainLogs());
            if (renewed.isEmpty()) {
                LOG.warn("job {}: heartbeat found the lease lost (epoch {})", jobId, epoch);
                handle.leaseLost();
            } else if (renewed.get().cancelRequested()) {
                handle.requestCancel();
            }
        } catch (Throwable t) {
            LOG.warn("job {}: heartbeat failed, will retry: {}", jobId, t.toString());
        }
    }

    private void set(int index, JobStep step) {
        steps.set(index, step);
        dirty.put(step.id(), step);
    }

    private void log(String stepKey, int attempt, LogLevel level, String message) {
        handle.log(entry(stepKey, attempt, level, message));
    }

    private LogEntry entry(String stepKey, int attempt, LogLevel level, String message) {
        return new LogEntry(0, jobId, stepKey, attempt, services.now(), level, message);
    }
}
