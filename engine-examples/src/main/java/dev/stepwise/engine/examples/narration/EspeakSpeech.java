package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.RetryableStepException;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real local voice (provider {@code {"type": "espeak"}}, optional {@code "program"} default
 * {@value #DEFAULT_PROGRAM} and {@code "timeout_ms"} default {@value #DEFAULT_TIMEOUT_MS}): runs
 * {@code espeak-ng -w <temporary file> -v <voice> --stdin} with the script on its standard input,
 * and stores the WAV it writes as an artifact. The voice is the voice document's {@code name} when
 * the voice is an espeak voice ({@code "provider": "espeak"}), else its {@code language} (so a
 * voice written for Azure, {@code en-US}, speaks as espeak's {@code en-us}). A prosody {@code rate}
 * in percent ({@code "+10%"}) or a named rate ({@code slow}, {@code fast}, ...) sets espeak's
 * speed; a {@code pitch} in percent its pitch; other forms are left to the service that knows them.
 *
 * <p>Failures: a program that is not installed or exits non-zero fails permanently with its
 * standard error in the message; a run past the timeout is killed and is retryable.
 */
public final class EspeakSpeech implements Step {
    /** The program run unless the provider names another. */
    public static final String DEFAULT_PROGRAM = "espeak-ng";
    /** How long espeak may run. */
    public static final long DEFAULT_TIMEOUT_MS = 120_000;
    /** espeak-ng's default speed, words per minute. */
    static final int BASE_WPM = 175;
    /** espeak-ng's default pitch (0-99). */
    static final int BASE_PITCH = 50;
    private static final Pattern PERCENT = Pattern.compile("([+-]?\\d+(?:\\.\\d+)?)%");
    private static final int STDERR_LIMIT = 2_000;

    @Override
    public Object execute(StepContext ctx) throws Exception {
        SpeechRequest req = SpeechRequest.of(ctx);
        String what = "provider '" + req.providerKey() + "'";
        String program = req.provider().path("program").asString(DEFAULT_PROGRAM);
        long timeoutMs = NarrationConfig.nonNegative(req.provider(), "timeout_ms", DEFAULT_TIMEOUT_MS, what);
        String voice = "espeak".equals(req.voice().path("provider").asString(""))
                ? req.voice().path("name").asString(req.language())
                : req.language();
        List<String> command = new ArrayList<>(List.of(program, "-v", voice));
        rate(req).ifPresent(wpm -> command.addAll(List.of("-s", Integer.toString(wpm))));
        pitch(req).ifPresent(p -> command.addAll(List.of("-p", Integer.toString(p))));
        Path wavFile = Files.createTempFile("stepwise-espeak-", ".wav");
        Path errFile = Files.createTempFile("stepwise-espeak-", ".err");
        try {
            command.addAll(List.of("-w", wavFile.toString(), "--stdin"));
            run(command, req.text(), errFile, timeoutMs, program);
            byte[] wav = Files.readAllBytes(wavFile);
            long durationMs = Wav.durationMs(wav, program + "'s output");
            ArtifactRef audio = ctx.artifacts().put(wav, Wav.MEDIA_TYPE);
            ctx.log().info("{} voice {}: {} ms, {} bytes", program, voice, durationMs, wav.length);
            return req.output(audio, durationMs, voice, 1);
        } finally {
            Files.deleteIfExists(wavFile);
            Files.deleteIfExists(errFile);
        }
    }

    private static void run(List<String> command, String text, Path errFile, long timeoutMs, String program)
            throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(errFile.toFile()).start();
        } catch (IOException e) {
            throw new PermanentStepException("cannot run " + program + " (" + e.getMessage() + "); install espeak-ng, or set "
                    + "the speech provider to {\"type\": \"tone\"}", e);
        }
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // it exited before reading all of its input: its exit code and stderr say why
            }
            if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                throw new RetryableStepException(program + " did not finish within " + timeoutMs + " ms; it was killed", null);
            }
            if (p.exitValue() != 0) {
                throw new PermanentStepException(program + " exited with " + p.exitValue() + ": " + stderr(errFile));
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    private static String stderr(Path errFile) throws IOException {
        String s = Files.readString(errFile, StandardCharsets.UTF_8).strip().replaceAll("\\s*\\R\\s*", " ");
        return s.isEmpty() ? "(nothing on stderr)" : s.length() > STDERR_LIMIT ? s.substring(0, STDERR_LIMIT) + "..." : s;
    }

    /** @return espeak's speed for the voice's prosody rate, if it has one espeak can follow */
    static java.util.Optional<Integer> rate(SpeechRequest req) {
        String rate = req.voice().path("prosody").path("rate").asString("").strip().toLowerCase(Locale.ROOT);
        double factor = switch (rate) {
            case "x-slow" -> 0.5;
            case "slow" -> 0.75;
            case "medium", "default", "" -> 1.0;
            case "fast" -> 1.25;
            case "x-fast" -> 1.5;
            default -> percent(rate);
        };
        return factor == 1.0 ? java.util.Optional.empty()
                : java.util.Optional.of((int) Math.max(80, Math.min(450, Math.round(BASE_WPM * factor))));
    }

    /** @return espeak's pitch for a voice pitch in percent ({@code "+10%"}), if it has one */
    static java.util.Optional<Integer> pitch(SpeechRequest req) {
        String pitch = req.voice().path("prosody").path("pitch").asString("").strip();
        Matcher m = PERCENT.matcher(pitch);
        if (!m.matches()) {
            return java.util.Optional.empty();
        }
        double factor = 1 + Double.parseDouble(m.group(1)) / 100;
        return factor == 1.0 ? java.util.Optional.empty()
                : java.util.Optional.of((int) Math.max(0, Math.min(99, Math.round(BASE_PITCH * factor))));
    }

    private static double percent(String rate) {
        Matcher m = PERCENT.matcher(rate);
        return m.matches() ? Math.max(0.1, 1 + Double.parseDouble(m.group(1)) / 100) : 1.0;
    }
}
