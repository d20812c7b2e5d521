package dev.stepwise.engine.sqlite.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * Real processes on a real SQLite file: a child JVM runs the job and is killed
 * ({@code destroyForcibly}) or halts itself ({@code Runtime.halt}) at named points.
 */
class ProcessCrashTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    private String createJob(Path db, int steps) {
        try (SqliteJobStore store = SqliteJobStore.builder(db).build();
                JobEngine engine = JobEngine.builder(store).step(KillRecipe.TYPE, ctx -> null)
                        .recipe(KillRecipe.recipe(steps)).build()) {
            return engine.createJob(KillRecipe.SLUG, JSON.createObjectNode()).id();
        }
    }

    private static String[] args(Path db, Path effects, String job, int steps, String... more) {
        List<String> a = new ArrayList<>(List.of("db=" + db, "effects=" + effects, "job=" + job, "steps=" + steps));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    /** Kills that must land while a child is running the job. */
    private static final int KILLS = 30;
    /** Steps per job of the kill test. */
    private static final int KILL_STEPS = 20;
    /** Jobs the kill test may use to land its kills (it needs about 12). */
    private static final int MAX_KILL_JOBS = 60;

    /**
     * Each child is killed at a random point measured from its own progress: once it has executed
     * a random number of steps (1..20, counted in the effects file), after a further random pause
     * of up to a step's length. So every kill lands while the engine is working, however slowly
     * the machine starts JVMs. Bounded by counts (kills, jobs); every wait on a child has its own
     * hang guard ({@link ChildProcess#HANG_GUARD}). About 50 children: 1 to 2 minutes on an idle
     * machine, 9 minutes with both cores busy; the timeout is only a backstop.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void killTestNoCommittedCheckpointIsLostAndOnlyInterruptedStepsRunAgain() throws Exception {
        Random random = new Random();
        long seed = random.nextLong();
        random.setSeed(seed);
        int kills = 0;
        int reExecutions = 0;
        int jobs = 0;
        Path log = dir.resolve("children.log");
        while (kills < KILLS) {
            int killsSoFar = kills;
            int jobsSoFar = jobs;
            assertTrue(jobs < MAX_KILL_JOBS, () -> "only " + killsSoFar + " kills landed in " + jobsSoFar + " jobs (seed " + seed + ")");
            Path db = dir.resolve("kill-" + jobs + ".db");
            Path effects = dir.resolve("effects-" + jobs + ".txt");
            String job = createJob(db, KILL_STEPS);
            jobs++;
            boolean done = false;
            while (!done) {
                long before = Effects.lines(effects);
                Process child = ChildProcess.start(log, args(db, effects, job, KILL_STEPS, "ttlMs=600", "heartbeatMs=150"));
                try {
                    if (kills < KILLS) {
                        int afterSteps = 1 + random.nextInt(KILL_STEPS);
                        int pauseMs = random.nextInt(60); // a step sleeps up to 50 ms, then commits
                        if (ChildProcess.awaitProgress(child, log, () -> Effects.lines(effects) >= before + afterSteps)) {
                            Thread.sleep(pauseMs);
                        }
                    }
                    int exit = kills < KILLS ? child.destroyForcibly().waitFor() : ChildProcess.awaitExit(child, log);
                    if (exit == 0) {
                        done = true; // it finished the job before the kill
                    } else {
                        assertEquals(ChildProcess.KILLED, exit, () -> "child exit; its log ends with:\n" + tail(log));
                        kills++;
                    }
                } finally {
                    child.destroyForcibly();
                }
            }
            try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
                reExecutions += Effects.verifyCompleted(store, job, effects).reExecutions;
            }
            assertEquals("ok", integrityCheck(db));
        }
        System.out.printf("kill test: %d kills over %d jobs, %d re-executions, 0 lost checkpoints (seed %d)%n",
                kills, jobs, reExecutions, seed);
        assertTrue(kills >= KILLS, "only " + kills + " kills landed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"before-running", "after-effect", "in-checkpoint-tx", "after-commit", "lease-renewal", "final-write"})
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // hang guard only: two children, a few seconds
    void crashPointSweep(String point) throws Exception {
        Path db = dir.resolve(point + ".db");
        Path effects = dir.resolve(point + ".txt");
        Path log = dir.resolve(point + ".log");
        String target = point.equals("final-write") ? "s04" : "s02";
        String job = createJob(db, 5);
        String[] common = {"ttlMs=500", "heartbeatMs=100", "slowStep=" + target, "sleepMaxMs=5"};
        List<String> first = new ArrayList<>(List.of(common));
        // A lease renewal comes while the slow step runs: it runs until the JVM halts there, however late that is.
        first.add("slowMs=" + (point.equals("lease-renewal") ? 600_000 : 400));
        first.add("halt=" + point + "@" + target);
        int halted = ChildProcess.runToExit(log, args(db, effects, job, 5, first.toArray(String[]::new)));
        assertEquals(CrashChild.HALTED, halted, "the child halted at " + point + "; log:\n" + tail(log));
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            assertEquals(JobStatus.RUNNING, store.findJob(job).orElseThrow().status(), "left running by the crash");
        }
        List<String> restart = new ArrayList<>(List.of(common));
        restart.add("slowMs=400");
        assertEquals(0, ChildProcess.runToExit(log, args(db, effects, job, 5, restart.toArray(String[]::new))),
                "restart completes; log:\n" + tail(log));
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            Effects.verifyCompleted(store, job, effects);
            JobStep t = store.findSteps(job).stream().filter(s -> s.stepKey().equals(target)).findFirst().orElseThrow();
            int lines = Effects.read(effects).get(target).size();
            switch (point) {
                case "before-running" -> assertEquals(1, lines, "no running record, no execution before the crash");
                case "after-effect", "in-checkpoint-tx", "lease-renewal", "final-write" -> {
                    assertEquals(2, lines, "the step in flight ran again");
                    assertEquals(1, t.interruptions());
                }
                default -> assertEquals(1, lines, "its result was committed: it did not run again");
                // final-write: the last step's result rides with the job's final write, so it ran again
            }
        }
        assertEquals("ok", integrityCheck(db));
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // hang guard only
    void aSecondProcessGetsJobBusyThenTakesOverAfterTheFirstIsKilled() throws Exception {
        Path db = dir.resolve("two.db");
        Path effects = dir.resolve("two.txt");
        Path log = dir.resolve("two.log");
        String job = createJob(db, 5);
        // s01 never ends by itself: the first process is killed while running it
        Process first = ChildProcess.start(log,
                args(db, effects, job, 5, "ttlMs=1000", "heartbeatMs=200", "slowStep=s01", "slowMs=600000"));
        try (SqliteJobStore store = SqliteJobStore.builder(db).build();
                JobEngine engine = JobEngine.builder(store).runnerId("second").leaseTtl(Duration.ofSeconds(1))
                        .heartbeatInterval(Duration.ofMillis(200))
                        .step(KillRecipe.TYPE, new KillRecipe.Effect(effects, 5, null, 0))
                        .recipe(KillRecipe.recipe(5)).build()) {
            assertTrue(ChildProcess.awaitProgress(first, log, () -> Effects.read(effects).containsKey("s01")),
                    () -> "the first process reached s01; its log:\n" + tail(log));
            JobBusyException busy = assertThrows(JobBusyException.class, () -> engine.run(job));
            assertTrue(busy.getMessage().contains(job), busy.getMessage());
            first.destroyForcibly().waitFor();

            // The lease (1 s) expires, then recovery hands the job over; each try waits 50 ms.
            Job end = null;
            for (int tries = 0; end == null; tries++) {
                assertTrue(tries < 2_400, "the second process never took the job over");
                engine.recover();
                try {
                    end = engine.run(job);
                } catch (JobBusyException leaseNotExpiredYet) {
                    Thread.sleep(50);
                }
            }
            assertEquals(JobStatus.COMPLETED, end.status());
            Effects.verifyCompleted(store, job, effects);
            assertEquals(List.of(1, 2), Effects.read(effects).get("s01"), "s01 was in flight: it ran again, by the second process");
            assertEquals(List.of(1), Effects.read(effects).get("s00"));
        } finally {
            first.destroyForcibly();
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // hang guard only: at most 8 children, a second or two each
    void aStepThatHaltsTheJvmEveryTimeIsFailedAsAPoisonPill() throws Exception {
        Path db = dir.resolve("poison.db");
        Path effects = dir.resolve("poison.txt");
        Path log = dir.resolve("poison.log");
        String job = createJob(db, 3);
        int exit = -1;
        int starts = 0;
        while (exit != 1 && starts < 8) {
            exit = ChildProcess.runToExit(log, args(db, effects, job, 3, "ttlMs=300", "heartbeatMs=100",
                    "maxInterruptions=2", "halt=after-effect@s01"));
            starts++;
        }
        assertEquals(1, exit, "the job failed instead of crashing forever; log " + log);
        assertEquals(4, starts, "three crashes, then the fourth run fails it");
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            Job end = store.findJob(job).orElseThrow();
            assertEquals(JobStatus.FAILED, end.status());
            assertTrue(end.lastError().contains("poison pill") && end.lastError().contains("s01"), end.lastError());
            JobStep s01 = store.findSteps(job).get(1);
            assertEquals(3, s01.interruptions());
            assertEquals(3, Effects.read(effects).get("s01").size());
        }
    }

    static String tail(Path log) {
        try {
            List<String> lines = java.nio.file.Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }

    static String integrityCheck(Path db) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db);
                ResultSet rs = c.createStatement().executeQuery("PRAGMA integrity_check")) {
            rs.next();
            return rs.getString(1);
        }
    }
}
