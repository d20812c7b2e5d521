package dev.stepwise.engine.core;

import dev.stepwise.engine.api.Job;
import dev.stepwise.engine.api.ManifestWriter;
import dev.stepwise.engine.core.internal.Json;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import tools.jackson.databind.JsonNode;

/**
 * Writes {@code <dir>/<jobId>/manifest.json} atomically: to a temporary file in the same
 * directory, then renamed over the old one, so a reader never sees a half-written manifest.
 */
public final class FileManifestWriter implements ManifestWriter {
    private final Path dir;

    /** @param dir the directory that holds one folder per job (created when needed) */
    public FileManifestWriter(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir");
    }

    /**
     * @param jobId a job id
     * @return where that job's manifest is written
     */
    public Path pathOf(String jobId) {
        return dir.resolve(jobId).resolve("manifest.json");
    }

    @Override
    public void write(Job job, JsonNode manifest) throws IOException {
        Path target = pathOf(job.id());
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), "manifest", ".json.tmp");
        try {
            Files.write(tmp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public String toString() {
        return "FileManifestWriter[" + dir + "]";
    }
}
