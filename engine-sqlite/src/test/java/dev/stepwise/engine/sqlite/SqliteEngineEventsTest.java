package dev.stepwise.engine.sqlite;

import static dev.stepwise.engine.core.contract.Fakes.assertValidManifest;
import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.AttemptTrace;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.RetryPolicy;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.core.EngineListener;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.core.contract.MutableClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The public {@link EngineListener} on a SQLite file: the events a host integration sees, and listeners that throw. */
class SqliteEngineEventsTest {
    private static final RetryPolicy ONE_RETRY = RetryPolicy.builder().maxAttempts(2).initialDelay(Duration.ZERO)
            .jitter(false).build();

    @TempDir
    Path dir;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));

    /** Records every event as a line; gives every attempt trace ids made of its step and number. */
    static final class Recorder implements EngineListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void orphanRecovered(Job job) {
            events.add("orphan " + job.recipeSlug());
        }

        @Override
        public RunObserver runStarted(RunStarted run) {
            events.add("run " + run.recipe());
            return new RunObserver() {
                @Override
                public AttemptObserver attemptStarted(AttemptStarted a) {
                    events.add("attempt " + a.stepKey() + "#" + a.attempt()
                            + a.previousTrace().map(p -> " after " + p.spanId()).orElse(""));
                    return new AttemptObserver() {
                        @Override
                        public Optional<AttemptTrace> trace() {
                            return Optional.of(new AttemptTrace("trace-" + a.jobId(), "span-" + a.stepKey() + a.attempt()));
                        }

                        @Override
                        public Scope executing() {
                            events.add("executing " + a.stepKey() + " on " + Thread.currentThread().getName());
                            return () -> events.add("executed " + a.stepKey());
                        }

                        @Override
                        public void attemptEnded(StepOutcome outcome, Optional<Throwable> error) {
                            events.add("ended " + a.stepKey() + "#" + a.attempt() + " " + outcome.value()
                                    + error.map(e -> " (" + e.getMessage() + ")").orElse(""));
                        }
                    };
                }

                @Override
                public void stepReused(String stepKey, StepOutcome outcome) {
                    events.add("reused " + stepKey + " " + outcome.value());
                }

                @Override
                public void retryScheduled(String stepKey, int attempt, Duration delay) {
                    events.add("retry " + stepKey + "#" + attempt + " in " + delay.toMillis() + " ms");
                }

                @Override
                public void poisonPill(String stepKey, int interruptions) {
                    events.add("poison " + stepKey + " x" + interruptions);
                }

                @Override
                public void leaseLost() {
                    events.add("lease lost");
                }

                @Override
                public void runEnded(RunOutcome outcome) {
                    events.add("run ended " + outcome.value());
                }
            };
        }
    }

    /** Throws in every event. */
    static final class Thrower implements EngineListener {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public RunObserver runStarted(RunStarted run) {
            calls.incrementAndGet();
            throw new IllegalStateException("a broken metrics integration");
        }

        @Override
        public void engineBuilt(JobEngine engine) {
            calls.incrementAndGet();
            throw new IllegalStateException("a broken metrics integration");
        }
    }

    private JobEngineBuilder engine(SqliteJobStore store, EngineListener... listeners) {
        AtomicInteger flaky = new AtomicInteger();
        JobEngineBuilder b = JobEngine.builder(store).clock(clock)
                .step("ok", ctx -> Map.of("ok", true))
                .step("flaky", ctx -> {
                    if (flaky.incrementAndGet() == 1) {
                        throw new IllegalStateException("first call fails");
                    }
                    return Map.of();
                })
                .recipe(Recipe.builder("chain").step("a", "ok")
                        .step(StepDefinition.builder("b", "flaky").retry(ONE_RETRY).build()).build());
        for (EngineListener l : listeners) {
            b.eventListener(l);
        }
        return b;
    }

    private SqliteJobStore store() {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }

    @Test
    void aRunTellsEveryStepAttemptInOrderAndStoresTheTraceIdsTheObserverGave() {
        Recorder recorder = new Recorder();
        try (SqliteJobStore store = store(); JobEngine engine = engine(store, recorder).build()) {
            Job job = engine.run(engine.createJob("chain", obj()).id());

            assertEquals(JobStatus.COMPLETED, job.status());
            String me = Thread.currentThread().getName();
            assertEquals(List.of("run chain",
                    "attempt a#1", "executing a on " + me, "executed a", "ended a#1 success",
                    "attempt b#1", "executing b on " + me, "executed b", "ended b#1 retried (first call fails)", "retry b#1 in 0 ms",
                    "attempt b#2 after span-b1", "executing b on " + me, "executed b", "ended b#2 success",
                    "run ended completed"), recorder.events);
            JsonNode manifest = engine.manifest(job.id());
            assertValidManifest(manifest);
            JsonNode a = manifest.path("steps").get(0).path("attempt_log");
            assertEquals(1, a.size(), "a step with one traced attempt shows its attempt log");
            assertEquals("trace-" + job.id(), a.get(0).path("trace").path("trace_id").asString());
            assertEquals("span-a1", a.get(0).path("trace").path("span_id").asString());
            assertEquals("span-b2", manifest.path("steps").get(1).path("attempt_log").get(1).path("trace").path("span_id").asString());
            assertEquals(Optional.of(new AttemptTrace("trace-" + job.id(), "span-b1")),
                    store.findSteps(job.id()).get(1).attemptLog().get(0).trace(), "the trace ids are stored with the attempt");
        }
    }

    @Test
    void aListenerThatThrowsChangesNothingAndTheOthersStillHearEverything() {
        Thrower thrower = new Thrower();
        Recorder recorder = new Recorder();
        try (SqliteJobStore store = store(); JobEngine engine = engine(store, thrower, recorder).build()) {
            Job job = engine.run(engine.createJob("chain", obj()).id());

            assertEquals(JobStatus.COMPLETED, job.status(), () -> "last error: " + job.lastError());
            assertEquals(2, thrower.calls.get());
            assertEquals("run ended completed", recorder.events.get(recorder.events.size() - 1));
            assertTrue(store.findSteps(job.id()).stream().allMatch(s -> s.status().hasOutput()));
            assertValidManifest(engine.manifest(job.id()));
        }
    }

    @Test
    void aCrashedStepRunAgainSeesThePreviousTraceAndAPoisonPillAndARecoveryAreTold() {
        RunListener crash = new RunListener() {
            @Override
            public void afterStepExecuted(String jobId, String stepKey) {
                throw new IllegalStateException("simulated crash after step " + stepKey);
            }
        };
        String id;
        try (SqliteJobStore store = store(); JobEngine first = engine(store).listener(crash).build()) {
            id = first.createJob("chain", obj()).id();
            assertThrows(IllegalStateException.class, () -> first.run(id));
        }
        clock.advance(JobEngine.DEFAULT_LEASE_TTL.plusSeconds(1));
        Recorder recorder = new Recorder();
        try (SqliteJobStore store = store(); JobEngine second = engine(store, recorder).maxInterruptions(0).build()) {
            Job failed = second.run(id);

            assertEquals(JobStatus.FAILED, failed.status());
            assertEquals(List.of("orphan chain", "run chain", "poison a x1", "run ended failed"), recorder.events);
        }
    }

    @Test
    void aRunnerThatLosesItsLeaseTellsItOnceAndEndsLeaseLost() throws Exception {
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Recorder slowRecorder = new Recorder();
        try (SqliteJobStore store = store();
                JobEngine slow = JobEngine.builder(store).clock(clock).runnerId("slow")
                        .heartbeatInterval(Duration.ofSeconds(29))
                        .eventListener(slowRecorder)
                        .step("wait", ctx -> {
                            inStep.countDown();
                            release.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS);
                            return Map.of();
                        })
                        .recipe(Recipe.builder("stall").step("a", "wait").build()).build();
                JobEngine other = JobEngine.builder(store).clock(clock).runnerId("other")
                        .step("wait", ctx -> Map.of())
                        .recipe(Recipe.builder("stall").step("a", "wait").build()).build()) {
            String id = slow.createJob("stall", obj()).id();
            CompletableFuture<Job> stalled = CompletableFuture.supplyAsync(() -> slow.run(id));
            assertTrue(inStep.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            clock.advance(JobEngine.DEFAULT_LEASE_TTL.plusSeconds(1));
            assertEquals(JobStatus.COMPLETED, other.run(id).status());
            release.countDown();

            Throwable thrown = assertThrows(java.util.concurrent.ExecutionException.class, stalled::get).getCause();
            assertTrue(thrown instanceof LeaseLostException, () -> "threw " + thrown);
            assertEquals(List.of("lease lost", "run ended lease-lost"),
                    slowRecorder.events.subList(slowRecorder.events.size() - 2, slowRecorder.events.size()));
            assertEquals(1, slowRecorder.events.stream().filter(e -> e.equals("lease lost")).count());
        }
    }
}
