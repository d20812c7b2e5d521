package dev.stepwise.engine.api;

import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Where the trace of one {@link Attempt} is: the trace and span ids an observation module (for
 * example engine-micrometer behind a tracing bridge) gave it when it started. Stored with the
 * attempt and shown in the manifest's {@code attempt_log} as {@code "trace": {"trace_id", "span_id"}},
 * so one can go from a manifest to the trace, and a resumed run's span can link to it.
 *
 * @param traceId the trace id as the tracer prints it (W3C: 32 lowercase hex digits)
 * @param spanId  the span id of the attempt's span (W3C: 16 lowercase hex digits)
 */
public record AttemptTrace(String traceId, String spanId) {

    /** Validates the ids: present, without blanks. */
    public AttemptTrace {
        Objects.requireNonNull(traceId, "traceId");
        Objects.requireNonNull(spanId, "spanId");
        if (traceId.isBlank() || spanId.isBlank()) {
            throw new IllegalArgumentException("traceId and spanId must not be blank, were '" + traceId + "' and '" + spanId + "'");
        }
    }

    /** @return {@code {"trace_id", "span_id"}} */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("trace_id", traceId);
        n.put("span_id", spanId);
        return n;
    }

    /**
     * @param n an object written by {@link #toJson()}
     * @return the ids
     * @throws IllegalArgumentException if it is not one
     */
    public static AttemptTrace fromJson(JsonNode n) {
        if (n == null || !n.isObject() || !n.path("trace_id").isString() || !n.path("span_id").isString()) {
            throw new IllegalArgumentException("not an attempt trace: " + n);
        }
        return new AttemptTrace(n.get("trace_id").asString(), n.get("span_id").asString());
    }
}
