package dev.stepwise.engine.api;

/**
 * A step implementation, registered with the engine under a type name and referenced by
 * {@link StepDefinition#type()} in recipes.
 *
 * <p>A step may run more than once for the same input (at-least-once execution: a crash
 * between its {@code running} record and its checkpoint re-executes it). Steps that touch the
 * outside world should pass {@link StepContext#idempotencyKey()} along.
 */
@FunctionalInterface
public interface Step {

    /**
     * Executes the step.
     *
     * @param context what the step sees: ids, its params, the job input, earlier outputs, a logger
     * @return the step's output: a {@code JsonNode} or any value Jackson can turn into JSON
     *         (records, maps, lists, strings, numbers). {@code null} fails the step.
     * @throws Exception any failure; it fails the step and the job, with its message kept
     */
    Object execute(StepContext context) throws Exception;

    /**
     * The implementation's version. It is part of every step's input hash, so bumping it
     * invalidates the checkpoints made by older code.
     *
     * @return a version string, {@code "1"} by default
     */
    default String version() {
        return "1";
    }
}
