package dev.stepwise.engine.anthropic;

import static dev.stepwise.engine.anthropic.ClaudeFixture.json;
import static dev.stepwise.engine.anthropic.ClaudeFixture.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.core.contract.StubServer.Answer;
import dev.stepwise.engine.api.AttemptOutcome;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.contract.StubServer;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash between the paid call and its checkpoint: the child JVM's Claude step got its answer, then
 * the child is killed before the result commits. Resuming the job calls Claude again (execution is at
 * least once), with the same idempotency key, and the job completes. This is the behaviour
 * {@code docs/guarantees.md} states under "Paid calls".
 */
class PaidCallCrashTest {
    /** A hang guard only: the child starts a JVM, SQLite and the SDK in seconds on an idle machine. */
    private static final Duration HANG_GUARD = Duration.ofMinutes(5);

    @TempDir
    Path dir;

    @Test
    void aKillAfterTheAnswerBeforeTheCheckpointMakesASecondCallWithTheSameIdempotencyKey() throws Exception {
        Path db = dir.resolve("jobs.db");
        Path marker = dir.resolve("answered-not-committed");
        Path log = dir.resolve("child.log");
        try (StubServer stub = StubServer.start("/v1/messages")) {
            stub.answer(Answer.json(200, message("Tides rise twice a day.", "end_turn", 12, 6)));
            String jobId;
            try (SqliteJobStore store = SqliteJobStore.builder(db).build();
                    JobEngine engine = ClaudeFixture.engine(store, dir.resolve("manifests"),
                            ClaudeFixture.provider(stub.baseUrl(), 60_000), ClaudeFixture.recipe(1, "[]")).build()) {
                jobId = engine.createJob("script", json("{\"topic\": \"tides\"}")).id();
            }

            Process child = startChild(log, db.toString(), stub.baseUrl(), marker.toString(), jobId);
            try {
                long guard = System.nanoTime() + HANG_GUARD.toNanos();
                while (!Files.exists(marker) && child.isAlive()) {
                    assertTrue(System.nanoTime() - guard < 0, "the child made no progress within " + HANG_GUARD + "; " + Files.readString(log));
                    Thread.sleep(10);
                }
                assertTrue(child.isAlive(), "the child ended before its step answered: " + Files.readString(log));
                assertEquals(1, stub.requests().size(), "the paid call was made and answered");
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS), "the killed child did not end");
            }

            // Another process resumes it; its clock is past the dead child's lease, so it takes the job over at once.
            Clock later = Clock.offset(Clock.systemUTC(), Duration.ofMinutes(10));
            try (SqliteJobStore store = SqliteJobStore.builder(db).build();
                    JobEngine engine = ClaudeFixture.engine(store, dir.resolve("manifests"),
                            ClaudeFixture.provider(stub.baseUrl(), 60_000), ClaudeFixture.recipe(1, "[]")).clock(later).build()) {
                JobStep before = engine.steps(jobId).get(0);
                assertEquals(StepStatus.RUNNING, before.status(), "the answer never reached the checkpoint");
                assertNull(before.outputRefs());

                Job job = engine.run(jobId);

                assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
                JobStep step = engine.steps(jobId).get(0);
                assertEquals("Tides rise twice a day.", step.outputRefs().get("text").asString());
                assertEquals(2, step.attempts());
                assertEquals(AttemptOutcome.INTERRUPTED, step.attemptLog().get(0).outcome());
                assertEquals(AttemptOutcome.SUCCEEDED, step.attemptLog().get(1).outcome());

                List<StubServer.Request> calls = stub.requests();
                assertEquals(2, calls.size(), "at least once: the paid call was made again");
                String key = calls.get(0).header(ClaudeScriptStep.IDEMPOTENCY_HEADER);
                assertEquals(jobId + ":script:" + step.inputHash(), key);
                assertEquals(key, calls.get(1).header(ClaudeScriptStep.IDEMPOTENCY_HEADER), "the same key on both calls");
                assertEquals(calls.get(0).bodyText(), calls.get(1).bodyText(), "the same request");
            }
        }
    }

    private static Process startChild(Path log, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx256m");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(PaidCallChild.class.getName());
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }
}
