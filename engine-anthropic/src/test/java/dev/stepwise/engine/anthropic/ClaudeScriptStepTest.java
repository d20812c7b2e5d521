package dev.stepwise.engine.anthropic;

import static dev.stepwise.engine.anthropic.ClaudeFixture.KEY;
import static dev.stepwise.engine.anthropic.ClaudeFixture.error;
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
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.ManifestSchema;
import dev.stepwise.engine.core.contract.StubServer;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** {@link ClaudeScriptStep} in a real engine on SQLite, against a local stub of the Messages API. */
class ClaudeScriptStepTest {
    @TempDir
    Path dir;
    private SqliteJobStore store;
    private StubServer stub;
    private JobEngine engine;

    @BeforeEach
    void open() throws Exception {
        store = SqliteJobStore.builder(dir.resolve("jobs.db")).build();
        stub = StubServer.start("/v1/messages");
    }

    @AfterEach
    void close() {
        if (engine != null) {
            engine.close();
        }
        stub.close();
        store.close();
    }

    private Job run(long timeoutMs, Recipe recipe) {
        engine = ClaudeFixture.engine(store, dir.resolve("manifests"), ClaudeFixture.provider(stub.baseUrl(), timeoutMs), recipe)
                .build();
        Job job = engine.createJob("script", json("{\"topic\": \"tides\"}"));
        return engine.run(job.id());
    }

    private Job run(int maxAttempts) {
        return run(10_000, ClaudeFixture.recipe(maxAttempts, "[]"));
    }

    private JobStep script(Job job) {
        return engine.steps(job.id()).get(0);
    }

    @Test
    void aSuccessfulCallReturnsTheTextModelStopReasonAndUsage() {
        stub.answer(Answer.json(200, message("The tide rises twice a day.\nIt falls as the moon moves on.", "end_turn", 31, 14)));

        Job job = run(3);

        assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
        JsonNode out = script(job).outputRefs();
        assertEquals("The tide rises twice a day.\nIt falls as the moon moves on.", out.get("text").asString());
        assertEquals("claude-test-1", out.get("model").asString());
        assertEquals("end_turn", out.get("stop_reason").asString());
        assertEquals(31, out.get("usage").get("input_tokens").asInt());
        assertEquals(14, out.get("usage").get("output_tokens").asInt());
        assertEquals(13, out.get("words").asInt());
        assertEquals(List.of(), ManifestSchema.validate(engine.manifest(job.id())));

        List<StubServer.Request> seen = stub.requests();
        assertEquals(1, seen.size());
        StubServer.Request req = seen.get(0);
        assertEquals("POST", req.method());
        // The SDK (3.14) sends the key as a bearer token unless an x-api-key header is set.
        String sent = req.header("x-api-key") != null ? req.header("x-api-key") : req.header("Authorization");
        assertTrue(sent != null && sent.endsWith(KEY), "the key resolved from the secret reference is sent");
        assertEquals(job.id() + ":script:" + script(job).inputHash(), req.header(ClaudeScriptStep.IDEMPOTENCY_HEADER));
        assertEquals("0", req.header("x-stainless-retry-count"), "the SDK's own retries are off");
        JsonNode body = json(req.bodyText());
        assertEquals("claude-test-1", body.get("model").asString());
        assertEquals(400, body.get("max_tokens").asInt());
        assertEquals(0.5, body.get("temperature").asDouble());
        assertEquals("You write short narration scripts.", body.get("system").asString());
        assertEquals("Write a narration about tides in about 120 words.",
                body.get("messages").get(0).get("content").asString(), "the prompt, rendered with the input and defaults");
    }

    @Test
    void aRateLimitWithRetryAfterIsRetriedAfterTheWaitItAskedFor() {
        stub.answer(Answer.json(429, error("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"))
                        .withHeader("retry-after", "1"),
                Answer.json(200, message("Waves.", "end_turn", 5, 2)));

        Job job = run(3);

        assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
        assertEquals(2, stub.requests().size());
        JobStep step = script(job);
        assertEquals(2, step.attempts());
        var first = step.attemptLog().get(0);
        assertEquals(AttemptOutcome.FAILED, first.outcome());
        assertTrue(first.error().orElseThrow().contains("429 rate_limit_error: Number of request tokens"), first.error().orElseThrow());
        assertEquals(1000, first.retryDelay().orElseThrow().toMillis(), "the wait is the longer of the policy's 20 ms and retry-after 1 s");
    }

    @Test
    void anOverloadedAnswer529IsRetried() {
        stub.answer(Answer.json(529, error("overloaded_error", "Overloaded")), Answer.json(200, message("Calm sea.", "end_turn", 5, 3)));

        Job job = run(3);

        assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
        assertEquals(2, stub.requests().size());
        assertTrue(script(job).attemptLog().get(0).error().orElseThrow().contains("529 overloaded_error: Overloaded"));
    }

