package dev.stepwise.engine.postgres;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.JobStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** The shared store contract on PostgreSQL, a fresh schema per test. */
class PostgresJobStoreTest extends JobStoreContract {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresJobStoreTest.class);

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Override
    protected JobStore openStore(Path dir) {
        return SCHEMAS.openStore();
    }
}
