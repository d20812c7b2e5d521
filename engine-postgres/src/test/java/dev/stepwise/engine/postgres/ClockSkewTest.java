package dev.stepwise.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.core.contract.Await;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

/**
 * Leases on the database's clock: a runner on a machine whose clock is five minutes ahead (its
 * engine and store given that clock, as on such a machine) cannot take a live job, though by its
 * own clock the lease expired long ago. A store that is not told the clock (so measures no
 * offset) would hand the job over: the control below shows the test can fail.
 */
class ClockSkewTest {
    private static final PgSchemas SCHEMAS = new PgSchemas(ClockSkewTest.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration AHEAD = Duration.ofMinutes(5);
    private static final Duration TTL = Duration.ofSeconds(30);

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // hang guard only
    void aRunnerWhoseClockIsMinutesAheadCannotTakeALiveJob() throws Exception {
        AtomicLong clockReads = new AtomicLong();
        Clock skewed = new Clock() {
            private final Clock ahead = Clock.offset(Clock.systemUTC(), AHEAD);

            @Override
            public java.time.ZoneId getZone() {
                return ahead.getZone();
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                clockReads.incrementAndGet();
                return ahead.instant();
            }
        };
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger executions = new AtomicInteger();
        Recipe recipe = Recipe.builder("slow").step("s", "hold").build();
        Recipe quick = Recipe.builder("quick").step("q", "note").build();
        AtomicInteger quickRuns = new AtomicInteger();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (PostgresJobStore honestStore = SCHEMAS.openStore();
                PostgresJobStore skewedStore = PostgresJobStore.builder(PgSchemas.URL).schema(honestStore.schema()).clock(skewed).build();
                PostgresJobStore naiveStore = PostgresJobStore.builder(PgSchemas.URL).schema(honestStore.schema()).build()) {
            JobEngine honest = JobEngine.builder(honestStore).runnerId("honest").leaseTtl(TTL).recoverOnStart(false)
                    .step("hold", ctx -> {
                        executions.incrementAndGet();
                        inStep.countDown();
                        assertTrue(release.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
                        return JSON.createObjectNode();
                    })
                    .step("note", ctx -> {
                        quickRuns.incrementAndGet();
                        return JSON.createObjectNode();
                    })
                    .recipe(recipe).recipe(quick).build();
            JobEngine ahead = JobEngine.builder(skewedStore).clock(skewed).runnerId("ahead").leaseTtl(TTL).recoverOnStart(false)
                    .step("hold", ctx -> {
                        executions.incrementAndGet();
                        return JSON.createObjectNode();
                    })
                    .step("note", ctx -> {
                        quickRuns.incrementAndGet();
                        return JSON.createObjectNode();
                    })
                    .recipe(recipe).recipe(quick).build();
            Workers aheadWorkers = null;
            try {
                Job job = honest.createJob("slow", JSON.createObjectNode());
                Future<Job> run = pool.submit(() -> honest.run(job.id()));
                assertTrue(inStep.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));

                Duration offset = skewedStore.clockOffset();
                assertTrue(offset.plus(AHEAD).abs().compareTo(Duration.ofSeconds(2)) < 0,
                        "the store measured the clock five minutes ahead: offset " + offset);
                assertEquals(List.of(), ahead.recover(), "by the database's clock the lease is live");
                assertEquals(List.of(), skewedStore.findExpiredLeases(skewed.instant(), 10));
                JobBusyException busy = assertThrows(JobBusyException.class, () -> ahead.run(job.id()));
                assertEquals("honest", busy.owner());
                assertEquals(java.util.Optional.empty(),
                        skewedStore.claimNext("ahead#w1", skewed.instant(), skewed.instant().plus(TTL), Map.of()));

                // The workers' pick (issue 15) judges leases and due times on the database's clock too.
                Job live = honestStore.findJob(job.id()).orElseThrow();
                Job taken = live.toBuilder().leaseOwner("ahead#w1").epoch(live.epoch() + 1)
                        .leaseExpiresAt(skewed.instant().plus(TTL)).build();
                assertThrows(WriteConflictException.class, () -> skewedStore.write(new JobWrite(taken,
                        new WriteGuard.Claimable(live.epoch(), skewed.instant()), List.of(), List.of(), false, false)),
                        "a claim guarded by the skewed clock's now does not take the live job");
                Job later = honest.submit("quick", JSON.createObjectNode(), SubmitOptions.defaults()
                        .withRunAt(Instant.now().plus(Duration.ofMinutes(2)))).job();
                assertEquals(List.of(), skewedStore.findClaimable(skewed.instant(), 10),
                        "due in two minutes on the database's clock, though past by the skewed one");
                assertEquals(List.of(later.id()), naiveStore.findClaimable(skewed.instant(), 10).stream().map(Job::id).toList(),
                        "control: without the offset the skewed clock would see it due");
                Job ready = honest.submit("quick", JSON.createObjectNode(), SubmitOptions.defaults()).job();
                aheadWorkers = ahead.startWorkers(WorkerOptions.defaults().withCount(2).withPollInterval(Duration.ofMillis(20)));
                Await.until("the skewed workers run the due job", () -> honestStore.findJob(ready.id()).orElseThrow().status()
                        == JobStatus.COMPLETED);
                long reads = clockReads.get();
                Await.until("the skewed workers looked for work a few more times", () -> clockReads.get() >= reads + 20);
                aheadWorkers.close();
                assertEquals(JobStatus.PENDING, honestStore.findJob(later.id()).orElseThrow().status(), "not picked before it is due");
                assertEquals(1, honestStore.findJob(job.id()).orElseThrow().epoch(), "the skewed workers left the live job alone");
                assertEquals(1, quickRuns.get());

                // control: the same instants given to a store that measured no offset see the lease as expired
                assertEquals(List.of(job.id()), naiveStore.findExpiredLeases(skewed.instant(), 10).stream().map(Job::id).toList(),
                        "without the offset the skewed clock would take the live job");

                release.countDown();
                Job done = run.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS);
                assertEquals(JobStatus.COMPLETED, done.status());
                assertEquals(1, executions.get(), "the step ran once, by its owner");
                assertEquals(1, honestStore.findJob(job.id()).orElseThrow().epoch(), "nobody else ever claimed it");
            } finally {
                release.countDown();
                if (aheadWorkers != null) {
                    aheadWorkers.close();
                }
                ahead.close();
                honest.close();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
