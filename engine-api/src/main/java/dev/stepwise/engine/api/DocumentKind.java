package dev.stepwise.engine.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The kinds of versioned documents the store keeps: recipes, and the config entries recipes
 * refer to: prompts, presets, providers and voices. A voice is a document of its own kind,
 * {@code {"provider": "azure", "name": "en-US-JennyNeural", "language": "en-US", "style": ...,
 * "prosody": {"rate": "+0%", "pitch": "+0Hz"}}}: {@code provider} and {@code name} are required,
 * and the catalog checks the shape when it is set.
 */
public enum DocumentKind {
    /** A recipe document. */
    RECIPE,
    /** A prompt (e.g. a script-writing prompt template). */
    PROMPT,
    /** A preset (e.g. a model's settings: model name, max tokens, temperature). */
    PRESET,
    /** A provider (an outside service's settings; may hold secret references). */
    PROVIDER,
    /** A voice (the provider type it is for, the voice's name, language, style, prosody). */
    VOICE;

    /** @return the lowercase value used in JSON, the store and the CLI */
    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the plural used as the manifest's snapshot section, e.g. {@code "prompts"} */
    public String plural() {
        return value() + "s";
    }

    /** @return the config kinds, in manifest order: prompt, preset, provider, voice */
    public static java.util.List<DocumentKind> configKinds() {
        return java.util.List.of(PROMPT, PRESET, PROVIDER, VOICE);
    }

    /** @return true for the config kinds (prompt, preset, provider, voice) */
    public boolean isConfig() {
        return this != RECIPE;
    }

    /**
     * @param value a lowercase kind
     * @return the kind
     * @throws IllegalArgumentException if unknown (the message lists the kinds)
     */
    @JsonCreator
    public static DocumentKind fromValue(String value) {
        for (DocumentKind k : values()) {
            if (k.value().equals(value)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown kind '" + value + "'; expected one of recipe, prompt, preset, provider, voice");
    }

    @Override
    public String toString() {
        return value();
    }
}
