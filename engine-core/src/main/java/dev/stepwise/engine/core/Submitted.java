package dev.stepwise.engine.core;

import dev.stepwise.engine.api.Job;
import java.util.Objects;

/**
 * What {@link JobEngine#submit} did: created a new job, or found the job an earlier submit with
 * the same idempotency key created (then nothing was written, and that job's recipe and input
 * may differ from this submit's).
 *
 * @param job     the job as stored: the new one, or the existing one
 * @param created true if this submit created the job; false if it found it by idempotency key
 */
public record Submitted(Job job, boolean created) {

    /** Validates the fields. */
    public Submitted {
        Objects.requireNonNull(job, "job");
    }
}
