package dev.stepwise.engine.core.contract;

import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import dev.stepwise.engine.core.ManifestSchema;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Fake steps and helpers shared by the contract suites. */
public final class Fakes {
    /** A mapper for building test JSON. */
    public static final JsonMapper JSON = JsonMapper.builder().build();

    private Fakes() {
    }

    /**
     * @param json JSON text
     * @return the parsed value
     */
    public static JsonNode json(String json) {
        return JSON.readTree(json);
    }

    /** @return an empty object */
    public static ObjectNode obj() {
        return JSON.createObjectNode();
    }

    /**
     * Asserts a manifest validates against the published schema.
     *
     * @param manifest the manifest
     */
    public static void assertValidManifest(JsonNode manifest) {
        List<String> errors = ManifestSchema.validate(manifest);
        assertEquals(List.of(), errors, () -> "manifest does not validate: " + manifest);
    }

    /** A step that echoes its key, params and the number of earlier outputs, and counts executions. */
    public static final class Echo implements Step {
        private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();

        @Override
        public Object execute(StepContext ctx) {
            executions.computeIfAbsent(ctx.stepKey(), k -> new AtomicInteger()).incrementAndGet();
            ctx.log().info("echo {} attempt {}", ctx.stepKey(), ctx.attempt());
            ObjectNode out = obj();
            out.put("key", ctx.stepKey());
            out.set("params", ctx.params());
            out.put("upstream", ctx.outputs().size());
            return out;
        }

        /** @param key step key @return how many times that step executed */
        public int executions(String key) {
            AtomicInteger n = executions.get(key);
            return n == null ? 0 : n.get();
        }
    }
}
