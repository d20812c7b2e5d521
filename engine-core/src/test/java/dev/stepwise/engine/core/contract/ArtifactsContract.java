package dev.stepwise.engine.core.contract;

import static dev.stepwise.engine.core.contract.Fakes.assertValidManifest;
import static dev.stepwise.engine.core.contract.Fakes.json;
import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.ArtifactRef;
import dev.stepwise.engine.api.ArtifactStore;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.JobStep;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.RetryPolicy;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.api.ValidatorSpec;
import dev.stepwise.engine.core.FileArtifactStore;
import dev.stepwise.engine.core.JobEngine;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Artifacts, validators and the cross-job step cache, end to end through the engine. Every store
 * runs it; artifacts live in a {@link FileArtifactStore} in the test's temporary directory.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES) // hang guard only
public abstract class ArtifactsContract extends StoreContractBase {
    private final AtomicInteger speaks = new AtomicInteger();
    private final AtomicInteger reports = new AtomicInteger();
    private final AtomicInteger failReportTimes = new AtomicInteger();
    private final AtomicInteger failSpeakTimes = new AtomicInteger();

    private FileArtifactStore artifacts() {
        return FileArtifactStore.at(dir.resolve("artifacts"));
    }

    /** "speak" puts the text of its input as an artifact; "report" counts and echoes. */
    private JobEngine engine(Recipe... recipes) {
        var b = JobEngine.builder(store).artifacts(artifacts())
                .step("speak", ctx -> {
                    speaks.incrementAndGet();
                    if (failSpeakTimes.getAndDecrement() > 0) {
                        throw new IllegalStateException("speech service down");
                    }
                    ArtifactRef ref = ctx.artifacts().put(("voice of " + ctx.input().path("text").asString())
                            .getBytes(StandardCharsets.UTF_8), "audio/wav");
                    ObjectNode out = obj();
                    out.set("audio", ref.toJson());
                    return out;
                })
                .step("report", ctx -> {
                    reports.incrementAndGet();
                    if (failReportTimes.getAndDecrement() > 0) {
                        throw new IllegalStateException("report service down");
                    }
                    return Map.of("ok", true);
                });
        for (Recipe r : recipes) {
            b.recipe(r);
        }
        return track(b.build());
    }

    private static Recipe narration(boolean cache) {
        return Recipe.builder("narration").step(StepDefinition.builder("speak", "speak").cache(cache).build())
                .step("report", "report").build();
    }

    private static JsonNode input(String text) {
        return obj().put("text", text);
    }

    private static ArtifactRef audioOf(JobStep step) {
        return ArtifactRef.fromJson(step.outputRefs().get("audio")).orElseThrow();
    }

    // ------------------------------------------------------------------ artifacts

    @Test
    void aStepPutsAnArtifactAndItsOutputAndManifestReferToIt() {
        JobEngine engine = engine(narration(false));
        Job end = engine.run(engine.createJob("narration", input("hello")).id());

        assertEquals(JobStatus.COMPLETED, end.status());
        ArtifactRef ref = audioOf(store.findSteps(end.id()).get(0));
        assertEquals("audio/wav", ref.mediaType());
        assertArrayEquals("voice of hello".getBytes(StandardCharsets.UTF_8), engine.artifacts().read(ref));
        JsonNode manifest = engine.manifest(end.id());
        assertValidManifest(manifest);
        assertEquals(ref.toJson(), manifest.at("/steps/0/artifacts/0"));
        assertTrue(manifest.at("/steps/1/artifacts").isMissingNode(), "a step without artifacts lists none");
    }

    @Test
    void aCorruptOrMissingArtifactMakesItsCheckpointRunAgain() {
        JobEngine engine = engine(narration(false));
        failReportTimes.set(1);
        Job failed = engine.run(engine.createJob("narration", input("hello")).id());
        assertEquals(JobStatus.FAILED, failed.status());
        ArtifactRef ref = audioOf(store.findSteps(failed.id()).get(0));

        // untouched artifact: the checkpoint is reused
        failReportTimes.set(1);
        engine.retry(failed.id());
        engine.run(failed.id());
        assertEquals(1, speaks.get());

        // corrupt artifact: speak runs again, with the reason in the log
        failReportTimes.set(1);
        writeOver(ref, "voice of HELLO");
        engine.retry(failed.id());
        engine.run(failed.id());
        assertEquals(2, speaks.get(), "the damaged checkpoint is not reused");
        assertTrue(artifacts().isIntact(ref), "running the step again stored the artifact again");
        assertTrue(logOf(failed.id()).stream().anyMatch(m -> m.equals("checkpoint not reused: artifact " + ref.id()
                + " is corrupt; running the step again")), logOf(failed.id()).toString());

        // missing artifact: the same
        deleteFile(ref);
        engine.retry(failed.id());
        Job end = engine.run(failed.id());
        assertEquals(JobStatus.COMPLETED, end.status());
        assertEquals(3, speaks.get());
        assertTrue(logOf(failed.id()).stream().anyMatch(m -> m.contains("artifact " + ref.id() + " is missing")));
        assertValidManifest(engine.manifest(end.id()));
    }

