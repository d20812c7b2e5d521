package dev.stepwise.engine.core.internal;

import dev.stepwise.engine.api.Attempt;
import dev.stepwise.engine.api.AttemptOutcome;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The routine log lines of a step's attempts, "attempt N started" and "attempt N succeeded in X
 * ms": the runner does not store them as rows, their facts are in the step row's attempt record
 * ({@link Attempt#startCursor()}, {@link Attempt#endCursor()}), and readers derive them here.
 * One place for their text, so the runner's numbering and the readers' derivation agree.
 */
public final class RoutineLines {

    private RoutineLines() {
    }

    /**
     * @return the line "attempt N started" of a step's attempt
     */
    static LogEntry started(long cursor, String jobId, String stepKey, int attempt, Instant at) {
        return new LogEntry(cursor, jobId, stepKey, attempt, at, LogLevel.INFO, "attempt " + attempt + " started");
    }

    /**
     * @return the line "attempt N succeeded in X ms" of a step's attempt
     */
    static LogEntry succeeded(long cursor, String jobId, String stepKey, int attempt, Instant at, long durationMs) {
        return new LogEntry(cursor, jobId, stepKey, attempt, at, LogLevel.INFO,
                "attempt " + attempt + " succeeded in " + durationMs + " ms");
    }

    /**
     * @param steps a job's step rows
     * @param after only lines with a greater cursor
     * @return the routine lines their attempt records carry, in cursor order
     */
    public static List<LogEntry> derive(List<JobStep> steps, long after) {
        List<LogEntry> out = new ArrayList<>();
        for (JobStep s : steps) {
            for (Attempt a : s.attemptLog()) {
                if (a.startCursor() > after) {
                    out.add(started(a.startCursor(), s.jobId(), s.stepKey(), a.number(), a.startedAt()));
                }
                if (a.endCursor() > after && a.outcome() == AttemptOutcome.SUCCEEDED && a.endedAt().isPresent()
                        && a.durationMs().isPresent()) {
                    out.add(succeeded(a.endCursor(), s.jobId(), s.stepKey(), a.number(), a.endedAt().get(),
                            a.durationMs().getAsLong()));
                }
            }
        }
        out.sort(Comparator.comparingLong(LogEntry::cursor));
        return out;
    }

    /**
     * One page of a job's log: stored lines and derived ones merged by cursor, so that a reader
     * who goes on after the page's last cursor never misses a line nor sees one twice.
     *
     * <p>Cursors grow in commit order, and the reads are made in this order: the job (its log
     * cursor), the stored page, the step rows. A derived line is kept only if its cursor is at
     * most the job's log cursor or the last stored cursor, i.e. it was committed before the
     * stored page was read; a line of a later commit could be newer than a stored line of that
     * commit the page missed, so it waits for the next page. When the stored page is full, the
     * store's next line may lie beyond it, so derived lines past its last cursor wait too.
     *
     * @param stored    the store's page of lines after the cursor (at most {@code limit})
     * @param derived   the derived lines after the cursor, in cursor order
     * @param limit     at most this many
     * @param logCursor the job's log cursor as read before both
     * @return the page, in cursor order
     */
    public static List<LogEntry> page(List<LogEntry> stored, List<LogEntry> derived, int limit, long logCursor) {
        long lastStored = stored.isEmpty() ? 0 : stored.get(stored.size() - 1).cursor();
        long bound = stored.size() >= limit ? lastStored : Math.max(logCursor, lastStored);
        List<LogEntry> out = new ArrayList<>(Math.min(limit, stored.size() + derived.size()));
        int i = 0;
        int j = 0;
        while (out.size() < limit) {
            boolean derivedNext = j < derived.size() && derived.get(j).cursor() <= bound
                    && (i >= stored.size() || derived.get(j).cursor() < stored.get(i).cursor());
            if (derivedNext) {
                out.add(derived.get(j++));
            } else if (i < stored.size()) {
                out.add(stored.get(i++));
            } else {
                break;
            }
        }
        return out;
    }
}
