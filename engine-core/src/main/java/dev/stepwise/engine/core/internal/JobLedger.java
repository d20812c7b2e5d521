package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.Attempt;
import dev.stepwise.engine.api.AttemptOutcome;
import dev.stepwise.engine.api.EngineException;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.core.EngineListener.RunOutcome;
import dev.stepwise.engine.core.RunListener;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * The runner's second room: what one run holds of its job and writes of it. It owns the job row,
 * the write guard, the step rows and which of them changed, the pending log lines, the lease and
 * its heartbeat, and commits all of it in one guarded write per step boundary.
 */
final class JobLedger {
    private static final Logger LOG = LoggerFactory.getLogger(JobLedger.class);

    private final EngineServices services;
    private final Claim claim;
    private final String jobId;
    private final RunHandle handle;
    private final List<JobStep> steps = new ArrayList<>();
    private final Map<String, JobStep> dirty = new LinkedHashMap<>();
    private final long runStartNanos = System.nanoTime();
    private JsonNode snapshots;
    private Job job;
    private WriteGuard guard;
    private volatile boolean owned;
    private boolean writeManifest;
    private volatile Instant heartbeatLease;
    private Throwable listenerThrew;
    private RunEvents events;
    /** Guards the log cursor: boundary writes and heartbeat renewals number lines from it in turn. */
    private final Object numbering = new Object();
    /** The job's log cursor as stored by this run's last committed write or renewal. */
    private long committedLogCursor;
    /** The routine lines of the last numbering, as stored rows (for a write whose step rows are lost). */
    private List<LogEntry> lastDerived = List.of();

    /** What a boundary commit came to. */
    sealed interface Commit {
        /** Committed. */
        record Done() implements Commit {
        }

        /**
         * The store failed; the job was recorded as failed with the store's error.
         *
         * @param job the job as recorded
         */
        record JobFailed(Job job) implements Commit {
        }
    }

    JobLedger(EngineServices services, Claim claim, String jobId, RunHandle handle) {
        this.services = services;
        this.claim = claim;
        this.jobId = jobId;
        this.handle = handle;
        this.owned = claim.ownedAtStart();
    }

    /**
     * Prepares the claim (committed with the first write unless a worker already claimed): the
     * job becomes running under this runner, and steps found {@code running} count an interruption.
     */
    void open(Job read, List<JobStep> rows, JsonNode snapshots) {
        Instant now = services.nowMillis();
        this.snapshots = snapshots;
        committedLogCursor = read.logCursor();
        steps.addAll(rows);
        guard = claim.firstGuard(read, now);
        job = claim.running(read, services, now);
        events = new RunEvents(services.events(), read, job.leaseOwner());
        if (read.cancelRequested()) {
            handle.requestCancel();
        }
        log(null, 0, LogLevel.INFO, "run started by runner " + job.leaseOwner() + " (epoch " + job.epoch() + ")");
        for (int i = 0; i < steps.size(); i++) {
            JobStep s = steps.get(i);
            if (s.status() == StepStatus.RUNNING) {
                String why = "its process stopped before the result was recorded";
                JobStep interrupted = s.toBuilder().interruptions(s.interruptions() + 1)
                        .lastAttempt(a -> a.interrupted(why)).build();
                set(i, interrupted);
                log(s.stepKey(), s.attempts(), LogLevel.WARN, "attempt " + s.attempts() + " was interrupted: " + why
                        + " (interruption " + interrupted.interruptions() + ")");
            }
        }
        job = job.toBuilder().manifest(Manifests.build(job, steps, snapshots).toJson()).build();
        writeManifest = true;
    }

    Job job() {
        return job;
    }

    /** @return this run's engine events (set by {@link #open}) */
    RunEvents events() {
        return events;
    }

    /** Ends this run's events if nothing else did ({@link RunOutcome#ABORTED}): the run stopped on an exception. */
    void closeEvents() {
        if (events != null) {
            events.ended(RunOutcome.ABORTED);
        }
    }

