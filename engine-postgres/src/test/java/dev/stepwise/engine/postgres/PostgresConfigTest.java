package dev.stepwise.engine.postgres;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.ConfigContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** The shared config contract (versioned recipes and config, snapshots, secrets) on PostgreSQL, a fresh schema per test. */
class PostgresConfigTest extends ConfigContract {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresConfigTest.class);

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Override
    protected JobStore openStore(Path dir) {
        return SCHEMAS.openStore();
    }
}
