package dev.stepwise.spring.boot;

import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import java.util.Objects;
import java.util.Optional;
import org.springframework.context.SmartLifecycle;

/**
 * The engine's workers as part of the application context's lifecycle: started once the context
 * has started (after every other bean is ready), stopped when it closes. Stopping is graceful and
 * happens before any bean is destroyed: no new claims, running steps get
 * {@link WorkerOptions#shutdownGrace()} to finish and be checkpointed, unfinished jobs go back to
 * {@code pending} with their lease released, for the next worker (in this or another process).
 *
 * <p>{@link #stop()} blocks until the workers have stopped, so Spring's
 * {@code spring.lifecycle.timeout-per-shutdown-phase} does not cut the grace period short.
 */
public final class StepwiseWorkers implements SmartLifecycle {
    /**
     * The lifecycle phase: {@link SmartLifecycle#DEFAULT_PHASE}, so workers start after, and stop
     * before, the web server and other lifecycle beans of lower phases.
     */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE;

    private final JobEngine engine;
    private final WorkerOptions options;
    private final Object lock = new Object();
    private Workers workers;

    /**
     * @param engine  the engine whose workers these are
     * @param options the worker settings
     */
    public StepwiseWorkers(JobEngine engine, WorkerOptions options) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Starts the workers (a no-op when they run). */
    @Override
    public void start() {
        synchronized (lock) {
            if (workers == null) {
                workers = engine.startWorkers(options);
            }
        }
    }

    /** Stops the workers gracefully (see the class comment) and returns when they have stopped. */
    @Override
    public void stop() {
        Workers running;
        synchronized (lock) {
            running = workers;
            workers = null;
        }
        if (running != null) {
            running.close();
        }
    }

    /** @return whether the workers run */
    @Override
    public boolean isRunning() {
        synchronized (lock) {
            return workers != null;
        }
    }

    /** @return {@link #PHASE} */
    @Override
    public int getPhase() {
        return PHASE;
    }

    /** @return the running workers (e.g. for {@link Workers#jobsRun()}), or empty when stopped */
    public Optional<Workers> workers() {
        synchronized (lock) {
            return Optional.ofNullable(workers);
        }
    }

    /** @return the worker settings */
    public WorkerOptions options() {
        return options;
    }
}