    JobStep step(int i) {
        return steps.get(i);
    }

    int size() {
        return steps.size();
    }

    /** @return whether some step row changed since the last commit */
    boolean hasChanges() {
        return !dirty.isEmpty();
    }

    void set(int i, JobStep step) {
        steps.set(i, step);
        dirty.put(step.id(), step);
    }

    /** Sets a step row that reused a checkpoint or a cache entry (skipped), and tells the listeners. */
    void reused(int i, JobStep skipped) {
        set(i, skipped);
        events.stepReused(skipped);
    }

    void update(UnaryOperator<Job.Builder> change) {
        job = change.apply(job.toBuilder()).build();
    }

    void log(String stepKey, int attempt, LogLevel level, String message) {
        handle.log(entry(stepKey, attempt, level, message));
    }

    /** Logs "attempt N started" of a step whose row holds that attempt: recorded in the attempt, not stored. */
    void logStarted(String stepKey, int attempt) {
        handle.routine(new RunHandle.Pending(RoutineLines.started(0, jobId, stepKey, attempt, services.nowMillis()),
                RunHandle.Kind.STARTED, 0));
    }

    /** Logs "attempt N succeeded in X ms" of a step whose row holds that attempt: recorded in the attempt, not stored. */
    void logSucceeded(String stepKey, int attempt, long durationMs) {
        handle.routine(new RunHandle.Pending(
                RoutineLines.succeeded(0, jobId, stepKey, attempt, services.nowMillis(), durationMs), RunHandle.Kind.SUCCEEDED,
                durationMs));
    }

    /**
     * Numbers the pending lines after the committed log cursor, in the order they were logged:
     * stored lines get their cursor, routine lines put theirs into the attempt record of their
     * step row (which becomes dirty, so this write carries it). Call with {@link #numbering} held.
     *
     * @param extra lines to append after the pending ones
     * @return the lines to store; {@link #lastDerived} holds the routine ones
     */
    private List<LogEntry> number(List<RunHandle.Pending> pending, List<LogEntry> extra) {
        long cursor = committedLogCursor;
        List<LogEntry> stored = new ArrayList<>();
        List<LogEntry> derived = new ArrayList<>();
        for (RunHandle.Pending p : pending) {
            LogEntry line = p.entry().withCursor(++cursor);
            if (p.routine() && recordRoutine(line, p.kind() == RunHandle.Kind.SUCCEEDED, p.durationMs())) {
                derived.add(line);
            } else {
                stored.add(line);
            }
        }
        for (LogEntry e : extra) {
            stored.add(e.withCursor(++cursor));
        }
        lastDerived = derived;
        job = job.toBuilder().logCursor(cursor).build();
        return stored;
    }

    /** @return whether the line's attempt was found and now carries its cursor */
    private boolean recordRoutine(LogEntry line, boolean end, long durationMs) {
        for (int i = 0; i < steps.size(); i++) {
            JobStep s = steps.get(i);
            if (!s.stepKey().equals(line.stepKey())) {
                continue;
            }
            List<Attempt> log = new ArrayList<>(s.attemptLog());
            for (int k = log.size() - 1; k >= 0; k--) {
                Attempt a = log.get(k);
                if (a.number() != line.attempt()) {
                    continue;
                }
                if (end ? a.outcome() != AttemptOutcome.SUCCEEDED || a.endCursor() > 0 || a.endedAt().isEmpty()
                        : a.startCursor() > 0) {
                    return false; // not (or no longer) what the line says: stored as a row instead
                }
                log.set(k, end ? a.withEndCursor(line.cursor(), durationMs) : a.withStartCursor(line.cursor()));
                set(i, s.toBuilder().attemptLog(log).build());
                return true;
            }
            return false;
        }
        return false;
    }

