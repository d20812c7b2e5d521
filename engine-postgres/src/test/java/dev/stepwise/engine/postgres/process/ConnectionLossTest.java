package dev.stepwise.engine.postgres.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.postgres.PgSchemas;
import dev.stepwise.engine.postgres.PostgresJobStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker JVM whose every connection (pool and LISTEN) is terminated by the server again and
 * again mid-run ({@code pg_terminate_backend}): it keeps its jobs (each outage is far shorter
 * than the lease), nothing committed is lost, no step runs twice, and each outage costs one
 * warning, not a stack trace.
 */
class ConnectionLossTest {
    private static final PgSchemas SCHEMAS = new PgSchemas(ConnectionLossTest.class);

    @TempDir
    Path dir;

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // hang guard only
    void aWorkerWhoseConnectionsAreKilledKeepsItsJobsAndLogsOneWarningPerOutage() throws Exception {
        int jobs = 400;
        int kills = 5;
        String schema;
        try (PostgresJobStore store = SCHEMAS.openStore();
                JobEngine engine = PgChild.engine(store, null, Duration.ofSeconds(30)).recoverOnStart(false).build()) {
            schema = store.schema();
            for (int i = 0; i < jobs; i++) {
                engine.submit("three", PgChild.JSON.createObjectNode().put("i", i), SubmitOptions.defaults());
            }
        }
        String app = "stepwise-victim-" + ProcessHandle.current().pid();
        Path effects = dir.resolve("effects.txt");
        ChildJvm child = ChildJvm.start(dir.resolve("child.log"), "schema=" + schema, "effects=" + effects, "workers=4",
                "app=" + app, "stepMillis=2");
        int killed = 0;
        long terminated = 0;
        try {
            for (int k = 1; k <= kills; k++) {
                long target = (long) k * jobs / (kills + 2);
                Await.until(target + " jobs completed", () -> completed(schema) >= target || !child.process.isAlive());
                if (!child.process.isAlive()) {
                    break;
                }
                terminated += Effects.terminate(app);
                killed++;
            }
            assertEquals(0, child.awaitExit(), child::tail);
        } finally {
            child.kill();
        }
        assertEquals(kills, killed, "every kill happened mid-run");
        assertTrue(terminated >= kills, "connections were terminated: " + terminated);
        assertEquals(jobs, completed(schema), "every job completed: " + child.tail());
        assertEquals(0, Effects.count(schema, "SELECT count(*) FROM {schema}.job_steps WHERE status <> 'success' OR attempts <> 1"),
                "every step succeeded at its first attempt: no lease was lost");
        Map<String, Integer> perStep = Effects.perStep(Effects.read(List.of(effects)));
        assertEquals(jobs * 3, perStep.size());
        assertEquals(Set.of(1), new HashSet<>(perStep.values()), "no step executed twice");

        List<String> log = child.lines();
        long poolWarnings = log.stream().filter(l -> l.contains("WARN") && l.contains("broken (")).count();
        long listenWarnings = log.stream().filter(l -> l.contains("WARN") && l.contains("LISTEN connection")).count();
        long stackFrames = log.stream().filter(l -> l.startsWith("\tat ")).count();
        // At most one warning per outage of the pool. There may be none: HikariCP checks a connection
        // that sat idle for more than 500 ms before lending it, and replaces a dead one unseen, so
        // whether a worker meets a killed connection depends on which ones were idle at the kill.
        // The LISTEN connection is always in use, so it always sees each outage.
        assertTrue(poolWarnings <= kills, "at most one warning per outage of the pool: " + poolWarnings + "\n" + child.tail());
        assertTrue(listenWarnings >= 1 && listenWarnings <= kills, "one warning per outage of LISTEN: " + listenWarnings);
        assertEquals(0, log.stream().filter(l -> l.contains("dev.stepwise") && l.contains("ERROR")).count(), child::tail);
        assertEquals(0, stackFrames, "no stack trace:\n" + child.tail());
        System.out.printf("connection loss: %d kills (%d connections), %d pool warnings, %d LISTEN warnings, %d jobs, 0 re-executions%n",
                killed, terminated, poolWarnings, listenWarnings, jobs);
    }

    private static long completed(String schema) {
        try {
            return Effects.count(schema, "SELECT count(*) FROM {schema}.jobs WHERE status = 'completed'");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
