package dev.stepwise.engine.postgres.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.postgres.PgSchemas;
import dev.stepwise.engine.postgres.PostgresJobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Worker JVMs sharing one PostgreSQL queue: every job completed once, limits held, a killed JVM's jobs finished by the others. */
class ManyProcessesTest {
    private static final PgSchemas SCHEMAS = new PgSchemas(ManyProcessesTest.class);

    @TempDir
    Path dir;

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    private static void submit(PostgresJobStore store, String slug, int count) throws Exception {
        try (JobEngine engine = PgChild.engine(store, null, Duration.ofSeconds(30)).recoverOnStart(false).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    int n = i;
                    done.add(pool.submit(() -> engine.submit(slug, PgChild.JSON.createObjectNode().put("i", n),
                            SubmitOptions.defaults())));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES) // hang guard only
    void fourJvmsOfFourWorkersRunEveryJobOnceAndHoldTheRecipeLimit() throws Exception {
        int ones = 5_000;
        int twenties = 100;
        int limit = 2;
        String schema;
        try (PostgresJobStore store = SCHEMAS.openStore()) {
            schema = store.schema();
            submit(store, "twenty", twenties);
            submit(store, "one", ones);
        }
        List<ChildJvm> children = new ArrayList<>();
        List<Path> effects = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            effects.add(dir.resolve("effects-" + i + ".txt"));
            children.add(ChildJvm.start(dir.resolve("child-" + i + ".log"), "schema=" + schema, "effects=" + effects.get(i - 1),
                    "workers=4", "barrier=" + dir.resolve("barrier"), "peers=4", "limit.twenty=" + limit));
        }
        long samples = 0;
        long maxRunningTwenty = 0;
        try {
            // sample the running jobs of the limited recipe while any child works
            while (children.stream().anyMatch(c -> c.process.isAlive())) {
                long running = Effects.count(schema,
                        "SELECT count(*) FROM {schema}.jobs WHERE status = 'running' AND recipe_slug = 'twenty'");
                maxRunningTwenty = Math.max(maxRunningTwenty, running);
                samples++;
                Thread.sleep(20);
            }
            for (ChildJvm c : children) {
                assertEquals(0, c.awaitExit(), c::tail);
            }
        } finally {
            for (ChildJvm c : children) {
                c.kill();
            }
        }
        List<Effects.Execution> executions = Effects.read(effects);
        Map<String, Integer> perStep = Effects.perStep(executions);
        assertEquals(ones + twenties * 20, perStep.size(), "every step of every job executed");
        assertEquals(Set.of(1), new HashSet<>(perStep.values()), "no step executed twice");
        Set<Long> pids = executions.stream().map(Effects.Execution::pid).collect(Collectors.toSet());
        assertEquals(4, pids.size(), "every JVM ran steps");
        assertEquals(ones + twenties, Effects.count(schema, "SELECT count(*) FROM {schema}.jobs WHERE status = 'completed'"));
        assertEquals(0, Effects.count(schema, "SELECT count(*) FROM {schema}.job_steps WHERE status <> 'success' OR attempts <> 1"));
        assertTrue(samples > 0, "sampled the running jobs");
        assertTrue(maxRunningTwenty <= limit, "at most " + limit + " 'twenty' jobs ran at once, sampled " + maxRunningTwenty);
        System.out.printf("4 JVMs x 4 workers: %d jobs, %d steps, 0 duplicates; 'twenty' running at once: at most %d in %d samples%n",
                ones + twenties, perStep.size(), maxRunningTwenty, samples);
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES) // hang guard only
    void theJobsOfAKilledJvmAreFinishedByTheOthersAfterTheLease() throws Exception {
        int jobs = 600;
        String schema;
        try (PostgresJobStore store = SCHEMAS.openStore()) {
            schema = store.schema();
            submit(store, "three", jobs);
        }
        List<ChildJvm> children = new ArrayList<>();
        List<Path> effects = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            effects.add(dir.resolve("effects-" + i + ".txt"));
            // The victim's steps take longer, so it holds its running jobs for a while and the kill
            // below surely lands while it holds some (with 5 ms steps it could hold one job or none).
            children.add(ChildJvm.start(dir.resolve("child-" + i + ".log"), "schema=" + schema, "effects=" + effects.get(i - 1),
                    "workers=4", "lease=10000", "poll=100", "stepMillis=" + (i == 1 ? 50 : 5), "barrier=" + dir.resolve("barrier"),
                    "peers=3"));
        }
        ChildJvm victim = children.get(0);
        long victimPid = victim.process.pid();
        List<String> held;
        try {
            // Killed while it holds running jobs: a victim that lost the race for work could
            // otherwise be killed between jobs, and then nothing is left to take over.
            Await.until("the victim executed 30 steps and holds two running jobs", () -> !victim.process.isAlive()
                    || (lines(effects.get(0)) >= 30 && runningJobsOf(schema, victimPid).size() >= 2));
            assertTrue(victim.process.isAlive(), "the victim was still running when killed: " + victim.tail());
            victim.kill();
            held = runningJobsOf(schema, victimPid);
            for (ChildJvm c : children.subList(1, 3)) {
                assertEquals(0, c.awaitExit(), c::tail);
            }
        } finally {
            for (ChildJvm c : children) {
                c.kill();
            }
        }
        assertEquals(jobs, Effects.count(schema, "SELECT count(*) FROM {schema}.jobs WHERE status = 'completed'"), "nothing lost");
        assertEquals(jobs * 3L, Effects.count(schema, "SELECT count(*) FROM {schema}.job_steps WHERE status = 'success' "
                + "OR (status = 'skipped' AND skip_reason = 'checkpoint')"), "each step succeeded (or its checkpoint was reused)");
        List<Effects.Execution> executions = Effects.read(effects);
        Map<String, Integer> perStep = Effects.perStep(executions);
        assertEquals(jobs * 3, perStep.size(), () -> "every step executed; missing: " + missing(schema, perStep.keySet()));
        Set<String> twice = perStep.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        assertTrue(twice.size() <= 4, "only the victim's in-flight steps (one per worker) ran again: " + twice);
        for (String step : twice) {
            Effects.Execution first = executions.stream().filter(e -> e.step().equals(step) && e.attempt() == 1).findFirst()
                    .orElseThrow();
            assertEquals(victimPid, first.pid(), "a step ran twice only because the killed JVM ran it first: " + step);
        }
        // A step the victim started (attempt 1 committed as running) counts a second attempt when
        // resumed, whether or not the victim got as far as its effect before it was killed.
        long interrupted = Effects.count(schema, "SELECT count(*) FROM {schema}.job_steps WHERE attempts > 1");
        assertTrue(interrupted >= twice.size() && interrupted <= 4,
                "only the victim's in-flight steps (one per worker) count a second attempt: " + interrupted);
        assertEquals(interrupted, Effects.count(schema, "SELECT count(*) FROM {schema}.job_steps WHERE attempts = 2 AND interruptions = 1"),
                "each of them counts the interruption");
        assertTrue(!held.isEmpty(), "the victim held running jobs when it was killed");
        long resumed = Effects.count(schema, "SELECT count(*) FROM {schema}.jobs WHERE epoch >= 3 AND status = 'completed' "
                + "AND id IN ('" + String.join("', '", held) + "')");
        assertEquals(held.size(), resumed, "the others took over each job the killed JVM held (claim, recovery, claim again): "
                + held);
        System.out.printf("kill test: %d jobs, victim %d killed after %d steps; %d of its jobs resumed by the others, "
                + "%d steps ran again%n", jobs, victimPid, executions.stream().filter(e -> e.pid() == victimPid).count(), resumed,
                twice.size());
    }

    private static String missing(String schema, Set<String> executed) {
        StringBuilder out = new StringBuilder();
        try (var c = PgSchemas.admin(); var rs = c.createStatement().executeQuery("SELECT s.job_id, s.step_key, s.status, s.attempts, "
                + "s.interruptions, s.skip_reason, s.attempt_log, j.epoch FROM \"" + schema + "\".job_steps s JOIN \"" + schema
                + "\".jobs j ON j.id = s.job_id")) {
            while (rs.next()) {
                if (!executed.contains(rs.getString(1) + " " + rs.getString(2))) {
                    out.append("\n").append(rs.getString(1)).append(' ').append(rs.getString(2)).append(' ').append(rs.getString(3))
                            .append(" attempts=").append(rs.getInt(4)).append(" interruptions=").append(rs.getInt(5))
                            .append(" skip=").append(rs.getString(6)).append(" log=").append(rs.getString(7))
                            .append(" epoch=").append(rs.getLong(8));
                }
            }
        } catch (Exception e) {
            out.append(e);
        }
        return out.toString();
    }

    /** @return the jobs running under a lease of the JVM with this pid (lease owners are pid@host#worker) */
    private static List<String> runningJobsOf(String schema, long pid) {
        try (java.sql.Connection c = PgSchemas.admin();
                java.sql.PreparedStatement ps = c.prepareStatement("SELECT id FROM \"" + schema + "\".jobs "
                        + "WHERE status = 'running' AND lease_owner LIKE ?")) {
            ps.setString(1, pid + "@%");
            List<String> ids = new ArrayList<>();
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getString(1));
                }
            }
            return ids;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long lines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file).size() : 0;
        } catch (java.io.IOException e) {
            return 0;
        }
    }
}