    private LogEntry entry(String stepKey, int attempt, LogLevel level, String message) {
        return new LogEntry(0, jobId, stepKey, attempt, services.nowMillis(), level, message);
    }

    /**
     * Calls the listener. A listener that throws stops the run at that point as if its process
     * died there (crash-point tests rely on it): nothing more is written, and it is rethrown.
     */
    void listen(Consumer<RunListener> call) {
        try {
            call.accept(services.listener());
        } catch (RuntimeException | Error e) {
            listenerThrew = e;
            throw e;
        }
    }

    /** @return whether a listener threw this (a simulated crash, not something to record) */
    boolean fromListener(Throwable e) {
        return e == listenerThrew;
    }

    // ------------------------------------------------------------------ commits

    /** Commits a step boundary: changed step rows, the job's progress, pending logs, the lease. */
    Commit commit() {
        Instant now = services.nowMillis();
        job = job.toBuilder().updatedAt(now).leaseExpiresAt(boundaryLease(now)).build();
        return write(false);
    }

    private Commit write(boolean terminal) {
        listen(l -> l.beforeCommit(jobId, terminal));
        Optional<Commit> failed;
        synchronized (numbering) {
            failed = commitNumbered();
        }
        if (failed.isPresent()) {
            return failed.get();
        }
        listen(l -> l.afterCommit(jobId, terminal));
        boolean first = !owned;
        owned = true;
        if (!terminal) {
            guard = new WriteGuard.Owner(job.epoch(), job.leaseOwner());
        }
        dirty.clear();
        if (first && !terminal) {
            services.publish(job, job.manifest());
        }
        writeManifest = false;
        return new Commit.Done();
    }

    /**
     * Numbers the pending lines and commits them with the job and the changed step rows, with
     * {@link #numbering} held: a heartbeat's lines are numbered and committed before or after.
     *
     * @return empty if committed; the store's failure as recorded if it failed
     */
    private Optional<Commit> commitNumbered() {
        List<LogEntry> lines = number(handle.drainLogs(), List.of());
        JobWrite write = new JobWrite(job, guard, List.copyOf(dirty.values()), lines, writeManifest, false)
                .afterLogCursor(committedLogCursor);
        try {
            services.store().write(write);
        } catch (WriteConflictException e) {
            if (!owned) {
                Job current = services.store().findJob(jobId).orElseThrow(() -> new UnknownJobException(jobId));
                if (current.status().isTerminal()) {
                    throw new IllegalTransitionException(jobId, current.status(), JobStatus.RUNNING,
                            "it changed while this runner was claiming it");
                }
                throw new JobBusyException(jobId, current.leaseOwner(), current.leaseExpiresAt());
            }
            handle.leaseLost();
            events.leaseLost();
            LOG.warn("job {}: lease lost at epoch {}; stopping without writing", jobId, job.epoch());
            throw new LeaseLostException(jobId, job.epoch());
        } catch (StoreException e) {
            if (!owned) {
                throw e;
            }
            return Optional.of(new Commit.JobFailed(recordStoreFailure(e, write)));
        }
        committedLogCursor = job.logCursor();
        return Optional.empty();
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

    /**
     * Ends the run in a terminal status: lease released, manifest built from the step rows (their
     * attempt records included) and written with the job, then handed to the manifest writers.
     *
     * @return the job as committed, or as recorded failed if the store failed
     */
    Job finish(JobStatus status, Optional<String> lastError, String message) {
        Instant now = services.nowMillis();
        Job.Builder b = job.toBuilder().status(status).lastError(lastError.orElse(null)).finishedAt(now).updatedAt(now)
                .durationMs(job.durationMs() + runMillis()).leaseOwner(null).leaseExpiresAt(null);
        if (status == JobStatus.COMPLETED) {
            b.progress(100);
        }
        job = b.build();
        log(null, 0, status == JobStatus.FAILED ? LogLevel.ERROR : LogLevel.INFO,
                "job " + status + lastError.map(e -> ": " + e).orElse(" (" + message + ")"));
        job = job.toBuilder().manifest(Manifests.build(job, steps, snapshots).toJson()).build();
        writeManifest = true;
        if (write(true) instanceof Commit.JobFailed f) {
            events.ended(RunOutcome.FAILED);
            return f.job();
        }
        events.ended(status == JobStatus.COMPLETED ? RunOutcome.COMPLETED
                : status == JobStatus.CANCELLED ? RunOutcome.CANCELLED : RunOutcome.FAILED);
        services.publish(job, job.manifest());
        LOG.info("job {} {} in {} ms{}", jobId, status, runMillis(), lastError.map(e -> ": " + e).orElse(""));
        return job;
    }

    /** Hands the job back as {@code pending} (durable retry, graceful stop): lease released. */
    Job handBack(Instant runAt, String why) {
        Instant now = services.nowMillis();
        job = job.toBuilder().status(JobStatus.PENDING).runAt(runAt).updatedAt(now).leaseOwner(null).leaseExpiresAt(null)
                .durationMs(job.durationMs() + runMillis()).build();
        log(null, 0, LogLevel.INFO, "job handed back (" + why + "), runnable at " + runAt);
        if (write(true) instanceof Commit.JobFailed f) {
            events.ended(RunOutcome.FAILED);
            return f.job();
        }
        events.ended(RunOutcome.HANDED_BACK);
        LOG.debug("job {} handed back: {}", jobId, why);
        return job;
    }

    private long runMillis() {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - runStartNanos);
    }

