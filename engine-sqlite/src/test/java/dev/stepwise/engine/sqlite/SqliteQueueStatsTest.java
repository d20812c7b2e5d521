package dev.stepwise.engine.sqlite;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.QueueStatsContract;
import java.nio.file.Path;

/** The queue stats contract (one aggregate query, select_queue_stats) on a SQLite file. */
class SqliteQueueStatsTest extends QueueStatsContract {
    @Override
    protected JobStore openStore(Path dir) {
        return SqliteJobStore.builder(dir.resolve("stepwise.db")).build();
    }
}
