package dev.stepwise.engine.sqlite;

import static dev.stepwise.engine.sqlite.Fixtures.T0;
import static dev.stepwise.engine.sqlite.Fixtures.finished;
import static dev.stepwise.engine.sqlite.Fixtures.fullJob;
import static dev.stepwise.engine.sqlite.Fixtures.job;
import static dev.stepwise.engine.sqlite.Fixtures.json;
import static dev.stepwise.engine.sqlite.Fixtures.log;
import static dev.stepwise.engine.sqlite.Fixtures.stepLog;
import static dev.stepwise.engine.sqlite.Fixtures.steps;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.LogLevel;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.StoreException;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SqliteJobStoreOperationsTest extends SqliteFileTest {
    private void reopen() {
        store.close();
        store = SqliteJobStore.builder(file).build();
    }

    /** Job row, step rows and the whole log of a job. */
    private record Snapshot(Optional<Job> job, List<JobStep> steps, List<LogEntry> logs) {
    }

    private Snapshot snapshot(String jobId) {
        return new Snapshot(store.findJob(jobId), store.findSteps(jobId), store.findLogs(jobId, 0, 10_000));
    }

    private static Job claimed(Job j, String owner, long epoch, Instant expiresAt) {
        return j.toBuilder().status(JobStatus.RUNNING).leaseOwner(owner).leaseExpiresAt(expiresAt).epoch(epoch)
                .startedAt(T0.plusMillis(10)).updatedAt(T0.plusMillis(10)).build();
    }

    private static JobWrite write(Job j, WriteGuard guard) {
        return new JobWrite(j, guard, List.of(), List.of(), false, false);
    }

    // ------------------------------------------------------------------------------ round trip

    @Test
    void insertedJobStepsAndLogsRoundTripExactlyAfterReopen() {
        Job full = fullJob("J1");
        List<JobStep> rows = List.of(finished(steps("J1", 1).get(0)), JobStep.pending("J1-s1", "J1", "tts", 1, "tts"));
        List<LogEntry> lines = List.of(log("J1", "created"), stepLog("J1", "step0", 2, LogLevel.WARN, "slow"));
        store.insertJob(full, rows, lines);
        Job sparse = job("J2", 1);
        store.insertJob(sparse, List.of(), List.of());

        reopen();

        // The two unnumbered lines were numbered by the store, which bumped the job's log cursor.
        assertEquals(Optional.of(full.toBuilder().logCursor(2).build()), store.findJob("J1"));
        assertEquals(Optional.of(sparse), store.findJob("J2"));
        assertEquals(rows, store.findSteps("J1"));
        List<LogEntry> read = store.findLogs("J1", 0, 10);
        assertEquals(2, read.size());
        assertTrue(read.get(0).cursor() > 0 && read.get(1).cursor() > read.get(0).cursor());
        assertEquals(lines.get(0).withCursor(read.get(0).cursor()), read.get(0));
        assertEquals(lines.get(1).withCursor(read.get(1).cursor()), read.get(1));
        assertEquals(Optional.empty(), store.findJob("nope"));
        assertEquals(List.of(), store.findSteps("nope"));
    }

    @Test
    void insertingAnExistingIdFailsAndChangesNothing() {
        store.insertJob(job("J1"), steps("J1", 2), List.of(log("J1", "one")));
        Snapshot before = snapshot("J1");

        StoreException e = assertThrows(StoreException.class,
                () -> store.insertJob(job("J1").toBuilder().recipeSlug("other").build(), List.of(), List.of(log("J1", "two"))));
        assertTrue(e.getMessage().contains("J1") && e.getMessage().contains("already exists"), e.getMessage());
        assertEquals(before, snapshot("J1"));
    }

    @Test
    void aFailingInsertWritesNoneOfItsRows() {
        // Two rows at one step order: UNIQUE (job_id, step_order), the step rows' index since V10.
        List<JobStep> clash = List.of(JobStep.pending("a", "J1", "one", 0, "t"), JobStep.pending("b", "J1", "two", 0, "t"));
        assertThrows(StoreException.class, () -> store.insertJob(job("J1"), clash, List.of(log("J1", "x"))));
        assertEquals(new Snapshot(Optional.empty(), List.of(), List.of()), snapshot("J1"));
    }

    // ---------------------------------------------------------------------------------- guards

    @Test
    void claimableGuardHoldsForPendingAndForExpiredLeasesOnly() {
        Job pending = job("J1");
        store.insertJob(pending, steps("J1", 1), List.of());
        Instant expiry = T0.plusSeconds(30);

        store.write(write(claimed(pending, "w1", 1, expiry), new WriteGuard.Claimable(0, T0)));
        assertEquals(claimed(pending, "w1", 1, expiry), store.findJob("J1").orElseThrow());

        Snapshot before = snapshot("J1");
        // Stale epoch.
        assertThrows(WriteConflictException.class,
                () -> store.write(write(claimed(pending, "w2", 1, expiry), new WriteGuard.Claimable(0, expiry.plusSeconds(1)))));
        // Lease not yet expired.
        WriteConflictException e = assertThrows(WriteConflictException.class,
                () -> store.write(write(claimed(pending, "w2", 2, expiry), new WriteGuard.Claimable(1, expiry.minusMillis(1)))));
        assertEquals("J1", e.jobId());
        assertEquals(before, snapshot("J1"));

        // Expired exactly now: claimable.
        store.write(write(claimed(pending, "w2", 2, expiry.plusSeconds(30)), new WriteGuard.Claimable(1, expiry)));
        assertEquals("w2", store.findJob("J1").orElseThrow().leaseOwner());
        assertEquals(2, store.findJob("J1").orElseThrow().epoch());
    }

    @Test
    void ownerGuardWritesJobStepsAndLogsTogetherOrNothing() {
        Job pending = job("J1");
        List<JobStep> rows = steps("J1", 2);
        store.insertJob(pending, rows, List.of());
        Job running = claimed(pending, "w1", 1, T0.plusSeconds(30));
        store.write(write(running, new WriteGuard.Claimable(0, T0)));
        Snapshot before = snapshot("J1");

        Job progressed = running.toBuilder().progress(50).currentStep("step1").updatedAt(T0.plusMillis(200)).build();
        JobStep done = finished(rows.get(0));
        JobStep next = rows.get(1).toBuilder().status(StepStatus.RUNNING).attempts(1).startedAt(T0.plusMillis(200)).build();
        List<LogEntry> lines = List.of(stepLog("J1", "step0", 1, LogLevel.INFO, "done"));

        for (WriteGuard wrong : List.of(new WriteGuard.Owner(1, "w2"), new WriteGuard.Owner(0, "w1"),
                new WriteGuard.Owner(2, "w1"))) {
            assertThrows(WriteConflictException.class,
                    () -> store.write(new JobWrite(progressed, wrong, List.of(done, next), lines, true, true)));
            assertEquals(before, snapshot("J1"));
        }

        store.write(new JobWrite(progressed, new WriteGuard.Owner(1, "w1"), List.of(done, next), lines, false, false));
        Snapshot after = snapshot("J1");
        assertEquals(progressed.toBuilder().logCursor(1).build(), after.job().orElseThrow());
        assertEquals(List.of(done, next), after.steps());
        assertEquals(1, after.logs().size());
        assertEquals("done", after.logs().get(0).message());
    }

    @Test
    void aMissingStepRowFailsTheWholeWrite() {
        Job pending = job("J1");
        store.insertJob(pending, steps("J1", 1), List.of());
        Snapshot before = snapshot("J1");
        JobStep ghost = JobStep.pending("ghost", "J1", "ghost", 5, "t");
        StoreException e = assertThrows(StoreException.class, () -> store.write(new JobWrite(
                pending.toBuilder().progress(10).build(), new WriteGuard.Status(0, JobStatus.PENDING), List.of(ghost),
                List.of(log("J1", "x")), false, false)));
        assertTrue(e.getMessage().contains("J1") && e.getMessage().contains("ghost"), e.getMessage());
        assertEquals(before, snapshot("J1"));
    }

    @Test
    void statusGuardChecksStatusAndEpoch() {
        Job failed = job("J1").toBuilder().status(JobStatus.FAILED).epoch(3).lastError("boom").build();
        store.insertJob(failed, List.of(), List.of());
        Job retried = failed.toBuilder().status(JobStatus.PENDING).lastError(null).build();
        Snapshot before = snapshot("J1");

        assertThrows(WriteConflictException.class, () -> store.write(write(retried, new WriteGuard.Status(3, JobStatus.CANCELLED))));
        assertThrows(WriteConflictException.class, () -> store.write(write(retried, new WriteGuard.Status(2, JobStatus.FAILED))));
        assertThrows(WriteConflictException.class, () -> store.write(write(job("nope"), new WriteGuard.Status(0, JobStatus.PENDING))));
        assertEquals(before, snapshot("J1"));

        store.write(write(retried, new WriteGuard.Status(3, JobStatus.FAILED)));
        assertEquals(retried, store.findJob("J1").orElseThrow());
    }

    @Test
    void manifestAndCancelFlagChangeOnlyWhenAsked() {
        Job pending = job("J1");
        store.insertJob(pending, List.of(), List.of());
        assertTrue(store.requestCancel("J1", T0.plusMillis(50)));
        Job withManifest = pending.toBuilder().manifest(json("{\"version\":\"1.0.0\"}")).cancelRequested(false).build();

        // Neither flag: the stored manifest (null) and cancel flag (set) stay.
        store.write(write(withManifest, new WriteGuard.Status(0, JobStatus.PENDING)));
        Job read = store.findJob("J1").orElseThrow();
        assertEquals(null, read.manifest());
        assertTrue(read.cancelRequested());

        // Both flags.
        store.write(new JobWrite(withManifest, new WriteGuard.Status(0, JobStatus.PENDING), List.of(), List.of(), true, true));
        assertEquals(withManifest, store.findJob("J1").orElseThrow());
    }

    // ----------------------------------------------------------------------------------- lease

    @Test
    void renewLeaseWhileHeldAndNotAfterLosingIt() {
        Job pending = job("J1");
        store.insertJob(pending, List.of(), List.of());
        store.write(write(claimed(pending, "w1", 1, T0.plusSeconds(30)), new WriteGuard.Claimable(0, T0)));

        Optional<Job> renewed = store.renewLease("J1", 1, "w1", T0.plusSeconds(60), List.of(log("J1", "heartbeat")));
        assertEquals(T0.plusSeconds(60), renewed.orElseThrow().leaseExpiresAt());
        assertEquals(renewed, store.findJob("J1"));
        assertEquals(1, store.findLogs("J1", 0, 10).size());

        Snapshot before = snapshot("J1");
        assertEquals(Optional.empty(), store.renewLease("J1", 1, "w2", T0.plusSeconds(90), List.of(log("J1", "x"))));
        assertEquals(Optional.empty(), store.renewLease("J1", 0, "w1", T0.plusSeconds(90), List.of(log("J1", "x"))));
        assertEquals(Optional.empty(), store.renewLease("nope", 1, "w1", T0.plusSeconds(90), List.of()));
        assertEquals(before, snapshot("J1"));

        // Another runner claims after expiry: the first one's lease is lost.
        store.write(write(claimed(pending, "w2", 2, T0.plusSeconds(120)), new WriteGuard.Claimable(1, T0.plusSeconds(61))));
        assertEquals(Optional.empty(), store.renewLease("J1", 1, "w1", T0.plusSeconds(150), List.of()));
        assertEquals(T0.plusSeconds(120), store.findJob("J1").orElseThrow().leaseExpiresAt());
    }

    @Test
    void expiredLeasesAreRunningJobsOldestExpiryFirst() {
        for (int i = 0; i < 4; i++) {
            Job j = job("J" + i, i);
            store.insertJob(j, List.of(), List.of());
            if (i > 0) {
                store.write(write(claimed(j, "w", 1, T0.plusSeconds(100 - i * 10L)), new WriteGuard.Claimable(0, T0)));
            }
        }
        // J1 expires at +90 s, J2 at +80 s, J3 at +70 s; J0 is pending.
        assertEquals(List.of("J3", "J2"), ids(store.findExpiredLeases(T0.plusSeconds(80), 10)));
        assertEquals(List.of("J3"), ids(store.findExpiredLeases(T0.plusSeconds(90), 1)));
        assertEquals(List.of(), store.findExpiredLeases(T0.plusSeconds(69), 10));
    }

    // ---------------------------------------------------------------------------------- cancel

    @Test
    void cancelIsRequestedOnlyForPendingOrRunningJobs() {
        store.insertJob(job("P"), List.of(), List.of());
        store.insertJob(job("C").toBuilder().status(JobStatus.COMPLETED).build(), List.of(), List.of());

        assertTrue(store.requestCancel("P", T0.plusMillis(5)));
        Job p = store.findJob("P").orElseThrow();
        assertTrue(p.cancelRequested());
        assertEquals(T0.plusMillis(5), p.updatedAt());
        assertTrue(store.requestCancel("P", T0.plusMillis(6)));

        assertFalse(store.requestCancel("C", T0));
        assertFalse(store.findJob("C").orElseThrow().cancelRequested());
        assertFalse(store.requestCancel("nope", T0));
    }

    // --------------------------------------------------------------------------------- listing

    @Test
    void jobsAreListedNewestFirstFilteredAndLimited() {
        store.insertJob(job("A", 0), List.of(), List.of());
        store.insertJob(job("B", 10), List.of(), List.of());
        store.insertJob(job("C", 10).toBuilder().status(JobStatus.FAILED).build(), List.of(), List.of());
        store.insertJob(job("D", 20).toBuilder().status(JobStatus.COMPLETED).build(), List.of(), List.of());

        assertEquals(List.of("D", "C", "B", "A"), ids(store.findJobs(JobQuery.all())));
        assertEquals(List.of("D", "C"), ids(store.findJobs(new JobQuery(Set.of(), 2))));
        assertEquals(List.of("C", "B", "A"), ids(store.findJobs(new JobQuery(Set.of(JobStatus.PENDING, JobStatus.FAILED), 10))));
        assertEquals(List.of(), store.findJobs(new JobQuery(Set.of(JobStatus.RUNNING), 10)));
    }

    // ------------------------------------------------------------------------------------ logs

    @Test
    void logsAreReadIncrementallyByCursor() {
        store.insertJob(job("J1"), List.of(), List.of(log("J1", "m0"), log("J1", "m1")));
        store.insertJob(job("J2"), List.of(), List.of(log("J2", "other")));
        store.write(new JobWrite(job("J1"), new WriteGuard.Status(0, JobStatus.PENDING), List.of(),
                List.of(log("J1", "m2"), log("J1", "m3"), log("J1", "m4")), false, false));

        List<String> seen = new java.util.ArrayList<>();
        long cursor = 0;
        int pages = 0;
        while (true) {
            List<LogEntry> page = store.findLogs("J1", cursor, 2);
            if (page.isEmpty()) {
                break;
            }
            pages++;
            for (LogEntry e : page) {
                assertTrue(e.cursor() > cursor);
                cursor = e.cursor();
                seen.add(e.message());
            }
        }
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), seen);
        assertEquals(3, pages);
        assertEquals(List.of("other"), store.findLogs("J2", 0, 10).stream().map(LogEntry::message).toList());
        assertThrows(IllegalArgumentException.class, () -> store.findLogs("J1", 0, 0));
    }

    // ----------------------------------------------------------------------------------- close

    @Test
    void closeIsIdempotentAndLaterCallsFailClearly() {
        store.close();
        store.close();
        StoreException e = assertThrows(StoreException.class, () -> store.findJob("J1"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(StoreException.class, () -> store.insertJob(job("J1"), List.of(), List.of()));
    }

    private static List<String> ids(List<Job> jobs) {
        return jobs.stream().map(Job::id).toList();
    }
}
