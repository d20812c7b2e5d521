package dev.stepwise.engine.api;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
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
 * @param trace      the trace and span ids an observation module gave it, if any (shown as {@code trace})
 * @param startCursor the log cursor of its routine line "attempt N started", derived from this
 *                    record instead of stored as a row (0: none; attempts recorded before such
 *                    lines were derived had them stored as rows)
 * @param endCursor   the log cursor of its routine line "attempt N succeeded in X ms" (0: none)
 * @param durationMs  the step's execution time that line shows, if it succeeded
 */
public record Attempt(int number, Instant startedAt, Optional<Instant> endedAt, AttemptOutcome outcome,
        Optional<String> error, Optional<Duration> retryDelay, Optional<AttemptTrace> trace, long startCursor,
        long endCursor, OptionalLong durationMs) {

    /**
     * An attempt without derived log lines.
     *
     * @param number     1 for the first execution
     * @param startedAt  when it started
     * @param endedAt    when it ended, if it did
     * @param outcome    how it ended
     * @param error      why it did not succeed, if it did not
     * @param retryDelay the wait before the next attempt, if any
     * @param trace      its trace ids, if any
     */
    public Attempt(int number, Instant startedAt, Optional<Instant> endedAt, AttemptOutcome outcome,
            Optional<String> error, Optional<Duration> retryDelay, Optional<AttemptTrace> trace) {
        this(number, startedAt, endedAt, outcome, error, retryDelay, trace, 0, 0, OptionalLong.empty());
    }

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
        Objects.requireNonNull(trace, "trace");
        Objects.requireNonNull(durationMs, "durationMs");
        if (startCursor < 0 || endCursor < 0) {
            throw new IllegalArgumentException("cursors must be >= 0, were " + startCursor + " and " + endCursor);
        }
        if (retryDelay.isPresent() && retryDelay.get().isNegative()) {
            throw new IllegalArgumentException("retryDelay must be >= 0, was " + retryDelay.get());
        }
    }

    /**
     * An attempt without trace ids.
     *
     * @param number     1 for the first execution
     * @param startedAt  when it started
     * @param endedAt    when it ended, if it did
     * @param outcome    how it ended
     * @param error      why it did not succeed, if it did not
     * @param retryDelay the wait before the next attempt, if any
     */
    public Attempt(int number, Instant startedAt, Optional<Instant> endedAt, AttemptOutcome outcome,
            Optional<String> error, Optional<Duration> retryDelay) {
        this(number, startedAt, endedAt, outcome, error, retryDelay, Optional.empty());
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
        return new Attempt(number, startedAt, Optional.of(at), outcome, error, retryDelay, trace, startCursor, endCursor,
                durationMs);
    }

    /**
     * @param why what the runner that found it knows
     * @return this attempt, {@link AttemptOutcome#INTERRUPTED} without an end time
     */
    public Attempt interrupted(String why) {
        return new Attempt(number, startedAt, endedAt, AttemptOutcome.INTERRUPTED, Optional.of(why), retryDelay, trace,
                startCursor, endCursor, durationMs);
    }

    /**
     * @param delay the wait before the next attempt
     * @return this attempt with it
     */
    public Attempt withRetryDelay(Duration delay) {
        return new Attempt(number, startedAt, endedAt, outcome, error, Optional.of(delay), trace, startCursor, endCursor,
                durationMs);
    }

    /**
     * @param ids the trace and span ids of its span
     * @return this attempt with them
     */
    public Attempt withTrace(AttemptTrace ids) {
        return new Attempt(number, startedAt, endedAt, outcome, error, retryDelay, Optional.of(ids), startCursor,
                endCursor, durationMs);
    }

    /**
     * @param cursor the log cursor of its line "attempt N started"
     * @return this attempt with it
     */
    public Attempt withStartCursor(long cursor) {
        return new Attempt(number, startedAt, endedAt, outcome, error, retryDelay, trace, cursor, endCursor, durationMs);
    }

    /**
     * @param cursor the log cursor of its line "attempt N succeeded in X ms"
     * @param ms     X: the step's execution time
     * @return this attempt with them
     */
    public Attempt withEndCursor(long cursor, long ms) {
        return new Attempt(number, startedAt, endedAt, outcome, error, retryDelay, trace, startCursor, cursor,
                OptionalLong.of(ms));
    }

    /**
     * @return {@link #toJson()} plus, where set, {@code "start_cursor"}, {@code "end_cursor"} and
     *         {@code "duration_ms"}: the shape a store keeps on the step row (never in a manifest)
     */
    public ObjectNode toRowJson() {
        ObjectNode n = toJson();
        if (startCursor > 0) {
            n.put("start_cursor", startCursor);
        }
        if (endCursor > 0) {
            n.put("end_cursor", endCursor);
        }
        durationMs.ifPresent(ms -> n.put("duration_ms", ms));
        return n;
    }

    /**
     * @return {@code {"attempt", "started_at", "ended_at", "outcome", "error", "retry_delay_ms"}},
     *         absent values as JSON null, and {@code "trace": {"trace_id", "span_id"}} when it has
     *         trace ids (absent otherwise); the shape of the manifest's {@code attempt_log} entries
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
        trace.ifPresent(t -> n.set("trace", t.toJson()));
        return n;
    }

    /**
     * @param n an object written by {@link #toJson()} or {@link #toRowJson()}
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
                        ? Optional.of(Duration.ofMillis(n.get("retry_delay_ms").asLong())) : Optional.empty(),
                n.path("trace").isObject() ? Optional.of(AttemptTrace.fromJson(n.get("trace"))) : Optional.empty(),
                n.path("start_cursor").asLong(0), n.path("end_cursor").asLong(0),
                n.path("duration_ms").isNumber() ? OptionalLong.of(n.get("duration_ms").asLong()) : OptionalLong.empty());
    }

    private static Optional<String> text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asString());
    }
}
