package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code dashboard} and {@code worker --dashboard} on a real SQLite file, stopped as by Ctrl-C. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DashboardCliTest {
    private static final Pattern ADDRESS = Pattern.compile("dashboard: (http://127\\.0\\.0\\.1:(\\d+)/)");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    /** A running CLI command: its output so far, and how to stop it. */
    private record Running(Future<Integer> exit, ByteArrayOutputStream out, ByteArrayOutputStream err, StopSignal stop) {
        String stdout() {
            synchronized (out) {
                return out.toString(StandardCharsets.UTF_8);
            }
        }
    }

    private Running start(ExecutorService pool, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StopSignal stop = new StopSignal(false);
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        Future<Integer> exit = pool.submit(() -> StepwiseCli.run(args, new CliContext(o, e, java.time.Clock.systemUTC(), stop)));
        return new Running(exit, out, err, stop);
    }

    private static int port(Running r) throws InterruptedException {
        for (int i = 0; i < 6000; i++) {
            Matcher m = ADDRESS.matcher(r.stdout());
            if (m.find()) {
                return Integer.parseInt(m.group(2));
            }
            if (r.exit().isDone()) {
                throw new AssertionError("the command ended: " + r.stdout() + r.err().toString(StandardCharsets.UTF_8));
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no address printed: " + r.stdout());
    }

    private String get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    @Test
    void dashboardServesTheDatabaseUntilStopped() throws Exception {
        Path db = dir.resolve("jobs.db");
        Path text = dir.resolve("in.txt");
        Files.writeString(text, "one two two");
        Cli.Result ran = new Cli(db).run("run", "wordcount", "--input", "{\"file\":\"" + text.toString().replace("\\", "\\\\") + "\"}");
        assertEquals(0, ran.code(), ran.toString());
        String jobId = ran.out().get(0);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Running r = start(pool, "--db", db.toString(), "dashboard", "--port", "0");
            int port = port(r);

            assertTrue(get(port, "/api/jobs").contains(jobId));
            assertTrue(get(port, "/api/jobs/" + jobId).contains("\"status\":\"completed\""));
            assertTrue(get(port, "/").contains("Stepwise dashboard"));
            assertTrue(get(port, "/api/recipes").contains("wordcount"));

            r.stop().request();
            assertEquals(0, r.exit().get(60, TimeUnit.SECONDS));
            assertTrue(r.err().toString(StandardCharsets.UTF_8).contains("dashboard: stopped"));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void workerWithDashboardRunsJobsCreatedThroughTheApi() throws Exception {
        Path db = dir.resolve("jobs.db");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Running r = start(pool, "--db", db.toString(), "worker", "--poll", "50", "--dashboard", "--port", "0");
            int port = port(r);
            HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/jobs"))
                    .header("X-Stepwise-Request", "test").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"recipe\":\"greeting\",\"input\":{\"name\":\"Ada\"}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(201, created.statusCode(), created.body());
            Matcher id = Pattern.compile("\"id\":\"([0-9A-Z]{26})\"").matcher(created.body());
            assertTrue(id.find());
            String body = "";
            for (int i = 0; i < 6000 && !body.contains("\"status\":\"completed\""); i++) {
                body = get(port, "/api/jobs/" + id.group(1));
                Thread.sleep(10);
            }
            assertTrue(body.contains("Hello, Ada!"), body);

            r.stop().request();
            assertEquals(0, r.exit().get(60, TimeUnit.SECONDS));
            assertTrue(r.stdout().contains(id.group(1) + " completed"), r.stdout());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void dashboardOptionsAreCheckedAndANonLoopbackAddressNeedsAToken() {
        Cli cli = new Cli(dir.resolve("jobs.db"));
        for (List<String> args : List.of(List.of("list", "--port", "1"), List.of("worker", "--token", "x"),
                List.of("dashboard", "--port", "70000"), List.of("dashboard", "--bind", "0.0.0.0", "--port", "0"),
                List.of("dashboard", "--token", "short", "--port", "0"), List.of("dashboard", "extra"))) {
            Cli.Result r = cli.run(args.toArray(String[]::new));
            assertEquals(StepwiseCli.EXIT_USAGE, r.code(), args + ": " + r);
            assertTrue(r.err().get(0).startsWith("error: "), r.toString());
        }
        assertTrue(cli.run("dashboard", "--bind", "0.0.0.0", "--port", "0").err().get(0).contains("set a token"));
    }
}
