package dev.stepwise.engine.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class JsonTest {
    private static JsonNode json(String s) {
        return Json.MAPPER.readTree(s);
    }

    @Test
    void canonicalJsonSortsKeysAtEveryDepthAndDropsWhitespace() {
        assertEquals("{\"a\":[{\"x\":1,\"y\":2}],\"b\":\"s\"}",
                Json.canonical(json("{ \"b\" : \"s\", \"a\": [ {\"y\":2, \"x\":1} ] }")));
        assertEquals(Json.canonical(json("{\"a\":1,\"b\":{\"c\":2,\"d\":3}}")),
                Json.canonical(json("{\"b\":{\"d\":3,\"c\":2},\"a\":1}")));
        assertEquals("[3,1,2]", Json.canonical(json("[3,1,2]")), "array order is significant");
        assertEquals("{\"n\":1.5,\"t\":\"\\\"q\\\"\",\"z\":null}", Json.canonical(json("{\"z\":null,\"t\":\"\\\"q\\\"\",\"n\":1.50}")));
    }

    @Test
    void sha256IsTheStandardDigest() {
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Json.sha256("abc"));
    }

    private static String hash(String key, String type, String version, String params, String input, Map<String, JsonNode> up) {
        return Json.inputHash(key, type, version, json(params), json(input), up);
    }

    @Test
    void theInputHashChangesWithEachIngredientAndOnlyWithThem() {
        Map<String, JsonNode> up = new LinkedHashMap<>();
        up.put("a", json("{\"n\":1}"));
        String base = hash("s", "t", "1", "{\"p\":1}", "{\"i\":1}", up);
        assertEquals(64, base.length());
        assertEquals(base, hash("s", "t", "1", "{\"p\":1}", "{\"i\":1}", Map.of("a", json("{\"n\":1}"))), "stable");
        assertEquals(base, hash("s", "t", "1", "{ \"p\" : 1 }", "{\"i\":1}", up), "whitespace is not significant");
        assertNotEquals(base, hash("s2", "t", "1", "{\"p\":1}", "{\"i\":1}", up), "step key");
        assertNotEquals(base, hash("s", "t2", "1", "{\"p\":1}", "{\"i\":1}", up), "step type");
        assertNotEquals(base, hash("s", "t", "2", "{\"p\":1}", "{\"i\":1}", up), "step version");
        assertNotEquals(base, hash("s", "t", "1", "{\"p\":2}", "{\"i\":1}", up), "params");
        assertNotEquals(base, hash("s", "t", "1", "{\"p\":1}", "{\"i\":2}", up), "job input");
        assertNotEquals(base, hash("s", "t", "1", "{\"p\":1}", "{\"i\":1}", Map.of("a", json("{\"n\":2}"))), "upstream output");
        assertNotEquals(base, hash("s", "t", "1", "{\"p\":1}", "{\"i\":1}", Map.of()), "upstream set");
    }

    @Test
    void theHashFromCanonicalPartsEqualsTheHashFromValues() {
        Map<String, JsonNode> up = new LinkedHashMap<>();
        up.put("zeta", json("{\"b\":[1,2.50,{\"y\":null,\"x\":\"é\"}]}"));
        up.put("alpha", json("\"text \\\"quoted\\\"\""));
        JsonNode params = json("{\"p\":{\"q\":1}}");
        JsonNode input = json("{\"file\":\"a b.txt\",\"n\":3}");
        Map<String, String> canon = new LinkedHashMap<>();
        up.forEach((k, v) -> canon.put(k, Json.canonical(v)));
        assertEquals(Json.inputHash("s\"1", "t", "2", params, input, up),
                Json.inputHashOfCanonical("s\"1", "t", "2", Json.canonical(params), Json.canonical(input), canon, null));
        assertEquals(Json.inputHash("s", "t", "1", params, input, Map.of()),
                Json.inputHashOfCanonical("s", "t", "1", Json.canonical(params), Json.canonical(input), Map.of(), null));
    }

    @Test
    void aCacheableStepsHashCoversTheConfigAsOneMoreMemberOfTheCanonicalObject() {
        JsonNode params = json("{\"p\":1}");
        JsonNode input = json("{\"topic\":\"tides\"}");
        JsonNode config = json("{\"providers\":{\"speech\":{\"type\":\"tone\"}},\"voices\":{}}");
        tools.jackson.databind.node.ObjectNode root = Json.object();
        root.set("config", config);
        root.set("input", input);
        root.put("key", "speech");
        root.set("params", params);
        root.put("type", "speech");
        root.putObject("upstream");
        root.put("version", "1");
        String withConfig = Json.inputHashOfCanonical("speech", "speech", "1", Json.canonical(params), Json.canonical(input),
                Map.of(), Json.canonical(config));
        assertEquals(Json.sha256(Json.canonical(root)), withConfig);
        String otherConfig = Json.inputHashOfCanonical("speech", "speech", "1", Json.canonical(params), Json.canonical(input),
                Map.of(), Json.canonical(json("{\"providers\":{\"speech\":{\"type\":\"espeak\"}},\"voices\":{}}")));
        assertNotEquals(withConfig, otherConfig);
        assertNotEquals(withConfig, Json.inputHash("speech", "speech", "1", params, input, Map.of()));
    }

    @Test
    void idsAreTimeOrderedAndUniqueWithinOneMillisecond() {
        Ids ids = new Ids();
        java.time.Instant t = java.time.Instant.parse("2026-01-01T00:00:00Z");
        String prev = ids.next(t);
        java.util.Set<String> seen = new java.util.HashSet<>();
        seen.add(prev);
        for (int i = 0; i < 10_000; i++) {
            String next = ids.next(i < 5000 ? t : t.plusMillis(1));
            assertEquals(26, next.length());
            assertEquals(1, Integer.signum(next.compareTo(prev)), "ids increase: " + prev + " then " + next);
            seen.add(next);
            prev = next;
        }
        assertEquals(10_001, seen.size());
        assertEquals(-1, Integer.signum(ids.next(t).compareTo(new Ids().next(t.plusSeconds(1)))), "later time sorts later");
    }
}
