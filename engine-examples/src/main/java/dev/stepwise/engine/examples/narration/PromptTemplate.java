package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.PermanentStepException;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * Renders a prompt document {@code {"template": "... {{topic}} ...", "defaults": {"words": 120}}}
 * with the job's input: {@code {{name}}} (spaces inside the braces allowed) is replaced by the
 * input's field of that name, else the prompt's default (a string as it is, anything else as its
 * JSON text); a placeholder with neither fails permanently, naming it. These are the rules of
 * engine-anthropic's {@code PromptTemplate}; this package-private copy keeps the offline writer
 * free of the model SDK.
 */
final class PromptTemplate {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*}}");

    private PromptTemplate() {
    }

    /**
     * @param key    the prompt's key, for messages
     * @param prompt the prompt document
     * @param input  the job input
     * @return the rendered template
     * @throws PermanentStepException if the prompt has no string {@code template} or a placeholder has no value
     */
    static String render(String key, JsonNode prompt, JsonNode input) {
        JsonNode template = prompt.get("template");
        if (template == null || !template.isString() || template.asString().isBlank()) {
            throw new PermanentStepException("prompt '" + key + "' needs a string 'template', e.g. "
                    + "{\"template\": \"Write about {{topic}} in {{words}} words.\"}");
        }
        JsonNode defaults = prompt.path("defaults");
        Matcher m = PLACEHOLDER.matcher(template.asString());
        StringBuilder out = new StringBuilder(template.asString().length() + 64);
        while (m.find()) {
            JsonNode v = value(m.group(1), input, defaults);
            if (v == null) {
                Set<String> known = new TreeSet<>(input.propertyNames());
                if (defaults.isObject()) {
                    known.addAll(defaults.propertyNames());
                }
                throw new PermanentStepException("prompt '" + key + "' has placeholder {{" + m.group(1) + "}} but the job input has no field '"
                        + m.group(1) + "' and the prompt no default for it (fields: "
                        + (known.isEmpty() ? "none" : String.join(", ", known)) + ")");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v.isString() ? v.asString() : v.toString()));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** @return the input's value of the field, else the default, else null */
    static JsonNode value(String field, JsonNode input, JsonNode defaults) {
        JsonNode v = input.get(field);
        if (v == null || v.isNull()) {
            v = defaults.isObject() ? defaults.get(field) : null;
        }
        return v == null || v.isNull() ? null : v;
    }
}
