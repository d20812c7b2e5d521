package dev.stepwise.engine.anthropic;

import dev.stepwise.engine.api.PermanentStepException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/**
 * A prompt template: text with {@code {{name}}} placeholders (spaces inside the braces are
 * allowed: {@code {{ topic }}}), filled from a JSON object such as the job's input.
 *
 * <p>A prompt document in the config store looks like
 * {@code {"template": "Write about {{topic}} in {{words}} words.", "defaults": {"words": 150}}};
 * {@code defaults} (optional) gives values for fields the input may leave out. Rules, for every
 * step that renders prompts (Claude's and the offline script writer):
 * <ul>
 *   <li>a string value is inserted as it is; a number or boolean as its JSON text; an object or
 *       array as compact JSON;</li>
 *   <li>a placeholder with no value (absent, or JSON {@code null}) in the input nor in the
 *       defaults fails with a {@link PermanentStepException} that names it and lists the fields
 *       there are: no retry can fix it;</li>
 *   <li>a <code>{{</code> that does not open a well-formed placeholder (a name of letters, digits and
 *       {@code _}, starting with a letter or {@code _}) makes the template invalid.</li>
 * </ul>
 * Instances are immutable and thread-safe.
 */
public final class PromptTemplate {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([^{}]*?)\\s*}}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private final String name;
    private final String template;
    private final List<Object> parts;
    private final JsonNode defaults;

    private PromptTemplate(String name, String template, List<Object> parts, JsonNode defaults) {
        this.name = name;
        this.template = template;
        this.parts = parts;
        this.defaults = defaults;
    }

    /**
     * Parses a template with no defaults.
     *
     * @param template the text
     * @return the template
     * @throws PermanentStepException if a <code>{{</code> does not open a well-formed placeholder
     */
    public static PromptTemplate of(String template) {
        return parse("template", template, null);
    }

    /**
     * Reads a prompt document: {@code {"template": "...", "defaults": {...}}}.
     *
     * @param key      the prompt's key in the config store, for messages
     * @param document the prompt's value (from {@code ctx.config(DocumentKind.PROMPT, key)})
     * @return the template
     * @throws PermanentStepException if the document has no string {@code template}, its
     *                                {@code defaults} is not an object, or the template is malformed
     */
    public static PromptTemplate fromPrompt(String key, JsonNode document) {
        Objects.requireNonNull(key, "key");
        if (document == null || !document.path("template").isString()) {
            throw new PermanentStepException("prompt '" + key + "' needs a string 'template', e.g. "
                    + "{\"template\": \"Write about {{topic}} in {{words}} words.\"}");
        }
        JsonNode defaults = document.get("defaults");
        if (defaults != null && !defaults.isNull() && !defaults.isObject()) {
            throw new PermanentStepException("prompt '" + key + "': 'defaults' must be an object of values by placeholder name");
        }
        return parse("prompt '" + key + "'", document.get("template").asString(),
                defaults == null || defaults.isNull() ? null : defaults);
    }

    private static PromptTemplate parse(String name, String template, JsonNode defaults) {
        Objects.requireNonNull(template, "template");
        List<Object> parts = new ArrayList<>();
        Matcher m = PLACEHOLDER.matcher(template);
        int at = 0;
        while (m.find()) {
            String literal = template.substring(at, m.start());
            checkNoStrayBraces(name, literal);
            parts.add(literal);
            String field = m.group(1);
            if (!NAME.matcher(field).matches()) {
                throw new PermanentStepException(name + " has an invalid placeholder {{" + field
                        + "}}: a name is letters, digits and _, starting with a letter or _");
            }
            parts.add(new Placeholder(field));
            at = m.end();
        }
        String tail = template.substring(at);
        checkNoStrayBraces(name, tail);
        parts.add(tail);
        return new PromptTemplate(name, template, List.copyOf(parts), defaults);
    }

    private static void checkNoStrayBraces(String name, String literal) {
        int i = literal.indexOf("{{");
        if (i >= 0) {
            String near = literal.substring(i, Math.min(literal.length(), i + 30));
            throw new PermanentStepException(name + " has a '{{' that opens no placeholder, near \"" + near
                    + "\"; write placeholders as {{name}}");
        }
    }

    /** @return the template's text, as given */
    public String template() {
        return template;
    }

    /** @return the placeholder names, in order of first appearance */
    public List<String> placeholders() {
        Set<String> names = new LinkedHashSet<>();
        for (Object p : parts) {
            if (p instanceof Placeholder ph) {
                names.add(ph.name());
            }
        }
        return List.copyOf(names);
    }

    /**
     * Fills the placeholders.
     *
     * @param values a JSON object, e.g. the job's input; its fields win over the template's defaults
     * @return the text
     * @throws PermanentStepException if a placeholder has no value in {@code values} nor in the
     *                                defaults (the message names it and lists the fields there are)
     */
    public String render(JsonNode values) {
        StringBuilder out = new StringBuilder(template.length() + 64);
        for (Object p : parts) {
            if (p instanceof Placeholder ph) {
                out.append(text(value(ph.name(), values), ph.name(), values));
            } else {
                out.append((String) p);
            }
        }
        return out.toString();
    }

    /**
     * The value a placeholder of that name would be filled with: the field of {@code values}, else
     * the template's default.
     *
     * @param field  a field name, e.g. {@code words}
     * @param values a JSON object, e.g. the job's input
     * @return that value, if either holds one that is not JSON null
     */
    public Optional<JsonNode> valueOf(String field, JsonNode values) {
        return Optional.ofNullable(value(field, values)).filter(v -> !v.isNull() && !v.isMissingNode());
    }

    private JsonNode value(String field, JsonNode values) {
        JsonNode v = values == null ? null : values.get(field);
        if ((v == null || v.isNull()) && defaults != null) {
            v = defaults.get(field);
        }
        return v;
    }

    private String text(JsonNode v, String field, JsonNode values) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            Set<String> known = new TreeSet<>();
            if (values != null && values.isObject()) {
                known.addAll(values.propertyNames());
            }
            if (defaults != null) {
                known.addAll(defaults.propertyNames());
            }
            throw new PermanentStepException(name + " has placeholder {{" + field + "}} but the job input has no field '"
                    + field + "' and the prompt no default for it (fields: "
                    + (known.isEmpty() ? "none" : String.join(", ", known)) + ")");
        }
        if (v.isString()) {
            return v.asString();
        }
        return v.toString();
    }

    @Override
    public String toString() {
        return name + ": " + template;
    }

    private record Placeholder(String name) {
    }
}
