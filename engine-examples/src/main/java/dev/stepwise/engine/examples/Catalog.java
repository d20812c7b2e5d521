package dev.stepwise.engine.examples;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.VersionedDocument;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.examples.greeting.Greeting;
import dev.stepwise.engine.examples.wordcount.WordCount;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The example app's bundled recipes and config, seeded into the database at start-up.
 *
 * <p>A bundled document is seeded unless one of the stored versions already has its content.
 * Seeding unconditionally would undo a publish: after {@code recipes publish} made
 * {@code wordcount} version 2, the next start would publish the bundled content again as
 * version 3 (the builder compares with the latest version only). With this rule a bundled
 * document is published once, and again only when the app ships changed content.
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
     * Adds to the builder every bundled config entry and recipe that is not stored yet (config
     * first: recipes refer to it).
     *
     * @param builder an engine builder on {@code store}
     * @param store   the store the engine will use
     * @return the builder
     */
    public static JobEngine.Builder seed(JobEngine.Builder builder, JobStore store) {
        for (Entry e : CONFIG) {
            JsonNode value = read(e.resource());
            boolean stored = store.findVersions(e.kind(), e.key()).stream().anyMatch(d -> d.content().equals(value));
            if (!stored) {
                builder.config(e.kind(), e.key(), value);
            }
        }
        for (String resource : RECIPE_RESOURCES) {
            Recipe bundled = Recipe.fromJson(read(resource));
            boolean stored = store.findVersions(DocumentKind.RECIPE, bundled.slug()).stream()
                    .map(VersionedDocument::content)
                    .anyMatch(content -> sameContent(Recipe.fromJson(content), bundled));
            if (!stored) {
                builder.recipeResource(resource);
            }
        }
        return builder;
    }

    private static boolean sameContent(Recipe a, Recipe b) {
        return a.withVersion(1).equals(b.withVersion(1));
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
