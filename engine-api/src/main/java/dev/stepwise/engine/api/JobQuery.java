package dev.stepwise.engine.api;

import java.util.EnumSet;
import java.util.Set;

/**
 * Which jobs to list: newest first.
 *
 * @param statuses only jobs in these statuses (empty: all)
 * @param limit    at most this many, 1-10000
 */
public record JobQuery(Set<JobStatus> statuses, int limit) {

    /** Default page size of {@link #all()}. */
    public static final int DEFAULT_LIMIT = 100;

    /** Validates and copies. */
    public JobQuery {
        statuses = statuses == null || statuses.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(statuses));
        if (limit < 1 || limit > 10_000) {
            throw new IllegalArgumentException("limit must be 1-10000, was " + limit);
        }
    }

    /** @return the newest {@value #DEFAULT_LIMIT} jobs in any status */
    public static JobQuery all() {
        return new JobQuery(Set.of(), DEFAULT_LIMIT);
    }
}
