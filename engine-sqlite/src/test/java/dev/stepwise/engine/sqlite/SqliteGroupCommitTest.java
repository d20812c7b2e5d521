package dev.stepwise.engine.sqlite;

import static dev.stepwise.engine.sqlite.Fixtures.job;
import static dev.stepwise.engine.sqlite.Fixtures.log;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.core.contract.Await;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit (issue 15): writes that queue while another commits are committed together, a
 * write whose guard fails is undone alone, and each caller returns only once its write is
 * committed. Real threads on a real file; the order is forced with a latch in the store's
 * before-commit hook and by waiting until the queued threads are parked on the writer's lock.
 */
class SqliteGroupCommitTest {
    @TempDir
    Path dir;

    /** What each write's thread saw, and on which thread the store ran each write's SQL. */
    private final Map<String, String> sqlThread = new ConcurrentHashMap<>();
    private final Map<String, Object> outcome = new ConcurrentHashMap<>();
    private final CountDownLatch firstInside = new CountDownLatch(1);
    private final CountDownLatch releaseFirst = new CountDownLatch(1);

    private SqliteJobStore open(boolean group) {
        return SqliteJobStore.builder(dir.resolve("group-" + group + ".db")).groupCommit(group).beforeCommit(w -> {
            sqlThread.put(w.job().id(), Thread.currentThread().getName());
            if (w.job().id().equals("A") && firstInside.getCount() > 0) {
                firstInside.countDown();
                try {
                    releaseFirst.await(60, TimeUnit.SECONDS); // holds the writer while B, C, D queue
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }).build();
    }

    private static JobWrite progress(Job j, long guardEpoch, int progress) {
        return new JobWrite(j.toBuilder().progress(progress).build(), new WriteGuard.Status(guardEpoch, JobStatus.PENDING),
                List.of(), List.of(log(j.id(), "progress " + progress)), false, false);
    }

    /** Starts a thread that writes and records what it got back, and what it then reads. */
    private Thread writer(SqliteJobStore store, JobWrite write) {
        Thread t = new Thread(() -> {
            try {
                store.write(write);
                // Returned: the write must be committed and visible to any reader now.
                outcome.put(write.job().id(), store.findJob(write.job().id()).orElseThrow().progress());
            } catch (RuntimeException e) {
                outcome.put(write.job().id(), e);
            }
        }, "writer-" + write.job().id());
        t.start();
        return t;
    }

    private void runFourWriters(SqliteJobStore store) throws Exception {
        for (String id : List.of("A", "B", "C", "D")) {
            store.insertJob(job(id), List.of(), List.of());
        }
        Thread a = writer(store, progress(job("A"), 0, 10));
        firstInside.await(60, TimeUnit.SECONDS);
        List<Thread> queued = List.of(writer(store, progress(job("B"), 0, 20)),
                writer(store, progress(job("C"), 7, 30)), // a stale guard: its epoch is not 7
                writer(store, progress(job("D"), 0, 40)));
        Await.until("B, C and D wait for the writer", () -> queued.stream()
                .allMatch(t -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING));
        releaseFirst.countDown();
        a.join(60_000);
        for (Thread t : queued) {
            t.join(60_000);
        }
    }

    @Test
    void writesThatQueueTogetherCommitInOneGroupAndAFailingOneFailsAlone() throws Exception {
        try (SqliteJobStore store = open(true)) {
            runFourWriters(store);

            assertEquals(10, outcome.get("A"));
            assertEquals(20, outcome.get("B"));
            assertEquals(40, outcome.get("D"));
            assertInstanceOf(WriteConflictException.class, outcome.get("C"));
            // B and D were committed by one thread, in one transaction: the group's.
            assertEquals(sqlThread.get("B"), sqlThread.get("D"));
            // The conflicting write left nothing behind, its neighbours in the group all of theirs.
            assertEquals(0, store.findJob("C").orElseThrow().progress());
            assertEquals(List.of(), store.findLogs("C", 0, 10));
            assertEquals(List.of("progress 20"), store.findLogs("B", 0, 10).stream().map(l -> l.message()).toList());
            assertEquals(List.of("progress 40"), store.findLogs("D", 0, 10).stream().map(l -> l.message()).toList());
        }
    }

    @Test
    void withGroupCommitOffEachWriteIsItsOwnTransactionOnItsOwnThread() throws Exception {
        try (SqliteJobStore store = open(false)) {
            runFourWriters(store);

            assertEquals(20, outcome.get("B"));
            assertEquals(40, outcome.get("D"));
            assertInstanceOf(WriteConflictException.class, outcome.get("C"));
            assertEquals("writer-B", sqlThread.get("B"));
            assertEquals("writer-D", sqlThread.get("D"));
            assertNotEquals(sqlThread.get("B"), sqlThread.get("D"));
            assertNull(sqlThread.get("C")); // refused before its hook
        }
    }
}