    private Job recordStoreFailure(StoreException cause, JobWrite lost) {
        String why = "store error while recording "
                + (job.currentStep() == null ? "the job" : "step '" + job.currentStep() + "'") + ": " + cause.getMessage();
        LOG.error("job {}: {}", jobId, why, cause);
        try {
            // Step rows stay as last committed: a store failure is not a failure of the step's logic
            // (so the routine lines their attempt records would have carried are stored as rows).
            List<LogEntry> lines = new ArrayList<>(lost.logs());
            lines.addAll(lastDerived);
            lines.sort(Comparator.comparingLong(LogEntry::cursor));
            try {
                return writeFailed(why, List.of(), lines);
            } catch (WriteConflictException conflict) {
                // The lost write may have committed and only its answer failed: then the stored log
                // cursor is the one it wrote, and only the failure remains to be written.
                Job stored = services.store().findJob(jobId).orElseThrow(() -> conflict);
                if (stored.status() != JobStatus.RUNNING || stored.epoch() != lost.job().epoch()
                        || !Objects.equals(stored.leaseOwner(), lost.job().leaseOwner())
                        || stored.logCursor() != lost.job().logCursor()) {
                    throw conflict;
                }
                committedLogCursor = stored.logCursor();
                return writeFailed(why, List.of(), List.of());
            }
        } catch (EngineException second) {
            cause.addSuppressed(second);
            throw cause;
        }
    }

    /**
     * Something the runner did not expect escaped its loop after the claim (a bug here or in a
     * store, a step's {@code version()} that throws): records the job as failed, best effort, so
     * it is not left running with its lease held; steps that were running fail with the same
     * reason, so a later retry does not count them as interrupted. Engine exceptions (lease lost,
     * store failures already recorded) and listener throws (simulated crashes) are not recorded.
     */
    void recordUnexpected(Throwable e) {
        if (!owned || job == null || job.status() != JobStatus.RUNNING || e instanceof EngineException || fromListener(e)) {
            return;
        }
        String why = "the runner stopped on an unexpected error: " + StepExecutions.describe(e);
        LOG.error("job {}: {}", jobId, why, e);
        Instant now = services.nowMillis();
        for (int i = 0; i < steps.size(); i++) {
            JobStep s = steps.get(i);
            if (s.status() == StepStatus.RUNNING) {
                set(i, s.toBuilder().status(StepStatus.FAILED).error(why).completedAt(now)
                        .lastAttempt(a -> a.ended(now, AttemptOutcome.FAILED, Optional.of(why)))
                        .build());
            }
        }
        try {
            synchronized (numbering) {
                List<LogEntry> lines = number(handle.drainLogs(), List.of());
                writeFailed(why, List.copyOf(dirty.values()), lines);
            }
        } catch (Throwable second) {
            e.addSuppressed(second);
        }
    }

