package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddingExampleTest {

    @Test
    void mainRunsTheJobToCompletion(@TempDir Path dir) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            EmbeddingExample.main(new String[] {dir.resolve("example.db").toString()});
        } finally {
            System.setOut(original);
        }
        assertEquals("completed {\"greeting\":\"hello, world\"}", captured.toString(StandardCharsets.UTF_8).strip());
        assertTrue(dir.resolve("example.db").toFile().isFile());
    }

    @Test
    void readmeQuotesTheExampleVerbatim() throws IOException {
        List<String> block = DocSnippets.block(
                "engine-examples/src/main/java/dev/stepwise/engine/examples/EmbeddingExample.java", "README");
        assertTrue(block.size() <= 12, "the README promises about ten lines, the block has " + block.size());
        DocSnippets.assertQuotes("README.md", block);
    }
}
