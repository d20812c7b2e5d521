package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;

/**
 * A step type whose work is done by the implementation its provider document names: the step
 * reads {@code ctx.config(PROVIDER, params.provider)}, takes that document's {@code type} and
 * delegates to the step registered for it. So {@code config set provider speech '{"type": "tone"}'}
 * (or {@code "espeak"}, {@code "azure"}) decides what runs, and the step code never looks for API
 * keys: a provider document names its secrets, and the delegate reads them from the same config.
 *
 * <pre>{@code
 * Step speech = ProviderSwitch.builder("speech")
 *         .provider("tone", new ToneSpeech())
 *         .provider("espeak", new EspeakSpeech())
 *         .build();
 * }</pre>
 *
 * <p>{@link Builder#paramFromInput(String)} lets the job input choose a param: with
 * {@code paramFromInput("voice")}, an input {@code {"voice": "narrator-pt"}} is the delegate's
 * {@code params.voice} (it must still be one of the recipe's voices).
 *
 * <p>A provider document without a {@code type}, or with a type nothing is registered for, fails
 * the step with a {@link PermanentStepException} that lists the registered types; so does a
 * {@code provider} param the recipe does not refer to.
 */
public final class ProviderSwitch implements Step {
    /** The param naming the provider document. */
    public static final String PROVIDER_PARAM = "provider";

    private final String stepType;
    private final Map<String, Step> byType;
    private final java.util.List<String> paramsFromInput;

    private ProviderSwitch(Builder b) {
        this.stepType = b.stepType;
        this.byType = Map.copyOf(b.byType);
        this.paramsFromInput = java.util.List.copyOf(b.paramsFromInput);
        if (byType.isEmpty()) {
            throw new IllegalArgumentException("step type '" + stepType + "' needs at least one provider type");
        }
    }

    /**
     * @param stepType the step type this switch is registered as (names it in error messages)
     * @return a builder
     */
    public static Builder builder(String stepType) {
        return new Builder(stepType);
    }

    /** @return the provider types registered, sorted */
    public java.util.List<String> types() {
        return byType.keySet().stream().sorted().toList();
    }

    @Override
    public Object execute(StepContext ctx) throws Exception {
        StepContext effective = InputParams.of(ctx, paramsFromInput);
        return delegate(effective).execute(effective);
    }

    /**
     * @param ctx the step's context
     * @return the implementation the provider document's {@code type} selects
     * @throws PermanentStepException if the param, the document or its type is missing or unknown
     */
    Step delegate(StepContext ctx) {
        String key = ctx.params().path(PROVIDER_PARAM).asString("");
        if (key.isBlank()) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "' (type " + stepType + ") needs a '" + PROVIDER_PARAM
                    + "' param naming a provider document, e.g. {\"" + PROVIDER_PARAM + "\": \"" + stepType + "\"}");
        }
        JsonNode provider = NarrationConfig.get(ctx, DocumentKind.PROVIDER, key);
        String type = provider.path("type").asString("");
        Step impl = byType.get(type);
        if (impl == null) {
            throw new PermanentStepException("provider '" + key + "' has " + (type.isBlank() ? "no \"type\"" : "type '" + type + "'")
                    + ", which no " + stepType + " step is registered for; registered types: " + types());
        }
        return impl;
    }

    /**
     * Every registered implementation's version, so that a new version of any of them is a new
     * version of this step (its input hash changes).
     *
     * @return {@code type=version} pairs, sorted by type
     */
    @Override
    public String version() {
        return new TreeMap<>(byType).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue().version())
                .collect(Collectors.joining(","));
    }

    /** Builds a {@link ProviderSwitch}. */
    public static final class Builder {
        private final String stepType;
        private final Map<String, Step> byType = new TreeMap<>();
        private final java.util.List<String> paramsFromInput = new java.util.ArrayList<>();

        private Builder(String stepType) {
            this.stepType = Objects.requireNonNull(stepType, "stepType");
        }

        /**
         * @param type the provider document {@code type} this implementation serves, e.g. {@code "tone"}
         * @param impl the implementation
         * @return this
         * @throws IllegalArgumentException if the type is blank or already registered
         */
        public Builder provider(String type, Step impl) {
            Objects.requireNonNull(impl, "impl");
            if (type == null || type.isBlank()) {
                throw new IllegalArgumentException("a provider type must not be blank");
            }
            if (byType.putIfAbsent(type, impl) != null) {
                throw new IllegalArgumentException("provider type '" + type + "' is already registered for " + stepType);
            }
            return this;
        }

        /**
         * @param name a param that the job input's field of the same name, when it is a non-blank
         *             string, replaces for the delegate (e.g. {@code "voice"}); default none
         * @return this
         */
        public Builder paramFromInput(String name) {
            if (name == null || name.isBlank() || name.equals(PROVIDER_PARAM)) {
                throw new IllegalArgumentException("a param taken from the input must be named and not '" + PROVIDER_PARAM + "', was '"
                        + name + "'");
            }
            paramsFromInput.add(name);
            return this;
        }

        /** @return the switch @throws IllegalArgumentException if no provider type is registered */
        public ProviderSwitch build() {
            return new ProviderSwitch(this);
        }
    }
}
