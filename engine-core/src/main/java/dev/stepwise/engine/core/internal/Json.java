package dev.stepwise.engine.core.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/** The engine's one JSON mapper, canonical JSON and SHA-256. */
public final class Json {
    /**
     * Nesting the engine's mapper reads and writes: twice {@link dev.stepwise.engine.core.JsonLimits#MAX_DEPTH_CEILING},
     * so a manifest or a store row can hold an input or output at the deepest level the limits allow
     * (Jackson's own defaults, 500 to read and 1,000 to write, would refuse them on the way back).
     */
    public static final int MAX_STORED_DEPTH = 2 * dev.stepwise.engine.core.JsonLimits.MAX_DEPTH_CEILING;

    /** Shared mapper (thread-safe). */
    public static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_STORED_DEPTH).build())
            .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(MAX_STORED_DEPTH).build())
            .build()).build();

    private Json() {
    }

    /** @return a new empty object */
    public static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    /**
     * Canonical JSON: object keys sorted (by UTF-16 code units), no insignificant whitespace,
     * strings and numbers as Jackson writes them. Equal JSON values give equal strings, whatever
     * the order their keys were inserted in.
     *
     * @param node a JSON value (null is written as {@code null})
     * @return its canonical text
     */
    public static String canonical(JsonNode node) {
        StringBuilder out = new StringBuilder(256);
        writeCanonical(node, out);
        return out.toString();
    }

    private static void writeCanonical(JsonNode node, StringBuilder out) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            out.append("null");
        } else if (node.isObject()) {
            List<String> names = new ArrayList<>(node.propertyNames());
            Collections.sort(names);
            out.append('{');
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.append(MAPPER.writeValueAsString(names.get(i))).append(':');
                writeCanonical(node.get(names.get(i)), out);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            for (int i = 0; i < node.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                writeCanonical(node.get(i), out);
            }
            out.append(']');
        } else if (node.isNumber() && (node.isFloatingPointNumber())) {
            // 1.0 and 1.00 and 1 describe the same number: write the shortest exact form
            out.append(node.decimalValue().stripTrailingZeros().toPlainString());
        } else {
            out.append(MAPPER.writeValueAsString(node));
        }
    }

    /**
     * @param text any text
     * @return SHA-256 of its UTF-8 bytes, as 64 lowercase hex digits
     */
    public static String sha256(String text) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * The input hash of a step: SHA-256 over the canonical JSON of everything its execution
     * depends on.
     *
     * @param stepKey     the step's key
     * @param stepType    its type name
     * @param stepVersion its implementation's declared version
     * @param params      its params from the recipe
     * @param jobInput    the job input
     * @param upstream    outputs of the steps it depends on, by key
     * @return 64 hex digits
     */
    public static String inputHash(String stepKey, String stepType, String stepVersion, JsonNode params,
            JsonNode jobInput, Map<String, JsonNode> upstream) {
        ObjectNode root = object();
        root.put("key", stepKey);
        root.put("type", stepType);
        root.put("version", stepVersion);
        root.set("params", params);
        root.set("input", jobInput);
        ObjectNode up = root.putObject("upstream");
        upstream.forEach(up::set);
        return sha256(canonical(root));
    }

    /**
     * The same hash as {@link #inputHash}, from parts already in canonical form, so a runner
     * canonicalises each output once instead of once per downstream step.
     *
     * @param stepKey        the step's key
     * @param stepType       its type name
     * @param stepVersion    its implementation's version
     * @param paramsCanon    canonical JSON of its params
     * @param inputCanon     canonical JSON of the job input
     * @param upstreamCanon  canonical JSON of each upstream output, by key
     * @param configCanon    canonical JSON of the job's config values (cacheable steps), or null
     *                       to leave them out (then the hash equals {@link #inputHash} of the same values)
     * @return 64 hex digits
     */
    public static String inputHashOfCanonical(String stepKey, String stepType, String stepVersion, String paramsCanon,
            String inputCanon, Map<String, String> upstreamCanon, String configCanon) {
        List<String> keys = new ArrayList<>(upstreamCanon.keySet());
        Collections.sort(keys);
        StringBuilder b = new StringBuilder(128 + inputCanon.length() + paramsCanon.length()
                + (configCanon == null ? 0 : configCanon.length()));
        b.append('{');
        if (configCanon != null) {
            b.append("\"config\":").append(configCanon).append(',');
        }
        b.append("\"input\":").append(inputCanon)
                .append(",\"key\":").append(MAPPER.writeValueAsString(stepKey))
                .append(",\"params\":").append(paramsCanon)
                .append(",\"type\":").append(MAPPER.writeValueAsString(stepType))
                .append(",\"upstream\":{");
        for (int i = 0; i < keys.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(MAPPER.writeValueAsString(keys.get(i))).append(':').append(upstreamCanon.get(keys.get(i)));
        }
        b.append("},\"version\":").append(MAPPER.writeValueAsString(stepVersion)).append('}');
        return sha256(b.toString());
    }
}
