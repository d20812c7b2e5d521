package dev.stepwise.engine.core.contract;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock tests set and advance by hand (thread-safe). It counts how often it was read, so a
 * test can wait until the engine looked at the time again (e.g. idle workers polling) instead
 * of sleeping.
 */
public final class MutableClock extends Clock {
    private final AtomicReference<Instant> now;
    private final AtomicLong reads = new AtomicLong();

    /** @param start the initial time */
    public MutableClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    /** @param d how far to move time forward */
    public void advance(Duration d) {
        now.updateAndGet(t -> t.plus(d));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }

    @Override
    public Instant instant() {
        reads.incrementAndGet();
        return now.get();
    }

    /** @return how many times {@link #instant()} was called so far */
    public long reads() {
        return reads.get();
    }
}
