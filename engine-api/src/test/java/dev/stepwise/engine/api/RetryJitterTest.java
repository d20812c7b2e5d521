package dev.stepwise.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/** Retry delays: the backoff with its cap, and the full jitter a policy gets by default. */
class RetryJitterTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int DRAWS = 200;

    private static RetryPolicy retryOfStep(String retryJson) {
        Recipe recipe = Recipe.fromJson(JSON.readTree("{\"slug\": \"r\", \"steps\": [{\"key\": \"s\", \"type\": \"t\", \"retry\": "
                + retryJson + "}]}"));
        return recipe.steps().get(0).retry();
    }

    /** A policy and its delay after each failed attempt (1, 2, ...) before jitter. */
    private record Backoff(RetryPolicy policy, List<Long> delaysMs) {
    }

    @Test
    void theDefaultFullJitterDrawsEveryDelayBetweenZeroAndThePolicysDelay() {
        // A recipe's retry without "jitter", and RetryPolicy.exponential, both jitter fully;
        // the delay after failed attempt n is initialDelay * 2^(n-1), capped at maxDelay.
        List<Backoff> cases = List.of(
                new Backoff(retryOfStep("{\"max_attempts\": 7, \"initial_delay_ms\": 1000, \"max_delay_ms\": 20000}"),
                        List.of(1000L, 2000L, 4000L, 8000L, 16000L, 20000L)),
                new Backoff(RetryPolicy.exponential(6, Duration.ofMillis(500)), List.of(500L, 1000L, 2000L, 4000L, 8000L)));
        Random random = new Random(20260301L);
        for (Backoff c : cases) {
            assertTrue(c.policy().jitter(), "full jitter is the default: " + c.policy());
            for (int attempt = 1; attempt < c.policy().maxAttempts(); attempt++) {
                long max = c.delaysMs().get(attempt - 1);
                Set<Long> drawn = new HashSet<>();
                for (int i = 0; i < DRAWS; i++) {
                    long ms = c.policy().delayAfter(attempt, random).toMillis();
                    assertTrue(ms >= 0 && ms <= max, "after attempt " + attempt + ": " + ms + " ms is outside [0, " + max + "] ms");
                    drawn.add(ms);
                }
                assertTrue(drawn.size() > 1, "after attempt " + attempt + " every draw was " + drawn);
            }
        }
    }

    @Test
    void withoutJitterTheDelayIsExactlyTheBackoffUpToItsCap() {
        RetryPolicy none = retryOfStep("{\"max_attempts\": 7, \"initial_delay_ms\": 1000, \"max_delay_ms\": 20000, \"jitter\": \"none\"}");
        assertFalse(none.jitter());
        Random random = new Random(7);
        List<Long> delays = List.of(1000L, 2000L, 4000L, 8000L, 16000L, 20000L);
        for (int attempt = 1; attempt < none.maxAttempts(); attempt++) {
            assertEquals(Duration.ofMillis(delays.get(attempt - 1)), none.delayAfter(attempt, random), "after attempt " + attempt);
        }
    }
}
