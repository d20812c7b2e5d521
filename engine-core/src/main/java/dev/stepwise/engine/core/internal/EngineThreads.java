package dev.stepwise.engine.core.internal;

import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads an engine owns, each created on first use: one daemon heartbeat scheduler
 * ({@code stepwise-heartbeat}) and, unless the host supplies its own executor, a cached pool of
 * daemon step threads ({@code stepwise-step-N}). {@link #close()} stops them; asking for one
 * after that is an {@link IllegalStateException}. Thread-safe.
 */
public final class EngineThreads {
    /** Name of the heartbeat thread. */
    public static final String HEARTBEAT_THREAD = "stepwise-heartbeat";
    /** Prefix of the step threads' names (followed by a number). */
    public static final String STEP_THREAD_PREFIX = "stepwise-step-";

    private final Object lock = new Object();
    private final Optional<ExecutorService> hostStepExecutor;
    private ScheduledExecutorService heartbeats;
    private ExecutorService stepExecutor;
    private boolean closed;

    /**
     * @param hostStepExecutor the host's step executor (the host shuts it down), or empty for
     *                         the engine's own pool
     */
    public EngineThreads(Optional<ExecutorService> hostStepExecutor) {
        this.hostStepExecutor = hostStepExecutor;
    }

    /**
     * @return the heartbeat scheduler, created on first use
     * @throws IllegalStateException if the engine is closed
     */
    public ScheduledExecutorService heartbeats() {
        synchronized (lock) {
            ensureOpen();
            if (heartbeats == null) {
                ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> daemon(r, HEARTBEAT_THREAD));
                ex.setRemoveOnCancelPolicy(true);
                heartbeats = Executors.unconfigurableScheduledExecutorService(ex);
            }
            return heartbeats;
        }
    }

    /**
     * @return the host's step executor, or the engine's own pool, created on first use
     * @throws IllegalStateException if the engine is closed and has no host executor
     */
    public ExecutorService stepExecutor() {
        if (hostStepExecutor.isPresent()) {
            return hostStepExecutor.get();
        }
        synchronized (lock) {
            ensureOpen();
            if (stepExecutor == null) {
                AtomicInteger n = new AtomicInteger();
                stepExecutor = Executors.newCachedThreadPool(r -> daemon(r, STEP_THREAD_PREFIX + n.incrementAndGet()));
            }
            return stepExecutor;
        }
    }

    /** @throws IllegalStateException if the engine is closed */
    public void ensureOpen() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("this JobEngine is closed");
            }
        }
    }

    /** Stops the heartbeat and the engine's own step threads (not the host's executor). Idempotent. */
    public void close() {
        synchronized (lock) {
            closed = true;
            if (heartbeats != null) {
                heartbeats.shutdownNow();
            }
            if (stepExecutor != null) {
                stepExecutor.shutdownNow();
            }
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
