package dev.stepwise.engine.anthropic;

import dev.stepwise.engine.core.JobEngine;
import dev.stepwise.engine.core.RunListener;
import dev.stepwise.engine.sqlite.SqliteJobStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A child JVM for {@link PaidCallCrashTest}: runs a job whose Claude step calls the stub, and after the
 * step returned (the paid call answered) but before its checkpoint commits, leaves a marker file and
 * blocks until the parent kills it.
 *
 * <p>Arguments: database file, stub base URL, marker file, job id.
 */
public final class PaidCallChild {
    private PaidCallChild() {
    }

    public static void main(String[] args) throws Exception {
        Path db = Path.of(args[0]);
        Path marker = Path.of(args[2]);
        RunListener blockBeforeCheckpoint = new RunListener() {
            @Override
            public void afterStepExecuted(String jobId, String stepKey) {
                try {
                    Files.createFile(marker);
                    Thread.sleep(Long.MAX_VALUE); // until destroyForcibly
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted before the kill", e);
                }
            }
        };
        try (SqliteJobStore store = SqliteJobStore.builder(db).build();
                JobEngine engine = ClaudeFixture.engine(store, db.resolveSibling("manifests"),
                        ClaudeFixture.provider(args[1], 60_000), ClaudeFixture.recipe(1, "[]"))
                        .listener(blockBeforeCheckpoint).build()) {
            engine.run(args[3]);
        }
        System.exit(3); // never reached while the listener blocks
    }
}
