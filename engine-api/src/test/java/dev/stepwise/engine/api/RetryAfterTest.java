package dev.stepwise.engine.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetryAfterTest {
    private static final Clock NOW = Clock.fixed(Instant.parse("2026-12-02T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void secondsAnHttpDateAndMillisAreReadAndCappedAtAnHour() {
        assertEquals(Optional.of(Duration.ofSeconds(30)), RetryAfter.parse(" 30 ", NOW));
        assertEquals(Optional.of(Duration.ofMillis(1500)), RetryAfter.parse("1.5", NOW));
        assertEquals(Optional.of(Duration.ofSeconds(90)), RetryAfter.parse("Wed, 02 Dec 2026 10:01:30 GMT", NOW));
        assertEquals(Optional.of(Duration.ZERO), RetryAfter.parse("Wed, 02 Dec 2026 09:00:00 GMT", NOW), "a date in the past");
        assertEquals(Optional.of(RetryAfter.MAX), RetryAfter.parse("86400", NOW));
        assertEquals(Optional.of(Duration.ofMillis(250)), RetryAfter.parseMillis("250"));
    }

    @Test
    void absentNegativeOrUnreadableValuesAskForNothing() {
        for (String v : new String[] {null, "", "  ", "-5", "soon", "NaN", "Infinity"}) {
            assertFalse(RetryAfter.parse(v, NOW).isPresent(), v);
            assertFalse(RetryAfter.parseMillis(v).isPresent(), v);
        }
    }

    @Test
    void theRedactorMasksItsSecretAndNeverShowsIt() {
        Redactor r = new Redactor("sk-test-123");
        assertEquals("bad key *** (***)", r.redact("bad key sk-test-123 (sk-test-123)"));
        assertEquals(null, r.redact(null));
        assertEquals("Redactor[***]", r.toString());
        assertEquals("the secret must not be blank",
                assertThrows(IllegalArgumentException.class, () -> new Redactor(" ")).getMessage());
    }
}
