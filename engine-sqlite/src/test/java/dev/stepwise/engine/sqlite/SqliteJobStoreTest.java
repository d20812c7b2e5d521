package dev.stepwise.engine.sqlite;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.JobStoreContract;
import java.nio.file.Path;

/** The shared store contract on a SQLite file. */
class SqliteJobStoreTest extends JobStoreContract {
    @Override
    protected JobStore openStore(Path dir) {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }
}
