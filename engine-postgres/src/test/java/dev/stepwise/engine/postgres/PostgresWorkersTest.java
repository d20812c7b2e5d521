package dev.stepwise.engine.postgres;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.WorkersContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** The shared queue contract (submit, workers, retries, timeouts, parallel steps, shutdown, priorities, run-at, recipe limits) on PostgreSQL, a fresh schema per test. */
class PostgresWorkersTest extends WorkersContract {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresWorkersTest.class);

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Override
    protected JobStore openStore(Path dir) {
        return SCHEMAS.openStore();
    }

    /** A second store on the same schema, as another process opens it: its own pool and clock offset. */
    @Override
    protected JobStore openSecondStore() {
        return PostgresJobStore.builder(PgSchemas.URL).schema(((PostgresJobStore) store).schema()).build();
    }
}
