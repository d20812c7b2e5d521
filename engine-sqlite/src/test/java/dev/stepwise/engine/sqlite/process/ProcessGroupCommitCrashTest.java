package dev.stepwise.engine.sqlite.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.ManifestSchema;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * Group commit under crashes (issue 15): a child JVM with 4 worker threads, whose boundaries
 * are committed in groups, is killed with {@code destroyForcibly} while it works, again and
 * again; then a last child runs the queue to its end. Every step marked completed in the store
 * has its output, made by its last attempt; no step executed again after its result committed;
 * a step executed more than once only when a crash interrupted it; every job completed.
 */
class ProcessGroupCommitCrashTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int JOBS = 60;
    private static final int KILLS = 6;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES) // hang guard only: about a minute on an idle machine
    void killedWhileGroupsAreInFlightNoCommittedStepIsLostOrRunAgain() throws Exception {
        Path db = dir.resolve("group.db");
        Path effects = dir.resolve("effects.txt");
        Path grouped = dir.resolve("grouped.txt");
        Path log = dir.resolve("children.log");
        List<String> ids = new ArrayList<>();
        try (SqliteJobStore store = SqliteJobStore.builder(db).build();
                JobEngine engine = GroupChild.engine(store, null).build()) {
            for (int i = 0; i < JOBS; i++) {
                ids.add(engine.submit(GroupChild.SLUG, JSON.createObjectNode().put("i", i), SubmitOptions.defaults()).job().id());
            }
        }
        Random random = new Random();
        long seed = random.nextLong();
        random.setSeed(seed);
        int kills = 0;
        for (int child = 0; child < KILLS * 3 && kills < KILLS; child++) {
            long before = Effects.lines(effects);
            long target = before + 4 + random.nextInt(24);
            Process p = ChildProcess.start(GroupChild.class, log, db.toString(), effects.toString(), grouped.toString(), "4");
            try {
                if (ChildProcess.awaitProgress(p, log, () -> Effects.lines(effects) >= target)) {
                    p.destroyForcibly().waitFor();
                    kills++;
                } else {
                    break; // the queue ran out before this kill
                }
            } finally {
                p.destroyForcibly().waitFor();
            }
        }
        Process last = ChildProcess.start(GroupChild.class, log, db.toString(), effects.toString(), grouped.toString(), "4");
        assertEquals(0, ChildProcess.awaitExit(last, log), () -> ProcessCrashTest.tail(log));

        Map<String, List<Integer>> executions = new HashMap<>();
        for (String line : Files.readAllLines(effects)) {
            String[] parts = line.split(" ");
            executions.computeIfAbsent(parts[0] + " " + parts[1], k -> new ArrayList<>()).add(Integer.parseInt(parts[2]));
        }
        int reExecutions = 0;
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            for (String id : ids) {
                Job job = store.findJob(id).orElseThrow();
                assertEquals(JobStatus.COMPLETED, job.status(), () -> "seed " + seed + ": " + job);
                assertEquals(List.of(), ManifestSchema.validate(job.manifest()));
                for (JobStep s : store.findSteps(id)) {
                    String key = id + " " + s.stepKey();
                    List<Integer> attempts = executions.getOrDefault(key, List.of());
                    // success, or skipped with the checkpoint of an earlier run: either way its output is committed
                    assertTrue(s.status().hasOutput(), () -> key + ": " + s);
                    int producedBy = s.outputRefs().get("attempt").asInt();
                    // The committed output is that of the last execution: nothing ran after the commit.
                    assertEquals(attempts.stream().max(Integer::compare).orElse(-1), producedBy,
                            () -> "seed " + seed + ", " + key + ": output of attempt " + producedBy + ", executions " + attempts);
                    assertEquals(s.attempts(), producedBy, key);
                    assertEquals(attempts.size(), attempts.stream().distinct().count(), key + ": an attempt ran twice " + attempts);
                    assertTrue(attempts.size() - 1 <= s.interruptions(), () -> key + ": executed " + attempts
                            + " but only " + s.interruptions() + " crashes landed while it ran");
                    reExecutions += attempts.size() - 1;
                }
            }
        }
        long groupedWrites = Effects.lines(grouped);
        assertTrue(groupedWrites > 0, "some boundaries were committed in a group (else this test proves nothing)");
        System.out.printf("group commit kill test: %d kills, %d jobs x 4 steps, %d re-executions, %d writes committed in"
                + " groups, 0 lost checkpoints (seed %d)%n", kills, JOBS, reExecutions, groupedWrites, seed);
    }
}
