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
        super("input does not match the input schema of recipe " + recipeId + " (" + violations.size() + " violation"
                + (violations.size() == 1 ? "" : "s") + "): " + String.join("; ", violations.stream().map(Violation::toString).toList()));
        this.recipeId = recipeId;
        this.violations = List.copyOf(violations);
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
