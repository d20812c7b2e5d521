package dev.stepwise.engine.examples;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Path;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The README's embedding example, compiled and tested: a host registers a step and a recipe,
 * creates a job and runs it to the end on its own thread. The lines between the
 * {@code README:begin} and {@code README:end} markers appear verbatim in README.md (a test
 * checks it).
 */
public final class EmbeddingExample {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private EmbeddingExample() {
    }

    /**
     * Runs the example and prints {@code completed {"greeting":"hello, world"}}.
     *
     * @param args optional: the SQLite file to use (default {@code ./example.db})
     */
    public static void main(String[] args) {
        Path dbFile = Path.of(args.length > 0 ? args[0] : "example.db");
        // README:begin
        try (JobStore store = SqliteJobStore.builder(dbFile).build();
             JobEngine engine = JobEngine.builder(store)
                     .step("greet", ctx -> Map.of("greeting", "hello, " + ctx.input().get("name").asString()))
                     .recipe(Recipe.builder("hello").step("greet", "greet").build())
                     .build()) {
            Job job = engine.createJob("hello", JSON.readTree("{\"name\": \"world\"}"));
            job = engine.run(job.id()); // on this thread; one durable checkpoint per step
            System.out.println(job.status() + " " + engine.manifest(job.id()).get("output"));
        }
        // README:end
    }
}
