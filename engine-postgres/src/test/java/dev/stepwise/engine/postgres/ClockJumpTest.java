package dev.stepwise.engine.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.core.contract.Await;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

/**
 * The clock of a runner's JVM jumps five minutes forward in the middle of a run (an NTP step, a
 * VM resumed): the runner keeps renewing its lease and completes the job, and another runner,
 * whose workers keep recovering expired leases and claiming, never takes the live job, because
 * leases are compared on the database's clock (by its own jumped clock, the lease it held at
 * the jump is long past).
 */
class ClockJumpTest {
    private static final PgSchemas SCHEMAS = new PgSchemas(ClockJumpTest.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration JUMP = Duration.ofMinutes(5);
    private static final Duration TTL = Duration.ofSeconds(6);

    /** The system clock plus an offset that a test can make jump. */
    static final class JumpingClock extends Clock {
        private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

        void jump(Duration d) {
            offset.updateAndGet(o -> o.plus(d));
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Clock.systemUTC().instant().plus(offset.get());
        }
    }

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES) // hang guard only
    void aRunnerWhoseClockJumpsForwardMidRunKeepsItsLeaseAndNobodyTakesTheJob() throws Exception {
        JumpingClock jumping = new JumpingClock();
        CountDownLatch inStep = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger executions = new AtomicInteger();
        Recipe recipe = Recipe.builder("slow").step("s", "hold").step("t", "hold").build();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (PostgresJobStore otherStore = SCHEMAS.openStore();
                PostgresJobStore jumperStore = PostgresJobStore.builder(PgSchemas.URL).schema(otherStore.schema()).clock(jumping).build();
                Connection admin = PgSchemas.admin()) {
            JobEngine jumper = JobEngine.builder(jumperStore).clock(jumping).runnerId("jumper").leaseTtl(TTL)
                    .heartbeatInterval(Duration.ofSeconds(1)).recoverOnStart(false)
                    .step("hold", ctx -> {
                        if (executions.incrementAndGet() == 1) {
                            inStep.countDown();
                            assertTrue(release.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
                        }
                        return JSON.createObjectNode();
                    })
                    .recipe(recipe).build();
            JobEngine other = JobEngine.builder(otherStore).runnerId("other").leaseTtl(TTL)
                    .heartbeatInterval(Duration.ofSeconds(1)).recoverOnStart(false)
                    .step("hold", ctx -> {
                        executions.incrementAndGet();
                        return JSON.createObjectNode();
                    })
                    .recipe(recipe).build();
            Workers otherWorkers = null;
            try {
                Job job = jumper.createJob("slow", JSON.createObjectNode());
                Future<Job> run = pool.submit(() -> jumper.run(job.id()));
                assertTrue(inStep.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
                // The other runner's workers recover expired leases (every TTL / 2) and claim all along.
                otherWorkers = other.startWorkers(WorkerOptions.defaults().withPollInterval(Duration.ofMillis(100)));

                Instant leaseBefore = lease(admin, otherStore.schema(), job.id());
                jumping.jump(JUMP);
                // Wait (on the database's clock) until the lease held at the jump is a full TTL past:
                // without renewals the job would have been expired for TTL, and recovered meanwhile.
                Instant deadline = leaseBefore.plus(TTL);
                Await.until("the lease held at the jump is a TTL past", () -> dbNow(admin).isAfter(deadline));

                Job live = otherStore.findJob(job.id()).orElseThrow();
                assertEquals(JobStatus.RUNNING, live.status());
                assertEquals(1, live.epoch(), "nobody else claimed or recovered it");
                assertTrue(live.leaseOwner().startsWith("jumper"), live.leaseOwner());
                assertTrue(lease(admin, otherStore.schema(), job.id()).isAfter(dbNow(admin)), "the jumper kept renewing its lease");
                assertEquals(List.of(), other.recover(), "by the database's clock the lease is live");
                JobBusyException busy = assertThrows(JobBusyException.class, () -> other.run(job.id()));
                assertTrue(busy.owner().startsWith("jumper"), busy.owner());
                assertEquals(Optional.empty(), otherStore.claimNext("other#x", Instant.now(), Instant.now().plus(TTL), Map.of()));
                assertTrue(leaseBefore.isBefore(jumping.instant()), "by its own clock, the lease it held at the jump is past");

                release.countDown();
                Job done = run.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS);
                assertEquals(JobStatus.COMPLETED, done.status());
                assertEquals(2, executions.get(), "each step ran once, by the jumper");
                assertEquals(1, otherStore.findJob(job.id()).orElseThrow().epoch(), "nobody else ever claimed it");
            } finally {
                release.countDown();
                if (otherWorkers != null) {
                    otherWorkers.close();
                }
                other.close();
                jumper.close();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Instant lease(Connection c, String schema, String jobId) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT lease_expires_at FROM \"" + schema + "\".jobs WHERE id = '" + jobId + "'")) {
            assertTrue(rs.next());
            Timestamp t = rs.getTimestamp(1);
            return t.toInstant();
        }
    }

    private static Instant dbNow(Connection c) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            return rs.getTimestamp(1).toInstant();
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
