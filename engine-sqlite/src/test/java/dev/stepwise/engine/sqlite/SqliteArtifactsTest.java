package dev.stepwise.engine.sqlite;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.ArtifactsContract;
import java.nio.file.Path;

/** Artifacts, validators and the step cache on a SQLite file (the cache lookup uses the V6 index). */
class SqliteArtifactsTest extends ArtifactsContract {
    @Override
    protected JobStore openStore(Path dir) {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }
}
