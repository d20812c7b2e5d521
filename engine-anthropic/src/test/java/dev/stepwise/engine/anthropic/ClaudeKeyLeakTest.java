package dev.stepwise.engine.anthropic;

import static dev.stepwise.engine.anthropic.ClaudeFixture.KEY;
import static dev.stepwise.engine.anthropic.ClaudeFixture.json;
import static dev.stepwise.engine.anthropic.ClaudeFixture.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.core.contract.StubServer.Answer;
import dev.stepwise.engine.api.Attempt;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.contract.LeakScan;
import dev.stepwise.engine.core.contract.StubServer;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API key, set only through a secret reference, appears nowhere after runs that succeed, fail
 * permanently, are retried and time out, with a server that echoes the key in every error body: not
 * in the SQLite file or its WAL, the manifests, the logs (job log and slf4j output) or any error text.
 */
class ClaudeKeyLeakTest {
    @TempDir
    Path dir;

    @Test
    void theKeyAppearsNowhereEvenWhenTheServerEchoesIt() throws Exception {
        Path db = dir.resolve("jobs.db");
        Path manifests = dir.resolve("manifests");
        List<String> texts = new ArrayList<>();
        byte[] logs;
        try (LeakScan.CapturedErr err = new LeakScan.CapturedErr();
                StubServer stub = StubServer.start("/v1/messages");
                SqliteJobStore store = SqliteJobStore.builder(db).build()) {
            String echoed = "{\"type\": \"error\", \"error\": {\"type\": \"%s\", \"message\": \"%s: " + StubServer.ECHO_KEY + "\"}}";
            stub.answer(
                    Answer.json(200, message("A script about tides.", "end_turn", 10, 5)),
                    Answer.json(429, String.format(echoed, "rate_limit_error", "slow down, key")).withHeader("retry-after", "0"),
                    Answer.json(200, message("A script about reefs.", "end_turn", 10, 5)),
                    Answer.json(500, String.format(echoed, "api_error", "internal error for key")),
                    Answer.json(500, String.format(echoed, "api_error", "internal error for key")),
                    Answer.json(401, String.format(echoed, "authentication_error", "invalid x-api-key")),
                    Answer.json(200, "{\"id\": \"msg\", \"content\": \"" + StubServer.ECHO_KEY + "\"}"),
                    Answer.json(200, "{\"id\": \"msg\", \"content\": \"" + StubServer.ECHO_KEY + "\"}"),
                    Answer.json(403, String.format(echoed, "permission_error", "key not allowed")));
            try (JobEngine engine = ClaudeFixture.engine(store, manifests, ClaudeFixture.provider(stub.baseUrl(), 10_000),
                    ClaudeFixture.recipe(2, "[]")).build()) {
                List<Job> jobs = new ArrayList<>();
                for (String topic : List.of("tides", "reefs", "storms", "kelp", "gulls", "foam")) {
                    jobs.add(engine.run(engine.createJob("script", json("{\"topic\": \"" + topic + "\"}")).id()));
                }
                assertEquals(List.of(JobStatus.COMPLETED, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.FAILED, JobStatus.FAILED,
                        JobStatus.FAILED), jobs.stream().map(Job::status).toList());
                assertEquals(9, stub.requests().size(), "1 + (429, 200) + (500, 500) + 401 + (malformed, malformed) + 403");
                assertTrue(stub.requests().stream().allMatch(r -> r.header("Authorization").endsWith(KEY)), "the key was sent");
                assertTrue(jobs.get(3).lastError().contains("invalid x-api-key: ***"), "the echoed key was redacted: " + jobs.get(3).lastError());
                assertTrue(jobs.get(5).lastError().contains("key not allowed: ***"), jobs.get(5).lastError());

                for (Job j : engine.jobs(JobQuery.all())) {
                    texts.add(j.toString());
                    texts.add(String.valueOf(j.lastError()));
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
            }
            logs = err.bytes();
        }
        int scanned = LeakScan.assertNotInFiles(KEY, dir);
        assertTrue(scanned >= 7, "the database and the six manifests, scanned: " + scanned);
        assertTrue(new String(logs, java.nio.charset.StandardCharsets.UTF_8).contains("failed"), "the logs were captured");
        LeakScan.assertNotIn(KEY, "the captured logs", logs);
        for (String t : texts) {
            LeakScan.assertNotIn(KEY, "an error, a log line, a row or a manifest: " + t, t);
        }
    }
}
