package dev.stepwise.engine.core;

import java.time.Instant;

/**
 * Options of {@link JobEngine#submit}: which recipe version, when the job may run, its
 * priority and an idempotency key.
 *
 * @param recipeVersion  the recipe version, or null for the latest
 * @param runAt          not run before this time, or null for now
 * @param priority       workers claim higher priorities first (default 0)
 * @param idempotencyKey submitting again with this key returns the existing job, or null
 */
public record SubmitOptions(Integer recipeVersion, Instant runAt, int priority, String idempotencyKey) {

    /** @return no options: latest version, now, priority 0, no key */
    public static SubmitOptions defaults() {
        return new SubmitOptions(null, null, 0, null);
    }

    /** @param version the recipe version @return a copy with it */
    public SubmitOptions withRecipeVersion(Integer version) {
        return new SubmitOptions(version, runAt, priority, idempotencyKey);
    }

    /** @param at the earliest run time @return a copy with it */
    public SubmitOptions withRunAt(Instant at) {
        return new SubmitOptions(recipeVersion, at, priority, idempotencyKey);
    }

    /** @param p the priority @return a copy with it */
    public SubmitOptions withPriority(int p) {
        return new SubmitOptions(recipeVersion, runAt, p, idempotencyKey);
    }

    /** @param key the idempotency key @return a copy with it */
    public SubmitOptions withIdempotencyKey(String key) {
        return new SubmitOptions(recipeVersion, runAt, priority, key);
    }
}
