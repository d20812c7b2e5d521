package dev.stepwise.engine.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * One execution of a step, as the store keeps it on the step row ({@link JobStep#attemptLog()})
 * and the manifest shows it ({@code attempt_log}).
 *
 * @param number     1 for the first execution, counting over every run of the job
 * @param startedAt  when it started
 * @param endedAt    when it ended, if it did (an interrupted attempt has no end)
 * @param outcome    how it ended
 * @param error      why it failed, timed out or was interrupted, if it did
 * @param retryDelay the wait before the next attempt, if a retry was scheduled after it
 */
public record Attempt(int number, Instant startedAt, Optional<Instant> endedAt, AttemptOutcome outcome,
        Optional<String> error, Optional<Duration> retryDelay) {

    /** Validates the fields. */
    public Attempt {
        if (number < 1) {
            throw new IllegalArgumentException("number must be >= 1, was " + number);
        }
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(endedAt, "endedAt");
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(retryDelay, "retryDelay");
        if (retryDelay.isPresent() && retryDelay.get().isNegative()) {
            throw new IllegalArgumentException("retryDelay must be >= 0, was " + retryDelay.get());
        }
    }

    /**
     * @param number    the attempt number
     * @param startedAt when it started
     * @return a {@link AttemptOutcome#RUNNING} attempt
     */
    public static Attempt started(int number, Instant startedAt) {
        return new Attempt(number, startedAt, Optional.empty(), AttemptOutcome.RUNNING, Optional.empty(), Optional.empty());
    }

    /**
     * @param at      when it ended
     * @param outcome how
     * @param error   why it did not succeed, or empty
     * @return this attempt, ended
     */
    public Attempt ended(Instant at, AttemptOutcome outcome, Optional<String> error) {
        return new Attempt(number, startedAt, Optional.of(at), outcome, error, retryDelay);
    }

    /**
     * @param why what the runner that found it knows
     * @return this attempt, {@link AttemptOutcome#INTERRUPTED} without an end time
     */
    public Attempt interrupted(String why) {
        return new Attempt(number, startedAt, endedAt, AttemptOutcome.INTERRUPTED, Optional.of(why), retryDelay);
    }

    /**
     * @param delay the wait before the next attempt
     * @return this attempt with it
     */
    public Attempt withRetryDelay(Duration delay) {
        return new Attempt(number, startedAt, endedAt, outcome, error, Optional.of(delay));
    }

    /**
     * @return {@code {"attempt", "started_at", "ended_at", "outcome", "error", "retry_delay_ms"}},
     *         absent values as JSON null; the shape of the manifest's {@code attempt_log} entries
     */
    public ObjectNode toJson() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("attempt", number);
        n.put("started_at", startedAt.toString());
        n.put("ended_at", endedAt.map(Instant::toString).orElse(null));
        n.put("outcome", outcome.value());
        n.put("error", error.orElse(null));
        if (retryDelay.isPresent()) {
            n.put("retry_delay_ms", retryDelay.get().toMillis());
        } else {
            n.putNull("retry_delay_ms");
        }
        return n;
    }

    /**
     * @param n an object written by {@link #toJson()}
     * @return the attempt
     * @throws IllegalArgumentException if it is not one
     */
    public static Attempt fromJson(JsonNode n) {
        if (n == null || !n.isObject() || !n.path("attempt").isInt() || !n.path("started_at").isString()) {
            throw new IllegalArgumentException("not an attempt: " + n);
        }
        return new Attempt(n.get("attempt").asInt(), Instant.parse(n.get("started_at").asString()),
                text(n, "ended_at").map(Instant::parse), AttemptOutcome.fromValue(n.path("outcome").asString()),
                text(n, "error"), n.path("retry_delay_ms").isNumber()
                        ? Optional.of(Duration.ofMillis(n.get("retry_delay_ms").asLong())) : Optional.empty());
    }

    private static Optional<String> text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asString());
    }
}
