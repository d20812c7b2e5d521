package dev.stepwise.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class StepDefinitionTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static JsonNode json(String s) {
        return JSON.readTree(s);
    }

    @Test
    void aStepBuiltWithOnlyKeyAndTypeHasTheNamedDefaults() {
        StepDefinition def = StepDefinition.builder("read", "read-file").build();
        assertEquals(json("{}"), def.params());
        assertEquals(StepTimeout.NONE, def.timeout());
        assertEquals(Optional.empty(), def.timeout().limit());
        assertNull(def.outputSchema());
        assertEquals(List.of(), def.dependsOn());
        assertEquals(RetryPolicy.NONE, def.retry());
        assertEquals(def, StepDefinition.of("read", "read-file"));
    }

    @Test
    void theBuilderSetsEverySetting() {
        RetryPolicy retry = RetryPolicy.builder().maxAttempts(5).build();
        StepDefinition def = StepDefinition.builder("report", "write-report")
                .params(json("{\"top\": 10}"))
                .timeout(Duration.ofSeconds(30))
                .outputSchema(json("{\"type\": \"object\"}"))
                .dependsOn("read", "count")
                .retry(retry)
                .build();
        assertEquals(json("{\"top\": 10}"), def.params());
        assertEquals(new StepTimeout.Explicit(Duration.ofSeconds(30)), def.timeout());
        assertEquals(Optional.of(Duration.ofSeconds(30)), def.timeout().limit());
        assertEquals(json("{\"type\": \"object\"}"), def.outputSchema());
        assertEquals(List.of("read", "count"), def.dependsOn());
        assertEquals(retry, def.retry());
        assertEquals(def, def.toBuilder().build());
    }

    @Test
    void copiesChangeOnlyTheirSetting() {
        StepDefinition def = StepDefinition.builder("b", "t").params(json("{\"x\": 1}")).build();
        StepDefinition copy = def.withDependsOn("a").withTimeout(Duration.ofMillis(200)).withRetry(RetryPolicy.exponential(2,
                Duration.ofMillis(10)));
        assertEquals(json("{\"x\": 1}"), copy.params());
        assertEquals(List.of("a"), copy.dependsOn());
        assertEquals(StepTimeout.of(Duration.ofMillis(200)), copy.timeout());
        assertEquals(2, copy.retry().maxAttempts());
    }

    @Test
    void aTimeoutThatIsNotPositiveIsRejectedNamingTheStep() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> StepDefinition.builder("nap", "sleepy").timeout(Duration.ZERO));
        assertEquals("timeout of step 'nap' must be positive, was PT0S", e.getMessage());
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> StepTimeout.of(Duration.ofMillis(-1)));
        assertEquals("a step timeout must be positive, was PT-0.001S", negative.getMessage());
    }

    @Test
    void anAbsentTimeoutIsNoneNeverNull() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> new StepDefinition("s", "t", null, null, null, List.of(), RetryPolicy.NONE, List.of(), false));
        assertEquals("timeout (use StepTimeout.NONE for no limit)", e.getMessage());
        NullPointerException retry = assertThrows(NullPointerException.class,
                () -> new StepDefinition("s", "t", null, StepTimeout.NONE, null, List.of(), null, List.of(), false));
        assertEquals("retry (use RetryPolicy.NONE for one attempt)", retry.getMessage());
    }

    @Test
    void invalidDefinitionsAreRejectedWithTheReason() {
        assertEquals("step key 'a b' is invalid: use 1-64 letters, digits, '-', '_' or '.'",
                assertThrows(IllegalArgumentException.class, () -> StepDefinition.of("a b", "t")).getMessage());
        assertEquals("step 's' has a blank type",
                assertThrows(IllegalArgumentException.class, () -> StepDefinition.of("s", " ")).getMessage());
        assertEquals("params of step 's' must be a JSON object, was ARRAY",
                assertThrows(IllegalArgumentException.class,
                        () -> StepDefinition.builder("s", "t").params(json("[1]")).build()).getMessage());
        assertEquals("step 's' depends on itself",
                assertThrows(IllegalArgumentException.class,
                        () -> StepDefinition.builder("s", "t").dependsOn("s").build()).getMessage());
        assertTrue(StepDefinition.builder("s", "t").outputSchema(json("null")).build().outputSchema() == null,
                "a JSON null schema reads as none");
    }
}
