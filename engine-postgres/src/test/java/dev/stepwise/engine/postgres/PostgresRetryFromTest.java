package dev.stepwise.engine.postgres;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.RetryFromContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** The retry-from-a-step contract on PostgreSQL, a fresh schema per test. */
class PostgresRetryFromTest extends RetryFromContract {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresRetryFromTest.class);

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Override
    protected JobStore openStore(Path dir) {
        return SCHEMAS.openStore();
    }
}
