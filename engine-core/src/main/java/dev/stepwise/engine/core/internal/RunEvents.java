package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.Attempt;
import dev.stepwise.engine.api.AttemptTrace;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.core.EngineListener;
import dev.stepwise.engine.core.EngineListener.AttemptObserver;
import dev.stepwise.engine.core.EngineListener.RunObserver;
import dev.stepwise.engine.core.EngineListener.RunOutcome;
import dev.stepwise.engine.core.EngineListener.StepOutcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * One run's {@link EngineListener} events: the run's observers (one per listener), the observers
 * of the attempts in flight, and what an outcome means as an event. Owned by the run's
 * {@link JobLedger}; every call goes through {@link Listeners}, so a throwing listener changes nothing.
 */
final class RunEvents {
    private final Listeners listeners;
    private final String jobId;
    private final String recipe;
    private final List<RunObserver> observers;
    /** Observers of the attempt in flight, by step index; read on step threads ({@link #executing}). */
    private final Map<Integer, List<AttemptObserver>> attempts = new ConcurrentHashMap<>();
    private boolean ended;

    /**
     * @param listeners the engine's listeners
     * @param job       the job as read
     * @param runnerId  this runner
     */
    RunEvents(Listeners listeners, Job job, String runnerId) {
        this.listeners = listeners;
        this.jobId = job.id();
        this.recipe = job.recipeSlug();
        this.observers = listeners.isEmpty() ? List.of()
                : listeners.runStarted(new EngineListener.RunStarted(jobId, recipe, job.recipeVersion(), runnerId));
    }

    /** @return the job's recipe slug */
    String recipe() {
        return recipe;
    }

    /**
     * A step gets its running record.
     *
     * @param index   the step's index
     * @param row     the step row before it (its attempt log holds the previous attempts)
     * @param attempt the new attempt's number
     * @param now     its start
     * @return the new attempt record, with the trace ids an observer gave it
     */
    Attempt attemptStarted(int index, JobStep row, int attempt, Instant now) {
        Attempt started = Attempt.started(attempt, now);
        if (observers.isEmpty()) {
            return started;
        }
        Optional<AttemptTrace> previous = Optional.empty();
        for (Attempt a : row.attemptLog()) {
            previous = a.trace().isPresent() ? a.trace() : previous;
        }
        EngineListener.AttemptStarted event = new EngineListener.AttemptStarted(jobId, recipe, row.stepKey(), row.stepType(),
                attempt, previous);
        List<AttemptObserver> started2 = new ArrayList<>(observers.size());
        Optional<AttemptTrace> trace = Optional.empty();
        for (int l = 0; l < observers.size(); l++) {
            RunObserver o = observers.get(l);
            EngineListener owner = listeners.at(l);
            AttemptObserver a = listeners.get(owner, "attemptStarted", () -> o.attemptStarted(event), AttemptObserver.NONE);
            started2.add(a);
            if (trace.isEmpty()) {
                trace = listeners.get(owner, "trace", a::trace, Optional.empty());
            }
        }
        attempts.put(index, started2);
        return trace.map(started::withTrace).orElse(started);
    }

    /**
     * On the thread that runs the step, just before it executes.
     *
     * @param index the step's index
     * @return the observers' scopes, closed in reverse order
     */
    EngineListener.Scope executing(int index) {
        List<AttemptObserver> in = attempts.get(index);
        if (in == null) {
            return EngineListener.Scope.NONE;
        }
        List<EngineListener.Scope> scopes = new ArrayList<>(in.size());
        for (int l = 0; l < in.size(); l++) {
            AttemptObserver a = in.get(l);
            scopes.add(listeners.get(listeners.at(l), "executing", a::executing, EngineListener.Scope.NONE));
        }
        return () -> {
            for (int l = scopes.size() - 1; l >= 0; l--) {
                listeners.call(listeners.at(l), "executing scope close", scopes.get(l)::close);
            }
        };
    }

    /**
     * The runner applied an attempt's outcome to its row.
     *
     * @param index   the step's index
     * @param row     the row as the runner set it (its last attempt: outcome, retry delay)
     * @param outcome what the execution came to
     */
    void attemptEnded(int index, JobStep row, Outcome outcome) {
        List<AttemptObserver> in = attempts.remove(index);
        if (in == null) {
            return;
        }
        Attempt last = row.attemptLog().isEmpty() ? null : row.attemptLog().get(row.attemptLog().size() - 1);
        boolean retried = last != null && last.retryDelay().isPresent();
        StepOutcome tag = outcome instanceof Outcome.Succeeded ? StepOutcome.SUCCESS
                : retried ? StepOutcome.RETRIED
                : outcome instanceof Outcome.Cancelled ? StepOutcome.CANCELLED
                : outcome instanceof Outcome.TimedOut ? StepOutcome.TIMED_OUT
                : StepOutcome.FAILED;
        Optional<Throwable> error = outcome.failure();
        for (int l = 0; l < in.size(); l++) {
            AttemptObserver a = in.get(l);
            listeners.call(listeners.at(l), "attemptEnded", () -> a.attemptEnded(tag, error));
        }
        if (retried) {
            each("retryScheduled", o -> o.retryScheduled(row.stepKey(), last.number(), last.retryDelay().get()));
        }
    }

    /** @param skipped the step row, skipped (its skip reason says checkpoint or cache) */
    void stepReused(JobStep skipped) {
        StepOutcome tag = Reuse.CACHE.equals(skipped.skipReason()) ? StepOutcome.SKIPPED_CACHE : StepOutcome.SKIPPED_CHECKPOINT;
        each("stepReused", o -> o.stepReused(skipped.stepKey(), tag));
    }

    /** @param stepKey the step @param interruptions how often it was interrupted */
    void poisonPill(String stepKey, int interruptions) {
        each("poisonPill", o -> o.poisonPill(stepKey, interruptions));
    }

    /** This runner lost the lease. */
    void leaseLost() {
        if (!ended) {
            each("leaseLost", RunObserver::leaseLost);
            ended(RunOutcome.LEASE_LOST);
        }
    }

    /**
     * The run ended (only the first call counts): attempts still open end {@link StepOutcome#ABANDONED}.
     *
     * @param outcome how
     */
    void ended(RunOutcome outcome) {
        if (ended) {
            return;
        }
        ended = true;
        for (Map.Entry<Integer, List<AttemptObserver>> e : attempts.entrySet()) {
            List<AttemptObserver> in = e.getValue();
            for (int l = 0; l < in.size(); l++) {
                AttemptObserver a = in.get(l);
                listeners.call(listeners.at(l), "attemptEnded", () -> a.attemptEnded(StepOutcome.ABANDONED, Optional.empty()));
            }
        }
        attempts.clear();
        each("runEnded", o -> o.runEnded(outcome));
    }

    private void each(String event, Consumer<RunObserver> call) {
        for (int l = 0; l < observers.size(); l++) {
            RunObserver o = observers.get(l);
            listeners.call(listeners.at(l), event, () -> call.accept(o));
        }
    }
}
