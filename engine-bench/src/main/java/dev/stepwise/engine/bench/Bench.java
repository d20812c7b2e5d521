package dev.stepwise.engine.bench;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.RetryPolicy;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.core.FileArtifactStore;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.engine.sqlite.Synchronous;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The Stepwise benchmark harness (issue 6): the engine against the raw SQLite floor, in one run,
 * printing one Markdown table to stdout (progress goes to stderr). Every workload runs on a fresh
 * SQLite file (WAL) in a temporary directory, deleted afterwards.
 *
 * <pre>
 *   java -jar engine-bench/target/stepwise-bench.jar [--quick] [--reps N] [--out FILE]
 *        [--only memory,throughput,workers,group,overhead,growth,commits,wal,dashboard,dashboard-logs,artifacts,observe] [--observe]
 *        [--sync normal|full|both]
 *   java -jar engine-bench/target/stepwise-bench.jar --store postgres [--url JDBC-URL] [--quick] [--reps N] [--out FILE]
 * </pre>
 *
 * <p>Not JMH: a plain harness with one JIT warm-up pass, then at least 3 repetitions per
 * figure (median, min-max). {@code --quick} is a smoke run (1 repetition, a tenth of the work).
 */
public final class Bench {
    static {
        // Before the first logger exists: the engine logs one INFO line per job otherwise.
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }

    private static final Set<String> WORKLOADS = Set.of("memory", "throughput", "workers", "group", "overhead", "growth", "commits",
            "wal", "dashboard", "dashboard-logs", "artifacts", "observe");

    private final boolean quick;
    /** {@code --jobs J}: J x 5 (and J/10 x 50) instead of 2000 x 5 and 200 x 50 in the throughput and workers rows. */
    private static int jobsOverride;
    private final int reps;
    private final List<Synchronous> syncs;
    private final Clock clock;
    private final List<String[]> rows = new ArrayList<>();

