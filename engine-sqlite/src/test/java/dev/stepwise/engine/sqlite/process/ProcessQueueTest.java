package dev.stepwise.engine.sqlite.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** The queue across real processes: workers in two JVMs on one SQLite file. */
class ProcessQueueTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES) // hang guard only: about 10 s on an idle machine
    void fiveHundredJobsTwoWorkersInEachOfTwoJvmsEveryJobCompletedExactlyOnce() throws Exception {
        Path db = dir.resolve("queue.db");
        List<String> ids = new ArrayList<>();
        try (SqliteJobStore store = SqliteJobStore.builder(db).build();
                JobEngine engine = QueueChild.engine(store, null).build()) {
            for (int i = 0; i < 500; i++) {
                ids.add(engine.submit(QueueChild.SLUG, JSON.createObjectNode().put("i", i), SubmitOptions.defaults()).job().id());
            }
        }
        Path log = dir.resolve("workers.log");
        String barrier = dir.resolve("barrier").toString();
        Process first = ChildProcess.start(QueueChild.class, log, "work", db.toString(), dir.resolve("effects-1.txt").toString(),
                "2", barrier, "2");
        Process second = ChildProcess.start(QueueChild.class, log, "work", db.toString(), dir.resolve("effects-2.txt").toString(),
                "2", barrier, "2");
        try {
            assertEquals(0, ChildProcess.awaitExit(first, log), () -> ProcessCrashTest.tail(log));
            assertEquals(0, ChildProcess.awaitExit(second, log), () -> ProcessCrashTest.tail(log));
        } finally {
            first.destroyForcibly();
            second.destroyForcibly();
        }
        Map<String, Integer> executions = new HashMap<>();
        Set<String> byProcess1 = new HashSet<>();
        for (int p = 1; p <= 2; p++) {
            Path effects = dir.resolve("effects-" + p + ".txt");
            if (!Files.exists(effects)) {
                continue;
            }
            for (String line : Files.readAllLines(effects)) {
                String[] parts = line.split(" ");
                executions.merge(parts[0] + " " + parts[1], 1, Integer::sum);
                if (p == 1) {
                    byProcess1.add(parts[0]);
                }
            }
        }
        assertEquals(1500, executions.size(), "every step of every job executed");
        assertTrue(executions.values().stream().allMatch(n -> n == 1), "no step executed twice");
        assertTrue(byProcess1.size() > 0 && byProcess1.size() < 500, "both processes took jobs: " + byProcess1.size());
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            assertEquals(List.of(), store.findJobs(new JobQuery(Set.of(JobStatus.PENDING, JobStatus.RUNNING), 10)));
            for (String id : ids) {
                Job j = store.findJob(id).orElseThrow();
                assertEquals(JobStatus.COMPLETED, j.status(), id);
                for (JobStep s : store.findSteps(id)) {
                    assertEquals(StepStatus.SUCCESS, s.status());
                    assertEquals(1, s.attempts(), "executed once: " + s);
                }
            }
        }
        System.out.printf("queue test: 500 jobs, 1500 steps, %d jobs taken by process 1, 0 duplicates%n", byProcess1.size());
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES) // hang guard only
    void theSameIdempotencyKeyFromTwoProcessesYieldsOneJob() throws Exception {
        Path db = dir.resolve("idem.db");
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            QueueChild.engine(store, null).build().close(); // create the schema and seed the recipe before the race
        }
        Path log = dir.resolve("submit.log");
        Process a = ChildProcess.start(QueueChild.class, log, "submit", db.toString(), "invoice-2026-0001", "8");
        Process b = ChildProcess.start(QueueChild.class, log, "submit", db.toString(), "invoice-2026-0001", "8");
        assertEquals(0, ChildProcess.awaitExit(a, log), () -> ProcessCrashTest.tail(log));
        assertEquals(0, ChildProcess.awaitExit(b, log), () -> ProcessCrashTest.tail(log));
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            List<Job> jobs = store.findJobs(JobQuery.all());
            assertEquals(1, jobs.size(), jobs.toString());
            assertEquals("invoice-2026-0001", jobs.get(0).idempotencyKey());
        }
    }
}
