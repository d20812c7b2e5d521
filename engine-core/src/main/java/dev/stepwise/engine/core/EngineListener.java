package dev.stepwise.engine.core;

import dev.stepwise.engine.api.AttemptTrace;
import dev.stepwise.engine.api.Job;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Engine events for observation: what a metrics, tracing or audit integration hooks into
 * (engine-micrometer is one; a host writes its own the same way). Installed with
 * {@link JobEngineBuilder#eventListener(EngineListener)}; every method does nothing by default.
 *
 * <p>The events of one run of a job go to the {@link RunObserver} that {@link #runStarted}
 * returned for it, and those of one attempt of a step to the {@link AttemptObserver} that
 * {@link RunObserver#attemptStarted} returned, so an integration keeps its per-run state (an
 * open span, a timer sample) in those objects instead of maps keyed by job id.
 *
 * <p><b>Threads.</b> Every method is called on the runner's thread (the caller of
 * {@code run(jobId)}, or a worker thread), except {@link AttemptObserver#executing()}, which is
 * called on the thread that runs the step (the runner's, or one of the engine's step threads for
 * a step with a timeout, a step of a dependency graph or any step run by a worker), and
 * {@link #orphanRecovered}, called by whoever calls {@code recover()}.
 *
 * <p><b>Failures.</b> Observation never changes what a job does: a listener or observer that
 * throws is logged (at WARN the first time for that listener, at DEBUG after) and the engine goes
 * on as if it had returned normally (an observer that threw in {@code runStarted} or
 * {@code attemptStarted} is replaced by one that does nothing for that run or attempt). This is
 * unlike {@link RunListener}, the test hook whose throw simulates a crash at that point.
 */
public interface EngineListener {
    /** A listener that does nothing. */
    EngineListener NONE = new EngineListener() {
    };

    /**
     * The engine was built (seeds published, orphans recovered): an integration may read from it,
     * e.g. {@link JobEngine#queueStats()} for gauges.
     *
     * @param engine the engine
     */
    default void engineBuilt(JobEngine engine) {
    }

    /**
     * A run of a job starts: {@code run(jobId)} is about to claim it, or a worker claimed it.
     * Called on the runner's thread, so whatever context the host has there (a current
     * observation, a span) is current.
     *
     * @param run which job, which recipe, which runner
     * @return what observes the rest of this run
     */
    default RunObserver runStarted(RunStarted run) {
        return RunObserver.NONE;
    }

    /**
     * {@code recover()} handed an orphaned job back {@code pending}: its runner's lease expired
     * (the process died or stalled).
     *
     * @param job the job as it was found ({@code running}, lease expired)
     */
    default void orphanRecovered(Job job) {
    }

    /** The events of one run of a job, on the runner's thread. */
    interface RunObserver {
        /** An observer that does nothing. */
        RunObserver NONE = new RunObserver() {
        };

        /**
         * A step gets its {@code running} record (attempt + 1), before that record is committed.
         *
         * @param attempt which step and attempt, and the trace of the step's previous attempt, if
         *                one was stored
         * @return what observes this attempt; its {@link AttemptObserver#trace()} is stored with
         *         the attempt
         */
        default AttemptObserver attemptStarted(AttemptStarted attempt) {
            return AttemptObserver.NONE;
        }

        /**
         * A step was not executed: its own checkpoint, or an identical execution of another job
         * (step cache), was reused.
         *
         * @param stepKey the step
         * @param outcome {@link StepOutcome#SKIPPED_CHECKPOINT} or {@link StepOutcome#SKIPPED_CACHE}
         */
        default void stepReused(String stepKey, StepOutcome outcome) {
        }

        /**
         * A failed attempt will be retried (its attempt ended {@link StepOutcome#RETRIED}).
         *
         * @param stepKey the step
         * @param attempt the attempt that failed
         * @param delay   the wait before the next attempt
         */
        default void retryScheduled(String stepKey, int attempt, Duration delay) {
        }

        /**
         * A step was interrupted more often than the engine's limit (its runner kept dying while
         * running it); the job fails without running it again.
         *
         * @param stepKey       the step
         * @param interruptions how often it was interrupted
         */
        default void poisonPill(String stepKey, int interruptions) {
        }

        /** This runner lost the job's lease (another runner took the job over); it stops without writing. */
        default void leaseLost() {
        }

        /**
         * The run ended; called exactly once per run, last.
         *
         * @param outcome how
         */
        default void runEnded(RunOutcome outcome) {
        }
    }

    /** The events of one attempt of a step. */
    interface AttemptObserver {
        /** An observer that does nothing. */
        AttemptObserver NONE = new AttemptObserver() {
        };

        /**
         * @return the trace and span ids of this attempt, stored with it (the manifest's
         *         {@code attempt_log} shows them); empty when nothing traces it
         */
        default Optional<AttemptTrace> trace() {
            return Optional.empty();
        }

        /**
         * The step is about to execute, on the thread that runs it (the step's MDC is set). The
         * scope is closed on the same thread when the step returns or throws.
         *
         * @return what to close after the step
         */
        default Scope executing() {
            return Scope.NONE;
        }

        /**
         * The attempt ended, on the runner's thread, once the engine decided what it means (a
         * failure that will be retried is {@link StepOutcome#RETRIED}). Not called for an attempt
         * that never ended in this process (lease lost, the process died): its run ends with
         * {@link RunOutcome#LEASE_LOST} or {@link RunOutcome#ABORTED}.
         *
         * @param outcome how
         * @param error   what the step threw (or the timeout, or the refusal of its output), if it failed
         */
        default void attemptEnded(StepOutcome outcome, Optional<Throwable> error) {
        }
    }

    /** What {@link AttemptObserver#executing()} opened; closing does not throw. */
    @FunctionalInterface
    interface Scope extends AutoCloseable {
        /** A scope with nothing to close. */
        Scope NONE = () -> {
        };

        @Override
        void close();
    }

    /**
     * A run of a job starts.
     *
     * @param jobId         the job
     * @param recipe        its recipe's slug
     * @param recipeVersion the recipe version it pinned
     * @param runnerId      the runner (lease owner)
     */
    record RunStarted(String jobId, String recipe, int recipeVersion, String runnerId) {
        /** Validates the fields. */
        public RunStarted {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(recipe, "recipe");
            Objects.requireNonNull(runnerId, "runnerId");
        }
    }

    /**
     * An attempt of a step starts.
     *
     * @param jobId         the job
     * @param recipe        its recipe's slug
     * @param stepKey       the step's key in the recipe
     * @param stepType      the step's type (registered implementation)
     * @param attempt       the attempt number (1 for the first, counting over every run of the job)
     * @param previousTrace the stored trace of the step's latest earlier attempt that has one (a
     *                      retry, or a run resumed after a crash), to link to
     */
    record AttemptStarted(String jobId, String recipe, String stepKey, String stepType, int attempt,
            Optional<AttemptTrace> previousTrace) {
        /** Validates the fields. */
        public AttemptStarted {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(recipe, "recipe");
            Objects.requireNonNull(stepKey, "stepKey");
            Objects.requireNonNull(stepType, "stepType");
            Objects.requireNonNull(previousTrace, "previousTrace");
            if (attempt < 1) {
                throw new IllegalArgumentException("attempt must be >= 1, was " + attempt);
            }
        }
    }

    /** How an attempt of a step ended, or why a step was not executed. */
    enum StepOutcome {
        /** It returned an output that was recorded. */
        SUCCESS,
        /** It failed and will not be retried. */
        FAILED,
        /** It failed (or timed out) and a retry was scheduled. */
        RETRIED,
        /** Not executed: its own valid checkpoint was reused. */
        SKIPPED_CHECKPOINT,
        /** Not executed: an identical execution of another job was reused (step cache). */
        SKIPPED_CACHE,
        /** It stopped because the job was cancelled. */
        CANCELLED,
        /** It ran past its timeout and will not be retried. */
        TIMED_OUT,
        /** A worker shutting down gave up on it; the step runs again later. */
        ABANDONED;

        /** @return the lowercase, hyphenated value used in tags, e.g. {@code "skipped-checkpoint"} */
        public String value() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** How a run of a job ended. */
    enum RunOutcome {
        /** The job completed. */
        COMPLETED,
        /** The job failed. */
        FAILED,
        /** The job was cancelled. */
        CANCELLED,
        /** The job went back {@code pending}: a durable retry is due later, or the worker is shutting down. */
        HANDED_BACK,
        /** This runner lost the lease; another runner owns the job. */
        LEASE_LOST,
        /** The run stopped on an exception before any of the above (not claimed, the store failed, a bug). */
        ABORTED;

        /** @return the lowercase, hyphenated value used in tags, e.g. {@code "handed-back"} */
        public String value() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }
}
