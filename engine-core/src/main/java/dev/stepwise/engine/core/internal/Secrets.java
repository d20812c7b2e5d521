package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.SecretResolver;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Secret references in config: an object {@code {"secret": "scheme:name"}} stands for a value
 * resolved only when a step runs. Fields whose names look like secrets must hold references.
 */
public final class Secrets {
    /**
     * Field names that hold secrets: {@code api_key}, {@code secret}, {@code token},
     * {@code password}, {@code credential}, and {@code key} alone or at the end of a name
     * ({@code key}, {@code subscription_key}: Azure's provider calls its key {@code key}). A
     * number under a name ending in {@code tokens} is a count, not a secret (see {@link #TOKEN_COUNT}).
     */
    private static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(api[_-]?key|secret|token|password|passwd|credential).*|(?i)(.*[_-])?key");
    private static final Pattern REFERENCE = Pattern.compile("[a-z][a-z0-9+.-]*:.+");
    /** A count of tokens ({@code max_tokens}, {@code input_tokens}): a number under such a name is no secret (issue 13). */
    private static final Pattern TOKEN_COUNT = Pattern.compile("(?i).*tokens");

    private Secrets() {
    }

    /** The default resolver: {@code env:NAME} reads environment variable NAME. */
    public static final SecretResolver ENVIRONMENT = reference -> {
        if (!reference.startsWith("env:")) {
            throw new IllegalArgumentException("secret reference '" + reference
                    + "' has an unknown scheme; the default resolver knows only env:NAME (configure a SecretResolver)");
        }
        String value = System.getenv(reference.substring(4));
        if (value == null) {
            throw new IllegalArgumentException("secret '" + reference + "' is not set in the environment");
        }
        return value;
    };

    /**
     * @param node a JSON value
     * @return whether it is a secret reference {@code {"secret": "scheme:name"}}
     */
    public static boolean isReference(JsonNode node) {
        return node != null && node.isObject() && node.size() == 1 && node.path("secret").isString()
                && REFERENCE.matcher(node.get("secret").asString()).matches();
    }

    /**
     * Finds fields that look like secrets but hold literal values.
     *
     * @param value a config value
     * @return the JSON paths of such fields
     */
    public static List<String> literalSecrets(JsonNode value) {
        List<String> out = new ArrayList<>();
        scan(value, "$", out);
        return out;
    }

    private static void scan(JsonNode node, String path, List<String> out) {
        if (node.isObject()) {
            if (isReference(node)) {
                return;
            }
            for (String name : node.propertyNames()) {
                JsonNode child = node.get(name);
                String p = path + "." + name;
                boolean tokenCount = child.isNumber() && TOKEN_COUNT.matcher(name).matches();
                if (SECRET_NAME.matcher(name).matches() && child.isValueNode() && !child.isNull() && !tokenCount) {
                    out.add(p);
                } else {
                    scan(child, p, out);
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                scan(node.get(i), path + "[" + i + "]", out);
            }
        }
    }

    /**
     * Copies a value with every secret reference resolved.
     *
     * @param node     a config value
     * @param resolver resolves references
     * @param resolved collects the resolved values, so they can be redacted
     * @return the resolved copy
     */
    public static JsonNode resolve(JsonNode node, SecretResolver resolver, Set<String> resolved) {
        if (isReference(node)) {
            String value = resolver.resolve(node.get("secret").asString());
            if (value == null) {
                throw new IllegalArgumentException("secret '" + node.get("secret").asString() + "' resolved to nothing");
            }
            resolved.add(value);
            return JsonNodeFactory.instance.stringNode(value);
        }
        if (node.isObject()) {
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            for (String name : node.propertyNames()) {
                out.set(name, resolve(node.get(name), resolver, resolved));
            }
            return out;
        }
        if (node.isArray()) {
            ArrayNode out = JsonNodeFactory.instance.arrayNode();
            node.forEach(n -> out.add(resolve(n, resolver, resolved)));
            return out;
        }
        return node;
    }

    /**
     * @param text     any text
     * @param resolved secret values to hide
     * @return the text with every secret value replaced by {@code ***}
     */
    public static String redact(String text, Set<String> resolved) {
        if (text == null || resolved.isEmpty()) {
            return text;
        }
        String out = text;
        for (String s : resolved) {
            if (!s.isEmpty()) {
                out = out.replace(s, "***");
            }
        }
        return out;
    }
}
