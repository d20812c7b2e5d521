package dev.stepwise.engine.examples.narration;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.PermanentStepException;
import dev.stepwise.engine.api.StepContext;
import tools.jackson.databind.JsonNode;

/** Config reads of the narration steps: a missing entry or secret is a permanent failure. */
final class NarrationConfig {
    private NarrationConfig() {
    }

    /**
     * @return the entry's value from the job's snapshot, secrets resolved
     * @throws PermanentStepException if the recipe does not refer to it or a secret is not set
     *                                (retrying cannot help: the job's snapshot is fixed)
     */
    static JsonNode get(StepContext ctx, DocumentKind kind, String key) {
        try {
            return ctx.config(kind, key);
        } catch (IllegalArgumentException e) {
            throw new PermanentStepException(e.getMessage(), e);
        }
    }

    /**
     * @return the value of the param {@code name} of the step, a non-blank string
     * @throws PermanentStepException if it is missing
     */
    static String param(StepContext ctx, String name, String example) {
        String v = ctx.params().path(name).asString("");
        if (v.isBlank()) {
            throw new PermanentStepException("step '" + ctx.stepKey() + "' needs a '" + name + "' param, e.g. \"" + name + "\": \""
                    + example + "\"");
        }
        return v;
    }

    /** @return a non-negative integer setting of a config document, or the default */
    static long nonNegative(JsonNode doc, String field, long dflt, String what) {
        JsonNode n = doc.get(field);
        if (n == null || n.isNull()) {
            return dflt;
        }
        if (!n.isIntegralNumber() || n.asLong() < 0) {
            throw new PermanentStepException(what + " has '" + field + "' " + n + "; it must be a whole number >= 0");
        }
        return n.asLong();
    }
}
