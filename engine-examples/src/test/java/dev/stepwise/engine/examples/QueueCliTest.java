package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.core.contract.Await;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code submit} and {@code worker} end to end, on a real SQLite file in a temporary folder. */
class QueueCliTest {
    private static final Pattern JOB_ID = Pattern.compile("[0-9A-Z]{26}");

    @TempDir
    Path dir;
    Path db;
    Cli cli;
    String input;

    @BeforeEach
    void setUp() throws IOException {
        db = dir.resolve("jobs.db");
        cli = new Cli(db);
        Path text = dir.resolve("input.txt");
        Files.writeString(text, "The cat and the hat.\nThe END, the end!\n");
        input = "{\"file\": \"" + text.toString().replace("\\", "\\\\") + "\"}";
    }

    @Test
    @Timeout(600) // hang guard only: a few seconds
    void workerRunsEverythingRunnableAndExitsWhenIdle() {
        String plain = submit("submit", "wordcount", "--input", input);
        String urgent = submit("submit", "wordcount", "--input", input, "--priority", "5");
        String soon = submit("submit", "wordcount", "--input", input, "--run-at", "+0s");
        String future = submit("submit", "wordcount", "--input", input, "--run-at", "2999-01-01T00:00:00Z");
        String keyed = submit("submit", "wordcount", "--input", input, "--key", "order-1234");

        Cli.Result again = cli.run("submit", "wordcount", "--input", input, "--key", "order-1234");
        assertEquals(0, again.code(), again.toString());
        assertEquals(List.of(keyed), again.out(), "the same key returns the existing job");
        assertEquals(1, again.err().size(), again.toString());
        assertTrue(again.err().get(0).startsWith("note: idempotency key 'order-1234' was used before: job " + keyed),
                again.toString());
        assertEquals(5, Set.of(plain, urgent, soon, future, keyed).size());

        Cli.Result worker = cli.run("worker", "--workers", "2", "--exit-when-idle", "--poll", "50");
        assertEquals(0, worker.code(), worker.toString());
        Set<String> expected = Set.of(plain + " completed", urgent + " completed", soon + " completed", keyed + " completed");
        assertEquals(expected, new HashSet<>(worker.out()), "one line per finished job: " + worker);
        assertEquals(4, worker.out().size(), worker.toString());

        Map<String, Job> jobs = jobs();
        for (String id : List.of(plain, urgent, soon, keyed)) {
            assertEquals(JobStatus.COMPLETED, jobs.get(id).status(), id);
        }
        assertEquals(JobStatus.PENDING, jobs.get(future).status(), "a job whose run-at is in the future is not run");
        assertEquals(Instant.parse("2999-01-01T00:00:00Z"), jobs.get(future).runAt());
        assertEquals(5, jobs.get(urgent).priority());
        assertEquals("order-1234", jobs.get(keyed).idempotencyKey());
        assertEquals(5, jobs.size());

        // Nothing runnable: a second worker exits at once and prints nothing.
        Cli.Result idle = cli.run("worker", "--exit-when-idle", "--poll", "50");
        assertEquals(0, idle.code(), idle.toString());
        assertEquals(List.of(), idle.out());
    }

    @Test
    void runAtAcceptsInstantsOffsetsAndDurationsFromNow() {
        Instant now = Instant.parse("2030-01-01T00:00:00Z");
        assertEquals(now.plusSeconds(30), CliArgs.parseRunAt("+30s", now));
        assertEquals(now.plusSeconds(300), CliArgs.parseRunAt("+5m", now));
        assertEquals(now.plusSeconds(7200), CliArgs.parseRunAt("+2h", now));
        assertEquals(now.plus(Duration.ofDays(1)), CliArgs.parseRunAt("+1d", now));
        assertEquals(now.plusMillis(500), CliArgs.parseRunAt("+500ms", now));
        assertEquals(Instant.parse("2030-06-01T07:00:00Z"), CliArgs.parseRunAt("2030-06-01T09:00:00+02:00", now));
        assertEquals(Instant.parse("2030-06-01T09:00:00Z"), CliArgs.parseRunAt("2030-06-01T09:00:00Z", now));
    }

    @Test
    void badSubmitAndWorkerUsageIsOneErrorLineAndExit2() {
        assertUsage(cli.run("submit", "wordcount"), "error: --input is required");
        assertUsage(cli.run("submit", "no-such-recipe", "--input", "{}"), "error: no recipe 'no-such-recipe'");
        assertUsage(cli.run("submit", "wordcount", "--input", "{}"), "error: ");
        assertUsage(cli.run("submit", "wordcount", "--input", input, "--run-at", "tomorrow"), "error: --run-at must be");
        assertUsage(cli.run("submit", "wordcount", "--input", input, "--priority", "high"), "error: --priority must be");
        assertUsage(cli.run("submit", "wordcount", "--input", input, "--key", " "), "error: --key must be");
        assertUsage(cli.run("submit", "wordcount", "--input", input, "--workers", "2"), "error: --workers is only for 'worker'");
        assertUsage(cli.run("run", "wordcount", "--input", input, "--key", "k"), "error: --key is only for 'submit'");
        assertUsage(cli.run("worker", "--workers", "0"), "error: --workers must be");
        assertUsage(cli.run("worker", "--poll", "0"), "error: --poll must be");
        assertUsage(cli.run("worker", "--limit", "wordcount"), "error: --limit must be SLUG=N");
        assertUsage(cli.run("worker", "--limit", "wordcount=1", "--limit", "wordcount=2"), "error: --limit given twice");
        assertUsage(cli.run("worker", "--input", "{}"), "error: --input is only for 'run' and 'submit'");
        assertUsage(cli.run("worker", "extra"), "error: too many arguments");
        assertEquals(List.of(), new ArrayList<>(jobs().keySet()), "no job was created");
    }

