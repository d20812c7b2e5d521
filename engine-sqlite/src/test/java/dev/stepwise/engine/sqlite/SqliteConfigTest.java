package dev.stepwise.engine.sqlite;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.ConfigContract;
import java.nio.file.Path;

/** The shared config contract (versioned recipes and config, snapshots, secrets) on a SQLite file. */
class SqliteConfigTest extends ConfigContract {
    @Override
    protected JobStore openStore(Path dir) {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }
}
