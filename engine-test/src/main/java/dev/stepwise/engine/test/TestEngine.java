package dev.stepwise.engine.test;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.core.InMemoryJobStore;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real {@link JobEngine} on an {@link InMemoryJobStore} and a {@link TestClock}, with one recipe
 * and its steps, in one line:
 *
 * <pre>{@code
 * try (TestEngine engine = TestEngine.inMemory(recipe, Map.of("fetch", FakeSteps.succeed(rows), "save", save))) {
 *     Job job = engine.run("{\"day\": \"2026-01-01\"}");
 *     JobAssert.assertThat(engine, job).completed().stepExecuted("save");
 * }
 * }</pre>
 *
 * <p>Everything else is on {@link #engine()}: the same engine a host builds, so a test sees
 * what production does (checkpoints, retries, the manifest), minus the files. Closing it closes
 * the engine and the store.
 */
public final class TestEngine implements AutoCloseable {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final JobEngine engine;
    private final InMemoryJobStore store;
    private final TestClock clock;
    private final String recipeSlug;

    private TestEngine(JobEngine engine, InMemoryJobStore store, TestClock clock, String recipeSlug) {
        this.engine = engine;
        this.store = store;
        this.clock = clock;
        this.recipeSlug = recipeSlug;
    }

    /**
     * @param recipe the recipe, published at build
     * @param steps  the step implementations by type name (real steps or {@link FakeSteps})
     * @return an engine on a new in-memory store and a {@link TestClock} at {@link TestClock#DEFAULT_START}
     * @throws dev.stepwise.engine.api.InvalidRecipeException if the recipe names a type not in {@code steps}
     */
    public static TestEngine inMemory(Recipe recipe, Map<String, ? extends Step> steps) {
        return inMemory(recipe, steps, UnaryOperator.identity());
    }

    /**
     * @param recipe    the recipe, published at build
     * @param steps     the step implementations by type name
     * @param configure changes the builder before {@code build()} (more recipes, config, a listener,
     *                  {@code leaseTtl}, ...); the store and the clock are already set
     * @return the engine
     */
    public static TestEngine inMemory(Recipe recipe, Map<String, ? extends Step> steps,
            UnaryOperator<JobEngineBuilder> configure) {
        Objects.requireNonNull(recipe, "recipe");
        Objects.requireNonNull(steps, "steps");
        Objects.requireNonNull(configure, "configure");
        return inMemory(recipe.slug(), builder -> {
            steps.forEach(builder::step);
            return configure.apply(builder.recipe(recipe));
        });
    }

    /**
     * An engine wired by the host's own code, e.g. the method that registers its steps and recipes in
     * production: {@code TestEngine.inMemory("wordcount", b -> WordCount.register(b, dir))}.
     *
     * @param recipeSlug the recipe {@link #run(String)} creates jobs of
     * @param wiring     registers steps, recipes and settings on the builder (the store and the clock are set)
     * @return the engine
     */
    public static TestEngine inMemory(String recipeSlug, UnaryOperator<JobEngineBuilder> wiring) {
        Objects.requireNonNull(recipeSlug, "recipeSlug");
        Objects.requireNonNull(wiring, "wiring");
        InMemoryJobStore store = new InMemoryJobStore();
        TestClock clock = new TestClock();
        try {
            return new TestEngine(wiring.apply(JobEngine.builder(store).clock(clock)).build(), store, clock, recipeSlug);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /**
     * @param json JSON text
     * @return the parsed value (e.g. a job input)
     * @throws tools.jackson.core.JacksonException if it is not JSON
     */
    public static JsonNode json(String json) {
        return JSON.readTree(json);
    }

    /**
     * Creates a job of the recipe (its latest version) and runs it on this thread to the end.
     *
     * @param input the job input, JSON text of an object
     * @return the job as it ended
     */
    public Job run(String input) {
        return run(json(input));
    }

    /**
     * Creates a job of the recipe (its latest version) and runs it on this thread to the end.
     *
     * @param input the job input, a JSON object
     * @return the job as it ended
     */
    public Job run(JsonNode input) {
        Job job = engine.createJob(recipeSlug, input);
        return engine.run(job.id());
    }

    /**
     * Creates a job and runs it on a new thread, e.g. while a {@link HangingStep} holds it.
     *
     * @param input the job input, JSON text of an object
     * @return the job as it ends; the job exists (pending or running) once this returns
     */
    public CompletableFuture<Job> runInBackground(String input) {
        Job job = engine.createJob(recipeSlug, json(input));
        CompletableFuture<Job> result = new CompletableFuture<>();
        Thread runner = new Thread(() -> {
            try {
                result.complete(engine.run(job.id()));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "stepwise-test-run-" + job.id());
        runner.setDaemon(true);
        runner.start();
        return result;
    }

    /**
     * Hands a failed or cancelled job back ({@code engine.retry}) and runs it again: valid
     * checkpoints are reused, the rest executes.
     *
     * @param job the job
     * @return the job as it ended
     */
    public Job rerun(Job job) {
        engine.retry(job.id());
        return engine.run(job.id());
    }

    /**
     * @param job a job of this engine
     * @return assertions on its current state
     */
    public JobAssert assertThat(Job job) {
        return JobAssert.assertThat(engine, job);
    }

    /** @return the engine */
    public JobEngine engine() {
        return engine;
    }

    /** @return the in-memory store under it */
    public InMemoryJobStore store() {
        return store;
    }

    /** @return the engine's clock: advance it to move time */
    public TestClock clock() {
        return clock;
    }

    /** @return the slug of the recipe {@link #run(String)} creates jobs of */
    public String recipeSlug() {
        return recipeSlug;
    }

    /** Closes the engine, then the store. */
    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            store.close();
        }
    }
}
