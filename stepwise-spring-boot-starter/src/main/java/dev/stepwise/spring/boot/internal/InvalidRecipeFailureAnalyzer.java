package dev.stepwise.spring.boot.internal;

import dev.stepwise.engine.api.InvalidRecipeException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a recipe that failed validation at start-up into Spring Boot's "APPLICATION FAILED TO
 * START" report: the engine's message (every problem) and what to do.
 */
public final class InvalidRecipeFailureAnalyzer extends AbstractFailureAnalyzer<InvalidRecipeException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidRecipeException cause) {
        return new FailureAnalysis("A Stepwise recipe could not be published: " + cause.getMessage(),
                "Fix the recipe file (stepwise.recipes.locations, default classpath*:stepwise/recipes/*.json) or the"
                        + " Step beans it names (a recipe's step type is a Step bean's name), then start again.",
                cause);
    }
}
