package dev.stepwise.engine.azure.speech;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Redactor;
import dev.stepwise.engine.api.RetryableStepException;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import dev.stepwise.engine.azure.speech.internal.AzureErrors;
import dev.stepwise.engine.azure.speech.internal.AzureProvider;
import dev.stepwise.engine.azure.speech.internal.SentenceSplitter;
import dev.stepwise.engine.azure.speech.internal.Ssml;
import dev.stepwise.engine.azure.speech.internal.VoiceSettings;
import dev.stepwise.engine.azure.speech.internal.Wav;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Speaks a text with Azure's text-to-speech REST API (one POST of SSML per piece, over
 * {@code java.net.http}; no SDK, no native library) and stores the audio as one WAV artifact.
 *
 * <p>Its step {@code params} in the recipe:
 * <pre>{@code {"provider": "azure-speech", "voice": "narrator-en", "text_from": "script", "text_path": "/text"}}</pre>
 * <ul>
 *   <li><b>provider</b> (required): {@code {"type": "azure", "region": "westeurope", "key": {"secret":
 *       "env:AZURE_SPEECH_KEY"}}}, optionally {@code "endpoint"} (a full URL, for tests and proxies;
 *       default {@code https://{region}.tts.speech.microsoft.com/cognitiveservices/v1}),
 *       {@code "output_format"} (a {@code riff-*-pcm} format; default {@value #DEFAULT_OUTPUT_FORMAT}),
 *       {@code "timeout_ms"} (per request; default 30,000) and {@code "max_chars_per_request"} (default
 *       {@value #DEFAULT_MAX_CHARS_PER_REQUEST}, at most 7,000: the service refuses SSML over 64 KB and
 *       stops real-time audio at 10 minutes);</li>
 *   <li><b>voice</b> (required): {@code {"provider": "azure", "name": "en-US-JennyNeural", "language": "en-US",
 *       "style": "narration-professional", "prosody": {"rate": "+0%", "pitch": "+0Hz"}}};</li>
 *   <li><b>text_from</b>: the earlier step whose output holds the text (default: the last earlier step);
 *       <b>text_path</b>: a JSON pointer into it (default {@code /text}). The value is a string, or a text
 *       artifact reference read as UTF-8.</li>
 * </ul>
 *
 * <p>The text goes into SSML with {@code & < > " '} escaped. A text longer than
 * {@code max_chars_per_request} is split at sentence boundaries (a sentence that alone is too long at
 * whitespace) and each piece is a request; the WAV answers are joined into one WAV (RIFF and data sizes
 * rewritten; pieces of different formats are refused). Output:
 * {@code {"audio": {"artifact": "sha256:…", "media_type": "audio/wav", "bytes": N}, "duration_ms", "characters",
 * "voice", "format": "wav", "requests"}}.
 *
 * <p>Errors: 429, 408, 5xx, timeouts and connection errors throw {@link RetryableStepException} (with the
 * {@code Retry-After} wait when sent), so the step's retry policy decides; 400, 401, 403, 404, 415 and other
 * 4xx throw {@link PermanentStepException} with the service's message; an answer that is not WAV throws a
 * {@link RetryableStepException} saying so. A retry synthesizes every piece again. The key never appears
 * in a message, a log line or the output, even when the server echoes it.
 *
 * <p>Thread-safe; one {@link HttpClient} per instance.
 */
public final class AzureSpeechStep implements Step {
    /** A type name to register the step under, e.g. {@code builder.step(AzureSpeechStep.TYPE, new AzureSpeechStep())}. */
    public static final String TYPE = "azure-speech";
    /** The step param naming the provider entry. */
    public static final String PARAM_PROVIDER = "provider";
    /** The step param naming the voice entry. */
    public static final String PARAM_VOICE = "voice";
    /** The step param naming the earlier step that holds the text (default: the last earlier step). */
    public static final String PARAM_TEXT_FROM = "text_from";
    /** The step param with the JSON pointer to the text in that step's output (default {@value #DEFAULT_TEXT_PATH}). */
    public static final String PARAM_TEXT_PATH = "text_path";
    /** Where the text is in the earlier step's output when {@value #PARAM_TEXT_PATH} is not set. */
    public static final String DEFAULT_TEXT_PATH = "/text";
    /** Output format when the provider names none. */
    public static final String DEFAULT_OUTPUT_FORMAT = AzureProvider.DEFAULT_OUTPUT_FORMAT;
    /** Characters of text per request when the provider names none (see {@link AzureProvider#DEFAULT_MAX_CHARS_PER_REQUEST}). */
    public static final int DEFAULT_MAX_CHARS_PER_REQUEST = AzureProvider.DEFAULT_MAX_CHARS_PER_REQUEST;
    /** One request's timeout when the provider names none. */
    public static final Duration DEFAULT_TIMEOUT = AzureProvider.DEFAULT_TIMEOUT;
    /** The connect timeout of the HTTP client. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The {@code User-Agent} the service requires. */
    public static final String USER_AGENT = "stepwise-engine-azure-speech";
    /** The media type of the stored audio. */
    public static final String MEDIA_TYPE = "audio/wav";

    private static final Logger LOG = LoggerFactory.getLogger(AzureSpeechStep.class);
    private final HttpClient http;

    /** A step whose settings all come from the job's config snapshot. */
    public AzureSpeechStep() {
        this.http = HttpClient.newBuilder().connectTimeout(DEFAULT_CONNECT_TIMEOUT).version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public Object execute(StepContext ctx) throws InterruptedException {
        String providerKey = param(ctx, PARAM_PROVIDER);
        String voiceKey = param(ctx, PARAM_VOICE);
        AzureProvider provider = AzureProvider.from(providerKey, config(ctx, DocumentKind.PROVIDER, providerKey));
        VoiceSettings voice = VoiceSettings.from(voiceKey, voiceConfig(ctx, voiceKey));
        String text = text(ctx);
        List<String> pieces = SentenceSplitter.split(text, provider.maxCharsPerRequest(), voice.locale());
        if (pieces.isEmpty()) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "': the text to speak is blank");
        }
        ctx.log().info("speaking {} characters with {} in {} request(s) of at most {} characters", text.length(), voice.name(),
                pieces.size(), provider.maxCharsPerRequest());
        List<Wav> wavs = new ArrayList<>(pieces.size());
        for (int i = 0; i < pieces.size(); i++) {
            ctx.throwIfCancelled();
            wavs.add(synthesize(ctx, provider, voice, pieces.get(i), "request " + (i + 1) + " of " + pieces.size()));
        }
        byte[] wav;
        try {
            wav = Wav.join(wavs);
        } catch (IllegalArgumentException e) {
            throw new PermanentStepException("Azure Speech answered pieces that cannot be joined: " + e.getMessage(), e);
        }
        Wav joined = Wav.parse(wav);
        ArtifactRef ref = ctx.artifacts().put(wav, MEDIA_TYPE);
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("audio", ref.toJson());
        out.put("duration_ms", joined.durationMillis());
        out.put("characters", text.codePointCount(0, text.length()));
        out.put("voice", voice.name());
        out.put("format", "wav");
        out.put("requests", pieces.size());
        ctx.log().info("{} ms of audio ({}), {} bytes, stored as {}", joined.durationMillis(), joined.describe(), wav.length, ref.id());
        return out;
    }

    /**
     * The voice document named by the step's {@value #PARAM_VOICE} param, from the job's config snapshot.
     *
     * @param ctx the step's context
     * @param key the voice's key
     * @return its value
     */
    JsonNode voiceDocument(StepContext ctx, String key) {
        return ctx.config(DocumentKind.VOICE, key);
    }

    private JsonNode voiceConfig(StepContext ctx, String key) {
        try {
            return voiceDocument(ctx, key);
        } catch (IllegalArgumentException e) {
            throw new PermanentStepException(e.getMessage(), e);
        }
    }

    private Wav synthesize(StepContext ctx, AzureProvider provider, VoiceSettings voice, String piece, String which)
            throws InterruptedException {
        Redactor key = provider.key();
        HttpRequest request = HttpRequest.newBuilder(provider.endpoint())
                .timeout(provider.timeout())
                .header("Ocp-Apim-Subscription-Key", key.secret())
                .header("Content-Type", "application/ssml+xml")
                .header("X-Microsoft-OutputFormat", provider.outputFormat())
                .header("User-Agent", USER_AGENT)
                .POST(HttpRequest.BodyPublishers.ofString(Ssml.of(voice, piece), StandardCharsets.UTF_8))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            RuntimeException mapped = AzureErrors.transport(e, which, provider.timeout(), key);
            LOG.debug("job {} step {}: {}", ctx.jobId(), ctx.stepKey(), mapped.getMessage());
            throw mapped;
        }
        int status = response.statusCode();
        if (status / 100 != 2) {
            RuntimeException mapped = AzureErrors.status(status, response.headers().firstValue("Retry-After").orElse(null),
                    response.body(), which, key, ctx.clock());
            LOG.debug("job {} step {}: {}", ctx.jobId(), ctx.stepKey(), mapped.getMessage());
            throw mapped;
        }
        try {
            Wav wav = Wav.parse(response.body());
            ctx.log().debug("{}: {} characters, {} ms of audio", which, piece.length(), wav.durationMillis());
            return wav;
        } catch (IllegalArgumentException e) {
            throw new RetryableStepException("Azure Speech's answer could not be read (" + which + ", "
                    + response.headers().firstValue("Content-Type").map(key::redact).orElse("no Content-Type") + "): "
                    + key.redact(e.getMessage()), null);
        }
    }

    private static String text(StepContext ctx) {
        Map<String, JsonNode> outputs = ctx.outputs();
        String from;
        JsonNode fromParam = ctx.params().get(PARAM_TEXT_FROM);
        if (fromParam != null && fromParam.isString()) {
            from = fromParam.asString();
        } else if (!outputs.isEmpty()) {
            from = new ArrayList<>(outputs.keySet()).get(outputs.size() - 1);
        } else {
            throw new PermanentStepException("step '" + ctx.stepKey() + "' has no earlier step to take its text from; "
                    + "put it after the step that writes the text, or name it with '" + PARAM_TEXT_FROM + "'");
        }
        JsonNode output;
        try {
            output = ctx.output(from);
        } catch (IllegalArgumentException e) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "': " + e.getMessage(), e);
        }
        String path = ctx.params().path(PARAM_TEXT_PATH).asString(DEFAULT_TEXT_PATH);
        JsonNode value;
        try {
            value = output == null ? null : output.at(path);
        } catch (IllegalArgumentException e) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "': '" + PARAM_TEXT_PATH + "' must be a JSON pointer such as "
                    + DEFAULT_TEXT_PATH + ", was '" + path + "'", e);
        }
        Optional<ArtifactRef> artifact = ArtifactRef.fromJson(value);
        if (artifact.isPresent()) {
            return new String(ctx.artifacts().read(artifact.get()), StandardCharsets.UTF_8);
        }
        if (value == null || !value.isString()) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "': the output of step '" + from + "' has no text at "
                    + path + " (a string or a text artifact)");
        }
        return value.asString();
    }

    private static String param(StepContext ctx, String name) {
        JsonNode v = ctx.params().get(name);
        if (v == null || !v.isString() || v.asString().isBlank()) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "' needs the param '" + name
                    + "' naming a config entry: {\"provider\": \"<provider key>\", \"voice\": \"<voice key>\"}");
        }
        return v.asString();
    }

    private static JsonNode config(StepContext ctx, DocumentKind kind, String key) {
        try {
            return ctx.config(kind, key);
        } catch (IllegalArgumentException e) {
            throw new PermanentStepException(e.getMessage(), e);
        }
    }
}
