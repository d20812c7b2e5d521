package dev.stepwise.engine.core;

/**
 * Hooks into a run's life, for tests (crash-point sweeps) and observability. Every method
 * does nothing by default. Called on the runner's thread, except {@link #beforeLeaseRenewal}.
 */
public interface RunListener {
    /** A listener that does nothing. */
    RunListener NONE = new RunListener() {
    };

    /** @param jobId job @param stepKey the step about to get its running record */
    default void beforeRunningRecord(String jobId, String stepKey) {
    }

    /** @param jobId job @param stepKey the step whose execution just returned */
    default void afterStepExecuted(String jobId, String stepKey) {
    }

    /** @param jobId job @param terminal whether this write ends the job */
    default void beforeCommit(String jobId, boolean terminal) {
    }

    /** @param jobId job @param terminal whether this write ended the job */
    default void afterCommit(String jobId, boolean terminal) {
    }

    /** @param jobId job (called on the heartbeat thread) */
    default void beforeLeaseRenewal(String jobId) {
    }
}
