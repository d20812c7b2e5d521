package dev.stepwise.engine.anthropic.internal;

import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Redactor;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * A provider document of type {@code anthropic}:
 * {@code {"type": "anthropic", "api_key": {"secret": "env:ANTHROPIC_API_KEY"}, "base_url": ..., "timeout_ms": ...}},
 * read after the engine resolved its secret reference.
 *
 * @param key     the API key, inside a redactor
 * @param baseUrl the API's base URL
 * @param timeout the whole request's timeout (also its read timeout)
 */
public record ClaudeProvider(Redactor key, String baseUrl, Duration timeout) {
    /** The provider type this step accepts. */
    public static final String TYPE = "anthropic";
    /** Base URL when the document names none. */
    public static final String DEFAULT_BASE_URL = "https://api.anthropic.com";
    /** Request timeout when the document names none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /** Validates the fields. */
    public ClaudeProvider {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(baseUrl, "baseUrl");
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive, was " + timeout);
        }
    }

    /**
     * @param name the provider's key in the config store, for messages
     * @param doc  its value, secrets resolved
     * @return the settings
     * @throws PermanentStepException if a field is missing or invalid (the message names it, never the key)
     */
    public static ClaudeProvider from(String name, JsonNode doc) {
        String where = "provider '" + name + "'";
        if (doc == null || !doc.isObject()) {
            throw new PermanentStepException(where + " must be a JSON object");
        }
        String type = doc.path("type").asString("");
        if (!TYPE.equals(type)) {
            throw new PermanentStepException(where + " has type '" + type + "'; this step needs type '" + TYPE + "'");
        }
        JsonNode key = doc.get("api_key");
        if (key == null || !key.isString() || key.asString().isBlank()) {
            throw new PermanentStepException(where + " needs 'api_key' as a secret reference, e.g. "
                    + "{\"api_key\": {\"secret\": \"env:ANTHROPIC_API_KEY\"}}");
        }
        String baseUrl = DEFAULT_BASE_URL;
        if (doc.has("base_url")) {
            baseUrl = doc.get("base_url").asString("");
            try {
                URI uri = URI.create(baseUrl);
                if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
                        || uri.getHost() == null) {
                    throw new IllegalArgumentException("not an http(s) URL");
                }
            } catch (IllegalArgumentException e) {
                throw new PermanentStepException(where + ": 'base_url' must be an http(s) URL, was '" + baseUrl + "'");
            }
        }
        Duration timeout = DEFAULT_TIMEOUT;
        if (doc.has("timeout_ms")) {
            JsonNode t = doc.get("timeout_ms");
            if (!t.isIntegralNumber() || t.asLong() <= 0) {
                throw new PermanentStepException(where + ": 'timeout_ms' must be a positive integer, was " + t);
            }
            timeout = Duration.ofMillis(t.asLong());
        }
        return new ClaudeProvider(new Redactor(key.asString()), baseUrl, timeout);
    }
}
