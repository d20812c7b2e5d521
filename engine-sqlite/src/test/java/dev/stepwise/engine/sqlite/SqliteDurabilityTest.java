package dev.stepwise.engine.sqlite;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.DurabilityContract;
import java.nio.file.Path;

/** The shared durability contract on a SQLite file. */
class SqliteDurabilityTest extends DurabilityContract {
    @Override
    protected JobStore openStore(Path dir) {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }
}
