package dev.stepwise.engine.api;

import java.util.List;

/** A recipe (or config entry) cannot be published: the message lists every problem. Nothing was written. */
public class InvalidRecipeException extends EngineException {
    private static final long serialVersionUID = 1L;
    private final String slug;
    private final List<String> problems;

    /**
     * @param slug     the recipe's slug (or the config key), or null if it has none
     * @param problems every problem found
     */
    public InvalidRecipeException(String slug, List<String> problems) {
        super("recipe " + (slug == null ? "(no slug)" : "'" + slug + "'") + " is invalid: " + String.join("; ", problems));
        this.slug = slug;
        this.problems = List.copyOf(problems);
    }

    /** @return the slug, or null */
    public String slug() {
        return slug;
    }

    /** @return every problem found */
    public List<String> problems() {
        return problems;
    }
}
