package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.engine.test.FakeStep;
import dev.stepwise.engine.test.FakeSteps;
import dev.stepwise.engine.test.JobAssert;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The recipe of docs/guide.md ("A recipe with all three": artifacts, validators, the step cache),
 * read from the guide itself, published and run twice with fake steps on a real SQLite file.
 */
class GuideRecipeTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String SCRIPT = "INTRO\n" + "word ".repeat(60) + "\nOUTRO\nthanks\n";

    @TempDir
    Path dir;

    @Test
    void theGuidesRecipePublishesValidatesAndIsServedFromTheCacheTheSecondTime() throws Exception {
        FakeStep script = FakeSteps.recording(ctx -> Map.of("script",
                ctx.artifacts().put(SCRIPT.getBytes(StandardCharsets.UTF_8), "text/plain; charset=utf-8").toJson()));
        FakeStep speak = FakeSteps.recording(ctx -> {
            ctx.artifacts().read(ArtifactRef.fromJson(ctx.output("script").path("script")).orElseThrow());
            byte[] audio = wav(ctx.input().path("rate").asInt(24_000), 6);
            return Map.of("audio", ctx.artifacts().put(audio, "audio/wav").toJson());
        });
        FakeStep publish = FakeSteps.recording(ctx -> Map.of("url", "https://example.org/" + ctx.jobId()));
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("jobs.db")).build();
             JobEngine engine = JobEngine.builder(store).step("write-script", script).step("synthesize", speak)
                     .step("publish", publish).build()) {
            assertEquals(1, engine.catalog().publishRecipe(guideRecipe()).version());
            JsonNode input = JSON.readTree("{\"topic\": \"tides\"}");

            Job first = engine.run(engine.createJob("narration", input).id());
            Job second = engine.run(engine.createJob("narration", input).id());
            JobAssert.assertThat(engine, first).completed().manifest().isValid();
            JobAssert.assertThat(engine, second).completed().stepFromCache("script", first).stepFromCache("speak", first)
                    .stepExecuted("publish").manifest().isValid().hasValue("/steps/1/cached_from", first.id())
                    .hasValue("/steps/1/artifacts/0/media_type", "audio/wav");
            assertEquals(List.of(1, 1, 2), List.of(script.calls(), speak.calls(), publish.calls()),
                    "script and speak executed once for two jobs; publish in each");

            // The audio validator of the guide refuses a WAV at another sample rate, at once
            // (another input, so not from the cache).
            Job refused = engine.run(engine.createJob("narration", JSON.readTree("{\"topic\": \"tides\", \"rate\": 16000}")).id());
            JobAssert.assertThat(engine, refused).failedWith("step 'speak' failed: its output failed validation (1 problem): "
                    + "audio: /audio has a sample rate of 16000 Hz, not 24000 Hz").stepAttempts("speak", 1);
        }
    }

    /** The JSON block of the guide whose slug is "narration". */
    private static JsonNode guideRecipe() throws IOException {
        List<String> lines = Files.readAllLines(DocSnippets.REPO.resolve("docs/guide.md"));
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).equals("```json") && i + 2 < lines.size() && lines.get(i + 2).contains("\"slug\": \"narration\"")) {
                StringBuilder block = new StringBuilder();
                for (int j = i + 1; !lines.get(j).equals("```"); j++) {
                    block.append(lines.get(j)).append('\n');
                }
                return JSON.readTree(block.toString());
            }
        }
        throw new AssertionError("docs/guide.md has no ```json block of the recipe \"narration\"");
    }

    /** A silent 16-bit mono WAV. */
    private static byte[] wav(int rate, int seconds) throws IOException {
        AudioFormat format = new AudioFormat(rate, 16, 1, true, false);
        byte[] pcm = new byte[rate * 2 * seconds];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AudioSystem.write(new AudioInputStream(new ByteArrayInputStream(pcm), format, (long) rate * seconds),
                AudioFileFormat.Type.WAVE, out);
        return out.toByteArray();
    }
}
