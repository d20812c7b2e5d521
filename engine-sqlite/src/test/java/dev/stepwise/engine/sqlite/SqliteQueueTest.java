package dev.stepwise.engine.sqlite;

import static dev.stepwise.engine.sqlite.Fixtures.T0;
import static dev.stepwise.engine.sqlite.Fixtures.job;
import static dev.stepwise.engine.sqlite.Fixtures.log;
import static dev.stepwise.engine.sqlite.Fixtures.steps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.WriteGuard;
import dev.stepwise.engine.sqlite.internal.Codec;
import dev.stepwise.engine.sqlite.internal.NamedSql;
import dev.stepwise.engine.sqlite.internal.Params;
import dev.stepwise.engine.sqlite.internal.SqlFile;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The queue on a SQLite file: idempotent inserts and claims, in one store and across stores. */
class SqliteQueueTest extends SqliteFileTest {
    private static final Instant LEASE = T0.plusSeconds(300);


    private static Job keyed(String id, String key) {
        return job(id).toBuilder().idempotencyKey(key).build();
    }

    private Optional<Job> claim(String owner, Instant now, Map<String, Integer> limits) {
        return store.claimNext(owner, now, LEASE, limits);
    }

    private List<Job> all() {
        return store.findJobs(new JobQuery(Set.of(), 1000));
    }

    // --------------------------------------------------------------------------- idempotent insert

    @Test
    void insertReturnsTheJobAsStored() {
        Job j = job("J1").toBuilder().runAt(T0.plusSeconds(5)).priority(7).idempotencyKey("k1").build();
        assertEquals(j, store.insertJob(j, steps("J1", 1), List.of()));
        assertEquals(Optional.of(j), store.findJob("J1"));
        Job plain = job("J2");
        assertEquals(plain, store.insertJob(plain, List.of(), List.of()));
        assertEquals(T0, store.findJob("J2").orElseThrow().runAt());
    }

    @Test
    void insertWithAKnownKeyReturnsTheExistingJobAndWritesNothing() {
        // The store numbers the unnumbered line: the job's log cursor becomes 1.
        Job first = keyed("J1", "order-42").toBuilder().logCursor(1).build();
        store.insertJob(first.toBuilder().logCursor(0).build(), steps("J1", 2), List.of(log("J1", "created")));

        Job second = job("J2", 5).toBuilder().idempotencyKey("order-42").priority(9).recipeSlug("other").build();
        Job returned = store.insertJob(second, steps("J2", 3), List.of(log("J2", "created too"), log("J1", "not me")));

        assertEquals(first, returned);
        assertEquals(Optional.empty(), store.findJob("J2"));
        assertEquals(List.of(), store.findSteps("J2"));
        assertEquals(List.of(), store.findLogs("J2", 0, 100));
        assertEquals(1, store.findLogs("J1", 0, 100).size());
        assertEquals(2, store.findSteps("J1").size());
        assertEquals(List.of(first), all());

        // Other keys and no key are independent.
        store.insertJob(keyed("J3", "order-43"), List.of(), List.of());
        store.insertJob(job("J4"), List.of(), List.of());
        store.insertJob(job("J5"), List.of(), List.of());
        assertEquals(4, all().size());
    }

    @Test
    void theKeyNeverChangesAfterInsertButRunAtAndPriorityDo() {
        Job j = keyed("J1", "k");
        store.insertJob(j, List.of(), List.of());
        Job changed = j.toBuilder().runAt(T0.plusSeconds(90)).priority(4).idempotencyKey("other").updatedAt(T0.plusMillis(3))
                .build();
        store.write(new JobWrite(changed, new WriteGuard.Status(0, JobStatus.PENDING), List.of(), List.of(), false, false));

        assertEquals(changed.toBuilder().idempotencyKey("k").build(), store.findJob("J1").orElseThrow());
        assertEquals("J1", store.insertJob(keyed("J9", "k"), List.of(), List.of()).id());
        assertEquals(Optional.empty(), store.findJob("J9"));
    }

