package dev.stepwise.engine.azure.speech.internal;

import dev.stepwise.engine.api.PermanentStepException;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * A voice document: {@code {"provider": "azure", "name": "en-US-JennyNeural", "language": "en-US",
 * "style": "narration-professional", "prosody": {"rate": "+0%", "pitch": "+0Hz"}}} ({@code style} and
 * {@code prosody} optional).
 *
 * @param name     the service's voice name
 * @param language its language tag, e.g. {@code en-US}
 * @param style    a speaking style ({@code mstts:express-as}), if any
 * @param rate     prosody rate, e.g. {@code +10%} or {@code slow}, if any
 * @param pitch    prosody pitch, e.g. {@code -2st} or {@code +0Hz}, if any
 */
public record VoiceSettings(String name, String language, Optional<String> style, Optional<String> rate, Optional<String> pitch) {

    /** Validates the fields. */
    public VoiceSettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(language, "language");
        Objects.requireNonNull(style, "style");
        Objects.requireNonNull(rate, "rate");
        Objects.requireNonNull(pitch, "pitch");
        if (name.isBlank() || language.isBlank()) {
            throw new IllegalArgumentException("name and language must not be blank");
        }
    }

    /** @return the language as a locale, for sentence boundaries */
    public Locale locale() {
        return Locale.forLanguageTag(language);
    }

    /**
     * @param key the voice's key in the config store, for messages
     * @param doc its value
     * @return the settings
     * @throws PermanentStepException if a field is missing or of the wrong type, or the voice is not for Azure
     */
    public static VoiceSettings from(String key, JsonNode doc) {
        String where = "voice '" + key + "'";
        if (doc == null || !doc.isObject()) {
            throw new PermanentStepException(where + " must be a JSON object");
        }
        if (doc.has("provider") && !"azure".equals(doc.get("provider").asString(""))) {
            throw new PermanentStepException(where + " is for provider '" + doc.get("provider").asString("") + "'; this step speaks with 'azure' voices");
        }
        String name = text(doc, "name", where).orElseThrow(() -> new PermanentStepException(where
                + " needs a string 'name', e.g. {\"name\": \"en-US-JennyNeural\", \"language\": \"en-US\"}"));
        String language = text(doc, "language", where).orElseThrow(() -> new PermanentStepException(where
                + " needs a string 'language', e.g. \"en-US\""));
        JsonNode prosody = doc.path("prosody");
        if (!prosody.isMissingNode() && !prosody.isNull() && !prosody.isObject()) {
            throw new PermanentStepException(where + ": 'prosody' must be an object such as {\"rate\": \"+0%\", \"pitch\": \"+0Hz\"}");
        }
        return new VoiceSettings(name, language, text(doc, "style", where),
                text(prosody, "rate", where + " prosody"), text(prosody, "pitch", where + " prosody"));
    }

    private static Optional<String> text(JsonNode doc, String field, String where) {
        JsonNode v = doc.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isString()) {
            throw new PermanentStepException(where + ": '" + field + "' must be a string, was " + v);
        }
        return Optional.of(v.asString().strip()).filter(s -> !s.isEmpty());
    }
}
