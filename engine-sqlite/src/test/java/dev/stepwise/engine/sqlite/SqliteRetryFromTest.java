package dev.stepwise.engine.sqlite;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.RetryFromContract;
import java.nio.file.Path;

/** The retry-from-a-step contract on a SQLite file. */
class SqliteRetryFromTest extends RetryFromContract {
    @Override
    protected JobStore openStore(Path dir) {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }
}
