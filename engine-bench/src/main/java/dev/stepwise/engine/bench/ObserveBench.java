package dev.stepwise.engine.bench;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import dev.stepwise.engine.micrometer.StepwiseObservability;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.engine.sqlite.Synchronous;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.handler.DefaultTracingObservationHandler;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The observe workload (issue 14): J x 5 no-op steps with {@code run(jobId)} on one thread, with
 * observation off (no listener) and on (engine-micrometer with a {@link SimpleMeterRegistry} for
 * the meters and Micrometer Tracing's no-op tracer behind the tracing handler), in pairs on fresh
 * SQLite files; the order inside a pair alternates (off-on, on-off, ...) so drift and neighbours
 * weigh on both sides alike. Reports each side's throughput and the paired on/off time ratio.
 */
final class ObserveBench {
    private static final int STEPS = 5;

    private final boolean quick;
    private final int pairs;
    private final List<String[]> rows;

    ObserveBench(boolean quick, int reps, List<String[]> rows) {
        this.quick = quick;
        this.pairs = quick ? 1 : reps;
        this.rows = rows;
    }

    void run() throws Exception {
        int jobs = quick ? 200 : 2000;
        double loadBefore = load();
        rep(jobs / 4, false); // JIT warm-up of both paths, not reported
        rep(jobs / 4, true);
        List<Double> off = new ArrayList<>();
        List<Double> on = new ArrayList<>();
        List<Double> ratio = new ArrayList<>();
        List<Double> cpuOff = new ArrayList<>();
        List<Double> cpuOn = new ArrayList<>();
        List<Double> cpuRatio = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
            boolean onFirst = p % 2 == 1;
            double[] first = rep(jobs, onFirst);
            double[] second = rep(jobs, !onFirst);
            double[] tOn = onFirst ? first : second;
            double[] tOff = onFirst ? second : first;
            on.add(jobs * STEPS / tOn[0]);
            off.add(jobs * STEPS / tOff[0]);
            ratio.add(tOn[0] / tOff[0]);
            cpuOn.add(tOn[1] * 1e6 / (jobs * STEPS));
            cpuOff.add(tOff[1] * 1e6 / (jobs * STEPS));
            cpuRatio.add(tOn[1] / tOff[1]);
            Bench.progress("observe pair %d/%d: off %.0f steps/s, on %.0f steps/s, on/off time %.3f, on/off runner CPU %.3f",
                    p + 1, pairs, jobs * STEPS / tOff[0], jobs * STEPS / tOn[0], tOn[0] / tOff[0], tOn[1] / tOff[1]);
        }
        double loadAfter = load();
        String shape = jobs + " x " + STEPS;
        String note = String.format(Locale.ROOT, "%d interleaved pairs; load avg %.1f -> %.1f", pairs, loadBefore, loadAfter);
        rows.add(new String[] {"observe: run(jobId), observation off", "NORMAL", shape, "steps/s", f0(Stats.median(off)),
                f0(Stats.min(off)), f0(Stats.max(off)), note});
        rows.add(new String[] {"observe: run(jobId), observation on (SimpleMeterRegistry + no-op tracer)", "NORMAL", shape,
                "steps/s", f0(Stats.median(on)), f0(Stats.min(on)), f0(Stats.max(on)), ""});
        rows.add(new String[] {"observe: time on / time off, per pair", "NORMAL", shape, "ratio", f3(Stats.median(ratio)),
                f3(Stats.min(ratio)), f3(Stats.max(ratio)), "target: median <= 1.05"});
        rows.add(new String[] {"observe: runner thread CPU per step, observation off", "NORMAL", shape, "us/step",
                f0(Stats.median(cpuOff)), f0(Stats.min(cpuOff)), f0(Stats.max(cpuOff)), "CPU time of the thread that runs jobs and steps"});
        rows.add(new String[] {"observe: runner thread CPU per step, observation on", "NORMAL", shape, "us/step",
                f0(Stats.median(cpuOn)), f0(Stats.min(cpuOn)), f0(Stats.max(cpuOn)), ""});
        rows.add(new String[] {"observe: runner CPU on / off, per pair", "NORMAL", shape, "ratio", f3(Stats.median(cpuRatio)),
                f3(Stats.min(cpuRatio)), f3(Stats.max(cpuRatio)), "less sensitive to a loaded machine than wall time"});
    }

    /**
     * Runs {@code jobs} jobs (creation not timed) on a fresh file, observed or not.
     *
     * @return wall seconds and CPU seconds of this (the runner's) thread
     */
    private static double[] rep(int jobs, boolean observed) throws IOException {
        Path dir = Files.createTempDirectory("stepwise-observe-");
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("bench.db")).synchronous(Synchronous.NORMAL).build()) {
            Recipe.Builder recipe = Recipe.builder("observe");
            for (int i = 0; i < STEPS; i++) {
                recipe.step("s" + i, "work");
            }
            JobEngineBuilder b = JobEngine.builder(store).step("work", ctx -> JsonNodeFactory.instance.objectNode())
                    .recipe(recipe.build());
            if (observed) {
                SimpleMeterRegistry meters = new SimpleMeterRegistry();
                ObservationRegistry observations = ObservationRegistry.create();
                observations.observationConfig().observationHandler(new DefaultMeterObservationHandler(meters))
                        .observationHandler(new DefaultTracingObservationHandler(Tracer.NOOP));
                b.eventListener(StepwiseObservability.builder(observations, meters).build());
            }
            try (JobEngine engine = b.build()) {
                JsonNode input = JsonNodeFactory.instance.objectNode().put("n", 1);
                List<String> ids = new ArrayList<>(jobs);
                for (int j = 0; j < jobs; j++) {
                    ids.add(engine.createJob("observe", input).id());
                }
                ThreadMXBean threads = ManagementFactory.getThreadMXBean();
                long cpu0 = threads.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                for (String id : ids) {
                    Job done = engine.run(id);
                    if (done.status() != JobStatus.COMPLETED) {
                        throw new IllegalStateException("job " + id + " ended " + done.status() + ": " + done.lastError());
                    }
                }
                double wall = (System.nanoTime() - t0) / 1e9;
                return new double[] {wall, (threads.getCurrentThreadCpuTime() - cpu0) / 1e9};
            }
        } finally {
            Bench.deleteTree(dir);
        }
    }

    private static double load() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }

    private static String f0(double v) {
        return String.format(Locale.ROOT, "%.0f", v);
    }

    private static String f3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
