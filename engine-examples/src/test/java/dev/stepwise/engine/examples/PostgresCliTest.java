package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The CLI on PostgreSQL ({@code --db postgresql://...}): submit, worker, status, on a schema of its own. */
class PostgresCliTest {
    private final String schema = "t_postgresclitest_" + ProcessHandle.current().pid();
    private final String url = "postgresql://postgres@127.0.0.1:5432/test?currentSchema=" + schema;

    @TempDir
    Path dir;

    private String jobId;
    private boolean artifactDirExisted = Files.exists(Path.of(StepwiseCli.PG_ARTIFACT_DIR));

    @AfterEach
    void dropSchemaAndOutputs() throws Exception {
        if (!artifactDirExisted) {
            deleteTree(Path.of(StepwiseCli.PG_ARTIFACT_DIR));
        }
        // With a PostgreSQL --db the CLI writes manifests and reports under the working directory.
        if (jobId != null) {
            deleteTree(Path.of(StepwiseCli.MANIFEST_DIR, jobId));
            Files.deleteIfExists(Path.of("stepwise-reports", "wordcount-" + jobId + ".md"));
            deleteIfEmpty(Path.of(StepwiseCli.MANIFEST_DIR));
            deleteIfEmpty(Path.of("stepwise-reports"));
        }
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
                Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
        }
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        if (Files.exists(p)) {
            try (var all = Files.walk(p)) {
                for (Path q : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        }
    }

    private static void deleteIfEmpty(Path dir) throws java.io.IOException {
        if (Files.isDirectory(dir)) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isEmpty()) {
                    Files.delete(dir);
                }
            }
        }
    }

    private Cli.Result run(String... args) {
        return new Cli(url).run(args);
    }

    @Test
    @Timeout(600) // hang guard only: a few seconds
    void submitThenAWorkerRunTheJobInAPostgresDatabase() throws Exception {
        Path text = dir.resolve("input.txt");
        Files.writeString(text, "The cat and the hat.\n");
        String input = "{\"file\": \"" + text.toString().replace("\\", "\\\\") + "\"}";
        Cli.Result submitted = run("submit", "wordcount", "--input", input);
        assertEquals(0, submitted.code(), submitted::toString);
        jobId = submitted.out().get(0).strip();

        Cli.Result worker = run("worker", "--exit-when-idle", "--poll", "50");
        assertEquals(0, worker.code(), worker::toString);
        assertTrue(String.join("\n", worker.err()).contains("127.0.0.1:5432/test"), worker::toString);

        Cli.Result status = run("status", jobId);
        assertEquals(0, status.code(), status::toString);
        assertTrue(status.stdout().contains("completed"), status::toString);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/test?user=postgres");
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT status FROM \"" + schema + "\".jobs WHERE id = '" + jobId + "'")) {
            assertTrue(rs.next(), "the job is in the schema named by the URL");
            assertEquals("completed", rs.getString(1));
        }
    }

    @Test
    @Timeout(600) // hang guard only: a few seconds
    void aStepsArtifactIsFoundByTheNextInvocationInTheWorkingDirectoryOrTheArtifactsFolder() throws Exception {
        Path text = dir.resolve("input.txt");
        Files.writeString(text, "The cat and the hat.\n");
        String input = "{\"file\": \"" + text.toString().replace("\\", "\\\\") + "\"}";
        Cli.Result ran = run("run", "wordcount", "--input", input);
        assertEquals(0, ran.code(), ran::toString);
        jobId = ran.out().get(0).strip();
        byte[] report = Files.readAllBytes(Path.of(StepwiseCli.REPORT_DIR, "wordcount-" + jobId + ".md"));

        // A new invocation, as from another shell in the same folder: the default root is ./stepwise-artifacts.
        Cli.Result fetched = run("artifact", jobId, "report");
        assertEquals(0, fetched.code(), fetched::toString);
        assertArrayEquals(report, fetched.stdoutBytes(), "the report kept as an artifact, byte for byte");
        try (var files = Files.walk(Path.of(StepwiseCli.PG_ARTIFACT_DIR))) {
            assertTrue(files.anyMatch(Files::isRegularFile), "the artifact is under ./" + StepwiseCli.PG_ARTIFACT_DIR);
        }

        // --artifacts DIR: both invocations must name it; one that does not looks in the default and misses it.
        Path shared = dir.resolve("shared-artifacts");
        Cli.Result other = run("--artifacts", shared.toString(), "run", "wordcount", "--input", input);
        assertEquals(0, other.code(), other::toString);
        String otherJob = other.out().get(0).strip();
        Path out = dir.resolve("copy.md");
        Cli.Result copied = run("--artifacts", shared.toString(), "artifact", otherJob, "report", "--out", out.toString());
        assertEquals(0, copied.code(), copied::toString);
        assertArrayEquals(Files.readAllBytes(Path.of(StepwiseCli.REPORT_DIR, "wordcount-" + otherJob + ".md")), Files.readAllBytes(out));
        Cli.Result elsewhere = run("artifact", otherJob, "report");
        assertEquals(StepwiseCli.EXIT_FAILED, elsewhere.code(), elsewhere::toString);
        assertTrue(elsewhere.err().get(0).startsWith("error:"), elsewhere::toString);
        deleteTree(Path.of(StepwiseCli.MANIFEST_DIR, otherJob));
        Files.deleteIfExists(Path.of(StepwiseCli.REPORT_DIR, "wordcount-" + otherJob + ".md"));

        Cli.Result twice = run("--artifacts", shared.toString(), "--artifacts", shared.toString(), "list");
        assertEquals(StepwiseCli.EXIT_USAGE, twice.code(), twice::toString);
        assertEquals(java.util.List.of("error: --artifacts given twice"), twice.err());
    }
}
