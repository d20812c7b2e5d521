package dev.stepwise.engine.examples;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.examples.greeting.Greeting;
import dev.stepwise.engine.examples.narration.Narration;
import dev.stepwise.engine.examples.wordcount.WordCount;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The example app's bundled recipes and config, seeded into the database at start-up. The
 * engine publishes a seeded document only if no stored version has its content, so a start-up
 * never undoes a version published since with {@code recipes publish} or {@code config set}.
 *
 * <p>The narration's speech provider ({@value Narration#SPEECH_PROVIDER}) is the one entry whose
 * default depends on the machine: {@code {"type": "espeak"}} when {@value #ESPEAK} is on the
 * {@code PATH}, else {@code {"type": "tone"}}. It is seeded only into a database that has no
 * such provider yet, so the first start-up decides, and a later start-up (on this machine or
 * another) never changes it; {@code config set provider speech ...} does.
 */
public final class Catalog {
    /** The bundled recipes, classpath resources. */
    public static final List<String> RECIPE_RESOURCES = List.of(WordCount.RECIPE_RESOURCE, Greeting.RECIPE_RESOURCE,
            Narration.RECIPE_RESOURCE);
    /** The program of the local voice. */
    public static final String ESPEAK = "espeak-ng";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A bundled config entry: kind, key and the resource holding its value. */
    private record Entry(DocumentKind kind, String key, String resource) {
    }

    private static final List<Entry> CONFIG = List.of(
            new Entry(DocumentKind.PROMPT, Greeting.PROMPT, Greeting.PROMPT_RESOURCE),
            new Entry(DocumentKind.PROMPT, Narration.PROMPT, "/prompts/" + Narration.PROMPT + ".json"),
            new Entry(DocumentKind.PRESET, Narration.PRESET, "/presets/" + Narration.PRESET + ".json"),
            new Entry(DocumentKind.PROVIDER, Narration.SCRIPT_PROVIDER, "/providers/" + Narration.SCRIPT_PROVIDER + ".json"),
            new Entry(DocumentKind.VOICE, Narration.VOICE, "/voices/" + Narration.VOICE + ".json"));

    private Catalog() {
    }

    /**
     * Adds every bundled config entry and recipe to the builder's seeds (config first: recipes
     * refer to it), and the default speech provider if {@code store} has none.
     *
     * @param builder an engine builder
     * @param store   the store the engine will use
     * @return the builder
     */
    public static JobEngineBuilder seed(JobEngineBuilder builder, JobStore store) {
        for (Entry e : CONFIG) {
            builder.config(e.kind(), e.key(), read(e.resource()));
        }
        if (store.findDocument(DocumentKind.PROVIDER, Narration.SPEECH_PROVIDER, null).isEmpty()) {
            builder.config(DocumentKind.PROVIDER, Narration.SPEECH_PROVIDER, defaultSpeechProvider(onPath(ESPEAK)));
        }
        for (String resource : RECIPE_RESOURCES) {
            builder.recipeResource(resource);
        }
        return builder;
    }

    /**
     * @param espeakOnPath whether {@value #ESPEAK} can be run
     * @return the speech provider a new database gets: espeak when it can run, else the tone track
     */
    static JsonNode defaultSpeechProvider(boolean espeakOnPath) {
        return JSON.createObjectNode().put("type", espeakOnPath ? "espeak" : "tone");
    }

    /**
     * @param program a program name
     * @return whether an executable file of that name is in a folder of the {@code PATH}
     */
    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isBlank()) {
                Path p = Path.of(dir, program);
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return true;
                }
            }
        }
        return false;
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
