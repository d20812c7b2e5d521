package dev.stepwise.engine.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.stepwise.engine.api.Attempt;
import dev.stepwise.engine.api.AttemptOutcome;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The routine lines derived from attempt records, and the merge of a stored page with them:
 * each line once, in cursor order, whatever the page size.
 */
class RoutineLinesTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** Step a: attempt 1 failed (started at 2, no success line), attempt 2 succeeded (5, 7); step b: old attempt (no cursors). */
    private static List<JobStep> steps() {
        Attempt failed = Attempt.started(1, T0).withStartCursor(2)
                .ended(T0.plusMillis(3), AttemptOutcome.FAILED, Optional.of("boom"));
        Attempt ok = Attempt.started(2, T0.plusMillis(10)).withStartCursor(5)
                .ended(T0.plusMillis(42), AttemptOutcome.SUCCEEDED, Optional.empty()).withEndCursor(7, 32);
        JobStep a = JobStep.pending("j-0", "j", "a", 0, "echo").toBuilder().attemptLog(List.of(failed, ok)).build();
        JobStep b = JobStep.pending("j-1", "j", "b", 1, "echo").toBuilder()
                .attemptLog(List.of(Attempt.started(1, T0).ended(T0, AttemptOutcome.SUCCEEDED, Optional.empty()))).build();
        return List.of(b, a);
    }

    private static LogEntry stored(long cursor, String message) {
        return new LogEntry(cursor, "j", null, 0, T0, LogLevel.INFO, message);
    }

    /** Cursors 1-8: stored 1, 3, 4, 6, 8; derived 2, 5, 7. */
    private static final List<LogEntry> STORED = List.of(stored(1, "created"), stored(3, "attempt 1 failed: boom"),
            stored(4, "retrying"), stored(6, "user line"), stored(8, "job completed"));

    @Test
    void derivesStartedAndSucceededLinesAsTheRowsHadThem() {
        List<LogEntry> derived = RoutineLines.derive(steps(), 0);
        assertEquals(List.of(
                new LogEntry(2, "j", "a", 1, T0, LogLevel.INFO, "attempt 1 started"),
                new LogEntry(5, "j", "a", 2, T0.plusMillis(10), LogLevel.INFO, "attempt 2 started"),
                new LogEntry(7, "j", "a", 2, T0.plusMillis(42), LogLevel.INFO, "attempt 2 succeeded in 32 ms")), derived);
        assertEquals(List.of(7L), RoutineLines.derive(steps(), 5).stream().map(LogEntry::cursor).toList());
    }

    @Test
    void everyPageSizeReadsEachLineOnceInOrder() {
        for (int limit = 1; limit <= 9; limit++) {
            List<Long> read = new ArrayList<>();
            long after = 0;
            for (int page = 0; page < 20; page++) {
                long from = after;
                List<LogEntry> storedPage = STORED.stream().filter(e -> e.cursor() > from).limit(limit).toList();
                List<LogEntry> got = RoutineLines.page(storedPage, RoutineLines.derive(steps(), after), limit, 8);
                if (got.isEmpty()) {
                    break;
                }
                got.forEach(e -> read.add(e.cursor()));
                after = got.get(got.size() - 1).cursor();
            }
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), read, "limit " + limit);
        }
    }

    @Test
    void derivedLinesNewerThanWhatTheReadsCanVouchForWaitForTheNextPage() {
        // The job's log cursor read first was 4; the stored page (read next) ends at 4: lines 5
        // and 7 may belong to a commit whose stored lines the page missed.
        List<LogEntry> got = RoutineLines.page(STORED.subList(0, 3), RoutineLines.derive(steps(), 0), 10, 4);
        assertEquals(List.of(1L, 2L, 3L, 4L), got.stream().map(LogEntry::cursor).toList());
        // A full stored page stops at its last cursor: derived lines beyond it wait.
        got = RoutineLines.page(STORED.subList(0, 2), RoutineLines.derive(steps(), 0), 2, 8);
        assertEquals(List.of(1L, 2L), got.stream().map(LogEntry::cursor).toList());
        // Nothing stored after the cursor: derived lines up to the job's log cursor.
        got = RoutineLines.page(List.of(), RoutineLines.derive(steps(), 6), 10, 8);
        assertEquals(List.of(7L), got.stream().map(LogEntry::cursor).toList());
    }
}
