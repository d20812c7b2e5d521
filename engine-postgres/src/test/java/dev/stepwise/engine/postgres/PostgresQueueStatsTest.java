package dev.stepwise.engine.postgres;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.QueueStatsContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** The queue stats contract (one aggregate query, select_queue_stats) on PostgreSQL, a fresh schema per test. */
class PostgresQueueStatsTest extends QueueStatsContract {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresQueueStatsTest.class);

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Override
    protected JobStore openStore(Path dir) {
        return SCHEMAS.openStore();
    }
}
