package dev.stepwise.engine.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * The shape of a voice document, checked when it is set:
 * {@code {"provider": "azure", "name": "en-US-JennyNeural", "language": "en-US", "style": "cheerful",
 * "prosody": {"rate": "+0%", "pitch": "+0Hz"}}}. {@code provider} (the provider type the voice is
 * for) and {@code name} are required; the rest is optional. Unknown fields are refused, so a typo
 * ({@code "lang"}) is an error rather than a silently ignored setting.
 */
public final class Voices {
    /** The fields a voice may have. */
    public static final Set<String> FIELDS = Set.of("provider", "name", "language", "style", "prosody");
    /** The fields of a voice's {@code prosody}. */
    public static final Set<String> PROSODY_FIELDS = Set.of("rate", "pitch", "volume");
    private static final Pattern LANGUAGE = Pattern.compile("[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*");
    private static final String EXAMPLE = "{\"provider\": \"azure\", \"name\": \"en-US-JennyNeural\", \"language\": \"en-US\"}";

    private Voices() {
    }

    /**
     * @param value a voice document
     * @return every problem with it, each a sentence naming the field's JSON path; empty when valid
     */
    public static List<String> problems(JsonNode value) {
        List<String> out = new ArrayList<>();
        if (!value.isObject()) {
            out.add("a voice must be a JSON object such as " + EXAMPLE);
            return out;
        }
        requiredText(value, "provider", "the provider type the voice is for, e.g. \"azure\", \"espeak\" or \"tone\"", out);
        requiredText(value, "name", "the voice's name at its provider, e.g. \"en-US-JennyNeural\"", out);
        JsonNode language = value.get("language");
        if (language != null && !(language.isString() && LANGUAGE.matcher(language.asString()).matches())) {
            out.add("$.language must be a language tag such as \"en-US\", was " + language);
        }
        JsonNode style = value.get("style");
        if (style != null && !(style.isString() && !style.asString().isBlank())) {
            out.add("$.style must be a non-empty string such as \"cheerful\", was " + style);
        }
        JsonNode prosody = value.get("prosody");
        if (prosody != null) {
            if (!prosody.isObject()) {
                out.add("$.prosody must be an object such as {\"rate\": \"+0%\", \"pitch\": \"+0Hz\"}, was " + prosody);
            } else {
                for (String field : prosody.propertyNames()) {
                    JsonNode v = prosody.get(field);
                    if (!PROSODY_FIELDS.contains(field)) {
                        out.add("$.prosody." + field + " is not a prosody setting; use " + sorted(PROSODY_FIELDS));
                    } else if (!v.isString() || v.asString().isBlank()) {
                        out.add("$.prosody." + field + " must be a string such as \"+0%\", was " + v);
                    }
                }
            }
        }
        for (String field : value.propertyNames()) {
            if (!FIELDS.contains(field)) {
                out.add("$." + field + " is not a voice field; a voice has " + sorted(FIELDS));
            }
        }
        return out;
    }

    private static void requiredText(JsonNode value, String field, String what, List<String> out) {
        JsonNode n = value.get(field);
        if (n == null || n.isNull()) {
            out.add("$." + field + " is missing: a voice needs " + what);
        } else if (!n.isString() || n.asString().isBlank()) {
            out.add("$." + field + " must be a non-empty string (" + what + "), was " + n);
        }
    }

    private static List<String> sorted(Set<String> fields) {
        return fields.stream().sorted().toList();
    }
}