    private Bench(boolean quick, int reps, List<Synchronous> syncs, Clock clock) {
        this.quick = quick;
        this.reps = reps;
        this.syncs = syncs;
        this.clock = clock;
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals(ProcessWorkers.CHILD)) {
            ProcessWorkers.child(args); // one worker JVM of the "worker JVMs on one file" rows
            return;
        }
        if (List.of(args).contains("--store")) {
            PgBench.main(args); // --store postgres: the PostgreSQL rows (docs/benchmarks.md)
            return;
        }
        boolean quick = false;
        Integer reps = null;
        Path out = null;
        Set<String> only = WORKLOADS;
        List<Synchronous> syncs = List.of(Synchronous.NORMAL, Synchronous.FULL);
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--jobs" -> jobsOverride = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--only" -> only = Set.of(args[++i].split(","));
                case "--observe" -> only = Set.of("observe"); // issue 14: observation on vs off
                case "--sync" -> syncs = switch (args[++i]) {
                    case "normal" -> List.of(Synchronous.NORMAL);
                    case "full" -> List.of(Synchronous.FULL);
                    default -> List.of(Synchronous.NORMAL, Synchronous.FULL);
                };
                case "-h", "--help" -> {
                    System.out.println("usage: java -jar stepwise-bench.jar [--quick] [--reps N] [--out FILE]"
                            + " [--jobs J] [--only " + String.join(",", WORKLOADS) + "] [--observe] [--sync normal|full|both]");
                    return;
                }
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (try --help)");
            }
        }
        for (String w : only) {
            if (!WORKLOADS.contains(w)) {
                throw new IllegalArgumentException("unknown workload " + w + "; one of " + WORKLOADS);
            }
        }
        Clock clock = Clock.systemUTC(); // the harness's only time source (durations use System.nanoTime)
        Bench bench = new Bench(quick, reps != null ? reps : quick ? 1 : 3, syncs, clock);
        long t0 = System.nanoTime();
        // Memory first: its heap figures should not carry the other workloads' leftovers.
        if (only.contains("memory")) {
            bench.memory();
        }
        if (only.contains("throughput") || only.contains("workers") || only.contains("overhead") || only.contains("growth")) {
            bench.warmUp();
        }
        if (only.contains("throughput")) {
            bench.throughput();
        }
        if (only.contains("workers")) {
            bench.workers();
        }
        if (only.contains("group")) {
            bench.groupCommit();
        }
        if (only.contains("overhead")) {
            bench.overhead();
        }
        if (only.contains("growth")) {
            bench.growth();
        }
        if (only.contains("commits")) {
            bench.commits();
        }
        if (only.contains("wal")) {
            bench.walPages();
        }
        if (only.contains("dashboard") || only.contains("dashboard-logs")) {
            DashboardBench dashboards = new DashboardBench(bench.quick, bench.reps, bench.syncs, bench.rows);
            if (only.contains("dashboard")) {
                dashboards.pollingWhileWorkersRun();
            }
            dashboards.logPoll();
        }
        if (only.contains("artifacts")) {
            bench.artifactPuts();
            bench.cacheHits();
        }
        if (only.contains("observe")) {
            new ObserveBench(bench.quick, bench.reps, bench.rows).run();
        }
        String table = bench.table();
        System.out.print(table);
        System.out.flush();
        progress("done in %.0f s", (System.nanoTime() - t0) / 1e9);
        if (out != null) {
            String header = "# stepwise-bench " + String.join(" ", args) + "\n# " + clock.instant() + ", "
                    + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version") + ", "
                    + Runtime.getRuntime().availableProcessors() + " CPUs, max heap "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB\n\n";
            if (out.toAbsolutePath().getParent() != null) {
                Files.createDirectories(out.toAbsolutePath().getParent());
            }
            Files.writeString(out, header + table, StandardCharsets.UTF_8);
        }
    }

    // ------------------------------------------------------------------------------ workloads

    private int[][] shapes() {
        if (jobsOverride > 0) {
            return new int[][] {{jobsOverride, 5}, {Math.max(1, jobsOverride / 10), 50}};
        }
        return quick ? new int[][] {{200, 5}, {20, 50}} : new int[][] {{2000, 5}, {200, 50}};
    }

    /** One pass of each code path, not reported, so the JIT has compiled them before timing. */
    private void warmUp() throws Exception {
        progress("warm-up");
        int scale = quick ? 4 : 1;
        engineRep(Synchronous.NORMAL, 600 / scale, 5);
        createAndRunRep(Synchronous.NORMAL, 600 / scale, 5);
        engineRep(Synchronous.NORMAL, 40 / scale, 50);
        floorRep(Synchronous.NORMAL, 600 / scale, 5);
    }

    private void throughput() throws Exception {
        for (Synchronous sync : syncs) {
            for (int[] shape : shapes()) {
                int jobs = shape[0];
                int steps = shape[1];
                List<Double> paid = new ArrayList<>();
                List<Double> engine = new ArrayList<>();
                List<Double> floor = new ArrayList<>();
                for (int r = 0; r < reps; r++) {
                    // Interleaved, so that a noisy neighbour hurts all alike.
                    paid.add(createAndRunRep(sync, jobs, steps));
                    engine.add(engineRep(sync, jobs, steps));
                    floor.add(floorRep(sync, jobs, steps));
                    progress("throughput %s %dx%d rep %d: createJob+run %.0f steps/s, run alone %.0f steps/s, floor %.0f steps/s",
                            name(sync), jobs, steps, r + 1, jobs * steps / paid.get(r), jobs * steps / engine.get(r),
                            jobs * steps / floor.get(r));
                }
                List<Double> paidSteps = rate(paid, jobs * steps);
                List<Double> engineSteps = rate(engine, jobs * steps);
                List<Double> floorSteps = rate(floor, jobs * steps);
                double floorMedian = Stats.median(floorSteps);
                String shapeText = jobs + " x " + steps;
                row("throughput: createJob + run(jobId), 1 thread", sync, shapeText, "steps/s", paidSteps, "%.0f",
                        String.format(Locale.ROOT, "%.2f x floor", Stats.median(paidSteps) / floorMedian));
                row("throughput: createJob + run(jobId), 1 thread", sync, shapeText, "jobs/s", rate(paid, jobs), "%.0f", "");
                row("throughput: run(jobId) alone (creation not timed)", sync, shapeText, "steps/s", engineSteps, "%.0f",
                        String.format(Locale.ROOT, "%.2f x floor", Stats.median(engineSteps) / floorMedian));
                row("throughput: run(jobId) alone (creation not timed)", sync, shapeText, "jobs/s", rate(engine, jobs), "%.0f",
                        "");
                row("floor: plain JDBC, 1 tx per step", sync, shapeText, "steps/s", floorSteps, "%.0f", "1.00 x floor");
            }
        }
    }

    /**
     * Throughput through the workers, what a user pays: J jobs of S no-op steps submitted
     * ({@code engine.submit}, timed), then N worker threads on one engine, or N worker JVMs of
     * one worker each on the same file, timed until all J have run. Configurations interleaved
     * per repetition, with the floor of the same moment.
     */
    private void workers() throws Exception {
        int jobs = jobsOverride > 0 ? jobsOverride : quick ? 200 : 2000;
        int steps = 5;
        String[] configs = {"1 thread", "2 threads", "4 threads", "1 process", "2 processes", "4 processes"};
        for (Synchronous sync : syncs) {
            List<List<Double>> secs = new ArrayList<>();
            for (int c = 0; c < configs.length; c++) {
                secs.add(new ArrayList<>());
            }
            List<Double> floor = new ArrayList<>();
            List<Double> alone = new ArrayList<>();
            for (int r = 0; r < reps; r++) {
                floor.add(floorRep(sync, jobs, steps));
                alone.add(workersRep(sync, jobs, steps, 1));
                for (int c = 0; c < configs.length; c++) {
                    int n = Integer.parseInt(configs[c].substring(0, 1));
                    double s = configs[c].contains("thread") ? submitAndWorkersRep(sync, jobs, steps, n)
                            : ProcessWorkers.run(sync, jobs, steps, n);
                    secs.get(c).add(s);
                    progress("workers %s %dx%d, submit + %s rep %d: %.0f steps/s (floor %.0f)", name(sync), jobs, steps,
                            configs[c], r + 1, jobs * steps / s, jobs * steps / floor.get(r));
                }
            }
            String shape = jobs + " x " + steps;
            List<Double> floorSteps = rate(floor, jobs * steps);
            double floorMedian = Stats.median(floorSteps);
            row("floor: plain JDBC, 1 tx per step (same moments)", sync, shape, "steps/s", floorSteps, "%.0f", "1.00 x floor");
            List<Double> aloneSteps = rate(alone, jobs * steps);
            row("throughput: 1 worker thread alone (submit not timed)", sync, shape, "steps/s", aloneSteps, "%.0f",
                    f("%.2f x floor", Stats.median(aloneSteps) / floorMedian));
            double oneThread = 0;
            double oneProcess = 0;
            for (int c = 0; c < configs.length; c++) {
                List<Double> stepRate = rate(secs.get(c), jobs * steps);
                double median = Stats.median(stepRate);
                String note = f("%.2f x floor", median / floorMedian);
                if (c == 0) {
                    oneThread = median;
                } else if (c < 3) {
                    note += f("; %.2f x 1 thread", median / oneThread);
                } else if (c == 3) {
                    oneProcess = median;
                    note += f("; %.2f x 1 thread", median / oneThread);
                } else {
                    note += f("; %.2f x 1 process", median / oneProcess);
                }
                String what = configs[c].contains("thread") ? "throughput: submit + workers, " + configs[c].replace("thread", "worker thread")
                        : "throughput: submit + worker JVMs on one file, " + configs[c];
                row(what, sync, shape, "steps/s", stepRate, "%.0f", note);
                row(what, sync, shape, "jobs/s", rate(secs.get(c), jobs), "%.0f", "");
            }
        }
    }

    /**
     * Group commit on and off (issue 15): submit + 4 worker threads, the two interleaved per
     * repetition with the floor of the same moment.
     */
    private void groupCommit() throws Exception {
        int jobs = jobsOverride > 0 ? jobsOverride : quick ? 200 : 2000;
        int steps = 5;
        for (Synchronous sync : syncs) {
            List<Double> on = new ArrayList<>();
            List<Double> off = new ArrayList<>();
            List<Double> floor = new ArrayList<>();
            for (int r = 0; r < reps; r++) {
                floor.add(floorRep(sync, jobs, steps));
                on.add(submitAndWorkersRep(sync, jobs, steps, 4, true));
                off.add(submitAndWorkersRep(sync, jobs, steps, 4, false));
                progress("group %s %dx%d rep %d: 4 threads, group commit on %.0f / off %.0f steps/s, floor %.0f", name(sync), jobs,
                        steps, r + 1, jobs * steps / on.get(r), jobs * steps / off.get(r), jobs * steps / floor.get(r));
            }
            String shape = jobs + " x " + steps;
            double floorMedian = Stats.median(rate(floor, jobs * steps));
            double offMedian = Stats.median(rate(off, jobs * steps));
            row("floor: plain JDBC, 1 tx per step (same moments)", sync, shape, "steps/s", rate(floor, jobs * steps), "%.0f",
                    "1.00 x floor");
            row("submit + 4 worker threads, group commit off", sync, shape, "steps/s", rate(off, jobs * steps), "%.0f",
                    f("%.2f x floor", offMedian / floorMedian));
            row("submit + 4 worker threads, group commit on", sync, shape, "steps/s", rate(on, jobs * steps), "%.0f",
                    f("%.2f x floor", Stats.median(rate(on, jobs * steps)) / floorMedian)
                            + f("; %.2f x off", Stats.median(rate(on, jobs * steps)) / offMedian));
        }
    }

    /** Seconds to submit J jobs and run them with {@code count} worker threads on one engine. */
    private static double submitAndWorkersRep(Synchronous sync, int jobs, int steps, int count) throws Exception {
        return submitAndWorkersRep(sync, jobs, steps, count, SqliteJobStore.DEFAULT_GROUP_COMMIT);
    }

    private static double submitAndWorkersRep(Synchronous sync, int jobs, int steps, int count, boolean group)
            throws Exception {
        Path dir = Files.createTempDirectory("stepwise-bench-");
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("bench.db")).synchronous(sync).groupCommit(group).build();
                JobEngine engine = engine(store, steps, RunListener.NONE, noop())) {
            JsonNode input = JsonNodeFactory.instance.objectNode().put("n", 1);
            long t0 = System.nanoTime();
            for (int j = 0; j < jobs; j++) {
                engine.submit("bench-s" + steps, input, SubmitOptions.defaults());
            }
            double submitted = (System.nanoTime() - t0) / 1e9;
            return submitted + timedWorkers(engine, jobs, count);
        } finally {
            deleteTree(dir);
        }
    }

    static double workersRep(Synchronous sync, int jobs, int steps, int count) throws Exception {
        return workersRep(sync, jobs, steps, count, (engine, ids) -> () -> { });
    }

    /** What runs beside the workers of one repetition (started before the timer, closed after it). */
    interface Sidecar {
        /**
         * @param engine the engine the workers will use
         * @param jobIds the submitted jobs, in order
         * @return what to close once the workers are done
         */
        AutoCloseable start(JobEngine engine, List<String> jobIds) throws Exception;
    }

    static double workersRep(Synchronous sync, int jobs, int steps, int count, Sidecar sidecar) throws Exception {
        Path dir = Files.createTempDirectory("stepwise-bench-");
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("bench.db")).synchronous(sync).build();
                JobEngine engine = engine(store, steps, RunListener.NONE, noop())) {
            JsonNode input = JsonNodeFactory.instance.objectNode().put("n", 1);
            List<String> ids = new ArrayList<>(jobs);
            for (int j = 0; j < jobs; j++) {
                ids.add(engine.submit("bench-s" + steps, input, SubmitOptions.defaults()).job().id());
            }
            try (AutoCloseable beside = sidecar.start(engine, ids)) {
                return timedWorkers(engine, jobs, count);
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static double timedWorkers(JobEngine engine, int jobs, int count) throws Exception {
        long t0 = System.nanoTime();
        try (Workers w = engine.startWorkers(WorkerOptions.defaults().withCount(count))) {
            while (w.jobsRun() < jobs) {
                Thread.sleep(1);
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            List<Job> left = engine.jobs(new JobQuery(Set.of(JobStatus.PENDING, JobStatus.RUNNING,
                    JobStatus.FAILED), 10));
            if (!left.isEmpty()) {
                throw new IllegalStateException(left.size() + " jobs did not complete, e.g. " + left.get(0));
            }
            return elapsed;
        }
    }

    /** Seconds to create and run J jobs of S no-op steps, one after the other, on this thread. */
    private static double createAndRunRep(Synchronous sync, int jobs, int steps) throws IOException {
        Path dir = Files.createTempDirectory("stepwise-bench-");
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("bench.db")).synchronous(sync).build();
                JobEngine engine = engine(store, steps, RunListener.NONE, noop())) {
            JsonNode input = JsonNodeFactory.instance.objectNode().put("n", 1);
            long t0 = System.nanoTime();
            for (int j = 0; j < jobs; j++) {
                check(engine.run(engine.createJob("bench-s" + steps, input).id()));
            }
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            deleteTree(dir);
        }
    }

    /** Seconds to run J jobs of S no-op steps with run(jobId) on this thread (creation not timed). */
    private static double engineRep(Synchronous sync, int jobs, int steps) throws IOException {
        Path dir = Files.createTempDirectory("stepwise-bench-");
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("bench.db")).synchronous(sync).build();
                JobEngine engine = engine(store, steps, RunListener.NONE, noop())) {
            List<String> ids = createJobs(engine, jobs, steps);
            long t0 = System.nanoTime();
            runAll(engine, ids);
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            deleteTree(dir);
        }
    }

    private double floorRep(Synchronous sync, int jobs, int steps) throws IOException, SQLException {
        Path dir = Files.createTempDirectory("stepwise-floor-");
        try (Connection c = Floor.open(dir.resolve("floor.db"), sync)) {
            Floor.prepare(c, jobs, steps);
            long t0 = System.nanoTime();
            Floor.run(c, jobs, steps, clock);
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * Per-step overhead of a 1 ms step: the gap between the end of step N's execute (the
     * listener's afterStepExecuted) and the start of step N+1's execute (taken inside it), and
     * within that gap the store write (beforeCommit to afterCommit: SQL, COMMIT and fsync).
     */
    private void overhead() throws Exception {
        int jobs = quick ? 20 : 100;
        int steps = 20;
        for (Synchronous sync : syncs) {
            Probe probe = new Probe(jobs * steps);
            Step sleepy = ctx -> {
                probe.stepEntered();
                Thread.sleep(1);
                return JsonNodeFactory.instance.objectNode();
            };
            Path dir = Files.createTempDirectory("stepwise-bench-");
            try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("bench.db")).synchronous(sync).build();
                    JobEngine engine = engine(store, steps, probe, sleepy)) {
                runAll(engine, createJobs(engine, quick ? 5 : 20, steps)); // warm-up
                probe.reset();
                List<String> ids = createJobs(engine, jobs, steps);
                for (String id : ids) {
                    probe.newJob();
                    Job done = engine.run(id);
                    check(done);
                }
            } finally {
                deleteTree(dir);
            }
            long[] gap = probe.gaps();
            long[] commit = probe.commits();
            long[] beyond = probe.beyondCommit();
            String shape = jobs + " x " + steps + " (1 ms step)";
            progress("overhead %s: %d boundaries, gap p50 %.0f us p99 %.0f us", name(sync), gap.length,
                    Stats.percentile(gap, 50) / 1e3, Stats.percentile(gap, 99) / 1e3);
            pctRow("per-step overhead incl. commit (step N end -> N+1 start)", sync, shape, gap);
            pctRow("  of which the commit (store.write: SQL + COMMIT + fsync)", sync, shape, commit);
            pctRow("  overhead beyond the commit", sync, shape, beyond);
        }
    }

    /** Per-step cost with 10k, 100k and 1M steps already stored (prefilled with plain JDBC). */
    private void growth() throws Exception {
        int[] levels = quick ? new int[] {10_000, 100_000} : new int[] {10_000, 100_000, 1_000_000};
        int jobs = quick ? 100 : 300;
        int steps = 5;
        Synchronous sync = Synchronous.NORMAL;
        Path dir = Files.createTempDirectory("stepwise-growth-");
        Path file = dir.resolve("bench.db");
        try {
            String manifest;
            try (SqliteJobStore store = SqliteJobStore.builder(file).synchronous(sync).build();
                    JobEngine engine = engine(store, steps, RunListener.NONE, noop())) {
                // A real completed job's manifest, so prefilled rows are the size of real ones.
                String id = createJobs(engine, 1, steps).get(0);
                manifest = engine.run(id).manifest().toString();
            }
            long stored = 0;
            Double first = null;
            for (int level : levels) {
                long t0 = System.nanoTime();
                stored = Prefill.fill(file, stored, level, steps, manifest, clock);
                progress("growth: prefilled to %d steps in %.1f s", stored, (System.nanoTime() - t0) / 1e9);
                List<Double> perStepUs = new ArrayList<>();
                try (SqliteJobStore store = SqliteJobStore.builder(file).synchronous(sync).build();
                        JobEngine engine = engine(store, steps, RunListener.NONE, noop())) {
                    runAll(engine, createJobs(engine, jobs, steps)); // warm the JIT and the page cache
                    for (int r = 0; r < Math.max(reps, quick ? 1 : 5); r++) {
                        List<String> ids = createJobs(engine, jobs, steps);
                        long s0 = System.nanoTime();
                        runAll(engine, ids);
                        perStepUs.add((System.nanoTime() - s0) / 1e3 / (jobs * steps));
                    }
                }
                double median = Stats.median(perStepUs);
                if (first == null) {
                    first = median;
                }
                row("growth: engine per-step cost, " + String.format(Locale.ROOT, "%,d", level) + " steps stored", sync,
                        jobs + " x " + steps, "us/step", perStepUs, "%.0f",
                        String.format(Locale.ROOT, "%+.0f%% vs %,d", (median / first - 1) * 100, levels[0]));
            }
            progress("growth: database file %d MB", Files.size(file) >> 20);
        } finally {
            deleteTree(dir);
        }
    }

    /** Heap of an idle engine (store + engine built, nothing run) and after 10,000 completed jobs. */
    private void memory() throws Exception {
        int total = quick ? 1_000 : 10_000;
        int early = total / 10;
        int steps = 2;
        Path dir = Files.createTempDirectory("stepwise-bench-");
        try {
            long before = heapAfterGc();
            try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("bench.db")).synchronous(Synchronous.NORMAL).build();
                    JobEngine engine = engine(store, steps, RunListener.NONE, noop())) {
                long idle = heapAfterGc();
                runAll(engine, createJobs(engine, early, steps));
                long afterEarly = heapAfterGc();
                runAll(engine, createJobs(engine, total - early, steps));
                long afterAll = heapAfterGc();
                double perJob = (afterAll - afterEarly) / (double) (total - early);
                progress("memory: before %d KB, idle %d KB, after %d jobs %d KB, after %d jobs %d KB", before >> 10,
                        idle >> 10, early, afterEarly >> 10, total, afterAll >> 10);
                rows.add(new String[] {"memory: heap used, idle engine (store + engine built)", "NORMAL", "-", "MB",
                    mb(idle), "-", "-", "harness JVM before building: " + mb(before) + " MB; engine+store: +"
                        + mb(idle - before) + " MB"});
                rows.add(new String[] {"memory: heap used after " + String.format(Locale.ROOT, "%,d", total)
                        + " completed jobs + full GC", "NORMAL", total + " x " + steps, "MB", mb(afterAll), "-", "-",
                    String.format(Locale.ROOT, "growth per job after the first %,d: %.1f bytes", early, perJob)});
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** Write transactions per step, counted by a JDBC proxy on the store's data source. */
    private void commits() throws Exception {
        int[][] shapes = {{200, 5}, {20, 50}};
        for (int[] shape : shapes) {
            int jobs = shape[0];
            int steps = shape[1];
            Path dir = Files.createTempDirectory("stepwise-bench-");
            try {
                SQLiteConfig config = new SQLiteConfig();
                config.setJournalMode(SQLiteConfig.JournalMode.WAL);
                SQLiteDataSource sqlite = new SQLiteDataSource(config);
                sqlite.setUrl("jdbc:sqlite:" + dir.resolve("bench.db").toAbsolutePath());
                CountingDataSource counting = new CountingDataSource(sqlite);
                try (SqliteJobStore store = SqliteJobStore.builder(counting.dataSource).synchronous(Synchronous.NORMAL).build();
                        JobEngine engine = engine(store, steps, RunListener.NONE, noop())) {
                    counting.reset();
                    List<String> ids = createJobs(engine, jobs, steps);
                    long create = counting.commits.get();
                    counting.reset();
                    runAll(engine, ids);
                    long run = counting.commits.get();
                    long begins = counting.begins.get();
                    double perStep = run / (double) (jobs * steps);
                    double withCreate = (run + create) / (double) (jobs * steps);
                    progress("commits %dx%d: create %d, run %d (BEGIN %d)", jobs, steps, create, run, begins);
                    rows.add(new String[] {"commits per step: run(jobId)", "NORMAL", jobs + " x " + steps, "tx/step",
                        String.format(Locale.ROOT, "%.3f", perStep), "-", "-",
                        String.format(Locale.ROOT, "%d COMMITs for %d steps = (S+1)/S is %.3f; with createJob's insert: %.3f",
                                run, jobs * steps, (steps + 1) / (double) steps, withCreate)});
                }
            } finally {
                deleteTree(dir);
            }
        }
    }

    /**
     * WAL pages written per commit (the I/O a commit costs): automatic checkpoints off, the WAL
     * truncated after a warm-up, then J jobs created (one commit each), the WAL truncated again,
     * then the J jobs run; frames = (WAL bytes - 32) / (page size + 24).
     * The floor is measured the same way.
     */
    private void walPages() throws Exception {
        int[][] shapes = {{40, 5}, {4, 50}};
        for (int[] shape : shapes) {
            int jobs = shape[0];
            int steps = shape[1];
            Path dir = Files.createTempDirectory("stepwise-bench-");
            try {
                Path file = dir.resolve("bench.db");
                SQLiteConfig config = new SQLiteConfig();
                config.setJournalMode(SQLiteConfig.JournalMode.WAL);
                config.setPragma(SQLiteConfig.Pragma.WAL_AUTOCHECKPOINT, "0");
                SQLiteDataSource sqlite = new SQLiteDataSource(config);
                sqlite.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
                CountingDataSource counting = new CountingDataSource(sqlite);
                try (SqliteJobStore store = SqliteJobStore.builder(counting.dataSource).synchronous(Synchronous.NORMAL)
                        .walCheckpointEvery(Integer.MAX_VALUE).build();
                        JobEngine engine = engine(store, steps, RunListener.NONE, noop())) {
                    runAll(engine, createJobs(engine, 4, steps));
                    truncateWal(sqlite);
                    counting.reset();
                    List<String> ids = createJobs(engine, jobs, steps);
                    long creations = counting.commits.get();
                    double created = walFrames(file);
                    rows.add(new String[] {"WAL pages per commit: engine createJob", "NORMAL", jobs + " x " + steps,
                        "pages/commit", f("%.2f", created / creations), "-", "-",
                        String.format(Locale.ROOT, "%.0f WAL frames for %d commits", created, creations)});
                    truncateWal(sqlite);
                    counting.reset();
                    runAll(engine, ids);
                    long commits = counting.commits.get();
                    double frames = walFrames(file);
                    progress("wal %dx%d: %.0f frames, %d commits", jobs, steps, frames, commits);
                    rows.add(new String[] {"WAL pages per commit: engine run(jobId)", "NORMAL", jobs + " x " + steps,
                        "pages/commit", f("%.2f", frames / commits), "-", "-",
                        String.format(Locale.ROOT, "%.0f WAL frames for %d commits", frames, commits)});
                }
            } finally {
                deleteTree(dir);
            }
        }
        Path dir = Files.createTempDirectory("stepwise-floor-");
        try (Connection c = Floor.open(dir.resolve("floor.db"), Synchronous.NORMAL)) {
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA wal_autocheckpoint = 0");
            }
            Floor.prepare(c, 40, 5);
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            Floor.run(c, 40, 5, clock);
            double frames = walFrames(dir.resolve("floor.db"));
            rows.add(new String[] {"WAL pages per commit: floor", "NORMAL", "40 x 5", "pages/commit",
                f("%.2f", frames / 200), "-", "-", String.format(Locale.ROOT, "%.0f WAL frames for 200 commits", frames)});
        } finally {
            deleteTree(dir);
        }
    }

    private static void truncateWal(SQLiteDataSource sqlite) throws SQLException {
        try (Connection c = sqlite.getConnection(); Statement s = c.createStatement()) {
            s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
        }
    }

    private static double walFrames(Path db) throws IOException, SQLException {
        Path wal = db.resolveSibling(db.getFileName() + "-wal");
        long pageSize;
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db.toAbsolutePath());
                Statement s = c.createStatement(); var rs = s.executeQuery("PRAGMA page_size")) {
            rs.next();
            pageSize = rs.getLong(1);
        }
        long bytes = Files.size(wal);
        return bytes <= 32 ? 0 : (bytes - 32) / (double) (pageSize + 24);
    }

    /**
     * A 10 MB artifact put into a {@link FileArtifactStore} on the temporary directory (stream,
     * hash, fsync, atomic rename, fsync of the directory), each put of different bytes so none is
     * deduplicated; and the verified read of it back.
     */
    private void artifactPuts() throws IOException {
        int size = 10 << 20;
        int puts = quick ? 3 : Math.max(reps, 7);
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + (i >>> 11)); // not all zeros: no file system may shortcut it
        }
        Path dir = Files.createTempDirectory("stepwise-artifacts-");
        try {
            FileArtifactStore store = FileArtifactStore.at(dir);
            store.read(store.put(bytes, "application/octet-stream")); // warm-up, not reported
            List<Double> putMs = new ArrayList<>();
            List<Double> readMs = new ArrayList<>();
            for (int r = 0; r < puts; r++) {
                bytes[0] = (byte) r;
                bytes[size - 1] = (byte) (r >>> 8);
                long t0 = System.nanoTime();
                ArtifactRef ref = store.put(bytes, "application/octet-stream");
                long t1 = System.nanoTime();
                store.read(ref);
                long t2 = System.nanoTime();
                putMs.add((t1 - t0) / 1e6);
                readMs.add((t2 - t1) / 1e6);
                progress("artifacts: put 10 MB %.1f ms, read %.1f ms", putMs.get(r), readMs.get(r));
            }
            String shape = puts + " x 10 MB";
            rows.add(new String[] {"artifact put 10 MB (FileArtifactStore: hash, fsync, rename)", "-", shape, "ms",
                f("%.1f", Stats.median(putMs)), f("%.1f", Stats.min(putMs)), f("%.1f", Stats.max(putMs)),
                f("%.0f MB/s", 10 / (Stats.median(putMs) / 1e3))});
            rows.add(new String[] {"artifact read 10 MB (hash verified)", "-", shape, "ms",
                f("%.1f", Stats.median(readMs)), f("%.1f", Stats.min(readMs)), f("%.1f", Stats.max(readMs)),
                f("%.0f MB/s", 10 / (Stats.median(readMs) / 1e3))});
        } finally {
            deleteTree(dir);
        }
    }

    /**
     * The cost of a cache hit beyond a checkpoint reuse. Recipe: {@code s0} ({@code "cache":
     * true}, puts a 1 KB artifact) then {@code s1} (no-op). Per job, {@code run(jobId)} is timed
     * in three kinds, interleaved job by job so a noisy neighbour hurts all alike:
     * <ul>
     *   <li>checkpoint: a job whose {@code s1} failed once, retried: {@code s0} reuses its own
     *       checkpoint (artifact checked), {@code s1} executes;</li>
     *   <li>cache hit: a new job with the input of a completed job: {@code s0} is skipped from the
     *       cache (lookup + artifact check), {@code s1} executes;</li>
     *   <li>execute: a new job with a new input: both execute (what the cache saves).</li>
     * </ul>
     */
    private void cacheHits() throws IOException {
        int jobs = quick ? 40 : 200;
        for (Synchronous sync : syncs) {
            List<Double> checkpoint = new ArrayList<>();
            List<Double> cached = new ArrayList<>();
            List<Double> executed = new ArrayList<>();
            java.util.concurrent.atomic.AtomicInteger failS1 = new java.util.concurrent.atomic.AtomicInteger();
            Path dir = Files.createTempDirectory("stepwise-bench-");
            try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("bench.db")).synchronous(sync).build();
                    JobEngine engine = JobEngine.builder(store)
                            .step("speak", ctx -> {
                                byte[] kb = new byte[1024];
                                kb[0] = (byte) ctx.input().path("n").asInt();
                                kb[1] = (byte) (ctx.input().path("n").asInt() >>> 8);
                                return JsonNodeFactory.instance.objectNode()
                                        .set("audio", ctx.artifacts().put(kb, "audio/wav").toJson());
                            })
                            .step("note", ctx -> {
                                if (failS1.getAndDecrement() > 0) {
                                    throw new IllegalStateException("failed once, on purpose");
                                }
                                return JsonNodeFactory.instance.objectNode();
                            })
                            .recipe(Recipe.builder("bench-cache")
                                    .step(StepDefinition.builder("s0", "speak").cache(true).build())
                                    .step(StepDefinition.builder("s1", "note").retry(RetryPolicy.NONE).build()).build())
                            .build()) {
                int warm = quick ? 10 : 50;
                for (int round = 0; round < 2; round++) {
                    boolean timed = round == 1; // round 0 warms the JIT on every path, not reported
                    int count = timed ? jobs : warm;
                    int base = timed ? 100_000 : 0;
                    List<String> retried = new ArrayList<>();
                    List<String> hits = new ArrayList<>();
                    List<String> fresh = new ArrayList<>();
                    for (int j = 0; j < count; j++) { // set-up, not timed
                        String failedOnce = engine.createJob("bench-cache", input(base + 3 * j)).id();
                        failS1.set(1);
                        if (engine.run(failedOnce).status() != JobStatus.FAILED) {
                            throw new IllegalStateException("job " + failedOnce + " should have failed at s1");
                        }
                        retried.add(engine.retry(failedOnce).id());
                        check(engine.run(engine.createJob("bench-cache", input(base + 3 * j + 1)).id()));
                        hits.add(engine.createJob("bench-cache", input(base + 3 * j + 1)).id());
                        fresh.add(engine.createJob("bench-cache", input(base + 3 * j + 2)).id());
                    }
                    failS1.set(0);
                    for (int j = 0; j < count; j++) {
                        double a = timedRun(engine, retried.get(j), "checkpoint");
                        double b = timedRun(engine, hits.get(j), "cache");
                        double c = timedRun(engine, fresh.get(j), null);
                        if (timed) {
                            checkpoint.add(a);
                            cached.add(b);
                            executed.add(c);
                        }
                    }
                }
            } finally {
                deleteTree(dir);
            }
            List<Double> paired = new ArrayList<>();
            for (int j = 0; j < cached.size(); j++) {
                paired.add(cached.get(j) - checkpoint.get(j)); // the same moment's neighbours for both
            }
            double beyond = Stats.median(cached) - Stats.median(checkpoint);
            progress("cache %s: checkpoint %.2f ms, cache hit %.2f ms, execute %.2f ms per job", name(sync),
                    Stats.median(checkpoint), Stats.median(cached), Stats.median(executed));
            String shape = jobs + " x 2";
            row("run(jobId): s0 reuses its checkpoint, s1 executes", sync, shape, "ms/job", checkpoint, "%.2f", "");
            row("run(jobId): s0 is a cache hit, s1 executes", sync, shape, "ms/job", cached, "%.2f",
                    f("%+.2f ms vs checkpoint (target < 2 ms)", beyond));
            row("run(jobId): s0 and s1 execute (no reuse)", sync, shape, "ms/job", executed, "%.2f", "");
            row("  cache hit beyond checkpoint, paired per job (hit - checkpoint)", sync, shape, "ms", paired, "%+.2f",
                    "target < 2 ms");
        }
    }

    private static JsonNode input(int n) {
        return JsonNodeFactory.instance.objectNode().put("n", n);
    }

    /** @return ms of run(jobId); checks the job completed and s0 was skipped for {@code reason} (or executed, if null) */
    private static double timedRun(JobEngine engine, String id, String reason) {
        long t0 = System.nanoTime();
        Job done = engine.run(id);
        double ms = (System.nanoTime() - t0) / 1e6;
        check(done);
        JobStep s0 = engine.steps(id).get(0);
        if (!java.util.Objects.equals(reason, s0.skipReason())) {
            throw new IllegalStateException("job " + id + ": s0 is " + s0.status() + " (" + s0.skipReason() + "), expected "
                    + (reason == null ? "executed" : "skipped (" + reason + ")"));
        }
        return ms;
    }

    // -------------------------------------------------------------------------------- helpers

    private static Step noop() {
        return ctx -> JsonNodeFactory.instance.objectNode();
    }

    static JobEngine engine(SqliteJobStore store, int steps, RunListener listener, Step step) {
        Recipe.Builder recipe = Recipe.builder("bench-s" + steps);
        for (int i = 0; i < steps; i++) {
            recipe.step("s" + i, "work");
        }
        return JobEngine.builder(store).step("work", step).recipe(recipe.build()).listener(listener).build();
    }

    private static List<String> createJobs(JobEngine engine, int jobs, int steps) {
        JsonNode input = JsonNodeFactory.instance.objectNode().put("n", 1);
        List<String> ids = new ArrayList<>(jobs);
        for (int j = 0; j < jobs; j++) {
            ids.add(engine.createJob("bench-s" + steps, input).id());
        }
        return ids;
    }

    private static void runAll(JobEngine engine, List<String> ids) {
        for (String id : ids) {
            check(engine.run(id));
        }
    }

    private static void check(Job done) {
        if (done.status() != JobStatus.COMPLETED) {
            throw new IllegalStateException("job " + done.id() + " ended " + done.status() + ": " + done.lastError());
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    private static List<Double> rate(List<Double> seconds, int count) {
        return seconds.stream().map(s -> count / s).toList();
    }

    static List<Double> rates(List<Double> seconds, int count) {
        return rate(seconds, count);
    }

    private void row(String workload, Synchronous sync, String shape, String unit, List<Double> xs, String fmt, String note) {
        rows.add(new String[] {workload, name(sync), shape, unit, f(fmt, Stats.median(xs)), f(fmt, Stats.min(xs)),
            f(fmt, Stats.max(xs)), note});
    }

    private void pctRow(String workload, Synchronous sync, String shape, long[] nanos) {
        rows.add(new String[] {workload, name(sync), shape, "us p50 / p99",
            f("%.0f", Stats.percentile(nanos, 50) / 1e3) + " / " + f("%.0f", Stats.percentile(nanos, 99) / 1e3),
            f("%.0f", Stats.percentile(nanos, 0.0001) / 1e3), f("%.0f", Stats.percentile(nanos, 100) / 1e3),
            nanos.length + " step boundaries"});
    }

    private static String f(String fmt, double v) {
        return String.format(Locale.ROOT, fmt, v);
    }

    private static String name(Synchronous sync) {
        return sync.name();
    }

    private String table() {
        String[] head = {"workload", "sync", "J x S", "unit", "median", "min", "max", "note"};
        int[] w = new int[head.length];
        List<String[]> all = new ArrayList<>();
        all.add(head);
        all.addAll(rows);
        for (String[] r : all) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int k = 0; k < all.size(); k++) {
            String[] r = all.get(k);
            sb.append('|');
            for (int i = 0; i < w.length; i++) {
                boolean number = i >= 4 && i <= 6;
                String cell = number ? " ".repeat(w[i] - r[i].length()) + r[i] : r[i] + " ".repeat(w[i] - r[i].length());
                sb.append(' ').append(cell).append(" |");
            }
            sb.append('\n');
            if (k == 0) {
                sb.append('|');
                for (int i = 0; i < w.length; i++) {
                    boolean number = i >= 4 && i <= 6;
                    sb.append(' ').append("-".repeat(Math.max(3, w[i]) - (number ? 1 : 0))).append(number ? ":" : "").append(" |");
                }
                sb.append('\n');
            }
        }
        return sb.toString();
    }

    static void progress(String fmt, Object... args) {
        System.err.println("[bench] " + String.format(Locale.ROOT, fmt, args));
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Timestamps of the overhead workload, all on the runner's thread. */
    private static final class Probe implements RunListener {
        private final long[] gaps;
        private final long[] commits;
        private int n;
        private long afterExec;
        private long beforeCommit;
        private long commitSinceExec;

        Probe(int capacity) {
            gaps = new long[capacity];
            commits = new long[capacity];
        }

        void reset() {
            n = 0;
            newJob();
        }

        void newJob() {
            afterExec = 0;
            commitSinceExec = 0;
        }

        void stepEntered() {
            long now = System.nanoTime();
            if (afterExec != 0 && n < gaps.length) {
                gaps[n] = now - afterExec;
                commits[n] = commitSinceExec;
                n++;
            }
            afterExec = 0;
            commitSinceExec = 0;
        }

        @Override
        public void afterStepExecuted(String jobId, String stepKey) {
            afterExec = System.nanoTime();
            commitSinceExec = 0;
        }

        @Override
        public void beforeCommit(String jobId, boolean terminal) {
            beforeCommit = System.nanoTime();
        }

        @Override
        public void afterCommit(String jobId, boolean terminal) {
            if (afterExec != 0) {
                commitSinceExec += System.nanoTime() - beforeCommit;
            }
        }

        long[] gaps() {
            return java.util.Arrays.copyOf(gaps, n);
        }

        long[] commits() {
            return java.util.Arrays.copyOf(commits, n);
        }

        long[] beyondCommit() {
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = gaps[i] - commits[i];
            }
            return out;
        }
    }
}
