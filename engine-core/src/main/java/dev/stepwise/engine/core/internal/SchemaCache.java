package dev.stepwise.engine.core.internal;

import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.stepwise.engine.api.InvalidInputException.Violation;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * JSON Schema (draft 2020-12) checks for one engine: each distinct schema (by canonical
 * content) is compiled once and kept in a bounded least-recently-used cache, so a long-lived
 * engine that meets many recipe versions keeps its most used schemas compiled. Thread-safe.
 */
public final class SchemaCache {
    /** Default most compiled schemas kept per engine. */
    public static final int DEFAULT_MAX_ENTRIES = 1000;

    private static final String META_SCHEMA = "https://json-schema.org/draft/2020-12/schema";

    private final Map<String, Schema> compiled;
    private SchemaRegistry registry; // created at first use: it loads many classes, and most engines never need it
    private Schema meta;

    /** A cache of up to {@link #DEFAULT_MAX_ENTRIES} schemas. */
    public SchemaCache() {
        this(DEFAULT_MAX_ENTRIES);
    }

    /**
     * @param maxEntries most compiled schemas kept (>= 1); the least recently used goes first
     * @throws IllegalArgumentException if less than 1
     */
    public SchemaCache(int maxEntries) {
        if (maxEntries < 1) {
            throw new IllegalArgumentException("maxEntries must be >= 1, was " + maxEntries);
        }
        this.compiled = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Schema> eldest) {
                return size() > maxEntries;
            }
        };
    }

    /**
     * @param schema a would-be JSON Schema
     * @return why it is not a valid draft 2020-12 schema; empty when it is
     */
    public List<String> problemsOf(JsonNode schema) {
        if (!schema.isObject() && !schema.isBoolean()) {
            return List.of("a schema must be a JSON object or boolean, was " + schema.getNodeType());
        }
        return metaSchema().validate(schema).stream().map(SchemaCache::describe).toList();
    }

    /**
     * @param schema a valid schema
     * @param value  a value
     * @return every violation, with its JSON path; empty when the value matches
     */
    public List<Violation> validate(JsonNode schema, JsonNode value) {
        String key = Json.canonical(schema);
        Schema s;
        synchronized (compiled) {
            s = compiled.get(key);
        }
        if (s == null) {
            s = registry().getSchema(schema);
            synchronized (compiled) {
                compiled.put(key, s);
            }
        }
        return violations(s, value);
    }

    /** @return how many compiled schemas the cache holds now */
    public int size() {
        synchronized (compiled) {
            return compiled.size();
        }
    }

    /**
     * @param schema a schema
     * @return whether it is compiled in the cache now (does not count as a use)
     */
    boolean holds(JsonNode schema) {
        String key = Json.canonical(schema);
        synchronized (compiled) {
            return compiled.keySet().contains(key);
        }
    }

    /**
     * @param schema a compiled schema
     * @param value  a value
     * @return every violation of the value, with its JSON path
     */
    static List<Violation> violations(Schema schema, JsonNode value) {
        return schema.validate(value).stream()
                .map(e -> new Violation(jsonPath(e.getInstanceLocation().toString()), e.getMessage()))
                .toList();
    }

    private synchronized SchemaRegistry registry() {
        if (registry == null) {
            registry = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12);
        }
        return registry;
    }

    private synchronized Schema metaSchema() {
        if (meta == null) {
            meta = registry().getSchema(SchemaLocation.of(META_SCHEMA));
        }
        return meta;
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
