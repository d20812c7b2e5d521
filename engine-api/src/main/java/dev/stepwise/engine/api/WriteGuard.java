package dev.stepwise.engine.api;

import java.time.Instant;
import java.util.Objects;

/**
 * The condition a {@link JobWrite} needs on the job row, checked by the store inside the
 * write's transaction (compare-and-set). Every variant pins the fencing {@link #epoch()}: a
 * claim increments it, so a runner that lost its lease can never overwrite the new owner's work.
 */
public sealed interface WriteGuard {

    /** @return the epoch the job row must still have */
    long epoch();

    /** @return the condition in words, for error messages */
    String describe();

    /**
     * The writer holds the lease: status {@code running}, this owner, this epoch.
     *
     * @param epoch the epoch of the writer's claim
     * @param owner the writer's runner id
     */
    record Owner(long epoch, String owner) implements WriteGuard {
        /** Validates the owner. */
        public Owner {
            Objects.requireNonNull(owner, "owner");
        }

        @Override
        public String describe() {
            return "lease of owner " + owner + " at epoch " + epoch;
        }
    }

    /**
     * The job can be claimed: this epoch, and status {@code pending} or {@code running} with a
     * lease that expired at or before {@code now}.
     *
     * @param epoch the epoch read before claiming
     * @param now   the claimer's current time
     */
    record Claimable(long epoch, Instant now) implements WriteGuard {
        /** Validates the time. */
        public Claimable {
            Objects.requireNonNull(now, "now");
        }

        @Override
        public String describe() {
            return "claimable (pending, or running with a lease expired by " + now + ") at epoch " + epoch;
        }
    }

    /**
     * The job has this status at this epoch (used for retry and for cancelling a pending job).
     *
     * @param epoch  the epoch read
     * @param status the status read
     */
    record Status(long epoch, JobStatus status) implements WriteGuard {
        /** Validates the status. */
        public Status {
            Objects.requireNonNull(status, "status");
        }

        @Override
        public String describe() {
            return "status " + status + " at epoch " + epoch;
        }
    }
}
