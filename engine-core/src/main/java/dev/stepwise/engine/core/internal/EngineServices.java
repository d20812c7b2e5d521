package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.api.ManifestWriter;
import dev.stepwise.engine.api.SecretResolver;
import dev.stepwise.engine.api.Step;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * What a runner needs from its engine: the store, step registry, writers, clock, lease
 * settings, the heartbeat scheduler and the handles of the jobs running in this process.
 *
 * @param store             the store
 * @param steps             step implementations by type
 * @param writers           manifest writers
 * @param clock             the clock
 * @param runnerId          this engine's runner id (lease owner)
 * @param leaseTtl          lease time-to-live
 * @param heartbeatInterval heartbeat interval
 * @param maxInterruptions  poison-pill limit
 * @param heartbeats        the heartbeat scheduler, created on first use
 * @param active            handles of jobs running here, by job id
 * @param listener          test and observability hooks
 * @param secrets           resolves secret references in config
 * @param jobParallelism    most steps of one job running at once
 * @param stepExecutor      runs steps off the runner's thread (timeouts, parallel steps, workers)
 * @param jsonGuard         checks inputs and step outputs against the JSON limits
 */
public record EngineServices(JobStore store, Map<String, Step> steps, List<ManifestWriter> writers, Clock clock,
        String runnerId, Duration leaseTtl, Duration heartbeatInterval, int maxInterruptions,
        Supplier<ScheduledExecutorService> heartbeats, ConcurrentHashMap<String, RunHandle> active,
        RunListener listener, SecretResolver secrets, int jobParallelism, Supplier<ExecutorService> stepExecutor,
        JsonGuard jsonGuard) {

    private static final Logger LOG = LoggerFactory.getLogger(EngineServices.class);

    /** @return the clock's time, truncated to milliseconds (what the store keeps) */
    public Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    /**
     * Hands a committed manifest to every writer; a failing writer is logged, not fatal.
     *
     * @param job      the job as committed
     * @param manifest its manifest
     */
    public void publish(Job job, JsonNode manifest) {
        for (ManifestWriter w : writers) {
            try {
                w.write(job, manifest);
            } catch (Exception e) {
                LOG.error("manifest writer {} failed for job {}: {}", w, job.id(), e.toString(), e);
            }
        }
    }
}
