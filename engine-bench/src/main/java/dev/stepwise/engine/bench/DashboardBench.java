package dev.stepwise.engine.bench;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.dashboard.ApiRequest;
import dev.stepwise.engine.dashboard.ApiResponse;
import dev.stepwise.engine.dashboard.Dashboard;
import dev.stepwise.engine.dashboard.DashboardApi;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import dev.stepwise.engine.sqlite.Synchronous;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * The dashboard's two performance figures (issue 11): worker throughput while 50 simulated
 * dashboards poll, against the same run without them; and the server time of the page's poll for
 * new log lines on a job with 50 steps and 10,000 lines.
 */
final class DashboardBench {
    /** Simulated dashboards. */
    static final int DASHBOARDS = 50;
    /** Their poll interval, as the page's. */
    static final Duration POLL = Duration.ofSeconds(2);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final boolean quick;
    private final int reps;
    private final List<Synchronous> syncs;
    private final List<String[]> rows;

    DashboardBench(boolean quick, int reps, List<Synchronous> syncs, List<String[]> rows) {
        this.quick = quick;
        this.reps = reps;
        this.syncs = syncs;
        this.rows = rows;
    }

    /**
     * 2 workers run J=2000 x S=5 no-op jobs, timed from their start to the last job, with no
     * dashboard and with 50 simulated dashboards polling (over HTTP, on the same engine) the job
     * list and one job each (its state, then its new log lines) every 2 s, staggered, with the
     * page's conditional requests. The pollers start 2 s before the timer (steady state).
     */
    void pollingWhileWorkersRun() throws Exception {
        int jobs = quick ? 200 : 2000;
        int steps = 5;
        for (Synchronous sync : syncs) {
            List<Double> without = new ArrayList<>();
            List<Double> with = new ArrayList<>();
            List<Pollers> pollers = new ArrayList<>();
            for (int r = 0; r < reps; r++) {
                // Interleaved, so that a noisy neighbour hurts both alike.
                without.add(Bench.workersRep(sync, jobs, steps, 2, (engine, ids) -> () -> { }));
                Pollers p = new Pollers();
                with.add(Bench.workersRep(sync, jobs, steps, 2, p::start));
                pollers.add(p);
                Bench.progress("dashboards %s %dx%d rep %d: without %.0f steps/s, with %d dashboards %.0f steps/s (%d requests, %d x 304)",
                        sync, jobs, steps, r + 1, jobs * steps / without.get(r), DASHBOARDS, jobs * steps / with.get(r),
                        p.requests.get(), p.notModified.get());
            }
            List<Double> a = Bench.rates(without, jobs * steps);
            List<Double> b = Bench.rates(with, jobs * steps);
            double ratio = Stats.median(b) / Stats.median(a);
            long requests = pollers.stream().mapToLong(p -> p.requests.get()).sum();
            long notModified = pollers.stream().mapToLong(p -> p.notModified.get()).sum();
            double seconds = with.stream().mapToDouble(Double::doubleValue).sum();
            String shape = jobs + " x " + steps;
            rows.add(row("dashboards: 2 workers, no dashboard", sync, shape, "steps/s", a, "%.0f", ""));
            rows.add(row("dashboards: 2 workers, " + DASHBOARDS + " dashboards polling every 2 s", sync, shape, "steps/s", b, "%.0f",
                    String.format(Locale.ROOT, "%.2f x without (target >= 0.90: %s); %.0f requests/s served while timed, %d%% answered 304",
                            ratio, ratio >= 0.90 ? "met" : "missed", requests / seconds,
                            requests == 0 ? 0 : Math.round(100.0 * notModified / requests))));
        }
    }

    /** 50 simulated dashboards on one engine: list + one job + its new log lines, every 2 s each. */
    private static final class Pollers {
        final AtomicLong requests = new AtomicLong();
        final AtomicLong notModified = new AtomicLong();

