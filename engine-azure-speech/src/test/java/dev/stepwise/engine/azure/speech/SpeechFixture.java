package dev.stepwise.engine.azure.speech;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.SecretResolver;
import dev.stepwise.engine.core.FileManifestWriter;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Map;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The engine of the speech tests: SQLite in a temporary folder, a test secret resolver, a two-step recipe. */
final class SpeechFixture {
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** A key nobody would write by chance, so a grep for it finds only leaks. */
    static final String KEY = "azTESTkey0f3c9d2e7b1a4c6d8e0f2a4b6c8d0e2f";
    static final String SECRET_REF = "test:azure-key";
    static final SecretResolver RESOLVER = ref -> {
        if (ref.equals(SECRET_REF)) {
            return KEY;
        }
        throw new IllegalArgumentException("secret '" + ref + "' is unknown to the test resolver");
    };
    static final AudioFormat FORMAT = new AudioFormat(24_000f, 16, 1, true, false);

    private SpeechFixture() {
    }

    static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    static JsonNode provider(String endpoint, long timeoutMs, int maxChars) {
        return json("{\"type\": \"azure\", \"region\": \"westeurope\", \"key\": {\"secret\": \"" + SECRET_REF + "\"}, "
                + "\"endpoint\": \"" + endpoint + "\", \"timeout_ms\": " + timeoutMs + ", \"max_chars_per_request\": " + maxChars + "}");
    }

    static JsonNode voice() {
        return json("{\"provider\": \"azure\", \"name\": \"en-US-JennyNeural\", \"language\": \"en-US\", "
                + "\"style\": \"narration-professional\", \"prosody\": {\"rate\": \"+5%\", \"pitch\": \"+0Hz\"}}");
    }

    static Recipe recipe(int maxAttempts) {
        return Recipe.fromJson(json("{\"slug\": \"speak\", "
                + "\"input_schema\": {\"type\": \"object\", \"required\": [\"text\"]}, "
                + "\"voices\": [\"narrator-en\"], \"providers\": [\"azure-speech\"], "
                + "\"steps\": [{\"key\": \"script\", \"type\": \"fixed-text\"}, "
                + "{\"key\": \"speech\", \"type\": \"azure-speech\", \"params\": {\"provider\": \"azure-speech\", \"voice\": \"narrator-en\"}, "
                + "\"retry\": {\"max_attempts\": " + maxAttempts + ", \"initial_delay_ms\": 20, \"jitter\": \"none\"}, "
                + "\"validators\": [{\"type\": \"audio\", \"path\": \"/audio\", \"format\": \"wav\", \"sample_rate\": 24000}]}]}"));
    }

    static JobEngineBuilder engine(SqliteJobStore store, Path manifests, JsonNode provider, Recipe recipe) {
        return JobEngine.builder(store)
                .step("fixed-text", ctx -> Map.of("text", ctx.input().get("text").asString()))
                .step(AzureSpeechStep.TYPE, new AzureSpeechStep())
                .secretResolver(RESOLVER)
                .manifestWriter(new FileManifestWriter(manifests))
                .config(DocumentKind.PROVIDER, "azure-speech", provider)
                .config(DocumentKind.VOICE, "narrator-en", voice())
                .recipe(recipe);
    }

    /** @return a WAV file (written by javax.sound) of {@code frames} frames of a quiet saw wave */
    static byte[] wav(int frames) {
        byte[] pcm = new byte[frames * 2];
        for (int i = 0; i < frames; i++) {
            short s = (short) ((i % 100) * 40 - 2000);
            pcm[2 * i] = (byte) s;
            pcm[2 * i + 1] = (byte) (s >> 8);
        }
        try (AudioInputStream in = new AudioInputStream(new ByteArrayInputStream(pcm), FORMAT, frames)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            AudioSystem.write(in, AudioFileFormat.Type.WAVE, out);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
