package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.core.FileArtifactStore;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code artifact JOB STEP} and {@code artifacts gc} on a real SQLite file in a temporary folder.
 * A host engine on the same file runs a job whose step puts two artifacts in the default root,
 * {@code <db file>-artifacts/}, the one the CLI reads.
 */
class ArtifactCliTest {
    private static final byte[] AUDIO = "RIFF....WAVE not really".getBytes(StandardCharsets.UTF_8);
    private static final byte[] SCRIPT = "INTRO\nhello there\n".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;
    Path db;
    Cli cli;
    FileArtifactStore root;
    String jobId;
    ArtifactRef audio;
    ArtifactRef script;

    @BeforeEach
    void runAJobThatPutsTwoArtifacts() {
        db = dir.resolve("jobs.db");
        cli = new Cli(db);
        root = FileArtifactStore.at(dir.resolve("jobs.db-artifacts"));
        try (SqliteJobStore store = SqliteJobStore.builder(db).build();
             JobEngine engine = JobEngine.builder(store)
                     .step("speak", ctx -> {
                         ObjectNode out = JsonNodeFactory.instance.objectNode();
                         out.set("audio", ctx.artifacts().put(AUDIO, "audio/wav").toJson());
                         out.putObject("text").set("script", ctx.artifacts().put(SCRIPT, "text/plain").toJson());
                         return out;
                     })
                     .step("note", ctx -> JsonNodeFactory.instance.objectNode().put("ok", true))
                     .recipe(Recipe.builder("narration").step("speak", "speak").step("note", "note").build())
                     .build()) {
            Job job = engine.run(engine.createJob("narration", JsonNodeFactory.instance.objectNode()).id());
            assertEquals(JobStatus.COMPLETED, job.status(), String.valueOf(job.lastError()));
            jobId = job.id();
        }
        List<ArtifactRef> refs = ArtifactRef.findIn(stepOutput());
        audio = refs.get(0);
        script = refs.get(1);
    }

    private JsonNode stepOutput() {
        try (SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            return store.findSteps(jobId).get(0).outputRefs();
        }
    }

    @Test
    void copiesAStepsArtifactToAFileOrAsRawBytesToStdout() throws IOException {
        Path out = dir.resolve("out/voice.wav");
        Cli.Result toFile = cli.run("artifact", jobId, "speak", "--out", out.toString());
        assertEquals(0, toFile.code(), toFile.toString());
        assertArrayEquals(AUDIO, Files.readAllBytes(out));
        assertEquals(List.of("wrote " + audio.id() + " (audio/wav, " + AUDIO.length + " bytes) to " + out), toFile.out());
        assertFalse(Files.exists(dir.resolve("out/voice.wav.part")), "no temporary file is left");

        Cli.Result raw = cli.run("artifact", jobId, "speak", "--index", "1");
        assertEquals(0, raw.code(), raw.toString());
        assertArrayEquals(SCRIPT, raw.stdoutBytes(), "the second artifact of the output, byte for byte");
        assertEquals(List.of(), raw.err());
    }

    @Test
    void anUnknownJobStepOrIndexExits2() {
        Cli.Result job = cli.run("artifact", "01NOSUCHJOB0000000000000000", "speak");
        assertEquals(2, job.code(), job.toString());
        assertTrue(job.err().get(0).startsWith("error: "), job.toString());

        Cli.Result step = cli.run("artifact", jobId, "mix");
        assertEquals(2, step.code(), step.toString());
        assertEquals(List.of("error: job " + jobId + " has no step 'mix'; its steps: speak, note"), step.err());

        Cli.Result none = cli.run("artifact", jobId, "note");
        assertEquals(2, none.code(), none.toString());
        assertEquals(List.of("error: step 'note' of job " + jobId + " (success) has no artifacts in its output"), none.err());

        Cli.Result index = cli.run("artifact", jobId, "speak", "--index", "2");
        assertEquals(2, index.code(), index.toString());
        assertTrue(index.err().get(0).endsWith("has 2 artifact(s); --index must be below 2"), index.toString());

        Cli.Result badIndex = cli.run("artifact", jobId, "speak", "--index", "-1");
        assertEquals(2, badIndex.code(), badIndex.toString());
        Cli.Result misplaced = cli.run("list", "--out", "x");
        assertEquals(List.of("error: --out is only for 'artifact'"), misplaced.err());
        Cli.Result missingArg = cli.run("artifact", jobId);
        assertEquals(List.of("error: missing argument; usage: stepwise [--db PATH] artifact JOB STEP [--out FILE] [--index N]"),
                missingArg.err());
    }

