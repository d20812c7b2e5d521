package dev.stepwise.engine.examples.wordcount;

import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import java.nio.file.Path;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code wordcount} example recipe: {@code read -> tokenize -> count -> report}.
 *
 * <pre>{@code
 * JobEngine engine = WordCount.register(JobEngine.builder(store), reportDir).build();
 * engine.run(engine.createJob("wordcount", input).id());   // input: {"file": "README.md"}
 * }</pre>
 */
public final class WordCount {
    /** The recipe's slug. */
    public static final String SLUG = "wordcount";
    /** A small sample text bundled as a classpath resource. */
    public static final String SAMPLE_RESOURCE = "/dev/stepwise/engine/examples/wordcount/sample.txt";

    private WordCount() {
    }

    /** @return version 1 of the recipe */
    public static Recipe recipe() {
        ObjectNode countParams = JsonNodeFactory.instance.objectNode().put("minLength", 1);
        ObjectNode reportParams = JsonNodeFactory.instance.objectNode().put("top", WriteReport.DEFAULT_TOP);
        return Recipe.builder(SLUG)
                .step("read", "read-file")
                .step("tokenize", "tokenize")
                .step("count", "count-words", countParams)
                .step("report", "write-report", reportParams)
                .build();
    }

    /**
     * Registers the recipe and its four step types.
     *
     * @param builder   an engine builder
     * @param reportDir where reports go when the job input names no {@code out}
     * @return the builder
     */
    public static JobEngine.Builder register(JobEngine.Builder builder, Path reportDir) {
        return builder
                .step("read-file", new ReadFile())
                .step("tokenize", new Tokenize())
                .step("count-words", new CountWords())
                .step("write-report", new WriteReport(reportDir))
                .recipe(recipe());
    }
}
