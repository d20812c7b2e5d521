package dev.stepwise.engine.examples.wordcount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.stepwise.engine.api.InvalidInputException;
import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.JobQuery;
import dev.stepwise.engine.api.StepStatus;
import dev.stepwise.engine.examples.DocSnippets;
import dev.stepwise.engine.test.JobAssert;
import dev.stepwise.engine.test.TestEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The recipe on the in-memory store: the way docs/guide.md tells hosts to test their steps. */
class WordCountTest {
    @TempDir
    Path dir;

    @Test
    void countsTheBundledSample() throws IOException {
        Path sample = dir.resolve("sample.txt");
        try (InputStream in = WordCount.class.getResourceAsStream(WordCount.SAMPLE_RESOURCE)) {
            Files.copy(in, sample);
        }
        // GUIDE:begin
        try (TestEngine engine = TestEngine.inMemory("wordcount", b -> WordCount.register(b, dir))) {
            Job job = engine.run("{\"file\": \"" + sample + "\"}");

            JobAssert.assertThat(engine, job).completed().stepExecuted("read").stepExecuted("report")
                    .manifest().isValid().hasValue("/output/total", 28)
                    .hasValue("/output/top/0", Map.of("word", "the", "count", 5));
        }
        // GUIDE:end
    }

    @Test
    void tokenizeLowercasesAndKeepsInnerApostrophes() {
        try (TestEngine engine = wordcount()) {
            Job job = engine.run("{\"file\": \"" + json(write("Don't STOP, don’t stop: 42 times\n")) + "\"}");
            engine.assertThat(job).manifest()
                    .hasValue("/steps/1/output/words", List.of("don't", "stop", "don't", "stop", "42", "times"));
        }
    }

    @Test
    void anInputWithoutFileIsRejectedBeforeAnythingIsWritten() {
        try (TestEngine engine = wordcount()) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> engine.run("{\"top\": 0, \"extra\": true}"));
            assertEquals("wordcount@1", e.recipeId());
            List<String> paths = e.violations().stream().map(InvalidInputException.Violation::path).sorted().toList();
            assertEquals(3, paths.size(), e.getMessage());
            assertTrue(e.getMessage().contains("file"), e.getMessage());
            assertTrue(paths.contains("$.top"), e.getMessage());
            assertEquals(List.of(), engine.engine().jobs(JobQuery.all()));
        }
    }

    @Test
    void theInputTopOverridesTheReportParam() {
        try (TestEngine engine = wordcount()) {
            Job job = engine.run("{\"file\": \"" + json(write("a b b c c c")) + "\", \"top\": 2}");
            engine.assertThat(job).completed().manifest().hasValue("/output/top/1", Map.of("word", "b", "count", 2));
            assertEquals(2, engine.engine().steps(job.id()).get(3).outputRefs().get("top").size());
        }
    }

    @Test
    void aFileThatDoesNotExistFailsTheReadStepWithAClearMessage() {
        try (TestEngine engine = wordcount()) {
            Path missing = dir.resolve("missing.txt");
            Job job = engine.run("{\"file\": \"" + json(missing) + "\"}");
            engine.assertThat(job).failedWith("step 'read' failed: ").failedWith(missing + " does not exist")
                    .stepStatus("tokenize", StepStatus.PENDING);
        }
    }

    @Test
    void guideQuotesTheTestVerbatim() throws IOException {
        DocSnippets.assertQuotes("docs/guide.md", DocSnippets.block(
                "engine-examples/src/test/java/dev/stepwise/engine/examples/wordcount/WordCountTest.java", "GUIDE"));
    }

    private TestEngine wordcount() {
        return TestEngine.inMemory("wordcount", b -> WordCount.register(b, dir));
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
