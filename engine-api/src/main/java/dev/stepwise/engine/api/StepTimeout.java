package dev.stepwise.engine.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How long one execution of a step may take: {@link None} (no limit, the default) or
 * {@link Explicit} (a positive duration). Past an explicit limit the step is interrupted and
 * fails with a {@link StepTimeoutException}.
 *
 * <p>In a recipe's JSON, an explicit limit is {@code "timeout_ms"} on the step; no limit is the
 * member left out.
 *
 * <pre>{@code
 * if (def.timeout() instanceof StepTimeout.Explicit limit) {
 *     deadline = start.plus(limit.duration());
 * }
 * }</pre>
 */
public sealed interface StepTimeout permits StepTimeout.None, StepTimeout.Explicit {

    /** No limit: the step may run as long as it takes. */
    None NONE = new None();

    /**
     * @param duration how long one execution may take, positive
     * @return an explicit limit of that duration
     * @throws IllegalArgumentException if the duration is zero or negative
     */
    static Explicit of(Duration duration) {
        return new Explicit(duration);
    }

    /** @return the limit, or empty for {@link None} */
    Optional<Duration> limit();

    /** No limit (use {@link StepTimeout#NONE}). */
    record None() implements StepTimeout {
        /** @return empty: there is no limit */
        @Override
        public Optional<Duration> limit() {
            return Optional.empty();
        }
    }

    /**
     * An explicit limit.
     *
     * @param duration how long one execution may take, positive
     */
    record Explicit(Duration duration) implements StepTimeout {

        /** Validates the duration: not null, positive. */
        public Explicit {
            Objects.requireNonNull(duration, "duration");
            if (duration.isZero() || duration.isNegative()) {
                throw new IllegalArgumentException("a step timeout must be positive, was " + duration);
            }
        }

        /** @return the duration */
        @Override
        public Optional<Duration> limit() {
            return Optional.of(duration);
        }
    }
}
