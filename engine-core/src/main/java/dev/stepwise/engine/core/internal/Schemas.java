package dev.stepwise.engine.core.internal;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.stepwise.engine.api.InvalidInputException.Violation;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.databind.JsonNode;

/** JSON Schema (draft 2020-12) checks: schemas are compiled once per distinct content. */
public final class Schemas {
    private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
    private static final Schema META = REGISTRY.getSchema(SchemaLocation.of("https://json-schema.org/draft/2020-12/schema"));
    private static final Map<String, Schema> COMPILED = new ConcurrentHashMap<>();
    private static final int MAX_CACHED = 1000;

    private Schemas() {
    }

    /**
     * @param schema a would-be JSON Schema
     * @return why it is not a valid draft 2020-12 schema; empty when it is
     */
    public static List<String> problemsOf(JsonNode schema) {
        if (!schema.isObject() && !schema.isBoolean()) {
            return List.of("a schema must be a JSON object or boolean, was " + schema.getNodeType());
        }
        return META.validate(schema).stream().map(Schemas::describe).toList();
    }

    /**
     * @param schema a valid schema
     * @param value  a value
     * @return every violation, with its JSON path; empty when the value matches
     */
    public static List<Violation> validate(JsonNode schema, JsonNode value) {
        String key = Json.canonical(schema);
        Schema compiled = COMPILED.get(key);
        if (compiled == null) {
            compiled = REGISTRY.getSchema(schema);
            if (COMPILED.size() < MAX_CACHED) {
                COMPILED.put(key, compiled);
            }
        }
        return compiled.validate(value).stream()
                .map(e -> new Violation(jsonPath(e.getInstanceLocation().toString()), e.getMessage()))
                .toList();
    }

    private static String describe(Error e) {
        return jsonPath(e.getInstanceLocation().toString()) + ": " + e.getMessage();
    }

    /** networknt writes instance locations as JSON pointers ({@code /a/0}); show {@code $.a[0]}. */
    static String jsonPath(String pointer) {
        if (pointer == null || pointer.isEmpty() || pointer.equals("/")) {
            return "$";
        }
        if (pointer.startsWith("$")) {
            return pointer;
        }
        StringBuilder out = new StringBuilder("$");
        for (String part : pointer.substring(1).split("/", -1)) {
            String p = part.replace("~1", "/").replace("~0", "~");
            if (!p.isEmpty() && p.chars().allMatch(Character::isDigit)) {
                out.append('[').append(p).append(']');
            } else {
                out.append('.').append(p);
            }
        }
        return out.toString();
    }
}
