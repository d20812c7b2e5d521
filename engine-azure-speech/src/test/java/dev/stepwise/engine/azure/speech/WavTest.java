package dev.stepwise.engine.azure.speech;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.azure.speech.internal.SentenceSplitter;
import dev.stepwise.engine.azure.speech.internal.Ssml;
import dev.stepwise.engine.azure.speech.internal.Wav;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Locale;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;

/** The pieces behind the step: WAV joining, sentence splitting, XML escaping. */
class WavTest {

    @Test
    void piecesOfOneFormatJoinIntoAWavThatJavaSoundReads() throws Exception {
        byte[] joined = Wav.join(List.of(Wav.parse(SpeechFixture.wav(100)), Wav.parse(SpeechFixture.wav(250))));
        try (AudioInputStream in = AudioSystem.getAudioInputStream(new ByteArrayInputStream(joined))) {
            assertEquals(350, in.getFrameLength());
        }
        assertEquals(joined.length - 8, ByteBuffer.wrap(joined, 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt(), "RIFF size rewritten");
    }

    @Test
    void piecesOfDifferentFormatsAreRefused() throws Exception {
        AudioFormat other = new AudioFormat(16_000f, 16, 1, true, false);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AudioSystem.write(new AudioInputStream(new ByteArrayInputStream(new byte[200]), other, 100), AudioFileFormat.Type.WAVE, out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Wav.join(List.of(Wav.parse(SpeechFixture.wav(100)), Wav.parse(out.toByteArray()))));
        assertEquals("WAV piece 2 has format PCM 16000 Hz 16-bit 1 channel(s), piece 1 has PCM 24000 Hz 16-bit 1 channel(s); "
                + "pieces of different formats cannot be joined", e.getMessage());
    }

    @Test
    void aStreamedWavWhoseDataSizeIsUnknownIsReadToItsEnd() {
        byte[] wav = SpeechFixture.wav(300);
        ByteBuffer.wrap(wav, 40, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(-1); // data size 0xFFFFFFFF, as a stream writes it
        assertEquals(600, Wav.parse(wav).dataBytes());
    }

    @Test
    void bytesThatAreNotWavAreRefusedWithAReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Wav.parse("<html/>".getBytes()));
        assertTrue(e.getMessage().startsWith("not a WAV file"), e.getMessage());
    }

    @Test
    void sentencesArePackedUnderTheLimitAndALongSentenceIsCutAtWhitespace() {
        assertEquals(List.of("One. Two.", "Three is longer."), SentenceSplitter.split("One. Two. Three is longer.", 16, Locale.US));
        assertEquals(List.of("aaaa bbbb", "cccc"), SentenceSplitter.split("aaaa bbbb cccc", 9, Locale.US));
        assertEquals(List.of("abcde", "fgh"), SentenceSplitter.split("abcdefgh", 5, Locale.US));
        assertEquals(List.of(), SentenceSplitter.split("  \n ", 5, Locale.US));
    }

    @Test
    void escapingCoversTheFiveXmlCharactersAndDropsForbiddenOnes() {
        assertEquals("&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos;", Ssml.escape("<a> & \"b\" 'c'"));
        assertEquals("ab\uD83C\uDF0A", Ssml.escape("a\u0000b\uD83C\uDF0A\uD800"));
    }
}