        AutoCloseable start(JobEngine engine, List<String> ids) throws Exception {
            Dashboard dashboard = Dashboard.builder(engine).port(0).build().start();
            String base = "http://127.0.0.1:" + dashboard.port();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            ScheduledExecutorService ticks = Executors.newScheduledThreadPool(4, r -> {
                Thread t = new Thread(r, "bench-dashboard");
                t.setDaemon(true);
                return t;
            });
            for (int i = 0; i < DASHBOARDS; i++) {
                String job = ids.get(i * ids.size() / DASHBOARDS);
                Poller p = new Poller(client, base, job);
                ticks.scheduleAtFixedRate(p::tick, i * POLL.toMillis() / DASHBOARDS, POLL.toMillis(), TimeUnit.MILLISECONDS);
            }
            Thread.sleep(POLL.toMillis());
            requests.set(0);
            notModified.set(0);
            return () -> {
                ticks.shutdownNow();
                ticks.awaitTermination(10, TimeUnit.SECONDS);
                dashboard.close();
            };
        }

        /** One page: the job list and one job, polled with If-None-Match; then the job's new lines. */
        private final class Poller {
            private final HttpClient client;
            private final String base;
            private final String job;
            private String listTag = "";
            private String jobTag = "";
            private long cursor;

            Poller(HttpClient client, String base, String job) {
                this.client = client;
                this.base = base;
                this.job = job;
            }

            void tick() {
                try {
                    listTag = get("/api/jobs?limit=25", listTag);
                    jobTag = get("/api/jobs/" + job, jobTag);
                    HttpResponse<String> logs = send("/api/jobs/" + job + "/logs?after=" + cursor, "");
                    cursor = JSON.readTree(logs.body()).get("cursor").asLong();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // the run is over
                } catch (Exception e) {
                    Bench.progress("dashboard poll failed: %s", e);
                }
            }

            private String get(String path, String etag) throws Exception {
                HttpResponse<String> r = send(path, etag);
                if (r.statusCode() == 304) {
                    notModified.incrementAndGet();
                    return etag;
                }
                return r.headers().firstValue("ETag").orElse("");
            }

            private HttpResponse<String> send(String path, String etag) throws Exception {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
                if (!etag.isEmpty()) {
                    b.header("If-None-Match", etag);
                }
                HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                requests.incrementAndGet();
                if (r.statusCode() != 200 && r.statusCode() != 304) {
                    throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
                }
                return r;
            }
        }
    }

