package dev.stepwise.engine.sqlite.process;

import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;
import tools.jackson.databind.json.JsonMapper;

/**
 * A child JVM for the group-commit crash test: {@code DB EFFECTS GROUPED WORKERS}. Runs WORKERS
 * worker threads (group commit on: the store's default) until no job is pending or running. Each
 * step appends {@code "<jobId> <stepKey> <attempt>"} to EFFECTS before it returns; its output
 * names its attempt. The store's before-commit hook pauses ~1 ms inside every transaction so
 * that other runners' boundaries queue behind it (groups form), and appends a line to GROUPED
 * whenever a write is committed on another runner's thread than its own (it rode in a group).
 */
public final class GroupChild {
    static final String SLUG = "grouped";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private GroupChild() {
    }

    static Recipe recipe() {
        return Recipe.builder(SLUG).step("a", "mark").step("b", "mark").step("c", "mark").step("d", "mark").build();
    }

    static JobEngineBuilder engine(SqliteJobStore store, Path effects) {
        // A short lease, so that the next child takes over a killed child's jobs within seconds.
        return JobEngine.builder(store).leaseTtl(Duration.ofSeconds(2)).heartbeatInterval(Duration.ofMillis(500))
                .step("mark", ctx -> {
                    if (effects != null) {
                        Files.write(effects, (ctx.jobId() + " " + ctx.stepKey() + " " + ctx.attempt() + "\n")
                                .getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                    return JSON.createObjectNode().put("step", ctx.stepKey()).put("attempt", ctx.attempt());
                })
                .recipe(recipe());
    }

    /** @param args see the class comment */
    public static void main(String[] args) throws Exception {
        Path db = Path.of(args[0]);
        Path effects = Path.of(args[1]);
        Path grouped = Path.of(args[2]);
        int workers = Integer.parseInt(args[3]);
        SqliteJobStore.Builder b = SqliteJobStore.builder(db).beforeCommit(write -> {
            String owner = write.job().leaseOwner();
            String thread = Thread.currentThread().getName();
            // Worker N's runner runs on thread stepwise-worker-N under the owner <runner id>#wN.
            if (owner != null && thread.startsWith("stepwise-worker-")
                    && !owner.endsWith("#w" + thread.substring("stepwise-worker-".length()))) {
                try {
                    Files.write(grouped, (write.job().id() + "\n").getBytes(StandardCharsets.UTF_8),
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            LockSupport.parkNanos(1_000_000);
        });
        try (SqliteJobStore store = b.build(); JobEngine engine = engine(store, effects).build()) {
            Workers w = engine.startWorkers(WorkerOptions.defaults().withCount(workers).withPollInterval(Duration.ofMillis(50)));
            while (!store.findJobs(new JobQuery(Set.of(JobStatus.PENDING, JobStatus.RUNNING), 1)).isEmpty()) {
                Thread.sleep(50);
            }
            w.close();
        }
        System.exit(0);
    }
}
