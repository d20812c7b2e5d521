package dev.stepwise.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    @Test
    void theBuilderStartsAtTheNamedDefaults() {
        RetryPolicy p = RetryPolicy.builder().build();
        assertEquals(new RetryPolicy(RetryPolicy.DEFAULT_MAX_ATTEMPTS, RetryPolicy.DEFAULT_INITIAL_DELAY,
                RetryPolicy.DEFAULT_MULTIPLIER, RetryPolicy.DEFAULT_MAX_DELAY, RetryPolicy.DEFAULT_JITTER, List.of()), p);
        assertEquals(3, p.maxAttempts());
        assertEquals(Duration.ofSeconds(1), p.initialDelay());
        assertEquals(2.0, p.multiplier());
        assertEquals(Duration.ofSeconds(60), p.maxDelay());
        assertEquals(true, p.jitter());
    }

    @Test
    void theDefaultCapIsTheInitialDelayWhenThatIsLonger() {
        assertEquals(Duration.ofMinutes(2), RetryPolicy.builder().initialDelay(Duration.ofMinutes(2)).build().maxDelay());
        assertEquals(Duration.ofSeconds(5),
                RetryPolicy.builder().initialDelay(Duration.ofSeconds(5)).maxDelay(Duration.ofSeconds(5)).build().maxDelay());
    }

    @Test
    void exponentialKeepsItsShape() {
        assertEquals(new RetryPolicy(4, Duration.ofMillis(10), 2.0, Duration.ofSeconds(1), true, List.of()),
                RetryPolicy.exponential(4, Duration.ofMillis(10)));
    }

    @Test
    void outOfRangeSettingsAreRejectedAtBuild() {
        assertEquals("maxAttempts must be >= 1, was 0",
                assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().maxAttempts(0).build()).getMessage());
        assertEquals("multiplier must be >= 1, was 0.5",
                assertThrows(IllegalArgumentException.class, () -> RetryPolicy.builder().multiplier(0.5).build()).getMessage());
        assertEquals("maxDelay must be >= initialDelay (PT1S), was PT0.5S",
                assertThrows(IllegalArgumentException.class,
                        () -> RetryPolicy.builder().maxDelay(Duration.ofMillis(500)).build()).getMessage());
    }

    @Test
    void aRetryAfterLongerThanThePolicyDelayWinsAndAShorterOneDoesNot() {
        RetryPolicy p = RetryPolicy.builder().initialDelay(Duration.ofSeconds(2)).jitter(false).build();
        java.util.Random r = new java.util.Random(1);
        assertEquals(Duration.ofSeconds(30), p.delayAfter(1,
                new RetryableStepException("429 rate limited", Duration.ofSeconds(30), null), r));
        assertEquals(Duration.ofSeconds(2), p.delayAfter(1,
                new RetryableStepException("429 rate limited", Duration.ofMillis(10), null), r));
        assertEquals(Duration.ofSeconds(4), p.delayAfter(2, new RetryableStepException("overloaded", null), r));
        assertEquals(Duration.ofSeconds(2), p.delayAfter(1, new IllegalStateException("boom"), r));
        assertEquals("retryAfter must not be negative, got PT-1S", assertThrows(IllegalArgumentException.class,
                () -> new RetryableStepException("x", Duration.ofSeconds(-1), null)).getMessage());
    }
}
