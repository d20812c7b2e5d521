package dev.stepwise.engine.azure.speech.internal;

import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Redactor;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * A provider document of type {@code azure}: {@code {"type": "azure", "region": "westeurope",
 * "key": {"secret": "env:AZURE_SPEECH_KEY"}, "endpoint": ..., "output_format": ..., "timeout_ms": ...,
 * "max_chars_per_request": ...}}, read after the engine resolved its secret reference.
 *
 * @param key                the subscription key, inside a redactor
 * @param endpoint           the synthesis URL
 * @param outputFormat       the {@code X-Microsoft-OutputFormat}, a {@code riff-*} (WAV) format
 * @param timeout            one request's timeout
 * @param maxCharsPerRequest the most characters of text one request carries
 */
public record AzureProvider(Redactor key, URI endpoint, String outputFormat, Duration timeout, int maxCharsPerRequest) {
    /** The provider type this step accepts. */
    public static final String TYPE = "azure";
    /** Output format when the document names none: WAV, 24 kHz, 16-bit, mono. */
    public static final String DEFAULT_OUTPUT_FORMAT = "riff-24khz-16bit-mono-pcm";
    /** One request's timeout when the document names none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Characters of text per request when the document names none: 3,000. The service refuses an SSML
     * body over 64 KB and stops real-time audio at 10 minutes; 3,000 characters is about 3 to 4
     * minutes of speech and, even if every character were escaped, far under 64 KB with the markup.
     */
    public static final int DEFAULT_MAX_CHARS_PER_REQUEST = 3000;
    /** The largest {@code max_chars_per_request} accepted (keeps a request's audio under 10 minutes). */
    public static final int MAX_CHARS_PER_REQUEST_LIMIT = 7000;
    private static final Pattern REGION = Pattern.compile("[a-z0-9]+");

    /** Validates the fields. */
    public AzureProvider {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(outputFormat, "outputFormat");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
        if (maxCharsPerRequest < 1 || maxCharsPerRequest > MAX_CHARS_PER_REQUEST_LIMIT) {
            throw new IllegalArgumentException("maxCharsPerRequest must be 1 to " + MAX_CHARS_PER_REQUEST_LIMIT + ", was " + maxCharsPerRequest);
        }
    }

    /**
     * @param region an Azure region, e.g. {@code westeurope}
     * @return {@code https://{region}.tts.speech.microsoft.com/cognitiveservices/v1}
     */
    public static URI endpointOf(String region) {
        return URI.create("https://" + region + ".tts.speech.microsoft.com/cognitiveservices/v1");
    }

    /**
     * @param name the provider's key in the config store, for messages
     * @param doc  its value, secrets resolved
     * @return the settings
     * @throws PermanentStepException if a field is missing or invalid (the message names it, never the key)
     */
    public static AzureProvider from(String name, JsonNode doc) {
        String where = "provider '" + name + "'";
        if (doc == null || !doc.isObject()) {
            throw new PermanentStepException(where + " must be a JSON object");
        }
        String type = doc.path("type").asString("");
        if (!TYPE.equals(type)) {
            throw new PermanentStepException(where + " has type '" + type + "'; this step needs type '" + TYPE + "'");
        }
        JsonNode key = doc.get("key");
        if (key == null || !key.isString() || key.asString().isBlank()) {
            throw new PermanentStepException(where + " needs 'key' as a secret reference, e.g. {\"key\": {\"secret\": \"env:AZURE_SPEECH_KEY\"}}");
        }
        URI endpoint;
        if (doc.hasNonNull("endpoint")) {
            String e = doc.get("endpoint").asString("");
            try {
                endpoint = URI.create(e);
                if (endpoint.getScheme() == null || !(endpoint.getScheme().equals("http") || endpoint.getScheme().equals("https"))
                        || endpoint.getHost() == null) {
                    throw new IllegalArgumentException("not an http(s) URL");
                }
            } catch (IllegalArgumentException bad) {
                throw new PermanentStepException(where + ": 'endpoint' must be an http(s) URL, was '" + e + "'");
            }
        } else {
            String region = doc.path("region").asString("");
            if (!REGION.matcher(region).matches()) {
                throw new PermanentStepException(where + " needs a 'region' such as \"westeurope\" (or a full 'endpoint' URL), was '"
                        + region + "'");
            }
            endpoint = endpointOf(region);
        }
        String format = DEFAULT_OUTPUT_FORMAT;
        if (doc.hasNonNull("output_format")) {
            format = doc.get("output_format").asString("");
            if (!format.startsWith("riff-") || !format.endsWith("-pcm")) {
                throw new PermanentStepException(where + ": 'output_format' must be a riff-*-pcm (WAV) format such as "
                        + DEFAULT_OUTPUT_FORMAT + ", was '" + format + "' (pieces of a long text are joined as WAV)");
            }
        }
        Duration timeout = DEFAULT_TIMEOUT;
        if (doc.hasNonNull("timeout_ms")) {
            JsonNode t = doc.get("timeout_ms");
            if (!t.isIntegralNumber() || t.asLong() <= 0) {
                throw new PermanentStepException(where + ": 'timeout_ms' must be a positive integer, was " + t);
            }
            timeout = Duration.ofMillis(t.asLong());
        }
        int maxChars = DEFAULT_MAX_CHARS_PER_REQUEST;
        if (doc.hasNonNull("max_chars_per_request")) {
            JsonNode m = doc.get("max_chars_per_request");
            if (!m.isIntegralNumber() || m.asLong() < 1 || m.asLong() > MAX_CHARS_PER_REQUEST_LIMIT) {
                throw new PermanentStepException(where + ": 'max_chars_per_request' must be an integer from 1 to "
                        + MAX_CHARS_PER_REQUEST_LIMIT + ", was " + m);
            }
            maxChars = m.asInt();
        }
        return new AzureProvider(new Redactor(key.asString()), endpoint, format, timeout, maxChars);
    }
}
