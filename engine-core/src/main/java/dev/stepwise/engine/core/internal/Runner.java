package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.ClaimCandidate;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs one job to a terminal state (or hands it back), following the ADR's flow. Three rooms:
 * {@link StepExecutions} launches and awaits steps and turns what they did into an
 * {@link Outcome}; {@link JobLedger} holds the job and step rows and commits them, one guarded
 * write per step boundary; this class keeps only the scheduling loop: which steps are ready,
 * which checkpoints are reused, what an outcome means for the job (done, retry, failure).
 *
 * <p>A retry waits on the engine's clock: under {@code run(jobId)} in this loop (a step is due
 * again at an instant), under workers durably (the job goes back {@code pending} with that
 * instant as its run-at).
 */
public final class Runner {
    /** Longest real-time wait between two looks at the clock while a retry is due. */
    private static final Duration TICK = Duration.ofMillis(50);

    private final EngineServices services;
    private final String jobId;
    private final Claim claim;
    private final RunHandle handle = new RunHandle();
    private final JobLedger ledger;
    private final StepExecutions executions;
    private Recipe recipe;
    private Map<String, Step> impls;
    private List<List<Integer>> deps;
    private final StepInputs inputs = new StepInputs();
    private Reuse reuse;
    private final Set<Integer> done = new HashSet<>();
    private final Map<Integer, Instant> dueAgain = new HashMap<>();
    private Optional<String> failure = Optional.empty();
    private Optional<VirtualMachineError> fatal = Optional.empty();
    private Optional<Instant> handBackAt = Optional.empty();

    /**
     * @param services the engine's services
     * @param jobId    the job
     * @return a runner for {@code run(jobId)}: it claims the job itself with its first write
     */
    public static Runner forCaller(EngineServices services, String jobId) {
        return new Runner(services, jobId, Claim.byCaller());
    }

    /**
     * @param services   the engine's services
     * @param claimedJob the job, {@code running} under this engine's lease (the store's {@code claimNext})
     * @return a runner for a worker: retries are durable
     */
    public static Runner forWorker(EngineServices services, Job claimedJob) {
        return new Runner(services, claimedJob.id(), Claim.byWorker(claimedJob));
    }

    /**
     * @param services  the engine's services
     * @param candidate a job {@code findCandidates} returned ({@code pending} when read)
     * @param owner     the worker's lease owner
     * @return a runner for a worker that claims the job with its first write: retries are
     *         durable; {@link #run()} throws {@link JobBusyException} or
     *         {@link IllegalTransitionException} with nothing written if another runner took it first
     */
    public static Runner forWorkerPick(EngineServices services, ClaimCandidate candidate, String owner) {
        return new Runner(services, candidate.job().id(), Claim.byWorkerPick(candidate, owner));
    }

    private Runner(EngineServices services, String jobId, Claim claim) {
        this.services = services;
        this.jobId = jobId;
        this.claim = claim;
        this.ledger = new JobLedger(services, claim, jobId, handle);
        this.executions = new StepExecutions(jobId, services, handle);
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
        Job read = claim.load(services, jobId);
        recipe = Manifests.recipeOf(read);
        reuse = new Reuse(services, read);
        try {
            impls = resolveSteps(recipe);
        } catch (UnknownStepTypeException e) {
            claim.unrunnable(services, read, e);
            throw e;
        }
        List<JobStep> rows = claim.steps(services, jobId);
        if (rows.size() != recipe.steps().size()) {
            throw new StoreException("job " + jobId + " has " + rows.size() + " step rows but its recipe "
                    + recipe.id() + " has " + recipe.steps().size() + " steps; the store is inconsistent");
        }
        deps = dependencies(recipe);
        ledger.open(read, rows, Manifests.snapshotsOf(read));
        services.active().put(jobId, handle);
        ScheduledFuture<?> heartbeat = ledger.startHeartbeat();
        try {
            Job end = loop();
            if (fatal.isPresent()) {
                throw fatal.get(); // recorded as failed; the VM may be unusable, so the host decides what next
            }
            return end;
        } catch (RuntimeException | Error e) {
            if (fatal.filter(f -> f == e).isEmpty()) {
                ledger.recordUnexpected(e);
            }
            throw e;
        } finally {
            heartbeat.cancel(false);
            services.active().remove(jobId, handle);
            executions.abandonAll();
            ledger.closeEvents();
        }
    }

