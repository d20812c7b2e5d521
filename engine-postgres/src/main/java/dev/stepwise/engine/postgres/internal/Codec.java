package dev.stepwise.engine.postgres.internal;

import dev.stepwise.engine.api.Attempt;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamWriteConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Conversions between model values and column values (JSON text, {@code timestamptz}). */
public final class Codec {
    /**
     * Reads and writes JSON up to 2,000 levels deep: the engine accepts inputs and outputs up to
     * 1,000 levels, and a manifest holds them a few levels below its root.
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
     * @param text JSON text
     * @return the parsed value
     */
    public static JsonNode json(String text) {
        return MAPPER.readTree(text);
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
     * @param rs     a row
     * @param column a nullable {@code timestamptz} column
     * @return the instant, or null
     * @throws SQLException on a read failure
     */
    public static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime v = rs.getObject(column, OffsetDateTime.class);
        return v == null ? null : v.toInstant();
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
     * @param values strings
     * @return a JSON array of them
     */
    public static String jsonArray(Iterable<String> values) {
        ArrayNode array = MAPPER.createArrayNode();
        values.forEach(array::add);
        return json(array);
    }

    /**
     * @param limits per recipe slug, a limit
     * @return a JSON object of them
     */
    public static String jsonObject(Map<String, Integer> limits) {
        ObjectNode object = MAPPER.createObjectNode();
        limits.forEach(object::put);
        return json(object);
    }

    /**
     * @param steps step rows
     * @return their columns as a JSON array of objects, for {@code json_to_recordset} (the
     *         output and attempt log as JSON text, instants as ISO-8601 strings)
     */
    public static String steps(List<JobStep> steps) {
        ArrayNode array = MAPPER.createArrayNode();
        for (JobStep st : steps) {
            ObjectNode o = array.addObject();
            o.put("id", st.id());
            o.put("job_id", st.jobId());
            o.put("step_key", st.stepKey());
            o.put("step_order", st.stepOrder());
            o.put("step_type", st.stepType());
            o.put("input_hash", st.inputHash());
            o.put("status", st.status().value());
            o.put("output_refs", st.outputRefs() == null ? null : json(st.outputRefs()));
            o.put("attempts", st.attempts());
            o.put("duration_ms", st.durationMs());
            o.put("started_at", iso(st.startedAt()));
            o.put("completed_at", iso(st.completedAt()));
            o.put("error", st.error());
            o.put("skip_reason", st.skipReason());
            o.put("interruptions", st.interruptions());
            o.put("attempt_log", attempts(st.attemptLog()));
            o.put("cached_from", st.cachedFrom());
            o.put("cacheable", st.cacheable());
        }
        return json(array);
    }

    /**
     * @param logs log lines with their cursors (0: numbered by the store)
     * @return their columns as a JSON array of objects, in order, for {@code json_to_recordset};
     *         {@code unnumbered} is a line's rank among those with cursor 0 (1, 2, ...), else 0
     */
    public static String logs(List<LogEntry> logs) {
        ArrayNode array = MAPPER.createArrayNode();
        long unnumbered = 0;
        for (LogEntry e : logs) {
            ObjectNode o = array.addObject();
            o.put("job_id", e.jobId());
            o.put("cursor", e.cursor());
            o.put("unnumbered", e.cursor() == 0 ? ++unnumbered : 0);
            o.put("step_key", e.stepKey());
            o.put("attempt", e.attempt());
            o.put("at", iso(e.at()));
            o.put("level", e.level().value());
            o.put("message", e.message());
        }
        return json(array);
    }

    private static String iso(Instant t) {
        return t == null ? null : t.toString();
    }
}
