package dev.stepwise.engine.test;

import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import tools.jackson.databind.JsonNode;

/**
 * A fake {@link Step} made by {@link FakeSteps}: it records every call (job, step, attempt, the
 * job input, its params and the outputs it saw), then does what its factory said. Register it
 * like any step; one instance may serve several step keys and jobs. Thread-safe.
 */
public class FakeStep implements Step {

    /**
     * What the fake does with a call once it is recorded.
     */
    @FunctionalInterface
    protected interface Behaviour {
        /**
         * @param context the step's context
         * @param call    the 1-based number of this call to the fake
         * @return the step's output
         * @throws Exception to fail the step
         */
        Object apply(StepContext context, int call) throws Exception;
    }

    /**
     * One call to a fake step, as the step saw it.
     *
     * @param jobId     the job
     * @param stepKey   the step's key in the recipe
     * @param attempt   the attempt number (1 for the first, counted across runs)
     * @param input     the job input
     * @param params    the step's params from the recipe
     * @param outputs   the outputs of earlier steps, by key
     * @param inputHash the step's input hash
     */
    public record Call(String jobId, String stepKey, int attempt, JsonNode input, JsonNode params,
            Map<String, JsonNode> outputs, String inputHash) {
        // Validates and copies (the record's @param tags document the canonical constructor).
        public Call {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(stepKey, "stepKey");
            outputs = Map.copyOf(outputs);
        }
    }

    private final String description;
    private final Behaviour behaviour;
    private final List<Call> calls = new CopyOnWriteArrayList<>();

    /**
     * @param description what the fake does, for messages (e.g. {@code "fails 2 times, then succeeds"})
     * @param behaviour   what it does with each call
     */
    protected FakeStep(String description, Behaviour behaviour) {
        this.description = Objects.requireNonNull(description, "description");
        this.behaviour = Objects.requireNonNull(behaviour, "behaviour");
    }

    @Override
    public final Object execute(StepContext context) throws Exception {
        calls.add(new Call(context.jobId(), context.stepKey(), context.attempt(), context.input(), context.params(),
                context.outputs(), context.inputHash()));
        return behaviour.apply(context, calls.size());
    }

    /** @return how many times the step was called (executed), over every job and step key */
    public int calls() {
        return calls.size();
    }

    /**
     * @param stepKey a step key
     * @return how many times it was called for that key
     */
    public int calls(String stepKey) {
        return (int) calls.stream().filter(c -> c.stepKey().equals(stepKey)).count();
    }

    /** @return every call so far, oldest first */
    public List<Call> invocations() {
        return List.copyOf(calls);
    }

    /**
     * @return the latest call
     * @throws AssertionError if the step was never called
     */
    public Call lastCall() {
        List<Call> all = invocations();
        if (all.isEmpty()) {
            throw new AssertionError("expected the fake step (" + description + ") to have been called, but it never was");
        }
        return all.get(all.size() - 1);
    }

    @Override
    public String toString() {
        return "FakeStep[" + description + ", " + calls.size() + " calls]";
    }
}