    // ------------------------------------------------------------------ the loop

    private Job loop() {
        while (true) {
            boolean cancelled = handle.cancelRequested() || ledger.job().cancelRequested();
            boolean stopping = handle.stopRequested();
            List<Integer> toStart = failure.isEmpty() && !cancelled && !stopping && handBackAt.isEmpty()
                    ? schedule() : List.of();
            toStart.forEach(this::markRunning);
            boolean checkpointWhileBusy = !executions.isEmpty() || !dueAgain.isEmpty();
            if ((!toStart.isEmpty() || (ledger.hasChanges() && checkpointWhileBusy))
                    && ledger.commit() instanceof JobLedger.Commit.JobFailed f) {
                return f.job();
            }
            toStart.forEach(this::launch);
            if (executions.isEmpty()) {
                if (failure.isPresent()) {
                    return ledger.finish(JobStatus.FAILED, failure, "failed");
                }
                if (cancelled) {
                    return ledger.finish(JobStatus.CANCELLED, Optional.empty(), "cancelled");
                }
                if (handBackAt.isPresent()) {
                    return ledger.handBack(handBackAt.get(), "retry scheduled");
                }
                if (stopping) {
                    return ledger.handBack(services.nowMillis(), "handed back: the worker is shutting down");
                }
                if (done.size() == ledger.size()) {
                    return ledger.finish(JobStatus.COMPLETED, Optional.empty(), "completed");
                }
                if (toStart.isEmpty() && dueAgain.isEmpty()) {
                    return ledger.finish(JobStatus.FAILED,
                            Optional.of("no step can run: the remaining steps wait on steps that did not succeed"), "failed");
                }
            }
            StepExecutions.Awaited awaited = executions.await(nextWait());
            if (awaited instanceof StepExecutions.Awaited.Done d) {
                apply(d);
                ledger.events().attemptEnded(d.index(), ledger.step(d.index()), d.outcome());
            } else if (awaited instanceof StepExecutions.Awaited.Abandoned a) {
                a.indexes().forEach(this::abandoned);
            }
        }
    }

    /** How long the loop may wait for a step to end: until the next retry is due on the clock, at most a tick. */
    private Duration nextWait() {
        Instant now = services.nowMillis();
        return dueAgain.values().stream().min(Instant::compareTo)
                .map(due -> Duration.between(now, due))
                .filter(d -> d.compareTo(TICK) < 0)
                .map(d -> d.isNegative() ? Duration.ZERO : d)
                .orElse(TICK);
    }

