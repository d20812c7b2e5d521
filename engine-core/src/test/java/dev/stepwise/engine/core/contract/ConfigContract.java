package dev.stepwise.engine.core.contract;

import static dev.stepwise.engine.core.contract.Fakes.assertValidManifest;
import static dev.stepwise.engine.core.contract.Fakes.json;
import static dev.stepwise.engine.core.contract.Fakes.obj;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.DocumentKind;
import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.InvalidRecipeException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.LogEntry;
import dev.stepwise.engine.api.Recipe;
import dev.stepwise.engine.api.StepDefinition;
import dev.stepwise.engine.api.UnknownRecipeException;
import dev.stepwise.engine.api.VersionedDocument;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.JobEngineBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

/**
 * Config-first contract: versioned recipes and config in the store, pinning, snapshots,
 * secrets, input and output validation, recipe validation. Every store runs it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class ConfigContract extends StoreContractBase {
    private static final String SECRET = "sk-test-6f1e9c0b-DO-NOT-STORE";

    private JobEngine engine() {
        JobEngine e = JobEngine.builder(store).step("echo", new Fakes.Echo())
                .step("prompted", ctx -> {
                    JsonNode prompt = ctx.config(DocumentKind.PROMPT, "writer");
                    return json("{\"prompt\":" + prompt + "}");
                })
                .step("provider", ctx -> {
                    JsonNode p = ctx.config(DocumentKind.PROVIDER, "llm");
                    String key = p.get("api_key").asString();
                    ctx.log().info("calling {} with key {}", p.get("model").asString(), key);
                    if (ctx.params().path("leak").asBoolean()) {
                        return json("{\"key\":\"" + key + "\"}");
                    }
                    throw new IllegalStateException("401 from provider: key " + key + " rejected");
                })
                .manifestWriter(new dev.stepwise.engine.core.FileManifestWriter(dir.resolve("manifests")))
                .secretResolver(ref -> {
                    if (ref.equals("env:LLM_KEY")) {
                        return SECRET;
                    }
                    throw new IllegalArgumentException("secret '" + ref + "' is not set");
                })
                .build();
        track(e);
        return e;
    }

    private static Recipe echoRecipe(String slug, String param) {
        return Recipe.builder(slug).step("a", "echo", json("{\"p\":\"" + param + "\"}")).build();
    }

    @Test
    void publishingChangedContentMakesTheNextVersionAndIdenticalContentIsANoOp() {
        JobEngine engine = engine();
        assertEquals(1, engine.catalog().publishRecipe(echoRecipe("r", "one")).version());
        assertEquals(1, engine.catalog().publishRecipe(echoRecipe("r", "one")).version(), "identical: no new version");
        assertEquals(1, engine.catalog().publishRecipe(echoRecipe("r", "one").withVersion(9)).version(), "the document's version is ignored");
        assertEquals(2, engine.catalog().publishRecipe(echoRecipe("r", "two")).version());
        assertEquals(List.of(1, 2), engine.catalog().recipeVersions("r").stream().map(Recipe::version).toList());
        assertEquals("one", engine.catalog().recipe("r", 1).steps().get(0).params().get("p").asString(), "v1 is unchanged");
        assertEquals(2, engine.catalog().recipe("r", null).version());
        assertThrows(UnknownRecipeException.class, () -> engine.catalog().recipe("r", 3));
        assertEquals(List.of("r"), engine.catalog().recipes().stream().map(Recipe::slug).toList());
    }

    @Test
    void aJobIsPinnedToItsRecipeVersionAcrossANewerPublish() {
        JobEngine engine = engine();
        engine.catalog().publishRecipe(echoRecipe("pin", "old"));
        Job old = engine.createJob("pin", obj());
        engine.catalog().publishRecipe(echoRecipe("pin", "new"));
        Job latest = engine.createJob("pin", obj());
        Job named = engine.createJob("pin", 1, obj());
        assertEquals(List.of(1, 2, 1), List.of(old.recipeVersion(), latest.recipeVersion(), named.recipeVersion()));
        assertEquals("pin@1", old.recipeId());

        assertEquals("old", outputParam(engine, engine.run(old.id())));
        assertEquals("new", outputParam(engine, engine.run(latest.id())));
        assertEquals("old", outputParam(engine, engine.run(named.id())));
    }

    private String outputParam(JobEngine engine, Job done) {
        assertEquals(JobStatus.COMPLETED, done.status());
        assertValidManifest(done.manifest());
        return engine.steps(done.id()).get(0).outputRefs().at("/params/p").asString();
    }

    @Test
    void theSnapshotIsUnchangedByLaterConfigEditsAndStepsReadIt() {
        JobEngine engine = engine();
        engine.catalog().putConfig(DocumentKind.PROMPT, "writer", json("{\"text\":\"Write about {topic}.\"}"));
        engine.catalog().publishRecipe(Recipe.builder("snap").prompt("writer").step("w", "prompted").build());
        Job job = engine.createJob("snap", obj());
        VersionedDocument v2 = engine.catalog().putConfig(DocumentKind.PROMPT, "writer", json("{\"text\":\"EDITED\"}"));
        assertEquals(2, v2.version());

        Job done = engine.run(job.id());
        assertEquals(json("{\"prompt\":{\"text\":\"Write about {topic}.\"}}"), engine.steps(job.id()).get(0).outputRefs());
        assertEquals(1, done.manifest().at("/snapshots/prompts/writer/version").asInt());
        assertEquals("Write about {topic}.", done.manifest().at("/snapshots/prompts/writer/value/text").asString());
        assertEquals(done.manifest().get("snapshots"), job.manifest().get("snapshots"), "snapshots never change");
        assertEquals("EDITED", engine.createJob("snap", obj()).manifest().at("/snapshots/prompts/writer/value/text").asString(),
                "a new job snapshots the new version");
        assertValidManifest(done.manifest());
    }

    @Test
    void invalidInputIsRejectedWithEveryViolationAndNothingWritten() {
        JobEngine engine = engine();
        engine.catalog().publishRecipe(Recipe.builder("typed").inputSchema(json("""
                {"type": "object", "required": ["file"],
                 "properties": {"file": {"type": "string"}, "top": {"type": "integer", "minimum": 1},
                                "lang": {"enum": ["en", "pt"]}}}"""))
                .step("a", "echo").build());
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> engine.createJob("typed", json("{\"top\": 0, \"lang\": \"fr\"}")));
        assertEquals(3, e.violations().size(), e.violations().toString());
        List<String> paths = e.violations().stream().map(InvalidInputException.Violation::path).sorted().toList();
        assertEquals(List.of("$", "$.lang", "$.top"), paths);
        assertTrue(e.getMessage().contains("file") && e.getMessage().contains("$.top"), e.getMessage());
        assertEquals("typed@1", e.recipeId());
        assertEquals(List.of(), store.findJobs(JobQuery.all()), "no row was written");
        assertEquals(JobStatus.PENDING, engine.createJob("typed", json("{\"file\":\"a.txt\",\"top\":3}")).status());
    }

    @Test
    void anOutputThatFailsItsSchemaFailsTheStep() {
        JobEngine engine = engine();
        engine.catalog().publishRecipe(Recipe.builder("out")
                .step(StepDefinition.builder("a", "echo").outputSchema(json("{\"type\":\"object\",\"required\":[\"count\"]}")).build())
                .build());
        Job done = engine.run(engine.createJob("out", obj()).id());
        assertEquals(JobStatus.FAILED, done.status());
        assertTrue(done.lastError().contains("step 'a'") && done.lastError().contains("output_schema")
                && done.lastError().contains("count"), done.lastError());
        assertEquals(dev.stepwise.engine.api.StepStatus.FAILED, engine.steps(done.id()).get(0).status());
    }

    @Test
    void everyRecipeProblemIsReportedAndNothingIsPublished() {
        JobEngine engine = engine();
        InvalidRecipeException dup = assertThrows(InvalidRecipeException.class, () -> engine.catalog().publishRecipe(json("""
                {"slug": "bad", "steps": [{"key": "a", "type": "echo"}, {"key": "a", "type": "echo"}]}""")));
        assertEquals(List.of("duplicate step key 'a'"), dup.problems());
        InvalidRecipeException type = assertThrows(InvalidRecipeException.class, () -> engine.catalog().publishRecipe(json("""
                {"slug": "bad", "steps": [{"key": "a", "type": "tts"}]}""")));
        assertTrue(type.problems().get(0).contains("unknown type 'tts'"), type.problems().toString());
        InvalidRecipeException schema = assertThrows(InvalidRecipeException.class, () -> engine.catalog().publishRecipe(json("""
                {"slug": "bad", "input_schema": {"type": "strng", "minLength": -1}, "steps": [{"key": "a", "type": "echo"}]}""")));
        assertTrue(schema.problems().stream().anyMatch(p -> p.contains("input_schema") && p.contains("type")), schema.problems().toString());
        assertTrue(schema.problems().stream().anyMatch(p -> p.contains("minLength")), schema.problems().toString());
        InvalidRecipeException ref = assertThrows(InvalidRecipeException.class, () -> engine.catalog().publishRecipe(json("""
                {"slug": "bad", "providers": ["claude"], "presets": ["narrator"], "steps": [{"key": "a", "type": "echo"}]}""")));
        assertEquals(2, ref.problems().size(), ref.problems().toString());
        assertTrue(ref.getMessage().contains("provider 'claude'") && ref.getMessage().contains("preset 'narrator'"), ref.getMessage());
        InvalidRecipeException all = assertThrows(InvalidRecipeException.class, () -> engine.catalog().publishRecipe(json("""
                {"slug": "bad", "steps": [{"key": "a", "type": "echo"}, {"key": "a", "type": "nope"}]}""")));
        assertEquals(2, all.problems().size(), "every problem is listed: " + all.problems());
        assertEquals(List.of(), store.findDocuments(DocumentKind.RECIPE));
    }

    @Test
    void recipesAreSeededFromFilesAndClasspathResourcesAtStartUp() throws IOException {
        Path recipes = Files.createDirectories(dir.resolve("recipes"));
        Files.writeString(recipes.resolve("a.json"), echoRecipe("from-file", "f").toJson().toString());
        Files.writeString(recipes.resolve("notes.txt"), "not a recipe");
        JobEngineBuilder b = JobEngine.builder(store).step("echo", new Fakes.Echo()).recipes(recipes)
                .recipeResource("/dev/stepwise/engine/core/contract/seed-recipe.json");
        JobEngine first = b.build();
        track(first);
        assertEquals(List.of("from-file", "seeded"), first.catalog().recipes().stream().map(Recipe::slug).toList());
        JobEngine second = JobEngine.builder(store).step("echo", new Fakes.Echo()).recipes(recipes)
                .recipeResource("/dev/stepwise/engine/core/contract/seed-recipe.json").build();
        track(second);
        assertEquals(List.of(1, 1), second.catalog().recipes().stream().map(Recipe::version).toList(), "seeding again is a no-op");
        // a newer version published since start-up is not undone by seeding the old content again
        second.catalog().publishRecipe(echoRecipe("from-file", "changed"));
        JobEngine third = JobEngine.builder(store).step("echo", new Fakes.Echo()).recipes(recipes)
                .config(DocumentKind.PROMPT, "p", json("{\"v\":1}")).build();
        track(third);
        third.catalog().putConfig(DocumentKind.PROMPT, "p", json("{\"v\":2}"));
        JobEngine fourth = JobEngine.builder(store).step("echo", new Fakes.Echo()).recipes(recipes)
                .config(DocumentKind.PROMPT, "p", json("{\"v\":1}")).build();
        track(fourth);
        assertEquals(2, fourth.catalog().recipe("from-file", null).version());
        assertEquals("changed", fourth.catalog().recipe("from-file", null).steps().get(0).params().get("p").asString());
        assertEquals(2, fourth.catalog().config(DocumentKind.PROMPT, "p", null).orElseThrow().version());
        assertThrows(InvalidInputException.class, () -> second.createJob("seeded", json("{\"n\":\"x\"}")));
        Files.writeString(recipes.resolve("b.json"), "{not json");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> JobEngine.builder(store).recipes(recipes));
        assertTrue(bad.getMessage().contains("b.json"), bad.getMessage());
    }

    @Test
    void secretsNeverReachTheManifestTheLogsTheErrorsOrTheStore() throws IOException {
        JobEngine engine = engine();
        InvalidRecipeException literal = assertThrows(InvalidRecipeException.class,
                () -> engine.catalog().putConfig(DocumentKind.PROVIDER, "llm", json("{\"model\":\"m\",\"api_key\":\"" + SECRET + "\"}")));
        assertTrue(literal.getMessage().contains("$.api_key") && !literal.getMessage().contains(SECRET), literal.getMessage());
        // Azure's provider names its key plain "key": a literal one is refused too.
        InvalidRecipeException azureKey = assertThrows(InvalidRecipeException.class, () -> engine.catalog().putConfig(
                DocumentKind.PROVIDER, "tts", json("{\"type\":\"azure\",\"region\":\"westeurope\",\"key\":\"" + SECRET + "\"}")));
        assertTrue(azureKey.getMessage().contains("$.key") && !azureKey.getMessage().contains(SECRET), azureKey.getMessage());
        // A token count is a number, not a secret (a model preset's max_tokens); a string under such a name still is.
        engine.catalog().putConfig(DocumentKind.PRESET, "model", json("{\"model\":\"m\",\"max_tokens\":1024}"));
        InvalidRecipeException tokenText = assertThrows(InvalidRecipeException.class,
                () -> engine.catalog().putConfig(DocumentKind.PRESET, "bad", json("{\"max_tokens\":\"" + SECRET + "\"}")));
        assertTrue(tokenText.getMessage().contains("$.max_tokens"), tokenText.getMessage());
        engine.catalog().putConfig(DocumentKind.PROVIDER, "llm", json("{\"model\":\"m-1\",\"api_key\":{\"secret\":\"env:LLM_KEY\"}}"));
        engine.catalog().publishRecipe(Recipe.builder("call").provider("llm").step("call", "provider").build());
        engine.catalog().publishRecipe(Recipe.builder("leak").provider("llm").step("call", "provider", json("{\"leak\":true}")).build());

        Job failed = engine.run(engine.createJob("call", obj()).id());
        assertEquals(JobStatus.FAILED, failed.status());
        assertTrue(failed.lastError().contains("401 from provider: key *** rejected"), failed.lastError());
        List<LogEntry> logs = engine.logs(failed.id(), 0, 1000);
        assertTrue(logs.stream().anyMatch(l -> l.message().equals("calling m-1 with key ***")), logs.toString());
        assertEquals("env:LLM_KEY", failed.manifest().at("/snapshots/providers/llm/value/api_key/secret").asString());

        Job leaked = engine.run(engine.createJob("leak", obj()).id());
        assertEquals(JobStatus.FAILED, leaked.status());
        assertTrue(leaked.lastError().contains("contains a resolved secret"), leaked.lastError());

        for (Job j : store.findJobs(JobQuery.all())) {
            assertFalse(j.toString().contains(SECRET), "job row");
            assertFalse(engine.manifest(j.id()).toString().contains(SECRET), "manifest");
            assertFalse(engine.steps(j.id()).toString().contains(SECRET), "steps");
            assertFalse(engine.logs(j.id(), 0, 1000).toString().contains(SECRET), "logs");
        }
        assertTrue(Files.exists(dir.resolve("manifests").resolve(failed.id()).resolve("manifest.json")),
                "the manifest files are among the files grepped");
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String bytes = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertFalse(bytes.contains(SECRET), "the secret is in " + f);
            }
        }
    }

    @Test
    void anUnresolvableSecretFailsTheStepNamingTheReferenceOnly() {
        JobEngine engine = engine();
        engine.catalog().putConfig(DocumentKind.PROVIDER, "llm", json("{\"model\":\"m\",\"api_key\":{\"secret\":\"env:MISSING_KEY\"}}"));
        engine.catalog().publishRecipe(Recipe.builder("call").provider("llm").step("call", "provider").build());
        Job failed = engine.run(engine.createJob("call", obj()).id());
        assertEquals(JobStatus.FAILED, failed.status());
        assertTrue(failed.lastError().contains("env:MISSING_KEY"), failed.lastError());
    }

    @Test
    void voicesAreVersionedListedAndSnapshottedLikeTheOtherKinds() {
        JobEngine engine = JobEngine.builder(store).step("speak", ctx -> {
                    JsonNode voice = ctx.config(DocumentKind.VOICE, "narrator-en");
                    return json("{\"voice\":" + voice + "}");
                })
                .build();
        track(engine);
        String jenny = "{\"provider\":\"azure\",\"name\":\"en-US-JennyNeural\",\"language\":\"en-US\","
                + "\"style\":\"cheerful\",\"prosody\":{\"rate\":\"+0%\",\"pitch\":\"+0Hz\"}}";
        VersionedDocument v1 = engine.catalog().putConfig(DocumentKind.VOICE, "narrator-en", json(jenny));
        assertEquals(1, v1.version());
        assertEquals(DocumentKind.VOICE, v1.kind());
        assertEquals(1, engine.catalog().putConfig(DocumentKind.VOICE, "narrator-en", json(jenny)).version(), "unchanged: no new version");
        engine.catalog().putConfig(DocumentKind.VOICE, "narrator-pt", json("{\"provider\":\"espeak\",\"name\":\"pt-BR\"}"));
        engine.catalog().publishRecipe(json("""
                {"slug": "speak", "voices": ["narrator-en"], "steps": [{"key": "s", "type": "speak"}]}"""));
        assertEquals(List.of("narrator-en"), engine.catalog().recipe("speak", null).voices());
        Job job = engine.createJob("speak", obj());
        VersionedDocument v2 = engine.catalog().putConfig(DocumentKind.VOICE, "narrator-en",
                json("{\"provider\":\"azure\",\"name\":\"en-US-GuyNeural\"}"));
        assertEquals(2, v2.version());

        assertEquals(List.of(1, 2), store.findVersions(DocumentKind.VOICE, "narrator-en").stream().map(VersionedDocument::version).toList());
        assertEquals("en-US-JennyNeural", engine.catalog().config(DocumentKind.VOICE, "narrator-en", 1).orElseThrow().content()
                .get("name").asString());
        assertEquals(List.of("narrator-en@2", "narrator-pt@1"), engine.catalog().configs(DocumentKind.VOICE).stream()
                .map(d -> d.key() + "@" + d.version()).sorted().toList(), "the latest of each voice");
        assertEquals(List.of(), engine.catalog().configs(DocumentKind.PRESET), "voices are not presets");
        Job done = engine.run(job.id());
        assertEquals(JobStatus.COMPLETED, done.status(), done.lastError());
        assertEquals("en-US-JennyNeural", engine.steps(job.id()).get(0).outputRefs().at("/voice/name").asString(),
                "the step reads the voice the job snapshotted");
        assertEquals(1, done.manifest().at("/snapshots/voices/narrator-en/version").asInt());
        assertEquals(json(jenny), done.manifest().at("/snapshots/voices/narrator-en/value"));
        assertEquals(List.of("narrator-en"), List.copyOf(done.manifest().at("/snapshots/voices").propertyNames()));
        assertValidManifest(done.manifest());
        assertEquals("en-US-GuyNeural", engine.createJob("speak", obj()).manifest().at("/snapshots/voices/narrator-en/value/name")
                .asString(), "a new job snapshots the new version");
        InvalidRecipeException missing = assertThrows(InvalidRecipeException.class, () -> engine.catalog().publishRecipe(json("""
                {"slug": "mute", "voices": ["nobody"], "steps": [{"key": "s", "type": "speak"}]}""")));
        assertTrue(missing.getMessage().contains("voice 'nobody'"), missing.getMessage());
    }

    @Test
    void aBadVoiceIsRejectedWithEveryProblemListedAndNothingStored() {
        JobEngine engine = engine();
        InvalidRecipeException e = assertThrows(InvalidRecipeException.class, () -> engine.catalog().putConfig(DocumentKind.VOICE,
                "narrator-en", json("{\"name\":\"\",\"language\":\"english!\",\"lang\":\"en\","
                        + "\"prosody\":{\"rate\":5,\"speed\":\"fast\"}}")));
        List<String> problems = e.problems();
        assertEquals(6, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("$.provider is missing"), problems.toString());
        assertTrue(problems.get(1).startsWith("$.name must be a non-empty string"), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("$.language must be a language tag")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("$.prosody.rate must be a string")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("$.prosody.speed is not a prosody setting")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.equals("$.lang is not a voice field; a voice has [language, name, prosody, provider, style]")),
                problems.toString());
        assertTrue(e.getMessage().contains("voice/narrator-en"), e.getMessage());
        InvalidRecipeException notObject = assertThrows(InvalidRecipeException.class,
                () -> engine.catalog().putConfig(DocumentKind.VOICE, "v", json("\"en-US-JennyNeural\"")));
        assertTrue(notObject.problems().get(0).startsWith("a voice must be a JSON object"), notObject.problems().toString());
        assertEquals(List.of(), store.findDocuments(DocumentKind.VOICE), "nothing was stored");
    }
}
