package dev.stepwise.engine.core;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;

/**
 * Settings of {@link JobEngine#startWorkers(WorkerOptions)}.
 *
 * @param count         worker loops (each runs one job at a time), >= 1
 * @param pollInterval  how often an idle worker looks for runnable jobs; a job submitted in
 *                      this process wakes an idle worker at once
 * @param shutdownGrace how long {@link Workers#close()} lets running steps finish before
 *                      abandoning them (they run again later)
 * @param recipeLimits  per recipe slug, the most jobs that may run at once across every
 *                      worker on the store; with limits set, workers claim through the store's
 *                      {@code claimNext} (counting and claiming in one transaction), without
 *                      them they claim with the job's first write (see {@link Workers})
 * @param executor      runs the worker loops (e.g. virtual threads on Java 21+), or null for
 *                      named platform threads {@code stepwise-worker-N}
 */
public record WorkerOptions(int count, Duration pollInterval, Duration shutdownGrace, Map<String, Integer> recipeLimits,
        ExecutorService executor) {

    /** Default worker count. */
    public static final int DEFAULT_COUNT = 1;
    /** Default poll interval. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(500);
    /** Default shutdown grace period. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(30);

    /** Validates the settings. */
    public WorkerOptions {
        Objects.requireNonNull(pollInterval, "pollInterval");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, was " + count);
        }
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace must be >= 0, was " + shutdownGrace);
        }
        recipeLimits = recipeLimits == null ? Map.of() : Map.copyOf(recipeLimits);
        recipeLimits.forEach((slug, limit) -> {
            if (limit < 1) {
                throw new IllegalArgumentException("limit of recipe '" + slug + "' must be >= 1, was " + limit);
            }
        });
    }

    /** @return one worker, the default poll interval and grace, no limits, own threads */
    public static WorkerOptions defaults() {
        return new WorkerOptions(DEFAULT_COUNT, DEFAULT_POLL_INTERVAL, DEFAULT_SHUTDOWN_GRACE, Map.of(), null);
    }

    /** @param n worker count @return a copy with it */
    public WorkerOptions withCount(int n) {
        return new WorkerOptions(n, pollInterval, shutdownGrace, recipeLimits, executor);
    }

    /** @param d poll interval @return a copy with it */
    public WorkerOptions withPollInterval(Duration d) {
        return new WorkerOptions(count, d, shutdownGrace, recipeLimits, executor);
    }

    /** @param d shutdown grace @return a copy with it */
    public WorkerOptions withShutdownGrace(Duration d) {
        return new WorkerOptions(count, pollInterval, d, recipeLimits, executor);
    }

    /** @param limits per-recipe concurrency limits @return a copy with them */
    public WorkerOptions withRecipeLimits(Map<String, Integer> limits) {
        return new WorkerOptions(count, pollInterval, shutdownGrace, limits, executor);
    }

    /** @param e the executor for worker loops @return a copy with it */
    public WorkerOptions withExecutor(ExecutorService e) {
        return new WorkerOptions(count, pollInterval, shutdownGrace, recipeLimits, e);
    }
}
