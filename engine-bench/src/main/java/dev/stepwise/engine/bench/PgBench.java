package dev.stepwise.engine.bench;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.core.SubmitOptions;
import dev.stepwise.engine.core.WorkerOptions;
import dev.stepwise.engine.core.Workers;
import dev.stepwise.engine.postgres.PostgresJobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;

/**
 * The PostgreSQL rows of the bench ({@code --store postgres}): beside a plain-JDBC floor on the
 * same database in the same run (one transaction per step), steps/s for J x 5 no-op steps run by
 * 1, 2 and 4 worker JVMs (one worker each), and the pickup latency through LISTEN/NOTIFY (an
 * idle worker in another JVM, polling once a minute; latency = the job's startedAt, set by the
 * worker's claim, minus its createdAt, set by the submitter just before its insert).
 *
 * <pre>
 *   java -jar stepwise-bench.jar --store postgres [--url JDBC-URL] [--quick] [--reps N] [--out FILE] [--only throughput,pickup] [--jvms 1,2,4]
 * </pre>
 */
public final class PgBench {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int STEPS = 5;
    /** The floor rows' time stamps (durations use System.nanoTime). */
    private static final java.time.Clock FLOOR_CLOCK = java.time.Clock.systemUTC();
    /**
     * Short warm-up rounds run after the first, each on a new engine: closing an engine and
     * building the next makes the JIT throw away compiled code whose assumptions the new
     * objects break (85 methods in one measured child), and recompiling it took the C2 compiler
     * 2-2.6 s of CPU inside a 10 s timed run, on a machine where two cores serve the worker, its
     * compiler and PostgreSQL. After two such rounds the same timed run saw 0.7 s.
     */
    private static final int SETTLING_ROUNDS = 2;

    private final String url;
    private final int jobs;
    private final int reps;
    /** How many worker JVMs each throughput repetition runs, in turn ({@code --jvms}). */
    private int[] jvms = {1, 2, 4};
    private final List<String[]> rows = new ArrayList<>();
    /** Transactions and WAL syncs per step of each workers run, printed after the table. */
    private final List<String> perStep = new ArrayList<>();
    private int schemas;

    private PgBench(String url, int jobs, int reps) {
        this.url = url;
        this.jobs = jobs;
        this.reps = reps;
    }

