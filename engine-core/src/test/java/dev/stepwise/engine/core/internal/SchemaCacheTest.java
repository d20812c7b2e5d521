package dev.stepwise.engine.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.InvalidInputException.Violation;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class SchemaCacheTest {
    private static JsonNode json(String s) {
        return Json.MAPPER.readTree(s);
    }

    private static JsonNode requires(String field) {
        return json("{\"type\":\"object\",\"required\":[\"" + field + "\"]}");
    }

    @Test
    void violationsNameTheJsonPathAndAMatchingValueHasNone() {
        SchemaCache cache = new SchemaCache();
        JsonNode schema = json("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"}}}}");
        List<Violation> violations = cache.validate(schema, json("{\"a\":[1,\"x\"]}"));
        assertEquals(1, violations.size(), violations.toString());
        assertEquals("$.a[1]", violations.get(0).path());
        assertEquals(List.of(), cache.validate(schema, json("{\"a\":[1,2]}")));
    }

    @Test
    void equalSchemasAreCompiledOnceWhateverTheirKeyOrder() {
        SchemaCache cache = new SchemaCache();
        cache.validate(json("{\"type\":\"object\",\"required\":[\"a\"]}"), json("{}"));
        cache.validate(json("{\"required\":[\"a\"],\"type\":\"object\"}"), json("{}"));
        assertEquals(1, cache.size());
    }

    @Test
    void aFullCacheDropsTheLeastRecentlyUsedSchema() {
        SchemaCache cache = new SchemaCache(2);
        cache.validate(requires("a"), json("{}"));
        cache.validate(requires("b"), json("{}"));
        cache.validate(requires("a"), json("{}")); // a is now the most recently used
        cache.validate(requires("c"), json("{}"));
        assertEquals(2, cache.size());
        assertTrue(cache.holds(requires("a")));
        assertFalse(cache.holds(requires("b")), "b was the least recently used");
        assertTrue(cache.holds(requires("c")));
        assertEquals(1, cache.validate(requires("b"), json("{}")).size(), "an evicted schema is compiled again");
    }

    @Test
    void problemsOfListsWhyASchemaIsNotValid() {
        SchemaCache cache = new SchemaCache();
        assertEquals(List.of(), cache.problemsOf(requires("a")));
        assertFalse(cache.problemsOf(json("{\"type\":\"no-such-type\"}")).isEmpty());
        assertEquals(List.of("a schema must be a JSON object or boolean, was NUMBER"), cache.problemsOf(json("1")));
    }

    @Test
    void aCacheHoldsAtLeastOneSchema() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SchemaCache(0));
        assertEquals("maxEntries must be >= 1, was 0", e.getMessage());
    }
}
