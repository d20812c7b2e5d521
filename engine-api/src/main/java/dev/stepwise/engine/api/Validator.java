package dev.stepwise.engine.api;

import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * Checks a step's output before the step counts as succeeded. A step definition lists the
 * validators to run ({@code "validators": [{"type": "text", "min_words": 50}]} in recipe JSON);
 * the engine runs all of them and, if any finds a problem, fails the step with every problem
 * listed. Built in: {@code json_schema}, {@code text}, {@code audio}; hosts register their own
 * under a type name on the engine builder.
 */
@FunctionalInterface
public interface Validator {
    /**
     * @param output    the step's output
     * @param params    the validator's params from the step definition (an object, possibly empty)
     * @param artifacts where artifacts the output refers to can be read
     * @return every problem found, each a sentence naming what is wrong; empty when valid
     */
    List<String> validate(JsonNode output, JsonNode params, ArtifactStore artifacts);
}
