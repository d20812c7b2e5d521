package dev.stepwise.engine.sqlite;

import static dev.stepwise.engine.sqlite.Fixtures.T0;
import static dev.stepwise.engine.sqlite.Fixtures.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.StoreException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two stores on one file (each with its own writer, as two processes would have), four threads
 * each, 200 guarded writes, renewals and inserts per thread: only the expected write conflicts
 * on the one job they all fight over, never "database is locked".
 */
class SqliteContentionTest {
    private static final int THREADS_PER_STORE = 4;
    private static final int OPERATIONS = ContentionWorker.OPERATIONS;

    @TempDir
    Path dir;

    @Test
    void twoStoresOnOneFileNeverLeakLockErrors() throws Exception {
        Path file = dir.resolve("shared.db");
        try (SqliteJobStore a = SqliteJobStore.builder(file).walCheckpointEvery(50).build();
                SqliteJobStore b = SqliteJobStore.builder(file).walCheckpointEvery(50).build()) {
            a.insertJob(job("SHARED"), List.of(), List.of());
            List<SqliteJobStore> stores = List.of(a, b);
            int threads = stores.size() * THREADS_PER_STORE;
            ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
            AtomicInteger claims = new AtomicInteger();
            AtomicInteger conflicts = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            for (int t = 0; t < threads; t++) {
                SqliteJobStore store = stores.get(t % stores.size());
                String owner = "w" + t;
                pool.submit(() -> {
                    try {
                        start.await();
                        ContentionWorker.run(store, owner, claims, conflicts);
                    } catch (Throwable e) {
                        unexpected.add(e);
                    }
                });
            }
            start.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.MINUTES), "workers did not finish (hang guard)");

            List<String> errors = new ArrayList<>();
            unexpected.forEach(e -> errors.add(e.toString()));
            assertEquals(List.of(), errors);

            Job shared = b.findJob("SHARED").orElseThrow();
            assertEquals(claims.get(), shared.epoch());
            assertEquals(threads * OPERATIONS / 4, claims.get() + conflicts.get());
            assertTrue(claims.get() > 0);
            int expectedJobs = 1 + threads + threads * (OPERATIONS / 4);
            assertEquals(expectedJobs, a.findJobs(new JobQuery(Set.of(), 10_000)).size());
            for (int t = 0; t < threads; t++) {
                Job own = a.findJob("w" + t).orElseThrow();
                assertEquals(JobStatus.RUNNING, own.status());
                assertEquals((OPERATIONS - 3) % 101, own.progress());
                assertEquals(OPERATIONS / 2, a.findLogs("w" + t, 0, 10_000).size());
            }
        }
    }

    @Test
    void aWriteWaitsForAnotherProcessesTransactionAndFailsClearlyIfItNeverEnds() throws Exception {
        Path file = dir.resolve("locked.db");
        try (SqliteJobStore store = SqliteJobStore.builder(file).busyTimeout(Duration.ofMillis(300)).build();
                SqliteJobStore patient = SqliteJobStore.builder(file).build(); // the default busy timeout, 30 s
                Connection other = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = other.createStatement()) {
            store.insertJob(job("J1"), List.of(), List.of());
            s.execute("BEGIN IMMEDIATE");

            long started = System.nanoTime();
            StoreException e = assertThrows(StoreException.class, () -> store.requestCancel("J1", T0));
            assertTrue(e.getMessage().contains("J1") && e.getMessage().contains("locked"), e.getMessage());
            assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(250), "gave up too early");
            // Reads are not blocked by a writer (WAL).
            assertTrue(store.findJob("J1").isPresent());

            // Released while waiting: the write goes through (a store that waits long enough for
            // the release however late a busy machine runs it).
            ExecutorService releaser = Executors.newSingleThreadExecutor();
            releaser.submit(() -> {
                TimeUnit.MILLISECONDS.sleep(100);
                s.execute("COMMIT");
                return null;
            });
            assertTrue(patient.requestCancel("J1", T0));
            releaser.shutdown();
            assertTrue(releaser.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void severalProcessesOnOneFileNeverLeakLockErrors() throws Exception {
        Path file = dir.resolve("processes.db");
        try (SqliteJobStore store = SqliteJobStore.builder(file).walCheckpointEvery(50).build()) {
            store.insertJob(job("SHARED"), List.of(), List.of());
        }
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> children = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            children.add(new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                    ContentionWorker.class.getName(), file.toString(), "p" + p, Integer.toString(THREADS_PER_STORE))
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("p" + p + ".log").toFile())
                    .start());
        }
        int total = 0;
        for (int p = 0; p < children.size(); p++) {
            Process child = children.get(p);
            assertTrue(child.waitFor(10, TimeUnit.MINUTES), "child " + p + " did not finish (hang guard)");
            String output = Files.readString(dir.resolve("p" + p + ".log"));
            assertEquals(0, child.exitValue(), output);
            total += Integer.parseInt(output.lines().filter(l -> l.startsWith("claims=")).findFirst()
                    .orElseThrow(() -> new AssertionError(output)).substring("claims=".length()));
        }
        try (SqliteJobStore store = SqliteJobStore.builder(file).build()) {
            assertEquals(total, store.findJob("SHARED").orElseThrow().epoch());
            assertEquals(1 + 2 * THREADS_PER_STORE * (1 + OPERATIONS / 4), store.findJobs(new JobQuery(Set.of(), 10_000)).size());
        }
    }

}
