package dev.stepwise.engine.examples.wordcount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.Job;
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
    void missingFileFailsTheReadStepWithAClearMessage() {
        try (JobEngine engine = WordCount.register(JobEngine.builder(new InMemoryJobStore()), dir).build()) {
            Job job = engine.run(engine.createJob("wordcount", JSON.readTree("{}")).id());
            assertEquals(JobStatus.FAILED, job.status());
            assertTrue(job.lastError().startsWith("step 'read' failed: "), job.lastError());
            assertTrue(job.lastError().contains("needs a string 'file'"), job.lastError());
            assertEquals(StepStatus.PENDING, engine.steps(job.id()).get(1).status());
        }
    }

    @Test
    void guideQuotesTheTestVerbatim() throws IOException {
        DocSnippets.assertQuotes("docs/guide.md", DocSnippets.block(
                "engine-examples/src/test/java/dev/stepwise/engine/examples/wordcount/WordCountTest.java", "GUIDE"));
    }

    private Path write(String text) {
        try {
            return Files.writeString(dir.resolve("t.txt"), text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
