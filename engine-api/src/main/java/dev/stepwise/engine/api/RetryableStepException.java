package dev.stepwise.engine.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Thrown by a step whose failure is transient and whose outside service said when to come back
 * (an HTTP {@code Retry-After}, a rate-limit reset). The step's {@link RetryPolicy} still decides
 * whether it is retried and how many attempts it gets; the wait before the next attempt is the
 * longer of the policy's delay and {@link #retryAfter()}, so a service that asks for 30 s is not
 * called again after 200 ms.
 */
public class RetryableStepException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final Duration retryAfter;

    /**
     * A transient failure with no hint from the service: the policy's delay applies.
     *
     * @param message what failed, for the job's log and {@code lastError}
     * @param cause   the underlying failure, or null
     */
    public RetryableStepException(String message, Throwable cause) {
        super(message, cause);
        this.retryAfter = null;
    }

    /**
     * @param message    what failed, for the job's log and {@code lastError}
     * @param retryAfter the shortest wait the service asked for; zero or positive
     * @param cause      the underlying failure, or null
     * @throws IllegalArgumentException if {@code retryAfter} is negative
     */
    public RetryableStepException(String message, Duration retryAfter, Throwable cause) {
        super(message, cause);
        Objects.requireNonNull(retryAfter, "retryAfter");
        if (retryAfter.isNegative()) {
            throw new IllegalArgumentException("retryAfter must not be negative, got " + retryAfter);
        }
        this.retryAfter = retryAfter;
    }

    /** @return the wait the service asked for, if it named one */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
