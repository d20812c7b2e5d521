package dev.stepwise.engine.micrometer;

import dev.stepwise.engine.api.QueueStats;
import dev.stepwise.engine.core.JobEngine;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-recipe queue gauges: jobs pending, running and failed, and the queue lag. Every gauge
 * reads one snapshot of {@link JobEngine#queueStats()}, taken again at most once per refresh
 * interval (on the first read after it passed, so no thread of our own). A recipe gets its gauges
 * when the engine is built (every published recipe) and when a refresh or a run first sees it.
 */
final class QueueGauges {
    private static final Logger LOG = LoggerFactory.getLogger(QueueGauges.class);
    private static final QueueStats NONE = new QueueStats("", 0, 0, 0, Optional.empty());

    private final MeterRegistry meters;
    private final long refreshNanos;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private volatile JobEngine engine;
    private volatile Map<String, QueueStats> snapshot = Map.of();
    private volatile long readNanos;
    private volatile boolean read;

    QueueGauges(MeterRegistry meters, Duration refresh) {
        this.meters = meters;
        this.refreshNanos = refresh.toNanos();
    }

    /** @param built the engine whose store the gauges read */
    void attach(JobEngine built) {
        this.engine = built;
        built.catalog().recipes().forEach(r -> register(r.slug()));
        refresh();
    }

    /** @param recipe a recipe slug a run or a refresh saw: its gauges exist after this */
    void register(String recipe) {
        if (!registered.add(recipe)) {
            return;
        }
        gauge(recipe, "pending", QueueStats::pending);
        gauge(recipe, "running", QueueStats::running);
        gauge(recipe, "failed", QueueStats::failed);
        TimeGauge.builder(StepwiseObservability.QUEUE_LAG, () -> lagSeconds(recipe), TimeUnit.SECONDS)
                .description("How long the oldest runnable pending job of the recipe has waited (zero when none waits)")
                .tag(StepwiseObservability.RECIPE, recipe)
                .register(meters);
    }

    private void gauge(String recipe, String status, ToDoubleFunction<QueueStats> count) {
        Gauge.builder(StepwiseObservability.JOBS, () -> count.applyAsDouble(stats(recipe)))
                .description("Jobs of the recipe in this status (read from the store at most once per refresh interval)")
                .tag(StepwiseObservability.RECIPE, recipe)
                .tag(StepwiseObservability.STATUS, status)
                .register(meters);
    }

    private double lagSeconds(String recipe) {
        JobEngine e = engine;
        QueueStats s = stats(recipe);
        if (e == null || s.oldestRunnableSince().isEmpty()) {
            return 0;
        }
        Instant now = e.clock().instant();
        return s.lag(now).toNanos() / 1e9;
    }

    private QueueStats stats(String recipe) {
        if (!read || System.nanoTime() - readNanos >= refreshNanos) {
            refresh();
        }
        return snapshot.getOrDefault(recipe, NONE);
    }

    private synchronized void refresh() {
        JobEngine e = engine;
        if (e == null || (read && System.nanoTime() - readNanos < refreshNanos)) {
            return; // not attached yet, or another gauge refreshed meanwhile
        }
        readNanos = System.nanoTime();
        read = true;
        try {
            Map<String, QueueStats> fresh = new TreeMap<>();
            for (QueueStats s : e.queueStats()) {
                fresh.put(s.recipe(), s);
            }
            snapshot = fresh;
            fresh.keySet().forEach(this::register);
        } catch (RuntimeException ex) {
            LOG.warn("queue gauges: reading the store failed; keeping the previous values: {}", ex.toString());
        }
    }
}