    @Test
    void aCorruptArtifactExits1AndCopiesNothing() throws IOException {
        Files.write(root.pathOf(audio), "RIFF....WAVE tampered".getBytes(StandardCharsets.UTF_8));
        Path out = dir.resolve("voice.wav");

        Cli.Result toFile = cli.run("artifact", jobId, "speak", "--out", out.toString());
        assertEquals(1, toFile.code(), toFile.toString());
        assertTrue(toFile.err().get(0).startsWith("error: step 'speak' of job " + jobId + ": artifact " + audio.id()), toFile.toString());
        assertTrue(toFile.err().get(0).contains("is corrupt"), toFile.toString());
        assertFalse(Files.exists(out), "nothing at --out");
        assertFalse(Files.exists(dir.resolve("voice.wav.part")), "no temporary file is left");

        Cli.Result raw = cli.run("artifact", jobId, "speak");
        assertEquals(1, raw.code(), raw.toString());
        assertEquals(0, raw.stdoutBytes().length, "no bytes of a corrupt artifact reach stdout");
        assertTrue(raw.err().get(0).contains("is corrupt"), raw.toString());
    }

    @Test
    void aMissingArtifactExits1() throws IOException {
        Files.delete(root.pathOf(script));
        Cli.Result raw = cli.run("artifact", jobId, "speak", "--index", "1");
        assertEquals(1, raw.code(), raw.toString());
        assertTrue(raw.err().get(0).startsWith("error: step 'speak' of job " + jobId + ": artifact " + script.id()
                + " (text/plain, " + SCRIPT.length + " bytes) is not in "), raw.toString());
        assertTrue(raw.err().get(0).endsWith("; a new job with the same input produces it again"), raw.toString());
    }

    @Test
    void gcDeletesOnlyUnreferencedArtifactsAndTemporaryFilesPastTheGracePeriod() throws IOException {
        Instant twoDaysAgo = Instant.now().minus(Duration.ofDays(2));
        byte[] orphanBytes = "put by a step whose result was never recorded".getBytes(StandardCharsets.UTF_8);
        ArtifactRef orphan = root.put(orphanBytes, "text/plain");
        ArtifactRef fresh = root.put("put a moment ago".getBytes(StandardCharsets.UTF_8), "text/plain");
        Path part = Files.writeString(root.root().resolve("tmp/abandoned.part"), "half");
        for (Path p : List.of(root.pathOf(orphan), root.pathOf(audio), root.pathOf(script), part)) {
            Files.setLastModifiedTime(p, FileTime.from(twoDaysAgo));
        }

        Cli.Result gc = cli.run("artifacts", "gc");
        assertEquals(0, gc.code(), gc.toString());
        assertEquals(List.of("deleted 1 artifacts (" + orphanBytes.length + " bytes) and 1 temporary files"), gc.out());
        assertFalse(Files.exists(root.pathOf(orphan)));
        assertFalse(Files.exists(part));
        assertTrue(root.isIntact(audio) && root.isIntact(script), "artifacts a step refers to are kept, however old");
        assertTrue(root.isIntact(fresh), "an unreferenced artifact within the default 24 h is kept");

        Cli.Result none = cli.run("artifacts", "gc", "--older-than", "1h");
        assertEquals(List.of("deleted 0 artifacts (0 bytes) and 0 temporary files"), none.out(), none.toString());
        assertTrue(root.isIntact(fresh));

        Files.setLastModifiedTime(root.pathOf(fresh), FileTime.from(Instant.now().minus(Duration.ofHours(2))));
        Cli.Result shorter = cli.run("artifacts", "gc", "--older-than", "1h");
        assertEquals(List.of("deleted 1 artifacts (16 bytes) and 0 temporary files"), shorter.out(), shorter.toString());
        assertFalse(Files.exists(root.pathOf(fresh)));
    }

    @Test
    void gcRefusesABadDurationAndAMissingDatabase() {
        Cli.Result bad = cli.run("artifacts", "gc", "--older-than", "+1d");
        assertEquals(2, bad.code(), bad.toString());
        assertEquals(List.of("error: --older-than must be a duration like 30s, 5m, 2h, 1d or 500ms; was '+1d'"), bad.err());

        Cli.Result sub = cli.run("artifacts", "list");
        assertEquals(2, sub.code(), sub.toString());
        assertEquals(List.of("error: unknown subcommand 'artifacts list'; usage: stepwise [--db PATH] artifacts gc"
                + " [--older-than DURATION]"), sub.err());

        Cli.Result noDb = new Cli(dir.resolve("other.db")).run("artifacts", "gc");
        assertEquals(2, noDb.code(), noDb.toString());
        assertTrue(noDb.err().get(0).startsWith("error: no database at "), noDb.toString());
    }
}
