package dev.stepwise.engine.postgres.internal;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far the database's clock is ahead of the engine's clock, so that the store keeps leases
 * and due times on the database's clock while the engine speaks in its own. Measured when the
 * store opens (the engine's clock read before and after one {@code SELECT clock_timestamp()},
 * the midpoint compared; an offset within {@link #TOLERANCE} counts as zero: such clocks agree)
 * and measured again every {@link #RECHECK}; a new measurement replaces
 * the offset only when it differs by more than {@link #TOLERANCE}, so the instants the store
 * hands out round-trip exactly while the clocks agree.
 *
 * <p>Converting is a shift: {@code database = engine + offset}. Everything one store compares
 * is shifted alike, so its own comparisons are the engine's; what changes is how its instants
 * line up with another process's: a machine whose clock is minutes ahead gets an offset minutes
 * negative, and its "now" lands on the database's now, not minutes after the other runners'
 * leases.
 */
public final class ClockOffset {
    private static final Logger LOG = LoggerFactory.getLogger(ClockOffset.class);
    /** How often the offset is measured again. */
    public static final Duration RECHECK = Duration.ofMinutes(1);
    /** A new measurement within this of the current offset changes nothing. */
    public static final Duration TOLERANCE = Duration.ofSeconds(1);

    /**
     * Reads the database's clock.
     */
    @FunctionalInterface
    public interface DatabaseClock {
        /** @return the database's current time */
        Instant read();
    }

    private final Clock engineClock;
    private final DatabaseClock database;
    private volatile Duration offset;
    private volatile long nextCheckNanos;

    /**
     * Measures the offset once.
     *
     * @param engineClock the engine's clock
     * @param database    the database's clock
     */
    public ClockOffset(Clock engineClock, DatabaseClock database) {
        this.engineClock = engineClock;
        this.database = database;
        this.offset = measure();
        this.nextCheckNanos = System.nanoTime() + RECHECK.toNanos();
        if (offset.abs().compareTo(TOLERANCE) > 0) {
            LOG.warn("the engine's clock is {} ms {} the database's; leases and due times use the database's clock",
                    offset.abs().toMillis(), offset.isNegative() ? "ahead of" : "behind");
        }
    }

    private Duration measure() {
        Instant before = engineClock.instant();
        Instant db = database.read();
        Instant after = engineClock.instant();
        Instant engine = before.plus(Duration.between(before, after).dividedBy(2));
        Duration measured = Duration.ofMillis(Duration.between(engine, db).toMillis());
        // Clocks within the tolerance agree: every such process converts by exactly zero, so
        // measurement noise (a round trip on a busy machine) never makes "due now" differ between them.
        return measured.abs().compareTo(TOLERANCE) <= 0 ? Duration.ZERO : measured;
    }

    /** @return the current offset (database minus engine) */
    public Duration offset() {
        return offset;
    }

    /**
     * Measures the offset again if {@link #RECHECK} passed since the last measurement (called by
     * the store before a claim, outside any transaction). A failed measurement keeps the offset.
     */
    public void recheckIfDue() {
        if (System.nanoTime() - nextCheckNanos >= 0) {
            nextCheckNanos = System.nanoTime() + RECHECK.toNanos();
            try {
                Duration fresh = measure();
                if (fresh.minus(offset).abs().compareTo(TOLERANCE) > 0) {
                    LOG.warn("the engine's clock moved against the database's: offset {} ms, was {} ms", fresh.toMillis(),
                            offset.toMillis());
                    offset = fresh;
                }
            } catch (RuntimeException e) {
                LOG.debug("measuring the clock offset failed; keeping {} ms: {}", offset.toMillis(), e.toString());
                nextCheckNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            }
        }
    }

    /**
     * @param engineTime an instant on the engine's clock, or null
     * @return the same moment on the database's clock, or null
     */
    public Instant toDatabase(Instant engineTime) {
        return engineTime == null ? null : engineTime.plus(offset);
    }

    /**
     * @param databaseTime an instant on the database's clock, or null
     * @return the same moment on the engine's clock, or null
     */
    public Instant toEngine(Instant databaseTime) {
        return databaseTime == null ? null : databaseTime.minus(offset);
    }
}
