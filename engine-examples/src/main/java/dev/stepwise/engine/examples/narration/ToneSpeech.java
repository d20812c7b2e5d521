package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;

/**
 * The offline speech step (provider {@code {"type": "tone"}}): a valid 16-bit PCM mono WAV with
 * one short tone per word of the script, so its length follows the word count
 * ({@value #DEFAULT_MS_PER_WORD} ms per word at {@value #DEFAULT_SAMPLE_RATE} Hz unless the
 * provider sets {@code ms_per_word} or {@code sample_rate}). The WAV is stored as an artifact;
 * the output has the shape of every speech step (see {@link SpeechRequest#output}).
 */
public final class ToneSpeech implements Step {
    /** Milliseconds of audio per word of the script: roughly a narrator's 150 words a minute. */
    public static final int DEFAULT_MS_PER_WORD = 400;
    /** Samples per second. */
    public static final int DEFAULT_SAMPLE_RATE = 16_000;

    @Override
    public Object execute(StepContext ctx) {
        SpeechRequest req = SpeechRequest.of(ctx);
        String what = "provider '" + req.providerKey() + "'";
        long msPerWord = NarrationConfig.nonNegative(req.provider(), "ms_per_word", DEFAULT_MS_PER_WORD, what);
        long rate = NarrationConfig.nonNegative(req.provider(), "sample_rate", DEFAULT_SAMPLE_RATE, what);
        if (msPerWord < 50 || msPerWord > 5_000 || rate < 4_000 || rate > 96_000) {
            throw new PermanentStepException(what + ": ms_per_word must be 50-5000 and sample_rate 4000-96000, were "
                    + msPerWord + " and " + rate);
        }
        int words = Narration.countWords(req.text());
        byte[] wav = Wav.pcm16Mono(tones(words, (int) msPerWord, (int) rate), (int) rate);
        ArtifactRef audio = ctx.artifacts().put(wav, Wav.MEDIA_TYPE);
        long durationMs = Wav.durationMs(wav, "the tone track");
        String voiceName = req.voice().path("name").asString(req.voiceKey());
        ctx.log().info("tone track: {} words, {} ms, {} bytes", words, durationMs, wav.length);
        return req.output(audio, durationMs, voiceName, 1);
    }

    /** Per word: a tone for 3/4 of its time (pitch stepping through a small scale), then silence. */
    static short[] tones(int words, int msPerWord, int rate) {
        int perWord = (int) ((long) rate * msPerWord / 1000);
        int sounding = perWord * 3 / 4;
        int fade = Math.max(1, rate / 200);
        short[] out = new short[words * perWord];
        double[] scale = {330.0, 370.0, 415.0, 440.0, 494.0};
        for (int w = 0; w < words; w++) {
            double hz = scale[w % scale.length];
            for (int i = 0; i < sounding; i++) {
                double envelope = Math.min(1.0, Math.min(i, sounding - 1 - i) / (double) fade);
                out[w * perWord + i] = (short) (Math.sin(2 * Math.PI * hz * i / rate) * 0.3 * Short.MAX_VALUE * envelope);
            }
        }
        return out;
    }
}
