package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.ManifestSchema;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.examples.wordcount.WordCount;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The CLI end to end, on a real SQLite file in a temporary folder. */
class StepwiseCliTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Pattern JOB_ID = Pattern.compile("[0-9A-Z]{26}");
    private static final Pattern ISO_LOG_LINE =
            Pattern.compile("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z (DEBUG|INFO|WARN|ERROR) +\\S+ .+$");

    @TempDir
    Path dir;
    Path db;
    Path text;

    @BeforeEach
    void setUp() throws IOException {
        db = dir.resolve("jobs.db");
        text = dir.resolve("input.txt");
        Files.writeString(text, "The cat and the hat.\nThe END, the end!\n");
    }

    @Test
    void runsWordcountEndToEnd() throws IOException {
        Path report = dir.resolve("out/report.md");
        Cli.Result run = cli("run", "wordcount", "--input", input(text, report));

        assertEquals(0, run.code(), run.toString());
        assertTrue(run.err().isEmpty(), run.toString());
        assertEquals(2, run.out().size(), run.toString());
        String id = run.out().get(0);
        assertTrue(JOB_ID.matcher(id).matches(), "first line is the job id: " + id);
        assertTrue(run.out().get(1).startsWith("completed: job " + id), run.out().get(1));
        assertTrue(run.out().get(1).contains("4 executed, 0 from checkpoint"), run.out().get(1));
        assertTrue(run.out().get(1).endsWith("output: " + report), run.out().get(1));

        String md = Files.readString(report);
        assertTrue(md.contains("- words: 9\n"), md);
        assertTrue(md.contains("- distinct words: 5\n"), md);
        assertTrue(md.contains("| 1 | the | 4 |\n| 2 | end | 2 |\n| 3 | and | 1 |\n| 4 | cat | 1 |\n| 5 | hat | 1 |\n"), md);

        Cli.Result status = cli("status", id);
        assertEquals(0, status.code(), status.toString());
        assertTrue(status.out().contains("status:     completed"), status.toString());

        Cli.Result manifest = cli("manifest", id);
        assertEquals(0, manifest.code(), manifest.toString());
        JsonNode m = JSON.readTree(String.join("\n", manifest.out()));
        assertEquals(List.of(), ManifestSchema.validate(m));
        assertEquals("completed", m.get("status").asString());
        assertEquals(4, m.get("steps").size());
        List<String> keys = new ArrayList<>();
        for (JsonNode step : m.get("steps")) {
            assertEquals("success", step.get("status").asString(), step.toString());
            keys.add(step.get("key").asString());
        }
        assertEquals(List.of("read", "tokenize", "count", "report"), keys);
        assertEquals(report.toString(), m.get("output").get("path").asString());
        assertEquals(4, m.get("output").get("top").get(0).get("count").asInt());
        assertTrue(Files.exists(dir.resolve("stepwise-manifests").resolve(id).resolve("manifest.json")),
                "the FileManifestWriter wrote next to the database");

        Cli.Result logs = cli("logs", id);
        assertEquals(0, logs.code(), logs.toString());
        assertTrue(logs.out().size() >= 10, logs.toString());
        for (String line : logs.out()) {
            assertTrue(ISO_LOG_LINE.matcher(line).matches(), "log line: " + line);
        }
        assertTrue(logs.out().stream().anyMatch(l -> l.contains(" tokenize#1 ") && l.endsWith(" 9 words")), logs.toString());

        Cli.Result list = cli("list");
        assertEquals(0, list.code());
        assertTrue(list.out().get(1).startsWith(id + "  completed"), list.toString());
    }

    @Test
    void writesTheReportNextToTheDatabaseWithoutOut() {
        Cli.Result run = cli("run", "wordcount", "--input", "{\"file\": \"" + json(text) + "\"}");
        assertEquals(0, run.code(), run.toString());
        assertTrue(Files.exists(dir.resolve("stepwise-reports").resolve("wordcount-" + run.out().get(0) + ".md")));
    }

    @Test
    void readsTheInputFromAFile() throws IOException {
        Path inputFile = dir.resolve("input.json");
        Files.writeString(inputFile, input(text, dir.resolve("r.md")));
        Cli.Result run = cli("run", "wordcount", "--input", "@" + inputFile);
        assertEquals(0, run.code(), run.toString());
    }

    @Test
    void badJsonInputIsOneErrorLineAndExit2() {
        Cli.Result run = cli("run", "wordcount", "--input", "{not json");
        assertEquals(2, run.code());
        assertEquals(1, run.err().size(), run.toString());
        assertTrue(run.err().get(0).startsWith("error: --input is not valid JSON: "), run.err().get(0));
        assertTrue(run.err().get(0).endsWith("at line 1 column 2"), run.err().get(0));
        assertTrue(run.out().isEmpty(), run.toString());
        assertFalse(Files.exists(db), "bad input is rejected before the database is opened");
    }

    @Test
    void badUsageExits2() {
        assertUsageError(cli("list"), "error: no database at ");
        assertUsageError(cli("run", "wordcount", "--input", "[1, 2]"), "error: --input must be a JSON object");
        assertUsageError(cli("run", "wordcount", "--input", "@" + dir.resolve("nope.json")), "error: --input file ");
        assertUsageError(cli("run", "no-such-recipe"), "error: no recipe 'no-such-recipe'; known recipes: greeting, narration, wordcount");
        assertUsageError(cli("frobnicate"), "error: unknown command 'frobnicate'");
        assertUsageError(cli("status"), "error: missing argument; usage: stepwise [--db PATH] status JOB");
        assertUsageError(cli("--verbose", "list"), "error: unknown option '--verbose'");
        assertUsageError(cli(), "error: no command given");
    }

    @Test
    void unknownJobExits2() {
        SqliteJobStore.builder(db).build().close();
        assertUsageError(cli("status", "01J00000000000000000000000"), "error: no job with id '01J00000000000000000000000'");
        assertUsageError(cli("logs", "nope"), "error: no job with id 'nope'");
        assertUsageError(cli("manifest", "nope"), "error: no job with id 'nope'");
        assertUsageError(cli("retry", "nope"), "error: no job with id 'nope'");
    }

    @Test
    void missingInputFileFailsTheJobAndRetryCompletesItOnceTheFileExists() throws IOException {
        Path later = dir.resolve("later.txt");
        Cli.Result run = cli("run", "wordcount", "--input", input(later, dir.resolve("r.md")));
        assertEquals(1, run.code(), run.toString());
        String id = run.out().get(0);
        assertEquals(1, run.err().size(), run.toString());
        assertTrue(run.err().get(0).startsWith("error: job " + id + " failed: step 'read' failed: "), run.err().get(0));
        assertTrue(run.err().get(0).contains(later + " does not exist"), run.err().get(0));

        Cli.Result status = cli("status", id);
        assertTrue(status.out().contains("status:     failed"), status.toString());
        assertTrue(status.out().stream().anyMatch(l -> l.startsWith("last error: step 'read' failed")), status.toString());

        Files.writeString(later, "one two two");
        Cli.Result retry = cli("retry", id);
        assertEquals(0, retry.code(), retry.toString());
        assertEquals(id, retry.out().get(0));
        assertTrue(retry.out().get(1).contains("4 executed, 0 from checkpoint"), retry.toString());
        assertTrue(Files.readString(dir.resolve("r.md")).contains("| 1 | two | 2 |"));
        assertTrue(cli("status", id).out().stream().anyMatch(l -> l.matches("  read +success +attempts 2 .*")));

        assertUsageError(cli("retry", id), "error: job " + id + " is completed and cannot become pending");
    }

    @Test
    void retryReusesTheCheckpointsBeforeTheFailedStep() throws IOException {
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "a file where the report wants a folder");
        Path report = blocker.resolve("report.md");
        Cli.Result run = cli("run", "wordcount", "--input", input(text, report));
        assertEquals(1, run.code(), run.toString());
        assertTrue(run.err().get(0).contains("step 'report' failed"), run.err().get(0));

        Files.delete(blocker);
        Cli.Result retry = cli("retry", run.out().get(0));
        assertEquals(0, retry.code(), retry.toString());
        assertTrue(retry.out().get(1).contains("1 executed, 3 from checkpoint"), retry.toString());
        assertTrue(Files.readString(report).contains("| 1 | the | 4 |"));
        JsonNode m = JSON.readTree(String.join("\n", cli("manifest", run.out().get(0)).out()));
        assertEquals(List.of(), ManifestSchema.validate(m));
        List<String> statuses = new ArrayList<>();
        m.get("steps").forEach(s -> statuses.add(s.get("status").asString()));
        assertEquals(List.of("skipped", "skipped", "skipped", "success"), statuses);
    }

    @Test
    void cancelsAPendingJobAndRetryRunsIt() {
        String id = withEngine(Clock.systemUTC(), RunListener.NONE,
                engine -> engine.createJob("wordcount", JSON.readTree(input(text, dir.resolve("r.md")))).id());

        Cli.Result cancel = cli("cancel", id);
        assertEquals(0, cancel.code(), cancel.toString());
        assertEquals(List.of("job " + id + " cancelled"), cancel.out());
        assertTrue(cli("status", id).out().contains("status:     cancelled"));

        assertUsageError(cli("resume", id), "error: job " + id + " is cancelled, not interrupted; use 'retry " + id + "'");
        Cli.Result retry = cli("retry", id);
        assertEquals(0, retry.code(), retry.toString());
        assertUsageError(cli("cancel", id), "error: job " + id + " is completed and cannot become cancelled");
    }

    @Test
    void resumesAJobWhoseProcessDiedOnceItsLeaseExpired() {
        // A runner an hour in the past "dies" after executing 'count': its lease expired long ago.
        String id = crashAfterCount(Clock.offset(Clock.systemUTC(), Duration.ofHours(-1)));
        assertTrue(cli("status", id).out().contains("status:     running"));

        Cli.Result resume = cli("resume", id);
        assertEquals(0, resume.code(), resume.toString());
        assertEquals(id, resume.out().get(0));
        assertTrue(resume.out().get(1).contains("2 executed, 2 from checkpoint"), resume.toString());
        List<String> status = cli("status", id).out();
        assertTrue(status.stream().anyMatch(l -> l.matches("  count +success +attempts 2 .*")), status.toString());
    }

    @Test
    void resumeRefusesAJobWhoseLeaseIsStillHeld() {
        // A runner an hour ahead "dies": its lease is held for an hour, however slowly resume comes.
        String id = crashAfterCount(Clock.offset(Clock.systemUTC(), Duration.ofHours(1)));
        Cli.Result resume = cli("resume", id);
        assertEquals(1, resume.code(), resume.toString());
        assertEquals(1, resume.err().size(), resume.toString());
        assertTrue(resume.err().get(0).startsWith("error: job " + id + " is running on runner crashing-runner until "),
                resume.err().get(0));
    }

    private String crashAfterCount(Clock clock) {
        RunListener crash = new RunListener() {
            @Override
            public void afterStepExecuted(String jobId, String stepKey) {
                if (stepKey.equals("count")) {
                    throw new SimulatedCrash();
                }
            }
        };
        return withEngine(clock, crash, engine -> {
            Job job = engine.createJob("wordcount", JSON.readTree(input(text, dir.resolve("r.md"))));
            try {
                engine.run(job.id());
            } catch (SimulatedCrash expected) {
                return job.id();
            }
            throw new AssertionError("the run did not crash");
        });
    }

    private String withEngine(Clock clock, RunListener listener, java.util.function.Function<JobEngine, String> body) {
        try (SqliteJobStore store = SqliteJobStore.builder(db).build();
             JobEngine engine = WordCount.register(JobEngine.builder(store), dir.resolve("reports"))
                     .clock(clock).listener(listener).runnerId("crashing-runner").build()) {
            return body.apply(engine);
        }
    }

    private static final class SimulatedCrash extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private void assertUsageError(Cli.Result r, String errorPrefix) {
        assertEquals(2, r.code(), r.toString());
        assertEquals(1, r.err().size(), r.toString());
        assertTrue(r.err().get(0).startsWith(errorPrefix), "expected '" + errorPrefix + "...', got: " + r.err().get(0));
    }

    private static String input(Path file, Path out) {
        return "{\"file\": \"" + json(file) + "\", \"out\": \"" + json(out) + "\"}";
    }

    private static String json(Path p) {
        return p.toString().replace("\\", "\\\\");
    }

    private Cli.Result cli(String... args) {
        return new Cli(db).run(args);
    }
}
