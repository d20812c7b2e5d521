package dev.stepwise.engine.core.contract;

import static dev.stepwise.engine.core.contract.Fakes.assertValidManifest;
import static dev.stepwise.engine.core.contract.Fakes.json;
import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LeaseLostException;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Durable-resume contract: checkpoint reuse and invalidation, heartbeats, store faults. Every
 * store runs it (a subclass implements {@link #openStore(Path)}).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // hang guard only
public abstract class DurabilityContract extends StoreContractBase {
    /** A step with a settable version and output, counting executions. */
    static final class Versioned implements Step {
        volatile String version = "1";
        volatile String output = "v1";
        final AtomicInteger executions = new AtomicInteger();

        @Override
        public Object execute(StepContext ctx) {
            executions.incrementAndGet();
            return json("{\"out\":\"" + output + "\"}");
        }

        @Override
        public String version() {
            return version;
        }
    }

    /** Fails while {@code failing} is set. */
    static final class Switch implements Step {
        volatile boolean failing = true;
        final AtomicInteger executions = new AtomicInteger();

        @Override
        public Object execute(StepContext ctx) throws Exception {
            executions.incrementAndGet();
            if (failing) {
                throw new IllegalStateException("switch is off");
            }
            return json("{\"up\":" + ctx.output("first") + "}");
        }
    }

    private JobEngine engine(Versioned first, Switch second) {
        return track(JobEngine.builder(store).step("versioned", first).step("switch", second)
                .recipe(Recipe.builder("two").step("first", "versioned").step("second", "switch").build()).build());
    }

    @Test
    void aValidCheckpointIsReusedAndItsOutputFlowsDownstream() {
        Versioned first = new Versioned();
        Switch second = new Switch();
        JobEngine engine = engine(first, second);
        Job job = engine.createJob("two", obj());
        assertEquals(JobStatus.FAILED, engine.run(job.id()).status());
        String hash = engine.steps(job.id()).get(0).inputHash();
        second.failing = false;
        engine.retry(job.id());
        assertEquals(JobStatus.COMPLETED, engine.run(job.id()).status());
        assertEquals(1, first.executions.get());
        List<JobStep> steps = engine.steps(job.id());
        assertEquals(StepStatus.SKIPPED, steps.get(0).status());
        assertEquals(hash, steps.get(0).inputHash());
        assertEquals(json("{\"up\":{\"out\":\"v1\"}}"), steps.get(1).outputRefs());
    }

    @Test
    void bumpingAStepVersionInvalidatesItsCheckpointAndDownstreamWhenTheOutputChanges() {
        Versioned first = new Versioned();
        Switch second = new Switch();
        JobEngine engine = engine(first, second);
        Job job = engine.createJob("two", obj());
        engine.run(job.id());
        String oldHash = engine.steps(job.id()).get(0).inputHash();

        first.version = "2";
        first.output = "v2";
        second.failing = false;
        engine.retry(job.id());
        assertEquals(JobStatus.COMPLETED, engine.run(job.id()).status());
        assertEquals(2, first.executions.get(), "new version: executed again");
        List<JobStep> steps = engine.steps(job.id());
        assertEquals(StepStatus.SUCCESS, steps.get(0).status());
        assertNotEquals(oldHash, steps.get(0).inputHash());
        assertEquals(json("{\"up\":{\"out\":\"v2\"}}"), steps.get(1).outputRefs(), "downstream saw the new output");
    }

    @Test
    void aChangedUpstreamOutputInvalidatesADownstreamCheckpoint() {
        Versioned first = new Versioned();
        Versioned third = new Versioned();
        Switch second = new Switch();
        second.failing = false;
        Switch last = new Switch();
        JobEngine engine = track(JobEngine.builder(store).step("versioned", first).step("switch", second)
                .step("third", third).step("last", last)
                .recipe(Recipe.builder("chain").step("first", "versioned").step("second", "switch")
                        .step("t", "third").step("l", "last").build()).build());
        Job job = engine.createJob("chain", obj());
        assertEquals(JobStatus.FAILED, engine.run(job.id()).status(), "l fails the first time");
        assertEquals(1, second.executions.get());

        // same version, different output (a non-deterministic step re-executed): second must re-run
        first.version = "2";
        first.output = "changed";
        last.failing = false;
        engine.retry(job.id());
        assertEquals(JobStatus.COMPLETED, engine.run(job.id()).status());
        assertEquals(2, second.executions.get(), "second's upstream output changed");
        assertEquals(2, third.executions.get(), "t depends on the outputs before it, which changed too");
    }

    @Test
    void theIdempotencyKeyIsStableAcrossReExecutions() {
        List<String> keys = new ArrayList<>();
        AtomicInteger calls = new AtomicInteger();
        JobEngine engine = track(JobEngine.builder(store).step("flaky", ctx -> {
            keys.add(ctx.idempotencyKey());
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("timeout talking to the provider");
            }
            return obj();
        }).recipe(Recipe.builder("idem").step("call", "flaky").build()).build());
        Job job = engine.createJob("idem", json("{\"x\":1}"));
        engine.run(job.id());
        engine.retry(job.id());
        engine.run(job.id());
        assertEquals(2, keys.size());
        assertEquals(keys.get(0), keys.get(1));
        assertTrue(keys.get(0).startsWith(job.id() + ":call:"), keys.get(0));
        assertEquals(job.id() + ":call:" + engine.steps(job.id()).get(0).inputHash(), keys.get(0));
    }

    /**
     * Lease time is the engine's clock, so the test moves it: half a TTL at a time, three TTLs in
     * all, waiting after each move for the heartbeat to renew the lease from the new time. Without
     * heartbeats the lease would expire at the second move, on any machine.
     */
    @Test
    void aHeartbeatKeepsAStepThreeTimesTheLeaseTtlAlive() throws Exception {
        Duration ttl = Duration.ofMillis(800);
        MutableClock clock = new MutableClock(Clock.systemUTC().instant().truncatedTo(ChronoUnit.MILLIS));
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JobEngine owner = track(JobEngine.builder(store).clock(clock).runnerId("owner").leaseTtl(ttl)
                .heartbeatInterval(Duration.ofMillis(100))
                .step("long", ctx -> {
                    started.countDown();
                    release.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS);
                    return obj();
                })
                .recipe(Recipe.builder("long").step("l", "long").build()).build());
        JobEngine rival = track(JobEngine.builder(store).clock(clock).runnerId("rival").leaseTtl(ttl)
                .heartbeatInterval(Duration.ofMillis(100))
                .step("long", ctx -> obj()).recipe(Recipe.builder("long").step("l", "long").build()).build());
        Job job = owner.createJob("long", obj());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Job> run = pool.submit(() -> owner.run(job.id()));
            assertTrue(started.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            int attempts = 0;
            for (int half = 1; half <= 6; half++) {
                clock.advance(ttl.dividedBy(2));
                Instant renewedFromNow = clock.instant().plus(ttl);
                Await.until("a heartbeat renews the lease after " + half + " half TTLs",
                        () -> !store.findJob(job.id()).orElseThrow().leaseExpiresAt().isBefore(renewedFromNow));
                assertEquals(List.of(), rival.recover(), "the lease never expires while the owner heartbeats");
                assertThrows(JobBusyException.class, () -> rival.run(job.id()), "rival ran a job whose owner is alive");
                attempts++;
            }
            release.countDown();
            assertEquals(JobStatus.COMPLETED, run.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS).status());
            assertTrue(attempts >= 5, "rival tried throughout the step: " + attempts);
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    /**
     * The stalled heartbeat blocks in a listener; the test moves the engines' clock past the
     * lease, so the rescuer takes over, and only then lets the stalled step return.
     */
    @Test
    void aStalledProcessLosesItsLeaseAndItsLateResultIsRefused() throws Exception {
        Duration ttl = Duration.ofMillis(300);
        MutableClock clock = new MutableClock(Clock.systemUTC().instant().truncatedTo(ChronoUnit.MILLIS));
        CountDownLatch stalled = new CountDownLatch(1);
        CountDownLatch unstall = new CountDownLatch(1);
        CountDownLatch rescuedLatch = new CountDownLatch(1);
        JobEngine stalling = track(JobEngine.builder(store).clock(clock).runnerId("stalling").leaseTtl(ttl)
                .heartbeatInterval(Duration.ofMillis(100))
                .listener(new RunListener() {
                    @Override
                    public void beforeLeaseRenewal(String jobId) {
                        stalled.countDown();
                        try {
                            unstall.await(); // the heartbeat is stuck: a GC pause, a frozen VM
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                })
                .step("long", ctx -> {
                    rescuedLatch.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS); // returns after the rescue
                    return json("{\"by\":\"stalling\"}");
                })
                .recipe(Recipe.builder("long").step("l", "long").build()).build());
        JobEngine rescuer = track(JobEngine.builder(store).clock(clock).runnerId("rescuer").leaseTtl(ttl)
                .heartbeatInterval(Duration.ofMillis(100)).step("long", ctx -> json("{\"by\":\"rescuer\"}"))
                .recipe(Recipe.builder("long").step("l", "long").build()).build());
        Job job = stalling.createJob("long", obj());
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Job> stallingRun = pool.submit(() -> stalling.run(job.id()));
            assertTrue(stalled.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            assertThrows(JobBusyException.class, () -> rescuer.run(job.id()), "the lease has not expired yet");
            clock.advance(ttl.plusMillis(1));
            assertEquals(1, rescuer.recover().size(), "the stalled owner's lease expired");
            Job rescued = rescuer.run(job.id());
            assertEquals(JobStatus.COMPLETED, rescued.status());
            rescuedLatch.countDown();
            unstall.countDown();
            var e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> stallingRun.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(e.getCause() instanceof LeaseLostException, String.valueOf(e.getCause()));
        } finally {
            rescuedLatch.countDown();
            unstall.countDown();
            pool.shutdownNow();
        }
        assertEquals(json("{\"by\":\"rescuer\"}"), store.findSteps(job.id()).get(0).outputRefs());
        assertEquals(JobStatus.COMPLETED, store.findJob(job.id()).orElseThrow().status());
    }

    @Test
    void storeFaultsEndEveryJobCompletedOrCleanlyFailedWithoutBlamingTheStep() {
        FailingJobStore faulty = new FailingJobStore(store, 0.10, 42);
        MutableClock clock = new MutableClock(Clock.systemUTC().instant());
        AtomicInteger executions = new AtomicInteger();
        JobEngine engine = track(JobEngine.builder(faulty).clock(clock).recoverOnStart(false).step("work", ctx -> {
            executions.incrementAndGet();
            return json("{\"n\":" + ctx.outputs().size() + "}");
        }).recipe(Recipe.builder("faulty").step("a", "work").step("b", "work").step("c", "work").build()).build());
        int completed = 0;
        int failedByStore = 0;
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Job job = engine.createJob("faulty", obj());
            ids.add(job.id());
            Job end;
            try {
                end = engine.run(job.id());
            } catch (StoreException bothWritesFailed) {
                // neither the step's checkpoint nor the failure could be recorded: the job stays
                // running until its lease expires, then recovery hands it back
                // (or the claim itself failed: nothing was written and the job is still pending)
                if (engine.job(job.id()).status() == JobStatus.RUNNING) {
                    clock.advance(JobEngine.DEFAULT_LEASE_TTL.plusSeconds(1));
                    assertEquals(1, engine.recover().size());
                }
                end = engine.job(job.id());
            }
            if (end.status() == JobStatus.COMPLETED) {
                completed++;
            } else {
                assertTrue(end.status() == JobStatus.FAILED || end.status() == JobStatus.PENDING, end.toString());
                if (end.status() == JobStatus.FAILED) {
                    assertTrue(end.lastError().startsWith("store error"), end.lastError());
                    failedByStore++;
                }
            }
        }
        assertTrue(faulty.failedBeforeCommit() > 0 && faulty.failedAfterCommit() > 0, "faults were injected");
        assertTrue(completed > 0 && failedByStore > 0, completed + " completed, " + failedByStore + " failed");
        for (String id : ids) {
            List<JobStep> steps = store.findSteps(id);
            assertEquals(3, steps.size(), "one row per step, never a duplicate");
            for (JobStep s : steps) {
                assertNotEquals(StepStatus.FAILED, s.status(), "a store error never fails a step: " + s);
            }
            Job j = store.findJob(id).orElseThrow();
            if (j.status() == JobStatus.COMPLETED) {
                assertTrue(steps.stream().allMatch(s -> s.status() == StepStatus.SUCCESS));
                assertValidManifest(j.manifest());
            }
        }
        // retrying every job that did not complete finishes it, on a store that no longer fails
        JobEngine healthy = track(JobEngine.builder(store).clock(clock).recoverOnStart(false).step("work", ctx -> obj())
                .recipe(Recipe.builder("faulty").step("a", "work").step("b", "work").step("c", "work").build()).build());
        for (String id : ids) {
            Job j = store.findJob(id).orElseThrow();
            if (j.status() == JobStatus.FAILED) {
                healthy.retry(id);
            }
            if (store.findJob(id).orElseThrow().status() == JobStatus.PENDING) {
                assertEquals(JobStatus.COMPLETED, healthy.run(id).status());
            }
        }
    }

}
