package dev.stepwise.engine.api;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * How a failed step is retried automatically: up to {@code maxAttempts} executions in all,
 * waiting {@code initialDelay * multiplier^(n-1)} (capped at {@code maxDelay}) before the
 * n-th retry, with full jitter by default (a random wait between 0 and that delay, so a burst
 * of failures does not retry in lockstep). Exceptions whose class (or a superclass) is named
 * in {@code nonRetryable}, and {@link PermanentStepException}, are never retried.
 *
 * <p>In JSON ({@code "retry"} on a step): {@code {"max_attempts": 3, "initial_delay_ms": 1000,
 * "multiplier": 2.0, "max_delay_ms": 60000, "jitter": "full", "non_retryable":
 * ["java.lang.IllegalArgumentException"]}}.
 *
 * @param maxAttempts  executions in all, >= 1 (1 = no retry)
 * @param initialDelay wait before the first retry, >= 0
 * @param multiplier   growth of the wait per retry, >= 1
 * @param maxDelay     cap of the wait, >= initialDelay
 * @param jitter       whether waits are drawn uniformly from 0 to the computed delay
 * @param nonRetryable fully qualified exception class names that fail at once
 */
public record RetryPolicy(int maxAttempts, Duration initialDelay, double multiplier, Duration maxDelay, boolean jitter,
        List<String> nonRetryable) {

    /** No automatic retry: one attempt. */
    public static final RetryPolicy NONE = new RetryPolicy(1, Duration.ZERO, 1.0, Duration.ZERO, false, List.of());

    /** Validates the policy. */
    public RetryPolicy {
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
        }
        if (initialDelay.isNegative()) {
            throw new IllegalArgumentException("initialDelay must be >= 0, was " + initialDelay);
        }
        if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
            throw new IllegalArgumentException("multiplier must be >= 1, was " + multiplier);
        }
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new IllegalArgumentException("maxDelay must be >= initialDelay (" + initialDelay + "), was " + maxDelay);
        }
        nonRetryable = nonRetryable == null ? List.of() : List.copyOf(nonRetryable);
    }

    /**
     * @param maxAttempts  executions in all
     * @param initialDelay wait before the first retry
     * @return exponential backoff (multiplier 2, cap 100 x initialDelay) with full jitter
     */
    public static RetryPolicy exponential(int maxAttempts, Duration initialDelay) {
        return new RetryPolicy(maxAttempts, initialDelay, 2.0, initialDelay.multipliedBy(100), true, List.of());
    }

    /**
     * The wait before the next attempt.
     *
     * @param failedAttempt the attempt that just failed (1 for the first)
     * @param random        the source of jitter
     * @return the wait
     */
    public Duration delayAfter(int failedAttempt, Random random) {
        double base = initialDelay.toMillis() * Math.pow(multiplier, Math.max(0, failedAttempt - 1));
        long capped = (long) Math.min(base, (double) maxDelay.toMillis());
        return Duration.ofMillis(jitter ? (long) (random.nextDouble() * (capped + 1)) : capped);
    }

    /**
     * @param failure what the step threw
     * @return whether the policy lets that failure be retried (attempts aside)
     */
    public boolean retries(Throwable failure) {
        if (failure instanceof PermanentStepException) {
            return false;
        }
        for (Class<?> c = failure.getClass(); c != null; c = c.getSuperclass()) {
            if (nonRetryable.contains(c.getName())) {
                return false;
            }
        }
        return true;
    }
}
