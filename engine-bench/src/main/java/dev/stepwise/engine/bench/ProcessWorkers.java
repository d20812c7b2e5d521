package dev.stepwise.engine.bench;

import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.engine.sqlite.Synchronous;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The "worker JVMs on one file" rows (issue 15): N child JVMs, one worker each, on one SQLite
 * file. The children start and open the store first (not timed); then the parent submits the J
 * jobs and says go (a file), and the time runs until every child found the queue empty.
 */
final class ProcessWorkers {
    static final String CHILD = "--worker-child";

    private ProcessWorkers() {
    }

    /** @return seconds from the first submit until every worker JVM exited with all jobs completed */
    static double run(Synchronous sync, int jobs, int steps, int n) throws Exception {
        Path dir = Files.createTempDirectory("stepwise-procs-");
        Path db = dir.resolve("bench.db");
        List<Process> children = new ArrayList<>();
        try {
            try (SqliteJobStore store = SqliteJobStore.builder(db).synchronous(sync).build();
                    JobEngine engine = Bench.engine(store, steps, RunListener.NONE, ctx -> JsonNodeFactory.instance.objectNode())) {
                for (int i = 0; i < n; i++) {
                    children.add(start(dir.resolve("child-" + i + ".log"), db.toString(), dir.toString(), sync.name(),
                            Integer.toString(steps)));
                }
                awaitFiles(dir, "ready-", n);
                JsonNode input = JsonNodeFactory.instance.objectNode().put("n", 1);
                long t0 = System.nanoTime();
                for (int j = 0; j < jobs; j++) {
                    engine.submit("bench-s" + steps, input, SubmitOptions.defaults());
                }
                Files.createFile(dir.resolve("go"));
                for (Process p : children) {
                    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                        throw new IllegalStateException("worker JVM failed; see " + dir);
                    }
                }
                double secs = (System.nanoTime() - t0) / 1e9;
                int done = store.findJobs(new JobQuery(Set.of(JobStatus.COMPLETED), jobs + 1)).size();
                if (done != jobs) {
                    throw new IllegalStateException(done + " of " + jobs + " jobs completed; see " + dir);
                }
                return secs;
            }
        } finally {
            for (Process p : children) {
                p.destroyForcibly();
            }
            if (System.getenv("STEPWISE_BENCH_KEEP") == null) {
                Bench.deleteTree(dir);
            } else {
                Bench.progress("kept %s", dir);
            }
        }
    }

    /** A worker JVM: opens the store, says ready, waits for go, runs one worker until the queue is empty. */
    static void child(String[] args) throws Exception {
        Path db = Path.of(args[1]);
        Path dir = Path.of(args[2]);
        Synchronous sync = Synchronous.valueOf(args[3]);
        int steps = Integer.parseInt(args[4]);
        warmUp(dir, sync, steps);
        try (SqliteJobStore store = SqliteJobStore.builder(db).synchronous(sync).build();
                JobEngine engine = Bench.engine(store, steps, RunListener.NONE, ctx -> JsonNodeFactory.instance.objectNode())) {
            Files.createFile(dir.resolve("ready-" + ProcessHandle.current().pid()));
            awaitFiles(dir, "go", 1);
            long t0 = System.nanoTime();
            try (Workers w = engine.startWorkers(WorkerOptions.defaults().withCount(1).withPollInterval(Duration.ofMillis(20)))) {
                while (!store.findJobs(new JobQuery(Set.of(JobStatus.PENDING, JobStatus.RUNNING), 1)).isEmpty()) {
                    Thread.sleep(20);
                }
                System.out.printf("worker JVM %d: %d jobs in %.2f s%n", ProcessHandle.current().pid(), w.jobsRun(),
                        (System.nanoTime() - t0) / 1e9);
            }
        }
        System.exit(0);
    }

    /** The JIT compiles the worker's path on a file of its own before the timed run. */
    private static void warmUp(Path dir, Synchronous sync, int steps) throws Exception {
        Path own = Files.createTempDirectory(dir, "warm-");
        try (SqliteJobStore store = SqliteJobStore.builder(own.resolve("warm.db")).synchronous(sync).build();
                JobEngine engine = Bench.engine(store, steps, RunListener.NONE, ctx -> JsonNodeFactory.instance.objectNode())) {
            JsonNode input = JsonNodeFactory.instance.objectNode().put("n", 1);
            for (int j = 0; j < 100; j++) {
                engine.submit("bench-s" + steps, input, SubmitOptions.defaults());
            }
            try (Workers w = engine.startWorkers(WorkerOptions.defaults().withCount(1).withPollInterval(Duration.ofMillis(20)))) {
                while (w.jobsRun() < 100) {
                    Thread.sleep(5);
                }
            }
        }
    }

    private static Process start(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                Bench.class.getName(), CHILD));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitFiles(Path dir, String prefix, int count) throws Exception {
        for (int i = 0; i < 120_000; i++) {
            try (var files = Files.list(dir)) {
                if (files.filter(f -> f.getFileName().toString().startsWith(prefix)).count() >= count) {
                    return;
                }
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("timed out waiting for " + count + " '" + prefix + "' files in " + dir);
    }
}