    /** @param args see the class comment; {@code child SCHEMA DIR} runs one worker JVM */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(args[1], args[2], args[3], Long.parseLong(args[4]), Integer.parseInt(args[5]));
            return;
        }
        String url = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        boolean quick = false;
        Integer reps = null;
        Path out = null;
        Set<String> only = Set.of("throughput", "pickup");
        int[] jvms = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--store" -> {
                    if (!args[++i].equals("postgres")) {
                        throw new IllegalArgumentException("--store takes 'postgres' (SQLite is the default bench)");
                    }
                }
                case "--url" -> url = args[++i];
                case "--quick" -> quick = true;
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--only" -> only = Set.of(args[++i].split(","));
                case "--jvms" -> jvms = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        PgBench bench = new PgBench(url, quick ? 200 : 2000, reps != null ? reps : quick ? 1 : 3);
        if (jvms != null) {
            bench.jvms = jvms;
        }
        long t0 = System.nanoTime();
        if (only.contains("throughput")) {
            bench.throughput();
        }
        if (only.contains("pickup")) {
            bench.pickup(quick ? 20 : 200);
        }
        String table = bench.table();
        System.out.print(table);
        bench.perStep.forEach(line -> System.out.println("  " + line));
        Bench.progress("done in %.0f s", (System.nanoTime() - t0) / 1e9);
        if (out != null) {
            Files.writeString(out, "# stepwise-bench " + String.join(" ", args) + "\n" + table);
        }
    }

    private static Recipe recipe() {
        Recipe.Builder b = Recipe.builder("noop");
        for (int i = 0; i < STEPS; i++) {
            b.step("s" + i, "noop");
        }
        return b.build();
    }

    private static JobEngineBuilder engine(PostgresJobStore store) {
        return JobEngine.builder(store).step("noop", ctx -> JSON.createObjectNode()).recipe(recipe());
    }

    private String newSchema() {
        return "bench_" + ProcessHandle.current().pid() + "_" + (++schemas);
    }

    private void drop(String schema) throws SQLException {
        drop(url, schema);
    }

    private static void drop(String url, String schema) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
        }
    }

    /** Submits {@code count} no-op jobs, each with its own input. */
    private static void submitJobs(JobEngine e, int count) {
        for (int i = 0; i < count; i++) {
            e.submit("noop", JSON.createObjectNode().put("i", i), SubmitOptions.defaults());
        }
    }

    /** Returns once the store holds no pending or running job. */
    private static void awaitEmptyQueue(PostgresJobStore store) throws InterruptedException {
        while (!store.findJobs(new JobQuery(Set.of(JobStatus.PENDING, JobStatus.RUNNING), 1)).isEmpty()) {
            Thread.sleep(50); // each look is a query: at 20 ms the harness took a few % of a core
        }
    }

    // ------------------------------------------------------------------ throughput

    private void throughput() throws Exception {
        List<Double> floor = new ArrayList<>();
        List<List<Double>> engine = new ArrayList<>();
        for (int k = 0; k < jvms.length; k++) {
            engine.add(new ArrayList<>());
        }
        floor(jobs / 4); // warm-up, not reported
        for (int r = 0; r < reps; r++) {
            floor.add(floor(jobs));
            Bench.progress("postgres floor rep %d: %.0f steps/s", r + 1, floor.get(floor.size() - 1));
            for (int k = 0; k < jvms.length; k++) {
                engine.get(k).add(workers(jvms[k]));
                Bench.progress("postgres engine %d JVM(s) rep %d: %.0f steps/s", jvms[k], r + 1,
                        engine.get(k).get(engine.get(k).size() - 1));
            }
        }
        double f = Stats.median(floor);
        String shape = jobs + " x " + STEPS;
        for (int k = 0; k < jvms.length; k++) {
            List<Double> e = engine.get(k);
            row("postgres: workers, " + jvms[k] + (jvms[k] == 1 ? " JVM" : " JVMs") + " x 1 worker", shape, "steps/s", e,
                    String.format(Locale.ROOT, "%.2f x floor", Stats.median(e) / f));
        }
        row("postgres floor: plain JDBC, 1 tx per step", shape, "steps/s", floor, "1.00 x floor");
    }

    /** Plain JDBC on the same database: per step one UPDATE of the step, one of the job, COMMIT. @return steps/s */
    private double floor(int j) throws Exception {
        String schema = newSchema();
        String q = "\"" + schema + "\"";
        checkpoint();
        try (Connection c = DriverManager.getConnection(url)) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE SCHEMA " + q);
                s.execute("CREATE TABLE " + q + ".jobs (id text PRIMARY KEY, status text NOT NULL, current_step text, "
                        + "progress int NOT NULL, updated_at timestamptz NOT NULL)");
                s.execute("CREATE TABLE " + q + ".steps (job_id text NOT NULL REFERENCES " + q + ".jobs (id), step_order int NOT NULL, "
                        + "status text NOT NULL, output text, duration_ms bigint, completed_at timestamptz, UNIQUE (job_id, step_order))");
                s.execute("INSERT INTO " + q + ".jobs SELECT 'j' || g, 'pending', NULL, 0, now() FROM generate_series(1, " + j + ") g");
                s.execute("INSERT INTO " + q + ".steps SELECT 'j' || g, o, 'pending', NULL, NULL, NULL FROM generate_series(1, " + j
                        + ") g, generate_series(0, " + (STEPS - 1) + ") o");
            }
            c.setAutoCommit(false);
            try (PreparedStatement step = c.prepareStatement("UPDATE " + q + ".steps SET status = 'success', output = ?, "
                    + "duration_ms = ?, completed_at = ? WHERE job_id = ? AND step_order = ?");
                    PreparedStatement job = c.prepareStatement("UPDATE " + q + ".jobs SET status = ?, current_step = ?, progress = ?, "
                            + "updated_at = ? WHERE id = ?")) {
                long[] before = commitsAndSyncs();
                long jvm0 = CpuTime.jvmMillis();
                OptionalLong pg0 = CpuTime.postgresMillis();
                long t0 = System.nanoTime();
                for (int i = 1; i <= j; i++) {
                    for (int o = 0; o < STEPS; o++) {
                        Timestamp now = Timestamp.from(FLOOR_CLOCK.instant());
                        step.setString(1, "{}");
                        step.setLong(2, 0);
                        step.setTimestamp(3, now);
                        step.setString(4, "j" + i);
                        step.setInt(5, o);
                        step.executeUpdate();
                        job.setString(1, o == STEPS - 1 ? "completed" : "running");
                        job.setString(2, "s" + o);
                        job.setInt(3, (o + 1) * 100 / STEPS);
                        job.setTimestamp(4, now);
                        job.setString(5, "j" + i);
                        job.executeUpdate();
                        c.commit();
                    }
                }
                double steps = (j * STEPS) / ((System.nanoTime() - t0) / 1e9);
                String cpu = cpuPerJob(CpuTime.jvmMillis() - jvm0, pg0, j);
                // A backend reports its statistics at a commit at least 1 s after its last report.
                Thread.sleep(1_100);
                try (Statement s = c.createStatement()) {
                    s.execute("SELECT 1");
                }
                c.commit();
                long[] after = commitsAndSyncs();
                perStep.add(String.format(Locale.ROOT, "floor: %.2f WAL syncs and %.0f WAL bytes per step; %s",
                        (after[1] - before[1]) / (double) (j * STEPS), (after[2] - before[2]) / (double) (j * STEPS), cpu));
                return steps;
            }
        } finally {
            drop(schema);
        }
    }

    /** J jobs submitted first (not timed), then {@code n} worker JVMs started together. @return steps/s */
    private double workers(int n) throws Exception {
        String schema = newSchema();
        Path dir = Files.createTempDirectory("stepwise-pgbench");
        checkpoint();
        try {
            try (PostgresJobStore store = PostgresJobStore.builder(url).schema(schema).build();
                    JobEngine e = engine(store).recoverOnStart(false).build()) {
                submitJobs(e, jobs);
            }
            List<Process> children = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                children.add(start(dir.resolve("child-" + i + ".log"), "child", url, schema, dir.toString(), "500",
                        String.valueOf(jobs)));
            }
            awaitFiles(dir, "ready-", n);
            long[] before = commitsAndSyncs();
            OptionalLong pg0 = CpuTime.postgresMillis();
            long t0 = System.nanoTime();
            Files.createFile(dir.resolve("go"));
            for (Process p : children) {
                if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new IllegalStateException("worker JVM failed; see " + dir);
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            Thread.sleep(1_500); // the children's backends report their statistics as they exit (and are reaped)
            String cpu = cpuPerJob(childCpu(dir), pg0, jobs);
            long[] after = commitsAndSyncs();
            double steps = (double) jobs * STEPS;
            perStep.add(String.format(Locale.ROOT, "%d JVM(s): %.2f transactions, %.2f WAL syncs and %.0f WAL bytes per step; %s; %s", n,
                    (after[0] - before[0]) / steps, (after[1] - before[1]) / steps, (after[2] - before[2]) / steps,
                    hotUpdates(schema), cpu));
            try (PostgresJobStore store = PostgresJobStore.builder(url).schema(schema).build()) {
                long done = store.findJobs(new JobQuery(Set.of(JobStatus.COMPLETED), jobs + 1)).size();
                if (done != jobs) {
                    throw new IllegalStateException(done + " of " + jobs + " jobs completed");
                }
            }
            return (double) jobs * STEPS / secs;
        } finally {
            drop(schema);
        }
    }

    /** @return the CPU time the worker JVMs of a run used from the go signal to the empty queue, in ms */
    private static long childCpu(Path dir) throws IOException {
        long total = 0;
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.getFileName().toString().startsWith("cpu-"))::iterator) {
                total += Long.parseLong(Files.readString(f).trim());
            }
        }
        return total;
    }

    /** @return "CPU per job: ..." from the JVM(s)' CPU time and PostgreSQL's since {@code pg0} */
    private static String cpuPerJob(long jvmMillis, OptionalLong pg0, int jobs) {
        OptionalLong pg1 = CpuTime.postgresMillis();
        String pg = pg0.isPresent() && pg1.isPresent()
                ? String.format(Locale.ROOT, ", PostgreSQL %.2f ms", (pg1.getAsLong() - pg0.getAsLong()) / (double) jobs)
                : " (PostgreSQL's not visible here)";
        return String.format(Locale.ROOT, "CPU per job: JVM(s) %.2f ms%s", jvmMillis / (double) jobs, pg);
    }

    /**
     * Runs a checkpoint before the rows of a timed run are written, so that no timed run
     * overlaps one. A checkpoint writes the dirty pages in the background for minutes
     * (checkpoint_timeout 5 min, spread over 90 % of it), sharing the disk with each commit's WAL
     * flush; without this, a run's figure depended on where in that cycle it fell (single
     * repetitions of the same code ranged from 504 to 978 steps/s). Taken before the rows are
     * inserted, not after, so that the run's first update of each page does not log the whole
     * page (it would if the page was last changed before the checkpoint). A run, from its inserts
     * to its end, is far shorter than checkpoint_timeout. Needs the right to run CHECKPOINT (a
     * superuser or pg_checkpoint); without it the bench goes on and says so.
     */
    private void checkpoint() {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
        } catch (SQLException e) {
            Bench.progress("no CHECKPOINT before the timed run (%s): figures include checkpoint I/O", e.getMessage());
        }
    }

    /**
     * @return {@code pg_stat_database.xact_commit} of this database (every transaction, reads
     *         included; exact only when nothing else uses the database: give the bench one with
     *         {@code --url}), {@code pg_stat_wal.wal_sync} and {@code wal_bytes} (the whole cluster:
     *         upper bounds)
     */
    private long[] commitsAndSyncs() throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("SELECT pg_stat_clear_snapshot()");
            try (ResultSet rs = s.executeQuery("SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),"
                    + " (SELECT wal_sync FROM pg_stat_wal), (SELECT wal_bytes FROM pg_stat_wal)")) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
            }
        }
    }

    /**
     * @return per table of the schema, its updates and how many of them were HOT (no index
     *         entry written: what a step boundary should cost), from {@code pg_stat_user_tables}
     */
    private String hotUpdates(String schema) throws SQLException {
        StringBuilder sb = new StringBuilder("updates (HOT)");
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement ps = c.prepareStatement("SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables "
                        + "WHERE schemaname = ? AND n_tup_upd > 0 ORDER BY relname")) {
            ps.setString(1, schema);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    sb.append(' ').append(rs.getString(1)).append(' ').append(rs.getLong(2)).append(" (").append(rs.getLong(3)).append(')');
                }
            }
        }
        return sb.toString();
    }

    /** A worker JVM: ready, wait for go, one worker until the queue is empty (or forever if pollMs is large). */
    private static void child(String url, String schema, String dir, long pollMs, int warmJobs) throws Exception {
        Path d = Path.of(dir);
        String warm = schema + "_warm_" + ProcessHandle.current().pid();
        warmUp(url, warm, warmJobs);
        for (int round = 0; round < SETTLING_ROUNDS; round++) {
            warmUp(url, warm, warmJobs / 4);
        }
        try (PostgresJobStore store = PostgresJobStore.builder(url).schema(schema).poolSize(4).build();
                JobEngine e = engine(store).recoverOnStart(false).build()) {
            Files.createFile(d.resolve("ready-" + ProcessHandle.current().pid()));
            awaitFiles(d, "go", 1);
            long cpu0 = CpuTime.jvmMillis();
            Workers w = e.startWorkers(WorkerOptions.defaults().withCount(1).withPollInterval(Duration.ofMillis(pollMs)));
            if (pollMs >= 60_000) {
                Files.createFile(d.resolve("working-" + ProcessHandle.current().pid()));
                Thread.sleep(Long.MAX_VALUE); // the pickup bench kills it
            }
            awaitEmptyQueue(store);
            w.close();
            Files.writeString(d.resolve("cpu-" + ProcessHandle.current().pid()), Long.toString(CpuTime.jvmMillis() - cpu0));
        }
        System.exit(0);
    }

    /**
     * Runs {@code count} jobs to completion on a schema of its own, then drops it: a worker JVM
     * is timed warm, as the floor is (its JVM ran {@code floor(jobs / 4)} first), and as worker
     * processes that live for hours are. Without it the C2 compiler took about half a core for
     * most of a timed run; code that runs once per job reaches C2's thresholds only after a few
     * thousand jobs, so the warm-up is as long as the timed run ({@code jobs}), and C2 still
     * compiles during the first seconds of it (measured: about half a core in the first 5 s).
     */
    private static void warmUp(String url, String schema, int count) throws Exception {
        if (count == 0) {
            return;
        }
        try (PostgresJobStore store = PostgresJobStore.builder(url).schema(schema).poolSize(4).build();
                JobEngine e = engine(store).recoverOnStart(false).build()) {
            submitJobs(e, count);
            Workers w = e.startWorkers(WorkerOptions.defaults().withCount(1).withPollInterval(Duration.ofMillis(50)));
            awaitEmptyQueue(store);
            w.close();
        } finally {
            drop(url, schema);
        }
    }

    private static Process start(Path log, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
                PgBench.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static void awaitFiles(Path dir, String prefix, int count) throws Exception {
        for (int i = 0; i < 60_000; i++) {
            try (var files = Files.list(dir)) {
                if (files.filter(f -> f.getFileName().toString().startsWith(prefix)).count() >= count) {
                    return;
                }
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException("timed out waiting for " + count + " '" + prefix + "' files in " + dir);
    }

    // ------------------------------------------------------------------ pickup

    private void pickup(int count) throws Exception {
        String schema = newSchema();
        Path dir = Files.createTempDirectory("stepwise-pgbench");
        Process child = null;
        try (PostgresJobStore store = PostgresJobStore.builder(url).schema(schema).build();
                JobEngine e = engine(store).recoverOnStart(false).build()) {
            child = start(dir.resolve("listener.log"), "child", url, schema, dir.toString(), "60000", "0");
            awaitFiles(dir, "ready-", 1);
            Files.createFile(dir.resolve("go"));
            awaitFiles(dir, "working-", 1);
            long[] latencies = new long[count];
            for (int i = -5; i < count; i++) { // 5 warm-up jobs, not reported
                Job job = e.submit("noop", JSON.createObjectNode(), SubmitOptions.defaults()).job();
                Job seen = job;
                for (int polls = 0; seen.startedAt() == null; polls++) {
                    if (polls > 600_000) {
                        throw new IllegalStateException("job " + job.id() + " was never picked up");
                    }
                    Thread.sleep(1);
                    seen = store.findJob(job.id()).orElseThrow();
                }
                if (i >= 0) {
                    latencies[i] = Duration.between(job.createdAt(), seen.startedAt()).toMillis();
                }
                while (store.findJob(job.id()).orElseThrow().status() != JobStatus.COMPLETED) {
                    Thread.sleep(1);
                }
            }
            String note = "idle worker in another JVM polling every 60 s; startedAt - createdAt (ms clock)";
            rows.add(new String[] {"postgres: pickup latency through NOTIFY, p50", "1 x " + STEPS, "ms",
                    fmt(Stats.percentile(latencies, 50)), "-", "-", note});
            rows.add(new String[] {"postgres: pickup latency through NOTIFY, p99", "1 x " + STEPS, "ms",
                    fmt(Stats.percentile(latencies, 99)), fmt(Stats.percentile(latencies, 0.0001)),
                    fmt(Stats.percentile(latencies, 100)), count + " jobs, one at a time"});
        } finally {
            if (child != null) {
                child.destroyForcibly().waitFor();
            }
            drop(schema);
        }
    }

    // ------------------------------------------------------------------ table

    private void row(String workload, String shape, String unit, List<Double> xs, String note) {
        rows.add(new String[] {workload, shape, unit, fmt(Stats.median(xs)), fmt(Stats.min(xs)), fmt(Stats.max(xs)), note});
    }

    private static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private String table() {
        StringBuilder sb = new StringBuilder("| workload | J x S | unit | median | min | max | note |\n|---|---|---|--:|--:|--:|---|\n");
        for (String[] r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return sb.toString();
    }

}
