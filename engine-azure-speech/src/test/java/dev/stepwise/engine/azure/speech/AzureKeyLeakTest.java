package dev.stepwise.engine.azure.speech;

import static dev.stepwise.engine.azure.speech.SpeechFixture.KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Attempt;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.core.contract.StubServer.Answer;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.contract.LeakScan;
import dev.stepwise.engine.core.contract.StubServer;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The subscription key, set only through a secret reference, appears nowhere after runs that succeed,
 * fail permanently and are retried, with a server that echoes the key in its error bodies: not in the
 * SQLite file or its WAL, the artifacts, the manifests, the logs (job log and slf4j output) or any error.
 */
class AzureKeyLeakTest {
    private static final String PATH = "/cognitiveservices/v1";
    @TempDir
    Path dir;

    @Test
    void theKeyAppearsNowhereEvenWhenTheServerEchoesIt() throws Exception {
        Path manifests = dir.resolve("manifests");
        List<String> texts = new ArrayList<>();
        byte[] logs;
        try (LeakScan.CapturedErr err = new LeakScan.CapturedErr();
                StubServer stub = StubServer.start(PATH);
                SqliteJobStore store = SqliteJobStore.builder(dir.resolve("jobs.db")).build()) {
            byte[] echo = ("Access denied for key " + StubServer.ECHO_KEY).getBytes(StandardCharsets.UTF_8);
            stub.answer(
                    Answer.bytes(200, "audio/x-wav", SpeechFixture.wav(2400)),
                    Answer.bytes(429, "text/plain", echo).withHeader("Retry-After", "0"),
                    Answer.bytes(200, "audio/x-wav", SpeechFixture.wav(4800)),
                    Answer.bytes(503, "text/plain", echo),
                    Answer.bytes(503, "text/plain", echo),
                    Answer.bytes(401, "application/json", ("{\"error\": {\"message\": \"bad key " + StubServer.ECHO_KEY + "\"}}")
                            .getBytes(StandardCharsets.UTF_8)),
                    Answer.bytes(200, "text/" + StubServer.ECHO_KEY, echo),
                    Answer.bytes(200, "text/" + StubServer.ECHO_KEY, echo),
                    Answer.bytes(403, "text/plain", echo));
            try (JobEngine engine = SpeechFixture.engine(store, manifests, SpeechFixture.provider(stub.baseUrl() + PATH, 10_000, 3000),
                    SpeechFixture.recipe(2)).build()) {
                List<Job> jobs = new ArrayList<>();
                for (String text : List.of("Tides.", "Reefs.", "Storms.", "Kelp.", "Gulls.", "Foam.")) {
                    jobs.add(engine.run(engine.createJob("speak", SpeechFixture.json("{\"text\": \"" + text + "\"}")).id()));
                }
                assertEquals(List.of(JobStatus.COMPLETED, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.FAILED, JobStatus.FAILED,
                        JobStatus.FAILED), jobs.stream().map(Job::status).toList());
                assertEquals(9, stub.requests().size());
                assertTrue(stub.requests().stream().allMatch(r -> KEY.equals(r.header("Ocp-Apim-Subscription-Key"))), "the key was sent");
                assertTrue(jobs.get(3).lastError().contains("bad key ***"), "the echoed key was redacted: " + jobs.get(3).lastError());
                assertTrue(jobs.get(5).lastError().contains("Access denied for key ***"), jobs.get(5).lastError());

                for (Job j : engine.jobs(JobQuery.all())) {
                    texts.add(j.toString());
                    texts.add(engine.manifest(j.id()).toString());
                    for (JobStep s : engine.steps(j.id())) {
                        texts.add(s.toString());
                        for (Attempt a : s.attemptLog()) {
                            texts.add(a.toString());
                        }
                    }
                    for (LogEntry l : engine.logs(j.id(), 0, 10_000)) {
                        texts.add(l.message());
                    }
                }
                LeakScan.assertNotInFiles(KEY, dir); // while open: the WAL holds the recent pages
                assertTrue(Files.exists(dir.resolve("jobs.db-wal")), "the WAL was scanned too");
                assertTrue(Files.isDirectory(dir.resolve("jobs.db-artifacts")), "the artifacts were scanned too");
            }
            logs = err.bytes();
        }
        int scanned = LeakScan.assertNotInFiles(KEY, dir);
        assertTrue(scanned >= 9, "the database, two WAV artifacts and six manifests, scanned: " + scanned);
        assertTrue(new String(logs, StandardCharsets.UTF_8).contains("failed"), "the logs were captured");
        LeakScan.assertNotIn(KEY, "the captured logs", logs);
        for (String t : texts) {
            LeakScan.assertNotIn(KEY, "an error, a log line, a row or a manifest: " + t, t);
        }
    }
}
