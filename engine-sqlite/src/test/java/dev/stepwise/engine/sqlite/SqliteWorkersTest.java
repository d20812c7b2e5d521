package dev.stepwise.engine.sqlite;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.WorkersContract;
import java.nio.file.Path;

/** The shared queue contract (submit, workers, retries, timeouts, parallel steps, shutdown, priorities, run-at, recipe limits) on a SQLite file. */
class SqliteWorkersTest extends WorkersContract {
    @Override
    protected JobStore openStore(Path dir) {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }

    /** A second store on the same file, as a second process opens it: its own writer and read pool. */
    @Override
    protected JobStore openSecondStore() {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }
}
