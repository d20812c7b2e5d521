package dev.stepwise.engine.postgres.process;

import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.postgres.PgSchemas;
import dev.stepwise.engine.postgres.PostgresJobStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;

/**
 * A worker process of the PostgreSQL process tests. Arguments are {@code key=value}:
 * {@code schema} (required), {@code effects} (a file: every step execution appends
 * {@code "<jobId> <stepKey> <attempt> <pid>"}), {@code workers} (default 4), {@code barrier} and
 * {@code peers} (start together with the others), {@code lease} (TTL in ms, default 30000),
 * {@code poll} (poll interval in ms, default 200), {@code limit.<slug>} (a recipe limit),
 * {@code stepMillis} (each step sleeps that long first, default 0), {@code app} (application_name of its connections),
 * {@code url} (the JDBC URL, default the test database's), {@code patience} (the store's reconnect patience in ms,
 * default the store's), {@code until} ({@code empty}: stop when no
 * job is pending or running, the default; {@code never}: run until killed).
 * Prints {@code listening} once its store listens for notifications.
 */
public final class PgChild {
    static final JsonMapper JSON = JsonMapper.builder().build();

    private PgChild() {
    }

    /** The recipes of the tests: one step, three steps, twenty steps; each step a "mark". */
    static JobEngineBuilder engine(PostgresJobStore store, Path effects, Duration lease) {
        return engine(store, effects, lease, 0);
    }

    /** As {@link #engine(PostgresJobStore, Path, Duration)}, each step first sleeping {@code stepMillis}. */
    static JobEngineBuilder engine(PostgresJobStore store, Path effects, Duration lease, long stepMillis) {
        Recipe.Builder twenty = Recipe.builder("twenty");
        for (int i = 0; i < 20; i++) {
            twenty.step("s" + i, "mark");
        }
        return JobEngine.builder(store).leaseTtl(lease).heartbeatInterval(lease.dividedBy(5))
                .step("mark", ctx -> {
                    if (stepMillis > 0) {
                        Thread.sleep(stepMillis);
                    }
                    if (effects != null) {
                        Files.write(effects, (ctx.jobId() + " " + ctx.stepKey() + " " + ctx.attempt() + " "
                                + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8),
                                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                    }
                    return JSON.createObjectNode().put("step", ctx.stepKey());
                })
                .recipe(Recipe.builder("one").step("a", "mark").build())
                .recipe(Recipe.builder("three").step("a", "mark").step("b", "mark").step("c", "mark").build())
                .recipe(twenty.build());
    }

    /** @param args see the class comment */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        Map<String, Integer> limits = new HashMap<>();
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            if (kv[0].startsWith("limit.")) {
                limits.put(kv[0].substring("limit.".length()), Integer.parseInt(kv[1]));
            } else {
                a.put(kv[0], kv[1]);
            }
        }
        Duration lease = Duration.ofMillis(Long.parseLong(a.getOrDefault("lease", "30000")));
        Path effects = a.containsKey("effects") ? Path.of(a.get("effects")) : null;
        PostgresJobStore.Builder builder = PostgresJobStore.builder(a.getOrDefault("url", PgSchemas.URL)).schema(a.get("schema"))
                .poolSize(8).applicationName(a.getOrDefault("app", "stepwise-child"));
        if (a.containsKey("patience")) {
            builder.reconnectPatience(Duration.ofMillis(Long.parseLong(a.get("patience"))));
        }
        try (PostgresJobStore store = builder.build();
                JobEngine engine = engine(store, effects, lease, Long.parseLong(a.getOrDefault("stepMillis", "0"))).build()) {
            if (a.containsKey("barrier")) {
                FileBarrier.await(Path.of(a.get("barrier")), Integer.parseInt(a.get("peers")));
            }
            Workers workers = engine.startWorkers(WorkerOptions.defaults()
                    .withCount(Integer.parseInt(a.getOrDefault("workers", "4")))
                    .withPollInterval(Duration.ofMillis(Long.parseLong(a.getOrDefault("poll", "200"))))
                    .withRecipeLimits(limits));
            for (int i = 0; i < 60_000 && !store.listening(); i++) {
                Thread.sleep(10);
            }
            System.out.println("listening");
            boolean untilEmpty = !a.getOrDefault("until", "empty").equals("never");
            // until the queue is empty (or forever), however long that takes (the test guards against a hang)
            while (!untilEmpty || !store.findJobs(new JobQuery(Set.of(JobStatus.PENDING, JobStatus.RUNNING), 1)).isEmpty()) {
                Thread.sleep(100);
            }
            workers.close();
        }
        System.exit(0);
    }
}
