package dev.stepwise.engine.api;

/** A recipe's step names a type that no step implementation is registered under. */
public class UnknownStepTypeException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String stepKey;
    private final String stepType;

    /**
     * @param recipeId the recipe
     * @param stepKey  the step whose type is unknown
     * @param stepType the unknown type
     * @param known    the registered types, for the message
     */
    public UnknownStepTypeException(String recipeId, String stepKey, String stepType, java.util.Collection<String> known) {
        super("step '" + stepKey + "' of recipe '" + recipeId + "' has type '" + stepType
                + "', which is not registered; registered types: " + (known.isEmpty() ? "(none)" : String.join(", ", known)));
        this.stepKey = stepKey;
        this.stepType = stepType;
    }

    /** @return the step whose type is unknown */
    public String stepKey() {
        return stepKey;
    }

    /** @return the unknown type */
    public String stepType() {
        return stepType;
    }
}
