package dev.stepwise.engine.sqlite;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.HostileStepsContract;
import java.nio.file.Path;

/** Hostile steps and inputs (throwables, outputs that cannot be JSON, nesting and size limits) on a SQLite file. */
class SqliteHostileStepsTest extends HostileStepsContract {
    @Override
    protected JobStore openStore(Path dir) {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }
}
