package dev.stepwise.engine.sqlite;

import static dev.stepwise.engine.sqlite.Fixtures.T0;
import static dev.stepwise.engine.sqlite.Fixtures.job;
import static dev.stepwise.engine.sqlite.Fixtures.log;
import static dev.stepwise.engine.sqlite.Fixtures.steps;

import dev.stepwise.engine.api.Job;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A process of queue clients, run by {@link SqliteQueueTest}:
 * {@code QueueWorker <file> <name> <threads> <barrierDir> <peers>}. Once every process is
 * ready ({@link FileBarrier}), every thread inserts a job with the idempotency key {@code shared} (printing {@code key=<id returned>}),
 * then claims jobs until none is left (printing {@code claimed=<id>} for each). Exits 1 on any error.
 */
final class QueueWorker {
    static final String KEY = "shared";
    static final Instant LEASE = T0.plusSeconds(300);

    private QueueWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        String name = args[1];
        int threads = Integer.parseInt(args[2]);
        List<String> out = Collections.synchronizedList(new ArrayList<>());
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        try (SqliteJobStore store = SqliteJobStore.builder(file).build()) {
            FileBarrier.await(Path.of(args[3]), Integer.parseInt(args[4]));
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String owner = name + "-w" + t;
                Thread worker = new Thread(() -> {
                    try {
                        String id = "K-" + owner;
                        Job mine = job(id).toBuilder().idempotencyKey(KEY).build();
                        out.add("key=" + store.insertJob(mine, steps(id, 1), List.of(log(id, "by " + owner))).id());
                        for (Optional<Job> c = store.claimNext(owner, T0.plusSeconds(1), LEASE, Map.of()); c.isPresent();
                                c = store.claimNext(owner, T0.plusSeconds(1), LEASE, Map.of())) {
                            out.add("claimed=" + c.get().id() + " by=" + owner);
                        }
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
        synchronized (out) {
            out.forEach(System.out::println);
        }
        System.exit(errors.isEmpty() ? 0 : 1);
    }
}
