package dev.stepwise.engine.test;

import dev.stepwise.engine.api.Step;
import java.util.Map;
import java.util.Objects;

/**
 * Factories of fake steps for tests. Every fake is a {@link FakeStep}: it records its calls
 * ({@link FakeStep#calls()}, {@link FakeStep#invocations()}) whatever else it does.
 *
 * <pre>{@code
 * FakeStep fetch = FakeSteps.succeed(Map.of("rows", 3));
 * FakeStep flaky = FakeSteps.failTimes(2, Map.of("saved", true));
 * HangingStep slow = FakeSteps.hangUntilReleased();
 * }</pre>
 */
public final class FakeSteps {

    private FakeSteps() {
    }

    /**
     * @param output what every call returns (a {@code JsonNode}, or anything Jackson turns into JSON)
     * @return a step that succeeds with that output
     */
    public static FakeStep succeed(Object output) {
        Objects.requireNonNull(output, "output (a step that returns null fails; use Map.of() for nothing)");
        return new FakeStep("succeeds", (ctx, call) -> output);
    }

    /** @return a step that succeeds with an empty object: use it to see what the engine passed it */
    public static FakeStep recording() {
        return new FakeStep("records calls, returns {}", (ctx, call) -> Map.of());
    }

    /**
     * @param delegate a real step
     * @return a step that records each call, then runs {@code delegate}: count the calls of a real step
     */
    public static FakeStep recording(Step delegate) {
        Objects.requireNonNull(delegate, "delegate");
        return new FakeStep("records calls, runs " + delegate, (ctx, call) -> delegate.execute(ctx));
    }

    /**
     * @param message the exception's message
     * @return a step whose every call fails with an {@link IllegalStateException} with that message
     */
    public static FakeStep fail(String message) {
        Objects.requireNonNull(message, "message");
        return new FakeStep("fails: " + message, (ctx, call) -> {
            throw new IllegalStateException(message);
        });
    }

    /**
     * A flaky step: its first {@code n} calls (counted over every job using this instance) fail with
     * an {@link IllegalStateException} ({@code "fake failure 1 of 2"}, ...), later calls succeed.
     *
     * @param n    how many calls fail, >= 0
     * @param then what later calls return
     * @return the step
     */
    public static FakeStep failTimes(int n, Object then) {
        Objects.requireNonNull(then, "then (a step that returns null fails; use Map.of() for nothing)");
        return failTimes(n, ctx -> then);
    }

    /**
     * A flaky step: its first {@code n} calls fail as {@link #failTimes(int, Object)} says, later calls
     * run {@code then}.
     *
     * @param n    how many calls fail, >= 0
     * @param then the step later calls run
     * @return the step
     */
    public static FakeStep failTimes(int n, Step then) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, was " + n);
        }
        Objects.requireNonNull(then, "then");
        return new FakeStep("fails " + n + " times, then succeeds", (ctx, call) -> {
            if (call <= n) {
                throw new IllegalStateException("fake failure " + call + " of " + n);
            }
            return then.execute(ctx);
        });
    }

    /**
     * @return a step that blocks until {@link HangingStep#release()}, then returns an empty object
     * @see HangingStep
     */
    public static HangingStep hangUntilReleased() {
        return new HangingStep(Map.of(), HangingStep.DEFAULT_MAX_HANG);
    }

    /**
     * @param output what it returns once released
     * @return a step that blocks until {@link HangingStep#release()}, then returns {@code output}
     */
    public static HangingStep hangUntilReleased(Object output) {
        Objects.requireNonNull(output, "output");
        return new HangingStep(output, HangingStep.DEFAULT_MAX_HANG);
    }
}
