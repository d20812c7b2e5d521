package dev.stepwise.engine.anthropic.internal;

import dev.stepwise.engine.api.PermanentStepException;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import tools.jackson.databind.JsonNode;

/**
 * A script preset: {@code {"model": "...", "max_tokens": 1024, "temperature": 0.7, "system": "..."}}.
 *
 * @param model       the model id (required)
 * @param maxTokens   the most tokens the answer may have, >= 1 (default {@value #DEFAULT_MAX_TOKENS})
 * @param temperature 0 to 1, or empty for the API's default
 * @param system      the system prompt, or empty
 */
public record ClaudePreset(String model, long maxTokens, OptionalDouble temperature, Optional<String> system) {
    /** {@code max_tokens} when the preset names none. */
    public static final long DEFAULT_MAX_TOKENS = 1024;

    /** Validates the fields. */
    public ClaudePreset {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(temperature, "temperature");
        Objects.requireNonNull(system, "system");
        if (model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be >= 1, was " + maxTokens);
        }
        if (temperature.isPresent() && (temperature.getAsDouble() < 0 || temperature.getAsDouble() > 1)) {
            throw new IllegalArgumentException("temperature must be between 0 and 1, was " + temperature.getAsDouble());
        }
    }

    /**
     * @param name the preset's key, for messages
     * @param doc  its value
     * @return the preset
     * @throws PermanentStepException if a field is missing or invalid
     */
    public static ClaudePreset from(String name, JsonNode doc) {
        String where = "preset '" + name + "'";
        if (doc == null || !doc.isObject()) {
            throw new PermanentStepException(where + " must be a JSON object");
        }
        if (!doc.path("model").isString() || doc.get("model").asString().isBlank()) {
            throw new PermanentStepException(where + " needs a string 'model', e.g. {\"model\": \"claude-sonnet-4-5\"}");
        }
        long maxTokens = DEFAULT_MAX_TOKENS;
        if (doc.has("max_tokens")) {
            JsonNode m = doc.get("max_tokens");
            if (!m.isIntegralNumber() || m.asLong() < 1) {
                throw new PermanentStepException(where + ": 'max_tokens' must be an integer >= 1, was " + m);
            }
            maxTokens = m.asLong();
        }
        OptionalDouble temperature = OptionalDouble.empty();
        if (doc.has("temperature") && !doc.get("temperature").isNull()) {
            JsonNode t = doc.get("temperature");
            if (!t.isNumber() || t.asDouble() < 0 || t.asDouble() > 1) {
                throw new PermanentStepException(where + ": 'temperature' must be a number from 0 to 1, was " + t);
            }
            temperature = OptionalDouble.of(t.asDouble());
        }
        Optional<String> system = Optional.empty();
        if (doc.has("system") && !doc.get("system").isNull()) {
            if (!doc.get("system").isString()) {
                throw new PermanentStepException(where + ": 'system' must be a string");
            }
            system = Optional.of(doc.get("system").asString()).filter(s -> !s.isBlank());
        }
        return new ClaudePreset(doc.get("model").asString(), maxTokens, temperature, system);
    }
}
