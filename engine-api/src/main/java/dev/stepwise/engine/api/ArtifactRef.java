package dev.stepwise.engine.api;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * A file a step produced, by content: its SHA-256, size and media type. In a step's output an
 * artifact is always written as {@code {"artifact": "sha256:<64 hex>", "media_type": "audio/wav",
 * "bytes": N}} ({@link #toJson()}), anywhere in the output; the engine finds these objects to
 * record which artifacts a step produced and to check them before reusing a checkpoint.
 *
 * @param sha256    64 lowercase hex digits
 * @param bytes     size in bytes, >= 0
 * @param mediaType e.g. {@code audio/wav}, {@code text/plain; charset=utf-8}
 */
public record ArtifactRef(String sha256, long bytes, String mediaType) {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    /** Prefix of the {@code artifact} member. */
    public static final String PREFIX = "sha256:";

    /** Validates the fields. */
    public ArtifactRef {
        Objects.requireNonNull(sha256, "sha256");
        Objects.requireNonNull(mediaType, "mediaType");
        if (!HEX64.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256 must be 64 lowercase hex digits, was '" + sha256 + "'");
        }
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
        if (mediaType.isBlank()) {
            throw new IllegalArgumentException("mediaType must not be blank");
        }
    }

    /** @return {@code sha256:<hex>}, the artifact's id */
    public String id() {
        return PREFIX + sha256;
    }

    /** @return {@code {"artifact": "sha256:…", "media_type": …, "bytes": N}} */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("artifact", id());
        n.put("media_type", mediaType);
        n.put("bytes", bytes);
        return n;
    }

    /**
     * Every artifact reference anywhere in a JSON value (walked without recursion), in document order.
     *
     * @param value a step output
     * @return the references it holds
     */
    public static java.util.List<ArtifactRef> findIn(JsonNode value) {
        java.util.List<ArtifactRef> out = new java.util.ArrayList<>();
        if (value == null) {
            return out;
        }
        java.util.Deque<JsonNode> stack = new java.util.ArrayDeque<>();
        stack.push(value);
        while (!stack.isEmpty()) {
            JsonNode n = stack.pop();
            Optional<ArtifactRef> ref = fromJson(n);
            if (ref.isPresent()) {
                if (!out.contains(ref.get())) {
                    out.add(ref.get());
                }
            } else if (n.isContainer()) {
                java.util.List<JsonNode> children = new java.util.ArrayList<>();
                n.forEach(children::add);
                for (int i = children.size() - 1; i >= 0; i--) {
                    stack.push(children.get(i));
                }
            }
        }
        return out;
    }

    /**
     * @param node any JSON value
     * @return the artifact it describes, if it is an object of the documented shape
     */
    public static Optional<ArtifactRef> fromJson(JsonNode node) {
        if (node == null || !node.isObject() || !node.path("artifact").isString() || !node.path("media_type").isString()
                || !node.path("bytes").isIntegralNumber()) {
            return Optional.empty();
        }
        String id = node.get("artifact").asString();
        if (!id.startsWith(PREFIX) || !HEX64.matcher(id.substring(PREFIX.length())).matches() || node.get("bytes").asLong() < 0
                || node.get("media_type").asString().isBlank()) {
            return Optional.empty();
        }
        return Optional.of(new ArtifactRef(id.substring(PREFIX.length()), node.get("bytes").asLong(),
                node.get("media_type").asString()));
    }
}