    /** Finds ready steps: reuses valid checkpoints at once, and picks steps to start. */
    private List<Integer> schedule() {
        List<Integer> toStart = new ArrayList<>();
        Instant now = services.nowMillis();
        boolean progressed = true;
        while (progressed && failure.isEmpty()) {
            progressed = false;
            for (int i = 0; i < ledger.size(); i++) {
                if (done.contains(i) || executions.isRunning(i) || toStart.contains(i) || !done.containsAll(deps.get(i))
                        || dueAgain.getOrDefault(i, now).isAfter(now)) {
                    continue;
                }
                JobStep row = ledger.step(i);
                StepDefinition def = recipe.steps().get(i);
                if (row.interruptions() > services.maxInterruptions()) {
                    String why = "step '" + def.key() + "' was interrupted " + row.interruptions()
                            + " times (its runner lost the lease while running it: the process died or stalled; limit "
                            + services.maxInterruptions() + "); failing the job as a poison pill";
                    ledger.set(i, row.toBuilder().status(StepStatus.FAILED).error(why).build());
                    ledger.events().poisonPill(def.key(), row.interruptions());
                    failure = Optional.of(why);
                    return toStart;
                }
                String hash = inputs.hash(i, def, impls.get(def.key()), ledger.job(), deps.get(i), recipe);
                Reuse.Decision decision = reuse.decide(row, def, hash);
                if (decision instanceof Reuse.Decision.Execute execute) {
                    execute.note().ifPresent(n -> ledger.log(def.key(), row.attempts(), LogLevel.WARN, n + "; running the step again"));
                    if (executions.size() + toStart.size() < maxParallel()) {
                        toStart.add(i);
                    }
                    continue;
                }
                JobStep skipped = decision instanceof Reuse.Decision.Checkpoint c ? c.row() : ((Reuse.Decision.Cached) decision).row();
                ledger.reused(i, skipped);
                inputs.reuse(def.key(), skipped.outputRefs());
                done.add(i);
                ledger.log(def.key(), row.attempts(), LogLevel.INFO, skipped.cachedFrom() == null
                        ? "checkpoint reused (input hash " + hash.substring(0, 12) + "...)"
                        : "output of job " + skipped.cachedFrom() + " reused (step cache, input hash " + hash.substring(0, 12) + "...)");
                progress(def.key());
                progressed = true;
            }
        }
        return toStart;
    }

    private int maxParallel() {
        return recipe.isGraph() ? services.jobParallelism() : 1;
    }

    private void markRunning(int i) {
        StepDefinition def = recipe.steps().get(i);
        JobStep row = ledger.step(i);
        int attempt = row.attempts() + 1;
        dueAgain.remove(i);
        ledger.listen(l -> l.beforeRunningRecord(jobId, def.key()));
        Instant now = services.nowMillis();
        ledger.set(i, row.toBuilder().status(StepStatus.RUNNING).attempts(attempt).inputHash(inputs.hashOf(i))
                .startedAt(now).completedAt(null).error(null).skipReason(null).outputRefs(null).durationMs(0).cachedFrom(null)
                .cacheable(def.cache())
                .addAttempt(ledger.events().attemptStarted(i, row, attempt, now)).build());
        ledger.update(j -> j.currentStep(def.key()));
        ledger.logStarted(def.key(), attempt);
    }

    private void launch(int i) {
        StepDefinition def = recipe.steps().get(i);
        JobStep row = ledger.step(i);
        DefaultStepContext ctx = new DefaultStepContext(services, handle, jobId, def, row, ledger.job().input(),
                inputs.upstream(deps.get(i), recipe), Manifests.snapshotsOf(ledger.job()));
        boolean offThread = claim.stepsOffThread() || def.timeout().limit().isPresent() || recipe.isGraph();
        executions.launch(i, def, impls.get(def.key()), ctx, offThread, ledger.events());
    }

