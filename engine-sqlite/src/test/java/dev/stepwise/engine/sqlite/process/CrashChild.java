package dev.stepwise.engine.sqlite.process;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobBusyException;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * A child JVM for the process tests: opens the SQLite file, waits for the job's lease if
 * another (dead) runner still holds it, and runs the job. With {@code halt=POINT@STEP} it
 * halts the JVM ({@code Runtime.halt}, no shutdown hooks, like a crash) at that point.
 *
 * <p>Exit codes: 0 completed, 1 failed, 3 cancelled, 137 halted on purpose, 4 gave up waiting.
 */
public final class CrashChild {
    static final int HALTED = 137;

    private CrashChild() {
    }

    /**
     * @param args {@code key=value}: db, effects, job, steps, ttlMs, heartbeatMs, maxInterruptions,
     *             sleepMaxMs, slowStep, slowMs, halt (optional)
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Path db = Path.of(a.get("db"));
        String jobId = a.get("job");
        int steps = Integer.parseInt(a.getOrDefault("steps", "20"));
        String halt = a.get("halt");
        RunListener listener = halt == null ? RunListener.NONE : new HaltAt(halt, Path.of(a.get("effects")));
        try (SqliteJobStore store = stores(db, halt);
                JobEngine engine = JobEngine.builder(store)
                        .leaseTtl(Duration.ofMillis(Long.parseLong(a.getOrDefault("ttlMs", "1000"))))
                        .heartbeatInterval(Duration.ofMillis(Long.parseLong(a.getOrDefault("heartbeatMs", "250"))))
                        .maxInterruptions(Integer.parseInt(a.getOrDefault("maxInterruptions", "1000")))
                        .listener(listener)
                        .step(KillRecipe.TYPE, new KillRecipe.Effect(Path.of(a.get("effects")),
                                Integer.parseInt(a.getOrDefault("sleepMaxMs", "50")), a.get("slowStep"),
                                Integer.parseInt(a.getOrDefault("slowMs", "0"))))
                        .recipe(KillRecipe.recipe(steps))
                        .build()) {
            // A dead runner's lease (a second at most) expires within a few tries of 50 ms each.
            for (int tries = 0; tries < 2_400; tries++) {
                engine.recover();
                if (store.findJob(jobId).map(j -> j.status() == JobStatus.COMPLETED).orElse(false)) {
                    System.exit(0); // the previous child was killed after the final commit, before its exit
                }
                try {
                    Job end = engine.run(jobId);
                    System.exit(switch (end.status()) {
                        case COMPLETED -> 0;
                        case CANCELLED -> 3;
                        default -> 1;
                    });
                } catch (JobBusyException e) {
                    Thread.sleep(50); // a dead runner's lease has not expired yet
                }
            }
            System.exit(4);
        }
    }

    private static SqliteJobStore stores(Path db, String halt) {
        SqliteJobStore.Builder b = SqliteJobStore.builder(db);
        if (halt != null && halt.startsWith("in-checkpoint-tx@")) {
            String step = halt.substring(halt.indexOf('@') + 1);
            b.beforeCommit(write -> {
                if (write.steps().stream().anyMatch(s -> s.stepKey().equals(step) && s.status().hasOutput())) {
                    Runtime.getRuntime().halt(HALTED);
                }
            });
        }
        return b.build();
    }

    /** Halts the JVM at a named point of the run of one step. */
    static final class HaltAt implements RunListener {
        private final String point;
        private final String step;
        private volatile String current;
        private volatile boolean executed;
        private final Path effects;

        HaltAt(String spec, Path effects) {
            int at = spec.indexOf('@');
            this.point = spec.substring(0, at);
            this.step = spec.substring(at + 1);
            this.effects = effects;
        }

        private void halt(String here) {
            if (point.equals(here)) {
                Runtime.getRuntime().halt(HALTED);
            }
        }

        @Override
        public void beforeRunningRecord(String jobId, String stepKey) {
            current = stepKey;
            if (stepKey.equals(step)) {
                halt("before-running");
            }
        }

        @Override
        public void afterStepExecuted(String jobId, String stepKey) {
            if (stepKey.equals(step)) {
                executed = true;
                halt("after-effect");
            }
        }

        @Override
        public void afterCommit(String jobId, boolean terminal) {
            // The first commit after the step executed is its checkpoint. (current is already the
            // next step by then: its running record rides in the same commit.)
            if (executed) {
                halt("after-commit");
            }
        }

        @Override
        public void beforeCommit(String jobId, boolean terminal) {
            if (terminal) {
                halt("final-write");
            }
        }

        @Override
        public void beforeLeaseRenewal(String jobId) {
            // Only once the step is under way (its effect line written): a renewal that comes between
            // the running record and the step's first line would halt before anything ran.
            if (step.equals(current) && effectWritten()) {
                halt("lease-renewal");
            }
        }

        private boolean effectWritten() {
            try {
                return !Effects.read(effects).getOrDefault(step, java.util.List.of()).isEmpty();
            } catch (java.io.IOException | RuntimeException e) {
                return false; // not readable yet (a line being written): the next renewal looks again
            }
        }
    }
}
