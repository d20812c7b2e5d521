package dev.stepwise.engine.core.contract;

import static dev.stepwise.engine.core.contract.Fakes.assertValidManifest;
import static dev.stepwise.engine.core.contract.Fakes.json;
import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Attempt;
import dev.stepwise.engine.api.AttemptOutcome;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.RetryPolicy;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.Submitted;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Queue contract: submit, workers, automatic retries with backoff, timeouts, parallel steps,
 * graceful shutdown, priorities, run-at and per-recipe limits. Every store runs it.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // hang guard only: each test takes a second or less
public abstract class WorkersContract extends StoreContractBase {
    private static final Duration FAST_POLL = Duration.ofMillis(20);
    /** Clock reads that show idle workers looked for work a few more times (each poll reads it). */
    private static final int SEVERAL_POLLS = 10;

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Await.until(what, condition);
    }

    /** Waits until the engine read the clock {@link #SEVERAL_POLLS} more times: the workers polled. */
    private static void awaitSeveralPolls(MutableClock clock) throws InterruptedException {
        long seen = clock.reads();
        await("the workers polled again", () -> clock.reads() >= seen + SEVERAL_POLLS);
    }

    private static boolean parked(Thread t) {
        return t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING;
    }

    private Job stored(String id) {
        return store.findJob(id).orElseThrow();
    }

    /**
     * A second store on the same data, as another process would open it; the caller closes it
     * unless it is {@link #store}. The default is the store under test itself, for stores that
     * only one process can use.
     *
     * @return the store
     */
    protected JobStore openSecondStore() {
        return store;
    }

    // ------------------------------------------------------------------ submit

    @Test
    void submittingAgainWithTheSameIdempotencyKeyReturnsTheSameJobEvenFromRacingThreads() throws Exception {
        JobEngine engine = track(JobEngine.builder(store).step("echo", new Fakes.Echo())
                .recipe(Recipe.builder("q").step("a", "echo").build()).build());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Job>> submits = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                submits.add(pool.submit(() -> {
                    go.await();
                    return engine.submit("q", json("{\"n\":1}"), SubmitOptions.defaults().withIdempotencyKey("order-42")).job();
                }));
            }
            go.countDown();
            Set<String> ids = new HashSet<>();
            for (Future<Job> f : submits) {
                ids.add(f.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS).id());
            }
            assertEquals(1, ids.size(), ids.toString());
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, store.findJobs(JobQuery.all()).size());
        Job other = engine.submit("q", obj(), SubmitOptions.defaults().withIdempotencyKey("order-43")).job();
        assertEquals(2, store.findJobs(JobQuery.all()).size());
        assertEquals("order-43", other.idempotencyKey());
    }

    @Test
    void submitTellsWhetherItCreatedTheJobOrFoundItByItsIdempotencyKey() throws Exception {
        JobEngine engine = track(JobEngine.builder(store).step("echo", new Fakes.Echo())
                .recipe(Recipe.builder("q").step("a", "echo").build()).build());
        Submitted first = engine.submit("q", json("{\"n\":1}"), SubmitOptions.defaults().withIdempotencyKey("k-1"));
        Submitted again = engine.submit("q", json("{\"n\":2}"), SubmitOptions.defaults().withIdempotencyKey("k-1"));
        Submitted unkeyed = engine.submit("q", obj(), SubmitOptions.defaults());
        assertTrue(first.created());
        assertFalse(again.created(), "found by its key");
        assertEquals(first.job(), again.job(), "the stored job, with the first submit's input");
        assertEquals(json("{\"n\":1}"), again.job().input());
        assertTrue(unkeyed.created());
        assertEquals(2, store.findJobs(JobQuery.all()).size());

        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Submitted>> racing = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                racing.add(pool.submit(() -> {
                    go.await();
                    return engine.submit("q", obj(), SubmitOptions.defaults().withIdempotencyKey("k-2"));
                }));
            }
            go.countDown();
            int created = 0;
            for (Future<Submitted> f : racing) {
                created += f.get(20, TimeUnit.SECONDS).created() ? 1 : 0;
            }
            assertEquals(1, created, "exactly one racing submit created the job");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void workersRunSubmittedJobsAndASubmitWakesAnIdleWorkerAtOnce() throws Exception {
        JobEngine engine = track(JobEngine.builder(store).step("echo", new Fakes.Echo())
                .recipe(Recipe.builder("q").step("a", "echo").step("b", "echo").build()).build());
        List<Thread> loops = Collections.synchronizedList(new ArrayList<>());
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "test-worker-" + loops.size());
            t.setDaemon(true);
            loops.add(t);
            return t;
        });
        try {
            // The next poll is an hour away: only the submit's wake-up can start the job in time.
            Workers workers = engine.startWorkers(WorkerOptions.defaults().withCount(2).withPollInterval(Duration.ofHours(1))
                    .withExecutor(executor));
            await("both workers are idle", () -> loops.size() == 2 && loops.stream().allMatch(WorkersContract::parked));
            Job job = engine.submit("q", obj(), SubmitOptions.defaults()).job();
            await("the job completes: woken at once, not after the hour's poll",
                    () -> stored(job.id()).status() == JobStatus.COMPLETED);
            submitTwentyMoreAndAwaitThem(engine, workers);
            workers.close();
        } finally {
            executor.shutdownNow();
        }
    }

    private void submitTwentyMoreAndAwaitThem(JobEngine engine, Workers workers) throws InterruptedException {
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            jobs.add(engine.submit("q", json("{\"i\":" + i + "}"), SubmitOptions.defaults()).job());
        }
        await("all complete", () -> jobs.stream().allMatch(j -> stored(j.id()).status() == JobStatus.COMPLETED));
        await("the workers counted 21 jobs", () -> workers.jobsRun() == 21); // counted just after the final write
        assertValidManifest(stored(jobs.get(7).id()).manifest());
    }

    // ------------------------------------------------------------------ retries

    /** Fails {@code failures} times with the given exception, then succeeds. */
    static final class Flaky implements dev.stepwise.engine.api.Step {
        final AtomicInteger calls = new AtomicInteger();
        final int failures;
        final RuntimeException error;

        Flaky(int failures, RuntimeException error) {
            this.failures = failures;
            this.error = error;
        }

        @Override
        public Object execute(dev.stepwise.engine.api.StepContext ctx) {
            if (calls.incrementAndGet() <= failures) {
                throw error;
            }
            return json("{\"attempt\":" + ctx.attempt() + "}");
        }
    }

    private static final RetryPolicy BACKOFF = RetryPolicy.builder().maxAttempts(3).initialDelay(Duration.ofSeconds(10))
            .multiplier(3.0).maxDelay(Duration.ofMinutes(5)).jitter(false).nonRetryable(List.of("java.lang.IllegalArgumentException"))
            .build();

    @Test
    void aFailingStepIsRetriedDurablyAtThePolicysDelaysUnderAFixedClock() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
        Flaky flaky = new Flaky(2, new IllegalStateException("503 from provider"));
        Fakes.Echo echo = new Fakes.Echo();
        JobEngine engine = track(JobEngine.builder(store).clock(clock).step("flaky", flaky).step("echo", echo)
                .recipe(Recipe.builder("retry").step("first", "echo")
                        .step(StepDefinition.builder("call", "flaky").retry(BACKOFF).build()).build())
                .build());
        engine.startWorkers(WorkerOptions.defaults().withPollInterval(FAST_POLL));
        Job job = engine.submit("retry", obj(), SubmitOptions.defaults()).job();
        Instant t0 = clock.instant();

        await("first failure", () -> flaky.calls.get() == 1 && stored(job.id()).status() == JobStatus.PENDING);
        assertEquals(t0.plusSeconds(10), stored(job.id()).runAt(), "1st retry after initialDelay");
        awaitSeveralPolls(clock);
        assertEquals(1, flaky.calls.get(), "no thread sleeps through the backoff and no early retry");
        clock.advance(Duration.ofSeconds(10));
        await("second failure", () -> flaky.calls.get() == 2 && stored(job.id()).status() == JobStatus.PENDING);
        assertEquals(t0.plusSeconds(10 + 30), stored(job.id()).runAt(), "2nd retry after initialDelay x multiplier");
        clock.advance(Duration.ofSeconds(30));
        await("completed", () -> stored(job.id()).status() == JobStatus.COMPLETED);

        List<JobStep> steps = store.findSteps(job.id());
        assertEquals(3, steps.get(1).attempts());
        assertEquals(1, echo.executions("first"), "earlier checkpoints are reused by every attempt");
        List<Attempt> attempts = steps.get(1).attemptLog();
        assertEquals(List.of(AttemptOutcome.FAILED, AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED),
                attempts.stream().map(Attempt::outcome).toList());
        assertEquals(Optional.of("IllegalStateException: 503 from provider"), attempts.get(0).error());
        assertEquals(List.of(Optional.of(Duration.ofSeconds(10)), Optional.of(Duration.ofSeconds(30)), Optional.empty()),
                attempts.stream().map(Attempt::retryDelay).toList());
        assertEquals(List.of(1, 2, 3), attempts.stream().map(Attempt::number).toList());
        assertEquals(t0.plusSeconds(40), attempts.get(2).startedAt());

        Job done = stored(job.id());
        assertValidManifest(done.manifest());
        var attemptLog = done.manifest().at("/steps/1/attempt_log");
        assertEquals(3, attemptLog.size(), attemptLog.toString());
        assertEquals(List.of(10000L, 30000L), List.of(attemptLog.get(0).get("retry_delay_ms").asLong(),
                attemptLog.get(1).get("retry_delay_ms").asLong()));
        assertTrue(attemptLog.get(2).get("retry_delay_ms").isNull());
        assertEquals("IllegalStateException: 503 from provider", attemptLog.get(0).get("error").asString());
        assertEquals(t0.toString(), attemptLog.get(0).get("started_at").asString());
        assertEquals(t0.plusSeconds(40).toString(), attemptLog.get(2).get("started_at").asString());
        assertTrue(attemptLog.get(2).get("error").isNull(), "the last attempt succeeded");
        assertTrue(done.manifest().at("/steps/0/attempt_log").isMissingNode(), "a step that ran once has none");
    }

    @Test
    void runRetriesWaitOnTheEnginesClockNotOnRealTime() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
        Flaky flaky = new Flaky(2, new IllegalStateException("503 from provider"));
        JobEngine engine = track(JobEngine.builder(store).clock(clock).step("flaky", flaky)
                .recipe(Recipe.builder("retry-run").step(StepDefinition.builder("call", "flaky").retry(BACKOFF).build())
                        .build()).build());
        Job job = engine.createJob("retry-run", obj());
        Instant t0 = clock.instant();
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<Job> run = caller.submit(() -> engine.run(job.id())); // run(jobId) on its own (caller's) thread
            await("first failure recorded", () -> store.findSteps(job.id()).get(0).attemptLog().size() == 1
                    && store.findSteps(job.id()).get(0).attemptLog().get(0).retryDelay().isPresent());
            long reads = clock.reads();
            Await.until("the run looked at the clock 10 more times", () -> clock.reads() >= reads + 10);
            assertEquals(1, flaky.calls.get(), "no retry before the clock reaches the retry time");
            assertEquals(JobStatus.RUNNING, stored(job.id()).status(), "the run waits, holding the job");
            clock.advance(Duration.ofSeconds(10));
            await("second failure recorded", () -> store.findSteps(job.id()).get(0).attemptLog().size() == 2
                    && store.findSteps(job.id()).get(0).attemptLog().get(1).retryDelay().isPresent());
            assertEquals(2, flaky.calls.get());
            clock.advance(Duration.ofSeconds(30));
            Job end = run.get(60, TimeUnit.SECONDS); // hang guard only
            assertEquals(JobStatus.COMPLETED, end.status(), () -> "last error: " + end.lastError());
        } finally {
            caller.shutdownNow();
        }
        List<Attempt> attempts = store.findSteps(job.id()).get(0).attemptLog();
        assertEquals(List.of(t0, t0.plusSeconds(10), t0.plusSeconds(40)), attempts.stream().map(Attempt::startedAt).toList());
        assertEquals(List.of(Optional.of(Duration.ofSeconds(10)), Optional.of(Duration.ofSeconds(30)), Optional.empty()),
                attempts.stream().map(Attempt::retryDelay).toList());
        assertValidManifest(engine.manifest(job.id()));
    }

    @Test
    void aNonRetryableOrPermanentErrorFailsAtOnceAndExhaustedAttemptsFailTheJob() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
        Flaky badInput = new Flaky(99, new IllegalArgumentException("row 7 is not a number"));
        Flaky refused = new Flaky(99, new PermanentStepException("the provider refused this text"));
        Flaky down = new Flaky(99, new IllegalStateException("provider down"));
        JobEngine engine = track(JobEngine.builder(store).clock(clock).step("bad", badInput).step("refused", refused)
                .step("down", down)
                .recipe(Recipe.builder("bad").step(StepDefinition.builder("s", "bad").retry(BACKOFF).build()).build())
                .recipe(Recipe.builder("refused").step(StepDefinition.builder("s", "refused").retry(BACKOFF).build()).build())
                .recipe(Recipe.builder("down").step(StepDefinition.builder("s", "down").retry(BACKOFF).build()).build())
                .build());
        engine.startWorkers(WorkerOptions.defaults().withPollInterval(FAST_POLL));
        Job bad = engine.submit("bad", obj(), SubmitOptions.defaults()).job();
        Job ref = engine.submit("refused", obj(), SubmitOptions.defaults()).job();
        Job dn = engine.submit("down", obj(), SubmitOptions.defaults()).job();
        await("non-retryable failed", () -> stored(bad.id()).status() == JobStatus.FAILED);
        await("permanent failed", () -> stored(ref.id()).status() == JobStatus.FAILED);
        assertEquals(1, badInput.calls.get());
        assertEquals(1, refused.calls.get());
        for (int i = 0; i < 2; i++) {
            int calls = i + 1;
            await("down attempt " + calls, () -> down.calls.get() == calls && stored(dn.id()).status() == JobStatus.PENDING);
            clock.advance(Duration.ofMinutes(5));
        }
        await("exhausted", () -> stored(dn.id()).status() == JobStatus.FAILED);
        assertEquals(3, down.calls.get());
        assertTrue(stored(dn.id()).lastError().contains("after 3 attempts"), stored(dn.id()).lastError());
        engine.retry(dn.id());
        clock.advance(Duration.ofSeconds(1));
        await("a manual retry runs it again", () -> down.calls.get() == 4);
    }

    @Test
    void runOnTheCallersThreadRetriesInPlaceAfterTheDelay() {
        Flaky flaky = new Flaky(2, new IllegalStateException("flap"));
        JobEngine engine = track(JobEngine.builder(store).step("flaky", flaky)
                .recipe(Recipe.builder("inline").step(StepDefinition.builder("s", "flaky")
                        .retry(RetryPolicy.builder().maxAttempts(3).initialDelay(Duration.ofMillis(20)).multiplier(2.0)
                                .maxDelay(Duration.ofMillis(100)).jitter(true).build()).build())
                        .build())
                .build());
        Job done = engine.run(engine.createJob("inline", obj()).id());
        assertEquals(JobStatus.COMPLETED, done.status());
        assertEquals(3, flaky.calls.get());
        assertEquals(json("{\"attempt\":3}"), store.findSteps(done.id()).get(0).outputRefs());
    }

    // ------------------------------------------------------------------ timeouts

    @Test
    void aStepPastItsTimeoutIsInterruptedAndFailsWithATimeoutError() throws Exception {
        AtomicBoolean interrupted = new AtomicBoolean();
        JobEngine engine = track(JobEngine.builder(store)
                .step("sleepy", ctx -> {
                    try {
                        Thread.sleep(Duration.ofMinutes(10).toMillis()); // run returns long before, or the test hangs
                    } catch (InterruptedException e) {
                        interrupted.set(true);
                        throw e;
                    }
                    return obj();
                })
                .recipe(Recipe.builder("slow").step(StepDefinition.builder("nap", "sleepy").timeout(Duration.ofMillis(200)).build()).build())
                .build());
        Job done = engine.run(engine.createJob("slow", obj()).id());
        await("the step was interrupted", interrupted::get);
        assertEquals(JobStatus.FAILED, done.status());
        assertTrue(done.lastError().contains("timed out after 200 ms"), done.lastError());
        assertEquals(StepStatus.FAILED, store.findSteps(done.id()).get(0).status());
        assertTrue(store.findSteps(done.id()).get(0).error().contains("timed out"));
    }

    @Test
    void aStepThatSwallowsInterruptsDoesNotHoldTheRunnerAndItsLateResultIsDiscarded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean returned = new AtomicBoolean();
        ExecutorService stepThreads = Executors.newCachedThreadPool();
        JobEngine engine = track(JobEngine.builder(store).stepExecutor(stepThreads)
                .step("stubborn", ctx -> {
                    while (release.getCount() > 0) {
                        try {
                            release.await();
                        } catch (InterruptedException ignored) {
                            // swallowed on purpose
                        }
                    }
                    returned.set(true);
                    return json("{\"late\":true}");
                })
                .recipe(Recipe.builder("stubborn").step(StepDefinition.builder("s", "stubborn").timeout(Duration.ofMillis(200)).build()).build())
                .build());
        Job done = engine.run(engine.createJob("stubborn", obj()).id());
        assertEquals(JobStatus.FAILED, done.status());
        assertFalse(returned.get(), "the runner moved on while the step still held its thread");
        release.countDown();
        await("the abandoned step returns", returned::get);
        stepThreads.shutdown();
        assertTrue(stepThreads.awaitTermination(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS),
                "the engine is done with the late result");
        JobStep row = store.findSteps(done.id()).get(0);
        assertEquals(StepStatus.FAILED, row.status(), "the late result was never committed");
        assertEquals(null, row.outputRefs());
    }

    // ------------------------------------------------------------------ parallel steps

    private static final Map<String, long[]> SPANS = new ConcurrentHashMap<>();

    private JobEngine diamondEngine(String failing) {
        SPANS.clear();
        CountDownLatch bothBranches = new CountDownLatch(2);
        dev.stepwise.engine.api.Step timed = ctx -> {
            long start = System.nanoTime();
            boolean branch = ctx.stepKey().equals("b") || ctx.stepKey().equals("c");
            if (branch) {
                // b and c each wait until the other started: run one after the other, they would
                // not overlap (the overlap is asserted), however fast or slow the machine
                bothBranches.countDown();
                bothBranches.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS);
            }
            Thread.sleep(branch ? 300 : 10);
            if (ctx.stepKey().equals(failing)) {
                SPANS.put(ctx.stepKey(), new long[] {start, System.nanoTime()});
                throw new IllegalStateException("branch " + failing + " broke");
            }
            SPANS.put(ctx.stepKey(), new long[] {start, System.nanoTime()});
            return json("{\"k\":\"" + ctx.stepKey() + "\",\"saw\":" + ctx.outputs().keySet().size() + "}");
        };
        return track(JobEngine.builder(store).step("timed", timed)
                .recipe(Recipe.builder("diamond")
                        .step(StepDefinition.of("a", "timed"))
                        .step(StepDefinition.builder("b", "timed").dependsOn("a").build())
                        .step(StepDefinition.builder("c", "timed").dependsOn("a").build())
                        .step(StepDefinition.builder("d", "timed").dependsOn("b", "c").build())
                        .build())
                .build());
    }

    @Test
    void aDiamondRunsItsBranchesAtTheSameTimeAndJoinsAfterBoth() {
        JobEngine engine = diamondEngine(null);
        Job done = engine.run(engine.createJob("diamond", obj()).id());
        assertEquals(JobStatus.COMPLETED, done.status());
        long[] a = SPANS.get("a"), b = SPANS.get("b"), c = SPANS.get("c"), d = SPANS.get("d");
        assertTrue(b[0] >= a[1] && c[0] >= a[1], "b and c start after a");
        assertTrue(b[0] < c[1] && c[0] < b[1], "b and c overlap in time");
        assertTrue(d[0] >= b[1] && d[0] >= c[1], "d starts after both");
        List<JobStep> steps = store.findSteps(done.id());
        assertEquals(List.of("a", "b", "c", "d"), steps.stream().map(JobStep::stepKey).toList(), "manifest order is recipe order");
        assertEquals(json("{\"k\":\"d\",\"saw\":2}"), steps.get(3).outputRefs(), "d sees only its dependencies' outputs");
        assertEquals(List.of("a", "b", "c", "d"), done.manifest().findValues("key").stream()
                .map(n -> n.asString()).filter(k -> k.length() == 1).distinct().toList());
        assertValidManifest(done.manifest());
    }

    @Test
    void aFailedBranchStopsTheJoinButTheOtherBranchFinishesAndIsCheckpointed() {
        JobEngine engine = diamondEngine("b");
        Job done = engine.run(engine.createJob("diamond", obj()).id());
        assertEquals(JobStatus.FAILED, done.status());
        assertTrue(done.lastError().contains("branch b broke"), done.lastError());
        List<JobStep> steps = store.findSteps(done.id());
        assertEquals(StepStatus.FAILED, steps.get(1).status());
        assertEquals(StepStatus.SUCCESS, steps.get(2).status(), "c was running: it finished and was checkpointed");
        assertEquals(StepStatus.PENDING, steps.get(3).status(), "d never started");
        assertFalse(SPANS.containsKey("d"));
    }

    @Test
    void aCycleOrAnUnknownDependencyIsRejectedWhenPublished() {
        JobEngine engine = track(JobEngine.builder(store).step("echo", new Fakes.Echo()).build());
        InvalidRecipeException cycle = assertThrows(InvalidRecipeException.class, () -> engine.catalog().publishRecipe(json("""
                {"slug": "loop", "steps": [
                  {"key": "a", "type": "echo", "depends_on": ["c"]},
                  {"key": "b", "type": "echo", "depends_on": ["a"]},
                  {"key": "c", "type": "echo", "depends_on": ["b"]}]}""")));
        assertTrue(cycle.getMessage().contains("cycle") && cycle.getMessage().contains("a -> c -> b -> a"), cycle.getMessage());
        InvalidRecipeException unknown = assertThrows(InvalidRecipeException.class, () -> engine.catalog().publishRecipe(json("""
                {"slug": "dangling", "steps": [{"key": "a", "type": "echo", "depends_on": ["ghost"]}]}""")));
        assertTrue(unknown.getMessage().contains("'ghost'"), unknown.getMessage());
    }

    // ------------------------------------------------------------------ shutdown

    @Test
    void closeLetsTheRunningStepFinishAndHandsUnfinishedJobsBack() throws Exception {
        CountDownLatch inLong = new CountDownLatch(1);
        AtomicReference<Thread> closer = new AtomicReference<>();
        Fakes.Echo echo = new Fakes.Echo();
        JobEngine engine = JobEngine.builder(store).runnerId("old")
                .step("long", ctx -> {
                    inLong.countDown();
                    // still running when close() begins: it ends only once close() waits for it
                    await("close() waits for the running step", () -> closer.get() != null && parked(closer.get()));
                    return json("{\"long\":\"done\"}");
                })
                .step("echo", echo)
                .recipe(Recipe.builder("two").step("l", "long").step("e", "echo").build())
                .build();
        Workers workers = engine.startWorkers(WorkerOptions.defaults().withPollInterval(FAST_POLL)
                .withShutdownGrace(Duration.ofSeconds(10)));
        Job first = engine.submit("two", obj(), SubmitOptions.defaults()).job();
        assertTrue(inLong.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
        Job second = engine.submit("two", obj(), SubmitOptions.defaults()).job();
        Thread closing = new Thread(workers::close, "closer");
        closer.set(closing);
        closing.start();
        closing.join(Await.GUARD.toMillis());
        assertFalse(closing.isAlive(), "workers.close() returned");
        engine.close();

        Job handedBack = stored(first.id());
        assertEquals(JobStatus.PENDING, handedBack.status(), "handed back, not left running");
        assertEquals(null, handedBack.leaseOwner());
        List<JobStep> steps = store.findSteps(first.id());
        assertEquals(StepStatus.SUCCESS, steps.get(0).status(), "the long step finished and was checkpointed");
        assertEquals(StepStatus.PENDING, steps.get(1).status());
        assertEquals(JobStatus.PENDING, stored(second.id()).status(), "the unstarted job stays pending");
        assertEquals(0, echo.executions("e"));

        CountDownLatch never = new CountDownLatch(1);
        JobEngine fresh = track(JobEngine.builder(store).runnerId("new")
                .step("long", ctx -> {
                    never.countDown();
                    return json("{\"long\":\"again\"}");
                })
                .step("echo", echo).build());
        fresh.startWorkers(WorkerOptions.defaults().withPollInterval(FAST_POLL));
        await("everything completes", () -> stored(first.id()).status() == JobStatus.COMPLETED
                && stored(second.id()).status() == JobStatus.COMPLETED);
        assertEquals(json("{\"long\":\"done\"}"), store.findSteps(first.id()).get(0).outputRefs(), "the checkpoint was reused");
        assertEquals(StepStatus.SKIPPED, store.findSteps(first.id()).get(0).status());
    }

    // ------------------------------------------------------------------ ordering and limits

    @Test
    void workersTakeHigherPrioritiesFirstThenEarlierRunAtAndWaitForRunAt() throws Exception {
        MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        JobEngine engine = track(JobEngine.builder(store).clock(clock)
                .step("note", ctx -> {
                    order.add(ctx.input().get("name").asString());
                    return obj();
                })
                .recipe(Recipe.builder("note").step("n", "note").build()).build());
        Instant now = clock.instant();
        engine.submit("note", json("{\"name\":\"low\"}"), SubmitOptions.defaults().withPriority(0));
        engine.submit("note", json("{\"name\":\"high-later\"}"), SubmitOptions.defaults().withPriority(5).withRunAt(now.minusSeconds(1)));
        engine.submit("note", json("{\"name\":\"high-earlier\"}"), SubmitOptions.defaults().withPriority(5).withRunAt(now.minusSeconds(9)));
        Job future = engine.submit("note", json("{\"name\":\"future\"}"), SubmitOptions.defaults().withPriority(9)
                .withRunAt(now.plusSeconds(60))).job();
        engine.submit("note", json("{\"name\":\"mid\"}"), SubmitOptions.defaults().withPriority(2));
        engine.startWorkers(WorkerOptions.defaults().withPollInterval(FAST_POLL));
        await("four run", () -> order.size() == 4);
        assertEquals(List.of("high-earlier", "high-later", "mid", "low"), order);
        awaitSeveralPolls(clock);
        assertEquals(JobStatus.PENDING, stored(future.id()).status(), "not before its run-at");
        clock.advance(Duration.ofSeconds(61));
        await("the future job runs", () -> order.size() == 5);
        assertEquals("future", order.get(4));
    }

    @Test
    void thePerRecipeConcurrencyLimitIsNeverExceeded() throws Exception {
        AtomicInteger now = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        AtomicInteger otherRan = new AtomicInteger();
        JobEngine engine = track(JobEngine.builder(store)
                .step("limited", ctx -> {
                    int n = now.incrementAndGet();
                    max.accumulateAndGet(n, Math::max);
                    // the first waits for a second one, so the limit is reached on any machine
                    await("two 'limited' jobs run at once", () -> max.get() >= 2);
                    Thread.sleep(40);
                    now.decrementAndGet();
                    return obj();
                })
                .step("free", ctx -> {
                    otherRan.incrementAndGet();
                    return obj();
                })
                .recipe(Recipe.builder("limited").step("s", "limited").build())
                .recipe(Recipe.builder("free").step("s", "free").build()).build());
        List<Job> jobs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            jobs.add(engine.submit("limited", obj(), SubmitOptions.defaults()).job());
        }
        for (int i = 0; i < 4; i++) {
            jobs.add(engine.submit("free", obj(), SubmitOptions.defaults()).job());
        }
        engine.startWorkers(WorkerOptions.defaults().withCount(4).withPollInterval(FAST_POLL)
                .withRecipeLimits(Map.of("limited", 2)));
        await("all complete", () -> jobs.stream().allMatch(j -> stored(j.id()).status() == JobStatus.COMPLETED));
        assertTrue(max.get() <= 2, "at most 2 'limited' jobs at once, saw " + max.get());
        assertEquals(2, max.get(), "the limit was reached, so the test could fail");
        assertEquals(4, otherRan.get());
        assertNotNull(stored(jobs.get(0).id()).manifest());
    }

    // ------------------------------------------------------------------ picks: the claim rides with the first write

    @Test
    void manyWorkersOfTwoEnginesRacingForOneQueueRunEveryStepExactlyOnce() throws Exception {
        int jobs = 60;
        Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
        Recipe recipe = Recipe.builder("race").step("a", "count").step("b", "count").build();
        dev.stepwise.engine.api.Step counting = ctx -> {
            executions.computeIfAbsent(ctx.jobId() + "/" + ctx.stepKey(), k -> new AtomicInteger()).incrementAndGet();
            return obj();
        };
        JobStore second = openSecondStore();
        try {
            JobEngine one = track(JobEngine.builder(store).runnerId("one").step("count", counting).recipe(recipe));
            JobEngine two = JobEngine.builder(second).runnerId("two").step("count", counting).recipe(recipe).build();
            try {
                List<Job> submitted = new ArrayList<>();
                for (int i = 0; i < jobs; i++) {
                    submitted.add(one.submit("race", json("{\"i\":" + i + "}"), SubmitOptions.defaults()).job());
                }
                Workers w1 = one.startWorkers(WorkerOptions.defaults().withCount(6).withPollInterval(FAST_POLL));
                Workers w2 = two.startWorkers(WorkerOptions.defaults().withCount(6).withPollInterval(FAST_POLL));
                await("all complete", () -> submitted.stream().allMatch(j -> stored(j.id()).status() == JobStatus.COMPLETED));
                w1.close();
                w2.close();
                assertEquals(jobs, w1.jobsRun() + w2.jobsRun(), "each job ran once, by one of the engines");
            } finally {
                two.close();
            }
        } finally {
            if (second != store) {
                second.close();
            }
        }
        assertEquals(2 * jobs, executions.size());
        executions.forEach((step, n) -> assertEquals(1, n.get(), "executions of " + step));
        for (Job j : store.findJobs(new JobQuery(Set.of(), 1000))) {
            assertEquals(JobStatus.COMPLETED, j.status(), j.id());
            assertEquals(1, j.epoch(), "claimed once; a lost race writes nothing: " + j.id());
        }
        assertEquals(List.of(), store.findJobs(new JobQuery(Set.of(JobStatus.RUNNING), 10)));
    }

    @Test
    void aWorkerThatDiesBetweenThePickAndItsFirstWriteLeavesTheJobPendingAndAnotherWorkerRunsIt() throws Exception {
        CountDownLatch died = new CountDownLatch(1);
        AtomicInteger executions = new AtomicInteger();
        Recipe recipe = Recipe.builder("two-steps").step("a", "count").step("b", "count").build();
        dev.stepwise.engine.api.Step counting = ctx -> {
            executions.incrementAndGet();
            return obj();
        };
        JobEngine dying = track(JobEngine.builder(store).runnerId("dying").step("count", counting).recipe(recipe)
                .listener(new RunListener() {
                    @Override
                    public void beforeCommit(String jobId, boolean terminal) {
                        died.countDown();
                        throw new IllegalStateException("simulated crash before the first commit of job " + jobId);
                    }
                }));
        Job job = dying.createJob("two-steps", obj());
        List<LogEntry> logsBefore = store.findLogs(job.id(), 0, 100);
        Workers doomed = dying.startWorkers(WorkerOptions.defaults().withPollInterval(FAST_POLL));
        assertTrue(died.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
        doomed.close();

        Job after = stored(job.id());
        assertEquals(JobStatus.PENDING, after.status());
        assertEquals(job.epoch(), after.epoch(), "not claimed: the claim rides with the first write");
        assertEquals(null, after.leaseOwner());
        assertEquals(logsBefore, store.findLogs(job.id(), 0, 100), "no log line written");
        for (JobStep s : store.findSteps(job.id())) {
            assertEquals(StepStatus.PENDING, s.status(), s.stepKey());
            assertEquals(0, s.attempts(), s.stepKey());
        }
        assertEquals(0, executions.get(), "no step ran");

        JobEngine rescuer = track(JobEngine.builder(store).runnerId("rescuer").step("count", counting).recipe(recipe));
        rescuer.startWorkers(WorkerOptions.defaults().withPollInterval(FAST_POLL));
        await("another worker completes it", () -> stored(job.id()).status() == JobStatus.COMPLETED);
        assertEquals(2, executions.get(), "each step ran once");
        assertEquals(job.epoch() + 1, stored(job.id()).epoch());
        assertTrue(stored(job.id()).manifest() != null);
    }

    @Test
    void aWorkerLackingAStepTypeHandsTheJobBackPendingForLaterWithAWarning() throws Exception {
        Recipe recipe = Recipe.builder("needs-x").step("a", "x").build();
        JobEngine creator = track(JobEngine.builder(store).runnerId("creator").step("x", new Fakes.Echo()).recipe(recipe));
        // Without recipe limits the worker picks (its hand-back is guarded as a claim); with them it
        // claims first (its hand-back is guarded by its lease): both give the job back the same way.
        for (Map<String, Integer> limits : List.of(Map.<String, Integer>of(), Map.of("needs-x", 5))) {
            Job job = creator.createJob("needs-x", obj());
            JobEngine lacking = track(JobEngine.builder(store).runnerId("lacking").step("other", new Fakes.Echo()));
            Workers workers = lacking.startWorkers(WorkerOptions.defaults().withPollInterval(FAST_POLL).withRecipeLimits(limits));
            await("the job is handed back", () -> store.findLogs(job.id(), 0, 100).stream()
                    .anyMatch(l -> l.message().contains("cannot run it")));
            workers.close();

            Job back = stored(job.id());
            assertEquals(JobStatus.PENDING, back.status(), limits.toString());
            assertEquals(job.epoch() + 1, back.epoch(), "stale picks of it fail: " + limits);
            assertEquals(null, back.leaseOwner());
            assertTrue(back.runAt().isAfter(job.runAt()), "runnable again only later: " + back.runAt());
            LogEntry warning = store.findLogs(job.id(), 0, 100).stream().filter(l -> l.message().contains("cannot run it"))
                    .findFirst().orElseThrow();
            assertEquals(LogLevel.WARN, warning.level());
            assertTrue(warning.message().startsWith("runner lacking#w1 cannot run it: "), warning.message());
            assertTrue(warning.message().contains("'x'"), warning.message());
            for (JobStep s : store.findSteps(job.id())) {
                assertEquals(StepStatus.PENDING, s.status(), s.stepKey());
            }
        }
    }

    @Test
    void aPickingWorkerCommitsOneTransactionPerJobFewerThanAClaimingOne() throws Exception {
        FailingJobStore counting = new FailingJobStore(store, 0, 0);
        Recipe recipe = Recipe.builder("q").step("a", "echo").step("b", "echo").build();
        JobEngine engine = track(JobEngine.builder(counting).recoverOnStart(false).step("echo", new Fakes.Echo()).recipe(recipe));
        int[] claiming = transactionsOfOneJob(engine, counting, Map.of("q", 5));
        int[] picking = transactionsOfOneJob(engine, counting, Map.of());
        assertEquals(1, claiming[0], "with recipe limits the worker claims with claimNext");
        assertEquals(0, picking[0], "without limits no claimNext");
        assertEquals(claiming[1], picking[1], "the same writes: the claim rides with the first one");
        assertEquals(claiming[0] + claiming[1] - 1, picking[0] + picking[1]);
    }

    /** @return the claims and the writes that one job run by a worker cost */
    private int[] transactionsOfOneJob(JobEngine engine, FailingJobStore counting, Map<String, Integer> limits)
            throws InterruptedException {
        Job job = engine.createJob("q", obj());
        int claims = counting.claims();
        int writes = counting.writes();
        Workers workers = engine.startWorkers(WorkerOptions.defaults().withPollInterval(FAST_POLL).withRecipeLimits(limits));
        await("the job completes", () -> stored(job.id()).status() == JobStatus.COMPLETED);
        await("the worker counted it", () -> workers.jobsRun() == 1);
        workers.close();
        return new int[] {counting.claims() - claims, counting.writes() - writes};
    }
}
