package dev.stepwise.engine.sqlite.process;

import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.sqlite.FileBarrier;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import tools.jackson.databind.json.JsonMapper;

/**
 * A child JVM for the queue tests. {@code work DB EFFECTS WORKERS BARRIER_DIR PEERS}: once PEERS
 * children are ready (a file each in BARRIER_DIR, so that every process gets a share of the
 * queue), runs workers until no job is pending or running, each step appending
 * {@code "<jobId> <stepKey> <attempt>"} to EFFECTS.
 * {@code submit DB KEY THREADS}: submits the same idempotency key from THREADS threads at once.
 */
public final class QueueChild {
    static final String SLUG = "batch";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private QueueChild() {
    }

    static Recipe recipe() {
        return Recipe.builder(SLUG).step("a", "mark").step("b", "mark").step("c", "mark").build();
    }

    static JobEngineBuilder engine(SqliteJobStore store, Path effects) {
        // No process dies here: a lease only has to outlast a busy machine's pauses between heartbeats.
        return JobEngine.builder(store).leaseTtl(Duration.ofSeconds(30)).heartbeatInterval(Duration.ofSeconds(1))
                .step("mark", ctx -> {
                    if (effects != null) {
                        Thread.sleep(1); // a little work per step, so that both processes get a share
                        Files.write(effects, (ctx.jobId() + " " + ctx.stepKey() + " " + ctx.attempt() + "\n")
                                .getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                    return JSON.createObjectNode().put("step", ctx.stepKey());
                })
                .recipe(recipe());
    }

    /** @param args see the class comment */
    public static void main(String[] args) throws Exception {
        Path db = Path.of(args[1]);
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            if (args[0].equals("work")) {
                Path effects = Path.of(args[2]);
                FileBarrier.await(Path.of(args[4]), Integer.parseInt(args[5]));
                try (JobEngine engine = engine(store, effects).build()) {
                    Workers workers = engine.startWorkers(WorkerOptions.defaults().withCount(Integer.parseInt(args[3]))
                            .withPollInterval(Duration.ofMillis(50)));
                    // until the queue is empty, however long that takes (the test guards against a hang)
                    while (!store.findJobs(new JobQuery(Set.of(JobStatus.PENDING, JobStatus.RUNNING), 1)).isEmpty()) {
                        Thread.sleep(100);
                    }
                    workers.close();
                }
            } else {
                String key = args[2];
                int threads = Integer.parseInt(args[3]);
                try (JobEngine engine = engine(store, null).build()) {
                    ExecutorService pool = Executors.newFixedThreadPool(threads);
                    CountDownLatch go = new CountDownLatch(1);
                    for (int i = 0; i < threads; i++) {
                        pool.submit(() -> {
                            go.await();
                            return engine.submit(SLUG, JSON.createObjectNode(), SubmitOptions.defaults().withIdempotencyKey(key));
                        });
                    }
                    go.countDown();
                    pool.shutdown();
                    pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
                }
            }
        }
        System.exit(0);
    }
}
