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
    private final List<Pending> pendingLogs = new ArrayList<>();

    /**
     * A log line waiting for the next write.
     *
     * @param entry      the line (cursor 0)
     * @param kind       a stored line, or a routine attempt line, which the write records in the
     *                   step row's attempt record instead of storing ({@link RoutineLines})
     * @param durationMs for a routine "succeeded" line, the execution time it shows (else 0)
     */
    record Pending(LogEntry entry, Kind kind, long durationMs) {
        /** @return whether it is a routine line */
        boolean routine() {
            return kind != Kind.STORED;
        }
    }

    /** What a pending line is. */
    enum Kind {
        /** An ordinary line, stored as a row. */
        STORED,
        /** "attempt N started". */
        STARTED,
        /** "attempt N succeeded in X ms". */
        SUCCEEDED
    }

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
        pendingLogs.add(new Pending(entry, Kind.STORED, 0));
    }

    /** @param line a routine attempt line to record with the next write, in its place among the others */
    synchronized void routine(Pending line) {
        pendingLogs.add(line);
    }

    /** @return the pending log lines, removed from the buffer */
    synchronized List<Pending> drainLogs() {
        if (pendingLogs.isEmpty()) {
            return List.of();
        }
        List<Pending> out = new ArrayList<>(pendingLogs);
        pendingLogs.clear();
        return out;
    }

    /**
     * @return the pending lines before the first routine one (a write without step rows, the
     *         heartbeat's, cannot record those), removed from the buffer
     */
    synchronized List<LogEntry> drainStoredPrefix() {
        List<LogEntry> out = new ArrayList<>();
        while (!pendingLogs.isEmpty() && !pendingLogs.get(0).routine()) {
            out.add(pendingLogs.remove(0).entry());
        }
        return out;
    }
}