    @Test
    void eightThreadsOnTwoStoresRacingWithOneKeyMakeOneJob() throws Exception {
        try (SqliteJobStore other = SqliteJobStore.builder(file).build()) {
            List<SqliteJobStore> stores = List.of(store, other);
            int threads = 8;
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Job>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    SqliteJobStore s = stores.get(t % 2);
                    String id = "J" + t;
                    Callable<Job> insert = () -> {
                        start.await();
                        return s.insertJob(keyed(id, "same"), steps(id, 2), List.of(log(id, "created by " + id)));
                    };
                    results.add(pool.submit(insert));
                }
                start.countDown();
                Set<Job> returned = new HashSet<>();
                for (Future<Job> f : results) {
                    returned.add(f.get(60, TimeUnit.SECONDS));
                }
                assertEquals(1, returned.size(), returned.toString());
                Job winner = returned.iterator().next();
                assertEquals(List.of(winner), all());
                assertEquals(List.of(winner), other.findJobs(new JobQuery(Set.of(), 100)));
                for (int t = 0; t < threads; t++) {
                    String id = "J" + t;
                    boolean won = id.equals(winner.id());
                    assertEquals(won ? 2 : 0, store.findSteps(id).size(), id);
                    assertEquals(won ? 1 : 0, store.findLogs(id, 0, 100).size(), id);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    // -------------------------------------------------------------------------------------- claims

    @Test
    void claimsFollowPriorityThenRunAtThenId() {
        // Inserted in an order unlike the claim order; ids break the run-at tie of J2 and J3.
        store.insertJob(job("J0").toBuilder().priority(0).build(), List.of(), List.of());
        store.insertJob(job("J3").toBuilder().priority(5).runAt(T0.plusMillis(5)).build(), List.of(), List.of());
        store.insertJob(job("J1").toBuilder().priority(5).runAt(T0.plusMillis(10)).build(), List.of(), List.of());
        store.insertJob(job("J2").toBuilder().priority(5).runAt(T0.plusMillis(5)).build(), List.of(), List.of());
        store.insertJob(job("J4").toBuilder().priority(-1).runAt(T0.minusSeconds(60)).build(), List.of(), List.of());

        List<String> order = new ArrayList<>();
        for (Optional<Job> c = claim("w", T0.plusSeconds(1), Map.of()); c.isPresent(); c = claim("w", T0.plusSeconds(1), Map.of())) {
            order.add(c.get().id());
        }
        assertEquals(List.of("J2", "J3", "J1", "J0", "J4"), order);
    }

    @Test
    void aJobIsNotClaimedBeforeItsRunAt() {
        store.insertJob(job("LATER").toBuilder().priority(10).runAt(T0.plusSeconds(10)).build(), List.of(), List.of());
        store.insertJob(job("NOW").toBuilder().priority(0).build(), List.of(), List.of());

        assertEquals("NOW", claim("w", T0, Map.of()).orElseThrow().id());
        assertEquals(Optional.empty(), claim("w", T0.plusMillis(9_999), Map.of()));
        assertEquals(JobStatus.PENDING, store.findJob("LATER").orElseThrow().status());
        assertEquals("LATER", claim("w", T0.plusSeconds(10), Map.of()).orElseThrow().id());
    }

    @Test
    void recipesAtTheirLimitAreSkipped() {
        store.insertJob(job("A1").toBuilder().recipeSlug("a").build(), List.of(), List.of());
        store.insertJob(job("A2").toBuilder().recipeSlug("a").build(), List.of(), List.of());
        assertEquals("A1", claim("w", T0, Map.of("a", 2)).orElseThrow().id());
        assertEquals("A2", claim("w", T0, Map.of("a", 2)).orElseThrow().id());
        store.insertJob(job("A3").toBuilder().recipeSlug("a").priority(10).build(), List.of(), List.of());
        store.insertJob(job("B1").toBuilder().recipeSlug("b").build(), List.of(), List.of());
        store.insertJob(job("C1").toBuilder().recipeSlug("c").priority(-5).build(), List.of(), List.of());

        // Two of "a" run, limit 2: A3 (the highest priority) is skipped, B1 is next.
        assertEquals("B1", claim("w", T0, Map.of("a", 2, "b", 1)).orElseThrow().id());
        // "b" is now at its limit too; "c" has a limit of 0: nothing to claim.
        assertEquals(Optional.empty(), claim("w", T0, Map.of("a", 2, "b", 1, "c", 0)));
        // A limit on other recipes only does not hold "a" back.
        assertEquals("A3", claim("w", T0, Map.of("a", 3)).orElseThrow().id());
        assertEquals("C1", claim("w", T0, Map.of("a", 3, "zzz", 0)).orElseThrow().id());
        assertEquals(Set.of(JobStatus.RUNNING), Set.copyOf(all().stream().map(Job::status).toList()));

        // A finished job no longer counts.
        Job a1 = store.findJob("A1").orElseThrow();
        store.write(new JobWrite(a1.toBuilder().status(JobStatus.COMPLETED).leaseOwner(null).leaseExpiresAt(null).build(),
                new WriteGuard.Owner(a1.epoch(), "w"), List.of(), List.of(), false, false));
        store.insertJob(job("A4").toBuilder().recipeSlug("a").build(), List.of(), List.of());
        assertEquals(Optional.empty(), claim("w", T0, Map.of("a", 2)));
        assertEquals("A4", claim("w", T0, Map.of("a", 3)).orElseThrow().id());
        assertThrows(IllegalArgumentException.class, () -> claim("w", T0, Map.of("a", -1)));
    }

    @Test
    void aClaimSetsTheLeaseAndIncrementsTheEpoch() {
        Job fresh = job("J1");
        store.insertJob(fresh, List.of(), List.of());
        Instant now = T0.plusSeconds(2);
        Job claimed = claim("worker-1", now, Map.of()).orElseThrow();
        Job expected = fresh.toBuilder().status(JobStatus.RUNNING).leaseOwner("worker-1").leaseExpiresAt(LEASE).epoch(1)
                .startedAt(now).updatedAt(now).build();
        assertEquals(expected, claimed);
        assertEquals(Optional.of(expected), store.findJob("J1"));

        // A job handed back (e.g. a retry waiting for its backoff) keeps its first start; its
        // old finish time is cleared.
        Job handedBack = job("J2").toBuilder().epoch(4).startedAt(T0.plusMillis(1)).finishedAt(T0.plusMillis(2))
                .lastError("boom").runAt(now).priority(3).idempotencyKey("k2").build();
        store.insertJob(handedBack, List.of(), List.of());
        Job second = claim("worker-2", now, Map.of()).orElseThrow();
        assertEquals(handedBack.toBuilder().status(JobStatus.RUNNING).leaseOwner("worker-2").leaseExpiresAt(LEASE).epoch(5)
                .updatedAt(now).finishedAt(null).build(), second);
        assertEquals(Optional.of(second), store.findJob("J2"));
        // The claimer's lease holds: its owner-guarded writes go through, others' do not.
        assertTrue(store.renewLease("J2", 5, "worker-2", LEASE.plusSeconds(1), List.of()).isPresent());
        assertFalse(store.renewLease("J2", 4, "worker-2", LEASE.plusSeconds(1), List.of()).isPresent());
    }

    @Test
    void nothingPendingClaimsNothing() {
        assertEquals(Optional.empty(), claim("w", T0, Map.of()));
        store.insertJob(job("R").toBuilder().status(JobStatus.RUNNING).leaseOwner("x").leaseExpiresAt(T0).epoch(1).build(),
                List.of(), List.of());
        store.insertJob(job("C").toBuilder().status(JobStatus.COMPLETED).build(), List.of(), List.of());
        store.insertJob(job("F").toBuilder().status(JobStatus.FAILED).build(), List.of(), List.of());
        store.insertJob(job("X").toBuilder().status(JobStatus.CANCELLED).build(), List.of(), List.of());
        // Not even a running job whose lease expired: recovery, not claims, takes those.
        assertEquals(Optional.empty(), claim("w", T0.plusSeconds(60), Map.of()));
    }

    @Test
    void twoStoresWithFourThreadsEachClaimEveryJobExactlyOnce() throws Exception {
        int jobs = 200;
        for (int i = 0; i < jobs; i++) {
            String id = String.format("J%03d", i);
            store.insertJob(job(id, i).toBuilder().priority(i % 3).recipeSlug(i % 2 == 0 ? "even" : "odd").build(),
                    List.of(), List.of());
        }
        try (SqliteJobStore other = SqliteJobStore.builder(file).build()) {
            List<SqliteJobStore> stores = List.of(store, other);
            int threads = 8;
            Map<String, String> claimedBy = new ConcurrentHashMap<>();
            ConcurrentLinkedQueue<String> duplicates = new ConcurrentLinkedQueue<>();
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<Integer>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    SqliteJobStore s = stores.get(t % 2);
                    String owner = "w" + t;
                    results.add(pool.submit(() -> {
                        start.await();
                        int n = 0;
                        for (Optional<Job> c = s.claimNext(owner, T0.plusSeconds(1), LEASE, Map.of());
                                c.isPresent(); c = s.claimNext(owner, T0.plusSeconds(1), LEASE, Map.of())) {
                            if (claimedBy.putIfAbsent(c.get().id(), owner) != null) {
                                duplicates.add(c.get().id());
                            }
                            n++;
                        }
                        return n;
                    }));
                }
                start.countDown();
                int total = 0;
                for (Future<Integer> f : results) {
                    total += f.get(120, TimeUnit.SECONDS);
                }
                assertEquals(List.of(), List.copyOf(duplicates));
                assertEquals(jobs, total);
                assertEquals(jobs, claimedBy.size());
            } finally {
                pool.shutdownNow();
            }
            for (Job j : all()) {
                assertEquals(JobStatus.RUNNING, j.status(), j.id());
                assertEquals(1, j.epoch(), j.id());
                assertEquals(claimedBy.get(j.id()), j.leaseOwner(), j.id());
            }
        }
    }

