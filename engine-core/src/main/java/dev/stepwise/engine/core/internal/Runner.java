package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.EngineException;
import dev.stepwise.engine.api.IllegalTransitionException;
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
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.core.RunListener;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Runs one job to a terminal state on the caller's thread, following the ADR's flow. Writes
 * are batched so that each step boundary costs one transaction: the claim rides with the
 * first step's {@code running} record, and each step's result rides with the next step's
 * {@code running} record (or with the job's terminal status).
 */
public final class Runner {
    /** Skip reason of a step whose valid checkpoint was reused. */
    public static final String SKIP_CHECKPOINT = "checkpoint";

    private static final Logger LOG = LoggerFactory.getLogger(Runner.class);

    private final EngineServices services;
    private final String jobId;
    private final RunHandle handle = new RunHandle();

    private Job job;
    private final List<JobStep> steps = new ArrayList<>();
    private final Map<String, JobStep> dirty = new LinkedHashMap<>();
    private JsonNode snapshots;
    private WriteGuard guard;
    private boolean claimed;
    private boolean writeManifest;
    private long runStartNanos;

    /**
     * @param services the engine's services
     * @param jobId    the job to run
     */
    public Runner(EngineServices services, String jobId) {
        this.services = services;
        this.jobId = jobId;
    }

    /**
     * Runs the job.
     *
     * @return the job in its terminal state (or handed back {@code pending} if never claimed)
     * @throws UnknownJobException        if the job does not exist
     * @throws IllegalTransitionException if the job is completed, failed or cancelled
     * @throws JobBusyException           if another runner holds its lease
     * @throws UnknownStepTypeException   if a step's type is not registered
     * @throws LeaseLostException         if this runner lost the lease while running
     * @throws StoreException             if the store failed and the failure could not be recorded
     */
    public Job run() {
        Job read = services.store().findJob(jobId).orElseThrow(() -> new UnknownJobException(jobId));
        Instant now = services.now();
        checkRunnable(read, now);
        Recipe recipe = Manifests.recipeOf(read);
        Map<String, Step> impls = resolveSteps(recipe);
        snapshots = Manifests.snapshotsOf(read);
        steps.addAll(services.store().findSteps(jobId));
        if (steps.size() != recipe.steps().size()) {
            throw new StoreException("job " + jobId + " has " + steps.size() + " step rows but its recipe "
                    + recipe.id() + " has " + recipe.steps().size() + " steps; the store is inconsistent");
        }
        runStartNanos = System.nanoTime();
        claim(read, now);
        services.active().put(jobId, handle);
        ScheduledFuture<?> heartbeat = startHeartbeat();
        try {
            return execute(recipe, impls);
        } finally {
            heartbeat.cancel(false);
            services.active().remove(jobId, handle);
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

    private Map<String, Step> resolveSteps(Recipe recipe) {
        Map<String, Step> impls = new LinkedHashMap<>();
        for (StepDefinition def : recipe.steps()) {
            Step impl = services.steps().get(def.type());
            if (impl == null) {
                throw new UnknownStepTypeException(recipe.id(), def.key(), def.type(), services.steps().keySet());
            }
            impls.put(def.key(), impl);
        }
        return impls;
    }

    /** Prepares the claim; it is committed with the first write (guard: claimable at the read epoch). */
    private void claim(Job read, Instant now) {
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
        if (read.cancelRequested()) {
            handle.requestCancel();
        }
        log(null, 0, LogLevel.INFO, "run started by runner " + services.runnerId() + " (epoch " + job.epoch() + ")");
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

    private Job execute(Recipe recipe, Map<String, Step> impls) {
        Map<String, JsonNode> outputs = new LinkedHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            StepDefinition def = recipe.steps().get(i);
            JobStep row = steps.get(i);
            if (handle.cancelRequested() || job.cancelRequested()) {
                return finish(JobStatus.CANCELLED, null, "cancelled before step '" + def.key() + "'");
            }
            if (row.interruptions() > services.maxInterruptions()) {
                String why = "step '" + def.key() + "' was interrupted " + row.interruptions()
                        + " times (its process died while running it; limit " + services.maxInterruptions()
                        + "); failing the job as a poison pill";
                set(i, row.toBuilder().status(StepStatus.FAILED).error(why).build());
                return finish(JobStatus.FAILED, why, why);
            }
            Step impl = impls.get(def.key());
            String hash = Json.inputHash(def.key(), def.type(), impl.version(), def.params(), job.input(), outputs);
            if (row.status().hasOutput() && hash.equals(row.inputHash()) && row.outputRefs() != null) {
                set(i, row.toBuilder().status(StepStatus.SKIPPED).skipReason(SKIP_CHECKPOINT).build());
                outputs.put(def.key(), row.outputRefs());
                log(def.key(), row.attempts(), LogLevel.INFO, "checkpoint reused (input hash " + hash.substring(0, 12) + "...)");
                progress(i + 1, def.key());
                continue;
            }
            int attempt = row.attempts() + 1;
            Instant started = services.now();
            JobStep running = row.toBuilder().status(StepStatus.RUNNING).attempts(attempt).inputHash(hash)
                    .startedAt(started).completedAt(null).error(null).skipReason(null).outputRefs(null).durationMs(0)
                    .build();
            services.listener().beforeRunningRecord(jobId, def.key());
            set(i, running);
            job = job.toBuilder().currentStep(def.key()).build();
            log(def.key(), attempt, LogLevel.INFO, "attempt " + attempt + " started");
            Job failedOnStore = commit(false);
            if (failedOnStore != null) {
                return failedOnStore;
            }

            DefaultStepContext ctx = new DefaultStepContext(jobId, def.key(), def.type(), attempt, job.input(),
                    def.params(), outputs, hash, handle, services.clock(), snapshots, services.secrets());
            long t0 = System.nanoTime();
            Outcome outcome = checked(invoke(impl, ctx, def.key()), def, ctx);
            long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            services.listener().afterStepExecuted(jobId, def.key());
            Instant ended = services.now();
            if (outcome instanceof Outcome.Succeeded ok) {
                set(i, running.toBuilder().status(StepStatus.SUCCESS).outputRefs(ok.output()).durationMs(durationMs)
                        .completedAt(ended).build());
                outputs.put(def.key(), ok.output());
                log(def.key(), attempt, LogLevel.INFO, "attempt " + attempt + " succeeded in " + durationMs + " ms");
                progress(i + 1, def.key());
            } else {
                Outcome.Failed f = (Outcome.Failed) outcome;
                set(i, running.toBuilder().status(StepStatus.FAILED).error(f.reason()).durationMs(durationMs)
                        .completedAt(ended).build());
                log(def.key(), attempt, LogLevel.ERROR, "attempt " + attempt + " failed: " + f.reason());
                if (f.cancelled()) {
                    return finish(JobStatus.CANCELLED, null, "cancelled during step '" + def.key() + "'");
                }
                return finish(JobStatus.FAILED, "step '" + def.key() + "' failed: " + f.reason(), null);
            }
        }
        return finish(JobStatus.COMPLETED, null, "completed");
    }

    /** The result of invoking a step. */
    private sealed interface Outcome {
        record Succeeded(JsonNode output) implements Outcome {
        }

        record Failed(String reason, boolean cancelled) implements Outcome {
        }
    }

    private Outcome invoke(Step impl, DefaultStepContext ctx, String key) {
        Object result;
        try {
            result = impl.execute(ctx);
        } catch (JobCancelledException e) {
            return new Outcome.Failed("cancelled while running", true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Outcome.Failed("interrupted: " + describe(e), false);
        } catch (Exception | LinkageError | AssertionError | StackOverflowError e) {
            LOG.debug("job {} step {} threw", jobId, key, e);
            return new Outcome.Failed(describe(e), false);
        }
        if (result == null) {
            return new Outcome.Failed("it returned null; a step must return a JSON value (for nothing, an empty object)", false);
        }
        try {
            JsonNode node = result instanceof JsonNode n ? n : Json.MAPPER.valueToTree(result);
            if (node == null || node.isMissingNode()) {
                return new Outcome.Failed("it returned a value that is not JSON (" + result.getClass().getName() + ")", false);
            }
            return new Outcome.Succeeded(node);
        } catch (JacksonException | IllegalArgumentException e) {
            return new Outcome.Failed("it returned a value that cannot become JSON (" + result.getClass().getName()
                    + "): " + firstLine(e.getMessage()), false);
        }
    }

    /** Output schema and secret checks, and redaction of secrets from failure reasons. */
    private static Outcome checked(Outcome outcome, StepDefinition def, DefaultStepContext ctx) {
        if (outcome instanceof Outcome.Failed f) {
            return new Outcome.Failed(Secrets.redact(f.reason(), ctx.resolvedSecrets()), f.cancelled());
        }
        JsonNode output = ((Outcome.Succeeded) outcome).output();
        if (!ctx.resolvedSecrets().isEmpty()) {
            String text = Json.canonical(output);
            if (!Secrets.redact(text, ctx.resolvedSecrets()).equals(text)) {
                return new Outcome.Failed("its output contains a resolved secret; secrets are never stored", false);
            }
        }
        if (def.outputSchema() != null) {
            var violations = Schemas.validate(def.outputSchema(), output);
            if (!violations.isEmpty()) {
                return new Outcome.Failed("its output does not match its output_schema (" + violations.size() + " violation"
                        + (violations.size() == 1 ? "" : "s") + "): "
                        + String.join("; ", violations.stream().map(Object::toString).toList()), false);
            }
        }
        return outcome;
    }

    static String describe(Throwable e) {
        String msg = e.getMessage();
        String name = e.getClass().getSimpleName();
        return msg == null || msg.isBlank() ? name : name + ": " + firstLine(msg);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private void progress(int done, String key) {
        int pct = (int) ((long) done * 100 / steps.size());
        job = job.toBuilder().progress(pct).currentStep(key).build();
    }

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
        job = job.toBuilder().manifest(Manifests.build(job, steps, snapshots).toJson()).build();
        writeManifest = true;
        Job failed = commit(true);
        if (failed != null) {
            return failed;
        }
        services.publish(job, job.manifest());
        LOG.info("job {} {} in {} ms{}", jobId, status, runMs, lastError == null ? "" : ": " + lastError);
        return job;
    }

    /**
     * Commits what is pending. Returns null on success; on a store failure after the claim,
     * records the job as failed with a store error and returns it.
     */
    private Job commit(boolean terminal) {
        Instant now = services.now();
        if (!terminal) {
            job = job.toBuilder().updatedAt(now).leaseExpiresAt(now.plus(services.leaseTtl())).build();
        }
        JobWrite write = new JobWrite(job, guard, List.copyOf(dirty.values()), handle.drainLogs(), writeManifest, false);
        services.listener().beforeCommit(jobId, terminal);
        try {
            services.store().write(write);
        } catch (WriteConflictException e) {
            if (!claimed) {
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
            if (!claimed) {
                throw e;
            }
            return recordStoreFailure(e, write);
        }
        services.listener().afterCommit(jobId, terminal);
        boolean firstCommit = !claimed;
        claimed = true;
        guard = new WriteGuard.Owner(job.epoch(), services.runnerId());
        dirty.clear();
        if (firstCommit && !terminal) {
            services.publish(job, job.manifest());
        }
        writeManifest = false;
        return null;
    }

    private Job recordStoreFailure(StoreException cause, JobWrite lost) {
        Instant now = services.now();
        String why = "store error while recording "
                + (job.currentStep() == null ? "the job" : "step '" + job.currentStep() + "'") + ": " + cause.getMessage();
        LOG.error("job {}: {}", jobId, why, cause);
        // Step rows stay as last committed: a store failure is not a failure of the step's logic.
        Job failed = job.toBuilder().status(JobStatus.FAILED).lastError(why).finishedAt(now).updatedAt(now)
                .leaseOwner(null).leaseExpiresAt(null)
                .durationMs(job.durationMs() + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - runStartNanos))
                .build();
        List<LogEntry> logs = new ArrayList<>(lost.logs());
        logs.add(entry(null, 0, LogLevel.ERROR, why));
        try {
            services.store().write(new JobWrite(failed, guard, List.of(), logs, false, false));
        } catch (EngineException second) {
            cause.addSuppressed(second);
            throw cause;
        }
        job = failed;
        return failed;
    }

    private ScheduledFuture<?> startHeartbeat() {
        long every = services.heartbeatInterval().toMillis();
        long epoch = job.epoch();
        return services.heartbeats().get().scheduleWithFixedDelay(() -> heartbeat(epoch), every, every,
                TimeUnit.MILLISECONDS);
    }

    private void heartbeat(long epoch) {
        try {
            services.listener().beforeLeaseRenewal(jobId);
            Instant now = services.now();
            var renewed = services.store().renewLease(jobId, epoch, services.runnerId(),
                    now.plus(services.leaseTtl()), handle.drainLogs());
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

    /** @return this run's shared state (for cancel from another thread) */
    public RunHandle handle() {
        return handle;
    }
}
