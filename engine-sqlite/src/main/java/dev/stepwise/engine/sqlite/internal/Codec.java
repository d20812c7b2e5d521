package dev.stepwise.engine.sqlite.internal;

import java.sql.ResultSet;
import java.sql.SQLException;
import dev.stepwise.engine.api.Attempt;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;

/** Conversions between model values and column values (JSON text, epoch milliseconds). */
public final class Codec {
    /**
     * Reads and writes JSON up to 2,000 levels deep: the engine accepts inputs and outputs up to
     * 1,000 levels, and a manifest holds them a few levels below its root (Jackson's own defaults,
     * 500 to read and 1,000 to write, would refuse such a row on the way back).
     */
    private static final int MAX_DEPTH = 2_000;
    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .streamWriteConstraints(StreamWriteConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build()).build();

    private Codec() {
    }

    /**
     * @param node a JSON value
     * @return its JSON text
     */
    public static String json(JsonNode node) {
        return MAPPER.writeValueAsString(node);
    }

    /**
     * @param rs     a row
     * @param column a nullable JSON text column
     * @return the parsed value, or null if the column is null
     * @throws SQLException on a read failure
     */
    public static JsonNode json(ResultSet rs, String column) throws SQLException {
        String text = rs.getString(column);
        return text == null ? null : MAPPER.readTree(text);
    }

    /**
     * @param text JSON text
     * @return the parsed value
     */
    public static JsonNode json(String text) {
        return MAPPER.readTree(text);
    }

    /**
     * @param rs     a row
     * @param column a nullable epoch-millisecond column
     * @return the instant, or null
     * @throws SQLException on a read failure
     */
    public static Instant instant(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(v);
    }

    /**
     * @param attempts a step's attempts
     * @return them as a JSON array (the {@code attempt_log} column)
     */
    public static String attempts(List<Attempt> attempts) {
        if (attempts.isEmpty()) {
            return "[]";
        }
        ArrayNode array = MAPPER.createArrayNode();
        attempts.forEach(a -> array.add(a.toRowJson()));
        return json(array);
    }

    /**
     * @param text an {@code attempt_log} column
     * @return the attempts it holds
     */
    public static List<Attempt> attempts(String text) {
        if (text == null || text.equals("[]")) {
            return List.of();
        }
        List<Attempt> out = new ArrayList<>();
        MAPPER.readTree(text).forEach(n -> out.add(Attempt.fromJson(n)));
        return out;
    }

    /**
     * @param nodes JSON values as strings
     * @return a JSON array of them
     */
    public static String jsonArray(Iterable<String> nodes) {
        var array = MAPPER.createArrayNode();
        nodes.forEach(array::add);
        return json(array);
    }
}