    @Test
    void garbageCollectionDeletesOnlyOldUnreferencedArtifactsEvenWhileAJobRuns() throws Exception {
        CountDownLatch put = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        JobEngine engine = track(JobEngine.builder(store).artifacts(artifacts())
                .step("slow-put", ctx -> {
                    ArtifactRef ref = ctx.artifacts().put("being written".getBytes(StandardCharsets.UTF_8), "text/plain");
                    put.countDown();
                    release.await();
                    return Map.of("doc", ref.toJson());
                })
                .recipe(Recipe.builder("slow").step("w", "slow-put").build()).build());
        ArtifactStore store = engine.artifacts();
        ArtifactRef garbageOld = store.put("old garbage".getBytes(StandardCharsets.UTF_8), "text/plain");
        ArtifactRef garbageNew = store.put("new garbage".getBytes(StandardCharsets.UTF_8), "text/plain");
        setAge(garbageOld, Duration.ofDays(2));

        Job job = engine.createJob("slow", obj());
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            Future<Job> run = caller.submit(() -> engine.run(job.id()));
            assertTrue(put.await(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS));
            ArtifactRef inFlight = new ArtifactRef(sha("being written"), 13, "text/plain");
            ArtifactStore.Collected gc = engine.collectArtifacts(Duration.ofHours(1));
            assertEquals(1, gc.artifacts(), gc.toString());
            assertFalse(store.exists(garbageOld), "old and unreferenced: deleted");
            assertTrue(store.exists(garbageNew), "unreferenced but within the grace period");
            assertTrue(store.exists(inFlight), "put by a running step, not yet recorded: protected by the grace period");
            release.countDown();
            assertEquals(JobStatus.COMPLETED, run.get(Await.GUARD.toMillis(), TimeUnit.MILLISECONDS).status());
            setAge(inFlight, Duration.ofDays(2));
            setAge(garbageNew, Duration.ofDays(2));
            gc = engine.collectArtifacts(Duration.ofHours(1));
            assertEquals(1, gc.artifacts(), gc.toString());
            assertTrue(store.isIntact(inFlight), "referenced by a step row now: kept however old");
            assertFalse(store.exists(garbageNew));
        } finally {
            release.countDown();
            caller.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ validators

    @Test
    void aFailingRetryableValidatorIsRetriedByPolicyAndANonRetryableOneFailsAtOnceListingEveryProblem() {
        AtomicInteger calls = new AtomicInteger();
        StepDefinition retried = StepDefinition.builder("write", "write")
                .validator(new ValidatorSpec("text", json("{\"path\":\"/script\",\"min_words\":3}"), true))
                .retry(RetryPolicy.builder().maxAttempts(3).initialDelay(Duration.ZERO).jitter(false).build()).build();
        StepDefinition strict = StepDefinition.builder("write", "write")
                .validator(ValidatorSpec.of("text", json("{\"path\":\"/script\",\"min_words\":3,\"sections\":[\"INTRO\"]}")))
                .validator(ValidatorSpec.of("json_schema", json("{\"schema\":{\"required\":[\"title\"]}}")))
                .retry(RetryPolicy.builder().maxAttempts(3).initialDelay(Duration.ZERO).jitter(false).build()).build();
        JobEngine engine = track(JobEngine.builder(store).artifacts(artifacts())
                .step("write", ctx -> Map.of("script", calls.incrementAndGet() == 1 ? "too short" : "long enough script now"))
                .recipe(Recipe.builder("retried").step(retried).build())
                .recipe(Recipe.builder("strict").step(strict).build()).build());

        Job ok = engine.run(engine.createJob("retried", obj()).id());
        assertEquals(JobStatus.COMPLETED, ok.status(), () -> "last error: " + ok.lastError());
        assertEquals(2, store.findSteps(ok.id()).get(0).attempts());
        assertEquals("its output failed validation (1 problem): text: /script has 2 words, fewer than the minimum of 3",
                store.findSteps(ok.id()).get(0).attemptLog().get(0).error().orElseThrow());

        calls.set(1); // "long enough script now": passes the words, fails the section and the schema
        Job bad = engine.run(engine.createJob("strict", obj()).id());
        assertEquals(JobStatus.FAILED, bad.status());
        assertEquals(1, store.findSteps(bad.id()).get(0).attempts(), "not retryable: one attempt");
        assertTrue(bad.lastError().startsWith("step 'write' failed: its output failed validation (2 problems): "
                + "text: /script has no section 'INTRO' (a line starting with it); json_schema: "), bad.lastError());
        assertTrue(bad.lastError().contains("title"), bad.lastError());
    }

    @Test
    void aRecipeWithAnUnknownValidatorIsRefusedAtPublish() {
        JobEngine engine = engine();
        InvalidRecipeException e = assertThrows(InvalidRecipeException.class, () -> engine.catalog().publishRecipe(
                json("{\"slug\":\"v\",\"steps\":[{\"key\":\"a\",\"type\":\"speak\",\"validators\":[{\"type\":\"loudness\"}]}]}")));
        assertTrue(e.problems().get(0).startsWith("step 'a' has a validator of unknown type 'loudness'"), e.problems().toString());
    }

    // ------------------------------------------------------------------ step cache

    @Test
    void theSecondJobWithTheSameInputReusesTheCachedStepFromTheFirst() {
        JobEngine engine = engine(narration(true));
        Job first = engine.run(engine.createJob("narration", input("hello")).id());
        Job second = engine.run(engine.createJob("narration", input("hello")).id());

        assertEquals(JobStatus.COMPLETED, second.status());
        assertEquals(1, speaks.get(), "the cached step executed once for two jobs");
        assertEquals(2, reports.get(), "a step without cache executes in every job");
        JobStep speak = store.findSteps(second.id()).get(0);
        assertEquals(StepStatus.SKIPPED, speak.status());
        assertEquals("cache", speak.skipReason());
        assertEquals(first.id(), speak.cachedFrom());
        assertEquals(0, speak.attempts(), "a cache hit is not an attempt");
        assertEquals(store.findSteps(first.id()).get(0).outputRefs(), speak.outputRefs());
        JsonNode manifest = engine.manifest(second.id());
        assertValidManifest(manifest);
        assertEquals("cache", manifest.at("/steps/0/skip_reason").asString());
        assertEquals(first.id(), manifest.at("/steps/0/cached_from").asString());

        engine.run(engine.createJob("narration", input("other")).id());
        assertEquals(2, speaks.get(), "a different input executes");

        deleteFile(audioOf(speak));
        Job fourth = engine.run(engine.createJob("narration", input("hello")).id());
        assertEquals(3, speaks.get(), "a cache entry whose artifact is gone is not reused");
        assertNull(store.findSteps(fourth.id()).get(0).cachedFrom());
        assertTrue(logOf(fourth.id()).stream().anyMatch(m -> m.startsWith("cache entry of job ") && m.contains("is missing")));
    }

    @Test
    void aCachedStepIsReusedOnlyByJobsWhoseConfigValuesAreTheSame() {
        JobEngine engine = engine();
        engine.catalog().putConfig(dev.stepwise.engine.api.DocumentKind.VOICE, "narrator",
                json("{\"provider\":\"tone\",\"name\":\"a\"}"));
        engine.catalog().publishRecipe(Recipe.builder("voiced").voice("narrator")
                .step(StepDefinition.builder("speak", "speak").cache(true).build()).build());
        Job first = engine.run(engine.createJob("voiced", input("hello")).id());
        engine.catalog().putConfig(dev.stepwise.engine.api.DocumentKind.VOICE, "narrator",
                json("{\"provider\":\"tone\",\"name\":\"b\"}"));
        Job second = engine.run(engine.createJob("voiced", input("hello")).id());
        assertEquals(2, speaks.get(), "another voice is other work: the cache does not answer");
        assertNull(store.findSteps(second.id()).get(0).cachedFrom());
        engine.catalog().putConfig(dev.stepwise.engine.api.DocumentKind.VOICE, "narrator",
                json("{\"provider\":\"tone\",\"name\":\"a\"}"));
        Job third = engine.run(engine.createJob("voiced", input("hello")).id());
        assertEquals(2, speaks.get(), "the first voice again (version 3, same value): the first job's execution is reused");
        assertEquals(first.id(), store.findSteps(third.id()).get(0).cachedFrom());
        assertEquals(JobStatus.COMPLETED, third.status());
    }

    @Test
    void theManifestSumsTheUsageAndCharactersTheJobsStepsReportAndLeavesOutCacheHits() {
        JobEngine engine = track(JobEngine.builder(store).artifacts(artifacts())
                .step("write", ctx -> json("{\"text\":\"hi\",\"usage\":{\"input_tokens\":120,\"output_tokens\":45}}"))
                .step("speak", ctx -> json("{\"characters\":310,\"requests\":2}"))
                .step("summary", ctx -> json("{\"script\":{\"usage\":{\"input_tokens\":999}},\"speech\":{\"characters\":999},"
                        + "\"usage\":\"not an object\",\"characters\":-5}"))
                .recipe(Recipe.builder("costs").step("write", "write")
                        .step(StepDefinition.builder("speak", "speak").cache(true).build()).step("summary", "summary").build())
                .build());
        Job first = engine.run(engine.createJob("costs", obj()).id());
        JsonNode m1 = engine.manifest(first.id());
        assertValidManifest(m1);
        assertEquals(120, m1.at("/metrics/input_tokens").asInt());
        assertEquals(45, m1.at("/metrics/output_tokens").asInt());
        assertEquals(310, m1.at("/metrics/characters_synthesized").asInt(), "only top-level usage and characters count");
        assertEquals(m1.get("metrics"), first.manifest().get("metrics"), "the persisted final manifest has them too");

        Job second = engine.run(engine.createJob("costs", obj()).id());
        JsonNode m2 = engine.manifest(second.id());
        assertEquals(first.id(), m2.at("/steps/1/cached_from").asString());
        assertEquals(120, m2.at("/metrics/input_tokens").asInt(), "the writer ran again in this job");
        assertEquals(0, m2.at("/metrics/characters_synthesized").asInt(), "the cache hit cost this job nothing");
        assertValidManifest(m2);
    }

    @Test
    void aRetriedStepBypassesTheCache() {
        JobEngine engine = engine(narration(true));
        failSpeakTimes.set(1);
        Job retried = engine.run(engine.createJob("narration", input("x")).id());
        assertEquals(JobStatus.FAILED, retried.status(), "speak failed once");
        Job other = engine.run(engine.createJob("narration", input("x")).id());
        assertEquals(JobStatus.COMPLETED, other.status());
        assertEquals(2, speaks.get());

        engine.retry(retried.id());
        Job end = engine.run(retried.id());
        assertEquals(JobStatus.COMPLETED, end.status());
        assertEquals(3, speaks.get(), "the retried step executed instead of taking the other job's result");
        JobStep speak = store.findSteps(retried.id()).get(0);
        assertEquals(StepStatus.SUCCESS, speak.status());
        assertNull(speak.cachedFrom());
        assertEquals(2, speak.attempts());
    }

    @Test
    void retryFromOfACachedStepExecutesItInsteadOfTakingTheCacheAgain() {
        JobEngine engine = engine(narration(true));
        engine.run(engine.createJob("narration", input("x")).id());
        Job hit = engine.run(engine.createJob("narration", input("x")).id());
        assertEquals("cache", store.findSteps(hit.id()).get(0).skipReason());
        assertEquals(1, speaks.get());

        engine.retryFrom(hit.id(), "speak");
        Job end = engine.run(hit.id());
        assertEquals(JobStatus.COMPLETED, end.status());
        assertEquals(2, speaks.get(), "retryFrom re-executes the step even though a cache entry exists");
        JobStep speak = store.findSteps(hit.id()).get(0);
        assertEquals(StepStatus.SUCCESS, speak.status());
        assertNull(speak.cachedFrom());
        assertValidManifest(engine.manifest(hit.id()));
    }

    // ------------------------------------------------------------------ helpers

    private List<String> logOf(String jobId) {
        return store.findLogs(jobId, 0, 10_000).stream().map(LogEntry::message).toList();
    }

    private void writeOver(ArtifactRef ref, String content) {
        try {
            Files.writeString(artifacts().pathOf(ref), content);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void deleteFile(ArtifactRef ref) {
        try {
            Files.delete(artifacts().pathOf(ref));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void setAge(ArtifactRef ref, Duration age) throws java.io.IOException {
        Files.setLastModifiedTime(artifacts().pathOf(ref), FileTime.from(Instant.now().minus(age)));
    }

    private static String sha(String text) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
