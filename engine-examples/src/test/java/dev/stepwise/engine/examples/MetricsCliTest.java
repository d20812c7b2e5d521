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

/** {@code worker --metrics-port}: Prometheus text of the engine's observations, scraped over HTTP. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsCliTest {
    private static final Pattern ADDRESS = Pattern.compile("metrics: http://127\\.0\\.0\\.1:(\\d+)/metrics");

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aWorkerServesStepAndJobSeriesAndQueueGaugesAsPrometheusText() throws Exception {
        Path db = dir.resolve("jobs.db");
        Cli.Result submitted = new Cli(db).run("submit", "greeting", "--input", "{\"name\":\"Ada\"}");
        assertEquals(0, submitted.code(), submitted.toString());
        String jobId = submitted.out().get(0);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        StopSignal stop = new StopSignal(false);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> exit = pool.submit(() -> StepwiseCli.run(
                    new String[] {"--db", db.toString(), "worker", "--poll", "50", "--metrics-port", "0"},
                    new CliContext(new PrintStream(out, true, StandardCharsets.UTF_8),
                            new PrintStream(err, true, StandardCharsets.UTF_8), java.time.Clock.systemUTC(), stop)));
            int port = -1;
            for (int i = 0; i < 12_000 && !text(out).contains(jobId + " completed"); i++) {
                assertTrue(!exit.isDone(), () -> "the worker ended: " + text(out) + text(err));
                Thread.sleep(10);
            }
            Matcher m = ADDRESS.matcher(text(out));
            assertTrue(m.find(), () -> "no metrics address printed: " + text(out));
            port = Integer.parseInt(m.group(1));
            assertTrue(text(out).contains(jobId + " completed"), () -> text(out) + text(err));

            HttpResponse<String> scraped = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                    .build(), HttpResponse.BodyHandlers.ofString());

            assertEquals(200, scraped.statusCode());
            assertTrue(scraped.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            String body = scraped.body();
            for (String series : List.of(
                    "stepwise_step_seconds_count{error=\"none\",outcome=\"success\",recipe=\"greeting\",step=\"greet\"} 1",
                    "stepwise_job_seconds_count{error=\"none\",outcome=\"completed\",recipe=\"greeting\"} 1")) {
                assertTrue(body.contains(series), () -> "no line '" + series + "' in:\n" + body);
            }
            // The gauges show the store as read at most once per refresh interval (10 s): present, values vary.
            for (String gauge : List.of("stepwise_jobs\\{recipe=\"greeting\",status=\"pending\"\\} [0-9.]+",
                    "stepwise_jobs\\{recipe=\"greeting\",status=\"running\"\\} [0-9.]+",
                    "stepwise_queue_lag_seconds\\{recipe=\"greeting\"\\} [0-9.E-]+")) {
                assertTrue(Pattern.compile("(?m)^" + gauge + "$").matcher(body).find(), () -> "no gauge " + gauge + " in:\n" + body);
            }
            assertTrue(!body.contains(jobId), "a job id is never a label");

            stop.request();
            assertEquals(0, exit.get(60, TimeUnit.SECONDS));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void theMetricsPortIsOnlyForTheWorkerAndMustBeAPort() {
        Cli cli = new Cli(dir.resolve("jobs.db"));
        for (List<String> args : List.of(List.of("list", "--metrics-port", "0"), List.of("worker", "--metrics-port", "70000"),
                List.of("worker", "--metrics-port", "x"))) {
            Cli.Result r = cli.run(args.toArray(String[]::new));
            assertEquals(StepwiseCli.EXIT_USAGE, r.code(), args + ": " + r);
            assertTrue(r.err().get(0).startsWith("error: "), r.toString());
        }
    }

    private static String text(ByteArrayOutputStream s) {
        synchronized (s) {
            return s.toString(StandardCharsets.UTF_8);
        }
    }
}
