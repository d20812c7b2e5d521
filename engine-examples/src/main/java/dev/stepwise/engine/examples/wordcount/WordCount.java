package dev.stepwise.engine.examples.wordcount;

import dev.stepwise.engine.core.JobEngineBuilder;
import java.nio.file.Path;

/**
 * The {@code wordcount} example: {@code read -> tokenize -> count -> report}. The recipe itself
 * is data, the classpath resource {@value #RECIPE_RESOURCE} (with the input schema
 * {@code {"file": string, "out"?: string, "top"?: integer >= 1}}); this class registers the
 * four step types it uses.
 *
 * <pre>{@code
 * JobEngine engine = WordCount.register(JobEngine.builder(store), reportDir).build();
 * engine.run(engine.createJob("wordcount", input).id());   // input: {"file": "README.md"}
 * }</pre>
 */
public final class WordCount {
    /** The recipe's slug. */
    public static final String SLUG = "wordcount";
    /** The recipe as JSON, a classpath resource. */
    public static final String RECIPE_RESOURCE = "/recipes/wordcount.json";
    /** A small sample text bundled as a classpath resource. */
    public static final String SAMPLE_RESOURCE = "/dev/stepwise/engine/examples/wordcount/sample.txt";

    private WordCount() {
    }

    /**
     * Registers the four step types ({@code read-file}, {@code tokenize}, {@code count-words},
     * {@code write-report}) without seeding the recipe.
     *
     * @param builder   an engine builder
     * @param reportDir where reports go when the job input names no {@code out}
     * @return the builder
     */
    public static JobEngineBuilder registerSteps(JobEngineBuilder builder, Path reportDir) {
        return builder
                .step("read-file", new ReadFile())
                .step("tokenize", new Tokenize())
                .step("count-words", new CountWords())
                .step("write-report", new WriteReport(reportDir));
    }

    /**
     * Registers the step types and seeds the recipe from {@value #RECIPE_RESOURCE} (a no-op
     * when the store's latest {@code wordcount} has the same content).
     *
     * @param builder   an engine builder
     * @param reportDir where reports go when the job input names no {@code out}
     * @return the builder
     */
    public static JobEngineBuilder register(JobEngineBuilder builder, Path reportDir) {
        return registerSteps(builder, reportDir).recipeResource(RECIPE_RESOURCE);
    }
}
