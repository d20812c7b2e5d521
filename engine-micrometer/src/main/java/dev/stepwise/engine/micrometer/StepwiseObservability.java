package dev.stepwise.engine.micrometer;

import dev.stepwise.engine.api.AttemptTrace;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.core.EngineListener;
import dev.stepwise.engine.core.JobEngine;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Observes a {@link JobEngine} through Micrometer: one {@value #JOB_OBSERVATION} observation per
 * run of a job and one {@value #STEP_OBSERVATION} observation per attempt of a step (nested in the
 * job's, whatever thread the step runs on), counters for retries, lease losses, recovered orphans
 * and poison pills, and per-recipe queue gauges read from the store at most once per
 * {@link Builder#gaugeRefresh(Duration) refresh interval}. Install it with one call:
 *
 * <pre>{@code
 * JobEngine engine = JobEngine.builder(store)
 *     .eventListener(StepwiseObservability.builder(observationRegistry, meterRegistry).build())
 *     ...
 *     .build();
 * }</pre>
 *
 * <p>Observations become timers through the host's meter handler (e.g. Micrometer's
 * {@code DefaultMeterObservationHandler}) and spans through its tracing handler (Micrometer
 * Tracing's bridge); with micrometer-tracing on the class path, each attempt's trace and span ids
 * are stored with the attempt and shown in the manifest's {@code attempt_log}, and
 * {@link StepwiseTracingObservationHandler} links a resumed step's span to the previous attempt's.
 *
 * <p>Tags are low-cardinality only ({@value #RECIPE}, {@value #STEP}, {@value #OUTCOME},
 * {@value #STATUS}); the job id and the attempt number are high-cardinality key values (span
 * attributes, never meter tags); inputs and outputs are never recorded. One instance observes one
 * engine. The names are listed in {@code docs/observability.md}.
 */
public final class StepwiseObservability implements EngineListener {
    /** Default interval between two reads of the queue gauges from the store. */
    public static final Duration DEFAULT_GAUGE_REFRESH = Duration.ofSeconds(10);

    /** Observation of one run of a job (timer {@code stepwise.job}, span {@code job <recipe>}). */
    public static final String JOB_OBSERVATION = "stepwise.job";
    /** Observation of one attempt of a step, or of a reused step (timer {@code stepwise.step}, span {@code step <key>}). */
    public static final String STEP_OBSERVATION = "stepwise.step";
    /** Counter: failed attempts that got a retry scheduled. */
    public static final String RETRIES = "stepwise.retries";
    /** Counter: runs that lost their job's lease to another runner. */
    public static final String LEASE_LOSSES = "stepwise.lease.losses";
    /** Counter: orphaned jobs (lease expired while running) handed back by {@code recover()}. */
    public static final String RECOVERIES = "stepwise.recoveries";
    /** Counter: steps failed as poison pills (interrupted more often than the engine's limit). */
    public static final String POISON_PILLS = "stepwise.poison.pills";
    /** Gauge: jobs per recipe and status ({@code pending}, {@code running}, {@code failed}). */
    public static final String JOBS = "stepwise.jobs";
    /** Time gauge (seconds): how long the oldest runnable pending job of a recipe has waited. */
    public static final String QUEUE_LAG = "stepwise.queue.lag";

    /** Tag: the recipe's slug. */
    public static final String RECIPE = "recipe";
    /** Tag: the step's key. */
    public static final String STEP = "step";
    /** Tag: how the run or attempt ended ({@link EngineListener.RunOutcome#value()}, {@link EngineListener.StepOutcome#value()}). */
    public static final String OUTCOME = "outcome";
    /** Tag of {@value #JOBS}: the job status counted. */
    public static final String STATUS = "status";
    /** High-cardinality key value (span attribute only): the job's id. */
    public static final String JOB_ID = "stepwise.job_id";
    /** High-cardinality key value (span attribute only): the attempt number. */
    public static final String ATTEMPT = "stepwise.attempt";

    private static final boolean TRACING = present("io.micrometer.tracing.handler.TracingObservationHandler");

    private final ObservationRegistry observations;
    private final MeterRegistry meters;
    private final QueueGauges gauges;

    private StepwiseObservability(Builder b) {
        this.observations = b.observations;
        this.meters = b.meters;
        this.gauges = new QueueGauges(b.meters, b.gaugeRefresh);
    }

    /**
     * @param observations where the job and step observations go (the host's registry, with its
     *                     meter and tracing handlers)
     * @param meters       where the counters and gauges go
     * @return a builder
     */
    public static Builder builder(ObservationRegistry observations, MeterRegistry meters) {
        return new Builder(observations, meters);
    }

    @Override
    public void engineBuilt(JobEngine engine) {
        gauges.attach(engine);
    }

    @Override
    public RunObserver runStarted(RunStarted run) {
        gauges.register(run.recipe());
        Observation job = Observation.createNotStarted(JOB_OBSERVATION, observations)
                .contextualName("job " + run.recipe())
                .lowCardinalityKeyValue(RECIPE, run.recipe())
                .highCardinalityKeyValue(JOB_ID, run.jobId())
                .start();
        return new Run(run, job, job.openScope());
    }

    @Override
    public void orphanRecovered(Job job) {
        Counter.builder(RECOVERIES).description("Orphaned jobs handed back by recover()")
                .tag(RECIPE, job.recipeSlug()).register(meters).increment();
    }

    /**
     * One run: its job observation is the parent of its step observations, and is in scope on the
     * runner's thread from the run's start to its end (both are called there).
     */
    private final class Run implements RunObserver {
        private final RunStarted run;
        private final Observation job;
        private final Observation.Scope scope;

        Run(RunStarted run, Observation job, Observation.Scope scope) {
            this.run = run;
            this.job = job;
            this.scope = scope;
        }

        @Override
        public AttemptObserver attemptStarted(AttemptStarted attempt) {
            StepObservationContext context = new StepObservationContext(attempt.stepKey(), attempt.attempt(),
                    attempt.previousTrace());
            Observation step = step(context).start();
            Optional<AttemptTrace> trace = TRACING ? TraceIds.of(context) : Optional.empty();
            return new Attempt(step, trace);
        }

        @Override
        public void stepReused(String stepKey, StepOutcome outcome) {
            step(new StepObservationContext(stepKey, 0, Optional.empty()))
                    .lowCardinalityKeyValue(OUTCOME, outcome.value()).start().stop();
        }

        private Observation step(StepObservationContext context) {
            Observation step = Observation.createNotStarted(STEP_OBSERVATION, () -> context, observations)
                    .parentObservation(job)
                    .contextualName("step " + context.stepKey())
                    .lowCardinalityKeyValue(RECIPE, run.recipe())
                    .lowCardinalityKeyValue(STEP, context.stepKey())
                    .highCardinalityKeyValue(JOB_ID, run.jobId());
            return context.attempt() > 0 ? step.highCardinalityKeyValue(ATTEMPT, Integer.toString(context.attempt())) : step;
        }

        @Override
        public void retryScheduled(String stepKey, int attempt, Duration delay) {
            Counter.builder(RETRIES).description("Failed step attempts that got a retry scheduled")
                    .tag(RECIPE, run.recipe()).tag(STEP, stepKey).register(meters).increment();
        }

        @Override
        public void poisonPill(String stepKey, int interruptions) {
            Counter.builder(POISON_PILLS).description("Steps failed as poison pills (interrupted too often)")
                    .tag(RECIPE, run.recipe()).tag(STEP, stepKey).register(meters).increment();
        }

        @Override
        public void leaseLost() {
            Counter.builder(LEASE_LOSSES).description("Runs that lost their job's lease to another runner")
                    .tag(RECIPE, run.recipe()).register(meters).increment();
        }

        @Override
        public void runEnded(RunOutcome outcome) {
            scope.close();
            job.lowCardinalityKeyValue(OUTCOME, outcome.value()).stop();
        }
    }

    /** One attempt: its observation, in scope on the step's thread while it executes. */
    private static final class Attempt implements AttemptObserver {
        private final Observation step;
        private final Optional<AttemptTrace> trace;

        Attempt(Observation step, Optional<AttemptTrace> trace) {
            this.step = step;
            this.trace = trace;
        }

        @Override
        public Optional<AttemptTrace> trace() {
            return trace;
        }

        @Override
        public Scope executing() {
            Observation.Scope scope = step.openScope();
            return scope::close;
        }

        @Override
        public void attemptEnded(StepOutcome outcome, Optional<Throwable> error) {
            error.ifPresent(step::error);
            step.lowCardinalityKeyValue(OUTCOME, outcome.value()).stop();
        }
    }

    private static boolean present(String className) {
        try {
            Class.forName(className, false, StepwiseObservability.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** Settings of {@link StepwiseObservability}; every setter returns this builder. */
    public static final class Builder {
        private final ObservationRegistry observations;
        private final MeterRegistry meters;
        private Duration gaugeRefresh = DEFAULT_GAUGE_REFRESH;

        private Builder(ObservationRegistry observations, MeterRegistry meters) {
            this.observations = Objects.requireNonNull(observations, "observations");
            this.meters = Objects.requireNonNull(meters, "meters");
        }

        /**
         * @param interval the longest a queue gauge's value may be old: the store is read at most
         *                 once per interval (default {@link #DEFAULT_GAUGE_REFRESH})
         * @return this
         * @throws IllegalArgumentException if it is negative
         */
        public Builder gaugeRefresh(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("gaugeRefresh must be >= 0, was " + interval);
            }
            this.gaugeRefresh = interval;
            return this;
        }

        /** @return the listener, to pass to {@code JobEngineBuilder.eventListener} */
        public StepwiseObservability build() {
            return new StepwiseObservability(this);
        }
    }
}
