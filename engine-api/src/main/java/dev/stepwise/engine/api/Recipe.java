package dev.stepwise.engine.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A recipe: an ordered list of steps, identified by slug and version. It is a definition
 * (configuration); its runs are {@link Job}s. A job copies its recipe into its manifest's
 * {@code snapshots.recipe} when it is created and always runs that copy.
 *
 * <pre>{@code
 * Recipe wordcount = Recipe.builder("wordcount")
 *     .step("read", "read-file")
 *     .step("count", "count-words", params)
 *     .build();
 * }</pre>
 *
 * @param slug    name of the recipe: lowercase letters, digits and {@code -}, 1-64 characters
 * @param version version number, >= 1
 * @param steps   the steps, in order; keys unique; at least one
 */
public record Recipe(String slug, int version, List<StepDefinition> steps) {

    private static final Pattern SLUG = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

    /** Validates the recipe: slug, version, at least one step, unique step keys. */
    public Recipe {
        Objects.requireNonNull(slug, "slug");
        Objects.requireNonNull(steps, "steps");
        if (!SLUG.matcher(slug).matches()) {
            throw new IllegalArgumentException("recipe slug '" + slug + "' is invalid: use 1-64 lowercase letters, digits or '-'");
        }
        if (version < 1) {
            throw new IllegalArgumentException("version of recipe '" + slug + "' must be >= 1, was " + version);
        }
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("recipe '" + slug + "' has no steps");
        }
        Set<String> keys = new HashSet<>();
        for (StepDefinition s : steps) {
            if (!keys.add(s.key())) {
                throw new IllegalArgumentException("recipe '" + slug + "' has the step key '" + s.key() + "' twice");
            }
        }
        steps = List.copyOf(steps);
    }

    /** @return the id of this recipe version: {@code slug@version} */
    public String id() {
        return slug + "@" + version;
    }

    /**
     * @param key a step key
     * @return that step's definition
     * @throws IllegalArgumentException if the recipe has no such step
     */
    public StepDefinition step(String key) {
        for (StepDefinition s : steps) {
            if (s.key().equals(key)) {
                return s;
            }
        }
        throw new IllegalArgumentException("recipe '" + id() + "' has no step '" + key + "'");
    }

    /**
     * @param slug the recipe's slug
     * @return a builder for version 1 of that recipe
     */
    public static Builder builder(String slug) {
        return new Builder(slug);
    }

    /**
     * The recipe as JSON: {@code {"slug", "version", "steps": [{"key", "type", "params",
     * "timeout_ms"}]}}; {@code timeout_ms} is left out when there is no timeout.
     *
     * @return a new JSON object
     */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("slug", slug);
        root.put("version", version);
        ArrayNode arr = root.putArray("steps");
        for (StepDefinition s : steps) {
            ObjectNode n = arr.addObject();
            n.put("key", s.key());
            n.put("type", s.type());
            n.set("params", s.params().deepCopy());
            if (s.timeout() != null) {
                n.put("timeout_ms", s.timeout().toMillis());
            }
        }
        return root;
    }

    /**
     * Reads a recipe written by {@link #toJson()}.
     *
     * @param json the recipe JSON
     * @return the recipe
     * @throws IllegalArgumentException if the JSON is not a valid recipe (the message says why)
     */
    public static Recipe fromJson(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("a recipe must be a JSON object");
        }
        String slug = requiredText(json, "slug", "recipe");
        JsonNode v = json.get("version");
        if (v == null || !v.canConvertToInt()) {
            throw new IllegalArgumentException("recipe '" + slug + "' needs an integer 'version'");
        }
        JsonNode arr = json.get("steps");
        if (arr == null || !arr.isArray()) {
            throw new IllegalArgumentException("recipe '" + slug + "' needs a 'steps' array");
        }
        List<StepDefinition> steps = new ArrayList<>();
        for (JsonNode n : arr) {
            String key = requiredText(n, "key", "a step of recipe '" + slug + "'");
            String type = requiredText(n, "type", "step '" + key + "'");
            JsonNode timeout = n.get("timeout_ms");
            steps.add(new StepDefinition(key, type, n.get("params"),
                    timeout == null || timeout.isNull() ? null : Duration.ofMillis(timeout.asLong())));
        }
        return new Recipe(slug, v.asInt(), steps);
    }

    private static String requiredText(JsonNode node, String field, String what) {
        JsonNode n = node.get(field);
        if (n == null || !n.isString() || n.asString().isBlank()) {
            throw new IllegalArgumentException(what + " needs a string '" + field + "'");
        }
        return n.asString();
    }

    /** Builds a {@link Recipe} in code. */
    public static final class Builder {
        private final String slug;
        private int version = 1;
        private final List<StepDefinition> steps = new ArrayList<>();

        private Builder(String slug) {
            this.slug = slug;
        }

        /** @param version the version number, >= 1 (default 1) @return this */
        public Builder version(int version) {
            this.version = version;
            return this;
        }

        /**
         * Adds a step without params.
         *
         * @param key  step key
         * @param type step type name
         * @return this
         */
        public Builder step(String key, String type) {
            return step(new StepDefinition(key, type, null, null));
        }

        /**
         * Adds a step with params.
         *
         * @param key    step key
         * @param type   step type name
         * @param params JSON object of params
         * @return this
         */
        public Builder step(String key, String type, JsonNode params) {
            return step(new StepDefinition(key, type, params, null));
        }

        /**
         * Adds a step definition.
         *
         * @param step the definition
         * @return this
         */
        public Builder step(StepDefinition step) {
            steps.add(Objects.requireNonNull(step, "step"));
            return this;
        }

        /** @return the recipe @throws IllegalArgumentException if it is not valid */
        public Recipe build() {
            return new Recipe(slug, version, steps);
        }
    }
}