    @Test
    void twoProcessesRaceOnOneKeyAndClaimEveryJobExactlyOnce() throws Exception {
        int jobs = 200;
        for (int i = 0; i < jobs; i++) {
            store.insertJob(job(String.format("J%03d", i), i).toBuilder().priority(i % 3).build(), List.of(), List.of());
        }
        store.close();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> children = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            children.add(new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"),
                    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", QueueWorker.class.getName(), file.toString(), "p" + p,
                    "4", dir.resolve("barrier").toString(), "2")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("p" + p + ".log").toFile())
                    .start());
        }
        Set<String> keyIds = new HashSet<>();
        Map<String, String> claimedBy = new HashMap<>();
        List<String> duplicates = new ArrayList<>();
        for (int p = 0; p < children.size(); p++) {
            Process child = children.get(p);
            assertTrue(child.waitFor(10, TimeUnit.MINUTES), "child " + p + " did not finish (hang guard)");
            String output = java.nio.file.Files.readString(dir.resolve("p" + p + ".log"));
            assertEquals(0, child.exitValue(), output);
            for (String line : output.lines().toList()) {
                if (line.startsWith("key=")) {
                    keyIds.add(line.substring("key=".length()));
                } else if (line.startsWith("claimed=")) {
                    String[] parts = line.split(" by=");
                    if (claimedBy.put(parts[0].substring("claimed=".length()), parts[1]) != null) {
                        duplicates.add(line);
                    }
                }
            }
        }
        store = SqliteJobStore.builder(file).build();
        assertEquals(1, keyIds.size(), keyIds.toString());
        String keyed = keyIds.iterator().next();
        List<Job> stored = all();
        assertEquals(jobs + 1, stored.size());
        assertEquals(List.of(), duplicates);
        // The keyed job was inserted before its inserter's claims began, so it was claimed too.
        assertEquals(jobs + 1, claimedBy.size());
        for (Job j : stored) {
            assertEquals(JobStatus.RUNNING, j.status(), j.id());
            assertEquals(1, j.epoch(), j.id());
            assertEquals(claimedBy.get(j.id()), j.leaseOwner(), j.id());
        }
        assertEquals(QueueWorker.KEY, store.findJob(keyed).orElseThrow().idempotencyKey());
        assertEquals(1, store.findSteps(keyed).size());
        assertEquals(1, store.findLogs(keyed, 0, 100).size());
    }

    // ------------------------------------------------------------------------------- query plans

    @Test
    void theClaimAndThePickWalkTheClaimIndexWithoutScanOrSort() throws SQLException {
        for (int i = 0; i < 50; i++) {
            store.insertJob(job("J" + i, i).toBuilder().priority(i % 4).recipeSlug("r" + (i % 5))
                    .status(i % 3 == 0 ? JobStatus.COMPLETED : JobStatus.PENDING).build(), List.of(), List.of());
        }
        SqlFile queries = SqlFile.load("/dev/stepwise/engine/sqlite/queries.sql");
        Params claim = Params.of().set("now", T0).set("saturated", Codec.jsonArray(List.of("r1", "r2")));
        Params counts = Params.of().set("slugs", Codec.jsonArray(List.of("r1", "r2")));
        for (boolean analyzed : List.of(false, true)) {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
                if (analyzed) {
                    try (Statement s = c.createStatement()) {
                        s.execute("ANALYZE");
                    }
                }
                List<String> plan = plan(c, queries.get("select_claim_candidate"), claim);
                String text = String.join("\n", plan);
                assertTrue(plan.stream().anyMatch(l -> l.startsWith("SEARCH jobs USING INDEX jobs_claim (status=?)")), text);
                assertFalse(text.contains("SCAN jobs"), text);
                assertFalse(text.contains("TEMP B-TREE"), text);

                // The workers' pick (issue 15): the same walk of jobs_claim, stopping after :limit rows.
                List<String> pickPlan = plan(c, queries.get("select_claimable"), Params.of().set("now", T0).set("limit", 8));
                String pickText = String.join("\n", pickPlan);
                assertTrue(pickPlan.stream().anyMatch(l -> l.startsWith("SEARCH jobs USING INDEX jobs_claim (status=?)")),
                        pickText);
                assertFalse(pickText.contains("SCAN jobs"), pickText);
                assertFalse(pickText.contains("TEMP B-TREE"), pickText);

                String countPlan = String.join("\n", plan(c, queries.get("select_running_counts"), counts));
                // Since V8 (issue 15) the running jobs are found through the status prefix of an index
                // (few rows), not an index of their own that every claim and final write rewrote.
                assertTrue(countPlan.contains("USING INDEX jobs_claim (status=?)")
                        || countPlan.contains("USING INDEX jobs_by_status (status=?)"), countPlan);
                assertFalse(countPlan.contains("SCAN jobs"), countPlan);

                String keyPlan = String.join("\n", plan(c, queries.get("select_job_by_idempotency_key"),
                        Params.of().set("idempotencyKey", "k")));
                assertTrue(keyPlan.contains("USING INDEX jobs_by_idempotency_key (idempotency_key=?)"), keyPlan);
            }
        }
    }

    @Test
    void stepRowsAreReadAndUpdatedThroughTheirOneIndex() throws SQLException {
        for (int i = 0; i < 20; i++) {
            store.insertJob(job("S" + i, i), List.of(step("S" + i, 0), step("S" + i, 1), step("S" + i, 2)), List.of());
        }
        SqlFile queries = SqlFile.load("/dev/stepwise/engine/sqlite/queries.sql");
        dev.stepwise.engine.api.JobStep row = store.findSteps("S7").get(1);
        for (boolean analyzed : List.of(false, true)) {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
                if (analyzed) {
                    try (Statement s = c.createStatement()) {
                        s.execute("ANALYZE");
                    }
                }
                // V10 (issue 15): UNIQUE (job_id, step_order) is the index of job_steps; no id index.
                String read = String.join("\n", plan(c, queries.get("select_steps"), Params.of().set("jobId", "S7")));
                assertTrue(read.contains("USING INDEX sqlite_autoindex_job_steps_1 (job_id=?)"), read);
                assertFalse(read.contains("SCAN job_steps") || read.contains("TEMP B-TREE"), read);
                String update = String.join("\n", plan(c, queries.get("update_step"),
                        dev.stepwise.engine.sqlite.internal.Rows.step(row)));
                assertTrue(update.contains("USING INDEX sqlite_autoindex_job_steps_1 (job_id=? AND step_order=?)"), update);
                assertFalse(update.contains("SCAN job_steps"), update);
            }
        }
    }

    private static dev.stepwise.engine.api.JobStep step(String jobId, int order) {
        return dev.stepwise.engine.api.JobStep.pending(jobId + "-" + order, jobId, "k" + order, order, "echo");
    }

    private static List<String> plan(Connection c, NamedSql sql, Params params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("EXPLAIN QUERY PLAN " + sql.sql())) {
            sql.bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                List<String> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(rs.getString("detail"));
                }
                return out;
            }
        }
    }
}
