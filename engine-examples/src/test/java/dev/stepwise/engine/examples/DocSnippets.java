package dev.stepwise.engine.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Checks that a document quotes a marked block of a source file verbatim, so docs cannot rot. */
public final class DocSnippets {
    /** The repository root, seen from the module folder (surefire's working directory). */
    public static final Path REPO = Path.of("..");

    private DocSnippets() {
    }

    /**
     * @param source a source file, relative to the repository root
     * @param tag    the marker name: the block is between {@code // <tag>:begin} and {@code // <tag>:end}
     * @return the block's lines with their common indentation removed
     * @throws IOException if the source cannot be read
     */
    public static List<String> block(String source, String tag) throws IOException {
        List<String> lines = Files.readAllLines(REPO.resolve(source));
        int begin = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).strip();
            if (t.equals("// " + tag + ":begin")) {
                begin = i;
            } else if (t.equals("// " + tag + ":end")) {
                end = i;
            }
        }
        if (begin < 0 || end <= begin + 1) {
            fail(source + " has no non-empty block between '// " + tag + ":begin' and '// " + tag + ":end'");
        }
        List<String> block = lines.subList(begin + 1, end);
        int indent = block.stream().filter(l -> !l.isBlank())
                .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return block.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();
    }

    /**
     * Asserts that {@code doc} holds {@code block} as consecutive lines.
     *
     * @param doc   a document, relative to the repository root
     * @param block the lines it must quote
     */
    public static void assertQuotes(String doc, List<String> block) throws IOException {
        List<String> lines = Files.readAllLines(REPO.resolve(doc));
        assertFalse(block.isEmpty());
        for (int i = 0; i + block.size() <= lines.size(); i++) {
            if (lines.subList(i, i + block.size()).equals(block)) {
                return;
            }
        }
        assertTrue(false, doc + " does not quote these lines verbatim (update it from the source):\n"
                + String.join("\n", block));
    }
}
