package dev.stepwise.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.contract.Await;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
        Clock skewed = Clock.offset(Clock.systemUTC(), AHEAD);
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger executions = new AtomicInteger();
        Recipe recipe = Recipe.builder("slow").step("s", "hold").build();
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
                    .recipe(recipe).build();
            JobEngine ahead = JobEngine.builder(skewedStore).clock(skewed).runnerId("ahead").leaseTtl(TTL).recoverOnStart(false)
                    .step("hold", ctx -> {
                        executions.incrementAndGet();
                        return JSON.createObjectNode();
                    })
                    .recipe(recipe).build();
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
                ahead.close();
                honest.close();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
