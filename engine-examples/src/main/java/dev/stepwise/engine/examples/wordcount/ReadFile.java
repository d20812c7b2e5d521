package dev.stepwise.engine.examples.wordcount;

import dev.stepwise.engine.api.Step;
import dev.stepwise.engine.api.StepContext;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * Step {@code read-file}: reads the UTF-8 text file named by the job input's {@code file}
 * (relative paths resolve against the working directory) and returns
 * {@code {"file", "bytes", "lines", "text"}}.
 *
 * <p>Fails with a message that names the file when it is missing, is not a regular file, is
 * larger than {@link #MAX_BYTES} or is not UTF-8.
 */
public final class ReadFile implements Step {
    /** Largest file the example reads: its text travels in the step's output (and the manifest). */
    public static final long MAX_BYTES = 1024 * 1024;

    @Override
    public Object execute(StepContext ctx) throws IOException {
        JsonNode file = ctx.input().get("file");
        if (file == null || !file.isString() || file.asString().isBlank()) {
            throw new IllegalArgumentException("the job input needs a string 'file', e.g. {\"file\": \"README.md\"}");
        }
        Path path = Path.of(file.asString()).toAbsolutePath().normalize();
        if (!Files.exists(path)) {
            throw new FileNotFoundException("input file " + path + " does not exist; create it and retry the job");
        }
        if (!Files.isRegularFile(path)) {
            throw new IOException("input file " + path + " is not a regular file");
        }
        long size = Files.size(path);
        if (size > MAX_BYTES) {
            throw new IOException("input file " + path + " has " + size + " bytes; this example reads at most " + MAX_BYTES);
        }
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new IOException("input file " + path + " is not UTF-8 text", e);
        }
        long lines = text.isEmpty() ? 0 : text.lines().count();
        ctx.log().info("read {} bytes, {} lines from {}", size, lines, path);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("file", path.toString());
        out.put("bytes", size);
        out.put("lines", lines);
        out.put("text", text);
        return out;
    }
}
