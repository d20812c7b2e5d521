package dev.stepwise.engine.examples.wordcount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.JobStatus;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.core.InMemoryJobStore;
import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.examples.DocSnippets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The recipe on the in-memory store: the way docs/guide.md tells hosts to test their steps. */
class WordCountTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    @Test
    void countsTheBundledSample() throws IOException {
        Path sample = dir.resolve("sample.txt");
        try (InputStream in = WordCount.class.getResourceAsStream(WordCount.SAMPLE_RESOURCE)) {
            Files.copy(in, sample);
        }
        // GUIDE:begin
        try (JobEngine engine = WordCount.register(JobEngine.builder(new InMemoryJobStore()), dir).build()) {
            Job job = engine.createJob("wordcount", JSON.readTree("{\"file\": \"" + sample + "\"}"));
            job = engine.run(job.id());

            assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
            JsonNode report = engine.steps(job.id()).get(3).outputRefs();
            assertEquals(28, report.get("total").asInt());
            assertEquals("the", report.get("top").get(0).get("word").asString());
            assertEquals(5, report.get("top").get(0).get("count").asInt());
        }
        // GUIDE:end
    }

    @Test
    void tokenizeLowercasesAndKeepsInnerApostrophes() {
        try (JobEngine engine = WordCount.register(JobEngine.builder(new InMemoryJobStore()), dir).build()) {
            Path file = write("Don't STOP, don’t stop: 42 times\n");
            Job job = engine.run(engine.createJob("wordcount", JSON.readTree("{\"file\": \"" + file + "\"}")).id());
            JsonNode words = engine.steps(job.id()).get(1).outputRefs().get("words");
            assertEquals(List.of("don't", "stop", "don't", "stop", "42", "times"),
                    JSON.convertValue(words, List.class));
        }
    }

    @Test
    void anInputWithoutFileIsRejectedBeforeAnythingIsWritten() {
        try (JobEngine engine = WordCount.register(JobEngine.builder(new InMemoryJobStore()), dir).build()) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> engine.createJob("wordcount", JSON.readTree("{\"top\": 0, \"extra\": true}")));
            assertEquals("wordcount@1", e.recipeId());
            List<String> paths = e.violations().stream().map(InvalidInputException.Violation::path).sorted().toList();
            assertEquals(3, paths.size(), e.getMessage());
            assertTrue(e.getMessage().contains("file"), e.getMessage());
            assertTrue(paths.contains("$.top"), e.getMessage());
            assertEquals(List.of(), engine.jobs(JobQuery.all()));
        }
    }

    @Test
    void theInputTopOverridesTheReportParam() {
        try (JobEngine engine = WordCount.register(JobEngine.builder(new InMemoryJobStore()), dir).build()) {
            Path file = write("a b b c c c");
            Job job = engine.run(engine.createJob("wordcount",
                    JSON.readTree("{\"file\": \"" + json(file) + "\", \"top\": 2}")).id());
            assertEquals(JobStatus.COMPLETED, job.status(), job.lastError());
            assertEquals(2, engine.steps(job.id()).get(3).outputRefs().get("top").size());
        }
    }

    @Test
    void aFileThatDoesNotExistFailsTheReadStepWithAClearMessage() {
        try (JobEngine engine = WordCount.register(JobEngine.builder(new InMemoryJobStore()), dir).build()) {
            Path missing = dir.resolve("missing.txt");
            Job job = engine.run(engine.createJob("wordcount", JSON.readTree("{\"file\": \"" + json(missing) + "\"}")).id());
            assertEquals(JobStatus.FAILED, job.status());
            assertTrue(job.lastError().startsWith("step 'read' failed: "), job.lastError());
            assertTrue(job.lastError().contains(missing + " does not exist"), job.lastError());
            assertEquals(StepStatus.PENDING, engine.steps(job.id()).get(1).status());
        }
    }

    @Test
    void guideQuotesTheTestVerbatim() throws IOException {
        DocSnippets.assertQuotes("docs/guide.md", DocSnippets.block(
                "engine-examples/src/test/java/dev/stepwise/engine/examples/wordcount/WordCountTest.java", "GUIDE"));
    }

    private static String json(Path p) {
        return p.toString().replace("\\", "\\\\");
    }

    private Path write(String text) {
        try {
            return Files.writeString(dir.resolve("t.txt"), text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
