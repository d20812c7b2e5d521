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
 * <p>Build one with {@link #builder()}, whose defaults are the {@code DEFAULT_*} constants:
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder()
 *     .maxAttempts(5)
 *     .initialDelay(Duration.ofSeconds(2))
 *     .nonRetryable(List.of("java.lang.IllegalArgumentException"))
 *     .build();
 * }</pre>
 *
 * <p>In JSON ({@code "retry"} on a step): {@code {"max_attempts": 3, "initial_delay_ms": 1000,
 * "multiplier": 2.0, "max_delay_ms": 60000, "jitter": "full", "non_retryable":
 * ["java.lang.IllegalArgumentException"]}}; a member left out takes the same default as in
 * the builder.
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

    /** Default executions in all, the first included: 3. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;

    /** Default wait before the first retry: 1 s. */
    public static final Duration DEFAULT_INITIAL_DELAY = Duration.ofSeconds(1);

    /** Default growth of the wait per retry: 2.0 (each wait twice the one before). */
    public static final double DEFAULT_MULTIPLIER = 2.0;

    /**
     * Default cap of the wait: 60 s, or the initial delay when that is longer (a cap below the
     * initial delay is invalid).
     */
    public static final Duration DEFAULT_MAX_DELAY = Duration.ofMinutes(1);

    /** Default jitter: true (full jitter, each wait drawn uniformly from 0 to the computed delay). */
    public static final boolean DEFAULT_JITTER = true;

    /** The cap of {@link #exponential(int, Duration)}, as a multiple of its initial delay: 100. */
    public static final int EXPONENTIAL_MAX_DELAY_FACTOR = 100;

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
     * @return exponential backoff ({@link #DEFAULT_MULTIPLIER}, capped at
     *         {@link #EXPONENTIAL_MAX_DELAY_FACTOR} x initialDelay) with full jitter
     */
    public static RetryPolicy exponential(int maxAttempts, Duration initialDelay) {
        return builder().maxAttempts(maxAttempts).initialDelay(initialDelay)
                .maxDelay(initialDelay.multipliedBy(EXPONENTIAL_MAX_DELAY_FACTOR)).build();
    }

    /**
     * @return a builder whose settings start at the {@code DEFAULT_*} constants, with no
     *         non-retryable exceptions
     */
    public static Builder builder() {
        return new Builder();
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
     * The wait before the next attempt after a given failure: {@link #delayAfter(int, Random)},
     * or the wait a {@link RetryableStepException} asked for when that is longer.
     *
     * @param failedAttempt the attempt that just failed (1 for the first)
     * @param failure       what the step threw
     * @param random        the source of jitter
     * @return the wait
     */
    public Duration delayAfter(int failedAttempt, Throwable failure, Random random) {
        Duration policy = delayAfter(failedAttempt, random);
        if (failure instanceof RetryableStepException r && r.retryAfter().isPresent()
                && r.retryAfter().get().compareTo(policy) > 0) {
            return r.retryAfter().get();
        }
        return policy;
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

    /** Builds a {@link RetryPolicy}; each setting has the default named on its method. */
    public static final class Builder {
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialDelay = DEFAULT_INITIAL_DELAY;
        private double multiplier = DEFAULT_MULTIPLIER;
        private Duration maxDelay;
        private boolean jitter = DEFAULT_JITTER;
        private List<String> nonRetryable = List.of();

        private Builder() {
        }

        /**
         * @param maxAttempts executions in all, >= 1 (default {@link #DEFAULT_MAX_ATTEMPTS})
         * @return this
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * @param initialDelay wait before the first retry, >= 0 (default {@link #DEFAULT_INITIAL_DELAY})
         * @return this
         */
        public Builder initialDelay(Duration initialDelay) {
            this.initialDelay = Objects.requireNonNull(initialDelay, "initialDelay");
            return this;
        }

        /**
         * @param multiplier growth of the wait per retry, >= 1 (default {@link #DEFAULT_MULTIPLIER})
         * @return this
         */
        public Builder multiplier(double multiplier) {
            this.multiplier = multiplier;
            return this;
        }

        /**
         * @param maxDelay cap of the wait, >= the initial delay (default {@link #DEFAULT_MAX_DELAY},
         *                 or the initial delay when that is longer)
         * @return this
         */
        public Builder maxDelay(Duration maxDelay) {
            this.maxDelay = Objects.requireNonNull(maxDelay, "maxDelay");
            return this;
        }

        /**
         * @param jitter whether waits are drawn uniformly from 0 to the delay (default {@link #DEFAULT_JITTER})
         * @return this
         */
        public Builder jitter(boolean jitter) {
            this.jitter = jitter;
            return this;
        }

        /**
         * @param classNames fully qualified exception class names that fail at once, replacing
         *                   any set before (default: none)
         * @return this
         */
        public Builder nonRetryable(List<String> classNames) {
            this.nonRetryable = List.copyOf(classNames);
            return this;
        }

        /** @return the policy @throws IllegalArgumentException if a setting is out of range */
        public RetryPolicy build() {
            Duration cap = maxDelay != null ? maxDelay
                    : initialDelay.compareTo(DEFAULT_MAX_DELAY) > 0 ? initialDelay : DEFAULT_MAX_DELAY;
            return new RetryPolicy(maxAttempts, initialDelay, multiplier, cap, jitter, nonRetryable);
        }
    }
}
