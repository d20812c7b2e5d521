package dev.stepwise.engine.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that moves only when the test says: give it to the engine
 * ({@code JobEngine.builder(store).clock(clock)}, or use {@link TestEngine}, which does) and
 * {@link #advance(Duration)} it to test leases, run-at times and backoff without sleeping.
 * Thread-safe; always UTC. It counts its reads, so a test can wait until the engine looked at the
 * time again (e.g. idle workers polling) instead of sleeping.
 *
 * <p>The engine waits for a step's retry on this clock: under {@code engine.run(jobId)} a retry
 * with a delay waits until the test advances the clock past it (from another thread). Give
 * the recipe's retry policy {@code initialDelay(Duration.ZERO)} to retry at once.
 */
public final class TestClock extends Clock {
    /** Where {@link #TestClock()} starts: 2026-01-01T00:00:00Z. */
    public static final Instant DEFAULT_START = Instant.parse("2026-01-01T00:00:00Z");

    private final AtomicReference<Instant> now;
    private final AtomicLong reads = new AtomicLong();

    /** A clock at {@link #DEFAULT_START}. */
    public TestClock() {
        this(DEFAULT_START);
    }

    /**
     * @param start the initial time
     */
    public TestClock(Instant start) {
        this.now = new AtomicReference<>(Objects.requireNonNull(start, "start"));
    }

    /**
     * @param start the initial time, ISO-8601 (e.g. {@code 2026-01-01T09:00:00Z})
     * @return a clock at that time
     */
    public static TestClock at(String start) {
        return new TestClock(Instant.parse(start));
    }

    /**
     * Moves time forward.
     *
     * @param duration how far, not negative
     * @return the new time
     * @throws IllegalArgumentException if {@code duration} is negative (time never goes back)
     */
    public Instant advance(Duration duration) {
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative()) {
            throw new IllegalArgumentException("duration must be >= 0, was " + duration + "; time never goes back");
        }
        return now.updateAndGet(t -> t.plus(duration));
    }

    /**
     * Sets the time.
     *
     * @param instant the new time, not before the current one
     * @throws IllegalArgumentException if {@code instant} is before the current time
     */
    public void set(Instant instant) {
        Objects.requireNonNull(instant, "instant");
        now.updateAndGet(t -> {
            if (instant.isBefore(t)) {
                throw new IllegalArgumentException("cannot set the clock back from " + t + " to " + instant);
            }
            return instant;
        });
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    /**
     * @param zone ignored
     * @return this clock (always UTC)
     */
    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        reads.incrementAndGet();
        return now.get();
    }

    /** @return how many times {@link #instant()} (or {@link #millis()}) was called so far */
    public long reads() {
        return reads.get();
    }

    @Override
    public String toString() {
        return "TestClock[" + now.get() + "]";
    }
}