    @Test
    void unauthorizedFailsAtOnceWithTheApiMessageAndNoRetry() {
        stub.answer(Answer.json(401, error("authentication_error", "invalid x-api-key")));

        Job job = run(3);

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(1, stub.requests().size(), "a permanent failure is not retried");
        assertTrue(job.lastError().contains("Claude API answered 401 authentication_error: invalid x-api-key"), job.lastError());
        assertEquals(1, script(job).attempts());
    }

    @Test
    void aBadRequestAndANotFoundAreAlsoPermanent() {
        stub.answer(Answer.json(404, error("not_found_error", "model: claude-test-1")));

        Job job = run(3);

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(1, stub.requests().size());
        assertTrue(job.lastError().contains("404 not_found_error: model: claude-test-1"), job.lastError());
    }

    @Test
    void aServerErrorIsRetriedUntilTheAttemptsRunOut() {
        stub.answer(Answer.json(500, error("api_error", "Internal server error")));

        Job job = run(3);

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(3, stub.requests().size(), "one request per attempt of the policy, none by the SDK");
        assertEquals(3, script(job).attempts());
        assertTrue(job.lastError().contains("500 api_error: Internal server error"), job.lastError());
    }

    @Test
    void aReadTimeoutIsRetryableAndSaysSo() {
        stub.answer(Answer.never());

        Job job = run(300, ClaudeFixture.recipe(2, "[]"));

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(2, stub.requests().size(), "a timeout is retried by the policy");
        assertTrue(job.lastError().contains("Claude request timed out after 300 ms"), job.lastError());
    }

    @Test
    void aMalformedSuccessBodyIsAClearFailure() {
        stub.answer(Answer.json(200, "{\"id\": \"msg_01\", \"type\": \"message\", \"content\": \"not a list\"}"));

        Job job = run(1);

        assertEquals(JobStatus.FAILED, job.status());
        assertTrue(job.lastError().contains("Claude's answer could not be read (malformed response body)"), job.lastError());
        assertNull(script(job).outputRefs());
    }

    @Test
    void aBodyThatIsNotJsonIsAClearFailure() {
        stub.answer(Answer.bytes(200, "text/html", "<html>proxy login</html>".getBytes(java.nio.charset.StandardCharsets.UTF_8)));

        Job job = run(1);

        assertEquals(JobStatus.FAILED, job.status());
        assertTrue(job.lastError().contains("Claude's answer could not be read"), job.lastError());
    }

    @Test
    void aMaxTokensStopIsReturnedAndAValidatorOfTheRecipeRejectsIt() {
        stub.answer(Answer.json(200, message("The tide rises and", "max_tokens", 31, 400)));
        String validators = "[{\"type\": \"json_schema\", \"path\": \"/stop_reason\", \"schema\": {\"const\": \"end_turn\"}}]";

        Job job = run(10_000, ClaudeFixture.recipe(1, validators));

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(StepStatus.FAILED, script(job).status());
        assertTrue(job.lastError().contains("failed validation"), job.lastError());
        assertTrue(job.lastError().contains("json_schema"), job.lastError());
        assertTrue(engine.logs(job.id(), 0, 100).stream().anyMatch(l -> l.message().contains("cut off at max_tokens")));

        stub.answer(Answer.json(200, message("The tide rises and", "max_tokens", 31, 400)));
        Job unvalidated = engine.run(engine.createJob("script", json("{\"topic\": \"reefs\"}")).id());
        assertEquals(JobStatus.FAILED, unvalidated.status(), "same recipe: the validator applies to every job");
    }

    @Test
    void aMaxTokensStopWithoutAValidatorIsAnOrdinaryResult() {
        stub.answer(Answer.json(200, message("The tide rises and", "max_tokens", 31, 400)));

        Job job = run(1);

        assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
        assertEquals("max_tokens", script(job).outputRefs().get("stop_reason").asString());
    }

    @Test
    void aPlaceholderTheInputLacksFailsAtOnceNamingItAndCallsNothing() {
        engine = ClaudeFixture.engine(store, dir.resolve("manifests"), ClaudeFixture.provider(stub.baseUrl(), 10_000),
                ClaudeFixture.recipe(3, "[]"))
                .config(dev.stepwise.engine.api.DocumentKind.PROMPT, "narration-script",
                        json("{\"template\": \"About {{topic}} for {{audience}}.\"}"))
                .build();
        Job job = engine.run(engine.createJob("script", json("{\"topic\": \"tides\"}")).id());

        assertEquals(JobStatus.FAILED, job.status());
        assertEquals(1, script(job).attempts(), "permanent: not retried");
        assertTrue(job.lastError().contains("placeholder {{audience}}"), job.lastError());
        assertTrue(job.lastError().contains("fields: topic"), job.lastError());
        assertEquals(0, stub.requests().size());
    }
}