    /**
     * Writes the job as failed (lease released) with these step rows and log lines, numbered
     * after the committed log cursor ({@link #numbering} held).
     */
    private Job writeFailed(String why, List<JobStep> rows, List<LogEntry> numberedLogs) {
        Instant now = services.nowMillis();
        long cursor = LogEntry.lastCursor(committedLogCursor, numberedLogs);
        for (JobStep s : rows) {
            for (Attempt a : s.attemptLog()) {
                cursor = Math.max(cursor, Math.max(a.startCursor(), a.endCursor()));
            }
        }
        List<LogEntry> logs = new ArrayList<>(numberedLogs);
        logs.add(entry(null, 0, LogLevel.ERROR, why).withCursor(cursor + 1));
        Job failed = job.toBuilder().status(JobStatus.FAILED).lastError(why).finishedAt(now).updatedAt(now)
                .leaseOwner(null).leaseExpiresAt(null).durationMs(job.durationMs() + runMillis()).logCursor(cursor + 1).build();
        services.store().write(new JobWrite(failed, guard, rows, logs, false, false).afterLogCursor(committedLogCursor));
        committedLogCursor = failed.logCursor();
        job = failed;
        return failed;
    }

    // ------------------------------------------------------------------ heartbeat

    /**
     * Renews the lease with the pending lines logged before the next routine one, numbered after
     * the committed log cursor ({@link #numbering} held): the store sets the job's log cursor to
     * the greatest of them. If the renewal fails the lines are lost (as before), and the
     * committed cursor is read back in case the renewal was committed after all.
     */
    private Optional<Job> renew(long epoch, String owner, Instant expiresAt) {
        List<LogEntry> lines = new ArrayList<>();
        long cursor = committedLogCursor;
        for (LogEntry e : handle.drainStoredPrefix()) {
            lines.add(e.withCursor(++cursor));
        }
        try {
            Optional<Job> renewed = services.store().renewLease(jobId, epoch, owner, expiresAt, lines);
            if (renewed.isPresent()) {
                committedLogCursor = cursor;
            }
            return renewed;
        } catch (RuntimeException e) {
            if (!lines.isEmpty()) {
                services.store().findJob(jobId).filter(j -> j.epoch() == epoch && owner.equals(j.leaseOwner()))
                        .ifPresent(j -> committedLogCursor = Math.max(committedLogCursor, j.logCursor()));
            }
            throw e;
        }
    }

    /** @return the heartbeat, renewing the lease every interval until cancelled */
    ScheduledFuture<?> startHeartbeat() {
        long every = services.heartbeatInterval().toMillis();
        long epoch = job.epoch();
        String owner = job.leaseOwner();
        return services.heartbeats().get().scheduleWithFixedDelay(() -> heartbeat(epoch, owner), every, every,
                TimeUnit.MILLISECONDS);
    }

    private void heartbeat(long epoch, String owner) {
        if (!owned) {
            return; // the claim rides with the first write; nothing to renew yet
        }
        try {
            services.listener().beforeLeaseRenewal(jobId);
            Instant now = services.nowMillis();
            Instant expiresAt = now.plus(services.leaseTtl());
            heartbeatLease = expiresAt; // before the renewal: a boundary write never moves the lease back
            Optional<Job> renewed;
            synchronized (numbering) {
                renewed = renew(epoch, owner, expiresAt);
            }
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
}
