package dev.stepwise.engine.api;

import java.util.List;

/** A job input does not match its recipe's input schema. Nothing was written. */
public class InvalidInputException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String recipeId;
    private final List<Violation> violations;

    /**
     * One schema violation.
     *
     * @param path    JSON path of the offending value (e.g. {@code $.voice.speed})
     * @param message what is wrong with it
     */
    public record Violation(String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    /**
     * @param recipeId   the recipe whose schema the input failed
     * @param violations every violation found
     */
    public InvalidInputException(String recipeId, List<Violation> violations) {
        this("input does not match the input schema of recipe " + recipeId + " (" + violations.size() + " violation"
                + (violations.size() == 1 ? "" : "s") + "): " + String.join("; ", violations.stream().map(Violation::toString).toList()),
                recipeId, violations);
    }

    private InvalidInputException(String message, String recipeId, List<Violation> violations) {
        super(message);
        this.recipeId = recipeId;
        this.violations = List.copyOf(violations);
    }

    /**
     * An input refused before any schema check because it is deeper or larger than the engine's
     * JSON limits (a setting of the engine).
     *
     * @param recipeId  the recipe the job was for
     * @param violation what is over which limit
     * @return the exception
     */
    public static InvalidInputException overLimit(String recipeId, Violation violation) {
        return new InvalidInputException("input for recipe " + recipeId + " is over the engine's JSON limits: " + violation
                + "; send a smaller input or raise the limits on the engine builder", recipeId, List.of(violation));
    }

    /** @return the recipe */
    public String recipeId() {
        return recipeId;
    }

    /** @return every violation, with its JSON path */
    public List<Violation> violations() {
        return violations;
    }
}