    @Test
    @Timeout(600) // hang guard only: a few seconds
    void workerOnABackgroundThreadStopsGracefullyAndLeavesNothingRunning() throws Exception {
        StopSignal stop = new StopSignal(false);
        Background worker = Background.start(db, stop, "worker", "--workers", "2", "--poll", "50", "--grace", "10",
                "--limit", "wordcount=2");
        String first = submit("submit", "wordcount", "--input", input);
        worker.awaitLine(first + " completed");

        // A burst, then stop while some of it may still be running.
        List<String> burst = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            burst.add(submit("submit", "wordcount", "--input", input, "--priority", String.valueOf(i)));
        }
        worker.awaitLine(burst.get(5) + " completed"); // highest priority: claimed first
        stop.request();
        assertEquals(0, worker.join(), worker.toString());

        Map<String, Job> jobs = jobs();
        assertEquals(List.of(), jobs.values().stream().filter(j -> j.status() == JobStatus.RUNNING).toList(),
                "no job is left running");
        for (Job j : jobs.values()) {
            assertTrue(j.status() == JobStatus.COMPLETED || j.status() == JobStatus.PENDING, j.id() + " " + j.status());
            assertTrue(j.leaseOwner() == null, "lease released: " + j.id());
            assertEquals(j.status() == JobStatus.COMPLETED, worker.out().contains(j.id() + " completed"),
                    "printed exactly the completed jobs: " + worker);
        }
        assertTrue(worker.err().stream().anyMatch(l -> l.startsWith("worker: stopping")), worker.toString());

        // A new worker finishes whatever was handed back.
        Cli.Result rest = cli.run("worker", "--exit-when-idle", "--poll", "50");
        assertEquals(0, rest.code(), rest.toString());
        assertTrue(jobs().values().stream().allMatch(j -> j.status() == JobStatus.COMPLETED), jobs().toString());
    }

    @Test
    @Timeout(600) // hang guard only: a second or two
    void interruptingTheWorkerThreadAlsoStopsItGracefully() throws Exception {
        Background worker = Background.start(db, new StopSignal(false), "worker", "--poll", "50");
        String id = submit("submit", "wordcount", "--input", input);
        worker.awaitLine(id + " completed");
        worker.thread.interrupt();
        assertEquals(0, worker.join(), worker.toString());
        assertTrue(jobs().values().stream().noneMatch(j -> j.status() == JobStatus.RUNNING));
    }

    private String submit(String... args) {
        Cli.Result r = cli.run(args);
        assertEquals(0, r.code(), r.toString());
        assertEquals(1, r.out().size(), r.toString());
        assertTrue(JOB_ID.matcher(r.out().get(0)).matches(), r.toString());
        return r.out().get(0);
    }

    private static void assertUsage(Cli.Result r, String errorStart) {
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().size(), r.toString());
        assertTrue(r.err().get(0).startsWith(errorStart), r.toString());
        assertTrue(r.out().isEmpty(), r.toString());
    }

    private Map<String, Job> jobs() {
        if (!Files.exists(db)) {
            return Map.of();
        }
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            return store.findJobs(new JobQuery(Set.of(), 10_000)).stream().collect(Collectors.toMap(Job::id, Function.identity()));
        }
    }

    /** {@code StepwiseCli.run} on a thread of its own, with its output captured as it comes. */
    private static final class Background {
        final Thread thread;
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final AtomicInteger code = new AtomicInteger(-1);

        private Background(Path db, StopSignal stop, String... args) {
            List<String> all = new ArrayList<>(List.of("--db", db.toString()));
            all.addAll(List.of(args));
            PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
            PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
            CliContext ctx = new CliContext(o, e, Clock.systemUTC(), stop);
            thread = new Thread(() -> code.set(StepwiseCli.run(all.toArray(String[]::new), ctx)), "cli-worker");
        }

        static Background start(Path db, StopSignal stop, String... args) {
            Background b = new Background(db, stop, args);
            b.thread.start();
            return b;
        }

        void awaitLine(String line) throws InterruptedException {
            Await.until("line '" + line + "' from the worker", () -> {
                assertTrue(out().contains(line) || thread.isAlive(), "the worker ended early: " + this);
                return out().contains(line);
            });
        }

        int join() throws InterruptedException {
            thread.join(Await.GUARD.toMillis());
            assertFalse(thread.isAlive(), "the worker stopped: " + this);
            return code.get();
        }

        List<String> out() {
            return out.toString(StandardCharsets.UTF_8).lines().toList();
        }

        List<String> err() {
            return err.toString(StandardCharsets.UTF_8).lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + code.get() + "\nstdout:\n" + String.join("\n", out()) + "\nstderr:\n" + String.join("\n", err());
        }
    }
}
