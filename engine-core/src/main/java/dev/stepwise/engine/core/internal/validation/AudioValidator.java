package dev.stepwise.engine.core.internal.validation;

import dev.stepwise.engine.api.ArtifactException;
import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.api.Validator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioSystem;
import javax.sound.sampled.UnsupportedAudioFileException;
import tools.jackson.databind.JsonNode;

/**
 * {@code "type": "audio"}: the value is an audio artifact whose bytes are the {@code format}
 * ({@code "wav"} or {@code "mp3"}, told by the file header, not the media type); for WAV, read with
 * {@code javax.sound.sampled}, the {@code sample_rate} (Hz) and a duration between
 * {@code min_duration_ms} and {@code max_duration_ms}.
 */
public final class AudioValidator implements Validator {
    @Override
    public List<String> validate(JsonNode output, JsonNode params, ArtifactStore artifacts) {
        String where = Targets.where(params);
        Targets.Target target = Targets.at(output, params);
        if (target instanceof Targets.Target.Missing m) {
            return List.of(m.problem());
        }
        Optional<ArtifactRef> ref = ArtifactRef.fromJson(((Targets.Target.Found) target).value());
        if (ref.isEmpty()) {
            return List.of(where + " is not an artifact reference");
        }
        byte[] bytes;
        try {
            bytes = artifacts.read(ref.get());
        } catch (ArtifactException e) {
            return List.of(where + ": " + e.getMessage());
        }
        String format = sniff(bytes);
        String wanted = params.path("format").asString("").toLowerCase(Locale.ROOT);
        List<String> problems = new ArrayList<>();
        if (!wanted.isEmpty() && !wanted.equals(format)) {
            problems.add(where + " is not " + wanted.toUpperCase(Locale.ROOT) + " audio: its header "
                    + (format.equals("unknown") ? "is of no audio format known here" : "says " + format.toUpperCase(Locale.ROOT)));
            return problems;
        }
        if (!format.equals("wav")) {
            if (format.equals("unknown")) {
                problems.add(where + " is not audio: its header is neither WAV nor MP3");
            }
            return problems; // duration and rate are read for WAV only
        }
        AudioFileFormat wav;
        try {
            wav = AudioSystem.getAudioFileFormat(new ByteArrayInputStream(bytes));
        } catch (UnsupportedAudioFileException | IOException e) {
            problems.add(where + " has a WAV header but cannot be read as WAV: " + e.getMessage());
            return problems;
        }
        float rate = wav.getFormat().getSampleRate();
        if (params.has("sample_rate") && Math.round(rate) != params.get("sample_rate").asInt()) {
            problems.add(where + " has a sample rate of " + Math.round(rate) + " Hz, not " + params.get("sample_rate").asInt() + " Hz");
        }
        long frames = wav.getFrameLength();
        long ms = frames < 0 || rate <= 0 ? -1 : Math.round(frames * 1000.0 / rate);
        if (params.has("min_duration_ms") && ms < params.get("min_duration_ms").asLong()) {
            problems.add(where + " lasts " + ms + " ms, less than the minimum of " + params.get("min_duration_ms").asLong() + " ms");
        }
        if (params.has("max_duration_ms") && ms > params.get("max_duration_ms").asLong()) {
            problems.add(where + " lasts " + ms + " ms, more than the maximum of " + params.get("max_duration_ms").asLong() + " ms");
        }
        return problems;
    }

    /** @return "wav", "mp3" or "unknown", from the first bytes */
    static String sniff(byte[] b) {
        if (b.length >= 12 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'A'
                && b[10] == 'V' && b[11] == 'E') {
            return "wav";
        }
        if (b.length >= 3 && b[0] == 'I' && b[1] == 'D' && b[2] == '3') {
            return "mp3";
        }
        if (b.length >= 2 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xE0) == 0xE0) {
            return "mp3"; // an MPEG audio frame sync
        }
        return "unknown";
    }
}
