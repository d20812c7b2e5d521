package dev.stepwise.engine.postgres.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.postgres.PgSchemas;
import dev.stepwise.engine.postgres.PostgresJobStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * LISTEN/NOTIFY across JVMs: an idle worker in another JVM, polling only once a minute, picks a
 * submitted job up at once, also after its LISTEN connection was killed and came back. Asserted
 * loosely (well under the poll interval); docs/benchmarks.md has the measured latency.
 */
class ListenNotifyTest {
    private static final PgSchemas SCHEMAS = new PgSchemas(ListenNotifyTest.class);
    private static final Duration POLL = Duration.ofMinutes(1);

    @TempDir
    Path dir;

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // hang guard only
    void aJobSubmittedInOneJvmIsPickedUpByAnIdleWorkerInAnotherLongBeforeItsNextPoll() throws Exception {
        String app = "stepwise-listener-" + ProcessHandle.current().pid();
        try (PostgresJobStore store = SCHEMAS.openStore();
                JobEngine engine = PgChild.engine(store, null, Duration.ofSeconds(30)).recoverOnStart(false).build()) {
            ChildJvm child = ChildJvm.start(dir.resolve("child.log"), "schema=" + store.schema(), "workers=1",
                    "poll=" + POLL.toMillis(), "until=never", "app=" + app);
            try {
                Await.until("the child listens", () -> child.printed("listening") || !child.process.isAlive());
                assertTrue(child.process.isAlive(), child::tail);
                pickUp(engine, store); // the worker is past its first (empty) claim: idle until notified or polled
                long first = pickUp(engine, store);
                assertTrue(first < POLL.toMillis() / 2, "picked up in " + first + " ms, well under the poll interval of " + POLL);

                long killed = Effects.terminate(app + "-listen");
                assertEquals(1, killed, "the child's LISTEN connection");
                Await.until("the child listens again", () -> listeningAgain(child));
                long afterReconnect = pickUp(engine, store);
                assertTrue(afterReconnect < POLL.toMillis() / 2, "picked up in " + afterReconnect + " ms after the reconnect");
                System.out.printf("LISTEN/NOTIFY pickup across JVMs: %d ms; after the LISTEN connection was killed: %d ms%n",
                        first, afterReconnect);
            } finally {
                child.kill();
            }
        }
    }

    private static boolean listeningAgain(ChildJvm child) {
        try {
            return child.lines().stream().anyMatch(l -> l.contains("listening on") && l.contains("again"));
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /** @return ms from submit until the job completed in the other JVM */
    private static long pickUp(JobEngine engine, PostgresJobStore store) throws InterruptedException {
        long start = System.nanoTime();
        Job job = engine.submit("one", PgChild.JSON.createObjectNode(), SubmitOptions.defaults()).job();
        Await.until("job " + job.id() + " completed by the other JVM",
                () -> store.findJob(job.id()).orElseThrow().status() == JobStatus.COMPLETED);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }
}
