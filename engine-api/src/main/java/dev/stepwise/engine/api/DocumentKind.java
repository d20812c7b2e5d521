package dev.stepwise.engine.api;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The kinds of versioned documents the store keeps: recipes, and the config entries recipes
 * refer to. Voices are presets whose value has {@code "type": "voice"}.
 */
public enum DocumentKind {
    /** A recipe document. */
    RECIPE,
    /** A prompt (e.g. a script-writing prompt template). */
    PROMPT,
    /** A preset (voices are presets of type {@code voice}). */
    PRESET,
    /** A provider (an outside service's settings; may hold secret references). */
    PROVIDER;

    /** @return the lowercase value used in JSON, the store and the CLI */
    @JsonValue
    public String value() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return the plural used as the manifest's snapshot section, e.g. {@code "prompts"} */
    public String plural() {
        return value() + "s";
    }

    /** @return the config kinds, in manifest order: prompt, preset, provider */
    public static java.util.List<DocumentKind> configKinds() {
        return java.util.List.of(PROMPT, PRESET, PROVIDER);
    }

    /** @return true for the config kinds (prompt, preset, provider) */
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
        throw new IllegalArgumentException("unknown kind '" + value + "'; expected one of recipe, prompt, preset, provider");
    }

    @Override
    public String toString() {
        return value();
    }
}
