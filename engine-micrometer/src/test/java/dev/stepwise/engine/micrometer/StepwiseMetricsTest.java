package dev.stepwise.engine.micrometer;

import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobCancelledException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.RetryPolicy;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.core.contract.MutableClock;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Meters of a real engine on a SQLite file: step and job timers by outcome, counters, queue gauges. */
class StepwiseMetricsTest {
    private static final RetryPolicy ONE_RETRY = RetryPolicy.builder().maxAttempts(2).initialDelay(Duration.ZERO)
            .jitter(false).build();

    @TempDir
    Path dir;
    private SqliteJobStore store;
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ObservationRegistry observations = ObservationRegistry.create();
    private JobEngine engine;

    @BeforeEach
    void open() {
        store = SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
        observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters));
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
        store.close();
    }

    @Test
    void stepAndJobTimersCountEachOutcomeWithLowCardinalityTags() {
        AtomicInteger flakyCalls = new AtomicInteger();
        AtomicInteger boomCalls = new AtomicInteger();
        engine = JobEngine.builder(store)
                .eventListener(StepwiseObservability.builder(observations, meters).build())
                .step("ok", ctx -> Map.of("ok", true))
                .step("flaky", ctx -> {
                    if (flakyCalls.incrementAndGet() == 1) {
                        throw new IllegalStateException("first call fails");
                    }
                    return Map.of("flaky", "fine");
                })
                .step("boom", ctx -> {
                    boomCalls.incrementAndGet();
                    throw new PermanentStepException("boom: the service said no");
                })
                .step("quit", ctx -> {
                    engine.cancel(ctx.jobId());
                    throw new JobCancelledException(ctx.jobId());
                })
                .recipe(Recipe.builder("pipeline").step("a", "ok")
                        .step(StepDefinition.builder("b", "flaky").retry(ONE_RETRY).build()).build())
                .recipe(Recipe.builder("failing").step("a", "ok").step("b", "boom").build())
                .recipe(Recipe.builder("quitting").step("a", "ok").step("b", "quit").build())
                .build();

        Job done = engine.run(engine.createJob("pipeline", obj()).id());
        Job failed = engine.run(engine.createJob("failing", obj()).id());
        engine.retry(failed.id());
        Job failedAgain = engine.run(failed.id()); // step a reuses its checkpoint, b fails again
        Job cancelled = engine.run(engine.createJob("quitting", obj()).id());

        assertEquals(JobStatus.COMPLETED, done.status(), () -> "last error: " + done.lastError());
        assertEquals(JobStatus.FAILED, failedAgain.status());
        assertEquals(JobStatus.CANCELLED, cancelled.status());
        assertEquals(2, boomCalls.get());

        assertEquals(1, stepCount("pipeline", "a", "success"));
        assertEquals(1, stepCount("pipeline", "b", "retried"));
        assertEquals(1, stepCount("pipeline", "b", "success"));
        assertEquals(1, stepCount("failing", "a", "success"));
        assertEquals(1, stepCount("failing", "a", "skipped-checkpoint"));
        assertEquals(2, stepCount("failing", "b", "failed"));
        assertEquals(1, stepCount("quitting", "b", "cancelled"));

        assertEquals(1, jobCount("pipeline", "completed"));
        assertEquals(2, jobCount("failing", "failed"));
        assertEquals(1, jobCount("quitting", "cancelled"));

        assertEquals(1.0, meters.get(StepwiseObservability.RETRIES).tags("recipe", "pipeline", "step", "b").counter().count());
        for (Meter m : meters.getMeters()) {
            for (Tag t : m.getId().getTags()) {
                assertTrue(Map.of("recipe", 1, "step", 1, "outcome", 1, "status", 1, "error", 1).containsKey(t.getKey()),
                        () -> "meter " + m.getId() + " has a tag outside the documented ones");
                assertTrue(!t.getValue().equals(done.id()) && !t.getValue().equals(failed.id()),
                        () -> "meter " + m.getId() + " carries a job id as a tag");
            }
        }
    }

    @Test
    void aStepReusedFromAnotherJobCountsAsSkippedCache() {
        engine = JobEngine.builder(store)
                .eventListener(StepwiseObservability.builder(observations, meters).build())
                .step("ok", ctx -> Map.of("ok", true))
                .recipe(Recipe.builder("cached").step(StepDefinition.builder("a", "ok").cache(true).build()).build())
                .build();

        engine.run(engine.createJob("cached", obj()).id());
        Job second = engine.run(engine.createJob("cached", obj()).id());

        assertEquals(JobStatus.COMPLETED, second.status());
        assertEquals(1, stepCount("cached", "a", "success"));
        assertEquals(1, stepCount("cached", "a", "skipped-cache"));
    }

    @Test
    void gaugesFollowSubmittedAndClaimedJobsAndTheQueueLag() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        CountDownLatch release = new CountDownLatch(1);
        engine = JobEngine.builder(store).clock(clock)
                .eventListener(StepwiseObservability.builder(observations, meters).gaugeRefresh(Duration.ZERO).build())
                .step("hold", ctx -> {
                    release.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS);
                    return Map.of();
                })
                .recipe(Recipe.builder("queued").step("a", "hold").build())
                .build();
        assertEquals(0.0, gauge("queued", "pending"));

        for (int i = 0; i < 3; i++) {
            engine.submit("queued", obj(), SubmitOptions.defaults());
        }
        assertEquals(3.0, gauge("queued", "pending"));
        clock.advance(Duration.ofSeconds(42));
        assertEquals(42.0, meters.get(StepwiseObservability.QUEUE_LAG).tag("recipe", "queued").timeGauge()
                .value(TimeUnit.SECONDS));

        try (Workers workers = engine.startWorkers(WorkerOptions.defaults().withCount(1).withPollInterval(Duration.ofMillis(20)))) {
            Await.until("one job claimed", () -> gauge("queued", "running") == 1.0 && gauge("queued", "pending") == 2.0);
            release.countDown();
            Await.until("every job done", () -> gauge("queued", "pending") == 0.0 && gauge("queued", "running") == 0.0);
        }
        assertEquals(0.0, meters.get(StepwiseObservability.QUEUE_LAG).tag("recipe", "queued").timeGauge().value(TimeUnit.SECONDS));
        assertEquals(3, jobCount("queued", "completed"));
    }

    @Test
    void gaugesReadTheStoreAtMostOncePerRefreshInterval() {
        engine = JobEngine.builder(store)
                .eventListener(StepwiseObservability.builder(observations, meters).gaugeRefresh(Duration.ofHours(1)).build())
                .step("ok", ctx -> Map.of())
                .recipe(Recipe.builder("slow-refresh").step("a", "ok").build())
                .build();
        engine.submit("slow-refresh", obj(), SubmitOptions.defaults());

        assertEquals(0.0, gauge("slow-refresh", "pending"), "the snapshot taken when the engine was built is kept for the interval");
    }

    @Test
    void crashesCountAsRecoveriesAndPoisonPillsAndAStalledRunnerAsALeaseLoss() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        RunListener crash = new RunListener() {
            @Override
            public void afterStepExecuted(String jobId, String stepKey) {
                throw new IllegalStateException("simulated crash after step " + stepKey);
            }
        };
        StepwiseObservability observability = StepwiseObservability.builder(observations, meters).build();
        String crashed;
        try (JobEngine first = JobEngine.builder(store).clock(clock).listener(crash).step("ok", ctx -> Map.of())
                .recipe(Recipe.builder("crashy").step("a", "ok").build()).build()) {
            crashed = first.createJob("crashy", obj()).id();
            assertThrows(IllegalStateException.class, () -> first.run(crashed));
        }
        clock.advance(JobEngine.DEFAULT_LEASE_TTL.plusSeconds(1));
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        engine = JobEngine.builder(store).clock(clock).maxInterruptions(0).heartbeatInterval(Duration.ofSeconds(29))
                .eventListener(observability)
                .step("ok", ctx -> Map.of())
                .step("stall", ctx -> {
                    inStep.countDown();
                    release.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS);
                    return Map.of();
                })
                .recipe(Recipe.builder("crashy").step("a", "ok").build())
                .recipe(Recipe.builder("stalling").step("a", "stall").build())
                .build();
        assertEquals(JobStatus.FAILED, engine.run(crashed).status(), "interrupted more than maxInterruptions (0) times");
        assertEquals(1.0, meters.get(StepwiseObservability.RECOVERIES).tag("recipe", "crashy").counter().count());
        assertEquals(1.0, meters.get(StepwiseObservability.POISON_PILLS).tags("recipe", "crashy", "step", "a").counter().count());

        String stalled = engine.createJob("stalling", obj()).id();
        CompletableFuture<Job> slow = CompletableFuture.supplyAsync(() -> engine.run(stalled));
        assertTrue(inStep.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
        clock.advance(JobEngine.DEFAULT_LEASE_TTL.plusSeconds(1));
        try (JobEngine other = JobEngine.builder(store).clock(clock).runnerId("other").recoverOnStart(false)
                .step("stall", ctx -> Map.of()).recipe(Recipe.builder("stalling").step("a", "stall").build()).build()) {
            assertEquals(JobStatus.COMPLETED, other.run(stalled).status());
        }
        release.countDown();
        ExecutionException lost = assertThrows(ExecutionException.class, slow::get);
        assertTrue(lost.getCause() instanceof LeaseLostException, () -> "threw " + lost.getCause());
        assertEquals(1.0, meters.get(StepwiseObservability.LEASE_LOSSES).tag("recipe", "stalling").counter().count());
        assertEquals(1, jobCount("stalling", "lease-lost"));
    }

    private double gauge(String recipe, String status) {
        return meters.get(StepwiseObservability.JOBS).tags("recipe", recipe, "status", status).gauge().value();
    }

    private long stepCount(String recipe, String step, String outcome) {
        Timer t = meters.find(StepwiseObservability.STEP_OBSERVATION).tags("recipe", recipe, "step", step, "outcome", outcome)
                .timer();
        return t == null ? 0 : t.count();
    }

    private long jobCount(String recipe, String outcome) {
        Timer t = meters.find(StepwiseObservability.JOB_OBSERVATION).tags("recipe", recipe, "outcome", outcome).timer();
        return t == null ? 0 : t.count();
    }
}
