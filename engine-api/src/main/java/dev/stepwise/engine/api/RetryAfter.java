package dev.stepwise.engine.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;

/**
 * Reads how long an outside service asked a step to wait before calling again: an HTTP
 * {@code Retry-After} value (RFC 9110: delay-seconds or an HTTP-date) or a {@code retry-after-ms}
 * value (Anthropic's). A step that calls such a service passes the result to
 * {@link RetryableStepException}; shared by the provider modules.
 */
public final class RetryAfter {
    /** The longest wait honoured: a service asking for more is capped (the policy still decides attempts). */
    public static final Duration MAX = Duration.ofHours(1);

    private RetryAfter() {
    }

    /**
     * @param value a {@code Retry-After} header value, or null
     * @param clock the clock an HTTP-date is measured against
     * @return the wait it asks for (zero for a date in the past), or empty if absent or unreadable
     */
    public static Optional<Duration> parse(String value, Clock clock) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        String v = value.trim();
        try {
            double seconds = Double.parseDouble(v);
            if (Double.isNaN(seconds) || Double.isInfinite(seconds) || seconds < 0) {
                return Optional.empty();
            }
            return Optional.of(cap(Duration.ofMillis((long) Math.ceil(seconds * 1000))));
        } catch (NumberFormatException notSeconds) {
            try {
                Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
                Duration d = Duration.between(clock.instant(), at);
                return Optional.of(cap(d.isNegative() ? Duration.ZERO : d));
            } catch (DateTimeParseException notADate) {
                return Optional.empty();
            }
        }
    }

    /**
     * @param value a {@code retry-after-ms} header value, or null
     * @return the wait it asks for, or empty if absent or unreadable
     */
    public static Optional<Duration> parseMillis(String value) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            double ms = Double.parseDouble(value.trim());
            if (Double.isNaN(ms) || Double.isInfinite(ms) || ms < 0) {
                return Optional.empty();
            }
            return Optional.of(cap(Duration.ofMillis((long) Math.ceil(ms))));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Duration cap(Duration d) {
        return d.compareTo(MAX) > 0 ? MAX : d;
    }
}
