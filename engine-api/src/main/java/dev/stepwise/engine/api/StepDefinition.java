package dev.stepwise.engine.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * One step of a {@link Recipe}: its key, the type name of its implementation, its params, its
 * timeout, an optional output schema, its dependencies and its retry policy. Build one with
 * {@link #builder(String, String)}; every setting but the key and type has a default.
 *
 * <pre>{@code
 * StepDefinition call = StepDefinition.builder("call", "call-provider")
 *     .params(params)
 *     .timeout(Duration.ofSeconds(30))
 *     .dependsOn("script")
 *     .retry(RetryPolicy.builder().maxAttempts(5).build())
 *     .build();
 * }</pre>
 *
 * @param key          unique within the recipe: letters, digits, {@code - _ .}, 1-64 characters
 * @param type         the registered step type name
 * @param params       the step's params (a JSON object; null reads as an empty one)
 * @param timeout      how long one execution may take ({@link StepTimeout#NONE} for no limit)
 * @param outputSchema a JSON Schema (draft 2020-12) the step's output must match, or null
 * @param dependsOn    keys of the steps whose outputs it needs; in a recipe where no step has
 *                     any, steps run in order, each depending on all before it
 * @param retry        its automatic retry policy ({@link RetryPolicy#NONE} for one attempt)
 * @param validators   what its output must pass before it counts as succeeded (besides {@code outputSchema})
 * @param cache        whether an identical earlier execution of this step (same type, same input hash) in any
 *                     job is reused instead of executing (default false)
 */
public record StepDefinition(String key, String type, JsonNode params, StepTimeout timeout, JsonNode outputSchema,
        List<String> dependsOn, RetryPolicy retry, List<ValidatorSpec> validators, boolean cache) {

    private static final Pattern KEY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /**
     * Validates the definition and defaults {@code params} to an empty object and
     * {@code dependsOn} to none.
     *
     * @throws IllegalArgumentException if the key, type or params are invalid, or the step
     *                                  depends on itself
     * @throws NullPointerException     if key, type, timeout or retry is null
     */
    public StepDefinition {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(timeout, "timeout (use StepTimeout.NONE for no limit)");
        Objects.requireNonNull(retry, "retry (use RetryPolicy.NONE for one attempt)");
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
        if (outputSchema != null && outputSchema.isNull()) {
            outputSchema = null;
        }
        dependsOn = dependsOn == null ? List.of() : List.copyOf(dependsOn);
        validators = validators == null ? List.of() : List.copyOf(validators);
        if (dependsOn.contains(key)) {
            throw new IllegalArgumentException("step '" + key + "' depends on itself");
        }
    }

    /**
     * @param key  the step key
     * @param type the registered step type name
     * @return a builder for that step: no params, no timeout, no output schema, no
     *         dependencies, {@link RetryPolicy#NONE}
     */
    public static Builder builder(String key, String type) {
        return new Builder(key, type);
    }

    /**
     * @param key  the step key
     * @param type the registered step type name
     * @return a step with every default (see {@link #builder(String, String)})
     */
    public static StepDefinition of(String key, String type) {
        return builder(key, type).build();
    }

    /** @return a builder holding this definition's settings, to change some of them */
    public Builder toBuilder() {
        return new Builder(key, type).params(params).timeout(timeout).outputSchema(outputSchema).dependsOn(dependsOn)
                .retry(retry).validators(validators).cache(cache);
    }

    /**
     * @param keys the steps this one depends on
     * @return a copy with those dependencies
     */
    public StepDefinition withDependsOn(String... keys) {
        return toBuilder().dependsOn(keys).build();
    }

    /**
     * @param policy the retry policy
     * @return a copy with it
     */
    public StepDefinition withRetry(RetryPolicy policy) {
        return toBuilder().retry(policy).build();
    }

    /**
     * @param limit the timeout of one execution, positive
     * @return a copy with it
     */
    public StepDefinition withTimeout(Duration limit) {
        return toBuilder().timeout(limit).build();
    }

    /** Builds a {@link StepDefinition}; each setting has the default named on its method. */
    public static final class Builder {
        private final String key;
        private final String type;
        private JsonNode params;
        private StepTimeout timeout = StepTimeout.NONE;
        private JsonNode outputSchema;
        private List<String> dependsOn = List.of();
        private RetryPolicy retry = RetryPolicy.NONE;
        private List<ValidatorSpec> validators = new ArrayList<>();
        private boolean cache;

        private Builder(String key, String type) {
            this.key = key;
            this.type = type;
        }

        /**
         * @param params a JSON object of params (default: empty; null reads as empty)
         * @return this
         */
        public Builder params(JsonNode params) {
            this.params = params;
            return this;
        }

        /**
         * @param limit how long one execution may take, positive (default: no limit)
         * @return this
         * @throws IllegalArgumentException if the limit is zero or negative
         * @throws NullPointerException     if the limit is null (use {@link #timeout(StepTimeout)}
         *                                  with {@link StepTimeout#NONE} for no limit)
         */
        public Builder timeout(Duration limit) {
            Objects.requireNonNull(limit, "limit");
            if (limit.isZero() || limit.isNegative()) {
                throw new IllegalArgumentException("timeout of step '" + key + "' must be positive, was " + limit);
            }
            return timeout(StepTimeout.of(limit));
        }

        /**
         * @param timeout the timeout (default {@link StepTimeout#NONE})
         * @return this
         */
        public Builder timeout(StepTimeout timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * @param schema a JSON Schema (draft 2020-12) the output must match (default: none; null
         *               for none)
         * @return this
         */
        public Builder outputSchema(JsonNode schema) {
            this.outputSchema = schema;
            return this;
        }

        /**
         * @param keys the steps this one depends on, replacing any set before (default: none)
         * @return this
         */
        public Builder dependsOn(String... keys) {
            return dependsOn(List.of(keys));
        }

        /**
         * @param keys the steps this one depends on, replacing any set before (default: none)
         * @return this
         */
        public Builder dependsOn(List<String> keys) {
            this.dependsOn = new ArrayList<>(keys);
            return this;
        }

        /**
         * @param policy the retry policy (default {@link RetryPolicy#NONE})
         * @return this
         */
        public Builder retry(RetryPolicy policy) {
            this.retry = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * @param specs validators the output must pass, replacing any set before (default: none)
         * @return this
         */
        public Builder validators(List<ValidatorSpec> specs) {
            this.validators = new ArrayList<>(specs);
            return this;
        }

        /**
         * @param spec a validator the output must pass, added to those set before
         * @return this
         */
        public Builder validator(ValidatorSpec spec) {
            this.validators.add(Objects.requireNonNull(spec, "spec"));
            return this;
        }

        /**
         * @param reuse whether an identical earlier execution (same step type and input hash, any job)
         *              is reused instead of executing (default false)
         * @return this
         */
        public Builder cache(boolean reuse) {
            this.cache = reuse;
            return this;
        }

        /** @return the definition @throws IllegalArgumentException if it is not valid */
        public StepDefinition build() {
            return new StepDefinition(key, type, params, timeout, outputSchema, dependsOn, retry, validators, cache);
        }
    }
}
