package dev.stepwise.engine.postgres;

import dev.stepwise.engine.api.JobStore;
import dev.stepwise.engine.core.contract.HostileStepsContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;

/** Hostile steps and inputs (throwables, outputs that cannot be JSON, nesting and size limits) on PostgreSQL, a fresh schema per test. */
class PostgresHostileStepsTest extends HostileStepsContract {
    private static final PgSchemas SCHEMAS = new PgSchemas(PostgresHostileStepsTest.class);

    @AfterAll
    static void dropSchemas() throws Exception {
        SCHEMAS.dropAll();
    }

    @Override
    protected JobStore openStore(Path dir) {
        return SCHEMAS.openStore();
    }
}
