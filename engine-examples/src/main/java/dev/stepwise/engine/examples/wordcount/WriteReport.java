package dev.stepwise.engine.examples.wordcount;

import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * Step {@code write-report}: writes a Markdown report of the word counts and returns
 * {@code {"path", "total", "distinct", "top": [{"word", "count"}], "report"}}, where
 * {@code report} is the same Markdown kept as an artifact (so {@code stepwise artifact JOB report}
 * prints it wherever the artifact root is reachable, also from another process or machine).
 *
 * <p>The report goes to the job input's {@code out} path when given, else to
 * {@code <reportDir>/wordcount-<jobId>.md}. It is written to a temporary file and renamed, so
 * a re-execution (at-least-once) replaces it whole. The job input's {@code top}, else the param
 * {@code top}, else {@value #DEFAULT_TOP}, is how many words the report lists.
 */
public final class WriteReport implements Step {
    /** How many words the report lists unless the {@code top} param says otherwise. */
    public static final int DEFAULT_TOP = 10;

    private final Path reportDir;

    /** @param reportDir where reports go when the job input has no {@code out} */
    public WriteReport(Path reportDir) {
        this.reportDir = Objects.requireNonNull(reportDir, "reportDir");
    }

    @Override
    public Object execute(StepContext ctx) throws IOException {
        JsonNode inputTop = ctx.input().get("top");
        int top = inputTop != null && inputTop.canConvertToInt() ? inputTop.asInt() : ctx.params().path("top").asInt(DEFAULT_TOP);
        JsonNode counts = ctx.output("count");
        String file = ctx.output("read").path("file").asString();
        JsonNode out = ctx.input().get("out");
        Path target = (out != null && out.isString() && !out.asString().isBlank()
                ? Path.of(out.asString()) : reportDir.resolve("wordcount-" + ctx.jobId() + ".md"))
                .toAbsolutePath().normalize();

        List<Map<String, Object>> topWords = new ArrayList<>();
        StringBuilder md = new StringBuilder()
                .append("# Word count of `").append(file).append("`\n\n")
                .append("- job: `").append(ctx.jobId()).append("`\n")
                .append("- words: ").append(counts.path("total").asInt()).append('\n')
                .append("- distinct words: ").append(counts.path("distinct").asInt()).append("\n\n")
                .append("| rank | word | count |\n| ---: | --- | ---: |\n");
        int rank = 0;
        for (Map.Entry<String, JsonNode> e : counts.path("frequencies").properties()) {
            if (rank == top) {
                break;
            }
            rank++;
            md.append("| ").append(rank).append(" | ").append(e.getKey()).append(" | ").append(e.getValue().asInt())
                    .append(" |\n");
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("word", e.getKey());
            w.put("count", e.getValue().asInt());
            topWords.add(w);
        }
        writeAtomically(target, md.toString());
        var artifact = ctx.artifacts().put(md.toString().getBytes(StandardCharsets.UTF_8), "text/markdown");
        ctx.log().info("report with the top {} words written to {}", topWords.size(), target);

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("path", target.toString());
        result.put("total", counts.path("total").asInt());
        result.put("distinct", counts.path("distinct").asInt());
        result.put("top", topWords);
        result.put("report", artifact.toJson());
        return result;
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path dir = target.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, ".report", ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
