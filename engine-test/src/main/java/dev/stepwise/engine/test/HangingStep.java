package dev.stepwise.engine.test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A fake step that blocks until the test calls {@link #release()} (made by
 * {@link FakeSteps#hangUntilReleased()}): use it to look at a job while a step is running, to
 * cancel it, to stop workers, or to let a timeout fire. While it waits it stops, as a well-behaved
 * step does, when the job is cancelled ({@code JobCancelledException}) or its thread is interrupted
 * (a timeout, a shutdown). As a guard against a test that never releases it, it fails after
 * {@link #DEFAULT_MAX_HANG} of real time.
 *
 * <pre>{@code
 * HangingStep slow = FakeSteps.hangUntilReleased();
 * // ... run the job on another thread or a worker ...
 * slow.awaitStarted();          // the step is running now
 * slow.release();               // let it finish
 * }</pre>
 */
public final class HangingStep extends FakeStep {
    /** Longest a call waits for {@link #release()} (real time) before it fails: 5 minutes. */
    public static final Duration DEFAULT_MAX_HANG = Duration.ofMinutes(5);
    /** Longest {@link #awaitStarted()} waits (real time): 2 minutes. */
    public static final Duration DEFAULT_AWAIT_STARTED = Duration.ofMinutes(2);
    private static final long POLL_MILLIS = 20;

    private final CountDownLatch released;

    HangingStep(Object output, Duration maxHang) {
        this(output, maxHang, new CountDownLatch(1));
    }

    private HangingStep(Object output, Duration maxHang, CountDownLatch released) {
        super("hangs until released", (ctx, call) -> {
            long deadline = System.nanoTime() + maxHang.toNanos();
            while (!released.await(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                ctx.throwIfCancelled();
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("the hanging step was never released within " + maxHang
                            + "; call release() in the test");
                }
            }
            return output;
        });
        this.released = released;
    }

    /** Lets every waiting and future call return its output. */
    public void release() {
        released.countDown();
    }

    /** @return whether {@link #release()} was called */
    public boolean isReleased() {
        return released.getCount() == 0;
    }

    /**
     * Waits until the step was called at least once (it is then running and blocked), at most
     * {@link #DEFAULT_AWAIT_STARTED}.
     *
     * @throws AssertionError if it was not called in time
     */
    public void awaitStarted() {
        awaitCalls(1, DEFAULT_AWAIT_STARTED);
    }

    /**
     * Waits until the step was called at least {@code n} times.
     *
     * @param n       how many calls to wait for, >= 1
     * @param maxWait the longest to wait (real time)
     * @throws AssertionError if fewer calls came in time
     */
    public void awaitCalls(int n, Duration maxWait) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        long deadline = System.nanoTime() + maxWait.toNanos();
        while (calls() < n) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("expected the hanging step to have been called " + n + " time(s) within "
                        + maxWait + ", but it was called " + calls() + " time(s)");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for the hanging step to start", e);
            }
        }
    }
}
