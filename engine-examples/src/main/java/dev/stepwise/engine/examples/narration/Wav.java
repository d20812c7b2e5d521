package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.PermanentStepException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;

/** 16-bit PCM mono WAV files: writing one from samples, and reading a file's duration. */
final class Wav {
    /** The media type the speech steps store WAV artifacts under. */
    static final String MEDIA_TYPE = "audio/wav";

    private Wav() {
    }

    /**
     * @param samples    16-bit signed samples
     * @param sampleRate samples per second
     * @return a complete RIFF/WAVE file (44-byte header, little-endian PCM)
     */
    static byte[] pcm16Mono(short[] samples, int sampleRate) {
        int dataBytes = samples.length * 2;
        ByteBuffer b = ByteBuffer.allocate(44 + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {'R', 'I', 'F', 'F'}).putInt(36 + dataBytes).put(new byte[] {'W', 'A', 'V', 'E'});
        b.put(new byte[] {'f', 'm', 't', ' '}).putInt(16).putShort((short) 1).putShort((short) 1)
                .putInt(sampleRate).putInt(sampleRate * 2).putShort((short) 2).putShort((short) 16);
        b.put(new byte[] {'d', 'a', 't', 'a'}).putInt(dataBytes);
        for (short s : samples) {
            b.putShort(s);
        }
        return b.array();
    }

    /**
     * @param wav  a WAV file
     * @param what names it in the error
     * @return its duration in milliseconds, read with {@code javax.sound.sampled}
     * @throws PermanentStepException if the bytes are not WAV audio
     */
    static long durationMs(byte[] wav, String what) {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(new ByteArrayInputStream(wav))) {
            AudioFormat f = in.getFormat();
            long frames = in.getFrameLength();
            if (frames == AudioSystem.NOT_SPECIFIED) {
                frames = (wav.length - 44L) / Math.max(1, f.getFrameSize());
            }
            return Math.round(frames * 1000.0 / f.getFrameRate());
        } catch (UnsupportedAudioFileException | IOException e) {
            throw new PermanentStepException(what + " is not WAV audio: " + e.getMessage(), e);
        }
    }
}
