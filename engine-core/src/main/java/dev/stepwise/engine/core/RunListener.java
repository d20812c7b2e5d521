package dev.stepwise.engine.core;

/**
 * Hooks into a run's life at its crash points, for tests (crash-point sweeps): a listener that
 * throws stops the run there as if its process died. Every method does nothing by default.
 * Called on the runner's thread, except {@link #beforeLeaseRenewal}. For observation (metrics,
 * traces) use {@link EngineListener}, whose throws are logged and ignored.
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