    /**
     * One completed job of 50 steps that logged 10,000 lines (200 each; the engine adds its own):
     * server time of {@link DashboardApi#handle} for the page's poll for new lines (after the last
     * cursor: nothing new), for a poll that finds 10 new lines, and for the job's state answered
     * 304; plus the same empty poll over HTTP on loopback, end to end.
     */
    void logPoll() throws Exception {
        int steps = 50;
        int perStep = 200;
        int samples = quick ? 1000 : 5000;
        Path dir = Files.createTempDirectory("stepwise-bench-");
        try (SqliteJobStore store = SqliteJobStore.builder(dir.resolve("bench.db")).synchronous(Synchronous.NORMAL).build();
                JobEngine engine = Bench.engine(store, steps, dev.stepwise.engine.core.RunListener.NONE, ctx -> {
                    for (int i = 1; i <= perStep; i++) {
                        ctx.log().info("line {} of step {}", i, ctx.stepKey());
                    }
                    return JsonNodeFactory.instance.objectNode().put("lines", perStep);
                })) {
            Job job = engine.run(engine.createJob("bench-s" + steps, JsonNodeFactory.instance.objectNode()).id());
            if (job.status() != JobStatus.COMPLETED) {
                throw new IllegalStateException("the log job ended " + job.status());
            }
            List<LogEntry> all = new ArrayList<>();
            for (List<LogEntry> page = engine.logs(job.id(), 0, 5000); !page.isEmpty();
                    page = engine.logs(job.id(), page.get(page.size() - 1).cursor(), 5000)) {
                all.addAll(page);
            }
            long last = all.get(all.size() - 1).cursor();
            long tenBefore = all.get(all.size() - 11).cursor();
            DashboardApi api = new DashboardApi(engine);
            String etag = api.handle(ApiRequest.of("GET", "/api/jobs/" + job.id())).header("ETag").orElseThrow();
            String shape = "1 x 50, " + String.format(Locale.ROOT, "%,d", all.size()) + " lines";

            long[] empty = time(samples, () -> expect(api.handle(ApiRequest.of("GET", "/api/jobs/" + job.id() + "/logs?after=" + last)), 200));
            long[] ten = time(samples, () -> expect(api.handle(ApiRequest.of("GET", "/api/jobs/" + job.id() + "/logs?after=" + tenBefore)), 200));
            long[] state = time(samples, () -> expect(api.handle(ApiRequest.of("GET", "/api/jobs/" + job.id())
                    .withHeader("If-None-Match", etag)), 304));
            long[] first = time(quick ? 100 : 500, () -> expect(api.handle(ApiRequest.of("GET", "/api/jobs/" + job.id() + "/logs")), 200));
            try (Dashboard dashboard = Dashboard.builder(engine).port(0).build().start()) {
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                HttpRequest poll = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + dashboard.port() + "/api/jobs/"
                        + job.id() + "/logs?after=" + last)).build();
                long[] http = time(samples, () -> {
                    HttpResponse<String> r = client.send(poll, HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("answered " + r.statusCode());
                    }
                });
                double p50 = Stats.percentile(empty, 50) / 1e6;
                Bench.progress("log poll: nothing new p50 %.3f ms, 10 new p50 %.3f ms, state 304 p50 %.3f ms, HTTP p50 %.3f ms",
                        p50, Stats.percentile(ten, 50) / 1e6, Stats.percentile(state, 50) / 1e6, Stats.percentile(http, 50) / 1e6);
                rows.add(pct("dashboards: log poll, nothing new (server time)", shape, empty,
                        String.format(Locale.ROOT, "target median < 2 ms: %s", p50 < 2 ? "met" : "missed")));
                rows.add(pct("dashboards: log poll, 10 new lines (server time)", shape, ten, ""));
                rows.add(pct("dashboards: job state, unchanged -> 304 (server time)", shape, state, "50 steps read, body hashed"));
                rows.add(pct("dashboards: first log page, 1,000 lines (server time)", shape, first, ""));
                rows.add(pct("dashboards: log poll, nothing new, over HTTP (client)", shape, http, "loopback, HTTP/1.1 keep-alive"));
            }
        } finally {
            Bench.deleteTree(dir);
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void expect(ApiResponse r, int status) {
        if (r.status() != status) {
            throw new IllegalStateException("expected " + status + ", answered " + r.status() + ": " + r.bodyText());
        }
    }

    /** Nanoseconds of each call, after as many warm-up calls. */
    private static long[] time(int n, Call call) throws Exception {
        for (int i = 0; i < n; i++) {
            call.run();
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            call.run();
            out[i] = System.nanoTime() - t0;
        }
        return out;
    }

    private static String[] pct(String workload, String shape, long[] nanos, String note) {
        return new String[] {workload, "NORMAL", shape, "us p50 / p99",
            f("%.0f", Stats.percentile(nanos, 50) / 1e3) + " / " + f("%.0f", Stats.percentile(nanos, 99) / 1e3),
            f("%.0f", Stats.percentile(nanos, 0.0001) / 1e3), f("%.0f", Stats.percentile(nanos, 100) / 1e3),
            (note.isEmpty() ? "" : note + "; ") + nanos.length + " calls"};
    }

    private static String[] row(String workload, Synchronous sync, String shape, String unit, List<Double> xs, String fmt,
            String note) {
        return new String[] {workload, sync.name(), shape, unit, f(fmt, Stats.median(xs)), f(fmt, Stats.min(xs)),
            f(fmt, Stats.max(xs)), note};
    }

    private static String f(String fmt, double v) {
        return String.format(Locale.ROOT, fmt, v);
    }
}
