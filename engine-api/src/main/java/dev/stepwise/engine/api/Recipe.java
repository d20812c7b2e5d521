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
 * A recipe: an ordered list of steps, an optional input schema and the config entries it uses,
 * identified by slug and version. It is a definition (configuration); its runs are
 * {@link Job}s. Recipes live in the store, versioned: publishing changed content creates the
 * next version, and a job copies its recipe version into its manifest's
 * {@code snapshots.recipe} when it is created and always runs that copy.
 *
 * <pre>{@code
 * Recipe wordcount = Recipe.builder("wordcount")
 *     .inputSchema(schema)
 *     .step("read", "read-file")
 *     .step("count", "count-words", params)
 *     .build();
 * }</pre>
 *
 * <p>As JSON (what {@link #toJson()} writes and {@link #fromJson(JsonNode)} reads; a recipe
 * file has the same form, its {@code version} ignored on publish):
 * <pre>{@code
 * {"slug": "narrate", "version": 2,
 *  "input_schema": {"type": "object", "required": ["topic"]},
 *  "prompts": ["script-writer"], "presets": ["claude-script"], "providers": ["claude"], "voices": ["narrator-en"],
 *  "steps": [{"key": "script", "type": "write-script", "params": {}, "timeout_ms": 60000,
 *             "output_schema": {"type": "object"}}]}
 * }</pre>
 *
 * @param slug        name of the recipe: lowercase letters, digits and {@code -}, 1-64 characters
 * @param version     version number, >= 1
 * @param steps       the steps, in order; keys unique; at least one
 * @param inputSchema JSON Schema (draft 2020-12) job inputs must match, or null for any object
 * @param prompts     keys of the prompts it uses
 * @param presets     keys of the presets it uses
 * @param providers   keys of the providers it uses
 * @param voices      keys of the voices it uses
 */
public record Recipe(String slug, int version, List<StepDefinition> steps, JsonNode inputSchema,
        List<String> prompts, List<String> presets, List<String> providers, List<String> voices) {

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
        for (StepDefinition s : steps) {
            for (String dep : s.dependsOn()) {
                if (!keys.contains(dep)) {
                    throw new IllegalArgumentException("step '" + s.key() + "' of recipe '" + slug
                            + "' depends on '" + dep + "', which is not a step of the recipe");
                }
            }
        }
        String cycle = findCycle(steps);
        if (cycle != null) {
            throw new IllegalArgumentException("recipe '" + slug + "' has a dependency cycle: " + cycle);
        }
        steps = List.copyOf(steps);
        if (inputSchema != null && inputSchema.isNull()) {
            inputSchema = null;
        }
        prompts = prompts == null ? List.of() : List.copyOf(prompts);
        presets = presets == null ? List.of() : List.copyOf(presets);
        providers = providers == null ? List.of() : List.copyOf(providers);
        voices = voices == null ? List.of() : List.copyOf(voices);
    }

    /** @return whether any step declares {@code dependsOn}: then independent steps may run in parallel */
    public boolean isGraph() {
        return steps.stream().anyMatch(s -> !s.dependsOn().isEmpty());
    }

    private static String findCycle(List<StepDefinition> steps) {
        java.util.Map<String, List<String>> deps = new java.util.HashMap<>();
        steps.forEach(s -> deps.put(s.key(), s.dependsOn()));
        java.util.Map<String, Integer> state = new java.util.HashMap<>(); // 1 visiting, 2 done
        for (StepDefinition s : steps) {
            java.util.Deque<String> path = new java.util.ArrayDeque<>();
            String c = visit(s.key(), deps, state, path);
            if (c != null) {
                return c;
            }
        }
        return null;
    }

    private static String visit(String key, java.util.Map<String, List<String>> deps, java.util.Map<String, Integer> state,
            java.util.Deque<String> path) {
        Integer st = state.get(key);
        if (st != null && st == 2) {
            return null;
        }
        path.addLast(key);
        if (st != null && st == 1) {
            List<String> p = new ArrayList<>(path);
            return String.join(" -> ", p.subList(p.indexOf(key), p.size()));
        }
        state.put(key, 1);
        for (String d : deps.getOrDefault(key, List.of())) {
            String c = visit(d, deps, state, path);
            if (c != null) {
                return c;
            }
        }
        state.put(key, 2);
        path.removeLast();
        return null;
    }

    /** @return the id of this recipe version: {@code slug@version} */
    public String id() {
        return slug + "@" + version;
    }

    /**
     * @param kind prompt, preset, provider or voice
     * @return the keys of that kind this recipe refers to
     * @throws IllegalArgumentException for {@link DocumentKind#RECIPE}
     */
    public List<String> refs(DocumentKind kind) {
        return switch (kind) {
            case PROMPT -> prompts;
            case PRESET -> presets;
            case PROVIDER -> providers;
            case VOICE -> voices;
            case RECIPE -> throw new IllegalArgumentException("recipes do not refer to recipes");
        };
    }

    /**
     * @param version a version number
     * @return this recipe with that version
     */
    public Recipe withVersion(int version) {
        return new Recipe(slug, version, steps, inputSchema, prompts, presets, providers, voices);
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
     * @return a builder for that recipe (version 1 unless set)
     */
    public static Builder builder(String slug) {
        return new Builder(slug);
    }

    /**
     * The recipe as JSON (see the class comment); optional members are left out when empty.
     *
     * @return a new JSON object
     */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("slug", slug);
        root.put("version", version);
        if (inputSchema != null) {
            root.set("input_schema", inputSchema.deepCopy());
        }
        for (DocumentKind kind : DocumentKind.configKinds()) {
            if (!refs(kind).isEmpty()) {
                ArrayNode arr = root.putArray(kind.plural());
                refs(kind).forEach(arr::add);
            }
        }
        ArrayNode arr = root.putArray("steps");
        for (StepDefinition s : steps) {
            ObjectNode n = arr.addObject();
            n.put("key", s.key());
            n.put("type", s.type());
            n.set("params", s.params().deepCopy());
            if (s.timeout() instanceof StepTimeout.Explicit limit) {
                n.put("timeout_ms", limit.duration().toMillis());
            }
            if (s.outputSchema() != null) {
                n.set("output_schema", s.outputSchema().deepCopy());
            }
            if (!s.dependsOn().isEmpty()) {
                ArrayNode d = n.putArray("depends_on");
                s.dependsOn().forEach(d::add);
            }
            if (!s.validators().isEmpty()) {
                ArrayNode vs = n.putArray("validators");
                s.validators().forEach(v -> vs.add(v.toJson()));
            }
            if (s.cache()) {
                n.put("cache", true);
            }
            if (!s.retry().equals(RetryPolicy.NONE)) {
                RetryPolicy r = s.retry();
                ObjectNode rn = n.putObject("retry");
                rn.put("max_attempts", r.maxAttempts());
                rn.put("initial_delay_ms", r.initialDelay().toMillis());
                rn.put("multiplier", r.multiplier());
                rn.put("max_delay_ms", r.maxDelay().toMillis());
                rn.put("jitter", r.jitter() ? "full" : "none");
                ArrayNode nr = rn.putArray("non_retryable");
                r.nonRetryable().forEach(nr::add);
            }
        }
        return root;
    }

    /**
     * Reads a recipe from its JSON form. A missing {@code version} reads as 1.
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
        if (v != null && !v.isNull() && !v.canConvertToInt()) {
            throw new IllegalArgumentException("recipe '" + slug + "' has a 'version' that is not an integer");
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
            if (timeout != null && !timeout.isNull() && !timeout.canConvertToLong()) {
                throw new IllegalArgumentException("step '" + key + "' has a 'timeout_ms' that is not a number of milliseconds");
            }
            StepDefinition.Builder step = StepDefinition.builder(key, type).params(n.get("params"))
                    .outputSchema(n.get("output_schema")).dependsOn(keys(n, "depends_on", slug)).retry(retryOf(n.get("retry"), key));
            if (timeout != null && !timeout.isNull()) {
                step.timeout(Duration.ofMillis(timeout.asLong()));
            }
            JsonNode validators = n.get("validators");
            if (validators != null && !validators.isNull()) {
                if (!validators.isArray()) {
                    throw new IllegalArgumentException("step '" + key + "' has 'validators' that is not an array");
                }
                validators.forEach(spec -> step.validator(ValidatorSpec.fromJson(spec, key)));
            }
            JsonNode cache = n.get("cache");
            if (cache != null && !cache.isNull() && !cache.isBoolean()) {
                throw new IllegalArgumentException("step '" + key + "' has a 'cache' that is not true or false");
            }
            step.cache(cache != null && cache.asBoolean(false));
            steps.add(step.build());
        }
        return new Recipe(slug, v == null || v.isNull() ? 1 : v.asInt(), steps, json.get("input_schema"),
                keys(json, "prompts", slug), keys(json, "presets", slug), keys(json, "providers", slug),
                keys(json, "voices", slug));
    }

    private static List<String> keys(JsonNode json, String field, String slug) {
        JsonNode arr = json.get(field);
        if (arr == null || arr.isNull()) {
            return List.of();
        }
        if (!arr.isArray()) {
            throw new IllegalArgumentException("recipe '" + slug + "' has '" + field + "' that is not an array of keys");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode k : arr) {
            if (!k.isString() || k.asString().isBlank()) {
                throw new IllegalArgumentException("recipe '" + slug + "' has a blank or non-string key in '" + field + "'");
            }
            out.add(k.asString());
        }
        return out;
    }

    private static RetryPolicy retryOf(JsonNode r, String key) {
        if (r == null || r.isNull()) {
            return RetryPolicy.NONE;
        }
        if (!r.isObject()) {
            throw new IllegalArgumentException("retry of step '" + key + "' must be an object");
        }
        List<String> nonRetryable = new ArrayList<>();
        r.path("non_retryable").forEach(n -> nonRetryable.add(n.asString()));
        String jitter = r.path("jitter").asString(RetryPolicy.DEFAULT_JITTER ? "full" : "none");
        if (!jitter.equals("full") && !jitter.equals("none")) {
            throw new IllegalArgumentException("retry.jitter of step '" + key + "' must be \"full\" or \"none\", was '" + jitter + "'");
        }
        long initial = r.path("initial_delay_ms").asLong(RetryPolicy.DEFAULT_INITIAL_DELAY.toMillis());
        long maxDelay = r.path("max_delay_ms").asLong(Math.max(initial, RetryPolicy.DEFAULT_MAX_DELAY.toMillis()));
        return RetryPolicy.builder()
                .maxAttempts(r.path("max_attempts").asInt(RetryPolicy.DEFAULT_MAX_ATTEMPTS))
                .initialDelay(Duration.ofMillis(initial))
                .multiplier(r.path("multiplier").asDouble(RetryPolicy.DEFAULT_MULTIPLIER))
                .maxDelay(Duration.ofMillis(maxDelay))
                .jitter(jitter.equals("full"))
                .nonRetryable(nonRetryable)
                .build();
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
        private JsonNode inputSchema;
        private final List<String> prompts = new ArrayList<>();
        private final List<String> presets = new ArrayList<>();
        private final List<String> providers = new ArrayList<>();
        private final List<String> voices = new ArrayList<>();

        private Builder(String slug) {
            this.slug = slug;
        }

        /** @param version the version number, >= 1 (default 1; publishing assigns the real one) @return this */
        public Builder version(int version) {
            this.version = version;
            return this;
        }

        /** @param schema JSON Schema (draft 2020-12) job inputs must match @return this */
        public Builder inputSchema(JsonNode schema) {
            this.inputSchema = schema;
            return this;
        }

        /** @param key a prompt the recipe uses @return this */
        public Builder prompt(String key) {
            prompts.add(key);
            return this;
        }

        /** @param key a preset the recipe uses @return this */
        public Builder preset(String key) {
            presets.add(key);
            return this;
        }

        /** @param key a provider the recipe uses @return this */
        public Builder provider(String key) {
            providers.add(key);
            return this;
        }

        /** @param key a voice the recipe uses @return this */
        public Builder voice(String key) {
            voices.add(key);
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
            return step(StepDefinition.of(key, type));
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
            return step(StepDefinition.builder(key, type).params(params).build());
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
            return new Recipe(slug, version, steps, inputSchema, prompts, presets, providers, voices);
        }
    }
}
