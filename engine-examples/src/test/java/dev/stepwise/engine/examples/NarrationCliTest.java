package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.ManifestSchema;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code narration} recipe end to end, offline, through the CLI entry point on a real SQLite
 * file in a temporary folder: nothing set, no network, no keys.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES) // hang guard only
class NarrationCliTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final boolean ESPEAK = Catalog.onPath(Catalog.ESPEAK);
    private static final boolean CI = "true".equalsIgnoreCase(System.getenv("CI"));

    @TempDir
    Path dir;
    Path db;
    Cli cli;

    @BeforeEach
    void setUp() {
        db = dir.resolve("jobs.db");
        cli = new Cli(db);
    }

    private String run(String input) {
        Cli.Result r = cli.run("run", "narration", "--input", input);
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().get(1).startsWith("completed: job " + r.out().get(0) + " (narration@1)"), r.toString());
        return r.out().get(0);
    }

    private JsonNode manifest(String job) {
        Cli.Result m = cli.run("manifest", job);
        assertEquals(0, m.code(), m.toString());
        JsonNode manifest = JSON.readTree(m.stdout());
        assertEquals(List.of(), ManifestSchema.validate(manifest), () -> "manifest does not validate: " + manifest);
        return manifest;
    }

    private List<JobStep> steps(String job) {
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            return store.findSteps(job);
        }
    }

    /** Copies the speech step's WAV out with the CLI and reads it with javax.sound.sampled. */
    private AudioInputStream audio(String job, String name) throws IOException, UnsupportedAudioFileException {
        Path wav = dir.resolve(name);
        Cli.Result copy = cli.run("artifact", job, "speech", "--out", wav.toString());
        assertEquals(0, copy.code(), copy.toString());
        assertTrue(copy.out().get(0).contains("(audio/wav, "), copy.toString());
        return AudioSystem.getAudioInputStream(wav.toFile());
    }

    private static long durationMs(AudioInputStream in) {
        return Math.round(in.getFrameLength() * 1000.0 / in.getFormat().getFrameRate());
    }

    @Test
    void runsOfflineByDefaultWritesTheWavAndASecondJobTakesTheSpeechFromTheCache() throws Exception {
        String first = run("{\"topic\": \"tides\"}");

        List<JobStep> steps = steps(first);
        assertEquals(List.of("script", "speech", "package"), steps.stream().map(JobStep::stepKey).toList());
        assertEquals(List.of(StepStatus.SUCCESS, StepStatus.SUCCESS, StepStatus.SUCCESS), steps.stream().map(JobStep::status).toList());
        JsonNode script = steps.get(0).outputRefs();
        assertEquals("offline", script.get("model").asString());
        assertEquals("end_turn", script.get("stop_reason").asString());
        assertEquals(120, script.get("words").asInt());
        assertEquals(120, script.get("text").asString().split("\\s+").length);
        assertTrue(script.get("text").asString().contains("tides"), script.toString());
        JsonNode speech = steps.get(1).outputRefs();
        assertEquals("wav", speech.get("format").asString());
        assertEquals(script.get("text").asString().length(), speech.get("characters").asInt());
        try (AudioInputStream in = audio(first, "first.wav")) {
            assertEquals(1, in.getFormat().getChannels());
            assertEquals(16, in.getFormat().getSampleSizeInBits());
            assertEquals(AudioFormat.Encoding.PCM_SIGNED, in.getFormat().getEncoding());
            assertEquals(speech.get("duration_ms").asLong(), durationMs(in), 1.0);
            assertTrue(durationMs(in) > 1000, "the narration of 120 words lasts more than a second: " + durationMs(in));
        }

        JsonNode m1 = manifest(first);
        assertEquals("en-US-JennyNeural", m1.at("/snapshots/voices/narrator-en/value/name").asString());
        assertEquals(1, m1.at("/snapshots/voices/narrator-en/version").asInt());
        assertEquals(ESPEAK ? "espeak" : "tone", m1.at("/snapshots/providers/speech/value/type").asString(),
                "the CLI seeds espeak when espeak-ng is on the PATH, else the tone track");
        assertEquals("offline", m1.at("/snapshots/providers/script/value/type").asString());
        assertEquals(0, m1.at("/metrics/input_tokens").asInt());
        assertEquals(0, m1.at("/metrics/output_tokens").asInt());
        assertEquals(speech.get("characters").asInt(), m1.at("/metrics/characters_synthesized").asInt());
        assertEquals(speech.get("audio"), m1.at("/output/audio"));
        assertEquals(script.get("text"), m1.at("/output/script/text"));

        Cli.Result again2 = cli.run("run", "narration", "--input", "{\"topic\": \"tides\"}");
        assertEquals(0, again2.code(), again2.toString());
        assertTrue(again2.out().get(1).contains("3 steps: 2 executed, 0 from checkpoint, 1 from the step cache, "), again2.toString());
        String second = again2.out().get(0);
        List<JobStep> again = steps(second);
        assertEquals(StepStatus.SUCCESS, again.get(0).status(), "the script step is not cached: it runs in every job");
        assertEquals(script.get("text"), again.get(0).outputRefs().get("text"), "the offline writer is deterministic");
        assertEquals(StepStatus.SKIPPED, again.get(1).status());
        assertEquals("cache", again.get(1).skipReason());
        assertEquals(first, again.get(1).cachedFrom());
        assertEquals(0, again.get(1).attempts());
        assertEquals(speech, again.get(1).outputRefs());
        JsonNode m2 = manifest(second);
        assertEquals(first, m2.at("/steps/1/cached_from").asString());
        assertEquals(0, m2.at("/metrics/characters_synthesized").asInt(), "a cache hit synthesized nothing");

        assertNotEquals(script.get("text"), steps(run("{\"topic\": \"volcanoes\"}")).get(0).outputRefs().get("text"));
    }

    @Test
    void theToneProviderWritesOneToneOfFourHundredMillisecondsPerWord() throws Exception {
        Cli.Result set = cli.run("config", "set", "provider", "speech", "{\"type\": \"tone\"}");
        assertEquals(0, set.code(), set.toString());
        String job = run("{\"topic\": \"the moon\", \"words\": 40}");
        try (AudioInputStream in = audio(job, "tone.wav")) {
            assertEquals(16_000f, in.getFormat().getSampleRate());
            assertEquals(16_000, durationMs(in));
        }
        assertEquals(16_000, steps(job).get(1).outputRefs().get("duration_ms").asInt());
        assertEquals("en-US-JennyNeural", steps(job).get(1).outputRefs().get("voice").asString());
    }

    @Test
    void theEspeakVoiceSpeaksTheScriptForMoreThanASecond() throws Exception {
        assumeTrue(ESPEAK || CI, "espeak-ng is not installed (under CI=true this test runs and fails instead)");
        Cli.Result set = cli.run("config", "set", "provider", "speech", "{\"type\": \"espeak\"}");
        assertEquals(0, set.code(), set.toString());
        String job = run("{\"topic\": \"lighthouses\", \"words\": 60}");
        JsonNode speech = steps(job).get(1).outputRefs();
        assertEquals("en-us", speech.get("voice").asString(), "an Azure voice speaks in espeak by its language");
        try (AudioInputStream in = audio(job, "espeak.wav")) {
            assertTrue(durationMs(in) > 1000, "espeak spoke 60 words in " + durationMs(in) + " ms");
            assertEquals(speech.get("duration_ms").asLong(), durationMs(in), 1.0);
            assertEquals(1, in.getFormat().getChannels());
        }
    }

    @Test
    void switchingTheSpeechProviderOrTheVoiceIsNotAnsweredFromTheCache() {
        assertEquals(0, cli.run("config", "set", "provider", "speech", "{\"type\": \"tone\"}").code());
        String tone = run("{\"topic\": \"rivers\", \"words\": 30}");
        assertEquals(0, cli.run("config", "set", "voice", "narrator-en",
                "{\"provider\": \"tone\", \"name\": \"beeper\", \"language\": \"en-GB\"}").code());
        String beeper = run("{\"topic\": \"rivers\", \"words\": 30}");
        JobStep speech = steps(beeper).get(1);
        assertEquals(StepStatus.SUCCESS, speech.status(), "another voice: the speech runs again");
        assertEquals("beeper", speech.outputRefs().get("voice").asString());
        assertEquals(null, speech.cachedFrom());
        assertEquals("en-US-JennyNeural", steps(tone).get(1).outputRefs().get("voice").asString());
        assertEquals(StepStatus.SKIPPED, steps(run("{\"topic\": \"rivers\", \"words\": 30}")).get(1).status(),
                "the same voice again: from the cache");
    }

    @Test
    void theInputNamesAnotherVoiceOnlyAmongTheRecipesVoices() {
        assertEquals(0, cli.run("config", "set", "provider", "speech", "{\"type\": \"tone\"}").code());
        String job = run("{\"topic\": \"owls\", \"words\": 30, \"voice\": \"narrator-en\"}");
        assertEquals("en-US-JennyNeural", steps(job).get(1).outputRefs().get("voice").asString());
        Cli.Result other = cli.run("run", "narration", "--input", "{\"topic\": \"owls\", \"words\": 30, \"voice\": \"narrator-pt\"}");
        assertEquals(1, other.code(), other.toString());
        JobStep speech = steps(other.out().get(0)).get(1);
        assertTrue(speech.error().contains("voice 'narrator-pt', which its recipe does not refer to; it refers to: [narrator-en]"),
                speech.error());
        assertEquals(1, speech.attempts());
    }

    @Test
    void anUnknownProviderTypeFailsTheStepListingTheRegisteredTypes() {
        assertEquals(0, cli.run("config", "set", "provider", "speech", "{\"type\": \"polly\"}").code());
        Cli.Result r = cli.run("run", "narration", "--input", "{\"topic\": \"tides\"}");
        assertEquals(1, r.code(), r.toString());
        String job = r.out().get(0);
        JobStep speech = steps(job).get(1);
        assertEquals(StepStatus.FAILED, speech.status());
        assertTrue(speech.error().contains("provider 'speech' has type 'polly', which no speech step is registered for; "
                + "registered types: [azure, espeak, tone]"), speech.error());
        assertEquals(1, speech.attempts(), "a permanent failure is not retried by the step's policy");
    }

    @Test
    void aPromptWithAnUnknownPlaceholderFailsTheScriptNamingIt() {
        assertEquals(0, cli.run("config", "set", "prompt", "narration-script",
                "{\"template\": \"Write {{words}} words about {{topic}} in the style of {{author}}.\", \"defaults\": {\"words\": 50}}").code());
        Cli.Result r = cli.run("run", "narration", "--input", "{\"topic\": \"tides\"}");
        assertEquals(1, r.code(), r.toString());
        JobStep script = steps(r.out().get(0)).get(0);
        assertEquals(StepStatus.FAILED, script.status());
        assertTrue(script.error().contains("prompt 'narration-script' has placeholder {{author}} but the job input has no field "
                + "'author' and the prompt no default for it (fields: topic, words)"), script.error());
        assertEquals(1, script.attempts());
    }

    @Test
    void anInputOutsideTheSchemaIsRefusedAndCreatesNoJob() {
        Cli.Result r = cli.run("run", "narration", "--input", "{\"topic\": \"\", \"words\": 5000}");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().get(0).contains("$.topic") && r.err().get(0).contains("$.words"), r.toString());
        assertEquals(List.of("no jobs"), cli.run("list").out());
    }

    @Test
    void voicesAreSetAndListedWithTheCliAndABadOneIsRefusedWithEveryProblem() {
        Cli.Result bad = cli.run("config", "set", "voice", "narrator-pt", "{\"name\": \"\", \"rate\": \"fast\"}");
        assertEquals(2, bad.code(), bad.toString());
        assertEquals(List.of("error: config voice 'narrator-pt' is invalid: $.provider is missing: a voice needs the provider type "
                + "the voice is for, e.g. \"azure\", \"espeak\" or \"tone\"; $.name must be a non-empty string (the voice's name at "
                + "its provider, e.g. \"en-US-JennyNeural\"), was \"\"; $.rate is not a voice field; a voice has "
                + "[language, name, prosody, provider, style]"), bad.err());
        Cli.Result set = cli.run("config", "set", "voice", "narrator-pt", "{\"provider\": \"espeak\", \"name\": \"pt-br\"}");
        assertEquals(List.of("set voice narrator-pt version 1"), set.out(), set.toString());
        Cli.Result list = cli.run("config", "list");
        assertTrue(list.out().stream().anyMatch(l -> l.matches("voice +narrator-en +1 .*")), list.toString());
        assertTrue(list.out().stream().anyMatch(l -> l.matches("voice +narrator-pt +1 .*")), list.toString());
        assertTrue(list.out().stream().anyMatch(l -> l.matches("provider +speech +1 .*")), list.toString());
    }
}
