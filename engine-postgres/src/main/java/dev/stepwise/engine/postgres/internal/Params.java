package dev.stepwise.engine.postgres.internal;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Named parameter values for a {@link NamedSql}, converted to what the schema stores: instants
 * to {@code timestamptz} (an {@link OffsetDateTime} in UTC), JSON to its text. Strings,
 * numbers, booleans and nulls are kept.
 */
public final class Params {
    private final Map<String, Object> values = new HashMap<>();

    /** @return an empty set of parameters */
    public static Params of() {
        return new Params();
    }

    /**
     * @param name  parameter name
     * @param value a String, Number, Boolean, Instant, JsonNode or null
     * @return this
     */
    public Params set(String name, Object value) {
        values.put(name, convert(value));
        return this;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    Object get(String name) {
        return values.get(name);
    }

    private static Object convert(Object v) {
        if (v == null || v instanceof String || v instanceof Long || v instanceof Integer || v instanceof Boolean) {
            return v;
        }
        if (v instanceof Instant t) {
            return OffsetDateTime.ofInstant(t, ZoneOffset.UTC);
        }
        if (v instanceof JsonNode j) {
            return Codec.json(j);
        }
        throw new IllegalArgumentException("unsupported parameter type " + v.getClass().getName());
    }
}
