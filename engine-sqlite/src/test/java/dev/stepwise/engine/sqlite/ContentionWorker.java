package dev.stepwise.engine.sqlite;

import static dev.stepwise.engine.sqlite.Fixtures.T0;
import static dev.stepwise.engine.sqlite.Fixtures.job;
import static dev.stepwise.engine.sqlite.Fixtures.log;
import static dev.stepwise.engine.sqlite.Fixtures.steps;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobWrite;
import dev.stepwise.engine.api.WriteConflictException;
import dev.stepwise.engine.api.WriteGuard;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The work of one contending runner: guarded writes, lease renewals, inserts and claims of the
 * job {@code SHARED}. Also a main program, run as a separate process by {@link SqliteContentionTest}:
 * {@code ContentionWorker <file> <name> <threads>}; prints {@code claims=<n>}, exits 1 on any error.
 */
final class ContentionWorker {
    static final int OPERATIONS = 200;

    private ContentionWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String name = args[1];
        int threads = Integer.parseInt(args[2]);
        AtomicInteger claims = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        List<Throwable> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        try (SqliteJobStore store = SqliteJobStore.builder(file).walCheckpointEvery(50).build()) {
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String owner = name + "-w" + t;
                Thread worker = new Thread(() -> {
                    try {
                        run(store, owner, claims, conflicts);
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                }, owner);
                worker.start();
                workers.add(worker);
            }
            for (Thread worker : workers) {
                worker.join();
            }
        }
        errors.forEach(Throwable::printStackTrace);
        System.out.println("claims=" + claims.get());
        System.out.println("conflicts=" + conflicts.get());
        System.exit(errors.isEmpty() ? 0 : 1);
    }

    static void run(SqliteJobStore store, String owner, AtomicInteger claims, AtomicInteger conflicts) {
        Job own = job(owner);
        store.insertJob(own, steps(owner, 2), List.of());
        Instant far = T0.plusSeconds(3600);
        own = own.toBuilder().status(JobStatus.RUNNING).leaseOwner(owner).leaseExpiresAt(far).epoch(1).build();
        store.write(new JobWrite(own, new WriteGuard.Claimable(0, T0), List.of(), List.of(), false, false));
        for (int i = 0; i < OPERATIONS; i++) {
            switch (i % 4) {
                case 0 -> {
                    if (store.renewLease(owner, 1, owner, far.plusSeconds(i), List.of(log(owner, "beat " + i))).isEmpty()) {
                        throw new AssertionError(owner + " lost its lease");
                    }
                }
                case 1 -> {
                    own = own.toBuilder().progress(i % 101).updatedAt(T0.plusMillis(i)).build();
                    store.write(new JobWrite(own, new WriteGuard.Owner(1, owner), List.of(), List.of(log(owner, "step " + i)),
                            false, false));
                }
                case 2 -> {
                    String id = owner + "-" + i;
                    store.insertJob(job(id, i), steps(id, 2), List.of(log(id, "created")));
                }
                default -> {
                    Job shared = store.findJob("SHARED").orElseThrow();
                    Job claimed = shared.toBuilder().status(JobStatus.RUNNING).leaseOwner(owner)
                            .leaseExpiresAt(T0).epoch(shared.epoch() + 1).build();
                    try {
                        store.write(new JobWrite(claimed, new WriteGuard.Claimable(shared.epoch(), T0), List.of(), List.of(),
                                false, false));
                        claims.incrementAndGet();
                    } catch (WriteConflictException expected) {
                        conflicts.incrementAndGet();
                    }
                }
            }
        }
    }
}
