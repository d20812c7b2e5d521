package dev.stepwise.engine.examples;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.examples.greeting.Greeting;
import dev.stepwise.engine.examples.wordcount.WordCount;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The example app's bundled recipes and config, seeded into the database at start-up. The
 * engine publishes a seeded document only if no stored version has its content, so a start-up
 * never undoes a version published since with {@code recipes publish}.
 */
public final class Catalog {
    /** The bundled recipes, classpath resources. */
    public static final List<String> RECIPE_RESOURCES = List.of(WordCount.RECIPE_RESOURCE, Greeting.RECIPE_RESOURCE);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A bundled config entry: kind, key and the resource holding its value. */
    private record Entry(DocumentKind kind, String key, String resource) {
    }

    private static final List<Entry> CONFIG = List.of(new Entry(DocumentKind.PROMPT, Greeting.PROMPT, Greeting.PROMPT_RESOURCE));

    private Catalog() {
    }

    /**
     * Adds every bundled config entry and recipe to the builder's seeds (config first: recipes
     * refer to it).
     *
     * @param builder an engine builder
     * @return the builder
     */
    public static JobEngineBuilder seed(JobEngineBuilder builder) {
        for (Entry e : CONFIG) {
            builder.config(e.kind(), e.key(), read(e.resource()));
        }
        for (String resource : RECIPE_RESOURCES) {
            builder.recipeResource(resource);
        }
        return builder;
    }

    private static JsonNode read(String resource) {
        try (InputStream in = Catalog.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("bundled resource " + resource + " is missing from the jar");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled resource " + resource, e);
        }
    }
}
