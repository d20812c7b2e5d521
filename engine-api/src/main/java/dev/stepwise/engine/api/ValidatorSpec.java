package dev.stepwise.engine.api;

import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A validator a step's output must pass, as a step definition lists it. In recipe JSON:
 * {@code {"type": "text", "path": "/script", "min_words": 50, "retryable": true}}: {@code type}
 * names the validator (built in: {@code json_schema}, {@code text}, {@code audio}; or one the host
 * registered), {@code retryable} (default false) says whether the step's retry policy may run the
 * step again when this validator fails it, and every other member is the validator's params.
 *
 * @param type      the validator's type name
 * @param params    its params (a JSON object)
 * @param retryable whether a failure of this validator may be retried by the step's policy
 */
public record ValidatorSpec(String type, JsonNode params, boolean retryable) {
    /** Validates the spec and defaults params to an empty object. */
    public ValidatorSpec {
        Objects.requireNonNull(type, "type");
        if (type.isBlank()) {
            throw new IllegalArgumentException("a validator needs a type");
        }
        if (params == null || params.isNull()) {
            params = JsonNodeFactory.instance.objectNode();
        }
        if (!params.isObject()) {
            throw new IllegalArgumentException("params of validator '" + type + "' must be a JSON object");
        }
    }

    /**
     * @param type   the type name
     * @param params its params
     * @return a validator whose failure is not retried
     */
    public static ValidatorSpec of(String type, JsonNode params) {
        return new ValidatorSpec(type, params, false);
    }

    /** @return its JSON form: the params with {@code type} and {@code retryable} */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("type", type);
        n.setAll((ObjectNode) params.deepCopy());
        n.put("retryable", retryable);
        return n;
    }

    /**
     * @param n a validator's JSON form
     * @param stepKey the step it belongs to, for messages
     * @return the spec
     * @throws IllegalArgumentException if it is not an object with a {@code type}
     */
    public static ValidatorSpec fromJson(JsonNode n, String stepKey) {
        if (n == null || !n.isObject() || !n.path("type").isString()) {
            throw new IllegalArgumentException("a validator of step '" + stepKey + "' must be an object with a 'type'");
        }
        ObjectNode params = ((ObjectNode) n).deepCopy();
        params.remove("type");
        params.remove("retryable");
        return new ValidatorSpec(n.get("type").asString(), params, n.path("retryable").asBoolean(false));
    }
}
