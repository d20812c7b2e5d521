package dev.stepwise.engine.core.internal.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.core.FileArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class BuiltInValidatorsTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path root;

    private static JsonNode json(String text) {
        return JSON.readTree(text);
    }

    /** A mono 16-bit PCM WAV of silence. */
    static byte[] wav(int sampleRate, int millis) throws Exception {
        AudioFormat format = new AudioFormat(sampleRate, 16, 1, true, false);
        long frames = (long) sampleRate * millis / 1000;
        byte[] pcm = new byte[(int) frames * 2];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AudioSystem.write(new AudioInputStream(new ByteArrayInputStream(pcm), format, frames), AudioFileFormat.Type.WAVE, out);
        return out.toByteArray();
    }

    @Test
    void textPassesWithinItsLimitsAndListsEveryProblemOtherwise() {
        FileArtifactStore artifacts = FileArtifactStore.at(root);
        TextValidator text = new TextValidator();
        JsonNode params = json("{\"path\":\"/script\",\"min_words\":3,\"max_words\":6,\"max_chars\":40,\"sections\":[\"INTRO\",\"OUTRO\"]}");

        assertEquals(List.of(), text.validate(json("{\"script\":\"INTRO\\nhello there world\\nOUTRO\"}"), params, artifacts));
        assertEquals(List.of("/script has 2 words, fewer than the minimum of 3", "/script has no section 'OUTRO' (a line starting with it)"),
                text.validate(json("{\"script\":\"INTRO\\nhi\"}"), params, artifacts));
        assertEquals(List.of("/script has 12 words, more than the maximum of 6",
                        "/script has 59 characters, more than the maximum of 40"),
                text.validate(json("{\"script\":\"INTRO one two three four five six seven\\nOUTRO and more text\"}"), params, artifacts));
        assertEquals(List.of("the output has no value at /script"), text.validate(json("{}"), params, artifacts));
        assertEquals(List.of("/script: it is neither a string nor an artifact reference"),
                text.validate(json("{\"script\":42}"), params, artifacts));
    }

    @Test
    void textReadsATextArtifact() {
        FileArtifactStore artifacts = FileArtifactStore.at(root);
        ArtifactRef ref = artifacts.put("INTRO\nfour words right here".getBytes(StandardCharsets.UTF_8), "text/plain");
        JsonNode output = JSON.createObjectNode().set("script", ref.toJson());
        assertEquals(List.of(), new TextValidator().validate(output, json("{\"path\":\"/script\",\"min_words\":5}"), artifacts));
        assertEquals(List.of("/script has 5 words, more than the maximum of 2"),
                new TextValidator().validate(output, json("{\"path\":\"/script\",\"max_words\":2}"), artifacts));
    }

    @Test
    void audioChecksFormatByHeaderSampleRateAndDuration() throws Exception {
        FileArtifactStore artifacts = FileArtifactStore.at(root);
        ArtifactRef wav = artifacts.put(wav(16_000, 1_500), "audio/wav");
        JsonNode output = JSON.createObjectNode().set("audio", wav.toJson());
        AudioValidator audio = new AudioValidator();

        assertEquals(List.of(), audio.validate(output,
                json("{\"path\":\"/audio\",\"format\":\"wav\",\"sample_rate\":16000,\"min_duration_ms\":1000,\"max_duration_ms\":2000}"),
                artifacts));
        assertEquals(List.of("/audio has a sample rate of 16000 Hz, not 24000 Hz",
                        "/audio lasts 1500 ms, less than the minimum of 2000 ms"),
                audio.validate(output, json("{\"path\":\"/audio\",\"format\":\"wav\",\"sample_rate\":24000,\"min_duration_ms\":2000}"),
                        artifacts));
        assertEquals(List.of("/audio lasts 1500 ms, more than the maximum of 1000 ms"),
                audio.validate(output, json("{\"path\":\"/audio\",\"max_duration_ms\":1000}"), artifacts));
    }

    @Test
    void aWavThatIsNotAWavIsRefused() throws Exception {
        FileArtifactStore artifacts = FileArtifactStore.at(root);
        ArtifactRef fake = artifacts.put("this is text pretending to be audio".getBytes(StandardCharsets.UTF_8), "audio/wav");
        JsonNode output = JSON.createObjectNode().set("audio", fake.toJson());
        assertEquals(List.of("/audio is not WAV audio: its header is of no audio format known here"),
                new AudioValidator().validate(output, json("{\"path\":\"/audio\",\"format\":\"wav\"}"), artifacts));
        assertEquals(List.of("/audio is not audio: its header is neither WAV nor MP3"),
                new AudioValidator().validate(output, json("{\"path\":\"/audio\"}"), artifacts));

        byte[] mp3 = {'I', 'D', '3', 4, 0, 0, 0, 0, 0, 0};
        ArtifactRef mp3Ref = artifacts.put(mp3, "audio/wav");
        assertEquals(List.of("/audio is not WAV audio: its header says MP3"), new AudioValidator()
                .validate(JSON.createObjectNode().set("audio", mp3Ref.toJson()), json("{\"path\":\"/audio\",\"format\":\"wav\"}"), artifacts));

        byte[] brokenWav = wav(16_000, 100);
        brokenWav = java.util.Arrays.copyOf(brokenWav, 20); // a RIFF/WAVE header with nothing after it
        ArtifactRef broken = artifacts.put(brokenWav, "audio/wav");
        List<String> problems = new AudioValidator().validate(JSON.createObjectNode().set("audio", broken.toJson()),
                json("{\"path\":\"/audio\",\"format\":\"wav\"}"), artifacts);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("/audio has a WAV header but cannot be read as WAV"), problems.get(0));
    }

    @Test
    void audioOfAMissingOrCorruptArtifactIsAProblemNotACrash() throws Exception {
        FileArtifactStore artifacts = FileArtifactStore.at(root);
        ArtifactRef wav = artifacts.put(wav(8_000, 200), "audio/wav");
        Files.write(artifacts.pathOf(wav), new byte[(int) wav.bytes()]);
        List<String> problems = new AudioValidator().validate(JSON.createObjectNode().set("audio", wav.toJson()),
                json("{\"path\":\"/audio\"}"), artifacts);
        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("is corrupt"), problems.get(0));
    }

    @Test
    void jsonSchemaListsEveryViolation() {
        JsonNode params = json("{\"schema\":{\"type\":\"object\",\"required\":[\"title\",\"words\"],"
                + "\"properties\":{\"words\":{\"type\":\"integer\",\"minimum\":1}}}}");
        SchemaValidator schema = new SchemaValidator(new dev.stepwise.engine.core.internal.SchemaCache());
        assertEquals(List.of(), schema.validate(json("{\"title\":\"t\",\"words\":3}"), params, FileArtifactStore.at(root)));
        List<String> problems = schema.validate(json("{\"words\":0}"), params, FileArtifactStore.at(root));
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.contains("title")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("$.words")), problems.toString());
    }
}
