package dev.stepwise.engine.postgres;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.DurabilityContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** The shared durability contract on PostgreSQL, a fresh schema per test. */
class PostgresDurabilityTest extends DurabilityContract {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresDurabilityTest.class);

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Override
    protected JobStore openStore(Path dir) {
        return SCHEMAS.openStore();
    }
}
