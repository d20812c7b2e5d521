package dev.stepwise.engine.core.contract;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits in tests for something observable (a status in the store, a line of output), never for
 * a length of time. The only bound is a hang guard counted in polls: a slow or busy machine
 * makes each poll take longer, so the guard never gets shorter than {@link #GUARD}.
 */
public final class Await {
    /** The pause between two looks. */
    public static final Duration POLL = Duration.ofMillis(10);
    /** Looks before a wait gives up: at least two minutes, far beyond any wait of the tests. */
    public static final int MAX_POLLS = 12_000;
    /** The least time a wait lasts before it gives up ({@link #MAX_POLLS} x {@link #POLL}). */
    public static final Duration GUARD = POLL.multipliedBy(MAX_POLLS);

    private Await() {
    }

    /**
     * Returns once the condition holds.
     *
     * @param what      what is awaited, for the failure message
     * @param condition the condition
     * @throws AssertionError if it still does not hold after {@link #MAX_POLLS} looks
     * @throws InterruptedException if interrupted while waiting
     */
    public static void until(String what, BooleanSupplier condition) throws InterruptedException {
        for (int polls = 0; !condition.getAsBoolean(); polls++) {
            if (polls >= MAX_POLLS) {
                throw new AssertionError("gave up waiting (hang guard of " + MAX_POLLS + " polls) for: " + what);
            }
            Thread.sleep(POLL.toMillis());
        }
    }
}
