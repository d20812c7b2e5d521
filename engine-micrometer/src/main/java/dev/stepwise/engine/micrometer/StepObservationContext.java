package dev.stepwise.engine.micrometer;

import dev.stepwise.engine.api.AttemptTrace;
import io.micrometer.observation.Observation;
import java.util.Objects;
import java.util.Optional;

/**
 * The context of a {@value StepwiseObservability#STEP_OBSERVATION} observation: one attempt of a
 * step (or a reused step). It carries the stored trace of the step's previous attempt, which
 * {@link StepwiseTracingObservationHandler} turns into a span link.
 */
public class StepObservationContext extends Observation.Context {
    private final String stepKey;
    private final int attempt;
    private final Optional<AttemptTrace> previousTrace;

    /**
     * @param stepKey       the step
     * @param attempt       the attempt number (0 for a reused step, which did not execute)
     * @param previousTrace the stored trace of the step's latest earlier attempt, if any
     */
    public StepObservationContext(String stepKey, int attempt, Optional<AttemptTrace> previousTrace) {
        this.stepKey = Objects.requireNonNull(stepKey, "stepKey");
        this.attempt = attempt;
        this.previousTrace = Objects.requireNonNull(previousTrace, "previousTrace");
    }

    /** @return the step's key */
    public String stepKey() {
        return stepKey;
    }

    /** @return the attempt number (0 for a reused step) */
    public int attempt() {
        return attempt;
    }

    /** @return the stored trace of the step's previous attempt, if any: the span to link to */
    public Optional<AttemptTrace> previousTrace() {
        return previousTrace;
    }
}
