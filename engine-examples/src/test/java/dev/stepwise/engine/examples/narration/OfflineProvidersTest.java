package dev.stepwise.engine.examples.narration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.PermanentStepException;
import java.io.ByteArrayInputStream;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The offline providers' pure parts: the writer's text, the template, the tone track. */
class OfflineProvidersTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void theOfflineWriterIsDeterministicAndWritesExactlyTheWordsAsked() {
        String a = OfflineScriptWriter.write("tides", "Write 50 words about tides.", 50);
        assertEquals(a, OfflineScriptWriter.write("tides", "Write 50 words about tides.", 50), "same input, same text");
        assertEquals(50, Narration.countWords(a));
        assertTrue(a.endsWith("."), a);
        assertNotEquals(a, OfflineScriptWriter.write("tides", "Write 50 calm words about tides.", 50),
                "another prompt orders the sentences differently");
        assertEquals(400, Narration.countWords(OfflineScriptWriter.write("a much longer topic name", "p", 400)));
    }

    @Test
    void theToneTrackIsAValidWavWhoseLengthFollowsTheWords() throws Exception {
        byte[] wav = Wav.pcm16Mono(ToneSpeech.tones(5, 400, 8_000), 8_000);
        try (AudioInputStream in = AudioSystem.getAudioInputStream(new ByteArrayInputStream(wav))) {
            assertEquals(8_000f, in.getFormat().getSampleRate());
            assertEquals(16_000, in.getFrameLength());
            assertEquals(2, in.getFormat().getFrameSize());
        }
        assertEquals(2_000, Wav.durationMs(wav, "t"));
        PermanentStepException notWav = assertThrows(PermanentStepException.class,
                () -> Wav.durationMs("RIFF....not audio".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "espeak-ng's output"));
        assertTrue(notWav.getMessage().startsWith("espeak-ng's output is not WAV audio"), notWav.getMessage());
    }

    @Test
    void aSwitchWithoutProvidersOrWithATypeTwiceIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ProviderSwitch.builder("speech").build());
        ProviderSwitch.Builder b = ProviderSwitch.builder("speech").provider("tone", new ToneSpeech());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> b.provider("tone", new ToneSpeech()));
        assertEquals("provider type 'tone' is already registered for speech", twice.getMessage());
        assertEquals("azure=1,espeak=1,tone=1", Narration.speechProviders().build().version());
    }
}
