package dev.stepwise.engine.core.contract;

import static dev.stepwise.engine.core.contract.Fakes.assertValidManifest;
import static dev.stepwise.engine.core.contract.Fakes.json;
import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.ClaimCandidate;
import dev.stepwise.engine.api.IllegalTransitionException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.UnknownJobException;
import dev.stepwise.engine.api.UnknownRecipeException;
import dev.stepwise.engine.api.UnknownStepTypeException;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.core.FileManifestWriter;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.core.RunListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * The contract every {@link JobStore} passes, through the SPI and through the engine. A store
 * module extends it and implements {@link #openStore(Path)}; every test gets a fresh store in
 * its own temporary directory.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // hang guard only
public abstract class JobStoreContract extends StoreContractBase {
    /** Where tests start time. */
    protected static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** The settable clock every engine of the test uses. */
    protected MutableClock clock;

    @BeforeEach
    void startClock() {
        clock = new MutableClock(T0);
    }

    /** @return a builder on the store under test with the test clock and the echo step */
    protected JobEngineBuilder engineBuilder() {
        return JobEngine.builder(store).clock(clock);
    }

    private static Recipe abc() {
        return Recipe.builder("abc").step("a", "echo", json("{\"n\":1}")).step("b", "echo").step("c", "echo").build();
    }

    // ---------------------------------------------------------------- success path

    @Test
    void successPathCommitsEveryTransitionAndAValidManifest() throws Exception {
        List<String> observed = Collections.synchronizedList(new ArrayList<>());
        List<JsonNode> manifests = Collections.synchronizedList(new ArrayList<>());
        Path manifestDir = dir.resolve("manifests");
        JobEngine[] holder = new JobEngine[1];
        JobEngine engine = track(engineBuilder()
                .step("observe", ctx -> {
                    Job j = store.findJob(ctx.jobId()).orElseThrow();
                    JobStep me = store.findSteps(ctx.jobId()).stream().filter(s -> s.stepKey().equals(ctx.stepKey())).findFirst().orElseThrow();
                    observed.add(ctx.stepKey() + ":" + j.status() + ":" + me.status() + ":" + j.currentStep() + ":" + j.progress());
                    manifests.add(holder[0].manifest(ctx.jobId()));
                    clock.advance(Duration.ofMillis(5));
                    return json("{\"seen\":\"" + ctx.stepKey() + "\"}");
                })
                .recipe(Recipe.builder("obs").step("one", "observe").step("two", "observe").step("three", "observe").build())
                .manifestWriter(new FileManifestWriter(manifestDir)));
        holder[0] = engine;

        Job created = engine.createJob("obs", json("{\"x\":1}"));
        assertEquals(JobStatus.PENDING, store.findJob(created.id()).orElseThrow().status());
        assertTrue(store.findSteps(created.id()).stream().allMatch(s -> s.status() == StepStatus.PENDING));
        assertEquals(26, created.id().length());

        Job done = engine.run(created.id());

        assertEquals(List.of("one:running:running:one:0", "two:running:running:two:33", "three:running:running:three:66"), observed);
        Job stored = store.findJob(created.id()).orElseThrow();
        assertEquals(done, stored);
        assertEquals(JobStatus.COMPLETED, stored.status());
        assertEquals(100, stored.progress());
        assertNull(stored.lastError());
        assertNull(stored.leaseOwner());
        assertNotNull(stored.startedAt());
        assertNotNull(stored.finishedAt());
        for (JobStep s : store.findSteps(created.id())) {
            assertEquals(StepStatus.SUCCESS, s.status(), s.stepKey());
            assertEquals(1, s.attempts(), s.stepKey());
            assertNotNull(s.startedAt());
            assertNotNull(s.completedAt());
            assertEquals(64, s.inputHash().length());
            assertEquals(json("{\"seen\":\"" + s.stepKey() + "\"}"), s.outputRefs());
            assertTrue(!s.completedAt().isBefore(s.startedAt().plusMillis(5)), "completedAt follows the step's 5 ms");
        }
        // the manifest, read while each step ran, was valid and showed that step running
        assertEquals(3, manifests.size());
        for (int i = 0; i < 3; i++) {
            assertValidManifest(manifests.get(i));
            assertEquals("running", manifests.get(i).at("/steps/" + i + "/status").asString());
        }
        JsonNode persisted = stored.manifest();
        assertValidManifest(persisted);
        assertEquals("completed", persisted.get("status").asString());
        assertEquals(3, persisted.at("/metrics/step_count").asInt());
        assertEquals(stored.durationMs(), persisted.at("/metrics/total_duration_ms").asLong());
        assertEquals(json("{\"seen\":\"three\"}"), persisted.get("output"));
        assertEquals("obs", persisted.at("/snapshots/recipe/slug").asString());
        assertEquals(persisted, engine.manifest(created.id()));
        JsonNode file = Fakes.JSON.readTree(manifestDir.resolve(created.id()).resolve("manifest.json").toFile());
        assertEquals(persisted, file);
        try (var tmp = Files.list(manifestDir.resolve(created.id()))) {
            assertEquals(1, tmp.count(), "only manifest.json is left, no temp file");
        }
        List<LogEntry> logs = engine.logs(created.id(), 0, 1000);
        assertTrue(logs.stream().allMatch(l -> l.at() != null && l.cursor() > 0));
        assertTrue(logs.stream().anyMatch(l -> "two".equals(l.stepKey()) && l.message().contains("succeeded")));
    }

    // ---------------------------------------------------------------- failures

    @Test
    void aThrowingStepFailsTheJobAndKeepsItsLogsAndError() {
        Fakes.Echo echo = new Fakes.Echo();
        JobEngine engine = track(engineBuilder().step("echo", echo)
                .step("boom", ctx -> {
                    ctx.log().warn("about to fail on {}", ctx.input().get("file").asString());
                    throw new IllegalStateException("disk on fire");
                })
                .recipe(Recipe.builder("fails").step("a", "echo").step("b", "boom").step("c", "echo").build()));
        Job job = engine.createJob("fails", json("{\"file\":\"x.txt\"}"));

        Job result = engine.run(job.id());

        assertEquals(JobStatus.FAILED, result.status());
        assertEquals(result, store.findJob(job.id()).orElseThrow());
        assertTrue(result.lastError().contains("step 'b'"), result.lastError());
        assertTrue(result.lastError().contains("disk on fire"), result.lastError());
        List<JobStep> steps = store.findSteps(job.id());
        assertEquals(StepStatus.SUCCESS, steps.get(0).status());
        assertEquals(StepStatus.FAILED, steps.get(1).status());
        assertTrue(steps.get(1).error().contains("IllegalStateException: disk on fire"), steps.get(1).error());
        assertEquals(StepStatus.PENDING, steps.get(2).status());
        assertEquals(0, echo.executions("c"));
        List<LogEntry> bLogs = engine.logs(job.id(), 0, 1000).stream().filter(l -> "b".equals(l.stepKey())).toList();
        assertTrue(bLogs.stream().anyMatch(l -> l.level() == LogLevel.WARN && l.message().equals("about to fail on x.txt")));
        assertTrue(bLogs.stream().anyMatch(l -> l.level() == LogLevel.ERROR && l.message().contains("disk on fire")));
        assertValidManifest(result.manifest());
        assertEquals("failed", result.manifest().at("/steps/1/status").asString());
        assertTrue(result.manifest().get("output").isNull());
    }

    @Test
    void aStepReturningNullFailsAsAStepWithAClearError() {
        JobEngine engine = track(engineBuilder().step("nothing", ctx -> null)
                .recipe(Recipe.builder("nulls").step("empty", "nothing").build()));
        Job result = engine.run(engine.createJob("nulls", obj()).id());
        assertEquals(JobStatus.FAILED, result.status());
        assertTrue(result.lastError().contains("step 'empty'") && result.lastError().contains("returned null"), result.lastError());
    }

    /** A bean whose getter throws: Jackson cannot turn it into JSON. */
    public static final class Unserializable {
        /** @return never */
        public String getValue() {
            throw new IllegalStateException("no value here");
        }
    }

    @Test
    void aStepReturningSomethingThatIsNotJsonFailsAsAStep() {
        JobEngine engine = track(engineBuilder().step("weird", ctx -> new Unserializable())
                .recipe(Recipe.builder("weird").step("w", "weird").build()));
        Job result = engine.run(engine.createJob("weird", obj()).id());
        assertEquals(JobStatus.FAILED, result.status());
        assertTrue(result.lastError().contains("step 'w'") && result.lastError().contains("cannot become JSON"), result.lastError());
        assertTrue(result.lastError().contains("Unserializable"), result.lastError());
    }

    @Test
    void aStepReturningARecordIsStoredAsJson() {
        record Count(String word, int n) {
        }
        JobEngine engine = track(engineBuilder().step("count", ctx -> new Count("hello", 3))
                .recipe(Recipe.builder("rec").step("c", "count").build()));
        Job result = engine.run(engine.createJob("rec", obj()).id());
        assertEquals(JobStatus.COMPLETED, result.status());
        assertEquals(json("{\"word\":\"hello\",\"n\":3}"), store.findSteps(result.id()).get(0).outputRefs());
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void badInputGetsTypedErrorsAndWritesNothing() {
        Fakes.Echo echo = new Fakes.Echo();
        // a recipe published by an engine that has a step type this one lacks
        track(engineBuilder().step("echo", echo).step("no-such-type", echo)
                .recipe(Recipe.builder("ghost").step("g", "no-such-type").build()));
        JobEngine engine = track(engineBuilder().step("echo", echo).recipe(abc()));

        UnknownJobException unknownJob = assertThrows(UnknownJobException.class, () -> engine.run("01NOSUCHJOB0000000000000000"));
        assertEquals("01NOSUCHJOB0000000000000000", unknownJob.jobId());
        assertThrows(UnknownJobException.class, () -> engine.cancel("nope"));
        assertThrows(UnknownJobException.class, () -> engine.manifest("nope"));
        UnknownRecipeException unknownRecipe = assertThrows(UnknownRecipeException.class, () -> engine.createJob("missing", obj()));
        assertTrue(unknownRecipe.getMessage().contains("abc"), "lists the known recipes: " + unknownRecipe.getMessage());
        assertThrows(UnknownRecipeException.class, () -> engine.createJob("abc", 7, obj()));
        UnknownStepTypeException unknownType = assertThrows(UnknownStepTypeException.class, () -> engine.createJob("ghost", obj()));
        assertEquals("g", unknownType.stepKey());
        assertEquals("no-such-type", unknownType.stepType());
        assertThrows(dev.stepwise.engine.api.InvalidInputException.class, () -> engine.createJob("abc", json("[1,2]")));
        assertEquals(List.of(), store.findJobs(JobQuery.all()), "no job row was written");

        Job done = engine.run(engine.createJob("abc", obj()).id());
        List<JobStep> stepsBefore = store.findSteps(done.id());
        List<LogEntry> logsBefore = store.findLogs(done.id(), 0, 1000);
        IllegalTransitionException again = assertThrows(IllegalTransitionException.class, () -> engine.run(done.id()));
        assertEquals(JobStatus.COMPLETED, again.from());
        assertThrows(IllegalTransitionException.class, () -> engine.retry(done.id()));
        assertThrows(IllegalTransitionException.class, () -> engine.cancel(done.id()));
        assertEquals(done, store.findJob(done.id()).orElseThrow());
        assertEquals(stepsBefore, store.findSteps(done.id()));
        assertEquals(logsBefore, store.findLogs(done.id(), 0, 1000));
        assertEquals(1, echo.executions("a"));
    }

    @Test
    void aJobWhoseStepTypeIsNotRegisteredInThisEngineIsNotTouched() {
        JobEngine creator = track(engineBuilder().step("echo", new Fakes.Echo()).recipe(abc()));
        Job job = creator.createJob("abc", obj());
        JobEngine other = track(engineBuilder().step("something-else", new Fakes.Echo()));
        assertThrows(UnknownStepTypeException.class, () -> other.run(job.id()));
        assertEquals(job, store.findJob(job.id()).orElseThrow());
    }

    // ---------------------------------------------------------------- cancel

    @Test
    void cancelFromAnotherThreadWhileAStepRunsStopsBeforeTheNextStep() throws Exception {
        CountDownLatch inStep = new CountDownLatch(1);
        AtomicInteger laterSteps = new AtomicInteger();
        JobEngine engine = track(engineBuilder()
                .step("wait", ctx -> {
                    inStep.countDown();
                    for (int polls = 0; !ctx.isCancelled() && polls < Await.MAX_POLLS; polls++) {
                        Thread.sleep(Await.POLL.toMillis());
                    }
                    return json("{\"sawCancel\":" + ctx.isCancelled() + "}");
                })
                .step("later", ctx -> {
                    laterSteps.incrementAndGet();
                    return obj();
                })
                .recipe(Recipe.builder("cancel").step("w", "wait").step("l", "later").build()));
        Job job = engine.createJob("cancel", obj());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Job> run = pool.submit(() -> engine.run(job.id()));
            assertTrue(inStep.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            Job requested = engine.cancel(job.id());
            assertTrue(requested.cancelRequested());
            Job result = run.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS);
            assertEquals(JobStatus.CANCELLED, result.status());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, laterSteps.get());
        List<JobStep> steps = store.findSteps(job.id());
        assertEquals(StepStatus.SUCCESS, steps.get(0).status(), "the running step finished and was checkpointed");
        assertEquals(json("{\"sawCancel\":true}"), steps.get(0).outputRefs());
        assertEquals(StepStatus.PENDING, steps.get(1).status());
        assertEquals(JobStatus.CANCELLED, store.findJob(job.id()).orElseThrow().status());
        assertValidManifest(store.findJob(job.id()).orElseThrow().manifest());
    }

    @Test
    void cancellingAPendingJobIsImmediateAndItDoesNotRun() {
        JobEngine engine = track(engineBuilder().step("echo", new Fakes.Echo()).recipe(abc()));
        Job job = engine.createJob("abc", obj());
        Job cancelled = engine.cancel(job.id());
        assertEquals(JobStatus.CANCELLED, cancelled.status());
        assertEquals(JobStatus.CANCELLED, store.findJob(job.id()).orElseThrow().status());
        assertEquals(cancelled, engine.cancel(job.id()), "cancel is idempotent");
        assertThrows(IllegalTransitionException.class, () -> engine.run(job.id()));
        assertValidManifest(store.findJob(job.id()).orElseThrow().manifest());
    }

    // ---------------------------------------------------------------- one runner per job

    @Test
    void twoThreadsRunningOneJobExecuteItsStepsOnce() throws Exception {
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger executions = new AtomicInteger();
        JobEngine engine = track(engineBuilder()
                .step("slow", ctx -> {
                    executions.incrementAndGet();
                    inStep.countDown();
                    assertTrue(release.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
                    return obj();
                })
                .recipe(Recipe.builder("slow").step("s", "slow").build()));
        Job job = engine.createJob("slow", obj());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Job> first = pool.submit(() -> engine.run(job.id()));
            assertTrue(inStep.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            Future<Job> second = pool.submit(() -> engine.run(job.id()));
            var busy = assertThrows(java.util.concurrent.ExecutionException.class, () -> second.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(busy.getCause() instanceof JobBusyException, String.valueOf(busy.getCause()));
            assertEquals(job.id(), ((JobBusyException) busy.getCause()).jobId());
            release.countDown();
            assertEquals(JobStatus.COMPLETED, first.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS).status());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        assertEquals(1, executions.get());
    }

    @Test
    void racingClaimsLetExactlyOneRunnerIn() throws Exception {
        AtomicInteger executions = new AtomicInteger();
        JobEngine engine = track(engineBuilder().step("count", ctx -> {
            executions.incrementAndGet();
            return obj();
        }).recipe(Recipe.builder("count").step("c", "count").build()));
        int rounds = 20;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            for (int r = 0; r < rounds; r++) {
                Job job = engine.createJob("count", obj());
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Job>> runs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    runs.add(pool.submit(() -> {
                        go.await();
                        return engine.run(job.id());
                    }));
                }
                go.countDown();
                int completed = 0;
                for (Future<Job> f : runs) {
                    try {
                        if (f.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS).status() == JobStatus.COMPLETED) {
                            completed++;
                        }
                    } catch (java.util.concurrent.ExecutionException e) {
                        assertTrue(e.getCause() instanceof JobBusyException || e.getCause() instanceof IllegalTransitionException,
                                String.valueOf(e.getCause()));
                    }
                }
                assertEquals(1, completed, "round " + r);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(rounds, executions.get());
    }

    // ---------------------------------------------------------------- leases, recovery, fencing

    @Test
    void anExpiredLeaseIsTakenOverAndTheStepInFlightRunsAgain() {
        AtomicInteger calls = new AtomicInteger();
        JobEngine dying = track(engineBuilder().runnerId("dying").recoverOnStart(false)
                .step("echo", new Fakes.Echo())
                .listener(new RunListener() {
                    @Override
                    public void afterStepExecuted(String jobId, String stepKey) {
                        if (stepKey.equals("b")) {
                            throw new SimulatedCrash();
                        }
                    }
                })
                .recipe(abc()));
        Job job = dying.createJob("abc", obj());
        assertThrows(SimulatedCrash.class, () -> dying.run(job.id()));
        Job orphan = store.findJob(job.id()).orElseThrow();
        assertEquals(JobStatus.RUNNING, orphan.status());
        assertEquals("dying", orphan.leaseOwner());

        Fakes.Echo echo = new Fakes.Echo();
        JobEngine rescuer = track(engineBuilder().runnerId("rescuer").recoverOnStart(false).step("echo", echo).recipe(abc()));
        JobBusyException busy = assertThrows(JobBusyException.class, () -> rescuer.run(job.id()));
        assertEquals("dying", busy.owner());
        assertEquals(List.of(), rescuer.recover(), "the lease has not expired yet");

        clock.advance(JobEngine.DEFAULT_LEASE_TTL.plusSeconds(1));
        List<Job> recovered = rescuer.recover();
        assertEquals(1, recovered.size());
        assertEquals(JobStatus.PENDING, store.findJob(job.id()).orElseThrow().status());
        Job done = rescuer.run(job.id());

        assertEquals(JobStatus.COMPLETED, done.status());
        List<JobStep> steps = store.findSteps(job.id());
        assertEquals(StepStatus.SKIPPED, steps.get(0).status(), "a's checkpoint was reused");
        assertEquals(0, echo.executions("a"));
        assertEquals(1, echo.executions("b"), "b was in flight: it runs again");
        assertEquals(2, steps.get(1).attempts());
        assertEquals(1, steps.get(1).interruptions());
        assertEquals(1, steps.get(2).attempts());
        assertTrue(done.epoch() >= 3, "claim, recovery and re-claim each moved the epoch: " + done.epoch());
        assertValidManifest(done.manifest());
        calls.incrementAndGet();
    }

    /** Stands in for a process dying mid-run. */
    static final class SimulatedCrash extends Error {
        private static final long serialVersionUID = 1L;
    }

    @Test
    void aRunnerThatLostItsLeaseCannotOverwriteTheNewOwnersResults() throws Exception {
        CountDownLatch inSlowStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JobEngine stale = track(engineBuilder().runnerId("stale").recoverOnStart(false)
                .step("echo", new Fakes.Echo())
                .step("slow", ctx -> {
                    if (ctx.attempt() == 1) {
                        inSlowStep.countDown();
                        assertTrue(release.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
                        return json("{\"by\":\"stale\"}");
                    }
                    return json("{\"by\":\"fresh\"}");
                })
                .recipe(Recipe.builder("fence").step("a", "echo").step("s", "slow").step("c", "echo").build()));
        Job job = stale.createJob("fence", obj());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Job> staleRun = pool.submit(() -> stale.run(job.id()));
            assertTrue(inSlowStep.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            clock.advance(JobEngine.DEFAULT_LEASE_TTL.plusSeconds(5));
            JobEngine fresh = track(engineBuilder().runnerId("fresh").step("echo", new Fakes.Echo())
                    .step("slow", ctx -> json("{\"by\":\"fresh\"}"))
                    .recipe(Recipe.builder("fence").step("a", "echo").step("s", "slow").step("c", "echo").build()));
            Job freshResult = fresh.run(job.id());
            assertEquals(JobStatus.COMPLETED, freshResult.status());
            release.countDown();
            var lost = assertThrows(java.util.concurrent.ExecutionException.class, () -> staleRun.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(lost.getCause() instanceof LeaseLostException, String.valueOf(lost.getCause()));
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
        Job end = store.findJob(job.id()).orElseThrow();
        assertEquals(JobStatus.COMPLETED, end.status());
        assertEquals(json("{\"by\":\"fresh\"}"), store.findSteps(job.id()).get(1).outputRefs());
        assertValidManifest(end.manifest());
    }

    // ---------------------------------------------------------------- retry

    @Test
    void retryReusesCheckpointsAndRunsFromTheFailedStep() {
        Fakes.Echo echo = new Fakes.Echo();
        AtomicInteger flaky = new AtomicInteger();
        JobEngine engine = track(engineBuilder().step("echo", echo)
                .step("flaky", ctx -> {
                    if (flaky.incrementAndGet() == 1) {
                        throw new java.io.IOException("connection reset");
                    }
                    return json("{\"ok\":true,\"up\":" + ctx.output("s2").get("key") + "}");
                })
                .recipe(Recipe.builder("five").step("s1", "echo").step("s2", "echo").step("s3", "flaky")
                        .step("s4", "echo").step("s5", "echo").build()));
        Job job = engine.createJob("five", json("{\"q\":1}"));
        Job failed = engine.run(job.id());
        assertEquals(JobStatus.FAILED, failed.status());
        JsonNode s1Output = store.findSteps(job.id()).get(0).outputRefs();

        assertThrows(IllegalTransitionException.class, () -> engine.run(job.id()), "a failed job must be retried first");
        assertEquals(JobStatus.PENDING, engine.retry(job.id()).status());
        assertThrows(IllegalTransitionException.class, () -> engine.retry(job.id()), "a pending job cannot be retried");
        Job done = engine.run(job.id());

        assertEquals(JobStatus.COMPLETED, done.status());
        List<JobStep> steps = store.findSteps(job.id());
        assertEquals(StepStatus.SKIPPED, steps.get(0).status());
        assertEquals("checkpoint", steps.get(0).skipReason());
        assertEquals(s1Output, steps.get(0).outputRefs());
        assertEquals(StepStatus.SKIPPED, steps.get(1).status());
        assertEquals(List.of(StepStatus.SUCCESS, StepStatus.SUCCESS, StepStatus.SUCCESS),
                steps.subList(2, 5).stream().map(JobStep::status).toList());
        assertEquals(2, steps.get(2).attempts());
        assertEquals(1, echo.executions("s1"));
        assertEquals(1, echo.executions("s2"));
        assertEquals(1, echo.executions("s4"));
        assertEquals(json("{\"ok\":true,\"up\":\"s2\"}"), steps.get(2).outputRefs());
        assertTrue(engine.logs(job.id(), 0, 1000).stream()
                .anyMatch(l -> "s3".equals(l.stepKey()) && l.attempt() == 1 && l.message().contains("connection reset")),
                "the first attempt's error stays in the step's logs");
        assertEquals("checkpoint", done.manifest().at("/steps/0/skip_reason").asString());
        assertValidManifest(done.manifest());
    }

    // ---------------------------------------------------------------- SPI level

    private Job pendingJob(String id) {
        Recipe r = Recipe.builder("spi").step("a", "echo").build();
        Job j = Job.builder().id(id).recipeId(r.id()).recipeSlug(r.slug()).recipeVersion(1).input(json("{\"k\":\"v\"}"))
                .createdAt(T0).updatedAt(T0).build();
        store.insertJob(j, List.of(JobStep.pending(id + "-0", id, "a", 0, "echo")),
                List.of(new LogEntry(0, id, null, 0, T0, LogLevel.INFO, "created")));
        // A line without a cursor is numbered by the store, after the job's log cursor, which it bumps.
        return j.toBuilder().logCursor(1).build();
    }

    @Test
    void insertedRowsReadBackExactly() {
        Job j = pendingJob("job-1");
        assertEquals(j, store.findJob("job-1").orElseThrow());
        assertEquals(List.of(JobStep.pending("job-1-0", "job-1", "a", 0, "echo")), store.findSteps("job-1"));
        assertTrue(store.findJob("nope").isEmpty());
        assertEquals(List.of(), store.findSteps("nope"));
        assertThrows(dev.stepwise.engine.api.StoreException.class, () -> pendingJob("job-1"));
    }

    @Test
    void findClaimableReadsDuePendingJobsInClaimOrderAndClaimsNothing() {
        Recipe r = Recipe.builder("spi").step("a", "echo").build();
        Job base = Job.builder().id("x").recipeId(r.id()).recipeSlug(r.slug()).recipeVersion(1).input(obj())
                .createdAt(T0).updatedAt(T0).runAt(T0).build();
        List<Job> inserted = List.of(
                base.toBuilder().id("low").priority(0).runAt(T0.minusSeconds(50)).build(),
                base.toBuilder().id("high-later").priority(5).runAt(T0.minusSeconds(1)).build(),
                base.toBuilder().id("high-earlier").priority(5).runAt(T0.minusSeconds(9)).build(),
                base.toBuilder().id("high-earlier-b").priority(5).runAt(T0.minusSeconds(9)).build(),
                base.toBuilder().id("due-now").priority(2).runAt(T0).build(),
                base.toBuilder().id("future").priority(9).runAt(T0.plusSeconds(1)).build(),
                base.toBuilder().id("done").priority(9).status(JobStatus.COMPLETED).runAt(T0.minusSeconds(60)).build(),
                base.toBuilder().id("busy").priority(9).status(JobStatus.RUNNING).epoch(1).leaseOwner("r")
                        .leaseExpiresAt(T0.minusSeconds(5)).runAt(T0.minusSeconds(60)).build());
        for (Job j : inserted) {
            store.insertJob(j, List.of(), List.of());
        }
        assertEquals(List.of("high-earlier", "high-earlier-b", "high-later", "due-now", "low"),
                store.findClaimable(T0, 10).stream().map(Job::id).toList());
        assertEquals(List.of("high-earlier", "high-earlier-b"), store.findClaimable(T0, 2).stream().map(Job::id).toList());
        assertEquals(inserted.get(2), store.findClaimable(T0, 1).get(0), "the row as stored");
        assertEquals(List.of("future", "high-earlier"), store.findClaimable(T0.plusSeconds(1), 2).stream().map(Job::id).toList());
        for (Job j : inserted) {
            assertEquals(j, store.findJob(j.id()).orElseThrow(), "nothing claimed or changed: " + j.id());
        }
        assertThrows(IllegalArgumentException.class, () -> store.findClaimable(T0, 0));
    }

    @Test
    void findCandidatesReadsWhatFindClaimableReadsWithStepRowsAsFindStepsReadsThem() {
        Recipe r = Recipe.builder("spi").step("a", "echo").step("b", "echo").build();
        Job base = Job.builder().id("x").recipeId(r.id()).recipeSlug(r.slug()).recipeVersion(1).input(obj())
                .createdAt(T0).updatedAt(T0).runAt(T0).build();
        for (String id : List.of("first", "second", "third")) {
            int priority = id.equals("first") ? 2 : id.equals("second") ? 1 : 0;
            store.insertJob(base.toBuilder().id(id).priority(priority).build(),
                    List.of(JobStep.pending(id + "-0", id, "a", 0, "echo"), JobStep.pending(id + "-1", id, "b", 1, "echo")),
                    List.of());
        }
        store.insertJob(base.toBuilder().id("no-steps").priority(-1).build(), List.of(), List.of());
        store.insertJob(base.toBuilder().id("later").priority(9).runAt(T0.plusSeconds(5)).build(), List.of(), List.of());
        // a step row that is not pending any more (a job handed back for a retry) reads as stored
        JobStep done = store.findSteps("second").get(0).toBuilder().status(StepStatus.SUCCESS).attempts(1)
                .startedAt(T0).completedAt(T0).durationMs(3).outputRefs(json("{\"n\":1}")).build();
        store.write(new JobWrite(store.findJob("second").orElseThrow(), new WriteGuard.Status(0, JobStatus.PENDING),
                List.of(done), List.of(), false, false));

        List<ClaimCandidate> all = store.findCandidates(T0, 10, Set.of());
        assertEquals(store.findClaimable(T0, 10), all.stream().map(ClaimCandidate::job).toList(), "the same jobs, in claim order");
        assertEquals(List.of("first", "second", "third", "no-steps"), all.stream().map(c -> c.job().id()).toList());
        for (ClaimCandidate c : all) {
            c.steps().ifPresent(rows -> assertEquals(store.findSteps(c.job().id()), rows, "step rows of " + c.job().id()));
        }
        assertEquals(List.of("first"), store.findCandidates(T0, 1, Set.of()).stream().map(c -> c.job().id()).toList());
        // skipped jobs are left out, and the limit counts the jobs returned
        assertEquals(List.of("second", "no-steps"),
                store.findCandidates(T0, 2, Set.of("first", "third", "unknown")).stream().map(c -> c.job().id()).toList());
        assertThrows(IllegalArgumentException.class, () -> store.findCandidates(T0, 0, Set.of()));
    }

    @Test
    void aWriteWhoseGuardFailsChangesNothing() {
        Job j = pendingJob("job-g");
        Job running = j.toBuilder().status(JobStatus.RUNNING).epoch(1).leaseOwner("r1").leaseExpiresAt(T0.plusSeconds(30)).build();
        store.write(new JobWrite(running, new WriteGuard.Claimable(0, T0), List.of(), List.of(), false, false));
        // a second claim at the old epoch is refused
        JobWrite stale = new JobWrite(running.toBuilder().leaseOwner("r2").epoch(1).build(),
                new WriteGuard.Claimable(0, T0), List.of(), List.of(), false, false);
        assertThrows(WriteConflictException.class, () -> store.write(stale));
        // a write by another owner is refused, with its step and log rows
        JobStep changed = store.findSteps("job-g").get(0).toBuilder().status(StepStatus.RUNNING).attempts(1).build();
        JobWrite intruder = new JobWrite(running.toBuilder().progress(50).build(), new WriteGuard.Owner(1, "r2"),
                List.of(changed), List.of(new LogEntry(0, "job-g", "a", 1, T0, LogLevel.INFO, "intruder")), false, false);
        assertThrows(WriteConflictException.class, () -> store.write(intruder));
        assertEquals(running, store.findJob("job-g").orElseThrow());
        assertEquals(StepStatus.PENDING, store.findSteps("job-g").get(0).status());
        assertEquals(1, store.findLogs("job-g", 0, 100).size());
        // the owner's write goes through, steps and logs with it
        store.write(new JobWrite(running.toBuilder().progress(50).build(), new WriteGuard.Owner(1, "r1"), List.of(changed),
                List.of(new LogEntry(0, "job-g", "a", 1, T0, LogLevel.INFO, "owner")), false, false));
        assertEquals(50, store.findJob("job-g").orElseThrow().progress());
        assertEquals(changed, store.findSteps("job-g").get(0));
        assertEquals("owner", store.findLogs("job-g", 0, 100).get(1).message());
    }

    @Test
    void theCancelFlagSurvivesARunnersWriteAndOnlyClearCancelClearsIt() {
        Job j = pendingJob("job-c");
        Job running = j.toBuilder().status(JobStatus.RUNNING).epoch(1).leaseOwner("r").leaseExpiresAt(T0.plusSeconds(30)).build();
        store.write(new JobWrite(running, new WriteGuard.Claimable(0, T0), List.of(), List.of(), false, false));
        assertTrue(store.requestCancel("job-c", T0));
        store.write(new JobWrite(running.toBuilder().progress(10).build(), new WriteGuard.Owner(1, "r"), List.of(), List.of(), false, false));
        assertTrue(store.findJob("job-c").orElseThrow().cancelRequested());
        store.write(new JobWrite(running.toBuilder().status(JobStatus.CANCELLED).build(), new WriteGuard.Owner(1, "r"), List.of(), List.of(), false, true));
        assertFalse(store.findJob("job-c").orElseThrow().cancelRequested());
        assertFalse(store.requestCancel("job-c", T0), "a terminal job takes no cancel");
        assertFalse(store.requestCancel("nope", T0));
    }

    @Test
    void leasesRenewExpireAndAreFound() {
        Job j = pendingJob("job-l");
        Job running = j.toBuilder().status(JobStatus.RUNNING).epoch(1).leaseOwner("r").leaseExpiresAt(T0.plusSeconds(30)).build();
        store.write(new JobWrite(running, new WriteGuard.Claimable(0, T0), List.of(), List.of(), false, false));
        assertEquals(List.of(), store.findExpiredLeases(T0.plusSeconds(29), 10));
        var renewed = store.renewLease("job-l", 1, "r", T0.plusSeconds(60),
                List.of(new LogEntry(0, "job-l", "a", 1, T0, LogLevel.INFO, "beat")));
        assertEquals(T0.plusSeconds(60), renewed.orElseThrow().leaseExpiresAt());
        assertEquals(List.of(), store.findExpiredLeases(T0.plusSeconds(45), 10));
        assertEquals(List.of("job-l"), store.findExpiredLeases(T0.plusSeconds(60), 10).stream().map(Job::id).toList());
        assertTrue(store.renewLease("job-l", 1, "other", T0.plusSeconds(90), List.of()).isEmpty());
        assertTrue(store.renewLease("job-l", 2, "r", T0.plusSeconds(90), List.of()).isEmpty());
        assertEquals(T0.plusSeconds(60), store.findJob("job-l").orElseThrow().leaseExpiresAt());
        assertEquals(List.of("created", "beat"), store.findLogs("job-l", 0, 10).stream().map(LogEntry::message).toList());
    }

    @Test
    void logsAreReadIncrementallyAfterACursor() {
        pendingJob("job-x");
        pendingJob("job-y");
        List<LogEntry> batch = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            batch.add(new LogEntry(0, "job-x", "a", 1, T0.plusMillis(i), LogLevel.INFO, "line " + i));
        }
        Job x = store.findJob("job-x").orElseThrow();
        store.write(new JobWrite(x, new WriteGuard.Status(0, JobStatus.PENDING), List.of(), batch, false, false));
        List<LogEntry> first = store.findLogs("job-x", 0, 3);
        assertEquals(List.of("created", "line 0", "line 1"), first.stream().map(LogEntry::message).toList());
        List<LogEntry> rest = store.findLogs("job-x", first.get(2).cursor(), 100);
        assertEquals(List.of("line 2", "line 3", "line 4"), rest.stream().map(LogEntry::message).toList());
        assertEquals(List.of(), store.findLogs("job-x", rest.get(2).cursor(), 100));
        assertEquals(T0.plusMillis(4), rest.get(2).at());
        assertEquals(1, store.findLogs("job-y", 0, 100).size());
    }

    @Test
    void jobsAreListedNewestFirstAndFilteredByStatus() {
        JobEngine engine = track(engineBuilder().step("echo", new Fakes.Echo()).recipe(abc()));
        Job first = engine.createJob("abc", obj());
        clock.advance(Duration.ofMillis(1));
        Job second = engine.createJob("abc", obj());
        clock.advance(Duration.ofMillis(1));
        Job third = engine.createJob("abc", obj());
        engine.run(second.id());
        assertEquals(List.of(third.id(), second.id(), first.id()), engine.jobs(JobQuery.all()).stream().map(Job::id).toList());
        assertEquals(List.of(second.id()), engine.jobs(new JobQuery(Set.of(JobStatus.COMPLETED), 10)).stream().map(Job::id).toList());
        assertEquals(List.of(third.id()), engine.jobs(new JobQuery(Set.of(JobStatus.PENDING), 1)).stream().map(Job::id).toList());
    }

    // ---------------------------------------------------------------- log lines and their cursors

    @Test
    void aThreeStepJobsLogReadsAsBeforeWithRoutineLinesDerivedFromAttempts() {
        JobEngine engine = track(engineBuilder().step("echo", new Fakes.Echo()).recipe(abc()));
        Job job = engine.createJob("abc", obj());
        Job done = engine.run(job.id());
        assertEquals(JobStatus.COMPLETED, done.status());
        List<JobStep> steps = store.findSteps(job.id());
        List<String> expected = new ArrayList<>(List.of("job created from recipe abc@1",
                "run started by runner " + engine.runnerId() + " (epoch 1)"));
        for (JobStep s : steps) {
            expected.add("attempt 1 started");
            expected.add("echo " + s.stepKey() + " attempt 1");
            expected.add("attempt 1 succeeded in " + s.durationMs() + " ms");
        }
        expected.add("job completed (completed)");
        List<LogEntry> lines = engine.logs(job.id(), 0, 1000);
        assertEquals(expected, lines.stream().map(LogEntry::message).toList());
        // Step key, attempt and level as the rows had them; cursors 1, 2, 3, ... in order.
        assertEquals(List.of("null/0", "null/0", "a/1", "a/1", "a/1", "b/1", "b/1", "b/1", "c/1", "c/1", "c/1", "null/0"),
                lines.stream().map(l -> l.stepKey() + "/" + l.attempt()).toList());
        assertTrue(lines.stream().allMatch(l -> l.level() == LogLevel.INFO));
        assertEquals(java.util.stream.LongStream.rangeClosed(1, expected.size()).boxed().toList(),
                lines.stream().map(LogEntry::cursor).toList());
        assertEquals(expected.size(), store.findJob(job.id()).orElseThrow().logCursor());
        assertEquals(lines.get(2).at(), steps.get(0).attemptLog().get(0).startedAt());
        assertEquals(lines.get(4).at(), steps.get(0).attemptLog().get(0).endedAt().orElseThrow());
        // The routine lines are in the attempt records, not rows of the store.
        List<String> rows = store.findLogs(job.id(), 0, 1000).stream().map(LogEntry::message).toList();
        assertEquals(6, rows.size(), rows.toString());
        assertTrue(rows.stream().noneMatch(m -> m.startsWith("attempt ")), rows.toString());
        // The manifest does not show the cursors.
        assertFalse(done.manifest().toString().contains("cursor"), done.manifest().toString());
    }

    @Test
    void pagesOfAnySizeReturnEachStoredAndDerivedLineOnceInOrder() {
        JobEngine engine = track(engineBuilder().step("echo", new Fakes.Echo()).recipe(abc()));
        Job job = engine.createJob("abc", obj());
        engine.run(job.id());
        List<LogEntry> all = engine.logs(job.id(), 0, 1000);
        assertEquals(12, all.size());
        for (int limit = 1; limit <= 5; limit++) {
            List<LogEntry> read = new ArrayList<>();
            long after = 0;
            for (int page = 0; page < 100; page++) {
                List<LogEntry> got = engine.logs(job.id(), after, limit);
                assertTrue(got.size() <= limit);
                if (got.isEmpty()) {
                    break;
                }
                read.addAll(got);
                after = got.get(got.size() - 1).cursor();
            }
            assertEquals(all, read, "pages of " + limit);
        }
        assertEquals(all.subList(5, 8), engine.logs(job.id(), all.get(4).cursor(), 3));
    }

    @Test
    void aFollowerReadingWhileTheJobRunsSeesEveryLineOnce() throws Exception {
        AtomicInteger executions = new AtomicInteger();
        JobEngine engine = track(engineBuilder().heartbeatInterval(Duration.ofMillis(5)).step("chatty", ctx -> {
            for (int i = 0; i < 20; i++) {
                ctx.log().info("line {} of {}", i, ctx.stepKey());
                if (i % 5 == 0) {
                    try {
                        Thread.sleep(2); // lets the heartbeat flush some lines mid-step
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            return json("{\"n\":" + executions.incrementAndGet() + "}");
        }).recipe(Recipe.builder("chatty").step("a", "chatty").step("b", "chatty").step("c", "chatty").step("d", "chatty")
                .build()));
        Job job = engine.createJob("chatty", obj());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Job> run = pool.submit(() -> engine.run(job.id()));
            List<LogEntry> followed = new ArrayList<>();
            long after = 0;
            boolean ended = false;
            for (int poll = 0; poll < Await.MAX_POLLS * 10 && !ended; poll++) { // a hang guard, not a timing
                boolean terminal = engine.job(job.id()).status().isTerminal();
                List<LogEntry> got = engine.logs(job.id(), after, 7);
                followed.addAll(got);
                if (!got.isEmpty()) {
                    after = got.get(got.size() - 1).cursor();
                }
                ended = terminal && got.isEmpty();
                if (got.isEmpty() && !ended) {
                    Thread.sleep(1);
                }
            }
            assertTrue(ended, "the follower reached the end");
            assertEquals(JobStatus.COMPLETED, run.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS).status());
            List<LogEntry> all = engine.logs(job.id(), 0, 10_000);
            assertEquals(2 + 4 * 22 + 1, all.size());
            assertEquals(all, followed);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aWriterWithAStaleLogCursorConflictsAndWritesNothing() {
        Job j = pendingJob("job-s");
        assertEquals(1, store.findJob("job-s").orElseThrow().logCursor());
        Job running = j.toBuilder().status(JobStatus.RUNNING).epoch(1).leaseOwner("r").leaseExpiresAt(T0.plusSeconds(30)).build();
        store.write(new JobWrite(running, new WriteGuard.Claimable(0, T0), List.of(), List.of(), false, false).afterLogCursor(1));
        JobStep row = store.findSteps("job-s").get(0);
        // The writer numbers its line after the log cursor it read, and a step's routine cursors too.
        JobStep started = row.toBuilder().status(StepStatus.RUNNING).attempts(1)
                .addAttempt(dev.stepwise.engine.api.Attempt.started(1, T0).withStartCursor(3)).build();
        JobWrite first = new JobWrite(running.toBuilder().progress(10).logCursor(3).build(), new WriteGuard.Owner(1, "r"),
                List.of(started), List.of(new LogEntry(2, "job-s", "a", 1, T0, LogLevel.WARN, "first")), false, false)
                .afterLogCursor(1);
        store.write(first);
        assertEquals(3, store.findJob("job-s").orElseThrow().logCursor());
        assertEquals(started, store.findSteps("job-s").get(0));
        // A second writer that read the same log cursor numbered the same cursors: refused, nothing written.
        JobWrite stale = new JobWrite(running.toBuilder().progress(20).logCursor(3).build(), new WriteGuard.Owner(1, "r"),
                List.of(row), List.of(new LogEntry(2, "job-s", "a", 1, T0, LogLevel.WARN, "stale")), false, false)
                .afterLogCursor(1);
        assertThrows(WriteConflictException.class, () -> store.write(stale));
        assertEquals(10, store.findJob("job-s").orElseThrow().progress());
        assertEquals(3, store.findJob("job-s").orElseThrow().logCursor());
        assertEquals(started, store.findSteps("job-s").get(0));
        assertEquals(List.of("1 created", "2 first"),
                store.findLogs("job-s", 0, 100).stream().map(l -> l.cursor() + " " + l.message()).toList());
        // A renewal's numbered lines move the log cursor; an unnumbered line goes after it.
        store.renewLease("job-s", 1, "r", T0.plusSeconds(60), List.of(new LogEntry(4, "job-s", "a", 1, T0, LogLevel.INFO, "beat")));
        assertEquals(4, store.findJob("job-s").orElseThrow().logCursor());
        store.write(new JobWrite(store.findJob("job-s").orElseThrow(), new WriteGuard.Owner(1, "r"), List.of(),
                List.of(new LogEntry(0, "job-s", null, 0, T0, LogLevel.INFO, "unnumbered")), false, false));
        assertEquals(5, store.findJob("job-s").orElseThrow().logCursor());
        assertEquals(List.of("1 created", "2 first", "4 beat", "5 unnumbered"),
                store.findLogs("job-s", 0, 100).stream().map(l -> l.cursor() + " " + l.message()).toList());
        // Cursors are per job: another job starts at 1.
        pendingJob("job-t");
        assertEquals(List.of(1L), store.findLogs("job-t", 0, 100).stream().map(LogEntry::cursor).toList());
    }
}
