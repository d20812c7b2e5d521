package dev.stepwise.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class RecipeJsonTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static Recipe recipe(String steps) {
        return Recipe.fromJson(JSON.readTree("{\"slug\": \"r\", \"steps\": " + steps + "}"));
    }

    @Test
    void anAbsentTimeoutReadsAsNoneAndIsLeftOutWhenWritten() {
        Recipe r = recipe("[{\"key\": \"a\", \"type\": \"t\"}, {\"key\": \"b\", \"type\": \"t\", \"timeout_ms\": null}]");
        assertEquals(StepTimeout.NONE, r.step("a").timeout());
        assertEquals(StepTimeout.NONE, r.step("b").timeout());
        for (JsonNode step : r.toJson().get("steps")) {
            assertFalse(step.has("timeout_ms"), step.toString());
        }
    }

    @Test
    void aTimeoutInMillisecondsRoundTrips() {
        Recipe r = recipe("[{\"key\": \"a\", \"type\": \"t\", \"timeout_ms\": 60000}]");
        assertEquals(StepTimeout.of(Duration.ofMinutes(1)), r.step("a").timeout());
        assertEquals(60000L, r.toJson().get("steps").get(0).get("timeout_ms").asLong());
        assertEquals(r, Recipe.fromJson(r.toJson()));
    }

    @Test
    void aZeroTimeoutIsRejectedNamingTheStep() {
        assertEquals("timeout of step 'a' must be positive, was PT0S", assertThrows(IllegalArgumentException.class,
                () -> recipe("[{\"key\": \"a\", \"type\": \"t\", \"timeout_ms\": 0}]")).getMessage());
    }

    @Test
    void anEmptyRetryTakesTheBuildersDefaults() {
        Recipe r = recipe("[{\"key\": \"a\", \"type\": \"t\", \"retry\": {}}]");
        assertEquals(RetryPolicy.builder().build(), r.step("a").retry());
        assertEquals(r, Recipe.fromJson(r.toJson()));
    }

    @Test
    void aRetryReadsEveryMemberAndALongInitialDelayRaisesTheDefaultCap() {
        Recipe r = recipe("[{\"key\": \"a\", \"type\": \"t\", \"retry\": {\"max_attempts\": 5, \"initial_delay_ms\": 100,"
                + " \"multiplier\": 3.0, \"max_delay_ms\": 900, \"jitter\": \"none\", \"non_retryable\": [\"java.lang.Error\"]}},"
                + " {\"key\": \"b\", \"type\": \"t\", \"retry\": {\"initial_delay_ms\": 120000}}]");
        assertEquals(new RetryPolicy(5, Duration.ofMillis(100), 3.0, Duration.ofMillis(900), false, List.of("java.lang.Error")),
                r.step("a").retry());
        assertEquals(Duration.ofMinutes(2), r.step("b").retry().maxDelay());
        assertEquals(RetryPolicy.NONE, recipe("[{\"key\": \"c\", \"type\": \"t\"}]").step("c").retry());
    }
}
