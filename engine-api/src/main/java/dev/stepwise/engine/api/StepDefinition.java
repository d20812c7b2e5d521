package dev.stepwise.engine.api;

import java.time.Duration;
import java.util.List;
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
 * @param dependsOn    keys of the steps whose outputs it needs; in a recipe where no step has
 *                     any, steps run in order, each depending on all before it
 * @param retry        its automatic retry policy ({@link RetryPolicy#NONE} by default)
 */
public record StepDefinition(String key, String type, JsonNode params, Duration timeout, JsonNode outputSchema,
        List<String> dependsOn, RetryPolicy retry) {

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
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
        if (dependsOn.contains(key)) {
            throw new IllegalArgumentException("step '" + key + "' depends on itself");
        }
        if (retry == null) {
            retry = RetryPolicy.NONE;
        }
    }

    /**
     * A step with an output schema, no dependencies and no retry.
     *
     * @param key          step key
     * @param type         step type name
     * @param params       params (null for none)
     * @param timeout      timeout, or null
     * @param outputSchema output schema, or null
     */
    public StepDefinition(String key, String type, JsonNode params, Duration timeout, JsonNode outputSchema) {
        this(key, type, params, timeout, outputSchema, List.of(), RetryPolicy.NONE);
    }

    /** @param keys the steps this one depends on @return a copy with those dependencies */
    public StepDefinition withDependsOn(String... keys) {
        return new StepDefinition(key, type, params, timeout, outputSchema, List.of(keys), retry);
    }

    /** @param policy the retry policy @return a copy with it */
    public StepDefinition withRetry(RetryPolicy policy) {
        return new StepDefinition(key, type, params, timeout, outputSchema, dependsOn, policy);
    }

    /** @param limit the timeout of one execution @return a copy with it */
    public StepDefinition withTimeout(Duration limit) {
        return new StepDefinition(key, type, params, limit, outputSchema, dependsOn, retry);
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
        this(key, type, params, timeout, null, List.of(), RetryPolicy.NONE);
    }
}
