package dev.stepwise.engine.core.contract;

import static dev.stepwise.engine.core.contract.Fakes.assertValidManifest;
import static dev.stepwise.engine.core.contract.Fakes.json;
import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.Manifest;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownStepException;
import dev.stepwise.engine.core.JobEngine;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * {@code JobEngine.retryFrom(jobId, stepKey)} on every store: the step and its downstream steps
 * lose their checkpoints in one guarded write and run again; upstream checkpoints are reused;
 * the log and the manifest record it; a running or pending job is refused.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class RetryFromContract extends StoreContractBase {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private MutableClock clock;
    private Fakes.Echo echo;

    @BeforeEach
    void startClock() {
        clock = new MutableClock(T0);
        echo = new Fakes.Echo();
    }

    private JobEngine engine(Recipe recipe) {
        return track(JobEngine.builder(store).clock(clock).step("echo", echo).recipe(recipe));
    }

    private static Recipe abcd() {
        return Recipe.builder("abcd").step("a", "echo").step("b", "echo").step("c", "echo").step("d", "echo").build();
    }

    private Map<String, JobStep> steps(String jobId) {
        return store.findSteps(jobId).stream().collect(Collectors.toMap(JobStep::stepKey, Function.identity()));
    }

    @Test
    void aCompletedJobRetriedFromAStepReRunsItAndEveryLaterStepAndReusesTheEarlierOnes() {
        JobEngine engine = engine(abcd());
        Job done = engine.run(engine.createJob("abcd", obj()).id());
        assertEquals(JobStatus.COMPLETED, done.status());
        Map<String, JobStep> before = steps(done.id());

        Job pending = engine.retryFrom(done.id(), "b");

        assertEquals(JobStatus.PENDING, pending.status());
        Job stored = store.findJob(done.id()).orElseThrow();
        assertEquals(JobStatus.PENDING, stored.status());
        assertNull(stored.finishedAt());
        assertEquals(25, stored.progress(), "a's checkpoint is kept: 1 of 4 steps done");
        Map<String, JobStep> reset = steps(done.id());
        assertEquals(before.get("a"), reset.get("a"), "upstream step untouched");
        for (String k : List.of("b", "c", "d")) {
            JobStep s = reset.get(k);
            assertEquals(StepStatus.PENDING, s.status(), k);
            assertNull(s.inputHash(), k);
            assertNull(s.outputRefs(), k);
            assertEquals(1, s.attempts(), k + ": attempts keep counting");
        }
        List<LogEntry> logs = engine.logs(done.id(), 0, 1000);
        assertTrue(logs.stream().anyMatch(l -> l.stepKey() == null
                && l.message().equals("job retried from step 'b' (was completed); checkpoints dropped: b, c, d")), logs.toString());
        JsonNode manifest = stored.manifest();
        assertValidManifest(manifest);
        assertEquals("pending", manifest.get("status").asString());
        assertEquals(1, manifest.get("retries").size());
        JsonNode retry = manifest.at("/retries/0");
        assertEquals("b", retry.get("from_step").asString());
        assertEquals(json("[\"b\",\"c\",\"d\"]"), retry.get("reset_steps"));
        assertEquals("completed", retry.get("previous_status").asString());
        assertEquals(T0.toString(), retry.get("at").asString());

        Job again = engine.run(done.id());

        assertEquals(JobStatus.COMPLETED, again.status());
        assertEquals(1, echo.executions("a"), "a's checkpoint was reused");
        for (String k : List.of("b", "c", "d")) {
            assertEquals(2, echo.executions(k), k + " ran again although its input did not change");
        }
        Map<String, JobStep> after = steps(done.id());
        assertEquals(StepStatus.SKIPPED, after.get("a").status());
        assertEquals("checkpoint", after.get("a").skipReason());
        for (String k : List.of("b", "c", "d")) {
            assertEquals(StepStatus.SUCCESS, after.get(k).status(), k);
            assertEquals(2, after.get(k).attempts(), k);
            assertEquals(before.get(k).inputHash(), after.get(k).inputHash(), k + ": same inputs, same hash");
        }
        JsonNode finalManifest = again.manifest();
        assertValidManifest(finalManifest);
        assertEquals(retry, finalManifest.at("/retries/0"), "the run keeps the retry in the manifest");
        assertEquals(finalManifest, engine.manifest(done.id()));
        assertEquals(Manifest.fromJson(finalManifest).toJson(), finalManifest, "retries survive a round trip");
    }

    @Test
    void aFailedJobRetriedFromAnEarlierStepReRunsFromThereAndCanSucceed() {
        AtomicInteger flaky = new AtomicInteger();
        JobEngine engine = track(JobEngine.builder(store).clock(clock).step("echo", echo)
                .step("flaky", ctx -> {
                    if (flaky.incrementAndGet() == 1) {
                        throw new IllegalStateException("first time fails");
                    }
                    return json("{\"ok\":true}");
                })
                .recipe(Recipe.builder("flaky").step("a", "echo").step("b", "echo").step("c", "flaky").step("d", "echo").build()));
        Job failed = engine.run(engine.createJob("flaky", obj()).id());
        assertEquals(JobStatus.FAILED, failed.status());

        engine.retryFrom(failed.id(), "b");
        Job pending = store.findJob(failed.id()).orElseThrow();
        assertNull(pending.lastError(), "the old error is cleared");
        Job done = engine.run(failed.id());

        assertEquals(JobStatus.COMPLETED, done.status());
        assertEquals(1, echo.executions("a"));
        assertEquals(2, echo.executions("b"));
        assertEquals(2, flaky.get());
        assertEquals(1, echo.executions("d"));
        assertEquals("failed", done.manifest().at("/retries/0/previous_status").asString());
        assertValidManifest(done.manifest());
    }

    @Test
    void inAGraphOnlyTheStepAndItsTransitiveDependentsRunAgain() {
        Recipe graph = Recipe.builder("graph")
                .step("a", "echo")
                .step(StepDefinition.of("b", "echo").withDependsOn("a"))
                .step(StepDefinition.of("c", "echo").withDependsOn("a"))
                .step(StepDefinition.of("d", "echo").withDependsOn("b"))
                .step(StepDefinition.of("e", "echo").withDependsOn("c", "d"))
                .build();
        JobEngine engine = engine(graph);
        Job done = engine.run(engine.createJob("graph", obj()).id());
        assertEquals(JobStatus.COMPLETED, done.status());

        engine.retryFrom(done.id(), "b");

        Map<String, JobStep> reset = steps(done.id());
        assertEquals(StepStatus.SUCCESS, reset.get("a").status());
        assertEquals(StepStatus.SUCCESS, reset.get("c").status(), "c does not depend on b");
        for (String k : List.of("b", "d", "e")) {
            assertEquals(StepStatus.PENDING, reset.get(k).status(), k);
        }
        assertEquals(json("[\"b\",\"d\",\"e\"]"), store.findJob(done.id()).orElseThrow().manifest().at("/retries/0/reset_steps"));
        Job again = engine.run(done.id());
        assertEquals(JobStatus.COMPLETED, again.status());
        assertEquals(Map.of("a", 1, "b", 2, "c", 1, "d", 2, "e", 2),
                Map.of("a", echo.executions("a"), "b", echo.executions("b"), "c", echo.executions("c"),
                        "d", echo.executions("d"), "e", echo.executions("e")));
    }

    @Test
    void aRunningJobIsRefusedAndKeepsItsSteps() throws Exception {
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JobEngine engine = track(JobEngine.builder(store).clock(clock).step("echo", echo)
                .step("held", ctx -> {
                    inStep.countDown();
                    assertTrue(release.await(30, TimeUnit.SECONDS));
                    return obj();
                })
                .recipe(Recipe.builder("held").step("a", "echo").step("b", "held").build()));
        Job job = engine.createJob("held", obj());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Job> run = pool.submit(() -> engine.run(job.id()));
            assertTrue(inStep.await(30, TimeUnit.SECONDS));
            List<JobStep> before = store.findSteps(job.id());

            IllegalTransitionException e = assertThrows(IllegalTransitionException.class, () -> engine.retryFrom(job.id(), "a"));

            assertEquals(JobStatus.RUNNING, e.from());
            assertTrue(e.getMessage().contains("wait for it to end or cancel it"), e.getMessage());
            assertEquals(before, store.findSteps(job.id()), "nothing written");
            release.countDown();
            assertEquals(JobStatus.COMPLETED, run.get(30, TimeUnit.SECONDS).status());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        assertTrue(store.findJob(job.id()).orElseThrow().manifest().path("retries").isMissingNode());
    }

    @Test
    void aPendingJobAnUnknownStepAndAnUnknownJobAreRefused() {
        JobEngine engine = engine(abcd());
        Job pending = engine.createJob("abcd", obj());
        IllegalTransitionException notYet = assertThrows(IllegalTransitionException.class,
                () -> engine.retryFrom(pending.id(), "a"));
        assertEquals(JobStatus.PENDING, notYet.from());

        Job done = engine.run(pending.id());
        UnknownStepException unknown = assertThrows(UnknownStepException.class, () -> engine.retryFrom(done.id(), "zz"));
        assertEquals("zz", unknown.stepKey());
        assertTrue(unknown.getMessage().contains("its steps are: a, b, c, d"), unknown.getMessage());
        assertEquals(JobStatus.COMPLETED, store.findJob(done.id()).orElseThrow().status(), "nothing written");
        assertThrows(UnknownJobException.class, () -> engine.retryFrom("no-such-job", "a"));
    }

    @Test
    void aCancelledJobRetriedFromItsFirstStepRunsEverythingAgainAndTheManifestKeepsEveryRetry() {
        JobEngine engine = engine(abcd());
        Job job = engine.createJob("abcd", obj());
        assertEquals(JobStatus.CANCELLED, engine.cancel(job.id()).status());

        engine.retryFrom(job.id(), "a");
        clock.advance(java.time.Duration.ofSeconds(1));
        Job done = engine.run(job.id());
        engine.retryFrom(done.id(), "d");
        Job twice = engine.run(done.id());

        assertEquals(JobStatus.COMPLETED, twice.status());
        assertEquals(1, echo.executions("c"));
        assertEquals(2, echo.executions("d"));
        JsonNode retries = twice.manifest().get("retries");
        assertEquals(2, retries.size());
        assertEquals("cancelled", retries.get(0).get("previous_status").asString());
        assertEquals(json("[\"a\",\"b\",\"c\",\"d\"]"), retries.get(0).get("reset_steps"));
        assertEquals("d", retries.get(1).get("from_step").asString());
        assertNotNull(retries.get(1).get("at"));
        assertValidManifest(twice.manifest());
    }
}
