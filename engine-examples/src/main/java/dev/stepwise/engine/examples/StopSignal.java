package dev.stepwise.engine.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stops the CLI's {@code worker} command gracefully. {@link StepwiseCli#main} uses one that
 * installs a JVM shutdown hook while a worker runs: on SIGINT or SIGTERM the hook requests the
 * stop, waits for the worker to close its engine (running steps finish within the grace period,
 * unfinished jobs are handed back) and ends the JVM with the worker's exit code (0). Tests
 * call {@link #request()} instead.
 */
final class StopSignal {
    /** Beyond the grace period, how long the hook waits for the worker to close before giving up. */
    private static final long HOOK_SLACK_MS = 60_000;

    private final boolean shutdownHook;
    private final CountDownLatch requested = new CountDownLatch(1);
    private volatile CountDownLatch closed;
    private volatile Thread hook;

    StopSignal(boolean shutdownHook) {
        this.shutdownHook = shutdownHook;
    }

    /** @return a signal that a JVM shutdown (Ctrl-C, SIGTERM) triggers while a worker runs */
    static StopSignal onShutdown() {
        return new StopSignal(true);
    }

    /** Asks the worker to stop; it closes its engine gracefully and returns. */
    void request() {
        requested.countDown();
    }

    /** @return whether a stop was requested */
    boolean requested() {
        return requested.getCount() == 0;
    }

    /** @return true once a stop is requested, false after {@code millis} without one */
    boolean await(long millis) throws InterruptedException {
        return requested.await(millis, TimeUnit.MILLISECONDS);
    }

    /** The worker started: install the shutdown hook, if this signal has one. */
    void attach(Duration grace, AtomicInteger exitCode, PrintStream out, PrintStream err) {
        if (!shutdownHook) {
            return;
        }
        CountDownLatch done = new CountDownLatch(1);
        closed = done;
        Thread t = new Thread(() -> {
            request();
            boolean clean;
            try {
                clean = done.await(grace.toMillis() + HOOK_SLACK_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                clean = false;
            }
            if (!clean) {
                err.println("error: the worker did not stop in time; its jobs are recovered when their leases expire");
            }
            out.flush();
            err.flush();
            // The JVM would exit 130/143 after a signal; the shutdown was graceful, so say so.
            Runtime.getRuntime().halt(clean ? exitCode.get() : StepwiseCli.EXIT_FAILED);
        }, "stepwise-shutdown");
        Runtime.getRuntime().addShutdownHook(t);
        hook = t;
    }

    /** The worker closed its engine: release a waiting hook, or remove it. */
    void detach() {
        CountDownLatch done = closed;
        if (done != null) {
            done.countDown();
        }
        Thread t = hook;
        if (t != null) {
            hook = null;
            try {
                Runtime.getRuntime().removeShutdownHook(t);
            } catch (IllegalStateException e) {
                // The JVM is shutting down: the hook is running and ends it.
            }
        }
    }
}
