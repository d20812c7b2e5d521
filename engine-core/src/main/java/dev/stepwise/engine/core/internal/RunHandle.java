package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.LogEntry;
import java.util.ArrayList;
import java.util.List;

/**
 * State shared between a running job's runner thread, its heartbeat and {@code cancel}: the
 * cancel and lease-lost flags, and log lines not yet written.
 */
public final class RunHandle {
    private volatile boolean cancelRequested;
    private volatile boolean leaseLost;
    private volatile long stopDeadlineNanos;
    private volatile boolean stopRequested;
    private final List<LogEntry> pendingLogs = new ArrayList<>();

    /** Marks the job as cancelled: no further step starts. */
    public void requestCancel() {
        cancelRequested = true;
    }

    /** @return whether a cancel was requested */
    public boolean cancelRequested() {
        return cancelRequested;
    }

    /**
     * Asks the runner to stop starting steps and hand the job back once its running steps
     * finish, or when the deadline passes (a graceful shutdown).
     *
     * @param deadlineNanos {@link System#nanoTime()} after which running steps are abandoned
     */
    public void requestStop(long deadlineNanos) {
        stopDeadlineNanos = deadlineNanos;
        stopRequested = true;
    }

    /** @return whether a stop was requested */
    public boolean stopRequested() {
        return stopRequested;
    }

    /** @return the stop deadline ({@link System#nanoTime()} scale) */
    public long stopDeadlineNanos() {
        return stopDeadlineNanos;
    }

    /** Marks the lease as lost: the runner's next write will be refused. */
    public void leaseLost() {
        leaseLost = true;
    }

    /** @return whether the lease was lost */
    public boolean isLeaseLost() {
        return leaseLost;
    }

    /** @param entry a log line to write with the next write */
    public synchronized void log(LogEntry entry) {
        pendingLogs.add(entry);
    }

    /** @return the pending log lines, removed from the buffer */
    public synchronized List<LogEntry> drainLogs() {
        if (pendingLogs.isEmpty()) {
            return List.of();
        }
        List<LogEntry> out = new ArrayList<>(pendingLogs);
        pendingLogs.clear();
        return out;
    }
}