    /** What a step's outcome means: its row, its attempt record, and for the job: go on, retry or fail. */
    private void apply(StepExecutions.Awaited.Done d) {
        int i = d.index();
        StepDefinition def = recipe.steps().get(i);
        JobStep row = ledger.step(i);
        int attempt = row.attempts();
        ledger.listen(l -> l.afterStepExecuted(jobId, def.key()));
        Instant ended = services.nowMillis();
        Outcome outcome = d.outcome();
        if (outcome instanceof Outcome.Succeeded ok) {
            ledger.set(i, row.toBuilder().status(StepStatus.SUCCESS).outputRefs(ok.output()).durationMs(d.durationMs())
                    .completedAt(ended).lastAttempt(a -> a.ended(ended, outcome.recorded(), Optional.empty())).build());
            inputs.produced(def.key(), ok.output(), ok.canonical());
            done.add(i);
            ledger.logSucceeded(def.key(), attempt, d.durationMs());
            progress(def.key());
            return;
        }
        String reason = outcome.reason();
        JobStep failed = row.toBuilder().status(StepStatus.FAILED).error(reason).durationMs(d.durationMs()).completedAt(ended)
                .lastAttempt(a -> a.ended(ended, outcome.recorded(), Optional.of(reason))).build();
        ledger.set(i, failed);
        ledger.log(def.key(), attempt, LogLevel.ERROR, "attempt " + attempt + " failed: " + reason);
        if (outcome instanceof Outcome.Cancelled) {
            handle.requestCancel();
            return;
        }
        if (outcome instanceof Outcome.Fatal f) {
            fatal = Optional.of(f.cause());
            fail("step '" + def.key() + "' failed: " + reason + " (not retried: the JVM may be unusable)");
            return;
        }
        Throwable cause = outcome instanceof Outcome.TimedOut t ? t.error() : ((Outcome.Failed) outcome).cause();
        boolean cancelled = handle.cancelRequested() || ledger.job().cancelRequested();
        if (!cancelled && !handle.stopRequested() && attempt < def.retry().maxAttempts() && def.retry().retries(cause)) {
            Duration delay = def.retry().delayAfter(attempt, cause, ThreadLocalRandom.current());
            Instant at = ended.plus(delay);
            ledger.set(i, failed.toBuilder().lastAttempt(a -> a.withRetryDelay(delay)).build());
            ledger.log(def.key(), attempt, LogLevel.WARN, "retrying in " + delay.toMillis() + " ms (attempt " + (attempt + 1)
                    + " of " + def.retry().maxAttempts() + ")");
            retryAt(i, at, "step '" + def.key() + "' failed (attempt " + attempt + " of " + def.retry().maxAttempts()
                    + "), retrying at " + at + ": " + reason);
            return;
        }
        String exhausted = attempt > 1 && def.retry().maxAttempts() > 1 && attempt >= def.retry().maxAttempts()
                ? " (after " + attempt + " attempts)" : "";
        fail("step '" + def.key() + "' failed" + exhausted + ": " + reason);
    }

    /** The one retry mechanism: the step is due again at an instant of the engine's clock. */
    private void retryAt(int i, Instant at, String lastError) {
        if (claim.durableRetries()) {
            handBackAt = Optional.of(handBackAt.filter(h -> h.isAfter(at)).orElse(at));
            ledger.update(j -> j.lastError(lastError));
        } else {
            dueAgain.put(i, at);
        }
    }

    private void fail(String why) {
        if (failure.isEmpty()) {
            failure = Optional.of(why);
        }
    }

    /** The stop deadline passed: the step goes back to pending, unrecorded, and runs again later. */
    private void abandoned(int i) {
        JobStep row = ledger.step(i);
        Instant now = services.nowMillis();
        ledger.set(i, row.toBuilder().status(StepStatus.PENDING).startedAt(null)
                .lastAttempt(a -> a.ended(now, dev.stepwise.engine.api.AttemptOutcome.ABANDONED,
                        Optional.of("the worker shut down before it finished")))
                .build());
        ledger.log(row.stepKey(), row.attempts(), LogLevel.WARN, "attempt " + row.attempts()
                + " abandoned: the worker shut down before it finished; it will run again");
    }

    private void progress(String key) {
        int pct = (int) ((long) done.size() * 100 / ledger.size());
        ledger.update(j -> j.progress(pct).currentStep(key));
    }

    // ------------------------------------------------------------------ set-up

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

    /** Sequential recipes: each step depends on all before it. Graphs: on its dependsOn. */
    private static List<List<Integer>> dependencies(Recipe r) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < r.steps().size(); i++) {
            index.put(r.steps().get(i).key(), i);
        }
        List<List<Integer>> out = new ArrayList<>();
        for (int i = 0; i < r.steps().size(); i++) {
            List<Integer> d = new ArrayList<>();
            if (r.isGraph()) {
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
}
