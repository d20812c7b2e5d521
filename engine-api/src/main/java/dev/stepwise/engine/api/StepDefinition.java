package dev.stepwise.engine.api;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * One step of a {@link Recipe}: its key, the type name of its implementation, its params, an
 * optional timeout and an optional output schema.
 *
 * @param key          unique within the recipe: letters, digits, {@code - _ .}, 1-64 characters
 * @param type         the registered step type name
 * @param params       the step's params (a JSON object; empty when none)
 * @param timeout      how long one execution may take, or null for no limit
 * @param outputSchema a JSON Schema (draft 2020-12) the step's output must match, or null
 */
public record StepDefinition(String key, String type, JsonNode params, Duration timeout, JsonNode outputSchema) {

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /** Validates the definition and defaults {@code params} to an empty object. */
    public StepDefinition {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("step key '" + key + "' is invalid: use 1-64 letters, digits, '-', '_' or '.'");
        }
        if (type.isBlank()) {
            throw new IllegalArgumentException("step '" + key + "' has a blank type");
        }
        if (params == null || params.isNull()) {
            params = JsonNodeFactory.instance.objectNode();
        }
        if (!params.isObject()) {
            throw new IllegalArgumentException("params of step '" + key + "' must be a JSON object, was " + params.getNodeType());
        }
        if (timeout != null && (timeout.isZero() || timeout.isNegative())) {
            throw new IllegalArgumentException("timeout of step '" + key + "' must be positive, was " + timeout);
        }
        if (outputSchema != null && outputSchema.isNull()) {
            outputSchema = null;
        }
    }

    /**
     * A step without an output schema.
     *
     * @param key     step key
     * @param type    step type name
     * @param params  params (null for none)
     * @param timeout timeout, or null
     */
    public StepDefinition(String key, String type, JsonNode params, Duration timeout) {
        this(key, type, params, timeout, null);
    }
}
